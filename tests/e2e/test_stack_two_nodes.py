#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end, on two nodes: the tutorial's myvm1 (manager) and myvm2
(worker) as two Docker engines in containers, driven by ./stack as a
user drives docker-machine VMs (DOCKER_HOST pointing at myvm1).

The story:
  1. myvm1 alone, a fresh engine with only Debian's base image: ./stack up
     builds the three images there, makes it a swarm, prepares
     /home/docker/data, deploys Part 5 + Redis and waits: 7 tasks on myvm1.
  2. Part 4: myvm2 joins with the command ./stack printed.
  3. Redeployed, web tasks go to myvm2 too, where the images are missing:
     ./stack up fails, shows the error and says what to do.
  4. The images go from myvm1 to myvm2 (docker save | docker load: there
     is no registry); ./stack down, ./stack up --no-build: the
     visualizer and Redis run on myvm1, web on both; requests from either
     node reach Redis and the count continues from step 1; the visualizer
     shows both nodes.
  5. ./stack status, ./stack down.

Without IPVS (these machines), the stack file is the IPVS-less variant of
compose/docker-compose.part5-redis.yml (see variant.py); requests come
from client containers on the stack's attachable overlay network. Inside
the nodes the images carry their shipped names (part5/...): the nodes'
engines are this test's own. Everything is removed at the end.

Only debian:bookworm-slim comes from outside (loaded into myvm1, made
with debootstrap when the machine lacks it); the build inside myvm1
reaches Debian's mirror through the nodes' own networking.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import swarmnodes  # noqa: E402
from common import HOST, RUN  # noqa: E402
from part5test import SOURCE, TestFailure, check, run, step  # noqa: E402
from swarmnodes import note  # noqa: E402

STACK = "getstartedlab"
S = {}


def stack_cmd(node, *args, timeout=600):
    """Runs ./stack ARGS against NODE's engine; prints its output
    indented; returns (exit code, output)."""
    env = dict(os.environ, DOCKER_HOST=node.host)
    print(f"    $ DOCKER_HOST=<{node.hostname}> ./stack {' '.join(args)}",
          flush=True)
    r = subprocess.run([os.path.join(SOURCE, "stack"), *args], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    print("      | " + r.stdout.rstrip().replace("\n", "\n      | "),
          flush=True)
    return r.returncode, r.stdout


def test_nodes():
    step("two engines in containers: myvm1 and myvm2 (tutorial Part 4)")
    S["vm1"], S["vm2"] = swarmnodes.start_nodes(RUN, ["myvm1", "myvm2"])
    step("the base image (debian:bookworm-slim) into myvm1, for building "
         "there, and the test's client into both")
    swarmnodes.base_image()
    S["client_image"] = swarmnodes.client_image(RUN)
    swarmnodes.on_cleanup(HOST.run, "rmi", S["client_image"])
    S["vm1"].load("debian:bookworm-slim")
    S["vm1"].load(S["client_image"])
    S["vm2"].load(S["client_image"])
    check(S["vm1"].image_exists("debian:bookworm-slim") and
          not S["vm1"].image_exists(common.shipped_ref("hello")),
          "myvm1 has the base image and none of ours")
    S["file"] = common.write_variant("docker-compose.part5-redis.yml")


def test_stack_up_on_a_fresh_engine():
    vm1 = S["vm1"]
    check(vm1.swarm_state()[0] == "inactive", "myvm1 is in no swarm yet")
    step("./stack up on myvm1 (the README's first command): build, swarm "
         "init, preflight, deploy, wait")
    rc, out = stack_cmd(vm1, "up", "-c", S["file"], "--timeout", "240",
                        timeout=2400)
    check(rc == 0, "./stack up exits 0")
    for name, (_, limit) in common.IMAGES.items():
        ref = common.shipped_ref(name)
        size = swarmnodes.image_size(ref, vm1)
        check(size <= limit, f"it built {ref} on myvm1: {size / 1e6:.1f} "
              f"MB (target <= {limit / 1e6:.0f} MB)")
    check(vm1.swarm_state() == ["active", "true"],
          "myvm1 is a swarm manager now")
    join = [line.strip() for line in out.splitlines()
            if line.strip().startswith("docker swarm join --token")]
    check(len(join) == 1, "it printed the worker's join command")
    S["join"] = join[0].split()[1:]
    check("converged after" in out, "it waited until the stack converged")
    owner = vm1.sh("stat -c %u:%g /home/docker/data")
    uid, gid = common.image_user(common.shipped_ref("redis"), "redis", vm1)
    check(owner == f"{uid}:{gid}", f"the preflight created "
          f"/home/docker/data on myvm1, owned by redis ({owner})")
    S["net"] = f"{STACK}_webnet"
    c1 = common.Client(S["client_image"], S["net"], docker=vm1)
    recs = c1.get("http://web/", 10)
    visits = common.check_counts_consecutive(recs, "from myvm1")
    S["last"] = visits[-1]


def test_worker_joins():
    step("Part 4: myvm2 joins the swarm as a worker (the printed command)")
    S["vm2"].run(*S["join"], timeout=60)
    nodes = S["vm1"].run("node", "ls", "--format",
                         "{{.Hostname}} {{.Status}} {{.ManagerStatus}}")
    note(nodes.replace("\n", "; "))
    check(sorted(line.split()[0] for line in nodes.splitlines()) ==
          ["myvm1", "myvm2"] and nodes.count("Ready") == 2,
          "myvm1 and myvm2 are Ready")


def test_images_missing_on_the_worker():
    step("./stack down, ./stack up: web tasks land on myvm2, which has no "
         "images")
    rc, _ = stack_cmd(S["vm1"], "down")
    check(rc == 0, "./stack down exits 0")
    rc, out = stack_cmd(S["vm1"], "up", "--no-build", "-c", S["file"],
                        "--timeout", "120")
    check(rc != 0, f"./stack up fails (exit {rc})")
    check("No such image" in out, "it shows the task's error: No such "
          "image")
    check("missing on that node" in out and "docker load" in out,
          "and says what to do (copy the images to every node)")


def test_stack_on_two_nodes():
    vm1, vm2 = S["vm1"], S["vm2"]
    step("docker save (myvm1) | docker load (myvm2), as README.md "
         "says; ./stack down; ./stack up --no-build")
    vm2.load([common.shipped_ref(n) for n in common.IMAGES], src=vm1)
    check(all(vm2.image_exists(common.shipped_ref(n))
              for n in common.IMAGES), "myvm2 has the three images")
    rc, _ = stack_cmd(vm1, "down")
    check(rc == 0, "./stack down exits 0")
    rc, out = stack_cmd(vm1, "up", "--no-build", "-c", S["file"],
                        "--timeout", "240")
    check(rc == 0, "./stack up exits 0")

    step("where the tasks run (docker stack ps)")
    ps = vm1.run("stack", "ps", "--filter", "desired-state=running",
                 "--format", "{{.Name}} {{.Node}}", STACK)
    where = {}
    for line in ps.splitlines():
        name, node = line.split()
        where.setdefault(name.split(".")[0][len(STACK) + 1:], []).append(
            node)
    note("; ".join(f"{k}: {' '.join(sorted(v))}"
                   for k, v in sorted(where.items())))
    check(where.get("visualizer") == ["myvm1"], "visualizer on myvm1")
    check(where.get("redis") == ["myvm1"], "redis on myvm1")
    check(len(where.get("web", [])) == 5 and
          set(where["web"]) == {"myvm1", "myvm2"},
          "5 web tasks, spread over myvm1 and myvm2")

    step("requests from a client on myvm1 and one on myvm2")
    hosts = set()
    last = S["last"]
    for vm in (vm1, vm2):
        c = common.Client(S["client_image"], S["net"], docker=vm)
        recs = c.get("http://web/", 20)
        visits = common.check_counts_consecutive(recs, f"from {vm.hostname}")
        check(visits[0] == last + 1, f"the count continues: {last} -> "
              f"{visits[0]} (Redis' data stayed on myvm1)")
        last = visits[-1]
        hosts |= {r["host"] for r in recs}
    on2 = set(vm2.run("ps", "--filter",
                      f"label=com.docker.swarm.service.name={STACK}_web",
                      "--format", "{{.ID}}").split())
    on1 = set(vm1.run("ps", "--filter",
                      f"label=com.docker.swarm.service.name={STACK}_web",
                      "--format", "{{.ID}}").split())
    check(hosts & on1 and hosts & on2,
          f"pages came from tasks on both nodes ({len(hosts & on1)} on "
          f"myvm1, {len(hosts & on2)} on myvm2)")

    step("the visualizer's /api/state")
    state = common.Client(S["client_image"], S["net"], docker=vm1) \
        .fetch_json("http://visualizer:8080/api/state")
    nodes = {n["hostname"]: n for n in state["nodes"]}
    check(sorted(nodes) == ["myvm1", "myvm2"], "both nodes are shown")
    check(nodes["myvm1"]["role"] == "manager" and nodes["myvm1"]["leader"]
          and nodes["myvm2"]["role"] == "worker",
          "myvm1 the leading manager, myvm2 a worker")
    per = {h: sorted(t["service"][len(STACK) + 1:] for t in n["tasks"]
                     if t.get("desired_state") == "running")
           for h, n in nodes.items()}
    note(f"tasks shown: {per}")
    check(sorted(per["myvm1"] + per["myvm2"]) ==
          sorted(["redis", "visualizer"] + ["web"] * 5),
          "the 7 tasks, each on its node")
    check("redis" in per["myvm1"] and "visualizer" in per["myvm1"],
          "redis and the visualizer on myvm1")

    step("the visualizer dropped root for myvm1's Docker socket group")
    gid = common.socket_gid_of_node(vm1)
    status = vm1.sh("cat /proc/$(pidof visualizer)/status")
    ids = {k: v.split() for k, _, v in
           (line.partition(":") for line in status.splitlines())}
    check(ids["Uid"] == ["10002"] * 4 and ids["Gid"] == [str(gid)] * 4,
          f"uid 10002, gid {gid} (the socket's group on myvm1)")
    check(ids["CapEff"] == ["0000000000000000"] and
          ids["NoNewPrivs"] == ["1"], "no capabilities, no-new-privileges")


def test_status_and_down():
    step("./stack status and ./stack down")
    rc, out = stack_cmd(S["vm1"], "status")
    check(rc == 0 and f"{STACK}_web" in out and "5/5" in out,
          "status lists the services (web 5/5)")
    rc, out = stack_cmd(S["vm1"], "down")
    check(rc == 0, "./stack down exits 0")
    check(not S["vm1"].run("service", "ls", "-q"), "no service is left")


def test_clean_up():
    step("remove the nodes, their network and the test's images")
    swarmnodes.cleanup()
    check(not HOST.run("ps", "-aq", "--filter", f"name={RUN}"),
          "no container of this run remains")
    check(not HOST.run("network", "ls", "-q", "--filter", f"name={RUN}"),
          "no network of this run remains")
    check(not HOST.run("images", "-q", f"{RUN}/*"),
          "no image of this run remains")


if __name__ == "__main__":
    try:
        tests = [test_nodes,
                 test_stack_up_on_a_fresh_engine,
                 test_worker_joins,
                 test_images_missing_on_the_worker,
                 test_stack_on_two_nodes,
                 test_status_and_down]
        if not swarmnodes.keep():
            tests.append(test_clean_up)
        run(common.story(tests))
    except TestFailure:
        raise
    finally:
        if not swarmnodes.keep():
            swarmnodes.cleanup()
