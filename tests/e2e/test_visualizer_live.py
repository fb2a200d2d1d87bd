#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end, in a browser: what the visualizer teaches, on a real swarm.

One deployment serves every check (tests/browser/live_swarm_test.js
drives the browser and the swarm):
  1. load balancing: 300 requests to one chosen web replica, at its task
     address, from a client container on the stack's network: that card's
     rate rises within 2 s, the others stay near zero;
  2. a rolling update, `docker service update --image part5/hello:<new
     tag>`: "updating", the new tag on each task in turn, "completed";
  3. scheduling: web scaled past what its placement allows (at most 3
     tasks per node, 8 replicas, 2 nodes): the Unassigned lane and the
     scheduler's reason;
  4. a drain: myvm2 drained, its tasks seen leaving, the swarm moving them
     to myvm1;
  5. a failed update, `--update-failure-action rollback` (the production
     file's failure_action) with a setting hello refuses: "rolling back"
     with the engine's reason, then "rolled back".

The swarm is the tutorial's myvm1 (manager) and myvm2 (worker), engines in
containers (tests/lib/swarmnodes.py); the stack is
compose/docker-compose.part5-visualizer.yml (web and visualizer on webnet,
web opting in to traffic with its label) as its IPVS-less variant
(variant.py: dnsrr, no ingress ports, an attachable network). The browser
on this machine reaches the visualizer on a port published in host mode
on myvm1 (mode: host needs no IPVS). The images are built from the
Dockerfiles (the e2e tests' layers are in the build cache) and loaded
into the nodes with their shipped names, plus one more tag of hello for
the update. Everything is named with this run's prefix and removed at the
end (PART5_E2E_KEEP=1 keeps it). Screenshots go to a temporary directory,
or to SCREENSHOT_DIR (docs/screenshots/ for the README).
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import swarmnodes  # noqa: E402
from common import HOST, RUN  # noqa: E402
from part5test import SOURCE, check, step  # noqa: E402
from swarmnodes import note  # noqa: E402

STACK = "getstartedlab"
VIZ_PORT = 8080
BROWSER = os.path.join(SOURCE, "tests", "browser")
# Every wait inside is shorter than this, which is shorter than the
# ctest TIMEOUT (tests/stack.cmake).
DEADLINE = float(os.environ.get("PART5_DEADLINE", "840"))
S = {}


def test_images_and_nodes():
    t0 = time.monotonic()
    step("hello and visualizer from the Dockerfiles (cached layers)")
    swarmnodes.base_image()
    version = common.project_version()
    for name, df in (("hello", "web.Dockerfile"),
                     ("visualizer", "visualizer.Dockerfile")):
        ref = common.test_ref(name)
        secs = swarmnodes.build_image(df, ref, {"VERSION": version})
        swarmnodes.on_cleanup(HOST.run, "rmi", ref)
        note(f"{ref}: {secs:.0f}s")
    step("myvm1 and myvm2: engines in containers")
    S["vm1"], S["vm2"] = swarmnodes.start_nodes(RUN, ["myvm1", "myvm2"])
    S["new_tag"] = f"part5/hello:{version}-live"
    for vm in (S["vm1"], S["vm2"]):
        for name in ("hello", "visualizer"):
            vm.load(common.test_ref(name), common.shipped_ref(name))
        vm.run("tag", common.shipped_ref("hello"), S["new_tag"])
    # The client (bash's /dev/tcp) runs on myvm1, from the base image.
    S["vm1"].load("debian:bookworm-slim")
    note(f"images in both nodes after {time.monotonic() - t0:.0f}s")


def test_swarm_and_stack():
    vm1, vm2 = S["vm1"], S["vm2"]
    step("docker swarm init on myvm1, join from myvm2 (tutorial Part 4)")
    vm1.run("swarm", "init", "--advertise-addr", vm1.ip)
    token = vm1.run("swarm", "join-token", "-q", "worker")
    vm2.run("swarm", "join", "--token", token, f"{vm1.ip}:2377", timeout=60)
    step("the stack: docker-compose.part5-visualizer.yml, IPVS-less variant")
    path = common.write_variant("docker-compose.part5-visualizer.yml")
    # What this test adds, as a second file (docker stack deploy merges
    # them): a placement rule for the scheduling story, at most 3 web
    # tasks per node; and a health check every second instead of the
    # image's 5 s, so that a rolling update (each new task must be healthy
    # before the next) takes seconds, not a minute.
    extra = os.path.join(os.path.dirname(path), "live-test.yml")
    with open(extra, "w") as f:
        f.write('version: "3.8"\nservices:\n  web:\n    healthcheck:\n'
                '      interval: 1s\n      start_period: 1s\n    deploy:\n'
                '      placement:\n        max_replicas_per_node: 3\n')
    vm1.run("stack", "deploy", "--resolve-image", "never", "-c", path, "-c",
            extra, STACK, timeout=120)
    # The browser's way in: the visualizer's port on myvm1, host mode.
    vm1.run("service", "update", "--detach", "--publish-add",
            f"mode=host,target=8080,published={VIZ_PORT}",
            f"{STACK}_visualizer", timeout=60)
    secs = vm1.wait_converged(STACK, {"web": 5, "visualizer": 1},
                              timeout=180)
    note(f"converged after {secs:.1f}s")
    where = vm1.run("stack", "ps", "--filter", "desired-state=running",
                    "--format", "{{.Name}} {{.Node}}", STACK)
    note("; ".join(where.splitlines()))
    check({line.split()[1] for line in where.splitlines()
           if "_web." in line} == {"myvm1", "myvm2"},
          "web tasks on both nodes")


def test_browser_on_the_live_swarm():
    vm1 = S["vm1"]
    shots = os.environ.get("SCREENSHOT_DIR") or tempfile.mkdtemp(
        prefix=f"{RUN}-shots-")
    env = dict(os.environ,
               VISUALIZER_URL=f"http://{vm1.ip}:{VIZ_PORT}/",
               LIVE_DOCKER_HOST=vm1.host, LIVE_STACK=STACK,
               LIVE_NEW_IMAGE=S["new_tag"],
               LIVE_CLIENT_IMAGE="debian:bookworm-slim",
               LIVE_DRAIN_NODE="myvm2", SCREENSHOT_DIR=shots,
               LIVE_DEADLINE=str(max(60, DEADLINE - 240)))
    step(f"Chromium against the visualizer on myvm1 ({vm1.ip}); "
         f"screenshots in {shots}")
    r = subprocess.run(["sh", os.path.join(BROWSER, "run.sh"),
                        "live_swarm_test.js"], env=env, timeout=DEADLINE)
    check(r.returncode == 0, f"live_swarm_test.js passed (exit "
          f"{r.returncode})")


def test_clean_up():
    step("remove the nodes, their network and the test's images")
    swarmnodes.cleanup()
    common.nothing_left(RUN, "container")


if __name__ == "__main__":
    common.main([test_images_and_nodes,
                 test_swarm_and_stack,
                 test_browser_on_the_live_swarm],
                test_clean_up)
