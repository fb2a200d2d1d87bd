#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""load.py: the keep-alive load client of test_stack_prod.py, run in a
container on the stack's network (the only place the tasks are reachable
without IPVS). Standard library only. Prints JSON.

  load.py load NAME CONNS SECONDS   CONNS keep-alive connections to the
                                    tasks of NAME (port 80), requests back
                                    to back until SECONDS pass or SIGTERM;
                                    then one summary line
  load.py metrics NAME              each task's /metrics (hello_*)
  load.py redis HOST [PASSWORD] CMD...  one Redis command (RESP), after
                                    AUTH when a password is given

The load: connection i starts on task address i mod n (tasks.NAME, sorted),
so every task gets its share. A response that says "Connection: close"
(a draining task) ends the connection; the next one resolves tasks.NAME
again and takes the next address in turn. Every request is counted:
status, the visit number of the page (each must be new), the task's host
name; and every failure is classified: a connection refused or timed out,
or one closed or reset by the server while a request was on it ("reset":
what a drain that drops keep-alive connections causes).
"""

import json
import re
import signal
import socket
import sys
import threading
import time

PAGE = re.compile(rb"<b>Hostname:</b> ([^<]*)<br/><b>Visits:</b> (\d+)$")


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def resolve(name, port=80):
    try:
        return sorted({a[4][0] for a in socket.getaddrinfo(
            name, port, socket.AF_INET, socket.SOCK_STREAM)})
    except OSError:
        return []


class Closed(Exception):
    """The server closed or reset the connection before a full answer."""


def read_response(sock, buf):
    """Reads one response from sock (buf: bytes already received). Returns
    (status, headers dict, body, rest of buf)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise Closed("closed before the status line" if not buf else
                         "closed in the headers")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get(b"content-length", b"0"))
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise Closed("closed in the body")
        buf += chunk
    return status, headers, buf[:n], buf[n:]


class Load:
    def __init__(self, name, conns):
        self.name = name
        self.conns = conns
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.rr = 0
        self.requests = 0
        self.ok = 0
        self.counted = 0
        self.disabled = 0
        self.statuses = {}
        self.numbers = set()
        self.dups = 0
        self.hosts = {}
        self.closes = 0
        self.connects = 0
        self.errors = {}
        self.samples = []
        self.max_ms = 0.0

    def error(self, kind, detail):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.samples) < 20:
                self.samples.append({"t": round(time.time(), 3),
                                     "kind": kind, "detail": detail})

    def pick(self, i, first):
        addrs = resolve(f"tasks.{self.name}")
        if not addrs:
            return None
        if first:
            return addrs[i % len(addrs)]
        with self.lock:
            self.rr += 1
            return addrs[self.rr % len(addrs)]

    def record(self, status, headers, body, ms):
        with self.lock:
            self.requests += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.max_ms = max(self.max_ms, ms)
            if status != 200:
                return
            self.ok += 1
            m = PAGE.search(body)
            if m is None:
                self.disabled += 1
                return
            host, n = m.group(1).decode(), int(m.group(2))
            self.counted += 1
            if n in self.numbers:
                self.dups += 1
            self.numbers.add(n)
            h = self.hosts.setdefault(host, [0, time.time(), 0])
            h[0] += 1
            h[2] = time.time()

    def worker(self, i):
        req = (f"GET / HTTP/1.1\r\nHost: {self.name}\r\n"
               "User-Agent: part5-load\r\n\r\n").encode()
        sock, buf, first, used = None, b"", True, 0
        while not self.stop.is_set():
            if sock is None:
                addr = self.pick(i, first)
                first = False
                if addr is None:
                    self.error("resolve", f"tasks.{self.name}: no address")
                    time.sleep(0.1)
                    continue
                try:
                    sock = socket.create_connection((addr, 80), timeout=10)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                    1)
                    buf, used = b"", 0
                    with self.lock:
                        self.connects += 1
                except OSError as e:
                    self.error("connect", f"{addr}: {e}")
                    sock = None
                    time.sleep(0.05)
                    continue
            t0 = time.monotonic()
            try:
                sock.sendall(req)
                status, headers, body, buf = read_response(sock, buf)
            except (OSError, Closed, ValueError, IndexError) as e:
                kind = "timeout" if isinstance(e, socket.timeout) else \
                    "reset"
                self.error(kind, f"{addr}, request {used + 1} on the "
                           f"connection: {type(e).__name__}: {e}")
                sock.close()
                sock = None
                continue
            used += 1
            self.record(status, headers, body,
                        (time.monotonic() - t0) * 1000)
            if headers.get(b"connection", b"").lower() == b"close":
                with self.lock:
                    self.closes += 1
                sock.close()
                sock = None
        if sock is not None:
            sock.close()

    def summary(self, seconds):
        nums = sorted(self.numbers)
        return {"seconds": round(seconds, 1), "conns": self.conns,
                "requests": self.requests, "ok": self.ok,
                "counted": self.counted, "disabled": self.disabled,
                "statuses": {str(k): v for k, v in self.statuses.items()},
                "dups": self.dups, "min": nums[0] if nums else None,
                "max": nums[-1] if nums else None,
                "hosts": {h: {"n": v[0], "first": round(v[1], 3),
                              "last": round(v[2], 3)}
                          for h, v in self.hosts.items()},
                "connects": self.connects, "closes": self.closes,
                "errors": self.errors, "error_samples": self.samples,
                "max_ms": round(self.max_ms, 1)}


def load(name, conns, seconds):
    ld = Load(name, conns)
    signal.signal(signal.SIGTERM, lambda *_: ld.stop.set())
    t0 = time.monotonic()
    threads = [threading.Thread(target=ld.worker, args=(i,), daemon=True)
               for i in range(conns)]
    for t in threads:
        t.start()
    out({"started": round(time.time(), 3), "conns": conns})
    ld.stop.wait(seconds)
    ld.stop.set()
    for t in threads:
        t.join(30)
    out(ld.summary(time.monotonic() - t0))


def metrics(name):
    res = {}
    for a in resolve(f"tasks.{name}"):
        try:
            with socket.create_connection((a, 80), timeout=5) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                status, _, body, _ = read_response(s, b"")
            res[a] = {k: float(v) for k, v in re.findall(
                r"^(hello_\w+) (\S+)$", body.decode(), re.M)}
        except (OSError, Closed, ValueError) as e:
            res[a] = {"error": str(e)}
    out(res)


def resp(*args):
    b = f"*{len(args)}\r\n".encode()
    for a in args:
        a = a.encode()
        b += f"${len(a)}\r\n".encode() + a + b"\r\n"
    return b


def redis(host, password, cmd):
    """One command; prints {"reply": ...} or {"error": ...}."""
    try:
        with socket.create_connection((host, 6379), timeout=5) as s:
            f = s.makefile("rb")
            if password:
                s.sendall(resp("AUTH", password))
                line = f.readline().decode().strip()
                if not line.startswith("+OK"):
                    return out({"error": line})
            s.sendall(resp(*cmd))
            line = f.readline().decode("utf-8", "replace").strip()
            if line.startswith("$") and line != "$-1":
                line = "+" + f.readline().decode().strip()
            if line.startswith("-"):
                return out({"error": line[1:]})
            if line[:1] not in ("+", ":", "$"):
                return out({"error": f"not a Redis reply: {line[:60]!r}"})
            return out({"reply": line[1:]})
    except OSError as e:
        return out({"error": f"{type(e).__name__}: {e}"})


def main(argv):
    if len(argv) == 4 and argv[0] == "load":
        load(argv[1], int(argv[2]), float(argv[3]))
    elif len(argv) == 2 and argv[0] == "metrics":
        metrics(argv[1])
    elif len(argv) >= 3 and argv[0] == "redis":
        # redis HOST - CMD... (no password) or redis HOST PASSWORD CMD...
        redis(argv[1], None if argv[2] == "-" else argv[2], argv[3:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
