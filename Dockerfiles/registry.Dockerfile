# SPDX-License-Identifier: Apache-2.0
# A private image registry for the swarm, where Docker Hub's registry:2
# cannot be pulled: Debian's docker-registry package (the CNCF Distribution
# registry, 2.8.2 in bookworm, the program inside registry:2), on port 5000,
# its storage in /var/lib/registry (a volume), as in registry:2.
#
#   docker build -f Dockerfiles/registry.Dockerfile -t part5/registry:1.0.0 .
#
# (./stack registry does this when registry:2 cannot be pulled, and runs it
# as a swarm service.) Unlike registry:2 it runs as an unprivileged user
# (docker-registry, 10003); a new named volume on /var/lib/registry takes
# that owner from the image. No authentication and no TLS: it is meant for
# a swarm's private network; see README.md, "Registry".

# --- build: the same first lines as the stack's three Dockerfiles, so the
# legacy builder reuses their cached layer; then Debian's package --------------
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE} AS build
ARG TARGET_ARCH=
COPY Dockerfiles/toolchain.sh /usr/local/bin/part5-toolchain
RUN part5-toolchain setup "$TARGET_ARCH" \
        libmicrohttpd-dev libhiredis-dev libyaml-dev libyajl-dev libuv1-dev
RUN part5-toolchain packages docker-registry \
 && part5-toolchain check /usr/bin/docker-registry --version
WORKDIR /src
COPY Dockerfiles/rootfs.sh Dockerfiles/rootfs.sh
# The configuration: registry:2's, with Debian's binary. Debian's own
# config.yml asks for an htpasswd file this image does not have.
RUN sh Dockerfiles/rootfs.sh \
        --user docker-registry:10003:10003 \
        --dir /var/lib/registry:0755:10003:10003 \
        /rootfs /usr/bin/docker-registry \
 && mkdir -p /rootfs/etc/docker/registry \
 && printf '%s\n' \
        'version: 0.1' \
        'log:' \
        '  fields:' \
        '    service: registry' \
        'storage:' \
        '  cache:' \
        '    blobdescriptor: inmemory' \
        '  filesystem:' \
        '    rootdirectory: /var/lib/registry' \
        'http:' \
        '  addr: :5000' \
        '  headers:' \
        '    X-Content-Type-Options: [nosniff]' \
        'health:' \
        '  storagedriver:' \
        '    enabled: true' \
        '    interval: 10s' \
        '    threshold: 3' \
        >/rootfs/etc/docker/registry/config.yml

# --- runtime: nothing but that root ------------------------------------------
FROM scratch
ARG VERSION=dev
ARG REVISION=
ARG SOURCE=
ARG LICENSES=Apache-2.0
LABEL org.opencontainers.image.title="part5/registry" \
      org.opencontainers.image.description="Debian's docker-registry (CNCF Distribution 2.8) as a registry:2 stand-in for the Docker Get Started Part 5 swarm: port 5000, storage in /var/lib/registry." \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.licenses="$LICENSES" \
      org.opencontainers.image.base.name="scratch"
COPY --from=build /rootfs/ /
VOLUME /var/lib/registry
USER 10003:10003
EXPOSE 5000
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/docker-registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
