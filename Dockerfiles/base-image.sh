#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# base-image.sh [--arch ARCH] [TAG]: makes sure the base image the
# Dockerfiles start from (debian:bookworm-slim by default) exists on the
# engine, for machines that reach Debian's mirror but no image registry
# (classrooms behind a mirror, our CI machines). ./stack falls back to it
# when the pull fails; the tests call it through tests/lib/base-image.sh.
#
# When the tag exists, nothing is done (a pulled official image or an
# earlier run's import is used as is). Otherwise a minimal Debian bookworm
# is made with debootstrap from Debian's mirror (about 25 s) and imported
# under that tag. Needs root and debootstrap (installed when missing).
#
# --arch ARCH (a Debian architecture: arm64, armhf, armel) makes a Debian
# of another architecture, for ./stack build --platform P --emulate (the
# build stage then runs under qemu): debootstrap's second stage runs that
# architecture's programs, so qemu-user-static must be registered with
# binfmt_misc (see README.md, "arm and Apple Silicon"); about 3.5 min.
set -euo pipefail
arch=""
if [ "${1:-}" = "--arch" ]; then
    arch=${2:?--arch needs a Debian architecture}
    shift 2
fi
tag=${1:-debian:bookworm-slim}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf 'base-image: %s\n' "$*"; }

if docker image inspect "$tag" >/dev/null 2>&1; then
    say "$tag exists: using it"
    exit 0
fi
case "$tag" in
debian:bookworm* | */debian:bookworm*) suite=bookworm ;;
*) say "$tag is absent and not a Debian bookworm tag: cannot make it"; exit 1 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
    say "$tag is absent; making it with debootstrap needs root"
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi
rootfs=$(mktemp -d /tmp/part5-rootfs-XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
say "$tag is absent: debootstrap --variant=minbase ${arch:+--arch=$arch }$suite from $mirror"
t0=$(date +%s)
timeout 1500 debootstrap --variant=minbase ${arch:+--arch="$arch"} "$suite" "$rootfs" "$mirror" \
    >"$rootfs.log" 2>&1 || {
    tail -20 "$rootfs.log"
    say "debootstrap failed (log above)"
    exit 1
}
rm -f "$rootfs.log"
# What the official image also leaves out: package lists and caches.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$tag" >/dev/null
say "imported $tag in $(($(date +%s) - t0))s ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
