#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docker-engine.sh start|stop STATE_DIR
#
# start: makes sure a Docker engine answers. When one already does, it is
# reused and left alone. Otherwise Debian's dockerd is started (installing
# docker.io when missing, as root) and its PID is written to STATE_DIR, so
# that "stop" stops exactly the engine this run started, and nothing else.
# Then the base image every test image starts from (debian:bookworm-slim)
# is made when absent (base-image.sh): on a fresh machine no test may
# depend on another having made it first.
set -euo pipefail
cmd=${1:?start|stop}
state=${2:?state directory}
mkdir -p "$state"

say() { printf 'docker-engine: %s\n' "$*"; }

case "$cmd" in
start)
    rm -f "$state/started.pid"
    if docker info >/dev/null 2>&1; then
        say "an engine already answers: reusing it"
        exec "$(dirname "$0")/base-image.sh"
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
            say "no Docker engine and not root: install docker.io first"
            exit 1
        fi
        say "installing Debian's docker.io"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null
    fi
    say "starting dockerd (log: $state/dockerd.log)"
    setsid dockerd >"$state/dockerd.log" 2>&1 </dev/null &
    echo $! >"$state/started.pid"
    for _ in $(seq 60); do
        if docker info >/dev/null 2>&1; then
            say "dockerd $(cat "$state/started.pid") is ready"
            exec "$(dirname "$0")/base-image.sh"
        fi
        sleep 0.5
    done
    say "dockerd did not answer within 30 s; its log:"
    tail -20 "$state/dockerd.log" || true
    exit 1
    ;;
stop)
    if [ ! -f "$state/started.pid" ]; then
        say "this run started no engine: nothing to stop"
        exit 0
    fi
    pid=$(cat "$state/started.pid")
    say "stopping dockerd $pid, which this run started"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$state/started.pid"
    ;;
*)
    echo "usage: $0 start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
