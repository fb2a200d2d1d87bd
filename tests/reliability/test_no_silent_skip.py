# SPDX-License-Identifier: Apache-2.0
"""In CI (PART5_REQUIRE_ALL=1, set by .ci/run) a test that cannot run is a
failure, never a skip that passes. This proves it for every kind of skip
the suite has, by making each one happen for real:

- a test program that needs root exits 77 (ctest: "Skipped") when not
  root; with the variable it exits 1 (part5test.require_root_and_redis);
- a cmocka test calls skip() when not root (test_redis_datadir);
- a single Python test returns early when not root (test_drops_root);
- the compose schema check without a docker CLI (test_compose_files);
- a program of ours that does not exit after SIGTERM is killed, which
  loses a valgrind or ASan leak report: always a failure (part5test).

"Not root" is real: the programs run as nobody (setpriv), from a copy of
what they need in a directory nobody can read, so the result does not
depend on where the checkout is. The browser harness has its own proof
(tests/browser/harness_selftest.js).
"""

import os
import shutil
import subprocess
import sys
import tempfile

import part5test
from part5test import BUILD, SOURCE, Proc, check, run, step

NOBODY = [shutil.which("setpriv") or "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def workdir():
    """A copy of tests/lib, the test scripts used here and the binaries,
    in a directory anyone may read. Returns its path."""
    d = tempfile.mkdtemp(prefix="part5-noskip-")
    os.chmod(d, 0o755)
    shutil.copytree(os.path.join(SOURCE, "tests"), os.path.join(d, "tests"),
                    ignore=shutil.ignore_patterns("node_modules", "corpus",
                                                  "__pycache__"))
    for sub, name in (("tests", "test_redis_datadir"),
                      ("visualizer", "visualizer")):
        os.makedirs(os.path.join(d, "build", sub), exist_ok=True)
        shutil.copy(os.path.join(BUILD, sub, name),
                    os.path.join(d, "build", sub, name))
    for root, dirs, files in os.walk(d):
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o755)
        for x in files:
            p = os.path.join(root, x)
            os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
    return d


def as_nobody(d, argv, require_all, env=None):
    """Runs argv as nobody in d; returns (exit status, output)."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
         "PYTHONPATH": os.path.join(d, "tests", "lib"),
         "PYTHONDONTWRITEBYTECODE": "1", "HOME": d,
         "PART5_BUILD": os.path.join(d, "build"), "PART5_SOURCE": d}
    if require_all:
        e["PART5_REQUIRE_ALL"] = "1"
    e.update(env or {})
    r = subprocess.run(NOBODY + argv, cwd=d, env=e, capture_output=True,
                       text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def both(d, argv, env=None):
    """The same run without and with PART5_REQUIRE_ALL=1."""
    return (as_nobody(d, argv, False, env), as_nobody(d, argv, True, env))


def test_skips_fail_when_all_are_required():
    if os.geteuid() != 0:
        # Switching to nobody needs root; CI runs as root.
        part5test.cannot_run("switching to user nobody needs root")
        return
    d = workdir()
    try:
        py = [sys.executable, "-u"]

        step("a test program that needs root (exit 77, ctest's SKIP)")
        (rc0, out0), (rc1, out1) = both(d, py + [os.path.join(
            d, "tests", "integration", "test_redis_bootstrap.py")])
        check(rc0 == 77 and "SKIP:" in out0, f"as nobody: exit {rc0}, "
              f"skipped: {out0.strip()[:120]}")
        check(rc1 == 1 and "FAIL:" in out1, f"with PART5_REQUIRE_ALL=1: "
              f"exit {rc1}: {out1.strip()[:160]}")

        step("a cmocka test that calls skip() when not root")
        (rc0, out0), (rc1, out1) = both(d, [os.path.join(
            d, "build", "tests", "test_redis_datadir")])
        check(rc0 == 0 and "SKIPPED" in out0, f"as nobody: exit {rc0}, "
              "2 tests skipped")
        check(rc1 != 0 and "PART5_REQUIRE_ALL=1 makes a skip a failure" in
              out1, f"with PART5_REQUIRE_ALL=1: exit {rc1}, they fail")

        step("test_drops_root (integration_visualizer) when not root")
        # Only that test: the file's main() needs the engine, which
        # nobody may not reach.
        (rc0, out0), (rc1, out1) = both(d, py + [
            "-c", "import sys; sys.path.insert(0, 'tests/integration'); "
            "import test_visualizer as t; from part5test import run; "
            "run([t.test_drops_root])"])
        check(rc0 == 0 and "skipped: dropping root needs root" in out0,
              f"as nobody: exit {rc0}, says skipped")
        check(rc1 == 1 and "FAIL test_drops_root" in out1,
              f"with PART5_REQUIRE_ALL=1: exit {rc1}, FAIL test_drops_root")

        step("the compose schema check without a docker CLI")
        empty = os.path.join(d, "empty-path")
        os.mkdir(empty)
        os.chmod(empty, 0o755)
        (rc0, out0), (rc1, out1) = both(d, py + [os.path.join(
            d, "tests", "e2e", "test_compose_files.py")],
            {"PART5_ONLY": "test_docker_accepts_every_file",
             "PATH": empty})
        check(rc0 == 0 and "skipped: no docker CLI" in out0,
              f"no docker on PATH: exit {rc0}, says skipped")
        check(rc1 == 1 and "FAIL test_docker_accepts_every_file" in out1,
              f"with PART5_REQUIRE_ALL=1: exit {rc1}, FAIL")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_a_killed_program_is_a_finding():
    step("a program of ours that ignores SIGTERM, stopped with a 1 s grace")
    p = Proc(["sh", "-c", "trap '' TERM; echo ready; sleep 30"],
             name="stubborn")
    p.wait_log("ready")
    p.stop(timeout=1)
    findings = part5test.cleanup()
    check(any("stubborn: did not exit after SIGTERM and was killed" in f
              for f in findings), f"cleanup() reports it: {findings}")
    step("a peer (ours=False) killed the same way is not ours to report")
    p = Proc(["sh", "-c", "trap '' TERM; echo ready; sleep 30"],
             name="peer", ours=False)
    p.wait_log("ready")
    p.stop(timeout=1)
    check(part5test.cleanup() == [], "nothing reported")


if __name__ == "__main__":
    run([test_skips_fail_when_all_are_required,
         test_a_killed_program_is_a_finding])
