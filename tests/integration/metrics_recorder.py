#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A task's GET /metrics that records every request it gets.

Started by tests/integration/test_visualizer.py inside a real swarm
task's network namespace (nsenter), it listens on the task's own address
and port, answers each request the way hello does (its page counter
growing at RATE a second), and appends every request's bytes, exactly as
they arrived, to LOG as one JSON line: {"t": time, "request": text}.
A connection that sends nothing is recorded too (as ""). Stdlib only.

usage: metrics_recorder.py PORT RATE LOG
"""

import json
import socket
import sys
import threading
import time


def serve(conn, rate, t0, log, lock):
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            d = conn.recv(4096)
            if not d:
                break
            data += d
    except OSError:
        pass
    with lock, open(log, "a") as f:
        f.write(json.dumps({"t": time.time(),
                            "request": data.decode("latin-1")}) + "\n")
    if b"\r\n\r\n" in data:
        count = int(rate * (time.monotonic() - t0))
        body = ("# TYPE hello_page_requests_total counter\n"
                f"hello_page_requests_total {count}\n").encode()
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; "
                         b"version=0.0.4\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
        except OSError:
            pass
    conn.close()


def main():
    port, rate, log = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    t0 = time.monotonic()
    lock = threading.Lock()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(64)
    print("recording on port %d" % port, flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, rate, t0, log, lock),
                         daemon=True).start()


if __name__ == "__main__":
    main()
