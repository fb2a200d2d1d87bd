# SPDX-License-Identifier: Apache-2.0
"""hello's memory after slow-client attacks: three rounds of 1,000 idle
connections (half with an incomplete request) while real requests are
served; after each round the server must be back to the memory and
descriptors it started with.

The regression test of services/common/http.c giving the connections'
pools back once a burst has closed (before, each round left about 4 MiB
more resident, up to connections x 16 KiB). test_hello_faults.py covers
the rest of this attack (answers at once, idle connections closed).
"""

import os
import socket
import time

from instrumented import rss_checked
from part5test import (TIME_SCALE, Proc, Redis, binary, check,
                       closed_by_server, free_port, http_get, step,
                       wait_until)
from rellogs import logdir, main


def fds(pid):
    """Open descriptors, the fewest of a few samples: a client's last
    keep-alive connection may still be closing at one instant."""
    n = []
    for _ in range(5):
        n.append(len(os.listdir(f"/proc/{pid}/fd")))
        time.sleep(0.1)
    return min(n)


def test_memory_back_after_each_round():
    r = Redis(datadir=logdir("redis"))
    port = free_port()
    h = Proc([binary("hello")], env={
        "PORT": str(port), "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(r.port), "IDLE_TIMEOUT": "2"}, name="hello",
        logdir=logdir("hello"))
    h.wait_log(r"listening on port \d+", timeout=10 * TIME_SCALE)
    for _ in range(20):
        http_get(port, "/")
    time.sleep(0.3)
    rss0, fd0 = h.rss_kib(), fds(h.p.pid)
    after = []
    for rnd in range(3):
        step(f"round {rnd + 1}: 1,000 idle connections and 51 requests")
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5)
                for _ in range(1000)]
        for s in idle[::2]:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.3)
        codes = {http_get(port, p).status
                 for p in ("/", "/api", "/healthz") * 17}
        check(codes == {200}, "served while they are held")
        held = h.rss_kib()
        wait_until(lambda: closed_by_server(idle) == len(idle) or None,
                   10 * TIME_SCALE, interval=0.5,
                   what="the idle connections to be closed")
        for s in idle:
            s.close()
        time.sleep(0.5)
        after.append(h.rss_kib())
        n = fds(h.p.pid)
        check(n == fd0, f"descriptors back to {fd0} ({n})")
        print(f"    RSS {rss0} KiB before, {held} held, {after[-1]} after",
              flush=True)
    if rss_checked("hello"):
        check(max(after) - rss0 < 512, f"memory back after every round: "
              f"{rss0} -> {after} KiB")
    print(f"RESULT hello-idle-memory connections=3x1000 rss_before={rss0} "
          f"rss_rounds={'/'.join(map(str, after))}", flush=True)


if __name__ == "__main__":
    main([test_memory_back_after_each_round])
