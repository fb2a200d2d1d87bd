# SPDX-License-Identifier: Apache-2.0
"""Reliability of hello: steady load while Redis dies and comes back,
1,000 idle connections held open, and a flood of hostile requests.
Real redis-server, real hello, wrk as the load generator, all on
loopback; every phase bounded in time."""

import re
import socket
import subprocess
import threading
import time

from instrumented import instrumented, rss_checked
from part5test import (TIME_SCALE, Redis, check, check_at_once,
                       closed_by_server, http_get, raw_request, run,
                       start_hello, step, wait_until)

DOWN = "<i>cannot connect to Redis, counter disabled</i>"


def metric(port, name):
    text = http_get(port, "/metrics").text
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def parse_wrk(out):
    def ms(v, unit):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockerr = re.search(r"Socket errors: connect (\d+), read (\d+), "
                        r"write (\d+), timeout (\d+)", out)
    mx = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    return {"total": total,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "sockerr": sum(map(int, sockerr.groups())) if sockerr else 0,
            "max_ms": ms(*mx.groups())}


def test_load_through_two_redis_outages():
    """wrk through two SIGKILLs of Redis. Every request gets a 200 at once
    (none waits for a dead Redis), and every increment Redis acknowledged
    is still there afterwards: this Redis runs appendfsync always, so an
    acknowledged INCR is on disk (the stack's default, everysec, is what
    README's "What was lost" describes)."""
    r = Redis(appendonly=True, extra=["--appendfsync", "always"])
    timeout_ms = int(1000 * TIME_SCALE)
    h = start_hello(r.port, REDIS_TIMEOUT_MS=timeout_ms)
    http_get(h.port, "/")
    before = int(r.cli("GET", "counter"))
    step("wrk, 8 connections, 14 s; Redis killed at 2 s and 8 s, "
         "restarted at 5 s and 11 s")
    events = []

    def chaos():
        for kill_at, start_at in ((2, 5), (8, 11)):
            time.sleep(kill_at - (time.monotonic() - t0))
            r.kill()
            events.append(("killed", time.monotonic() - t0))
            time.sleep(start_at - (time.monotonic() - t0))
            r.start()
            events.append(("restarted", time.monotonic() - t0))

    t0 = time.monotonic()
    th = threading.Thread(target=chaos)
    th.start()
    out = subprocess.run(
        ["wrk", "-t1", "-c8", "-d14s", "--timeout", "5s", "--latency",
         f"http://127.0.0.1:{h.port}/"],
        capture_output=True, text=True, timeout=60).stdout
    th.join()
    w = parse_wrk(out)
    print(out, flush=True)
    print(f"    chaos: {events}", flush=True)
    check(w["non2xx"] == 0, f"every one of {w['total']} responses was 200")
    check(w["sockerr"] == 0, "no connection errors or timeouts")
    # A request that waited for the dead Redis would take the whole
    # timeout; a quarter of it is far above scheduling noise (12 ms
    # measured). Under ASan on 2 busy cores the tail is longer (p99 228
    # ms, slowest 394 ms in a CI run): there the bound is the timeout
    # itself, which still tells a request that waited for Redis.
    share = 4 if instrumented("hello") is None else 1
    check(w["max_ms"] < timeout_ms / share, f"slowest request "
          f"{w['max_ms']:.0f} ms, under 1/{share} of the Redis timeout "
          f"({timeout_ms} ms): none waited for the dead Redis")
    without = metric(h.port, "hello_redis_errors_total")
    outages = metric(h.port, "hello_redis_outages_total")
    counted = metric(h.port, "hello_visits_total")
    print(f"    served without a count during the outages: {without:.0f}; "
          f"counted: {counted:.0f}; outages: {outages:.0f}", flush=True)
    check(outages == 2, "two outages seen")
    check(without > 0, "requests were served during the outages")
    step("after the run the counter continues from the last acknowledged "
         "increment")
    n = wait_until(lambda: (lambda t: None if DOWN in t else
                            int(t.rsplit(" ", 1)[1]))(
        http_get(h.port, "/").text), 3 * TIME_SCALE, what="the counter")
    # counted: INCRs whose answer reached hello (the first request's
    # included). Each got its own number, so if none was lost the next
    # one is above all of them: n > counted. INCRs that Redis ran but
    # whose answer the kill cut off (at most one per connection in flight
    # at each kill) may add to it, never subtract.
    lost = counted + 1 - n
    unanswered = n - (counted + 1)
    check(lost <= 0, f"the next visit is {n}, after {counted:.0f} "
          f"acknowledged: no acknowledged increment lost by the two "
          f"SIGKILLs (appendfsync always)")
    check(unanswered <= 2 * 8, f"{unanswered:.0f} INCR(s) ran without "
          f"their answer reaching a page (at most 8 connections x 2 kills)")
    check(before == 1, "the count started at 1")
    print(f"RESULT load-with-outages total={w['total']} "
          f"without_count={without:.0f} max_ms={w['max_ms']:.0f} "
          f"counted={counted:.0f} lost_by_kill={max(lost, 0):.0f} "
          f"unanswered={unanswered:.0f}", flush=True)


def test_thousand_idle_connections():
    r = Redis()
    h = start_hello(r.port, IDLE_TIMEOUT=3)
    rss0 = h.rss_kib()
    step("1,000 idle connections held open (a slow-client attack)")
    idle = []
    for _ in range(1000):
        s = socket.create_connection(("127.0.0.1", h.port), timeout=5)
        idle.append(s)
    # Half of them send an incomplete request, the other half nothing.
    for s in idle[::2]:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    t_idle = time.monotonic()
    time.sleep(0.3)
    med, slowest = check_at_once(
        [http_get(h.port, "/").elapsed for _ in range(50)],
        "new requests while 1,000 are held")
    rss1 = h.rss_kib()
    print(f"    RSS {rss0} KiB idle, {rss1} KiB with 1,000 connections",
          flush=True)
    step("the server closes them after IDLE_TIMEOUT (3 s)")

    def all_closed():
        return closed_by_server(idle) == len(idle) or None
    wait_until(all_closed, 10 * TIME_SCALE, interval=0.1,
               what="the idle connections to be closed")
    closed = time.monotonic() - t_idle
    check(closed < 3 + 2 * TIME_SCALE, f"all 1,000 closed by the server "
          f"{closed:.1f} s after they went idle (IDLE_TIMEOUT 3 s)")
    print(f"RESULT hello-idle connections=1000 median_new_ms={med:.2f} "
          f"slowest_new_ms={slowest:.1f} closed_after_s={closed:.1f}",
          flush=True)
    for s in idle:
        s.close()
    conns = metric(h.port, "hello_http_connections")
    check(conns is not None and conns <= 2, f"open connections back to "
          f"{conns:.0f}")


# Every kind of hostile request and the one status hello must answer it
# with: the same each time, never a crash.
HOSTILE = [
    ("request line of 20 KB",
     b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("header of 20 KB",
     b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 20000 + b"\r\n\r\n",
     431),
    ("HEAD /", b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 200),
    ("OPTIONS /", b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    ("unknown method", b"FOO /bar HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    ("path traversal",
     b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    ("encoded traversal",
     b"GET /%2e%2e%2f%2e%2e%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n\r\n",
     404),
    ("percent junk and NUL",
     b"GET /%zz%00%ff HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    ("invalid UTF-8 in the query of /",
     b"GET /?q=\xff\xfe\xc0\xaf HTTP/1.1\r\nHost: x\r\n\r\n", 200),
    ("POST with 100 KB announced",
     b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
     + b"x" * 1000, 405),
]


def test_hostile_flood_memory_flat():
    r = Redis()
    h = start_hello(r.port)
    # Warm up: the first rounds settle allocator pools.
    for _ in range(20):
        for _, req, _ in HOSTILE:
            raw_request(h.port, req, timeout=2)
    rss0 = h.rss_kib()
    step(f"{len(HOSTILE)} kinds of hostile request, 300 rounds "
         f"({len(HOSTILE) * 300} requests)")
    got = {name: {} for name, _, _ in HOSTILE}
    for _ in range(300):
        for name, req, _ in HOSTILE:
            out = raw_request(h.port, req, timeout=2 * TIME_SCALE)
            code = out[9:12].decode("ascii", "replace") if out else "closed"
            got[name][code] = got[name].get(code, 0) + 1
    rss1 = h.rss_kib()
    for name, _, want in HOSTILE:
        check(got[name] == {str(want): 300}, f"{name}: {want} every time "
              f"({got[name]})")
    check(h.alive(), "no crash")
    if rss_checked("hello"):
        check(rss1 - rss0 < 512, f"memory flat: RSS {rss0} -> {rss1} KiB")
    print(f"RESULT hostile kinds={len(HOSTILE)} "
          f"requests={len(HOSTILE) * 300} rss_before={rss0} "
          f"rss_after={rss1}", flush=True)


if __name__ == "__main__":
    run([test_load_through_two_redis_outages, test_thousand_idle_connections,
         test_hostile_flood_memory_flat])
