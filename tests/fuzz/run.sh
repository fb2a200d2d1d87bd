#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/run.sh [SECONDS]: builds every libFuzzer target with clang and
# runs each for SECONDS (default 30) on its seed corpus.
#
# A target is a file tests/fuzz/fuzz_<name>.c registered in a tests/*.cmake
# with part5_fuzz_target(fuzz_<name> ...); its seeds are in
# tests/fuzz/corpus/fuzz_<name>/, and an optional libFuzzer dictionary is
# tests/fuzz/fuzz_<name>.dict. Adding a target needs no change here.
#
# The build has its own directory (build-fuzz/, or $PART5_FUZZ_BUILD),
# configured with clang, -DPART5_FUZZ=ON and ASan+UBSan, the libraries
# instrumented for coverage (fuzzer-no-link). New inputs go to a work
# corpus in the build directory, never into the repository; a crash leaves
# its input in build-fuzz/fuzz-artifacts/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-30}
case "$secs" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
builddir=${PART5_FUZZ_BUILD:-build-fuzz}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is not installed: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
fi

targets=()
for src in tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    targets+=("$(basename "$src" .c)")
done
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz: no tests/fuzz/fuzz_*.c targets"
    exit 0
fi

echo "fuzz: building ${targets[*]} in $builddir/ (clang, ASan+UBSan)"
CC=clang cmake -S . -B "$builddir" -DPART5_FUZZ=ON \
    -DPART5_SANITIZE=address,undefined,fuzzer-no-link \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$builddir" -j "$(nproc)" --target "${targets[@]}"

failed=()
for t in "${targets[@]}"; do
    bin=$(find "$builddir" -type f -name "$t" -perm -u+x | head -n 1)
    if [ -z "$bin" ]; then
        echo "fuzz: $t was not built: register it with part5_fuzz_target()" >&2
        failed+=("$t")
        continue
    fi
    seeds=tests/fuzz/corpus/$t
    work=$builddir/fuzz-corpus/$t
    artifacts=$builddir/fuzz-artifacts
    mkdir -p "$work" "$artifacts"
    dirs=("$work")
    [ -d "$seeds" ] && dirs+=("$seeds")
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    echo "fuzz: $t for ${secs}s (seeds: $seeds)"
    # -timeout: one input slower than 10 s is a bug (a hang) too.
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
        "${dict[@]}" "${dirs[@]}" >"$builddir/fuzz-$t.log" 2>&1; then
        tail -n 60 "$builddir/fuzz-$t.log"
        echo "fuzz: $t FAILED; the input is in $artifacts/" >&2
        failed+=("$t")
        continue
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" \
        "$builddir/fuzz-$t.log" | sed "s/^/fuzz: $t: /"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: all ${#targets[@]} target(s) ran ${secs}s without a crash"
