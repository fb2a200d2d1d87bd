# SPDX-License-Identifier: Apache-2.0
"""Integration tests of the visualizer server against the real Docker engine
in swarm mode (fixture "docker").

The visualizer talks to the engine through a small recording proxy on a
unix socket of our own (EngineProxy): it forwards bytes to the real
/var/run/docker.sock and logs each request line, so the tests can prove
which requests the visualizer sent, and can take the engine "away" and
bring it back without stopping the shared dockerd.

Everything this test creates is named vizt-it-<random> and removed at the
end. Run: ctest -L docker -R visualizer --output-on-failure
"""

import calendar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from part5test import (Proc, binary, cannot_run, check, docker, free_port,
                       http_get, raw_request, run, step, wait_until)
from sse import EventStream
from unixserver import UnixServer, shut

ENGINE_SOCK = "/var/run/docker.sock"
PREFIX = "vizt-it-" + secrets.token_hex(3)
IMAGE = "vizt-sleep:1"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src "
       "'self' data:; connect-src 'self'; base-uri 'none'; form-action "
       "'none'; frame-ancestors 'none'")
# Every request the visualizer may send: method and path, exactly.
ALLOWED = {
    "GET /_ping", "GET /version", "GET /info", "GET /nodes", "GET /services",
    "GET /tasks", "GET /containers/json?all=1",
    "GET /events?filters=%7B%22type%22%3A%5B%22service%22%2C%22node%22"
    "%2C%22container%22%5D%7D",
}


class EngineProxy(UnixServer):
    """A unix socket that forwards to the real engine and records request
    lines. stop() closes it and every connection through it (the engine
    seems gone); start() opens it again at the same path."""

    def __init__(self, path):
        super().__init__(path)
        self.start()

    def serve(self, c):
        try:
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.connect(ENGINE_SOCK)
        except OSError:
            c.close()
            return
        self.track(u)
        threading.Thread(target=self._down, args=(u, c),
                         daemon=True).start()
        self._up(c, u)

    def _up(self, c, u):
        """Client to engine: log each request's line, forward its bytes."""
        buf = b""
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    line = head.split(b"\r\n", 1)[0].decode("latin-1")
                    method, path = line.split(" ")[:2]
                    self.record(f"{method} {path}")
                    u.sendall(head + b"\r\n\r\n")
                    # A body (there should be none) is logged and passed on.
                    for h in head.split(b"\r\n")[1:]:
                        if h.lower().startswith(b"content-length:"):
                            self.record("BODY " + h.decode())
        except OSError:
            pass
        finally:
            shut(c)
            shut(u)

    def _down(self, u, c):
        try:
            while True:
                data = u.recv(65536)
                if not data:
                    break
                c.sendall(data)
        except OSError:
            pass
        finally:
            shut(c)
            shut(u)


def service_tasks(state, service, desired="running"):
    return [t for n in state["nodes"] for t in n["tasks"]
            if t["service"] == service and t["desired_state"] == desired]


class Viz:
    """A visualizer of our own, on a free port, reading the engine through
    a recording proxy."""

    def __init__(self, env=None, proxy=True, wrap=None, host="127.0.0.1"):
        """wrap: runs it in another network namespace (nsenter ... --);
        host: where this test then reaches it."""
        self.host = host
        self.dir = tempfile.mkdtemp(prefix="vizt-")
        os.chmod(self.dir, 0o750)  # the socket's group may reach it
        self.proxy = EngineProxy(os.path.join(self.dir, "engine.sock")) \
            if proxy else None
        self.port = free_port()
        e = {"PORT": str(self.port), "LOG_LEVEL": "debug"}
        if self.proxy:
            e["DOCKER_HOST"] = "unix://" + self.proxy.path
        e.update(env or {})
        self.proc = Proc([binary("visualizer")], env=e, name="visualizer",
                         logdir=self.dir, wrap=wrap)
        self.proc.wait_log(r"listening on", 10)

    def state(self, path="/api/state", headers=None, quiet=False):
        r = http_get(self.port, path, headers=headers, host=self.host)
        if quiet and r.status == 200:
            return json.loads(r.body)
        check(r.status == 200, f"GET {path} answers 200 ({r.status})")
        return json.loads(r.body)

    def wait_picture(self, timeout=10):
        """Waits until the engine is connected and the nodes are known."""
        def ready():
            s = self.state(quiet=True)
            return s if s["engine"]["connected"] and s["nodes"] else None
        return wait_until(ready, timeout, what="a first picture")

    def stop(self):
        """Stops it with SIGTERM; it must exit 0 with no sanitizer report
        (CI runs this under ASan and UBSan)."""
        rc = self.proc.stop()
        if self.proxy:
            self.proxy.stop()
        with open(self.proc.logpath, errors="replace") as f:
            out = f.read()
        bad = rc != 0 or "Sanitizer" in out or "runtime error" in out
        if bad:
            print(out[-3000:])
            if sys.exc_info()[0] is None:
                check(False, f"visualizer exited {rc} cleanly")
        elif sys.exc_info()[0] is None:
            # Logs are kept only when something went wrong.
            shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def ensure_image():
    if docker("images", "-q", IMAGE):
        return
    step(f"building {IMAGE} (debian:bookworm-slim, sleep infinity)")
    d = tempfile.mkdtemp(prefix="vizt-img-")
    with open(os.path.join(d, "Dockerfile"), "w") as f:
        f.write('FROM debian:bookworm-slim\nCMD ["sleep", "infinity"]\n')
    docker("build", "-q", "-t", IMAGE, d, timeout=300)
    shutil.rmtree(d, ignore_errors=True)


def ensure_swarm():
    r = subprocess.run(["docker", "swarm", "init", "--advertise-addr",
                        "127.0.0.1"], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0 and "already part of a swarm" not in r.stderr:
        raise RuntimeError("docker swarm init: " + r.stderr)


def create_service(name, replicas, *extra):
    docker("service", "create", "-d", "-q", "--name", name, "--init",
           "--stop-grace-period", "1s", "--replicas", str(replicas),
           *extra, IMAGE, timeout=60)


def remove_services():
    names = docker("service", "ls", "-q", "--filter", f"name={PREFIX}")
    for sid in names.split():
        docker("service", "rm", sid, check_rc=False)


# --------------------------------------------------------------------------


def test_state_and_live_scale():
    """/api/state shows the node and our service's tasks; a scale shows up
    through the event stream within 2 s."""
    svc = f"{PREFIX}-web"
    step(f"service {svc} with 1 replica, labelled as a stack")
    create_service(svc, 1, "--label", f"com.docker.stack.namespace={PREFIX}",
                   "--container-label",
                   f"com.docker.stack.namespace={PREFIX}")
    v = Viz()
    try:
        ev = EventStream(v.port)
        step("the stream shows the task running")
        ev.wait_for(lambda s: any(t["state"] == "running" for t in
                                  service_tasks(s, svc)), 60,
                    f"{svc} running")
        st = v.state()
        check(st["version"] == 1 and st["swarm"] is True, "swarm mode")
        check(st["engine"]["connected"] is True and
              st["engine"]["api_version"], "engine connected, API known")
        me = [n for n in st["nodes"] if n["role"] == "manager" and
              n["leader"]]
        check(len(me) >= 1 and me[0]["status"] == "ready",
              "the leader manager is listed and ready")
        tasks = service_tasks(st, svc)
        check(len(tasks) == 1 and tasks[0]["stack"] == PREFIX and
              tasks[0]["image"] == IMAGE and tasks[0]["slot"] == 1,
              f"one task with stack, image and slot: {tasks}")
        s = [x for x in st["services"] if x["name"] == svc]
        check(len(s) == 1 and s[0]["replicas"] == 1 and
              s[0]["mode"] == "replicated", "the service with replicas=1")

        step("docker service scale to 3, watched on the stream")
        t0 = time.monotonic()
        docker("service", "scale", "-d", f"{svc}=3")
        t_cli = time.monotonic()
        t, st = ev.wait_for(lambda s: len(service_tasks(s, svc)) == 3, 2.0,
                            "3 tasks meant to run")
        print(f"    scale seen {t - t0:.3f}s after starting the CLI "
              f"({t - t_cli:.3f}s after it returned)")
        check(t - t0 < 2.0, "the scale shows within 2 s")
        t, st = ev.wait_for(lambda s: sum(
            1 for x in service_tasks(s, svc) if x["state"] == "running") == 3,
            30, "3 running")
        check(True, "all three run")
        step("scale back to 1: two tasks are shut down")
        t0 = time.monotonic()
        docker("service", "scale", "-d", f"{svc}=1")
        t, st = ev.wait_for(lambda s: len(service_tasks(s, svc)) == 1, 2.0,
                            "1 task meant to run")
        check(t - t0 < 2.0, f"scale-down shows in {t - t0:.3f}s")
        ev.close()
        reqs = v.proxy.requests()
        bad = [r for r in reqs if r not in ALLOWED]
        check(not bad, f"only the fixed GET requests reached the engine "
              f"({len(reqs)} requests; unexpected: {bad})")
    finally:
        v.stop()
        docker("service", "rm", svc, check_rc=False)


def test_failed_tasks_and_no_secrets():
    """A service whose image does not exist shows rejected tasks with the
    engine's error; no response carries SWMTKN, Env or Args."""
    bad = f"{PREFIX}-noimage"
    sec = f"{PREFIX}-secret"
    step(f"{bad}: image that does not exist; {sec}: env and args")
    docker("service", "create", "-d", "-q", "--name", bad,
           f"{PREFIX}-does-not-exist:1")
    create_service(sec, 1, "--env", "SECRET_TOKEN=hunter2-must-not-leak",
                   "--label", "x=<img src=x onerror=alert(1)>")
    v = Viz()
    try:
        ev = EventStream(v.port)
        _, st = ev.wait_for(lambda s: any(
            t["state"] == "rejected" for t in service_tasks(s, bad, "shutdown")
            + service_tasks(s, bad)), 60, "a rejected task")
        rej = [t for n in st["nodes"] for t in n["tasks"]
               if t["service"] == bad and t["state"] == "rejected"]
        check(rej and "No such image" in (rej[0]["error"] or ""),
              f"the rejected task says why: {rej[0]['error']!r}")
        ev.wait_for(lambda s: service_tasks(s, sec), 30, f"{sec} listed")
        bodies = [raw_request(v.port, f"GET {p} HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n".encode())
                  for p in ("/", "/app.js", "/style.css", "/favicon.svg",
                            "/api/state", "/healthz", "/swarm",
                            "/api/../swarm", "/v1.41/swarm")]
        bodies += ev.raw
        ev.close()
        for needle in (b"SWMTKN", b"hunter2", b"SECRET_TOKEN", b"JoinTokens",
                       b"onerror=alert(1)"):
            check(not any(needle in b for b in bodies),
                  f"no response contains {needle.decode()}")
    finally:
        v.stop()
        docker("service", "rm", bad, sec, check_rc=False)


def test_no_passthrough():
    """Paths that the original visualizer passed to the engine get 404 and
    cause no engine request."""
    v = Viz()
    try:
        v.wait_picture()
        time.sleep(0.5)
        before = len(v.proxy.requests())
        paths = ["/api/../swarm", "/apis/swarm", "/%2e%2e/swarm", "//swarm",
                 "/swarm", "/v1.41/swarm", "/api/state/../../swarm",
                 "/containers/json", "/api/swarm", "/info", "/_ping",
                 "/api/..%2fswarm", "/%2fswarm", "/api/state%2f..%2f..%2fswarm"]
        for p in paths:
            r = raw_request(v.port, f"GET {p} HTTP/1.1\r\nHost: x\r\n"
                            "Connection: close\r\n\r\n".encode())
            status = r.split(b" ", 2)[1] if r.startswith(b"HTTP/1.1") else b"?"
            check(status == b"404", f"GET {p} -> 404 ({status.decode()})")
        for m in ("POST", "PUT", "DELETE"):
            r = http_get(v.port, "/api/state", method=m, body=b"{}")
            check(r.status == 405 and r.header("Allow") == "GET, HEAD",
                  f"{m} /api/state -> 405 with Allow")
        after = v.proxy.requests()[before:]
        # Only the background's fixed requests may appear (a resync).
        check(all(r in ALLOWED for r in after) and
              not any("swarm" in r for r in after),
              f"no engine request from those paths ({after})")
        check(all(r in ALLOWED for r in v.proxy.requests()),
              "the engine saw only the fixed GET requests")
    finally:
        v.stop()


def test_requests_independent_of_pages():
    """Ten open pages and fifty /api/state requests cost no engine
    request: the engine is read once for everyone."""
    v = Viz()
    try:
        v.wait_picture()
        time.sleep(1)
        before = len(v.proxy.requests())
        t0 = time.monotonic()
        streams = [EventStream(v.port) for _ in range(10)]
        for s in streams:
            s.wait_for(lambda st: True, 5, "the first state")
        for _ in range(50):
            http_get(v.port, "/api/state")
        elapsed = time.monotonic() - t0
        after = v.proxy.requests()[before:]
        # At most one periodic resync (4 requests) can fall in the window.
        check(len(after) <= 4 * (1 + int(elapsed // 15)),
              f"{len(after)} engine requests for 10 pages and 50 reads in "
              f"{elapsed:.1f}s: {after}")
        for s in streams:
            s.close()
    finally:
        v.stop()


def test_idle_frame_let_go():
    """An idle swarm's rendered model (1.4 MB at 5,000 tasks) is not kept
    for nobody: the visualizer lets go of it once unused for a tick, the
    open page gets nothing meanwhile, and GET /api/state, a new page and
    the next change are still served, from a fresh rendering."""
    v = Viz()
    s1 = s2 = None
    try:
        v.wait_picture()
        s1 = EventStream(v.port)
        _, first = s1.wait_for(lambda st: st["engine"]["connected"], 5,
                               "the first state")
        v.proc.wait_log(r"let go of the model's frame", 20)
        check(s1.q.empty(), "the open page got no event while idle")

        def model(st):
            return {k: x for k, x in st.items() if k != "generated_at"}
        t0 = time.time()
        again = v.state()
        check(model(again) == model(first),
              "GET /api/state after the frame was let go: the same model")
        gen = calendar.timegm(time.strptime(again["generated_at"],
                                            "%Y-%m-%dT%H:%M:%SZ"))
        check(abs(gen - t0) < 3, f"rendered again now ({again['generated_at']})")
        s2 = EventStream(v.port)
        _, st2 = s2.wait_for(lambda st: True, 5, "the first state")
        check(model(st2) == model(first), "a new page gets the same model")
        time.sleep(1)
        check(s1.q.empty(), "the open page got nothing: its model is current")
        wait_until(lambda: v.proc.output().count("let go of the model's "
                                                 "frame") >= 2,
                   20, what="the new rendering let go of in turn")
        name = PREFIX + "idle"
        create_service(name, 1)
        for s in (s1, s2):
            s.wait_for(lambda st: any(x["name"] == name
                                      for x in st["services"]), 20,
                       f"service {name} after the frame was let go")
        check(True, "a change after that reaches every open page")
    finally:
        for s in (s1, s2):
            if s:
                s.close()
        v.stop()
        remove_services()


def test_engine_away_and_back():
    """The engine goes away (the proxy closes): the model says so with a
    reason and keeps the last picture; it comes back: connected again."""
    v = Viz()
    try:
        ev = EventStream(v.port)
        _, st = ev.wait_for(lambda s: s["engine"]["connected"] and s["nodes"],
                            10, "connected with nodes")
        nodes = len(st["nodes"])
        step("the engine disappears")
        t0 = time.monotonic()
        v.proxy.stop()
        t, st = ev.wait_for(lambda s: not s["engine"]["connected"], 5,
                            "engine.connected false")
        err = st["engine"]["error"] or ""
        print(f"    noticed after {t - t0:.2f}s: {err}")
        check("cannot reach the Docker engine" in err or
              "closed" in err, "the error says why")
        check(len(st["nodes"]) == nodes, "the last picture stays")
        check(v.proc.alive(), "the visualizer keeps running")
        r = http_get(v.port, "/healthz")
        check(r.status == 200, "healthz still 200")
        time.sleep(1.5)
        step("the engine is back")
        t0 = time.monotonic()
        v.proxy.start()
        t, st = ev.wait_for(lambda s: s["engine"]["connected"], 15,
                            "engine.connected true again")
        print(f"    reconnected {t - t0:.2f}s after the engine came back")
        check(st["engine"]["error"] is None and st["nodes"],
              "connected, no error, nodes listed")
        ev.close()
        out = v.proc.output()
        check("lost the engine" in out and "connected to the engine" in out,
              "the log tells the story")
    finally:
        v.stop()


def test_engine_missing_at_start():
    """No socket at all: the model explains, the server serves anyway."""
    sock = f"/tmp/{PREFIX}-nothing.sock"
    v = Viz(env={"DOCKER_HOST": "unix://" + sock}, proxy=False)
    try:
        def failed():
            s = v.state(quiet=True)
            return s if "No such file" in (s["engine"]["error"] or "") \
                else None
        st = wait_until(failed, 5, what="an error about the socket")
        check(st["engine"]["connected"] is False and sock in
              st["engine"]["error"] and "mount" in st["engine"]["error"],
              f"error names the socket and the fix: {st['engine']['error']}")
        check(st["nodes"] == [] and st["containers"] == [], "nothing listed")
        r = http_get(v.port, "/")
        check(r.status == 200, "the page is served")
    finally:
        v.stop()


def test_http_details():
    """CSP, keep-alive, HEAD, ETag, SSE headers, the stream cap."""
    v = Viz(env={"VISUALIZER_MAX_CLIENTS": "2"})
    try:
        r = http_get(v.port, "/")
        check(r.status == 200 and r.header("Content-Security-Policy") == CSP,
              "the page carries the contract's CSP")
        check(r.header("Connection") != "close", "no Connection: close")
        etag = r.header("ETag")
        r = http_get(v.port, "/", headers={"If-None-Match": etag})
        check(r.status == 304, "If-None-Match -> 304")
        for p, ct in (("/app.js", "text/javascript"), ("/style.css",
                      "text/css"), ("/favicon.svg", "image/svg+xml"),
                      ("/api/state", "application/json")):
            r = http_get(v.port, p)
            check(r.status == 200 and r.header("Content-Type").startswith(ct),
                  f"{p}: {ct}")
            r = http_get(v.port, p, method="HEAD")
            check(r.status == 200 and r.body == b"", f"HEAD {p}: no body")
        r = http_get(v.port, "/api/state")
        check(r.header("Cache-Control") == "no-store", "state is no-store")
        a, b = EventStream(v.port), EventStream(v.port)
        a.wait_for(lambda s: True, 5, "a first state")
        b.wait_for(lambda s: True, 5, "a first state")
        head = a.head.decode()
        check("text/event-stream" in head and "no-store" in head and
              "chunked" in head.lower(), "stream headers")
        check(a.raw[0] == b"retry: 2000", "the stream starts with retry")
        r = http_get(v.port, "/api/events", timeout=5)
        check(r.status == 503, "a third stream is refused (cap 2)")
        a.close()
        wait_until(lambda: http_get(v.port, "/api/events",
                                    method="HEAD").status == 200, 5,
                   what="HEAD on the stream")
        c = EventStream(v.port)
        c.wait_for(lambda s: True, 5, "a stream once a slot is free")
        b.close()
        c.close()
    finally:
        v.stop()


def test_auth_and_prefix():
    """Basic auth from a file (healthz exempt) and a CTX_ROOT prefix."""
    d = tempfile.mkdtemp(prefix="vizt-auth-")
    creds = os.path.join(d, "creds")
    with open(creds, "w") as f:
        f.write("# users\nteacher:class room:42\n")
    v = Viz(env={"VISUALIZER_AUTH_FILE": creds, "CTX_ROOT": "/viz"})
    try:
        import base64
        good = {"Authorization": "Basic " + base64.b64encode(
            b"teacher:class room:42").decode()}
        bad = {"Authorization": "Basic " + base64.b64encode(
            b"teacher:class room:43").decode()}
        r = http_get(v.port, "/viz/")
        check(r.status == 401 and r.header("WWW-Authenticate").startswith(
            "Basic realm="), "no credentials -> 401 with a Basic challenge")
        check(http_get(v.port, "/viz/", headers=bad).status == 401,
              "wrong password -> 401")
        check(http_get(v.port, "/viz/api/events", headers=bad).status == 401,
              "the stream needs credentials too")
        r = http_get(v.port, "/viz/", headers=good)
        check(r.status == 200 and b"<html" in r.body, "right password -> page")
        check(http_get(v.port, "/viz/healthz").status == 200,
              "healthz needs no credentials")
        r = http_get(v.port, "/viz")
        check(r.status == 301 and r.header("Location") == "/viz/",
              "/viz -> 301 /viz/")
        check(http_get(v.port, "/api/state", headers=good).status == 404,
              "outside the prefix: 404")
        st = v.state("/viz/api/state", headers=good)
        check(st["version"] == 1, "the model under the prefix")
        env = dict(os.environ, PORT=str(v.port), CTX_ROOT="/viz")
        hc = subprocess.run([binary("visualizer"), "--healthcheck"], env=env,
                            capture_output=True, timeout=10)
        check(hc.returncode == 0, "--healthcheck finds /viz/healthz")
        env["CTX_ROOT"] = "/other"
        hc = subprocess.run([binary("visualizer"), "--healthcheck"], env=env,
                            capture_output=True, text=True, timeout=10)
        check(hc.returncode == 1 and "404" in hc.stderr,
              f"--healthcheck fails on a wrong prefix: {hc.stderr.strip()}")
        check("class room:42" not in v.proc.output(),
              "the password is never logged")
    finally:
        v.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_config_errors():
    """Bad configuration stops the start with a message naming the
    variable; --help and --version work without an engine."""
    cases = [({"PORT": "http"}, "PORT"), ({"PORT": "70000"}, "PORT"),
             ({"DOCKER_HOST": "https://host:2376"}, "DOCKER_HOST"),
             ({"DOCKER_HOST": "unix://relative"}, "DOCKER_HOST"),
             ({"CTX_ROOT": "/a/../b"}, "CTX_ROOT"),
             ({"CTX_ROOT": "/a b"}, "CTX_ROOT"),
             ({"HOST": "not a host"}, "HOST"),
             ({"VISUALIZER_AUTH_FILE": "/nonexistent/creds"},
              "VISUALIZER_AUTH_FILE"),
             ({"VISUALIZER_AUTH_FILE": "relative"}, "VISUALIZER_AUTH_FILE"),
             ({"LOG_LEVEL": "loud"}, "LOG_LEVEL")]
    for env, name in cases:
        e = dict(os.environ, PORT=str(free_port()))
        e.update(env)
        r = subprocess.run([binary("visualizer")], env=e, capture_output=True,
                           text=True, timeout=10)
        check(r.returncode == 1 and name in r.stderr,
              f"{env} -> exit 1 naming {name}: {r.stderr.strip()[-90:]}")
    r = subprocess.run([binary("visualizer"), "--help"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 0 and "DOCKER_HOST" in r.stdout and
          "CTX_ROOT" in r.stdout and "VISUALIZER_AUTH_FILE" in r.stdout,
          "--help lists the variables")
    r = subprocess.run([binary("visualizer"), "--version"],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 0 and r.stdout.startswith("visualizer "),
          f"--version: {r.stdout.strip()}")
    r = subprocess.run([binary("visualizer"), "--bogus"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 2, "an unknown argument -> exit 2")


def test_drain():
    """SIGTERM: open streams end at once, the process exits 0."""
    v = Viz()
    try:
        streams = [EventStream(v.port) for _ in range(3)]
        for s in streams:
            s.wait_for(lambda st: True, 5, "a first state")
        t0 = time.monotonic()
        v.proc.signal(signal.SIGTERM)
        for s in streams:
            check(s.closed.wait(3), "the stream ended")
        rc = v.proc.wait(5)
        print(f"    exited {rc} after {time.monotonic() - t0:.2f}s")
        check(rc == 0 and time.monotonic() - t0 < 3, "exit 0 within 3 s")
    finally:
        v.stop()


def test_drops_root():
    if os.geteuid() != 0:
        return cannot_run("dropping root needs root")
    v = Viz()
    v.wait_picture()
    status = {}
    with open(f"/proc/{v.proc.p.pid}/status") as f:
        for line in f:
            k, _, val = line.partition(":")
            status[k] = val.split()
    sock_gid = os.stat(v.proxy.path).st_gid
    check(status["Uid"] == ["65534"] * 4, f"runs as nobody: Uid {status['Uid']}"
          " (no user visualizer on this host)")
    check(status["Gid"] == [str(sock_gid)] * 4,
          f"with the socket's group only: Gid {status['Gid']}")
    check(status.get("Groups", []) == [], "no supplementary groups")
    check(status["CapEff"] == ["0000000000000000"] and
          status["CapBnd"] == ["0000000000000000"], "no capabilities")
    check(status["NoNewPrivs"] == ["1"], "no-new-privileges")
    check("running as uid 65534" in v.proc.output(), "and says so")
    check(v.state()["engine"]["connected"], "and still reads the engine")
    v.stop()


RECORDER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "metrics_recorder.py")
SCRAPE_PORT = 9100


def task_pids(service):
    """{task ID: its container's PID} of a service's tasks running here."""
    out = {}
    for cid in docker("ps", "-q", "--filter",
                      f"label=com.docker.swarm.service.name={service}").split():
        info = json.loads(docker("inspect", cid))[0]
        if info["State"]["Running"]:
            out[info["Config"]["Labels"]["com.docker.swarm.task.id"]] = \
                info["State"]["Pid"]
    return out


def task_addr(task_id, network):
    """The task's address on network (from the engine, as the visualizer
    reads it), without the prefix length."""
    t = json.loads(docker("inspect", "--type", "task", task_id))[0]
    for a in t.get("NetworksAttachments") or []:
        if a["Network"]["Spec"]["Name"] == network:
            return a["Addresses"][0].split("/")[0]
    raise RuntimeError(f"task {task_id} has no address on {network}")


def gwbridge_addr(pid):
    """The address a container on an overlay network has on
    docker_gwbridge, which this host reaches."""
    net = json.loads(docker("network", "inspect", "docker_gwbridge"))[0]
    subnet = net["IPAM"]["Config"][0]["Subnet"]
    first = subnet.split(".")[:2]
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "-o", "-4",
                          "addr", "show"], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    for line in out.splitlines():
        addr = line.split()[3].split("/")[0]
        if addr.split(".")[:2] == first:
            return addr
    raise RuntimeError(f"no docker_gwbridge address in: {out}")


def test_traffic_only_the_fixed_get():
    """Traffic, recorded on both sides. The visualizer runs in the network
    namespace of a container on an overlay network (as in a stack); a
    service on that network opts in (its label), another does not. Its
    tasks are real swarm tasks; inside each one's network namespace a
    recorder (metrics_recorder.py) answers GET /metrics and keeps every
    byte it gets. The engine side goes through the recording proxy."""
    if os.geteuid() != 0:
        return cannot_run("needs root (nsenter into the tasks' network "
                          "namespaces)")
    net, opted, quiet = f"{PREFIX}-net", f"{PREFIX}-scraped", f"{PREFIX}-quiet"
    helper = f"{PREFIX}-vizns"
    logdir = tempfile.mkdtemp(prefix="vizt-rec-")
    recorders, v = [], None
    step(f"overlay {net}; {opted} x3 opts in (port {SCRAPE_PORT}), {quiet} "
         f"does not")
    docker("network", "create", "-d", "overlay", "--attachable", net)
    try:
        create_service(opted, 3, "--network", net, "--label",
                       "part5.visualizer.scrape=true", "--label",
                       f"part5.visualizer.scrape.port={SCRAPE_PORT}")
        create_service(quiet, 1, "--network", net)
        wait_until(lambda: len(task_pids(opted)) == 3 and
                   len(task_pids(quiet)) == 1, 60, interval=0.5,
                   what="4 tasks running")
        ta = sorted(task_pids(opted).items())
        tq = list(task_pids(quiet).items())
        addrs = {tid: task_addr(tid, net) for tid, _ in ta}
        # .0 answers at 10 requests a second, .1 at none; .2 has no
        # recorder (connection refused: "no traffic data"); the quiet one
        # has one that must hear nothing.
        rates = {ta[0][0]: 10, ta[1][0]: 0, tq[0][0]: 0}
        logs = {}
        for tid, pid in ta[:2] + tq:
            logs[tid] = os.path.join(logdir, tid + ".jsonl")
            p = Proc(["python3", RECORDER, str(SCRAPE_PORT),
                      str(rates[tid]), logs[tid]], name=f"rec-{tid[:8]}",
                     logdir=logdir, ours=False,
                     wrap=["nsenter", "-t", str(pid), "-n", "--"])
            recorders.append(p)
            p.wait_log("recording on port", 10)
        step("the visualizer in the network namespace of a container on "
             f"{net}")
        docker("run", "-d", "--name", helper, "--network", net, IMAGE)
        hpid = int(docker("inspect", "-f", "{{.State.Pid}}", helper))
        gw = gwbridge_addr(hpid)
        v = Viz(wrap=["nsenter", "-t", str(hpid), "-n", "--"], host=gw)

        def ready():
            doc = v.state("/api/traffic", quiet=True)
            t = doc.get("tasks", {})
            ok = ((t.get(ta[0][0]) or {}).get("rps", 0) > 5 and
                  isinstance(t.get(ta[1][0]), dict) and
                  ta[2][0] in t and t[ta[2][0]] is None)
            return doc if ok else None
        doc = wait_until(ready, 20, interval=0.5,
                         what="traffic for the opted-in tasks")
        t = doc["tasks"]
        print(f"    /api/traffic: {json.dumps(doc)[:400]}", flush=True)
        check(t[ta[0][0]]["rps"] > 5 and t[ta[0][0]]["share"] == 1,
              f"the busy replica: {t[ta[0][0]]}")
        check(t[ta[1][0]]["rps"] == 0 and t[ta[1][0]]["share"] == 0,
              f"the idle one: zero ({t[ta[1][0]]})")
        check(t[ta[2][0]] is None, "the one that refuses: null (no traffic "
              "data), not zero")
        check(tq[0][0] not in t, "the service without the label is not in "
              "the document")
        st = v.state()
        sv = {x["name"]: x for x in st["services"]}
        check(sv[opted]["metrics"] is True and sv[quiet]["metrics"] is False,
              "the model says which services opt in")
        time.sleep(2)
    finally:
        if v is not None:
            v.stop()
        for p in recorders:
            p.stop()
        docker("rm", "-f", helper, check_rc=False)
        docker("service", "rm", opted, quiet, check_rc=False)
        wait_until(lambda: not docker("ps", "-aq", "--filter",
                                      f"label=com.docker.swarm.service.name="
                                      f"{opted}", check_rc=False), 30,
                   interval=0.5, what="the tasks to go")
        docker("network", "rm", net, check_rc=False)
    step("what each side received")
    for tid, _ in ta[:2] + tq:
        with open(logs[tid]) if os.path.exists(logs[tid]) else \
                open(os.devnull) as f:
            reqs = [json.loads(line)["request"] for line in f]
        if tid == tq[0][0]:
            check(reqs == [], f"the task that did not opt in got no "
                  f"request ({len(reqs)})")
            continue
        want = (f"GET /metrics HTTP/1.1\r\nHost: {addrs[tid]}:{SCRAPE_PORT}"
                "\r\nUser-Agent: part5-visualizer\r\nAccept: text/plain"
                "\r\nConnection: close\r\n\r\n")
        bad = [r for r in reqs if r != want]
        check(len(reqs) >= 3 and not bad,
              f"task {tid[:8]} ({addrs[tid]}): {len(reqs)} requests, each "
              f"exactly the fixed GET /metrics (others: {bad[:2]})")
    reqs = v.proxy.requests()
    bad = [r for r in reqs if r not in ALLOWED]
    check(not bad, f"the engine got only the fixed GET requests ({len(reqs)}"
          f"; unexpected: {bad})")
    shutil.rmtree(logdir, ignore_errors=True)


def main():
    step(f"engine in swarm mode, image {IMAGE}; names start with {PREFIX}")
    ensure_swarm()
    ensure_image()
    try:
        run([test_state_and_live_scale, test_failed_tasks_and_no_secrets,
             test_no_passthrough, test_requests_independent_of_pages,
             test_idle_frame_let_go,
             test_engine_away_and_back, test_engine_missing_at_start,
             test_http_details, test_auth_and_prefix, test_config_errors,
             test_drain, test_drops_root, test_traffic_only_the_fixed_get])
    finally:
        remove_services()


if __name__ == "__main__":
    try:
        main()
    finally:
        remove_services()
