#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end: compose/docker-compose.prod.yml deployed once on this
machine's engine (a one-node swarm), then held to what it promises,
under keep-alive load.

The story, on one deployment:
1. the secret is created and used: hello counts through the password,
   Redis refuses a client without it, and Redis is reachable only on the
   internal backend network;
2. the counter under load: 64 keep-alive clients for 22 s through all five
   web tasks; every counted page carries a number no other page carried,
   Redis' counter grew by exactly the number of counted pages, the
   replicas' hello_visits_total add up to the same, nothing but 200;
3. rolling updates under that load: `docker service update --image` to a
   rebuilt tag, then `docker stack deploy` of a changed file: no failed
   request, no connection error or reset, every replica replaced, never
   fewer than 5 healthy web tasks (start-first);
4. an update to a tag whose health check fails (PORT=0: the process runs,
   `hello --healthcheck` exits 1) rolls back by itself, the old tasks
   serving throughout, no failed request.

What the test changes from the shipped file, and why: the IPVS-less
variant (variant.py: dnsrr, no published ports, attachable networks; see
TESTBED.md), its own image tags, a secret named after the run (the shared
engine may hold the real part5_redis_password), and, to keep CI short,
health checks every 1 s with a start_period of 3 s, an update delay of
1 s and a monitor of 5 s, instead of 5 s, 10 s, 2 s and 15 s. Parallelism
(1), order (start-first) and failure_action (rollback) are the shipped
ones: those are what is tested.

Everything carries the run's prefix and is removed at the end, also when
the test runs out of time (PART5_DEADLINE).
"""

import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import swarmnodes  # noqa: E402
from common import HOST, RUN  # noqa: E402
from part5test import (SOURCE, TestFailure, check, step,  # noqa: E402
                       wait_until)
from swarmnodes import note  # noqa: E402

STACK = RUN
WEB = f"{STACK}_web"
SECRET = f"{RUN}_redis_password"
S = {}  # what one step hands to the next

# Test-only timings (see the docstring): (shipped text, test text, count).
TUNING = [
    ("      interval: 5s\n", "      interval: 1s\n", 3),
    ("      start_period: 10s\n", "      start_period: 3s\n", 3),
    ("        delay: 2s\n        order: start-first\n",
     "        delay: 1s\n        order: start-first\n", 1),
    ("        monitor: 15s\n", "        monitor: 5s\n", 3),
    ("    name: part5_redis_password\n", f"    name: {SECRET}\n", 1),
]


def variant_file(extra_env=None):
    """The prod file's IPVS-less variant with our images and TUNING; with
    extra_env, web gets those environment variables too (a changed file
    for `docker stack deploy`)."""
    images = {common.shipped_ref(n): ref for n, ref in S["images"].items()}
    path = common.write_variant("docker-compose.prod.yml", images)
    with open(path) as f:
        text = f.read()
    for old, new, n in TUNING:
        if text.count(old) != n:
            raise TestFailure(f"the prod file changed: expected {n} x "
                              f"{old!r}; update TUNING")
        text = text.replace(old, new)
    if extra_env:
        anchor = "      REDIS_PASSWORD_FILE: /run/secrets/redis_password\n"
        i = text.index(anchor) + len(anchor)  # web's, the first
        text = text[:i] + "".join(f"      {k}: \"{v}\"\n" for k, v in
                                  extra_env.items()) + text[i:]
    with open(path, "w") as f:
        f.write(text)
    return path


def client(network, *args, timeout=120):
    """Runs load.py in a container on one of the stack's networks and
    returns its JSON lines."""
    out = HOST.run("run", "--rm", "--network", f"{STACK}_{network}",
                   S["load_image"], *args, timeout=timeout)
    return [json.loads(line) for line in out.splitlines() if line]


def redis_get(key="counter"):
    rec = client("backend", "redis", "redis", S["password"], "GET", key)[0]
    if "error" in rec:
        raise TestFailure(f"GET {key}: {rec['error']}")
    return 0 if rec["reply"] == "-1" else int(rec["reply"])


def visits_by_task(must=True):
    """{task address: hello_visits_total} of the 5 web tasks; None (or a
    TestFailure, with must) when not all 5 answer."""
    recs = client("webnet", "metrics", "web")[0]
    bad = {a: m for a, m in recs.items() if "hello_visits_total" not in m}
    if bad or len(recs) != 5:
        if must:
            raise TestFailure(f"/metrics of the 5 web tasks: {recs}")
        return None
    return {a: m["hello_visits_total"] for a, m in recs.items()}


def web_tasks():
    """{container ID: image} of the web service's running containers."""
    out = HOST.run("ps", "--filter", f"label=com.docker.swarm.service.name="
                   f"{WEB}", "--format", "{{.ID}} {{.Image}}")
    return dict(line.split() for line in out.splitlines())


class Load:
    """load.py in a detached container: keep-alive clients until stop()."""

    def __init__(self, conns, seconds=600):
        self.name = f"{RUN}-load{secrets.token_hex(2)}"
        HOST.run("run", "-d", "--name", self.name, "--network",
                 f"{STACK}_webnet", S["load_image"], "load", "web",
                 str(conns), str(seconds))
        swarmnodes.on_cleanup(HOST.run, "rm", "-f", self.name)
        wait_until(lambda: "started" in HOST.run("logs", self.name), 30,
                   what="the load client to start")

    def stop(self):
        """SIGTERM: each client finishes its request; returns the
        summary."""
        HOST.run("stop", "-t", "60", self.name, timeout=90)
        lines = HOST.run("logs", self.name).splitlines()
        HOST.run("rm", "-f", self.name)
        summary = json.loads(lines[-1])
        if "requests" not in summary:
            raise TestFailure(f"the load client ended without a summary: "
                              f"{lines[-3:]}")
        return summary


class HealthWatch:
    """Counts the web service's healthy containers every 0.2 s in a
    thread, until stop(); keeps the fewest seen and a timeline."""

    def __init__(self):
        self.counts = []
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.done.is_set():
            out = HOST.run("ps", "-q", "--filter", f"label=com.docker.swarm"
                           f".service.name={WEB}", "--filter",
                           "health=healthy", check_rc=False, timeout=30)
            self.counts.append((time.time(), len(out.split())))
            self.done.wait(0.2)

    def stop(self):
        self.done.set()
        self.t.join(40)
        return min(n for _, n in self.counts), len(self.counts)


def update_state():
    """(state, started-at) of the web service's last update."""
    out = HOST.run("service", "inspect", "--format",
                   "{{if .UpdateStatus}}{{.UpdateStatus.State}} "
                   "{{.UpdateStatus.StartedAt}}{{end}}", WEB)
    parts = out.split(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", "")


def wait_update(before, want, timeout=180):
    """Waits until an update started after `before` (update_state()) ends
    in state `want`; returns (seconds, states seen)."""
    t0 = time.monotonic()
    seen = []
    while True:
        state, started = update_state()
        if started != before[1] and (not seen or seen[-1] != state):
            seen.append(state)
        if started != before[1] and state == want:
            return time.monotonic() - t0, seen
        if started != before[1] and state in ("paused", "rollback_paused",
                                              "completed",
                                              "rollback_completed"):
            raise TestFailure(f"update of {WEB} ended {state}, not {want} "
                              f"(states: {seen})")
        if time.monotonic() - t0 > timeout:
            raise TestFailure(f"update of {WEB} not {want} after "
                              f"{timeout}s (states: {seen})")
        time.sleep(0.5)


def check_load(s, what):
    """No failed request of any kind; every page counted, each number
    new. Returns the summary."""
    print(f"    {what}: {s['requests']} requests in {s['seconds']} s over "
          f"{s['conns']} keep-alive connections ({s['connects']} opened, "
          f"{s['closes']} closed by a draining task), slowest "
          f"{s['max_ms']:.0f} ms", flush=True)
    check(not s["errors"], f"{what}: no connection error, reset or timeout"
          + (f": {s['errors']} {s['error_samples'][:5]}" if s["errors"]
             else ""))
    check(s["statuses"] == {"200": s["requests"]},
          f"{what}: every answer 200 ({s['statuses']})")
    check(s["disabled"] == 0 and s["counted"] == s["requests"],
          f"{what}: every page counted ({s['disabled']} said 'counter "
          "disabled')")
    check(s["dups"] == 0, f"{what}: every page's number differs from all "
          f"the others ({s['min']} .. {s['max']})")
    return s


# --------------------------------------------------------------------------


def test_images_and_clients():
    S["images"] = common.build_images()
    hello = S["images"]["hello"]
    d = tempfile.mkdtemp(prefix=f"{RUN}-img-")
    swarmnodes.on_cleanup(shutil.rmtree, d, True)
    builds = {
        # The load client: Debian's python3 and load.py (the same first
        # layers as the e2e client image, so cached).
        "load": ("FROM debian:bookworm-slim\n"
                 "RUN apt-get update && DEBIAN_FRONTEND=noninteractive "
                 "apt-get install -y --no-install-recommends "
                 "python3 && rm -rf /var/lib/apt/lists/*\n"
                 "COPY load.py /load.py\n"
                 'ENTRYPOINT ["python3", "-u", "/load.py"]\n'),
        # hello rebuilt: a new image of the same program.
        "rebuilt": f"FROM {hello}\nLABEL org.example.rebuilt=\"{RUN}\"\n",
        # A release whose health check fails while its process runs: it
        # listens on a port of its own choosing, and `hello --healthcheck`
        # exits 1 ("needs PORT set to the server's port").
        "unhealthy": f"FROM {hello}\nENV PORT=0\n",
    }
    shutil.copy(os.path.join(SOURCE, "tests", "e2e", "load.py"), d)
    for name, text in builds.items():
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write(text)
        ref = f"{RUN}/{name}:test"
        step(f"docker build -t {ref}")
        HOST.run("build", "-q", "-t", ref, d, timeout=600)
        swarmnodes.on_cleanup(HOST.run, "rmi", ref)
        S[f"{name}_image"] = ref


def test_deploy_with_secret():
    state, _ = HOST.swarm_state()
    if state == "inactive":
        HOST.run("swarm", "init", "--advertise-addr", "127.0.0.1")
    check(HOST.swarm_state() == ["active", "true"], "a swarm manager")
    common.ipvs_note()
    S["password"] = secrets.token_urlsafe(24)
    step(f"docker secret create {SECRET} (what ./stack up does for "
         "part5_redis_password)")
    HOST.run("secret", "create", SECRET, "-", input=S["password"])
    swarmnodes.on_cleanup(HOST.run, "secret", "rm", SECRET)
    S["file"] = variant_file()
    step(f"docker stack deploy -c {os.path.basename(S['file'])} (the prod "
         f"file's variant) {STACK}")
    swarmnodes.on_cleanup(HOST.run, "volume", "rm", f"{STACK}_redis-data")
    swarmnodes.on_cleanup(HOST.stack_rm, STACK)
    HOST.run("stack", "deploy", "--resolve-image", "never", "-c", S["file"],
             STACK, timeout=120)
    secs = HOST.wait_converged(STACK, {"web": 5, "visualizer": 1,
                                       "redis": 1}, timeout=180)
    note(f"web 5/5, visualizer 1/1, redis 1/1 after {secs:.1f}s")
    wait_until(lambda: visits_by_task(must=False), 60, interval=1,
               what="the 5 web tasks to answer")


def test_secret_used_and_redis_only_on_backend():
    step("hello counts through the password")
    recs = client("webnet", "load", "web", "1", "1")
    s = recs[-1]
    check(s["counted"] >= 1 and s["counted"] == s["requests"],
          f"{s['requests']} pages from web, each with a count")
    cid = next(iter(web_tasks()))
    log = HOST.run("logs", cid)
    check("with password" in log and S["password"] not in log,
          "hello says it uses a password; the password is not in its log")
    step("Redis from the backend network, without and with the password")
    rec = client("backend", "redis", "redis", "-", "PING")[0]
    check("NOAUTH" in rec.get("error", ""), f"without: refused "
          f"({rec})")
    rec = client("backend", "redis", "redis", "wrong-" + S["password"],
                 "PING")[0]
    check("error" in rec, f"with a wrong password: refused ({rec})")
    rec = client("backend", "redis", "redis", S["password"], "PING")[0]
    check(rec.get("reply") == "PONG", "with the secret's password: PONG")
    step("Redis from the webnet network (where the page's clients are)")
    rec = client("webnet", "redis", "redis", "-", "PING")[0]
    check("gaierror" in rec.get("error", ""), f"the name redis does not "
          f"resolve there ({rec.get('error')})")
    rid = HOST.run("ps", "-q", "--filter", "label=com.docker.swarm.service"
                   f".name={STACK}_redis")
    nets = HOST.json("inspect", rid)[0]["NetworkSettings"]["Networks"]
    check(sorted(nets) == [f"{STACK}_backend"], f"Redis' only network: "
          f"{sorted(nets)}")
    ip = nets[f"{STACK}_backend"]["IPAddress"]
    rec = client("backend", "redis", ip, "-", "PING")[0]
    check("NOAUTH" in rec.get("error", ""), f"from backend, {ip}:6379 "
          f"answers as Redis ({rec})")
    # From webnet the address is not on any network of the client: what
    # answers there, if anything (a machine's outbound proxy may accept
    # the connection), is not Redis.
    rec = client("webnet", "redis", ip, "-", "PING", timeout=60)[0]
    check("NOAUTH" not in rec.get("error", "") and "reply" not in rec,
          f"from webnet, no Redis at {ip}:6379 ({rec})")
    internal = HOST.run("network", "inspect", "--format", "{{.Internal}}",
                        f"{STACK}_backend")
    check(internal == "true", "backend is an internal network")


def test_counter_under_concurrent_load():
    step("64 keep-alive clients for 22 s through the 5 web tasks")
    before = redis_get()
    m0 = visits_by_task()
    t0 = time.monotonic()
    s = check_load(client("webnet", "load", "web", "64", "22",
                          timeout=120)[-1], "load")
    note(f"({time.monotonic() - t0:.0f} s with the client's start)")
    check(s["seconds"] >= 20, f"it ran {s['seconds']} s")
    after = redis_get()
    m1 = visits_by_task()
    check(after - before == s["counted"], f"Redis' counter grew by "
          f"{after - before} ({before} -> {after}), the number of counted "
          f"pages")
    check(s["min"] == before + 1 and s["max"] == after,
          f"the pages carried exactly the numbers {before + 1} .. {after}")
    delta = {a: m1[a] - m0.get(a, 0) for a in m1}
    check(sum(delta.values()) == s["counted"], f"the replicas' "
          f"hello_visits_total grew by {sum(delta.values()):.0f} in all: "
          + ", ".join(f"{v:.0f}" for v in sorted(delta.values())))
    hosts = s["hosts"]
    tasks = set(web_tasks())
    check(set(hosts) == tasks, f"all 5 tasks answered: " + ", ".join(
        f"{h[:12]} {v['n']}" for h, v in sorted(hosts.items())))
    check(min(v["n"] for v in hosts.values()) >= s["requests"] / 20,
          "each at least a twentieth of the requests")
    S["rate"] = s["requests"] / s["seconds"]
    print(f"RESULT stack-load conns=64 seconds={s['seconds']} "
          f"requests={s['requests']} rate={S['rate']:.0f} "
          f"max_ms={s['max_ms']:.0f}", flush=True)


def under_load(what, start, want, conns, during):
    """Runs start() (which starts an update of web) under conns keep-alive
    clients and the health watch, and waits for the update state want.
    Checks that every page the clients counted is in Redis' counter.
    Returns (load summary, fewest healthy, health samples, tasks before,
    seconds, states)."""
    tasks0 = web_tasks()
    before = update_state()
    count0 = redis_get()
    load = Load(conns)
    watch = HealthWatch()
    time.sleep(2)
    step(what)
    start()
    secs, states = wait_update(before, want)
    time.sleep(2)
    s = check_load(load.stop(), during)
    fewest, samples = watch.stop()
    check(redis_get() - count0 == s["counted"], "Redis' counter grew by "
          "the number of counted pages")
    return s, fewest, samples, tasks0, secs, states


def rolling(what, start):
    """An update of web under 64 keep-alive clients (under_load); returns
    (load summary, tasks after)."""
    s, fewest, samples, tasks0, secs, states = under_load(
        what, start, "completed", 64, "during the update")
    note(f"update completed in {secs:.1f}s ({' -> '.join(states)})")
    tasks1 = web_tasks()
    check(fewest >= 5, f"never fewer than 5 healthy web tasks ({samples} "
          f"samples, fewest {fewest}): start-first")
    check(len(tasks1) == 5 and not set(tasks1) & set(tasks0),
          f"every replica replaced: {sorted(t[:12] for t in tasks0)} -> "
          f"{sorted(t[:12] for t in tasks1)}")
    old = sum(v["n"] for h, v in s["hosts"].items() if h in tasks0)
    new = {h for h in s["hosts"] if h in tasks1}
    check(old > 0 and new == set(tasks1), f"the clients were served by "
          f"the old tasks ({old} requests), then by all 5 new ones")
    print(f"RESULT stack-rolling-update what=\"{what}\" seconds={secs:.1f} "
          f"requests={s['requests']} closes={s['closes']} "
          f"fewest_healthy={fewest}", flush=True)
    return s, tasks1


def test_rolling_update_to_a_rebuilt_image():
    ref = S["rebuilt_image"]
    _, tasks = rolling(f"docker service update --image {ref} {WEB}",
                       lambda: HOST.run("service", "update", "--detach",
                                        "--quiet", "--image", ref, WEB))
    check(set(tasks.values()) == {ref}, f"all 5 run {ref}")


def test_rolling_update_by_stack_deploy():
    path = variant_file({"PART5_TEST_GENERATION": "2"})
    _, tasks = rolling(f"docker stack deploy of the file with a new "
                       f"environment variable for web",
                       lambda: HOST.run("stack", "deploy", "--resolve-image",
                                        "never", "-c", path, STACK,
                                        timeout=120))
    env = HOST.json("inspect", next(iter(tasks)))[0]["Config"]["Env"]
    check("PART5_TEST_GENERATION=2" in env, "the new tasks have the new "
          "variable")


def test_failing_health_check_rolls_back():
    good = HOST.run("service", "inspect", "--format",
                    "{{.Spec.TaskTemplate.ContainerSpec.Image}}", WEB)
    bad = S["unhealthy_image"]
    s, fewest, samples, tasks0, secs, states = under_load(
        f"docker service update --image {bad} {WEB} (its health check "
        "fails)",
        lambda: HOST.run("service", "update", "--detach", "--quiet",
                         "--image", bad, WEB),
        "rollback_completed", 32, "during the update and its rollback")
    note(f"{' -> '.join(states)} after {secs:.1f}s, by itself")
    image = HOST.run("service", "inspect", "--format",
                     "{{.Spec.TaskTemplate.ContainerSpec.Image}}", WEB)
    check(image == good, f"the service is back on {good}")
    msg = HOST.run("service", "inspect", "--format",
                   "{{.UpdateStatus.Message}}", WEB)
    note(f"the swarm says: {msg}")
    health = []
    for cid in HOST.run("ps", "-aq", "--filter", "label=com.docker.swarm."
                        f"service.name={WEB}", "--filter",
                        f"ancestor={bad}").split():
        st = HOST.json("inspect", cid)[0]["State"]
        health += [(st.get("Health") or {}).get("Status"),
                   *[x["Output"].strip() for x in
                     (st.get("Health") or {}).get("Log", [])]]
    check(any("needs PORT" in str(h) for h in health),
          f"the new task's health check ran and failed: {health[:4]}")
    tasks1 = web_tasks()
    check(set(tasks1.values()) == {good.split("@")[0]} and len(tasks1) == 5,
          f"5 tasks of the old image run: {sorted(tasks1.values())}")
    check(fewest >= 5, f"never fewer than 5 healthy web tasks "
          f"({samples} samples, fewest {fewest})")
    kept = set(tasks0) & set(tasks1)
    note(f"{len(kept)} of the 5 old tasks served throughout; "
         f"{len(s['hosts'])} tasks answered")
    check(all(h in tasks0 or h in tasks1 for h in s["hosts"]),
          "no answer came from a task of the bad image")
    print(f"RESULT stack-rollback seconds={secs:.1f} "
          f"requests={s['requests']} fewest_healthy={fewest} "
          f"old_tasks_kept={len(kept)}", flush=True)


def test_clean_up():
    step(f"docker stack rm {STACK}, its volume, the secret, the images")
    t0 = time.monotonic()
    # Three updates leave four generations of web containers for the
    # swarm to remove: more than one deployment's worth of time.
    HOST.stack_rm(STACK, timeout=240)
    note(f"the stack was gone after {time.monotonic() - t0:.0f}s")
    swarmnodes.cleanup()
    common.nothing_left(RUN, "container", "network", "volume", "secret", "image")


if __name__ == "__main__":
    common.main([test_images_and_clients,
                 test_deploy_with_secret,
                 test_secret_used_and_redis_only_on_backend,
                 test_counter_under_concurrent_load,
                 test_rolling_update_to_a_rebuilt_image,
                 test_rolling_update_by_stack_deploy,
                 test_failing_health_check_rolls_back],
                test_clean_up)
