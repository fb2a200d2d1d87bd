#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end, on one node: the Part 5 stack with Redis, built from this
repository, on this machine's engine in swarm mode.

The story: build the three images from the Dockerfiles; prepare the data
directory with redis-bootstrap prepare; deploy the tutorial's Part 5 +
Redis file (as its IPVS-less variant, see variant.py); every service
converges; the page comes from several replicas and counts one per
request; the visualizer shows the node and the 7 tasks; the count
survives docker stack rm and a new deploy, and a docker kill of Redis
(losing at most its last 2 s, appendfsync everysec); a rolling update of
web fails no request, each old task leaving DNS at least 1 s before its
SIGTERM.

The engine is shared: every name carries this run's prefix (common.RUN),
the data directory is a temporary one, never /home/docker/data, and
everything is removed at the end (PART5_E2E_KEEP=1 keeps it).
"""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import swarmnodes  # noqa: E402
from common import HOST, RUN  # noqa: E402
from swarmnodes import note  # noqa: E402
from part5test import check, step, wait_until  # noqa: E402

STACK = RUN
S = {}  # what one step hands to the next


def test_images_build_from_the_dockerfiles():
    S["images"] = common.build_images()
    step("the client image (python3 and probe.py)")
    S["client_image"] = swarmnodes.client_image(RUN)
    swarmnodes.on_cleanup(HOST.run, "rmi", S["client_image"])


def test_swarm_and_preflight():
    state, control = HOST.swarm_state()
    step(f"this engine's swarm state: {state}, manager: {control}")
    if state == "inactive":
        out = HOST.run("swarm", "init", "--advertise-addr", "127.0.0.1",
                       check_rc=False)
        check("already part of a swarm" in out or
              HOST.swarm_state()[0] == "active", "docker swarm init")
    check(HOST.swarm_state() == ["active", "true"], "a swarm manager")
    common.ipvs_note()

    step("the stack file: compose/docker-compose.part5-redis.yml, IPVS-less "
         "variant, our test images, a temporary data directory")
    tmp = tempfile.mkdtemp(prefix=f"{RUN}-")
    swarmnodes.on_cleanup(shutil.rmtree, tmp, True)
    S["data"] = os.path.join(tmp, "data")
    images = {common.shipped_ref(n): ref for n, ref in S["images"].items()}
    S["file"] = common.write_variant("docker-compose.part5-redis.yml",
                                     images,
                                     {"/home/docker/data": S["data"]})
    check(not os.path.exists(S["data"]),
          f"the data directory {S['data']} does not exist yet (as on a "
          f"fresh manager)")

    step("redis-bootstrap prepare, from the redis image, with the host's "
         "root mounted (what ./stack up runs)")
    d = os.path.dirname(S["file"])
    uid, gid = common.image_user(S["images"]["redis"], "redis")
    node = HOST.run("info", "--format", "{{.Name}}")
    out = HOST.run("run", "--rm", "--network", "none", "-v", "/:/host",
                   "-v", f"{d}:/compose:ro", S["images"]["redis"],
                   "prepare", "--host-root", "/host", "--role", "manager",
                   "--hostname", node, "--owner", f"{uid}:{gid}", "-f",
                   "/compose/" + os.path.basename(S["file"]))
    print("    " + out.replace("\n", "\n    "), flush=True)
    check(os.path.isdir(S["data"]), "it created the data directory")
    st = os.stat(S["data"])
    check((st.st_uid, st.st_gid) == (uid, gid),
          f"owned by the image's redis user ({st.st_uid}:{st.st_gid})")


def deploy():
    HOST.run("stack", "deploy", "--resolve-image", "never", "-c", S["file"],
             STACK, timeout=120)
    return HOST.wait_converged(STACK, {"web": 5, "visualizer": 1,
                                       "redis": 1}, timeout=180)


def test_deploy_converges():
    step(f"docker stack deploy -c {os.path.basename(S['file'])} {STACK}")
    swarmnodes.on_cleanup(HOST.stack_rm, STACK)
    secs = deploy()
    note(f"web 5/5, visualizer 1/1, redis 1/1 after {secs:.1f}s")
    S["client"] = common.Client(S["client_image"], f"{STACK}_webnet")


def test_page_load_balanced_and_counting():
    step("30 requests to http://web/ from a container on the stack's "
         "network")
    recs = S["client"].get("http://web/", 30)
    visits = common.check_counts_consecutive(recs, "web")
    check(all(r.get("name") == "World" for r in recs),
          "the tutorial's page: Hello World!")
    hosts = {r["host"] for r in recs}
    tasks = set(HOST.run("ps", "--filter",
                         f"label=com.docker.swarm.service.name={STACK}_web",
                         "--format", "{{.ID}}").split())
    check(len(hosts) >= 3, f"{len(hosts)} distinct hostnames: "
          f"{sorted(hosts)}")
    check(hosts <= tasks, "each hostname is a web task's container ID")
    S["last"] = visits[-1]


def test_visualizer_shows_node_and_tasks():
    step("GET http://visualizer:8080/api/state")
    state = S["client"].fetch_json("http://visualizer:8080/api/state")
    node = HOST.run("info", "--format", "{{.Name}}")
    check(state.get("swarm") is True, "swarm: true")
    nodes = {n["hostname"]: n for n in state["nodes"]}
    check(node in nodes, f"the node {node} is shown "
          f"({nodes[node]['role']}, {nodes[node]['status']})")
    ours = [t for t in nodes[node]["tasks"] if t.get("stack") == STACK and
            t.get("desired_state") == "running"]
    by = {}
    for t in ours:
        by.setdefault(t["service"][len(STACK) + 1:], []).append(t)
    check(len(ours) == 7 and all(t["state"] == "running" for t in ours),
          "all 7 tasks, running: " + ", ".join(
              f"{k} x{len(v)}" for k, v in sorted(by.items())))
    check(sorted(by) == ["redis", "visualizer", "web"] and
          len(by["web"]) == 5, "web x5, visualizer, redis")

    step("what each service's process runs as (/proc of its container)")
    gid = os.stat("/var/run/docker.sock").st_gid
    want = {"web": ("10001", "10001"), "visualizer": ("10002", str(gid)),
            "redis": ("999", "999")}
    for svc, (uid, g) in want.items():
        cid = HOST.run("ps", "-q", "--filter",
                       f"label=com.docker.swarm.service.name={STACK}_{svc}")
        pid = HOST.run("inspect", "--format", "{{.State.Pid}}",
                       cid.split()[0])
        with open(f"/proc/{pid}/status") as f:
            ids = {k: v.split() for k, _, v in
                   (line.partition(":") for line in f.read().splitlines())}
        check(ids["Uid"] == [uid] * 4 and ids["Gid"] == [g] * 4 and
              ids["CapEff"] == ["0000000000000000"],
              f"{svc}: uid {uid}, gid {g}, no capabilities")


def test_count_survives_stack_rm_and_deploy():
    step(f"docker stack rm {STACK}, then deploy again")
    HOST.stack_rm(STACK)
    check(os.path.isdir(S["data"]) and os.listdir(S["data"]),
          f"the data directory kept Redis' files: "
          f"{sorted(os.listdir(S['data']))}")
    secs = deploy()
    note(f"converged again after {secs:.1f}s")
    recs = S["client"].get("http://web/", 5)
    visits = common.check_counts_consecutive(recs, "after redeploy")
    check(visits[0] == S["last"] + 1,
          f"the count continues: {S['last']} -> {visits[0]}")
    S["last"] = visits[-1]


def test_redis_killed_restarts_and_keeps_count():
    svc = f"{STACK}_redis"
    old = HOST.run("ps", "-q", "--filter",
                   f"label=com.docker.swarm.service.name={svc}")
    step("a stream of requests; docker kill of the Redis container")
    stream = S["client"].start_stream("http://web/", 90)
    time.sleep(4)
    t_kill = time.time()
    HOST.run("kill", old)
    note(f"killed {old[:12]} at +4 s")

    def back():
        reps = HOST.service_replicas(STACK)
        cur = HOST.run("ps", "-q", "--filter",
                       f"label=com.docker.swarm.service.name={svc}")
        return reps.get(svc) == (1, 1) and cur and cur != old and cur
    new = wait_until(back, 90, interval=0.5, what="the swarm to restart "
                     "Redis")
    t_back = time.time()
    note(f"the swarm started a new Redis task ({new[:12]}) "
          f"{t_back - t_kill:.1f}s later")
    time.sleep(4)
    recs = S["client"].finish(stream)
    check(all(r.get("ok") for r in recs),
          f"{len(recs)} requests during the stream, every one 200")
    # The outage: from the first page without a count to the last one.
    down = [i for i, r in enumerate(recs)
            if not isinstance(r.get("visits"), int)]
    check(down, f"{len(down)} pages said 'counter disabled' while Redis "
          f"was away")
    before = [r for r in recs[:down[0]] if isinstance(r.get("visits"), int)]
    after = recs[down[-1] + 1:]
    check(before and after and
          all(isinstance(r.get("visits"), int) for r in after),
          f"{len(before)} counted before the outage, {len(after)} after")
    t_down = recs[down[0]]["t"]
    # The stack's Redis runs appendfsync everysec: a write normally reaches
    # the kernel before Redis answers, so a SIGKILL loses nothing, but
    # while an fsync is slow Redis postpones its writes for up to 2 s and
    # answers meanwhile: those increments a kill loses (README, "What was
    # lost"). The count never goes back further than that.
    last_2s = [r for r in before if r["t"] >= t_down - 2.0]
    lost = before[-1]["visits"] - (after[0]["visits"] - 1)
    check(lost <= len(last_2s),
          f"the count went from {before[-1]['visits']} to "
          f"{after[0]['visits']}: {max(lost, 0)} increment(s) lost; at most "
          f"the last 2 s of requests ({len(last_2s)}) may be "
          f"(appendfsync everysec)")
    print(f"RESULT e2e-redis-kill lost={max(lost, 0)} "
          f"last_2s={len(last_2s)}", flush=True)
    if lost < 0:
        note(f"{-lost} INCR(s) ran in Redis without their answer reaching "
             f"a page (the page said 'counter disabled')")
    steps = {b["visits"] - a["visits"] for a, b in zip(after, after[1:])}
    check(steps <= {1}, "after the restart the count goes +1 per request")
    outage = after[0]["t"] - t_down
    check(outage < 30, f"the counter was away {outage:.1f}s (swarm's "
          f"restart delay, Redis start, health check)")


def test_rolling_update_fails_no_request():
    svc = f"{STACK}_web"
    step(f"a stream of requests; docker service update --force {svc}")
    stream = S["client"].start_stream("http://web/", 240)
    watch = S["client"].start_watch("web", 240)
    events = swarmnodes.subprocess.Popen(
        ["docker", "events", "--filter", f"service={svc}", "--filter",
         "event=kill", "--format", "{{.Actor.ID}} {{.TimeNano}}"],
        stdout=swarmnodes.subprocess.PIPE, text=True)
    time.sleep(2)
    HOST.run("service", "update", "--detach", "--force", "--quiet", svc)
    secs = common.wait_update(HOST, svc)
    note(f"rolling update done in {secs:.1f}s")
    time.sleep(2)
    events.terminate()
    first_kill = {}
    for line in events.communicate(timeout=10)[0].splitlines():
        cid, nano = line.split()
        first_kill.setdefault(cid, int(nano) / 1e9)
    kills = sorted(first_kill.values())
    recs = S["client"].finish(stream)
    dns = S["client"].finish(watch)
    failed = [r for r in recs if not r.get("ok")]
    refused = [r for r in recs if r.get("refused")]
    check(len(recs) > 100, f"{len(recs)} requests during the update")
    check(not failed, f"none failed (max {max(r['ms'] for r in recs):.0f} "
          f"ms; {len(refused)} had to try a second address)"
          + (f": {failed[:5]}" if failed else ""))
    hosts = {r["host"] for r in recs if "host" in r}
    check(len(hosts) >= 6, f"{len(hosts)} different replicas answered "
          f"(old and new)")
    # When did each old task leave DNS, relative to its SIGTERM?
    removals = []
    for a, b in zip(dns, dns[1:]):
        if set(a["addrs"]) - set(b["addrs"]):
            removals.append(b["t"])
    gaps = []
    for k in kills:
        prior = [t for t in removals if t <= k]
        if prior:
            gaps.append(k - prior[-1])
    # What makes the update lossless for clients that connect afresh:
    # swarm takes a task out of DNS, then waits before its SIGTERM.
    check(len(kills) == 5 and len(gaps) == 5 and min(gaps) >= 1.0,
          f"each of the 5 old tasks left DNS {min(gaps or [0]):.2f}-"
          f"{max(gaps or [0]):.2f}s before its SIGTERM (at least 1 s)")
    print(f"RESULT e2e-rolling-update dns_before_sigterm_s={min(gaps):.2f}-"
          f"{max(gaps):.2f}", flush=True)
    # The count: +1 per request across the update.
    visits = [r["visits"] for r in recs if isinstance(r.get("visits"), int)]
    check(len(visits) == len(recs) and
          {b - a for a, b in zip(visits, visits[1:])} <= {1},
          "the count went +1 per request throughout")


def test_clean_up():
    step(f"docker stack rm {STACK} and the test's images")
    HOST.stack_rm(STACK)
    swarmnodes.cleanup()
    common.nothing_left(RUN, "container", "network", "image")


if __name__ == "__main__":
    common.main([test_images_build_from_the_dockerfiles,
                 test_swarm_and_preflight,
                 test_deploy_converges,
                 test_page_load_balanced_and_counting,
                 test_visualizer_shows_node_and_tasks,
                 test_count_survives_stack_rm_and_deploy,
                 test_redis_killed_restarts_and_keeps_count,
                 test_rolling_update_fails_no_request],
                test_clean_up)
