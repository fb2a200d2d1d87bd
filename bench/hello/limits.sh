#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# limits.sh: hello and the tutorial's Flask app at the tutorial's per-replica
# limits (deploy.resources.limits: cpus "0.1", memory 50M), same run, same
# machine: one container of each with --cpus 0.1 --memory 50m, each with
# its own Redis container, driven by wrk through a published port on a
# bridge network (no IPVS needed). Prints a Markdown table and the ratio.
# As in bench.py, only 200 pages with a visit number count (count.lua): a
# "counter disabled" page, any other status and socket errors are errors,
# each run follows a warm-up, and each app's Redis key must have grown by
# its counted pages (plus at most the requests wrk left in flight). req/s
# is the rate of counted pages; a run with an error makes the script exit 1.
#
# Usage: bench/hello/limits.sh [SECONDS] (default 15). Needs Docker, wrk,
# redis-cli and the part5/hello and part5/redis images (./stack build), or
# others named by HELLO_IMAGE and REDIS_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}
tag=p5bench$$
version=$(sed -n 's/^project(part5-stack VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
hello_image=${HELLO_IMAGE:-part5/hello:$version}
redis_image=${REDIS_IMAGE:-part5/redis:$version}
conns=16

cleanup() {
    for c in hello flask redis-h redis-f; do docker rm -f "$tag-$c" >/dev/null 2>&1 || true; done
    docker network rm "$tag-h" "$tag-f" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "building the Flask peer image (bench/hello/flask.Dockerfile)" >&2
docker build -q -f bench/hello/flask.Dockerfile -t part5-bench/flask:1 bench/hello >/dev/null

limits=(--cpus 0.1 --memory 50m --memory-swap 50m)
for kind in h f; do
    docker network create "$tag-$kind" >/dev/null
    docker run -d --name "$tag-redis-$kind" --network "$tag-$kind" --network-alias redis \
        -p 127.0.0.1::6379 "$redis_image" redis-server --appendonly no >/dev/null
done
docker run -d --name "$tag-hello" --network "$tag-h" -p 127.0.0.1::80 "${limits[@]}" \
    "$hello_image" >/dev/null
docker run -d --name "$tag-flask" --network "$tag-f" -p 127.0.0.1::80 "${limits[@]}" \
    -e BIND=0.0.0.0 part5-bench/flask:1 >/dev/null

port() { docker port "$tag-$1" "${2:-80}/tcp" | head -1 | sed 's/.*://'; }
counter() { redis-cli -p "$(port "redis-$1" 6379)" GET counter; }
wait_up() {
    for _ in $(seq 150); do
        curl -fsS "http://127.0.0.1:$1/" 2>/dev/null | grep -q 'Visits:</b> [0-9]' && return 0
        sleep 0.2
    done
    echo "limits: nothing counts on port $1" >&2
    exit 1
}
hp=$(port hello); fp=$(port flask)
wait_up "$hp"; wait_up "$fp"

run() { # run NAME PORT REDIS
    local out rps p50 p99 mem k0 grew counted errors sock
    wrk -t1 -c"$conns" -d3s --timeout 10s "http://127.0.0.1:$2/" >/dev/null # warm-up
    sleep 1
    k0=$(counter "$3")
    out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency --timeout 10s \
        -s bench/hello/count.lua "http://127.0.0.1:$2/")
    sleep 1
    grew=$(($(counter "$3") - k0))
    # The rate of counted pages (a 200 page with a number), not of all
    # answers: a failing app cannot score (as in bench.py).
    took=$(awk '/requests in/ { d = $4; sub(/,$/, "", d); m = d ~ /m$/ ? 60 : 1
        sub(/[a-z]+$/, "", d); print d * m }' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    counted=$(awk '$1 == "COUNTED" {print $2}' <<<"$out")
    errors=$(awk '$1 == "COUNTED" {print $4}' <<<"$out")
    # (awk alone: with pipefail, a grep that finds no "Socket errors" line,
    # the usual case, would end the script)
    sock=$(awk '/Socket errors/ { for (i = 3; i <= NF; i++) s += $i }
        END { print s + 0 }' <<<"$out")
    errors=$((errors + ${sock:-0}))
    rps=$(awk -v c="$counted" -v t="$took" 'BEGIN { printf "%.0f", c / t }')
    [ "$errors" -eq 0 ] || failed="$failed $1"
    if [ "$grew" -lt "$counted" ] || [ "$grew" -gt $((counted + conns)) ]; then
        errors="$errors; counter grew by $grew, $counted counted"
        failed="$failed $1"
    fi
    mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$tag-$1" | cut -d/ -f1)
    printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "$mem" "$errors"
    echo "$rps" >"/tmp/$tag-$1.rps"
}

echo
echo "wrk -t1 -c16, ${secs} s each, one container with --cpus 0.1 --memory 50m"
echo
failed=""
echo "| app | req/s | p50 | p99 | memory | errors |"
echo "|---|---:|---:|---:|---:|---:|"
run hello "$hp" h
run flask "$fp" f
h=$(cat "/tmp/$tag-hello.rps"); f=$(cat "/tmp/$tag-flask.rps")
rm -f "/tmp/$tag-hello.rps" "/tmp/$tag-flask.rps"
echo
awk -v h="$h" -v f="$f" 'BEGIN { printf "hello / Flask at the tutorial'"'"'s limits: %.1fx\n", h / f }'
if [ -n "$failed" ]; then
    echo "limits: errors in:$failed: these rows are not results" >&2
    exit 1
fi
