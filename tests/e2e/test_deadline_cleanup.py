#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A test that runs out of time still removes what it made.

ctest (3.25) kills a test at its TIMEOUT with no chance to clean up, so
every Python test has a deadline of its own below it (PART5_DEADLINE, set
by tests/CMakeLists.txt; part5test.Deadline). This runs a small test that
makes what the e2e tests make (a swarm in an engine-in-a-container node,
its network, a container on it, a process of its own) and then hangs,
with a 25 s deadline, and checks that it failed saying why and that none
of it is left.

  test_deadline_cleanup.py            the check (ctest stack_e2e_deadline)
  test_deadline_cleanup.py --inner    the hanging test it runs
"""

import os
import secrets
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import swarmnodes  # noqa: E402
from part5test import Proc, check, run, step  # noqa: E402
from swarmnodes import HOST  # noqa: E402

INNER_DEADLINE = 25


def inner():
    prefix = os.environ["PART5_DL_PREFIX"]

    def test_makes_things_then_hangs():
        node, = swarmnodes.start_nodes(prefix, ["dl1"])
        node.run("swarm", "init", "--advertise-addr", node.ip)
        name = f"{prefix}-client"
        HOST.run("run", "-d", "--name", name, "--network", f"{prefix}-net",
                 "debian:bookworm-slim", "sleep", "600")
        swarmnodes.on_cleanup(HOST.run, "rm", "-f", name)
        p = Proc(["sleep", "600"], name="sleeper", ours=False)
        print(f"made: swarm on {node.container}, {name}, network "
              f"{prefix}-net, process {p.p.pid}", flush=True)
        print(f"PID {p.p.pid}", flush=True)
        time.sleep(600)

    try:
        run([test_makes_things_then_hangs])
    finally:
        swarmnodes.cleanup()


def test_timed_out_test_cleans_up():
    prefix = "p5dl" + secrets.token_hex(3)
    step("the node image, so that the hanging test's time goes to the test")
    swarmnodes.node_image()
    step(f"a test that makes a swarm, a network, a container and a process "
         f"({prefix}), then hangs; its deadline is {INNER_DEADLINE} s")
    env = dict(os.environ, PART5_DEADLINE=str(INNER_DEADLINE),
               PART5_DL_PREFIX=prefix)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-u", os.path.abspath(__file__),
                        "--inner"], env=env, capture_output=True, text=True,
                       timeout=INNER_DEADLINE + 150)
    took = time.monotonic() - t0
    out = r.stdout + r.stderr
    print("    | " + out.strip().replace("\n", "\n    | "), flush=True)
    check("made: swarm on" in out, "it made them before the deadline")
    check(r.returncode == 1 and f"deadline of {INNER_DEADLINE} s passed" in
          out, f"it failed at its deadline, saying so (exit "
          f"{r.returncode}, {took:.0f} s in all)")
    left = HOST.run("ps", "-aq", "--filter", f"name={prefix}")
    check(not left, f"no container of it is left ({left.split()})")
    nets = HOST.run("network", "ls", "-q", "--filter", f"name={prefix}")
    check(not nets, "no network of it is left")
    pid = int(out.split("PID ", 1)[1].split()[0])
    check(not os.path.exists(f"/proc/{pid}"), f"its process {pid} is gone")


if __name__ == "__main__":
    if sys.argv[1:] == ["--inner"]:
        inner()
    else:
        run([test_timed_out_test_cleans_up])
