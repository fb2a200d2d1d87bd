# SPDX-License-Identifier: Apache-2.0
# The stack's visualizer: a live picture of the swarm, read from the Docker
# socket, with its page compiled into the binary.
#
#   docker build -f Dockerfiles/visualizer.Dockerfile -t part5/visualizer:1.0.0 .
#
# Why it starts as root: the Docker socket it reads is owned by root and a
# group (`docker` on Debian, whose number differs from host to host), mode
# 0660, and that number is only known on the node. So the image has no
# USER: the visualizer starts as root, binds its port, reads its auth file,
# looks at the socket's group, then switches for good to the user
# `visualizer` (10002) with that group as its only group, no capabilities
# and no-new-privileges (services/common/privdrop.c), before it serves
# anything. One image fits every manager.

# --- build: Debian's toolchain and -dev packages, then CMake -----------------
# The build stage runs on the engine's own architecture. TARGET_ARCH is the
# Debian architecture the image is for (amd64, arm64, armhf, armel); empty,
# the build stage's own. Another one is cross-compiled with Debian's cross
# gcc and its ARCH port's packages: Dockerfiles/toolchain.sh. BASE_IMAGE is
# the build stage's base (../stack build --emulate gives it an arm Debian,
# which then builds natively under qemu). ../stack sets both for --platform.
# These lines are the same in all three Dockerfiles, so the legacy builder
# caches them once for the three images.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE} AS build
ARG TARGET_ARCH=
COPY Dockerfiles/toolchain.sh /usr/local/bin/part5-toolchain
RUN part5-toolchain setup "$TARGET_ARCH" \
        libmicrohttpd-dev libhiredis-dev libyaml-dev libyajl-dev libuv1-dev
WORKDIR /src
COPY . .
RUN part5-toolchain cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DPART5_BUILD_TESTS=OFF \
 && cmake --build /build --target visualizer -j"$(nproc)" \
 && part5-toolchain program /build/visualizer/visualizer \
        /usr/local/bin/visualizer

# The runtime root: the binary, its shared libraries, the loader and an
# /etc/passwd with the unprivileged user the service runs as.
RUN sh Dockerfiles/rootfs.sh --user visualizer:10002:10002 \
        /rootfs /usr/local/bin/visualizer

# --- runtime: nothing but that root ------------------------------------------
FROM scratch
ARG VERSION=dev
ARG REVISION=
ARG SOURCE=
ARG LICENSES=Apache-2.0
LABEL org.opencontainers.image.title="part5/visualizer" \
      org.opencontainers.image.description="A live, read-only picture of a Docker swarm (nodes, services, tasks) for the Get Started Part 5 stack; needs /var/run/docker.sock on a manager." \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.licenses="$LICENSES" \
      org.opencontainers.image.base.name="scratch"
COPY --from=build /rootfs/ /
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/visualizer", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/visualizer"]
