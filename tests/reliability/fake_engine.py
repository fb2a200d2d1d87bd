# SPDX-License-Identifier: Apache-2.0
"""fake_engine: a test double of the Docker engine's API on a unix socket,
for the visualizer's fault tests. Standard library only.

It answers the visualizer's fixed GET requests with replies recorded from
a real engine (tests/fixtures/docker/swarm/), and can be switched, per
path, to misbehave the ways an engine (or a proxy in front of it) does:

  ok          the recorded reply (Content-Length; /tasks chunked)
  slow        the recorded reply after `delay` seconds
  truncated   a 200 whose JSON stops in the middle, correctly framed
  cut         a 200 announcing more bytes than it sends, then closed
  500         a 500 with the engine's {"message": ...} error body
  nonjson     a 200 whose body is an HTML error page of a proxy
  endless     a 200 chunked body that starts and never ends

Every request line is recorded (requests()). The /events stream stays
open; push_event() writes an event line to every open stream and
end_events() closes them (as a restarting engine does).

Run it by hand:
  PYTHONPATH=tests/lib python3 tests/reliability/fake_engine.py /tmp/e.sock
"""

import json
import os
import socket
import sys
import time

from unixserver import UnixServer

SOURCE = os.environ.get(
    "PART5_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "docker", "swarm")

# Path of the request (query dropped) -> fixture file.
REPLIES = {
    "/version": "version.json",
    "/info": "info.json",
    "/nodes": "nodes.json",
    "/services": "services.json",
    "/tasks": "tasks.json",
}

MODES = ("ok", "slow", "truncated", "cut", "500", "nonjson", "endless")


def load_fixtures():
    out = {}
    for path, name in REPLIES.items():
        with open(os.path.join(FIXTURES, name), "rb") as f:
            out[path] = f.read()
    return out


class FakeEngine(UnixServer):
    """The double. modes maps a path ("/tasks") or "*" to a mode."""

    def __init__(self, path, delay=3.0):
        super().__init__(path)
        self.delay = delay
        self.bodies = load_fixtures()
        self.modes = {}
        self.served = []  # (path, mode) of each reply started
        self.events = []  # open /events connections
        self.start()

    # -- control ----------------------------------------------------------

    def set_mode(self, mode, path="*"):
        assert mode in MODES, mode
        with self.lock:
            if path == "*":
                self.modes = {"*": mode}
            else:
                self.modes[path] = mode

    def set_tasks(self, tasks):
        """Replaces the /tasks reply (a list of task objects)."""
        with self.lock:
            self.bodies["/tasks"] = json.dumps(tasks).encode()

    def tasks(self):
        with self.lock:
            return json.loads(self.bodies["/tasks"])

    def served_as(self, path, mode):
        """How many replies to path were given in mode."""
        with self.lock:
            return sum(1 for p, m in self.served if p == path and m == mode)

    def push_event(self, event):
        """Writes one event line (a dict) to every open /events stream."""
        data = json.dumps(event).encode() + b"\n"
        chunk = b"%x\r\n%s\r\n" % (len(data), data)
        with self.lock:
            streams = list(self.events)
        for s in streams:
            try:
                s.sendall(chunk)
            except OSError:
                pass
        return len(streams)

    def end_events(self):
        """Ends every open /events stream (the last chunk, then close)."""
        with self.lock:
            streams, self.events = self.events, []
        for s in streams:
            try:
                s.sendall(b"0\r\n\r\n")
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def open_events(self):
        with self.lock:
            return len(self.events)

    # -- life cycle -------------------------------------------------------

    def stop(self):
        """Closes the socket and every connection: the engine is gone."""
        self.end_events()
        super().stop()

    # -- serving ----------------------------------------------------------

    def _mode(self, path):
        with self.lock:
            return self.modes.get(path, self.modes.get("*", "ok"))

    def serve(self, c):
        keep = False
        try:
            c.settimeout(30)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                d = c.recv(4096)
                if not d:
                    return
                head += d
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            target = parts[1] if len(parts) > 1 else ""
            self.record(f"{parts[0]} {target}")
            path = target.split("?", 1)[0]
            keep = self._reply(c, parts[0], path)
        except OSError:
            pass
        finally:
            if not keep:
                with self.lock:
                    self.conns.discard(c)
                try:
                    c.close()
                except OSError:
                    pass

    @staticmethod
    def _head(status, ctype, length=None, extra=b""):
        reason = {200: b"OK", 404: b"Not Found", 405: b"Method Not Allowed",
                  500: b"Internal Server Error"}[status]
        h = (b"HTTP/1.1 %d %s\r\nApi-Version: 1.41\r\nContent-Type: %s\r\n"
             b"Docker-Experimental: false\r\nOstype: linux\r\n"
             b"Server: Docker/20.10.24+dfsg1 (linux)\r\n" %
             (status, reason, ctype))
        if length is None:
            h += b"Transfer-Encoding: chunked\r\n"
        else:
            h += b"Content-Length: %d\r\n" % length
        return h + extra + b"\r\n"

    def _reply(self, c, method, path):
        """Answers one request. Returns True when the connection stays
        open (an event stream)."""
        if method != "GET":
            body = b'{"message":"only GET here"}\n'
            c.sendall(self._head(405, b"application/json", len(body)) + body)
            return False
        mode = self._mode(path)
        with self.lock:
            self.served.append((path, mode))
        if path == "/_ping":
            if mode == "500":
                body = b'{"message":"fake engine: internal failure"}\n'
                c.sendall(self._head(500, b"application/json", len(body)) +
                          body)
            else:
                c.sendall(self._head(200, b"text/plain; charset=utf-8", 2) +
                          b"OK")
            return False
        if path == "/events":
            c.sendall(self._head(200, b"application/json"))
            c.settimeout(None)
            with self.lock:
                self.events.append(c)
            return True
        with self.lock:
            body = self.bodies.get(path)
        if body is None:
            msg = b'{"message":"page not found"}\n'
            c.sendall(self._head(404, b"application/json", len(msg)) + msg)
            return False
        if mode == "slow":
            time.sleep(self.delay)
            mode = "ok"
        if mode == "ok":
            if path == "/tasks":
                c.sendall(self._head(200, b"application/json"))
                for i in range(0, len(body), 4096):
                    part = body[i:i + 4096]
                    c.sendall(b"%x\r\n%s\r\n" % (len(part), part))
                c.sendall(b"0\r\n\r\n")
            else:
                c.sendall(self._head(200, b"application/json", len(body)) +
                          body)
        elif mode == "truncated":
            part = body[:len(body) // 2]
            c.sendall(self._head(200, b"application/json", len(part)) + part)
        elif mode == "cut":
            c.sendall(self._head(200, b"application/json", len(body)) +
                      body[:len(body) // 2])
            c.shutdown(socket.SHUT_RDWR)
        elif mode == "500":
            msg = b'{"message":"fake engine: internal failure"}\n'
            c.sendall(self._head(500, b"application/json", len(msg)) + msg)
        elif mode == "nonjson":
            page = (b"<html><body><h1>502 Bad Gateway</h1>nginx</body>"
                    b"</html>\n")
            c.sendall(self._head(200, b"text/html", len(page)) + page)
        elif mode == "endless":
            c.sendall(self._head(200, b"application/json") + b"1\r\n[\r\n")
            deadline = time.monotonic() + 120
            while self.running and time.monotonic() < deadline:
                time.sleep(0.5)
                c.sendall(b"1\r\n \r\n")
        return False


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fake_engine.py SOCKET_PATH")
    e = FakeEngine(sys.argv[1])
    print(f"fake engine on {sys.argv[1]}; modes: {', '.join(MODES)}; "
          "type a mode (or 'path mode'), 'event', 'end' or 'quit'")
    for cmd in sys.stdin:
        w = cmd.split()
        if not w:
            continue
        if w[0] == "quit":
            break
        if w[0] == "event":
            print(e.push_event({"Type": "service", "Action": "update",
                                "Actor": {"ID": "x", "Attributes": {
                                    "name": "by-hand"}}}), "streams")
        elif w[0] == "end":
            e.end_events()
        elif len(w) == 2:
            e.set_mode(w[1], w[0])
        else:
            e.set_mode(w[0])
    e.stop()
