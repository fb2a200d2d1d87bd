# SPDX-License-Identifier: Apache-2.0
"""results.py: the figures of the README's Reliability section, gathered
from a test run.

    (cd build && ctest -L reliability)
    tests/fuzz/run.sh 60
    python3 tests/reliability/results.py build/Testing/Temporary/LastTest.log \
        build-fuzz

Prints every RESULT line the reliability tests wrote (one per measured
fact, as key=value pairs), then, for each libFuzzer target whose log is in
the fuzz build directory, the time it ran and the inputs it executed.
Standard library only.
"""

import glob
import os
import re
import sys


def results(log):
    """RESULT lines of a ctest log, in order, without duplicates."""
    seen, out = set(), []
    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r"RESULT (\S+)(.*)$", line)
            if m and line not in seen:
                seen.add(line)
                out.append((m.group(1), dict(re.findall(
                    r'(\w+)=("[^"]*"|\S+)', m.group(2)))))
    return out


def fuzz_stats(builddir):
    """(target, seconds, executions) from tests/fuzz/run.sh's logs."""
    out = []
    for path in sorted(glob.glob(os.path.join(builddir, "fuzz-fuzz_*.log"))):
        name = os.path.basename(path)[len("fuzz-"):-len(".log")]
        with open(path, errors="replace") as f:
            text = f.read()
        execs = re.search(r"stat::number_of_executed_units: (\d+)", text)
        secs = re.search(r"Done \d+ runs in (\d+) second", text)
        if execs:
            out.append((name, secs.group(1) if secs else "?",
                        int(execs.group(1))))
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for name, kv in results(sys.argv[1]):
        print(f"| {name} | " + ", ".join(f"{k} {v}" for k, v in kv.items())
              + " |")
    if len(sys.argv) > 2:
        total = 0
        for name, secs, execs in fuzz_stats(sys.argv[2]):
            total += execs
            print(f"| {name} | {secs} s | {execs:,} inputs |")
        print(f"| all targets | | {total:,} inputs |")


if __name__ == "__main__":
    main()
