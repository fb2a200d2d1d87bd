#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cold-extra.sh: what a fresh Debian 12 machine adds to .ci/run's time,
# against a run on a machine that already has the packages and a warm
# Docker build cache (the README's CI time). Measures, one after another:
#   1. scripts/deps.sh test in a fresh debian:bookworm-slim container
#      (every package the suite installs, from Debian's mirror);
#   2. tests/browser's `npm ci` (playwright-core) with an empty npm cache,
#      on this machine (a container here may lack the machine's CA);
#   3. the base image made by debootstrap (Dockerfiles/base-image.sh does
#      it when debian:bookworm-slim is absent; not imported here);
#   4. `docker build --no-cache` of the three images and of the tests'
#      engine-in-a-container image, tagged <run>/..., removed at the end.
# Needs root, Docker, debootstrap, npm; run it under the docker lock.
# Usage: bench/ci/cold-extra.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
run=coldx-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
tmp=$(mktemp -d "/tmp/$run.XXXX")
cleanup() {
    docker rm -f "$run-deps" >/dev/null 2>&1 || true
    for i in hello visualizer redis node; do
        docker rmi -f "$run/$i:cold" >/dev/null 2>&1 || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
total=0
took() { # took NAME START
    local s=$(($(date +%s) - $2))
    total=$((total + s))
    printf '%-44s %4d s\n' "$1" "$s"
}

git archive HEAD >"$tmp/src.tar"
s=$(date +%s)
docker run --rm --name "$run-deps" -i debian:bookworm-slim bash -c \
    'mkdir /w && cd /w && tar x && scripts/deps.sh test' \
    <"$tmp/src.tar" >"$tmp/deps.log" 2>&1 ||
    { tail -20 "$tmp/deps.log"; exit 1; }
took "packages (scripts/deps.sh test)" "$s"

mkdir "$tmp/npm"
cp tests/browser/package.json tests/browser/package-lock.json "$tmp/npm/"
s=$(date +%s)
(cd "$tmp/npm" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit \
    --no-fund --loglevel=error --cache "$tmp/npm/.cache" >/dev/null)
took "npm ci (tests/browser)" "$s"

s=$(date +%s)
debootstrap --variant=minbase bookworm "$tmp/root" \
    http://deb.debian.org/debian >/dev/null
took "base image (debootstrap)" "$s"
rm -rf "$tmp/root"

version=$(sed -n 's/^project(part5-stack VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
for pair in hello:web visualizer:visualizer redis:redis; do
    s=$(date +%s)
    docker build -q --no-cache --build-arg "VERSION=$version" \
        -f "Dockerfiles/${pair#*:}.Dockerfile" -t "$run/${pair%%:*}:cold" . \
        >/dev/null 2>&1
    took "image ${pair%%:*} (docker build --no-cache)" "$s"
done
mkdir "$tmp/node"
python3 -c 'import sys; sys.path.insert(0, "tests/lib"); import swarmnodes
print(swarmnodes.NODE_DOCKERFILE, end="")' >"$tmp/node/Dockerfile"
s=$(date +%s)
docker build -q --no-cache -t "$run/node:cold" "$tmp/node" >/dev/null 2>&1
took "engine-in-a-container image (--no-cache)" "$s"
printf '%-44s %4d s\n' "all" "$total"
