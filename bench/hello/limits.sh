#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# limits.sh: hello and the tutorial's Flask app at the tutorial's per-replica
# limits (deploy.resources.limits: cpus "0.1", memory 50M), same run, same
# machine: one container of each with --cpus 0.1 --memory 50m, each with
# its own Redis container, driven by wrk through a published port on a
# bridge network (no IPVS needed). Prints a Markdown table and the ratio.
#
# Usage: bench/hello/limits.sh [SECONDS] (default 15). Needs Docker, wrk and
# the part5/hello and part5/redis images (./stack build).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}
tag=p5bench$$
version=$(sed -n 's/^project(part5-stack VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

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
        "part5/redis:$version" redis-server --appendonly no >/dev/null
done
docker run -d --name "$tag-hello" --network "$tag-h" -p 127.0.0.1::80 "${limits[@]}" \
    "part5/hello:$version" >/dev/null
docker run -d --name "$tag-flask" --network "$tag-f" -p 127.0.0.1::80 "${limits[@]}" \
    -e BIND=0.0.0.0 part5-bench/flask:1 >/dev/null

port() { docker port "$tag-$1" 80/tcp | head -1 | sed 's/.*://'; }
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

run() { # run NAME PORT
    local out rps p50 p99 mem
    out=$(wrk -t1 -c16 -d"${secs}s" --latency --timeout 10s "http://127.0.0.1:$2/")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$tag-$1" | cut -d/ -f1)
    errs=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ' || true)
    printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "$mem" "${errs:-none}"
    echo "$rps" >"/tmp/$tag-$1.rps"
}

echo
echo "wrk -t1 -c16, ${secs} s each, one container with --cpus 0.1 --memory 50m"
echo
echo "| app | req/s | p50 | p99 | memory | errors |"
echo "|---|---:|---:|---:|---:|---|"
run hello "$hp"
run flask "$fp"
h=$(cat "/tmp/$tag-hello.rps"); f=$(cat "/tmp/$tag-flask.rps")
rm -f "/tmp/$tag-hello.rps" "/tmp/$tag-flask.rps"
echo
awk -v h="$h" -v f="$f" 'BEGIN { printf "hello / Flask at the tutorial'"'"'s limits: %.1fx\n", h / f }'
