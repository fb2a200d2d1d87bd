# SPDX-License-Identifier: Apache-2.0
# A swarm node for `./stack nodes`: a Docker engine in a container, standing
# in for one of the tutorial's docker-machine VMs (myvm1, myvm2, ...).
#
#   docker build -f Dockerfiles/node.Dockerfile -t part5/node:1.0.0 .
#
# (./stack nodes up does this for you.) It is Debian's engine (docker.io:
# dockerd, containerd, runc and the docker CLI) on the same base as the
# other images, so it builds wherever they do: from Docker Hub's
# debian:bookworm-slim, or from one made offline with Dockerfiles/base-image.sh
# on a machine that reaches only Debian's mirror. No docker:dind needed.
#
# The container needs rights an engine needs (see scripts/stack/nodes.sh,
# node_run: all capabilities but SYS_RESOURCE, no seccomp or AppArmor
# profile, the host's cgroup tree): it is as powerful as root on the host,
# like any Docker-in-Docker. SECURITY.md, "The nodes of ./stack nodes".
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        docker.io iptables ca-certificates procps iproute2 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /home/docker
# The labels come after the install, so that a new version or revision
# reuses the cached install layer.
ARG VERSION=dev
ARG REVISION=
ARG SOURCE=
ARG LICENSES=Apache-2.0
LABEL org.opencontainers.image.title="part5/node" \
      org.opencontainers.image.description="A Docker engine in a container: one node (myvm1, myvm2, ...) of the local swarm ./stack nodes makes for the Get Started tutorial's Parts 4 and 5." \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.licenses="$LICENSES" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
# The engine's images, containers and swarm state; ./stack nodes mounts a
# named volume here, so a node keeps them across stop and start.
VOLUME /var/lib/docker
# The tutorial's VMs log in as user docker in /home/docker: `./stack nodes
# exec myvm1 "mkdir ./data"` makes /home/docker/data, as in Part 5.
WORKDIR /home/docker
# dockerd stops its containers on SIGTERM (docker stop -t 30 gives it time).
STOPSIGNAL SIGTERM
CMD ["dockerd", "--host=unix:///var/run/docker.sock"]
