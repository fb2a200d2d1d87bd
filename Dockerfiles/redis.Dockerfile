# SPDX-License-Identifier: Apache-2.0
# The stack's Redis: Debian's redis-server, started by our redis-bootstrap.
#
#   docker build -f Dockerfiles/redis.Dockerfile -t part5/redis:1.0.0 .
#
# (./stack up does this for you.) It takes the official image's place in the
# tutorial's compose file: `command: redis-server --appendonly yes` works as
# it does there, and so do `redis-server --port 7000`, `--appendonly yes`
# (redis-server is put in front) or `redis-server /path/redis.conf`, and
# `docker exec CTR redis-cli ...`.
#
# Why it starts as root: the tutorial bind-mounts a host directory on /data,
# and on a fresh node that directory is owned by root (or missing). The
# bootstrapper, as root, makes /data (or redis-server's --dir) usable by the
# redis user, then drops to that user for good (groups cleared,
# no-new-privileges, no capabilities) and execs redis-server. Nothing else
# ever runs as root. See README.md, "The images".

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
# Debian's Redis: the server binary, and the redis user and group, which
# the runtime /etc/passwd copies (getent, in rootfs.sh --user-from). The
# user is created first with the official image's UID/GID, 999:999, which
# the package then keeps: data directories made for the official image or
# by `redis-bootstrap prepare` (default owner 999:999) fit as they are,
# and the number does not depend on what else the build stage installs.
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid redis --no-create-home \
        --home-dir /var/lib/redis --shell /usr/sbin/nologin redis \
 && part5-toolchain packages redis-server \
 && part5-toolchain check /usr/bin/redis-server --version
WORKDIR /src
COPY . .
RUN part5-toolchain cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DPART5_BUILD_TESTS=OFF \
 && cmake --build /build --target redis-bootstrap -j"$(nproc)" \
 && part5-toolchain program /build/services/redis/redis-bootstrap \
        /usr/local/bin/redis-bootstrap

# The runtime root. /usr/bin/redis-server is a symlink to redis-check-rdb in
# Debian: one binary that acts on its argv[0]; it is copied under the
# server's name, and the check tools become links to it, as in Debian.
# redis-cli (Debian's redis-tools, already here as redis-server's
# dependency; it needs no library the server does not) is shipped as the
# official image does: `docker exec CTR redis-cli get counter`.
# /run (root's, 0755) holds the entrypoint's record of how Redis was
# started, which the HEALTHCHECK reads (services/redis/target.h); the
# redis user cannot write there.
RUN sh Dockerfiles/rootfs.sh \
        --user-from redis \
        --dir "/data:0700:$(id -u redis):$(id -g redis)" \
        --dir /run:0755:0:0 \
        --link redis-server:/usr/bin/redis-check-aof \
        --link redis-server:/usr/bin/redis-check-rdb \
        /rootfs /usr/local/bin/redis-bootstrap /usr/bin/redis-server \
        /usr/bin/redis-cli \
 && echo "redis user in the image: $(grep '^redis:' /rootfs/etc/passwd)"

# --- runtime: nothing but that root ------------------------------------------
FROM scratch
ARG VERSION=dev
ARG REVISION=
ARG SOURCE=
ARG LICENSES=Apache-2.0
LABEL org.opencontainers.image.title="part5/redis" \
      org.opencontainers.image.description="Debian's redis-server for the Docker Get Started Part 5 stack, started by redis-bootstrap: prepares /data, drops root, then execs redis-server." \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.licenses="$LICENSES" \
      org.opencontainers.image.base.name="scratch"
COPY --from=build /rootfs/ /
# As the official image: data in /data, a volume unless a bind mount or a
# named volume is given (the tutorial binds /home/docker/data there).
WORKDIR /data
VOLUME /data
EXPOSE 6379
# Root only until the bootstrapper drops it (see the top of this file).
USER 0:0
# redis-server saves and exits on SIGTERM; with --appendonly yes the file is
# fsynced every second anyway. The bootstrapper execs redis-server, so the
# signal reaches Redis itself.
STOPSIGNAL SIGTERM
# check finds the port, bind address and password Redis was started with
# (from /run/redis-bootstrap.target), and drops to user redis to ask it.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/redis-bootstrap", "check", "--timeout", "2000"]
ENTRYPOINT ["/usr/local/bin/redis-bootstrap"]
CMD ["redis-server"]
