#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""probe.py: the e2e tests' client, run inside a container attached to the
stack's network (the only place service names resolve and, without IPVS,
the only way to reach the tasks). Prints one JSON object per line.

  probe.py get URL N          N requests, one after another
  probe.py stream URL SECONDS  requests back to back for SECONDS (or
                               until SIGTERM)
  probe.py fetch URL           one request; prints status and body
  probe.py resolve NAME        the addresses NAME resolves to
  probe.py watch NAME SECONDS  the addresses, every 50 ms, when they change

Each request resolves the name again and connects afresh, as a browser
reloading the page does: getaddrinfo, then each address in turn until one
accepts (what curl, browsers and Python's create_connection do). Every
record says which address answered and how many were refused first, so a
test can tell "failed" from "had to try another task".
"""

import http.client
import json
import re
import signal
import socket
import sys
import time
import urllib.parse

PAGE = re.compile(r"<h3>Hello (.*)!</h3><b>Hostname:</b> (.*)<br/>"
                  r"<b>Visits:</b> (.*)$", re.S)


def request(url, timeout=5.0):
    u = urllib.parse.urlsplit(url)
    port = u.port or 80
    path = u.path or "/"
    t0 = time.monotonic()
    rec = {"t": round(time.time(), 3), "refused": 0}
    try:
        addrs = [a[4][0] for a in socket.getaddrinfo(
            u.hostname, port, socket.AF_INET, socket.SOCK_STREAM)]
    except OSError as e:
        rec.update(ok=False, error=f"resolve: {e}",
                   ms=round((time.monotonic() - t0) * 1000, 1))
        return rec
    sock = None
    for a in addrs:
        try:
            sock = socket.create_connection((a, port), timeout=timeout)
            rec["addr"] = a
            break
        except OSError as e:
            rec["refused"] += 1
            rec["last_connect_error"] = f"{a}: {e}"
    if sock is None:
        rec.update(ok=False, error="no address accepted",
                   ms=round((time.monotonic() - t0) * 1000, 1))
        return rec
    conn = http.client.HTTPConnection(u.hostname, port, timeout=timeout)
    conn.sock = sock
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace")
        rec.update(ok=r.status == 200, status=r.status)
        m = PAGE.match(body)
        if m:
            rec.update(name=m.group(1), host=m.group(2))
            v = m.group(3)
            rec["visits"] = int(v) if v.isdigit() else v
        else:
            rec["body"] = body[:4 << 20]
    except (OSError, http.client.HTTPException) as e:
        rec.update(ok=False, error=f"{type(e).__name__}: {e}")
    finally:
        conn.close()
    rec["ms"] = round((time.monotonic() - t0) * 1000, 1)
    return rec


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def resolve(name):
    try:
        return sorted({a[4][0] for a in socket.getaddrinfo(
            name, 80, socket.AF_INET, socket.SOCK_STREAM)})
    except OSError:
        return []


def main(argv):
    if len(argv) == 3 and argv[0] == "get":
        for i in range(int(argv[2])):
            rec = request(argv[1])
            rec["i"] = i
            out(rec)
    elif len(argv) == 3 and argv[0] == "stream":
        # docker stop ends the stream after the request in flight, so no
        # request is cut in half by the test itself.
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        end = time.monotonic() + float(argv[2])
        i = 0
        while time.monotonic() < end and not stop:
            rec = request(argv[1])
            rec["i"] = i
            out(rec)
            i += 1
            time.sleep(0.01)
    elif len(argv) == 2 and argv[0] == "fetch":
        rec = request(argv[1])
        out(rec)
    elif len(argv) == 2 and argv[0] == "resolve":
        out({"name": argv[1], "addrs": resolve(argv[1])})
    elif len(argv) == 3 and argv[0] == "watch":
        end = time.monotonic() + float(argv[2])
        last = None
        while time.monotonic() < end:
            a = resolve(argv[1])
            if a != last:
                out({"t": round(time.time(), 3), "addrs": a})
                last = a
            time.sleep(0.05)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
