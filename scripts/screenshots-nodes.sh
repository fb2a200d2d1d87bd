#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# screenshots-nodes.sh: the README's pictures of ./stack nodes, from the
# real thing:
#   docs/screenshots/nodes-1280x800.png          the visualizer: myvm1 and
#                                                myvm2 with the stack's tasks
#   docs/screenshots/nodes-myvm2-down-1280x800.png   the same after
#                                                `./stack nodes stop myvm2`
#   docs/screenshots/nodes-ls.png                `./stack nodes ls`
#
# Makes its own two nodes (PART5_NODES_PREFIX=p5shotPID-, so nothing of
# yours is touched), deploys Part 5 + Redis on them with ./stack up --nodes,
# and removes the nodes at the end (nodes down --purge). The stack file is
# the IPVS-less variant (tests/e2e/variant.py), which works with or without
# IPVS; the visualizer is photographed through one more visualizer
# container on myvm1 whose port `nodes up --publish` puts on this machine.
# Needs Docker, Chromium, Node.js (tests/browser/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/screenshots
version=$(sed -n 's/^project(part5-stack VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tmp=$(mktemp -d /tmp/p5shot-nodes-XXXXXX)
export PART5_NODES_PREFIX=p5shot$$-
export PART5_NODES_RUNDIR=$tmp/run
unset DOCKER_HOST

cleanup() {
    ./stack nodes down --purge >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
    local t=$1
    shift
    for _ in $(seq $((t * 2))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "screenshots-nodes: timed out: $*" >&2
    return 1
}

web_on_myvm1_only() {
    [ "$(./stack nodes exec myvm1 "docker service ps -f desired-state=running \
        --format '{{.Node}} {{.CurrentState}}' getstartedlab_web" | grep -c '^myvm1 Running')" = 5 ]
}

shoot() { # shoot NAME: the visualizer at 1280x800, as docs/screenshots/NAME.png
    rm -rf "$tmp/shots"
    SCREENSHOT_DIR=$tmp/shots VISUALIZER_URL="http://127.0.0.1:$vport/" \
        sh tests/browser/run.sh screenshots.js >/dev/null
    cp "$tmp/shots/real-1280x800.png" "$out/$1.png"
    echo "  $out/$1.png"
}

vport=$(free_port)
./stack nodes up 2 --publish="$(free_port):80,$vport:8080"
python3 tests/e2e/variant.py compose/docker-compose.part5-redis.yml \
    >"$tmp/docker-compose.part5-redis.yml"
./stack up --nodes -c "$tmp/docker-compose.part5-redis.yml"

./stack nodes exec myvm1 "docker run -d --name p5shot-viz -p 8080:8080 \
    -v /var/run/docker.sock:/var/run/docker.sock part5/visualizer:$version" >/dev/null
wait_for 30 curl -fsS "http://127.0.0.1:$vport/healthz"
shoot nodes-1280x800

{
    echo "./stack nodes ls"
    ./stack nodes ls
} >"$tmp/ls.txt"
TERMINAL_TEXT=$tmp/ls.txt TERMINAL_PNG=$PWD/$out/nodes-ls.png sh tests/browser/run.sh terminal.js

./stack nodes stop myvm2
wait_for 90 web_on_myvm1_only
sleep 2
shoot nodes-myvm2-down-1280x800
