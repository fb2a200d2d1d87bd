#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# screenshots.sh: the README's pictures, from the real images.
#
# Deploys the Part 5 stack with ./stack up (unless it runs already), then
# runs one more container of each web-facing image with a published port on
# a bridge network (which works on hosts without IPVS, unlike the swarm's
# routing mesh), and photographs them with headless Chromium:
#   docs/screenshots/hello.png, hello-redis-down.png   the web service
#   docs/screenshots/real-*.png                        the visualizer
# Removes what it started (not the stack). Needs Docker, Chromium, Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/screenshots
tag=p5shot$$
version=$(sed -n 's/^project(part5-stack VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

cleanup() {
    docker rm -f "$tag-hello" "$tag-redis" "$tag-viz" >/dev/null 2>&1 || true
    docker network rm "$tag" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if ! docker stack ls --format '{{.Name}}' | grep -qx getstartedlab; then
    ./stack up
fi

chrome() { # chrome URL FILE WIDTH HEIGHT
    timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars \
        --user-data-dir="$(mktemp -d)" --window-size="$3,$4" \
        --screenshot="$2" "$1" >/dev/null 2>&1
    echo "  $2"
}

wait_http() { # wait_http URL
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "screenshots: $1 did not answer" >&2
    return 1
}

docker network create "$tag" >/dev/null
docker run -d --name "$tag-redis" --network "$tag" --network-alias redis \
    "part5/redis:$version" redis-server --appendonly yes >/dev/null
docker run -d --name "$tag-hello" --network "$tag" -p 127.0.0.1::80 \
    "part5/hello:$version" >/dev/null
port=$(docker port "$tag-hello" 80/tcp | head -1 | sed 's/.*://')
wait_http "http://127.0.0.1:$port/healthz"
for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$port/" | grep -q 'Visits:</b> [0-9]' && break
    sleep 0.2
done
for _ in $(seq 40); do curl -fsS -o /dev/null "http://127.0.0.1:$port/"; done
chrome "http://127.0.0.1:$port/" "$out/hello.png" 640 200
docker stop "$tag-redis" >/dev/null
sleep 0.5
chrome "http://127.0.0.1:$port/" "$out/hello-redis-down.png" 640 200

docker run -d --name "$tag-viz" -p 127.0.0.1::8080 \
    -v /var/run/docker.sock:/var/run/docker.sock "part5/visualizer:$version" >/dev/null
vport=$(docker port "$tag-viz" 8080/tcp | head -1 | sed 's/.*://')
wait_http "http://127.0.0.1:$vport/healthz"
SCREENSHOT_DIR="$PWD/$out" VISUALIZER_URL="http://127.0.0.1:$vport/" \
    sh tests/browser/run.sh screenshots.js
