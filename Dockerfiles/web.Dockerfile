# SPDX-License-Identifier: Apache-2.0
# The stack's web service: hello, the tutorial's friendlyhello page in C.
#
#   docker build -f Dockerfiles/web.Dockerfile -t part5/hello:1.0.0 .
#
# (./stack up does this for you.) The repository root is the build context;
# .dockerignore lets in only what the build needs.

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
        -DCMAKE_INSTALL_PREFIX=/usr/local \
 && cmake --build /build --target hello -j"$(nproc)" \
 && part5-toolchain program /build/web/hello \
        /usr/local/bin/hello

# The runtime root: the binary, its shared libraries, the loader and an
# /etc/passwd with the unprivileged user the service runs as.
RUN sh Dockerfiles/rootfs.sh --user hello:10001:10001 \
        /rootfs /usr/local/bin/hello

# --- runtime: nothing but that root ------------------------------------------
FROM scratch
ARG VERSION=dev
ARG REVISION=
ARG SOURCE=
ARG LICENSES=Apache-2.0
LABEL org.opencontainers.image.title="part5/hello" \
      org.opencontainers.image.description="The Docker Get Started friendlyhello page (Part 2-5) in C: greets NAME, shows the container's hostname and counts visits in Redis." \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.licenses="$LICENSES" \
      org.opencontainers.image.base.name="scratch"
COPY --from=build /rootfs/ /
ENV NAME=World
# Port 80 as a non-root user: Docker 20.10 and later start containers with
# net.ipv4.ip_unprivileged_port_start=0, so no capability is needed.
USER 10001:10001
EXPOSE 80
# hello drains in-flight requests on SIGTERM and exits 0; give it the
# default 10 s grace (stop_grace_period in compose).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/hello", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/hello"]
