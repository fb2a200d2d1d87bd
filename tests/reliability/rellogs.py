# SPDX-License-Identifier: Apache-2.0
"""rellogs: one directory per test run for the logs of the programs the
reliability tests start, removed when every test passed and kept (and
named) when one failed, so repeated runs do not fill /tmp."""

import shutil
import tempfile

from part5test import run

LOGROOT = tempfile.mkdtemp(prefix="part5-reliability-")


def logdir(name):
    """A new directory for one program's log (and a Redis' data)."""
    return tempfile.mkdtemp(prefix=f"{name}-", dir=LOGROOT)


def main(tests):
    """part5test.run(tests), then the logs go, unless a test failed."""
    try:
        run(tests)
    except SystemExit as e:
        if e.code == 0:
            shutil.rmtree(LOGROOT, ignore_errors=True)
        else:
            print(f"logs kept in {LOGROOT}", flush=True)
        raise
