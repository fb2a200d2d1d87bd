#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A development and test double of the visualizer server, for the page.

It speaks the page's half of docs/visualizer-api.md: the page and its
assets (read from visualizer/page/ at every request, so edits show on
reload, with the same Content-Security-Policy as the real server, and
with comment lines and indentation removed as the real server's build
does: see minify()), api/state, api/traffic, api/events (Server-Sent
Events: "state" and "traffic") and healthz, all under a CTX_ROOT-like
prefix. The model is one of fixtures.py, or any JSON file (for instance a
recorded api/state of the real server).

It is not the visualizer: it never talks to a Docker engine. It exists so
the page can be built and tested before and apart from the C server, and
so tests can drive what the real server cannot be made to do on demand.
Tests drive it through /_mock/ routes (outside the prefix, POST only):

  POST /_mock/fixture   body: a fixture name     -> serve and push it (and
                                                    its traffic, if any)
  POST /_mock/model     body: a model (JSON)     -> serve and push it
  POST /_mock/traffic   body: a traffic document -> serve and push it
  POST /_mock/engine    body: {"connected": bool, "error": str}
  POST /_mock/drop      body: {"seconds": n}     -> close every event
                        stream and answer 503 to api/ for n seconds

Usage: mock_state_server.py [--port 0] [--host 127.0.0.1] [--root /viz/]
           [--fixture two-nodes | --fixture-file model.json]
It prints "listening on http://HOST:PORT/ROOT" once ready. Standard
library only; binds to loopback by default.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # No __pycache__ in the source tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
ASSETS = {
    "": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "style.css": ("style.css", "text/css; charset=utf-8"),
    "favicon.svg": ("favicon.svg", "image/svg+xml"),
}


def minify(text):
    """The page's JS or CSS as the server embeds it (cmake/embed.cmake):
    without the comments that start a line, indentation, or blank lines.
    Kept byte for byte the same as the CMake version; the page test
    compares the two when it runs against the real server."""
    out, in_comment = [], False
    for line in text.split("\n"):
        t = line.strip(" \t")
        if in_comment:
            in_comment = "*/" not in t
            continue
        if t.startswith("/*"):
            in_comment = "*/" not in t
            continue
        if t:
            out.append(t)
    return "\n".join(out) + "\n"


class World:
    """The served model and the event streams' shared state."""

    def __init__(self, page_dir, keepalive):
        self.page_dir = page_dir
        self.keepalive = keepalive
        self.cond = threading.Condition()
        self.model = None
        self.gen = 0  # Bumped on every change of the model.
        self.traffic = fixtures.traffic_doc(None, {})
        self.tgen = 0  # Bumped on every change of the traffic.
        self.epoch = 0  # Bumped to close every open stream.
        self.down_until = 0.0
        self.stopping = False

    def set_model(self, m):
        with self.cond:
            self.model = m
            self.gen += 1
            self.cond.notify_all()

    def set_traffic(self, t):
        with self.cond:
            self.traffic = t
            self.tgen += 1
            self.cond.notify_all()

    def traffic_line(self):
        with self.cond:
            return self.tgen, json.dumps(self.traffic, separators=(",", ":"),
                                         ensure_ascii=False)

    def snapshot(self):
        """The model as one line of JSON, stamped now."""
        with self.cond:
            m = dict(self.model)
            gen = self.gen
        m["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return gen, json.dumps(m, separators=(",", ":"), ensure_ascii=False)


class Handler(BaseHTTPRequestHandler):
    server_version = "visualizer-mock"
    world = None
    root = "/"

    def log_message(self, fmt, *args):
        if os.environ.get("MOCK_VERBOSE"):
            sys.stderr.write("mock: " + (fmt % args) + "\n")

    def _send(self, code, body, ctype="text/plain; charset=utf-8", extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        w = self.world
        if path == self.root + "healthz":
            return self._send(200, "ok\n")
        if path + "/" == self.root:
            return self._send(301, "", extra={"Location": self.root})
        if not path.startswith(self.root):
            return self._send(404, "not found\n")
        rel = path[len(self.root):]
        if rel in ASSETS:
            name, ctype = ASSETS[rel]
            try:
                with open(os.path.join(w.page_dir, name), "rb") as f:
                    data = f.read()
            except OSError as e:
                return self._send(500, "cannot read %s: %s\n" % (name, e))
            if name.endswith((".js", ".css")):
                data = minify(data.decode()).encode()
            extra = {"Content-Security-Policy": CSP} if rel == "" else {}
            return self._send(200, data, ctype, extra)
        if rel.startswith("api/") and time.time() < w.down_until:
            return self._send(503, "mock: dropped\n")
        if rel == "api/state":
            return self._send(200, w.snapshot()[1], "application/json")
        if rel == "api/traffic":
            return self._send(200, w.traffic_line()[1], "application/json")
        if rel == "api/events":
            return self._events()
        return self._send(404, "not found\n")

    def _events(self):
        """One Server-Sent Events stream, until the client leaves, the
        stream is dropped, or the server stops."""
        w = self.world
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with w.cond:
            epoch = w.epoch
        seen = tseen = -1
        try:
            self.wfile.write(b"retry: 2000\n\n")
            while True:
                with w.cond:
                    w.cond.wait_for(lambda: w.gen != seen or w.tgen != tseen or w.epoch != epoch
                                    or w.stopping, timeout=w.keepalive)
                    if w.epoch != epoch or w.stopping:
                        return
                    changed, tchanged = w.gen != seen, w.tgen != tseen
                if changed:
                    seen, line = w.snapshot()
                    self.wfile.write(b"event: state\ndata: " + line.encode() + b"\n\n")
                if changed or tchanged:
                    tseen, line = w.traffic_line()
                    self.wfile.write(b"event: traffic\ndata: " + line.encode() + b"\n\n")
                if not changed and not tchanged:
                    self.wfile.write(b": keepalive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def do_POST(self):
        w = self.world
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        path = self.path.split("?", 1)[0]
        try:
            if path == "/_mock/fixture":
                name = body.strip()
                if name not in fixtures.FIXTURES:
                    return self._send(400, "unknown fixture %r; known: %s\n"
                                      % (name, ", ".join(fixtures.FIXTURES)))
                m = fixtures.FIXTURES[name]()
                w.set_model(m)
                w.set_traffic(fixtures.TRAFFIC.get(name, fixtures.traffic_doc)(m, {}))
            elif path == "/_mock/model":
                w.set_model(json.loads(body))
            elif path == "/_mock/traffic":
                w.set_traffic(json.loads(body))
            elif path == "/_mock/engine":
                req = json.loads(body or "{}")
                with w.cond:
                    m = dict(w.model)
                    m["engine"] = dict(m["engine"], connected=bool(req.get("connected")),
                                       error=req.get("error"))
                w.set_model(m)
            elif path == "/_mock/drop":
                secs = float(json.loads(body or "{}").get("seconds", 3))
                with w.cond:
                    w.down_until = time.time() + secs
                    w.epoch += 1
                    w.cond.notify_all()
            else:
                return self._send(404, "not found\n")
        except (ValueError, KeyError, TypeError) as e:
            return self._send(400, "bad request: %s\n" % e)
        return self._send(200, "ok\n")

    def do_PUT(self):
        self._send(405, "method not allowed\n", extra={"Allow": "GET, HEAD"})

    do_DELETE = do_PATCH = do_OPTIONS = do_PUT


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--root", default="/", help="path prefix, like CTX_ROOT")
    ap.add_argument("--fixture", default="two-nodes", choices=sorted(fixtures.FIXTURES))
    ap.add_argument("--fixture-file", help="serve this JSON model instead")
    ap.add_argument("--page-dir", default=os.path.join(here, "..", "..", "visualizer", "page"))
    ap.add_argument("--keepalive", type=float, default=15.0)
    a = ap.parse_args()

    root = "/" + a.root.strip("/") + "/" if a.root.strip("/") else "/"
    world = World(os.path.abspath(a.page_dir), a.keepalive)
    if a.fixture_file:
        try:
            with open(a.fixture_file, encoding="utf-8") as f:
                world.set_model(json.load(f))
        except (OSError, ValueError) as e:
            sys.exit("mock: cannot load %s: %s" % (a.fixture_file, e))
    else:
        world.set_model(fixtures.FIXTURES[a.fixture]())
    Handler.world = world
    Handler.root = root
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True

    def stop(*_):
        with world.cond:
            world.stopping = True
            world.cond.notify_all()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = srv.server_address[:2]
    print("listening on http://%s:%d%s" % (host, port, root), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
