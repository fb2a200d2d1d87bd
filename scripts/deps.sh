#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deps.sh [build|test|bench|all]: installs the Debian packages the project
# needs (as root, with apt-get), and only those that are missing.
#   build: compile the three programs
#   test:  also run the whole test suite (Redis, Docker, Chromium, clang...)
#   bench: also the benchmarks' peers (bench/hello: nginx, the Flask app;
#          bench/visualizer: jansson, libcurl's two builds, Prometheus)
set -euo pipefail
what=${1:-all}

BUILD=(build-essential cmake pkg-config libmicrohttpd-dev libhiredis-dev
       libyaml-dev libyajl-dev libuv1-dev libcmocka-dev libcrypt-dev)
TEST=(redis-server redis-tools wrk docker.io debootstrap chromium nodejs npm
      python3 clang libclang-rt-14-dev valgrind curl procps iproute2
      ca-certificates apache2-utils whois qemu-user-static binfmt-support)
BENCH=(nginx-light python3-flask python3-redis libjansson-dev
       libcurl4-openssl-dev libcurl3-gnutls prometheus)

case "$what" in
build) pkgs=("${BUILD[@]}") ;;
test) pkgs=("${BUILD[@]}" "${TEST[@]}") ;;
bench | all) pkgs=("${BUILD[@]}" "${TEST[@]}" "${BENCH[@]}") ;;
*) echo "usage: $0 [build|test|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    # nodejs/npm may come from elsewhere (e.g. a newer Node.js on the PATH).
    case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run as root (sudo $0 $what) to install them" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
