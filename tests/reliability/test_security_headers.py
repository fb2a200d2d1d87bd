# SPDX-License-Identifier: Apache-2.0
"""The security claims of SECURITY.md that no other test checked:

- every HTML response of both servers carries its Content-Security-Policy,
  on every route and method, with and without Redis, with and without
  CTX_ROOT and basic auth; every response of ours says what it is
  (Content-Type) and X-Content-Type-Options: nosniff; our error pages are
  text/plain;
- libmicrohttpd's own answers to malformed requests (400, 414, 431, 505)
  carry neither header: the test proves they are fixed texts that echo
  nothing of the request (the gap SECURITY.md states);
- the visualizer shows none of what docs/visualizer-api.md says it never
  shows, even when every engine reply holds it: join tokens, Env, Args,
  secrets, configs, TLS material (a test-double engine serving recorded
  replies with those added);
- the engine sees GET requests only, on the fixed list.

Real hello against a real redis-server; the visualizer against the test
double (fake_engine.py). No Docker engine needed.
"""

import base64
import json
import os
import re
import shutil
import socket
import tempfile

from fake_engine import FakeEngine
from part5test import (TIME_SCALE, Proc, Redis, binary, check, free_port,
                       http_get, raw_request, step, wait_until)
from rellogs import logdir, main

HELLO_CSP = ("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
             "form-action 'none'")
VIZ_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
           "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
           "form-action 'none'; frame-ancestors 'none'")
MARK = "zq7xmark"
# The fixed requests of visualizer/docker_host.c.
ALLOWED = {
    "GET /_ping", "GET /version", "GET /info", "GET /nodes", "GET /services",
    "GET /tasks", "GET /containers/json?all=1",
    "GET /events?filters=%7B%22type%22%3A%5B%22service%22%2C%22node%22"
    "%2C%22container%22%5D%7D",
}


def parse(raw):
    """(status, {header: value} with lower-case names, body) of a raw
    response; (0, {}, b"") when nothing came."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ", lines[0] + " ")
    if not m:
        return 0, {}, b""
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(m.group(1)), headers, body


class Audit:
    """Sends requests and checks each response's headers."""

    def __init__(self, port, csp):
        self.port = port
        self.csp = csp
        self.count = 0
        self.html = 0
        self.mhd = []

    def ours(self, what, method, path, headers=b"", want=None):
        raw = raw_request(self.port, method.encode() + b" " + path.encode()
                          + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n",
                          timeout=10 * TIME_SCALE)
        status, h, body = parse(raw)
        ctype = h.get("content-type", "")
        self.count += 1
        if want is not None:
            check(status == want, f"{what}: {method} {path} -> {status}")
        if status != 304:
            check(ctype != "", f"{what}: {method} {path} ({status}) says "
                  f"its Content-Type ({ctype})")
        check(h.get("x-content-type-options") == "nosniff",
              f"{what}: {method} {path} ({status}) nosniff")
        if ctype.startswith("text/html"):
            self.html += 1
            check(h.get("content-security-policy") == self.csp,
                  f"{what}: {method} {path} ({status}) HTML with the CSP")
        elif status >= 400:
            check(ctype.startswith("text/plain"), f"{what}: the {status} "
                  "page is text/plain")
        return status, h, body

    def malformed(self, what, data):
        """libmicrohttpd answers these itself: no CSP, no nosniff, but a
        fixed text that quotes nothing of the request."""
        raw = raw_request(self.port, data, timeout=10 * TIME_SCALE)
        status, h, body = parse(raw)
        self.count += 1
        check(status in (400, 413, 414, 431, 505), f"{what}: {status}")
        check(MARK.encode() not in body and MARK.encode() not in raw,
              f"{what}: the answer quotes nothing of the request "
              f"({body[:60]!r})")
        self.mhd.append((what, status, "content-security-policy" in h))


MALFORMED = [
    ("a bad HTTP version", f"GET /{MARK} HTTP/9.9\r\nHost: x\r\n\r\n"),
    ("a request line that is not HTTP", f"\x01{MARK} junk\r\n\r\n"),
    ("a 40 KB request line", f"GET /{MARK}{'a' * 40000} HTTP/1.1\r\n"
     "Host: x\r\n\r\n"),
    ("a 40 KB header", f"GET / HTTP/1.1\r\nHost: x\r\nX-{MARK}: "
     f"{'b' * 40000}\r\n\r\n"),
    ("a negative Content-Length", f"GET /{MARK} HTTP/1.1\r\nHost: x\r\n"
     "Content-Length: -1\r\n\r\n"),
    ("broken chunked coding", f"GET /{MARK} HTTP/1.1\r\nHost: x\r\n"
     f"Transfer-Encoding: chunked\r\n\r\n{MARK}\r\n"),
]


def test_hello_every_html_response_has_the_csp():
    r = Redis(datadir=logdir("redis"))
    port = free_port()
    Proc([binary("hello")], env={
        "PORT": str(port), "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(r.port), "NAME": "<b>Class</b>"},
        name="hello", logdir=logdir("hello")).wait_log(r"listening on port", 10 * TIME_SCALE)
    a = Audit(port, HELLO_CSP)
    for state in ("Redis up", "Redis down"):
        step(f"every route and method, {state}")
        for path, html in (("/", True), ("/api", False), ("/healthz", False),
                           ("/metrics", False)):
            for method in ("GET", "HEAD"):
                status, h, _ = a.ours(state, method, path, want=200)
                check(h["content-type"].startswith("text/html") == html,
                      f"{path}: HTML only for the page")
            a.ours(state, "POST", path, b"Content-Length: 0\r\n", want=405)
        for path in ("/nothing", f"/{MARK}", "/%00", "/../etc/passwd",
                     "/index.html", "//"):
            a.ours(state, "GET", path, want=404)
        a.ours(state, "DELETE", "/", want=405)
        a.ours(state, "BREW", "/", want=405)
        if state == "Redis up":
            r.kill()
            wait_until(lambda: "counter disabled" in http_get(port, "/").text,
                       5 * TIME_SCALE, what="the page without a count")
    step("malformed requests: libmicrohttpd's own fixed answers")
    for what, data in MALFORMED:
        a.malformed(what, data.encode("latin-1"))
    print(f"RESULT csp-hello responses={a.count} html={a.html} "
          f"mhd_fixed_answers={len(a.mhd)}", flush=True)


def leaky_engine(d):
    """The test double, with what must never be shown added to replies
    that really carry such fields."""
    e = FakeEngine(os.path.join(d, "engine.sock"))
    secret = "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl"
    info = json.loads(e.bodies["/info"])
    info.setdefault("Swarm", {})["JoinTokens"] = {"Worker": secret,
                                                  "Manager": secret}
    info["Swarm"].setdefault("Cluster", {}).setdefault("Spec", {})[
        "CAConfig"] = {"SigningCAKey": "-----BEGIN EC PRIVATE KEY-----x"}
    nodes = json.loads(e.bodies["/nodes"])
    for n in nodes:
        n.setdefault("Description", {})["TLSInfo"] = {
            "TrustRoot": "-----BEGIN CERTIFICATE-----leak",
            "CertIssuerPublicKey": "leak-public-key"}
    services = json.loads(e.bodies["/services"])
    for s in services:
        cs = s["Spec"].setdefault("TaskTemplate", {}).setdefault(
            "ContainerSpec", {})
        cs["Args"] = ["--token", secret]
        cs["Secrets"] = [{"SecretName": "db_password-leak"}]
        cs["Configs"] = [{"ConfigName": "app_config-leak"}]
    with e.lock:
        e.bodies["/info"] = json.dumps(info).encode()
        e.bodies["/nodes"] = json.dumps(nodes).encode()
        e.bodies["/services"] = json.dumps(services).encode()
    return e


NEVER = ["SWMTKN", "hunter2", "PASSWORD=", "BEGIN EC PRIVATE KEY",
         "BEGIN CERTIFICATE", "leak-public-key", "db_password-leak",
         "app_config-leak", '"Env"', '"Args"', '"Secrets"', '"Configs"',
         "JoinTokens"]


def test_visualizer_every_html_response_has_the_csp():
    d = tempfile.mkdtemp(prefix="relsec-")
    os.chmod(d, 0o750)
    eng = leaky_engine(d)
    creds = os.path.join(d, "creds")
    with open(creds, "w") as f:
        f.write("teacher:class room:42\n")
    try:
        for env in ({}, {"CTX_ROOT": "/viz", "VISUALIZER_AUTH_FILE": creds,
                         "VISUALIZER_MAX_CLIENTS": "1"}):
            port = free_port()
            e = {"PORT": str(port), "DOCKER_HOST": "unix://" + eng.path}
            e.update(env)
            v = Proc([binary("visualizer")], env=e, name="visualizer",
                     logdir=logdir("visualizer"))
            v.wait_log("listening on", 10 * TIME_SCALE)
            root = env.get("CTX_ROOT", "") + "/"
            basic = "Basic " + base64.b64encode(
                b"teacher:class room:42").decode()
            auth = f"Authorization: {basic}\r\n".encode() if env else b""
            what = "with CTX_ROOT and auth" if env else "plain"
            a = Audit(port, VIZ_CSP)
            wait_until(lambda: json.loads(http_get(
                port, root + "api/state",
                headers={"Authorization": basic}).body)["nodes"],
                10 * TIME_SCALE, what="a first picture")
            step(f"every route and method, {what}")
            bodies = []
            for p in ("", "app.js", "style.css", "favicon.svg", "api/state",
                      "healthz"):
                for method in ("GET", "HEAD"):
                    _, h, body = a.ours(what, method, root + p, auth,
                                        want=200)
                    bodies.append(body)
                    if p == "":
                        etag = h["etag"]
                a.ours(what, "POST", root + p, auth +
                       b"Content-Length: 0\r\n", want=405)
            a.ours(what, "GET", root, auth + b"If-None-Match: " +
                   etag.encode() + b"\r\n", want=304)
            a.ours(what, "HEAD", root + "api/events", auth, want=200)
            for p in ("nothing", MARK, "%00", "../etc/passwd",
                      "api/../../v1.41/swarm", "index.html"):
                a.ours(what, "GET", root + p, auth, want=404)
            if env:
                a.ours(what, "GET", "/viz", want=301)
                a.ours(what, "GET", "/api/state", auth, want=404)
                for p in ("", "api/state", "api/events", "app.js"):
                    a.ours(what, "GET", root + p, want=401)
                    a.ours(what, "GET", root + p, b"Authorization: Basic " +
                           base64.b64encode(b"teacher:wrong") + b"\r\n",
                           want=401)
            step("malformed requests: libmicrohttpd's own fixed answers")
            for w, data in MALFORMED:
                a.malformed(w, data.encode("latin-1"))
            step("nothing of what the model never holds reaches a response")
            stream = raw_request(port, b"GET " + root.encode() +
                                 b"api/events HTTP/1.1\r\nHost: x\r\n" +
                                 auth + b"\r\n", timeout=2)
            if env:
                # VISUALIZER_MAX_CLIENTS=1: a second stream is refused.
                s1 = socket.create_connection(("127.0.0.1", port))
                s1.sendall(b"GET /viz/api/events HTTP/1.1\r\nHost: x\r\n" +
                           auth + b"\r\n")
                s1.recv(100)
                a.ours(what, "GET", root + "api/events", auth, want=503)
                s1.close()
            bodies.append(stream)
            text = b"\n".join(bodies).decode("utf-8", "replace")
            check('"nodes":[{' in text and '"tasks":[{' in text,
                  "the model was among the answers")
            for needle in NEVER:
                check(needle not in text, f"no response holds {needle}")
            v.stop()
            print(f"RESULT csp-visualizer-{'auth' if env else 'plain'} "
                  f"responses={a.count} html={a.html} "
                  f"mhd_fixed_answers={len(a.mhd)}", flush=True)
        bad = [r for r in eng.requests() if r not in ALLOWED]
        check(not bad, f"the engine saw only the fixed GET requests "
              f"({len(eng.requests())} requests; others: {bad})")
    finally:
        eng.stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main([test_hello_every_html_response_has_the_csp,
         test_visualizer_every_html_response_has_the_csp])
