#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/visualizer/run.sh [BUILD_DIR] [sections...]
#
# Builds the comparison peers (JSON candidates, engine clients) against a
# build of the project (default: ./build, configured without sanitizers),
# then runs bench_visualizer.py. Prints Markdown for README.md. Needs the
# Docker engine for the "real" section; everything it creates is named
# vizt-bench-* and removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
bin=$(mktemp -d /tmp/vizt-bench-bin-XXXXXX)
trap 'rm -rf "$bin"' EXIT

make -C "$build" -j2 visualizer >/dev/null
v="$build/visualizer"
src="$root/visualizer"
inc="-I$src -I$root/services/common -I$build/services/common"
libs="$v/libvisualizer_model.a $build/services/common/libpart5_common.a"
pc=$(pkg-config --cflags --libs yajl libuv libmicrohttpd)
cc -O2 -D_GNU_SOURCE $inc "$here/json_bench.c" $libs $pc $(pkg-config --cflags --libs jansson) -o "$bin/json_bench"
# The engine client three ways: ours, and libcurl's two Debian builds.
cc -O2 -D_GNU_SOURCE $inc "$here/client_bench.c" "$src/docker_client.c" "$src/docker_host.c" $libs $pc -o "$bin/client_bench_ours"
cc -O2 -D_GNU_SOURCE -DCLIENT_CURL $inc "$here/client_bench.c" "$here/docker_client_curl.c" "$src/docker_host.c" $libs $pc -lcurl -o "$bin/client_bench_openssl"
cc -O2 -D_GNU_SOURCE -DCLIENT_CURL $inc "$here/client_bench.c" "$here/docker_client_curl.c" "$src/docker_host.c" $libs $pc /usr/lib/x86_64-linux-gnu/libcurl-gnutls.so.4 -o "$bin/client_bench_gnutls"
python3 -u "$here/bench_visualizer.py" "$build" "$bin" "$@"
