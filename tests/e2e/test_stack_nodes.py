#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end, on two nodes made by ./stack nodes: the tutorial's myvm1
(manager) and myvm2 (worker) as Docker engines in containers, driven only
through ./stack, as the README tells a learner to.

The story:
  0. This machine's engine is a swarm manager of its own (made one if it
     is not, as test_stack_one_node.py does): the case of a user who ran
     ./stack up on one machine first.
  1. Safety first: bad input (a count out of range, a malformed --publish
     or --subnet, a node that does not exist, up --on without nodes), a
     container of someone else's with a node's name, a port taken on this
     machine: ./stack says so, makes nothing and touches nothing.
  2. ./stack nodes up --publish=...: two engines by default, a swarm
     (Part 4) that this machine's engine is not in, /home/docker/data on
     myvm1; nodes ls, nodes exec, nodes env; nodes up 2 again changes
     nothing.
  3. ./stack up --nodes: the images are built on this machine's engine,
     copied to both nodes, the stack deployed on myvm1: the visualizer and
     Redis on myvm1, web on both; a client on each node gets pages from
     tasks on both nodes with one shared count; the visualizer shows both
     nodes; a port of myvm1 published on this machine answers. A stack
     publishing port 80 in host mode (no IPVS needed), with up --on myvm1:
     one URL per node address, each answering this machine (Linux).
  4. Node failure: nodes stop myvm2 moves its web tasks to myvm1 within
     60 s while the count keeps going up; nodes start myvm2; the tasks
     spread again (docker service update --force); nodes drain myvm2
     empties it, nodes active undoes it.
  5. A worker without the images: ./stack up --nodes --no-build shows the
     tasks' error (No such image) and says to copy the images.
  6. An engine that is not ours joins the nodes' swarm: nodes down refuses
     and touches nothing. Once it has left: nodes down removes every
     container, network and volume but the Redis data, which --purge
     removes too (listed before and after).
  7. Where a node's socket cannot be on this machine (Docker Desktop;
     forced with PART5_NODES_SOCKET=0), a one-node set: ./stack up, status
     and down --nodes run ./stack inside myvm1.
Throughout, this machine's engine stays in exactly the swarm state it was
in (compared before and after): nodes runs no swarm command on it.

Without IPVS (these machines) the stack file is the IPVS-less variant of
compose/docker-compose.part5-redis.yml (see variant.py), and requests come
from client containers on the stack's attachable overlay network, one per
node. The engine is shared: PART5_NODES_PREFIX gives every container,
volume and network this run's prefix, and the socket directory is a
temporary one. The images ./stack up --nodes builds carry their shipped
names (part5/...:VERSION) on this engine, as they would for a user; the
node image (part5/node) is kept as a cache, like debian:bookworm-slim.
The test stops itself after DEADLINE seconds (below ctest's TIMEOUT) and
removes what it made in every case.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import swarmnodes  # noqa: E402
from common import HOST, RUN  # noqa: E402
from part5test import (  # noqa: E402
    SOURCE, TestFailure, check, free_port, http_get, run, step, wait_until)
from swarmnodes import Docker, note  # noqa: E402

STACK = "getstartedlab"
PREFIX = f"{RUN}-"
RUNDIR = tempfile.mkdtemp(prefix=f"{RUN}-nodes-")
LABEL = f"part5.nodes.set={PREFIX}"
# Our own deadline, below the TIMEOUT tests/stack.cmake gives ctest (the
# variable, to check that a timed-out run still removes what it made).
DEADLINE = int(os.environ.get("PART5_NODES_E2E_DEADLINE", "1150"))
S = {}


def stack(*args, timeout=300, expect=0, prefix=PREFIX, env=None):
    """Runs ./stack ARGS with this run's node prefix and socket directory
    (and ENV); prints its output indented; checks that it exits 0 (or,
    with expect="fail", that it does not); returns the output."""
    env = dict(os.environ, PART5_NODES_PREFIX=prefix,
               PART5_NODES_RUNDIR=RUNDIR, **(env or {}))
    env.pop("DOCKER_HOST", None)
    print(f"    $ ./stack {' '.join(args)}", flush=True)
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(SOURCE, "stack"), *args], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    secs = time.monotonic() - t0
    print("      | " + r.stdout.rstrip().replace("\n", "\n      | "),
          flush=True)
    if expect == "fail":
        check(r.returncode != 0, f"it fails (exit {r.returncode}, "
              f"{secs:.1f}s)")
    else:
        check(r.returncode == 0, f"exit 0 ({secs:.1f}s)")
    S.setdefault("timings", {})[" ".join(args[:2])] = secs
    return r.stdout


class NodeEngine(Docker):
    """One of our nodes: its engine through its socket on this machine,
    and a shell in its container."""

    def __init__(self, hostname):
        self.hostname = hostname
        self.container = PREFIX + hostname
        self.sock = os.path.join(RUNDIR, PREFIX, hostname, "docker.sock")
        super().__init__(f"unix://{self.sock}", hostname)

    def sh(self, cmd, timeout=60, check_rc=True):
        return HOST.run("exec", self.container, "sh", "-c", cmd,
                        timeout=timeout, check_rc=check_rc)


def ours(prefix=PREFIX):
    """Every container, volume and network of this run on this engine
    (by our label or our prefix), as sorted "kind name" strings."""
    found = set()
    label = f"part5.nodes.set={prefix}"
    for kind, cmd in (("container", ["ps", "-a", "--format", "{{.Names}}"]),
                      ("volume", ["volume", "ls", "--format", "{{.Name}}"]),
                      ("network", ["network", "ls", "--format",
                                   "{{.Name}}"])):
        for flt in (f"label={label}", f"name={prefix}"):
            out = HOST.run(*cmd[:-2], "--filter", flt, *cmd[-2:])
            found |= {f"{kind} {n}" for n in out.split()
                      if kind != "container" or n.startswith(prefix)}
    return sorted(found)


def host_swarm():
    return HOST.run("info", "--format",
                    "{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} "
                    "{{.Swarm.ControlAvailable}} {{.Swarm.Nodes}}")


def nodes_ls():
    """./stack nodes ls as {node: {column: value}}."""
    out = stack("nodes", "ls")
    S["ls"] = out
    lines = [line for line in out.splitlines() if line.strip()]
    head = lines[0].split()
    rows = {}
    for line in lines[1:]:
        parts = line.split(None, len(head) - 1)
        if len(parts) == len(head):
            rows[parts[0]] = dict(zip(head, parts))
    return rows


def web_where(vm1):
    """{node: number of running web tasks} as the manager sees it."""
    out = vm1.run("service", "ps", "--filter", "desired-state=running",
                  "--format", "{{.Node}} {{.CurrentState}}",
                  f"{STACK}_web")
    where = {}
    for line in out.splitlines():
        node, state = line.split()[:2]
        if state == "Running":
            where[node] = where.get(node, 0) + 1
    return where


def test_before():
    step("what this machine's engine holds before: its swarm state, and "
         "nothing of this run")
    # A user's engine may be in a swarm of its own (./stack up on one
    # machine makes it one): the case the issue names. Made one here if
    # it is not, as test_stack_one_node.py does (never left: shared).
    if HOST.swarm_state()[0] == "inactive":
        HOST.run("swarm", "init", "--advertise-addr", "127.0.0.1",
                 check_rc=False)
    check(HOST.swarm_state() == ["active", "true"],
          "this engine is a swarm manager of its own")
    S["swarm_before"] = host_swarm()
    S["host_cluster"] = HOST.run("info", "--format",
                                 "{{.Swarm.Cluster.ID}}")
    note(f"swarm state: {S['swarm_before']}")
    check(ours() == [], "no container, volume or network of this run")
    common.ipvs_note()
    step("the client image (python3, probe.py), for requests from inside "
         "the stack's network")
    swarmnodes.base_image()
    S["client_image"] = swarmnodes.client_image(RUN)
    swarmnodes.on_cleanup(HOST.run, "rmi", S["client_image"])


def test_bad_input_makes_nothing():
    step("bad input: a clear error, and nothing is made")
    for args, says in (
            (("nodes", "up", "0"), "from 1 to 9 nodes"),
            (("nodes", "up", "10"), "from 1 to 9 nodes"),
            (("nodes", "up", "--publish=80"), "expected HOST:NODE port "
             "pairs"),
            (("nodes", "up", "--publish=80:99999"), "expected HOST:NODE "
             "port pairs"),
            (("nodes", "up", "--subnet", "10.0.0.0/30"), "at least 8 "
             "addresses"),
            (("nodes", "exec", "myvm0", "true"), "no node 'myvm0'"),
            (("nodes", "stop", "myvm2"), "no node myvm2 (no container"),
            (("nodes", "ls"), "no nodes (./stack nodes up makes them)"),
            (("up", "--on", "myvm3"), "no nodes: make them first"),
            (("status", "--nodes"), "no nodes: make them first"),
            (("nodes", "frobnicate"), "unknown nodes command")):
        out = stack(*args, expect=0 if args == ("nodes", "ls") else "fail")
        check(says in out, f"./stack {' '.join(args)}: {says!r}")
    check(ours() == [], "no container, volume or network was made")
    check(host_swarm() == S["swarm_before"],
          "this engine's swarm state is unchanged")


def test_someone_elses_myvm1_is_left_alone():
    step(f"a container named {PREFIX}myvm1 that is not ours")
    imp = f"{PREFIX}myvm1"
    HOST.run("run", "-d", "--name", imp, "--network", "none",
             "debian:bookworm-slim", "sleep", "600")
    swarmnodes.on_cleanup(HOST.run, "rm", "-f", imp)
    cid = HOST.run("inspect", "--format", "{{.Id}}", imp)
    out = stack("nodes", "up", "2", expect="fail")
    check(f"a container named {imp} exists and was not made by" in out and
          "nothing was changed" in out, "it names the container, and says "
          "nothing was changed")
    out = stack("nodes", "stop", "myvm1", expect="fail")
    check("was not made by ./stack nodes" in out, "nodes stop refuses it")
    out = stack("nodes", "down")
    check("nothing to remove" in out, "nodes down finds nothing of its own")
    check(HOST.run("inspect", "--format", "{{.Id}} {{.State.Running}}",
                   imp) == f"{cid} true",
          "the container is the same one, still running")
    check(ours() == [f"container {imp}"], "nothing else was made")
    HOST.run("rm", "-f", imp)

    step("a port of this machine taken (by a container publishing it)")
    S["p80"], S["p8080"] = free_port(), free_port()
    holder = f"{PREFIX}holder"
    HOST.run("run", "-d", "--name", holder, "--network", "bridge", "-p",
             f"127.0.0.1:{S['p8080']}:80", "debian:bookworm-slim", "sleep",
             "600")
    swarmnodes.on_cleanup(HOST.run, "rm", "-f", holder)
    out = stack("nodes", "up", "2",
                f"--publish={S['p80']}:80,{S['p8080']}:8080", expect="fail")
    check(f"port {S['p8080']} on this machine is taken: the container "
          f"{holder} publishes it" in out, "it names the port and who "
          "holds it")
    check(ours() == [f"container {holder}"], "nothing was made")
    HOST.run("rm", "-f", holder)
    check(host_swarm() == S["swarm_before"],
          "this engine's swarm state is unchanged")


def test_nodes_up():
    step("./stack nodes up, two nodes by default (Part 4: docker-machine "
         "create myvm1, myvm2; swarm init; swarm join)")
    out = stack("nodes", "up",
                f"--publish={S['p80']}:80,{S['p8080']}:8080", timeout=900)
    S["vm1"], S["vm2"] = NodeEngine("myvm1"), NodeEngine("myvm2")
    vm1, vm2 = S["vm1"], S["vm2"]
    names = HOST.run("ps", "-a", "--filter", f"label={LABEL}", "--format",
                     "{{.Names}}").split()
    check(sorted(names) == [vm1.container, vm2.container],
          f"two node containers, myvm1 and myvm2 ({names})")
    check("this engine is itself in a swarm (active): the nodes make a "
          "swarm of their own, and this one is left alone" in out,
          "it says this engine's own swarm is left alone")
    for vm in (vm1, vm2):
        vm.ip = HOST.run("inspect", "--format",
                         "{{range .NetworkSettings.Networks}}{{.IPAddress}}"
                         "{{end}}", vm.container)
    check(vm1.ip in out and vm2.ip in out,
          f"it printed both addresses ({vm1.ip}, {vm2.ip})")
    labels = HOST.json("inspect", vm1.container)[0]["Config"]["Labels"]
    check(labels.get("part5.nodes.set") == PREFIX and
          labels.get("part5.nodes.role") == "manager",
          "myvm1's container carries our label and its role")
    rows = nodes_ls()
    check(rows["myvm1"]["ROLE"] == "manager" and
          rows["myvm2"]["ROLE"] == "worker" and
          all(rows[n]["SWARM"] == "ready" and rows[n]["CONTAINER"] ==
              "running" for n in ("myvm1", "myvm2")),
          "nodes ls: myvm1 manager, myvm2 worker, both running and ready")
    out = stack("nodes", "exec", "myvm1", "docker node ls --format "
                "'{{.Hostname}} {{.Status}} {{.ManagerStatus}}'")
    check(sorted(out.split("\n")[:2]) == ["myvm1 Ready Leader",
                                          "myvm2 Ready "],
          "nodes exec myvm1 \"docker node ls\" (docker-machine ssh)")
    out = stack("nodes", "env", "myvm1")
    check(f"export DOCKER_HOST=unix://{vm1.sock}" in out,
          "nodes env myvm1 prints DOCKER_HOST for its socket")
    check(vm1.swarm_state() == ["active", "true"] and
          vm2.swarm_state() == ["active", "false"],
          "through the sockets: myvm1 a manager, myvm2 a worker")
    subnet = HOST.run("network", "inspect", "--format",
                      "{{range .IPAM.Config}}{{.Subnet}}{{end}}",
                      f"{PREFIX}part5-nodes")
    cidrs = vm2.json("info", "--format",
                     "{{json .RegistryConfig.InsecureRegistryCIDRs}}")
    check(subnet in cidrs, f"the nodes accept plain-HTTP registries on "
          f"their network ({subnet}; {cidrs})")
    check(vm1.sh("test -d /home/docker/data && echo yes") == "yes",
          "myvm1 has /home/docker/data")
    check(host_swarm() == S["swarm_before"],
          "this engine's swarm state is unchanged")
    host_id = HOST.run("info", "--format", "{{.Swarm.NodeID}}")
    members = vm1.run("node", "ls", "--format", "{{.ID}}").split()
    check(len(members) == 2 and host_id not in members and
          vm1.run("info", "--format", "{{.Swarm.Cluster.ID}}") !=
          S["host_cluster"], "this engine is not a member of the nodes' "
          "swarm (another cluster, two members)")

    step("./stack nodes up 2 again: it makes nothing new")
    ids = HOST.run("ps", "-aq", "--no-trunc", "--filter", f"label={LABEL}")
    out = stack("nodes", "up", "2", timeout=300)
    check("myvm1 runs" in out and "myvm2 is a member" in out and
          vm1.ip in out and vm2.ip in out,
          "both run, myvm2 is a member; the addresses printed again")
    check(HOST.run("ps", "-aq", "--no-trunc", "--filter",
                   f"label={LABEL}") == ids, "the same two containers")

    step("up and status --on myvm2: a worker cannot deploy; said at once")
    for args in (("up", "--on", "myvm2"), ("status", "--on", "myvm2")):
        out = stack(*args, expect="fail")
        check("myvm2 is a worker of the nodes' swarm" in out and
              "./stack up --nodes" in out and "Building" not in out,
              f"{' '.join(args)}: it says to use the manager, before "
              "building anything")


def test_up_on_the_nodes():
    step("./stack up --nodes (Part 5: eval $(docker-machine env myvm1); "
         "docker stack deploy), IPVS-less variant")
    S["file"] = common.write_variant("docker-compose.part5-redis.yml")
    out = stack("up", "--nodes", "-c", S["file"], "--timeout", "240",
                timeout=2400)
    vm1, vm2 = S["vm1"], S["vm2"]
    check(re.search(r"part5/hello:\S+: copied to myvm1 \(\d+s\) myvm2", out)
          or "part5/hello" in out and "already on every node" in out,
          "the images were built here and copied to both nodes")
    check("converged after" in out, "it waited until the stack converged")
    # The variant publishes no port, so no URL on the nodes' addresses:
    # only the ports nodes up --publish put on this machine.
    check("publishes no port: reach it from a container" in out,
          "it says the variant publishes no port")
    check(f"http://localhost:{S['p80']}/" in out and
          f"http://localhost:{S['p8080']}/" in out,
          "and the URLs published on this machine")
    for vm in (vm1, vm2):
        for name in common.IMAGES:
            check(vm.image_exists(common.shipped_ref(name)),
                  f"{vm.hostname} has {common.shipped_ref(name)}")
    stack("nodes", "load", S["client_image"])
    uid, gid = common.image_user(common.shipped_ref("redis"), "redis", vm1)
    owner = vm1.sh("stat -c %u:%g /home/docker/data")
    check(owner == f"{uid}:{gid}", f"the preflight ran on myvm1: "
          f"/home/docker/data owned by redis ({owner})")

    step("where the tasks run (docker stack ps, on myvm1)")
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
    rows = nodes_ls()
    check("getstartedlab_redis" in rows["myvm1"]["TASKS"] and
          "getstartedlab_web" in rows["myvm2"]["TASKS"],
          "nodes ls shows what runs where")


def test_page_from_both_nodes():
    vm1, vm2 = S["vm1"], S["vm2"]
    net = f"{STACK}_webnet"
    step("requests from a client on myvm1, then one on myvm2")
    hosts, last = set(), None
    for vm in (vm1, vm2):
        recs = common.Client(S["client_image"], net, docker=vm).get(
            "http://web/", 20)
        visits = common.check_counts_consecutive(recs, f"from {vm.hostname}")
        if last is not None:
            check(visits[0] == last + 1, f"one shared count: {last} -> "
                  f"{visits[0]}")
        last = visits[-1]
        hosts |= {r["host"] for r in recs}
    S["last"] = last
    label = f"label=com.docker.swarm.service.name={STACK}_web"
    on1 = set(vm1.run("ps", "--filter", label, "--format", "{{.ID}}")
              .split())
    on2 = set(vm2.run("ps", "--filter", label, "--format", "{{.ID}}")
              .split())
    check(hosts & on1 and hosts & on2,
          f"pages came from tasks on both nodes ({len(hosts & on1)} on "
          f"myvm1, {len(hosts & on2)} on myvm2)")


def test_visualizer_shows_both_nodes():
    vm1 = S["vm1"]
    step("the visualizer's /api/state")
    state = common.Client(S["client_image"], f"{STACK}_webnet",
                          docker=vm1).fetch_json(
        "http://visualizer:8080/api/state")
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


def test_published_port_answers():
    vm1 = S["vm1"]
    step(f"myvm1's port 80 published on 127.0.0.1:{S['p80']} (nodes up "
         "--publish, for Docker Desktop)")
    # On a host with IPVS, myvm1's port 80 is the swarm's routing mesh.
    # Here it cannot route, so a hello in myvm1's own network namespace
    # (--network host) stands in for it: the path from this machine's
    # port to myvm1's is what is tested.
    name = f"{RUN}-pub"
    vm1.run("run", "-d", "--name", name, "--network", "host",
            common.shipped_ref("hello"))
    swarmnodes.on_cleanup(vm1.run, "rm", "-f", name)

    def page():
        try:
            r = http_get(S["p80"], "/", timeout=2)
            return r if r.status == 200 else None
        except OSError:
            return None
    r = wait_until(page, 20, interval=0.3,
                   what=f"http://127.0.0.1:{S['p80']}/")
    check("Hello World!" in r.text and "<b>Hostname:</b> myvm1" in r.text,
          f"http://127.0.0.1:{S['p80']}/ is myvm1's port 80: "
          f"{r.text[:80]!r}")
    vm1.run("rm", "-f", name)


URLS_STACK = "nodeurls"
URLS_FILE = """\
version: "3.8"
services:
  web:
    image: {image}
    deploy:
      mode: global
      endpoint_mode: dnsrr
    ports:
      - target: 80
        published: 80
        protocol: tcp
        mode: host
"""


def test_urls_one_per_node():
    vm1, vm2 = S["vm1"], S["vm2"]
    step("./stack up --on myvm1 with a port published on every node "
         "(mode: host, which needs no IPVS): one URL per node address, "
         "each answering this machine")
    d = tempfile.mkdtemp(prefix=f"{RUN}-urls-")
    swarmnodes.on_cleanup(shutil.rmtree, d, True)
    path = os.path.join(d, "urls.yml")
    with open(path, "w") as f:
        f.write(URLS_FILE.format(image=common.shipped_ref("hello")))
    out = stack("up", "--on", "myvm1", "--no-build", "-c", path, "-n",
                URLS_STACK, "--timeout", "120", timeout=300)
    line = next((x for x in out.splitlines()
                 if x.strip().startswith("the hello page")), "")
    check(f"http://{vm1.ip}/" in line and f"http://{vm2.ip}/" in line and
          "localhost" not in line,
          f"one URL per node address: {line.strip()!r}")
    check("(mode: host: only on the nodes that run a task)" in out,
          "and says the port is on the nodes that run a task")
    pages = {}
    for vm in (vm1, vm2):
        def page():
            try:
                r = http_get(80, "/", host=vm.ip, timeout=3)
                return r if r.status == 200 else None
            except OSError:
                return None
        r = wait_until(page, 30, interval=0.5,
                       what=f"http://{vm.ip}/ from this machine")
        host = re.search(r"<b>Hostname:</b> ([^<\s]+)", r.text)
        check(host, f"http://{vm.ip}/ answers this machine: the hello page")
        pages[vm.hostname] = host.group(1)
        label = f"label=com.docker.swarm.service.name={URLS_STACK}_web"
        here = vm.run("ps", "--filter", label, "--format", "{{.ID}}")
        check(here and pages[vm.hostname].startswith(here[:12]),
              f"served by the task on {vm.hostname} ({here[:12]})")
    out = stack("status", "--on", "myvm1", "-n", URLS_STACK)
    check(f"{URLS_STACK}_web" in out, "status --on myvm1 lists it")
    stack("down", "--on", "myvm1", "-n", URLS_STACK)
    check(not vm1.run("service", "ls", "-q", "--filter",
                      f"label=com.docker.stack.namespace={URLS_STACK}"),
          "down --on myvm1 removed it")


def test_node_stops():
    vm1 = S["vm1"]
    step("a stream of requests from myvm1; ./stack nodes stop myvm2")
    before = web_where(vm1)
    note(f"web tasks: {before}")
    check(before.get("myvm2", 0) > 0, "myvm2 runs web tasks")
    client = common.Client(S["client_image"], f"{STACK}_webnet", docker=vm1)
    stream = client.start_stream("http://web/", 150)
    time.sleep(3)
    t_stop = time.monotonic()
    stack("nodes", "stop", "myvm2")

    def moved():
        w = web_where(vm1)
        return w if w == {"myvm1": 5} else None
    wait_until(moved, 60, interval=1,
               what="the 5 web tasks to run on myvm1")
    secs = time.monotonic() - t_stop
    t_moved = time.time()
    check(secs < 60, f"the 5 web tasks run on myvm1 {secs:.1f}s after "
          f"nodes stop began")
    S["timings"]["tasks moved"] = secs
    time.sleep(3)
    recs = client.finish(stream)
    # A machine that stops drops what it was serving: a request in flight
    # on a task of myvm2 as its engine stopped may fail (as with a real
    # VM), and the pages must go on counting.
    failed = [r for r in recs if not r.get("ok")]
    good = [r for r in recs if r.get("ok")]
    visits = [r.get("visits") for r in good]
    check(len(good) > 20 and all(isinstance(v, int) for v in visits),
          f"{len(good)} pages during the failure, each with a count")
    steps = [b - a for a, b in zip(visits, visits[1:])]
    check(visits[0] >= S["last"] + 1 and all(d >= 1 for d in steps),
          f"the count still increasing: {visits[0]} .. {visits[-1]}")
    check(len(failed) <= 5 and sum(d - 1 for d in steps) <= len(failed),
          f"{len(failed)} request(s) failed (in flight on myvm2 as it "
          f"stopped), and no count was skipped but theirs"
          + (f": {[r.get('error') for r in failed]}" if failed else ""))
    after = [r for r in recs if r["t"] >= t_moved]
    check(after and all(r.get("ok") for r in after),
          f"after the move, all {len(after)} requests succeeded")
    S["last"] = visits[-1]
    note(f"slowest request {max(r['ms'] for r in recs):.0f} ms")
    rows = nodes_ls()
    check(rows["myvm2"]["CONTAINER"] == "exited" and
          rows["myvm2"]["SWARM"] == "down", "nodes ls: myvm2 exited, down")


def test_node_starts():
    vm1 = S["vm1"]
    step("./stack nodes start myvm2; then the tasks spread again")
    out = stack("nodes", "start", "myvm2", timeout=200)
    check("Ready in the swarm again" in out, "myvm2 is Ready again")
    check("docker service update --force" in out,
          "it says how to spread the tasks again")
    check(HOST.run("inspect", "--format",
                   "{{range .NetworkSettings.Networks}}{{.IPAddress}}"
                   "{{end}}", S["vm2"].container) == S["vm2"].ip,
          f"myvm2 kept its address ({S['vm2'].ip})")
    # All at once (parallelism 0): the README's plain --force replaces
    # one task after another, which takes about a minute.
    stack("nodes", "exec", "myvm1", "docker service update --force "
          "--update-parallelism 0 --detach=false --quiet getstartedlab_web",
          timeout=200)
    w = web_where(vm1)
    check(w.get("myvm2", 0) > 0 and sum(w.values()) == 5,
          f"web runs on both nodes again: {w}")


def test_drain_and_active():
    vm1 = S["vm1"]
    step("./stack nodes drain myvm2; ./stack nodes active myvm2")
    out = stack("nodes", "drain", "myvm2", timeout=200)
    check("its tasks run elsewhere now" in out, "it waited for the move")
    check(web_where(vm1) == {"myvm1": 5}, "the 5 web tasks run on myvm1")
    check(nodes_ls()["myvm2"]["AVAILABILITY"] == "drain",
          "nodes ls: myvm2 drain")
    stack("nodes", "active", "myvm2")
    check(nodes_ls()["myvm2"]["AVAILABILITY"] == "active",
          "nodes ls: myvm2 active")


def test_status_and_down_of_the_stack():
    step("./stack status --nodes; ./stack down --nodes")
    out = stack("status", "--nodes")
    check(f"{STACK}_web" in out and "5/5" in out,
          "status lists the services (web 5/5)")
    stack("down", "--nodes")
    check(not S["vm1"].run("service", "ls", "-q"), "no service is left")


def test_images_missing_on_a_worker():
    step("myvm2 loses part5/hello; ./stack up --nodes --no-build: the web "
         "tasks there fail, and ./stack says what to do")
    ref = common.shipped_ref("hello")
    S["vm2"].run("image", "rm", "-f", ref)
    out = stack("up", "--nodes", "--no-build", "-c", S["file"],
                "--timeout", "120", timeout=300, expect="fail")
    check("No such image" in out, "it shows the task's error: No such "
          "image")
    check("missing on that node" in out and "./stack up --nodes (without "
          "--no-build) copies the images to every node" in out and
          "./stack nodes load IMAGE" in out,
          "and says what to do (copy the images to every node)")
    stack("down", "--nodes")


def test_stranger_in_the_swarm_blocks_down():
    vm1 = S["vm1"]
    step("an engine that is not ours joins the nodes' swarm")
    name = f"{PREFIX}stranger"
    HOST.run("run", "-d", "--name", name, "--hostname", "stranger",
             "--network", f"{PREFIX}part5-nodes",
             "--label", f"part5-e2e={RUN}",
             "--cap-add=ALL", "--cap-drop=SYS_RESOURCE",
             "--security-opt", "seccomp=unconfined",
             "--security-opt", "apparmor=unconfined",
             "--security-opt", "systempaths=unconfined",
             "-v", "/sys/fs/cgroup:/sys/fs/cgroup", "--tmpfs", "/run",
             f"part5/node:{common.project_version()}")
    swarmnodes.on_cleanup(HOST.run, "rm", "-fv", name)
    wait_until(lambda: HOST.ok("exec", name, "docker", "info", timeout=10),
               60, interval=0.5, what="the stranger's engine")
    token = vm1.run("swarm", "join-token", "-q", "worker")
    HOST.run("exec", name, "docker", "swarm", "join", "--token", token,
             f"{vm1.ip}:2377", timeout=60)
    rows = nodes_ls()
    check(rows.get("stranger", {}).get("CONTAINER") == "-" and
          "(not made by ./stack nodes, never touched by it: stranger)"
          in S["ls"], "nodes ls shows it, as not ours")
    before = ours()
    ids = HOST.run("ps", "-aq", "--no-trunc", "--filter", f"label={LABEL}")
    out = stack("nodes", "down", expect="fail")
    check("stranger" in out and "did not make" in out and
          "Nothing was changed" in out, "nodes down refuses, naming it")
    check(ours() == before and HOST.run(
        "ps", "-q", "--no-trunc", "--filter", f"label={LABEL}") == ids,
          "every container, volume and network is still there, running")
    check("stranger" in vm1.run("node", "ls", "--format", "{{.Hostname}}"),
          "the stranger is still a member")
    step("it leaves (docker swarm leave); its record goes (docker node rm)")
    HOST.run("exec", name, "docker", "swarm", "leave", timeout=60)
    vm1.run("node", "rm", "--force", "stranger")
    HOST.run("rm", "-fv", name)


def test_nodes_down():
    step("./stack nodes down: everything but the Redis data goes")
    data = f"{PREFIX}part5-nodes-myvm1-data"
    stack("nodes", "down", timeout=300)
    check(ours() == [f"volume {data}"],
          f"no container or network of this run; one volume: {data}")
    files = HOST.run("run", "--rm", "--network", "none", "-v",
                     f"{data}:/d:ro", "debian:bookworm-slim", "sh", "-c",
                     "find /d -type f | sort")
    check("appendonly" in files, f"it holds Redis' files "
          f"({files.split()[:3]})")
    check(not os.path.exists(os.path.join(RUNDIR, PREFIX)),
          "the sockets' directory is gone")
    step("./stack nodes up 1: the new myvm1 has the kept Redis data")
    stack("nodes", "up", "1", timeout=300)
    again = S["vm1"].sh("find /home/docker/data -type f | sort")
    rel_again = [x[len("/home/docker/data"):] for x in again.split()]
    rel_kept = [x[len("/d"):] for x in files.split()]
    check(rel_again == rel_kept and "appendonly" in again,
          f"/home/docker/data holds the same files ({len(rel_kept)})")
    stack("nodes", "down", timeout=300)
    step("./stack nodes down --purge")
    out = stack("nodes", "down", "--purge")
    check(f"volume {data}: removed" in out, "it removes the data volume")
    check(ours() == [], "nothing of this run remains (as before)")
    check(host_swarm() == S["swarm_before"],
          f"this engine's swarm state is what it was: {host_swarm()}")


def test_no_socket_here_runs_stack_inside_the_node():
    step("where a node's socket cannot be on this machine (Docker Desktop: "
         "forced here with PART5_NODES_SOCKET=0), ./stack up/status/down "
         "--nodes run ./stack inside the node")
    pre, env = f"{RUN}-in-", {"PART5_NODES_SOCKET": "0"}
    stack("nodes", "up", "1", prefix=pre, env=env, timeout=600)
    mounts = HOST.run("inspect", "--format",
                      "{{range .Mounts}}{{.Destination}} {{end}}",
                      f"{pre}myvm1").split()
    check("/part5-host" not in mounts, f"no socket directory is mounted "
          f"({mounts})")
    out = stack("nodes", "env", "myvm1", prefix=pre, env=env,
                expect="fail")
    check("socket is not on this machine" in out, "nodes env says why it "
          "cannot")
    part3 = common.write_variant("docker-compose.part3.yml")
    out = stack("up", "--nodes", "-c", part3, "--timeout", "120",
                prefix=pre, env=env, timeout=1200)
    check("running ./stack inside myvm1" in out and "converged after" in
          out and "web 5/5" in out, "it deployed Part 3 from inside myvm1 "
          "and waited for web 5/5")
    out = stack("status", "--nodes", prefix=pre, env=env)
    check("5/5" in out, "status --nodes, from inside: web 5/5")
    stack("down", "--nodes", prefix=pre, env=env)
    stack("nodes", "down", "--purge", prefix=pre, env=env)
    check(ours(pre) == [], "nothing of that set remains")


def test_clean_up():
    step("the client image and temporary files (and, after a failure, "
         "the nodes)")
    remove_everything()
    check(ours() == [], "no container, volume or network of this run")
    check(not HOST.run("images", "-q", f"{RUN}/*"),
          "no image of this run remains")
    note("timings: " + json.dumps({k: round(v, 1) for k, v in
                                   S.get("timings", {}).items()}))


def remove_everything():
    """What the test made, whatever state it is in: the nodes (through
    ./stack, then by label), the strays, the temporary files."""
    swarmnodes.cleanup()
    for prefix in (PREFIX, f"{RUN}-in-"):
        env = dict(os.environ, PART5_NODES_PREFIX=prefix,
                   PART5_NODES_RUNDIR=RUNDIR)
        env.pop("DOCKER_HOST", None)
        subprocess.run([os.path.join(SOURCE, "stack"), "nodes", "down",
                        "--purge"], env=env, capture_output=True,
                       timeout=150)
        for kind in ("container", "volume", "network"):
            for obj in ours(prefix):
                k, name = obj.split(" ", 1)
                if k == kind:
                    HOST.run(*(["rm", "-fv"] if k == "container" else
                               [k, "rm"]), name, check_rc=False)
    shutil.rmtree(RUNDIR, ignore_errors=True)


def on_deadline(signum, frame):
    raise TestFailure(f"the test's own deadline ({DEADLINE}s) passed")


if __name__ == "__main__":
    signal.signal(signal.SIGALRM, on_deadline)
    signal.alarm(DEADLINE)
    try:
        tests = [test_before,
                 test_bad_input_makes_nothing,
                 test_someone_elses_myvm1_is_left_alone,
                 test_nodes_up,
                 test_up_on_the_nodes,
                 test_page_from_both_nodes,
                 test_visualizer_shows_both_nodes,
                 test_published_port_answers,
                 test_urls_one_per_node,
                 test_node_stops,
                 test_node_starts,
                 test_drain_and_active,
                 test_status_and_down_of_the_stack,
                 test_images_missing_on_a_worker,
                 test_stranger_in_the_swarm_blocks_down,
                 test_nodes_down,
                 test_no_socket_here_runs_stack_inside_the_node]
        if not swarmnodes.keep():
            tests.append(test_clean_up)
        run(common.story(tests))
    finally:
        signal.alarm(0)
        if not swarmnodes.keep():
            remove_everything()
