# SPDX-License-Identifier: Apache-2.0
"""Canned visualizer models (docs/visualizer-api.md) for the page's tests
and screenshots, served by mock_state_server.py.

Times are relative to the moment a fixture is built, so "since" reads
"2 min ago" whenever it runs. Everything is deterministic otherwise (the
50-node swarm uses a seeded generator). Standard library only.
"""

import random
import time

GIB = 1024 ** 3
XSS_IMG = "<img src=x onerror=window.__xss=1>"
XSS_SCRIPT = "<script>window.__xss=1</script>"


def _iso(seconds_ago):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


def _id(prefix, n):
    return ("%s%023d" % (prefix, n))[:25]


def task(tid, service, stack, image, slot, state="running", desired="running",
         ago=120, message=None, error=None, service_id=None):
    return {
        "id": tid, "service": service, "service_id": service_id or "svc-" + service,
        "stack": stack, "image": image, "slot": slot, "state": state,
        "desired_state": desired, "since": _iso(ago),
        "message": message if message is not None else {"running": "started"}.get(state, state),
        "error": error,
    }


def node(nid, hostname, role="worker", leader=False, status="ready",
         availability="active", cpus=2, memory=8 * GIB, addr="10.0.0.2",
         labels=None, tasks=None, engine="20.10.24+dfsg1"):
    return {
        "id": nid, "hostname": hostname, "role": role, "leader": leader,
        "status": status, "availability": availability,
        "engine_version": engine, "cpus": cpus, "memory_bytes": memory,
        "addr": addr, "labels": labels or {}, "tasks": tasks or [],
    }


def service(name, stack, image, replicas, running, mode="replicated", update=None,
            constraints=(), max_per_node=None, limits=None, reservations=None,
            metrics=False):
    none = {"cpus": None, "memory_bytes": None}
    return {"id": "svc-" + name, "name": name, "stack": stack, "image": image,
            "mode": mode, "replicas": replicas if mode == "replicated" else None,
            "running": running, "update": update, "constraints": list(constraints),
            "max_per_node": max_per_node, "limits": limits or none,
            "reservations": reservations or none, "metrics": metrics}


def update(state, updated, total, message=None, started=60, completed=None):
    """A service's update status as the server reports it."""
    return {"state": state, "message": message, "started_at": _iso(started),
            "completed_at": _iso(completed) if completed is not None else None,
            "updated": updated, "total": total}


def traffic_doc(m, rps, new=None):
    """The traffic document for model m: every running task of a service
    with metrics gets rps[task id] (missing: 0; None: no traffic data),
    with its share and `new` requests, and each such service its total."""
    new = new or {}
    doc = {"version": 1, "at": _iso(0), "window_s": 5, "services": {}, "tasks": {}}
    if not m:
        return doc
    metrics = {s["id"] for s in m.get("services", []) if s.get("metrics")}
    tasks = [t for n in m.get("nodes", []) for t in n["tasks"]]
    per = {}
    for t in tasks:
        if t["service_id"] in metrics and t["state"] == "running" and \
                t["desired_state"] == "running":
            per.setdefault(t["service_id"], []).append(t["id"])
    for sid, ids in per.items():
        total = sum(rps.get(i, 0) or 0 for i in ids)
        rep = [i for i in ids if rps.get(i, 0) is not None]
        doc["services"][sid] = {"rps": round(total, 2), "tasks": len(ids), "reporting": len(rep)}
        for i in ids:
            r = rps.get(i, 0)
            doc["tasks"][i] = None if r is None else {
                "rps": round(r, 2), "share": round(r / total, 3) if total else None,
                "new": new.get(i, 0)}
    return doc


def model(nodes=None, services=None, unassigned=None, containers=None,
          swarm=True, note=None, connected=True, error=None):
    m = {
        "version": 1,
        "generated_at": _iso(0),
        "engine": {"connected": connected, "error": error,
                   "version": "20.10.24+dfsg1", "api_version": "1.41",
                   "since": _iso(300)},
        "swarm": swarm,
        "nodes": nodes or [],
        "unassigned": unassigned or [],
        "services": services or [],
        "containers": containers or [],
    }
    if not swarm:
        m["swarm_note"] = note or "This engine is not part of a swarm (run docker swarm init)"
    return m


def _sort(tasks):
    return sorted(tasks, key=lambda t: (t["service"], t["slot"] if t["slot"] is not None else -1))


def two_nodes():
    """The tutorial's picture: myvm1 (manager, leader) and myvm2 (worker)
    running getstartedlab: web x5, visualizer, redis. The old web tasks of a
    rolling update and one that crashed are there too, hidden by default."""
    web, viz, red = "getstartedlab_web", "getstartedlab_visualizer", "getstartedlab_redis"
    st = "getstartedlab"
    img = "part5/hello:1.0.0"
    m1 = [
        task("t-web-1", web, st, img, 1, ago=95),
        task("t-web-3", web, st, img, 3, ago=93),
        task("t-web-5", web, st, img, 5, ago=92),
        task("t-viz-1", viz, st, "part5/visualizer:1.0.0", 1, ago=400),
        task("t-red-1", red, st, "part5/redis:1.0.0", 1, ago=410),
    ]
    m2 = [
        task("t-web-2", web, st, img, 2, ago=40),
        task("t-web-4", web, st, img, 4, ago=94),
        task("t-web-2-old", web, st, img, 2, state="failed", desired="shutdown", ago=45,
             message="started", error="task: non-zero exit (1)"),
        task("t-web-4-old", web, st, "part5/hello:0.9.0", 4, state="shutdown",
             desired="shutdown", ago=96, message="shutdown"),
    ]
    nodes = [
        node("n-myvm1", "myvm1", "manager", True, addr="192.168.99.100", cpus=2,
             memory=int(1.9 * GIB), tasks=_sort(m1)),
        node("n-myvm2", "myvm2", addr="192.168.99.101", cpus=1, memory=int(0.95 * GIB),
             tasks=_sort(m2)),
    ]
    services = [
        service(red, st, "part5/redis:1.0.0", 1, 1, constraints=["node.role == manager"]),
        service(viz, st, "part5/visualizer:1.0.0", 1, 1, constraints=["node.role == manager"]),
        service(web, st, img, 5, 5, limits={"cpus": 0.1, "memory_bytes": 50 * 1024 ** 2},
                metrics=True),
    ]
    return model(nodes, services)


def _web_tasks(m):
    return sorted((t for n in m["nodes"] for t in n["tasks"]
                   if t["service"] == "getstartedlab_web" and t["desired_state"] == "running"),
                  key=lambda t: t["slot"])


def two_nodes_traffic(m, _):
    """A learner sends requests to replica .3 only; .4 cannot be reached."""
    web = _web_tasks(m)
    return traffic_doc(m, {web[2]["id"]: 12.4, web[3]["id"]: None}, {web[2]["id"]: 13})


def rolling():
    """docker service update --image part5/hello:1.0.1 web, under way:
    slots 1 and 2 run the new tag, slot 1's old task is still shutting down,
    slots 3 to 5 run the old tag."""
    m = two_nodes()
    new = "part5/hello:1.0.1"
    web = _web_tasks(m)
    for t in web[:2]:
        t["image"] = new
        t["since"] = _iso(8)
    for n in m["nodes"]:
        if n["hostname"] == "myvm1":
            n["tasks"] = _sort(n["tasks"] + [task("t-web-1-old", "getstartedlab_web", "getstartedlab",
                                                   "part5/hello:1.0.0", 1, desired="shutdown", ago=5)])
    s = [x for x in m["services"] if x["name"] == "getstartedlab_web"][0]
    s["image"] = new
    s["update"] = update("updating", 2, 5, "update in progress", started=20)
    return m


def paused():
    """The update stopped: a new task failed, the update paused itself."""
    m = rolling()
    s = [x for x in m["services"] if x["name"] == "getstartedlab_web"][0]
    s["update"] = update("paused", 2, 5, "update paused due to failure or early termination of "
                         "task t-web-2: task: non-zero exit (1)", started=40)
    return m


def rollback():
    """failure_action: rollback: the swarm returns to the previous image."""
    m = rolling()
    s = [x for x in m["services"] if x["name"] == "getstartedlab_web"][0]
    s["update"] = update("rollback_started", 1, 5, "update rolled back due to failure or early "
                         "termination of task t-web-2: task: non-zero exit (1)", started=10)
    return m


def completed():
    m = rolling()
    for t in _web_tasks(m):
        t["image"] = "part5/hello:1.0.1"
    for n in m["nodes"]:
        n["tasks"] = [t for t in n["tasks"] if t["id"] != "t-web-1-old"]
    s = [x for x in m["services"] if x["name"] == "getstartedlab_web"][0]
    s["update"] = update("completed", 5, 5, "update completed", started=60, completed=3)
    return m


def unassigned():
    """web scaled to 8 with at most 3 per node on two nodes: 2 wait."""
    m = two_nodes()
    s = [x for x in m["services"] if x["name"] == "getstartedlab_web"][0]
    s.update(replicas=8, running=6, max_per_node=3, constraints=["node.labels.zone != cold"])
    m["nodes"][1]["tasks"] = _sort(m["nodes"][1]["tasks"] + [
        task("t-web-6", "getstartedlab_web", "getstartedlab", "part5/hello:1.0.0", 6, ago=4)])
    m["unassigned"] = [task("t-web-%d" % i, "getstartedlab_web", "getstartedlab",
                            "part5/hello:1.0.0", i, state="pending", ago=3,
                            message="pending task scheduling",
                            error="no suitable node (max replicas per node limit exceed)")
                       for i in (7, 8)]
    return m


def drained():
    """myvm2 drained: its web tasks are shutting down, their replacements
    start on myvm1."""
    m = two_nodes()
    vm1, vm2 = m["nodes"]
    vm2["availability"] = "drain"
    for t in vm2["tasks"]:
        if t["desired_state"] == "running":
            t["desired_state"] = "shutdown"
            vm1["tasks"].append(task(t["id"] + "-moved", t["service"], t["stack"], t["image"],
                                     t["slot"], state="starting", ago=1, message="starting"))
    vm1["tasks"] = _sort(vm1["tasks"])
    return m


def mixed():
    """Every node and task condition the page must make visible: a drained
    manager, a paused worker, a down worker, failed and rejected tasks with
    their errors, a global service, a service outside any stack, a task no
    node can take, labels."""
    st = "shop"
    web = "shop_web"
    agent = "node-exporter"
    api = "shop_api"
    pinned = "shop_gpu-worker"
    nodes = [
        node("n-m1", "mgr-1", "manager", True, cpus=4, memory=16 * GIB, addr="10.1.0.1",
             labels={"zone": "a"}, tasks=_sort([
                 task("t-w1", web, st, "shop/web:2.1", 1),
                 task("t-a1", agent, None, "prom/node-exporter:v1.7.0", None, ago=3600 * 5),
             ])),
        node("n-m2", "mgr-2", "manager", False, availability="drain", cpus=4,
             memory=16 * GIB, addr="10.1.0.2", labels={"zone": "b"}, tasks=_sort([
                 task("t-w2-old", web, st, "shop/web:2.1", 2, state="shutdown",
                      desired="shutdown", ago=600),
             ])),
        node("n-w1", "worker-1", cpus=8, memory=32 * GIB, addr="10.1.0.11",
             labels={"zone": "a", "disk": "ssd"}, tasks=_sort([
                 task("t-w2", web, st, "shop/web:2.1", 2, ago=590),
                 task("t-api1", api, st, "shop/api:1.4", 1, ago=1200),
                 task("t-api2-old", api, st, "shop/api:1.4", 2, state="failed",
                      desired="shutdown", ago=300,
                      error="task: non-zero exit (137): dockerexec: unhealthy container"),
                 task("t-api3-old", api, st, "shop/api:1.5-rc1", 3, state="rejected",
                      desired="shutdown", ago=280,
                      error="No such image: shop/api:1.5-rc1"),
                 task("t-a3", agent, None, "prom/node-exporter:v1.7.0", None, ago=3600 * 5),
             ])),
        node("n-w2", "worker-2", status="down", cpus=8, memory=32 * GIB, addr="10.1.0.12",
             labels={"zone": "b"}, tasks=_sort([
                 task("t-api2", api, st, "shop/api:1.4", 2, state="running", ago=250),
             ])),
        node("n-w3", "worker-3", availability="pause", cpus=2, memory=4 * GIB,
             addr="10.1.0.13", tasks=_sort([
                 task("t-api3", api, st, "shop/api:1.4", 3, ago=270),
                 task("t-a4", agent, None, "prom/node-exporter:v1.7.0", None, ago=3600 * 5),
             ])),
    ]
    unassigned = [
        task("t-gpu1", pinned, st, "shop/gpu-worker:1.0", 1, state="pending", ago=200,
             message="pending task scheduling",
             error="no suitable node (scheduling constraints not satisfied on 5 nodes)"),
    ]
    services = [
        service(agent, None, "prom/node-exporter:v1.7.0", None, 3, mode="global"),
        service(api, st, "shop/api:1.4", 3, 3),
        service(pinned, st, "shop/gpu-worker:1.0", 1, 0),
        service(web, st, "shop/web:2.1", 2, 2),
    ]
    return model(nodes, services, unassigned)


def fifty(tasks_per_node=None, seed=5, count=50):
    """A 50-node swarm (or count nodes): 3 managers and the rest workers,
    three stacks and a global agent; one node drained, one down, one
    paused. With tasks_per_node, every node gets exactly that many running
    tasks (the 50 x 100 and 200 x 25 load cases)."""
    rnd = random.Random(seed)
    stacks = {
        "shop": ["web", "api", "cart", "search", "worker"],
        "blog": ["web", "db", "cache"],
        "ci": ["runner", "registry-proxy", "scheduler", "artifact-store"],
    }
    names = [(s + "_" + n, s) for s, ns in stacks.items() for n in ns]
    width = "%02d" if count < 100 else "%03d"
    hosts = ["mgr-%d" % i for i in (1, 2, 3)] + ["node-" + width % i for i in range(4, count + 1)]
    nodes = []
    counts = {}
    tid = 0
    for i, h in enumerate(hosts):
        av = {17: "drain", 29: "pause"}.get(i, "active")
        status = "down" if i == 33 else "ready"
        tasks = []
        n = tasks_per_node if tasks_per_node else rnd.randint(4, 12)
        if av == "drain" and not tasks_per_node:
            n = 0
        for k in range(n):
            svc, st = names[rnd.randrange(len(names))]
            counts[svc] = counts.get(svc, 0) + 1
            tid += 1
            tasks.append(task(_id("t", tid), svc, st, "%s/%s:1.%d" % (st, svc.split("_")[1], tid % 4),
                              counts[svc], ago=rnd.randint(30, 90000)))
        if not tasks_per_node:
            tid += 1
            tasks.append(task(_id("t", tid), "monitoring_agent", "monitoring",
                              "prom/node-exporter:v1.7.0", None, ago=86400 * 3,
                              desired="shutdown" if av == "drain" else "running",
                              state="shutdown" if av == "drain" else "running"))
            if rnd.random() < 0.15:
                svc, st = names[rnd.randrange(len(names))]
                tid += 1
                tasks.append(task(_id("t", tid), svc, st, "%s/%s:1.0" % (st, svc.split("_")[1]),
                                  rnd.randint(1, 5), state="failed", desired="shutdown",
                                  ago=rnd.randint(60, 5000), error="task: non-zero exit (2)"))
        nodes.append(node(_id("n", i), h, "manager" if i < 3 else "worker", i == 0,
                          status, av, cpus=rnd.choice([2, 4, 8, 16]),
                          memory=rnd.choice([4, 8, 16, 32, 64]) * GIB,
                          addr="10.2.%d.%d" % (i // 200, i % 200 + 10),
                          labels={"zone": "abc"[i % 3]} if i % 4 else {"zone": "abc"[i % 3], "ssd": "true"},
                          tasks=_sort(tasks)))
    services = [service(s, st, "%s/%s:1.0" % (st, s.split("_")[1]), counts.get(s, 0), counts.get(s, 0))
                for s, st in sorted(names)]
    if not tasks_per_node:
        services.insert(2, service("monitoring_agent", "monitoring", "prom/node-exporter:v1.7.0",
                                   None, 49, mode="global"))
    return model(nodes, services)


def huge():
    """50 nodes x 100 running tasks: the page's load case."""
    return fifty(tasks_per_node=100, seed=7)


def two_hundred():
    """200 nodes x 25 running tasks: issue 14's large swarm."""
    return fifty(tasks_per_node=25, seed=11, count=200)


def containers():
    """An engine that is not a swarm member: containers by compose project."""
    def c(cid, name, image, state, status, project, svc, ago):
        return {"id": cid[:12], "name": name, "image": image, "state": state,
                "status": status, "project": project, "service": svc, "created": _iso(ago)}
    cs = [
        c("a1b2c3d4e5f6a7", "getstartedlab-web-1", "part5/hello:1.0.0", "running",
          "Up 3 minutes", "getstartedlab", "web", 200),
        c("b1b2c3d4e5f6a7", "getstartedlab-web-2", "part5/hello:1.0.0", "running",
          "Up 3 minutes", "getstartedlab", "web", 200),
        c("c1b2c3d4e5f6a7", "getstartedlab-redis-1", "part5/redis:1.0.0", "running",
          "Up 3 minutes (healthy)", "getstartedlab", "redis", 210),
        c("d1b2c3d4e5f6a7", "getstartedlab-visualizer-1", "part5/visualizer:1.0.0", "running",
          "Up 3 minutes", "getstartedlab", "visualizer", 210),
        c("e1b2c3d4e5f6a7", "getstartedlab-migrate-run-1", "part5/hello:1.0.0", "exited",
          "Exited (0) 2 minutes ago", "getstartedlab", "migrate", 180),
        c("f1b2c3d4e5f6a7", "monitoring-prometheus-1", "prom/prometheus:v2.48.0", "running",
          "Up 2 hours", "monitoring", "prometheus", 7300),
        c("a2b2c3d4e5f6a7", "monitoring-grafana-1", "grafana/grafana:10.2.2", "restarting",
          "Restarting (1) 5 seconds ago", "monitoring", "grafana", 7300),
        c("b2b2c3d4e5f6a7", "dev-shell", "debian:bookworm-slim", "running",
          "Up 20 minutes", None, None, 1200),
        c("c2b2c3d4e5f6a7", "old-build", "debian:bookworm-slim", "exited",
          "Exited (1) 3 days ago", None, None, 86400 * 3),
    ]
    return model(swarm=False, containers=cs)


def hostile():
    """Engine strings that try to become markup or script."""
    p = XSS_IMG
    s = XSS_SCRIPT
    svc = p
    nodes = [
        node("n-h1", p, "manager", True, labels={s: p, "zone": s}, engine=s, addr=p, tasks=[
            task("t-h1", svc, s, "evil/" + p + ":1", 1),
            task("t-h2", s, p, "evil/" + s + "@sha", 2, state="failed", desired="shutdown",
                 error=s + " " + p, message=p),
        ]),
        node("n-h2", "worker-" + s, role=p, status=s, availability=p, labels={p: ""},
             tasks=[task("t-h3", "plain", None, "x\" onmouseover=\"window.__xss=1", 1)]),
    ]
    services = [service(svc, s, "evil/" + p, 1, 1), service(s, p, "evil/" + s, 1, 0),
                service("plain", None, p, 1, 1)]
    unassigned = [task("t-h4", svc, s, p, 3, state="pending", error=p)]
    return model(nodes, services, unassigned)


def hostile_containers():
    m = model(swarm=False, note="Not a swarm " + XSS_SCRIPT, containers=[
        {"id": "0123456789ab", "name": XSS_IMG, "image": XSS_SCRIPT, "state": "running",
         "status": XSS_IMG, "project": XSS_SCRIPT, "service": XSS_IMG, "created": _iso(50)},
    ])
    return m


def disconnected():
    """The engine went away: the last picture, and the reason."""
    m = two_nodes()
    m["engine"]["connected"] = False
    m["engine"]["error"] = ("cannot reach the Docker engine at unix:///var/run/docker.sock: "
                            "connection refused")
    return m


def engine_never():
    """The server started while the engine was down: nothing known yet."""
    m = model(swarm=False, connected=False,
              error="cannot reach the Docker engine at unix:///var/run/docker.sock: "
                    "No such file or directory (is the socket mounted?)")
    m["swarm_note"] = None
    m["engine"].update(version=None, api_version=None)
    return m


FIXTURES = {
    "two-nodes": two_nodes,
    "rolling": rolling,
    "paused": paused,
    "rollback": rollback,
    "completed": completed,
    "unassigned": unassigned,
    "drained": drained,
    "mixed": mixed,
    "fifty": fifty,
    "huge": huge,
    "two-hundred": two_hundred,
    "containers": containers,
    "hostile": hostile,
    "hostile-containers": hostile_containers,
    "disconnected": disconnected,
    "engine-never": engine_never,
}

# Traffic documents that go with a fixture (traffic_doc's default: zero
# everywhere a service has metrics).
TRAFFIC = {
    "two-nodes": two_nodes_traffic,
    "rolling": two_nodes_traffic,
}
