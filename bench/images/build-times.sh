#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/images/build-times.sh [PLATFORM...]: how long ./stack build takes
# per platform and method, cold and warm, and the images' sizes. Prints
# Markdown for README.md ("arm and Apple Silicon").
#
# Each cold run gets a fresh engine (./stack nodes up 1, an engine in a
# container, prefix p5bench-) holding only debian:bookworm-slim, so no
# build cache helps it; the warm run is the same command again on that
# engine (nothing changed: every step cached). Methods: the engine's own
# platform built natively; another platform cross-compiled (the default);
# and --emulate, built natively under qemu on a Debian base of that
# platform (made with debootstrap --arch inside the cold run; its time is
# shown apart). Needs root, the shared engine, qemu-user-static; run it
# under flock /tmp/part5-docker.lock. Everything it makes is removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
plats=("$@")
[ "${#plats[@]}" -gt 0 ] || plats=(linux/arm64 linux/arm/v7)
rundir=$(mktemp -d /tmp/p5bench-XXXXXX)
export PART5_NODES_PREFIX=p5bench- PART5_NODES_RUNDIR=$rundir
out=$(mktemp -d /tmp/p5bench-out-XXXXXX)
cleanup() {
    "$root/stack" nodes down --purge >/dev/null 2>&1 || true
    rm -rf "$rundir" "$out"
}
trap cleanup EXIT

fresh_engine() {
    "$root/stack" nodes down --purge >/dev/null 2>&1 || true
    "$root/stack" nodes up 1 >"$out/nodes.log" 2>&1 || {
        cat "$out/nodes.log"
        exit 1
    }
    docker save debian:bookworm-slim | docker exec -i p5bench-myvm1 docker load -q >/dev/null
    NODE_HOST=$("$root/stack" nodes env myvm1 | sed -n 's/^export DOCKER_HOST=\(.*\)$/\1/p' | tr -d '"')
}

# measure LABEL ARGS...: ./stack build ARGS on the node's engine; one table
# row: total seconds and each image's.
measure() {
    local label=$1 t0 t log
    shift
    log=$out/$(echo "$label" | tr -c 'a-z0-9' _).log
    t0=$(date +%s)
    DOCKER_HOST=$NODE_HOST "$root/stack" build "$@" >"$log" 2>&1 || {
        tail -30 "$log"
        exit 1
    }
    t=$(($(date +%s) - t0))
    printf '| %s | %ss |' "$label" "$t"
    for n in hello visualizer redis; do
        printf ' %s |' "$(sed -n "s/^  part5\/$n:[^:]*: [0-9.]* MB, [^,]*, \([0-9]*\)s.*/\1s/p" "$log" | tail -1)"
    done
    printf ' %s |\n' "$(sed -n 's/.*base-image: imported .* in \([0-9]*\)s.*/\1s/p' "$log" | tail -1)"
    grep -h '^  part5/[a-z]*:[^ ]*: [0-9.]* MB' "$log" >>"$out/sizes" || true
}

echo "Measured on $(date -u +%Y-%m-%d) with bench/images/build-times.sh ${plats[*]}"
echo "on $(nproc) cores ($(uname -m)), Docker $(docker version --format '{{.Server.Version}}'):"
echo ""
echo "| build | total | hello | visualizer | redis | base image |"
echo "|---|---|---|---|---|---|"
fresh_engine
measure "the engine's own platform (native), cold"
measure "the engine's own platform (native), warm"
for p in "${plats[@]}"; do
    fresh_engine
    measure "$p cross-compiled, cold" --platform "$p"
    measure "$p cross-compiled, warm" --platform "$p"
done
for p in "${plats[@]}"; do
    fresh_engine
    measure "$p emulated (--emulate), cold" --platform "$p" --emulate
    measure "$p emulated (--emulate), warm" --platform "$p" --emulate
done
echo ""
echo "Sizes (docker image inspect .Size):"
echo ""
sed "s/^  /- /; s/, [0-9]*s.*$//" "$out/sizes" | sort -u
