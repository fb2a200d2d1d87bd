# SPDX-License-Identifier: Apache-2.0
"""Integration tests of hello: a real redis-server on a free port in a
temporary directory, hello started on a free port, driven over HTTP."""

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

from part5test import (TIME_SCALE, BlackHole, Redis, binary, check,
                       closed_by_server, free_port, http_get, raw_request,
                       run, start_hello, step, wait_until)

HELLO = binary("hello")
DOWN = "<i>cannot connect to Redis, counter disabled</i>"


def visits(resp):
    text = resp.text
    if DOWN in text:
        return None
    return int(text.rsplit("<b>Visits:</b> ", 1)[1])


def test_page_and_counter():
    r = Redis()
    h = start_hello(r.port)
    step("three requests count 1, 2, 3")
    got = [visits(http_get(h.port, "/")) for _ in range(3)]
    check(got == [1, 2, 3], f"visits {got} == [1, 2, 3]")
    check(r.cli("GET", "counter") == "3", "Redis holds counter=3 in db 0")

    step("the page is the tutorial's, byte for byte")
    resp = http_get(h.port, "/")
    host = socket.gethostname()
    check(resp.status == 200, "status 200")
    check(resp.header("Content-Type") == "text/html; charset=utf-8",
          "Content-Type: text/html; charset=utf-8")
    check(resp.text == f"<h3>Hello World!</h3><b>Hostname:</b> {host}"
          "<br/><b>Visits:</b> 4", f"body {resp.text!r}")
    check(resp.header("Connection") != "close",
          "keep-alive (no Connection: close)")
    check("default-src 'none'" in (resp.header(
        "Content-Security-Policy") or ""), "a Content-Security-Policy")

    step("HEAD / does not count a visit")
    check(http_get(h.port, "/", method="HEAD").status == 200, "HEAD 200")
    check(visits(http_get(h.port, "/")) == 5, "next GET counts 5")

    step("/api, /healthz, /metrics, 404, 405")
    api = http_get(h.port, "/api")
    doc = json.loads(api.body)
    check(api.header("Content-Type") == "application/json", "api is JSON")
    check(doc == {"name": "World", "hostname": host, "visits": 6,
                  "redis": "up"}, f"/api {doc}")
    hz = http_get(h.port, "/healthz")
    check(hz.status == 200 and hz.text == "ok\n", "/healthz 200 ok")
    m = http_get(h.port, "/metrics").text
    check('hello_requests_total{code="200"}' in m, "metrics by status")
    check("\nhello_redis_up 1\n" in m, "metrics: redis up")
    # Six GETs of / and /api so far; HEAD, /healthz and /metrics are not
    # page requests (the visualizer shows this counter as each replica's
    # traffic).
    check("\nhello_page_requests_total 6\n" in m,
          "metrics: 6 page requests (not HEAD, healthz or metrics)")
    check("\nhello_page_requests_total 6\n" in
          http_get(h.port, "/metrics").text, "and still 6 after /metrics")
    nf = http_get(h.port, "/nope")
    check(nf.status == 404 and nf.text == "404 Not Found\n", "404 body")
    na = http_get(h.port, "/", method="DELETE")
    check(na.status == 405 and na.header("Allow") == "GET, HEAD",
          "405 with Allow")
    check(r.cli("GET", "counter") == "6", "404/405/health did not count")
    check(h.stop() == 0, "exit code 0 on SIGTERM")


def test_name_is_escaped():
    r = Redis()
    h = start_hello(r.port, NAME="<script>alert(1)</script> & co")
    body = http_get(h.port, "/").text
    check("<script>" not in body, "no live <script> in the page")
    check("Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; co!" in body,
          "NAME shown as text")
    doc = json.loads(http_get(h.port, "/api").body)
    check(doc["name"] == "<script>alert(1)</script> & co",
          "/api carries the name intact")


def test_redis_killed_and_restarted():
    # appendfsync always: with the default everysec, a SIGKILL loses the
    # increments whose write Redis postponed behind a slow fsync (seen
    # here: 4 of 5 lost on a busy disk), and the count check below is
    # about hello, not about Redis' durability.
    r = Redis(appendonly=True, extra=["--appendfsync", "always"])
    h = start_hello(r.port)
    for _ in range(5):
        http_get(h.port, "/")
    step("Redis killed (SIGKILL)")
    r.kill()
    times = []
    for i in range(50):
        resp = http_get(h.port, "/")
        check_once = resp.status == 200 and DOWN in resp.text
        if not check_once:
            check(False, f"request {i} during the outage: {resp.status} "
                  f"{resp.text!r}")
        times.append(resp.elapsed)
    check(True, "50 requests during the outage: 200 with the message")
    slowest = max(times)
    check(slowest < 0.2 * TIME_SCALE, "slowest answer during the outage "
          f"{slowest*1000:.1f} ms < {200 * TIME_SCALE:.0f} ms")
    api = json.loads(http_get(h.port, "/api").body)
    check(api["visits"] is None and api["redis"] == "down",
          "/api: visits null, redis down")
    check("\nhello_redis_up 0\n" in http_get(h.port, "/metrics").text,
          "metrics: redis down")

    step("Redis restarted on the same port and data directory")
    r.start()
    t0 = time.monotonic()
    n = wait_until(lambda: visits(http_get(h.port, "/")), 3 * TIME_SCALE,
                   what="the counter to come back")
    back = time.monotonic() - t0
    check(back < 1.0 * TIME_SCALE,
          f"counter back {back:.2f} s after Redis answered PING")
    check(n == 6, f"count continues from where it was: {n} == 6")
    out = h.output()
    check(out.count("is down") == 1, "outage logged once: " +
          str(out.count("is down")))
    check(out.count("is back") == 1, "recovery logged once")


def test_black_hole_bounded_waits():
    bh = BlackHole()
    h = start_hello(bh.port, REDIS_TIMEOUT_MS=500)
    step("10 concurrent requests while Redis is a black hole")
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        first = list(ex.map(lambda _: http_get(h.port, "/"), range(10)))
    check(all(r.status == 200 and DOWN in r.text for r in first),
          "all 200 with the message")
    check(max(r.elapsed for r in first) < 1.5 * TIME_SCALE,
          "none waited much longer than the 500 ms timeout")
    step("then 30 more requests: none waits for the timeout")
    later = [http_get(h.port, "/") for _ in range(30)]
    slow = [r for r in later if r.elapsed > 0.2 * TIME_SCALE]
    check(all(DOWN in r.text for r in later), "all show the message")
    check(len(slow) == 0, f"{len(slow)} of 30 waited longer than "
          f"{200 * TIME_SCALE:.0f} ms")
    # The black hole was really reached: the first requests waited for
    # the timeout (which runs from hello's connection attempt, made before
    # they came), instead of failing at once for another reason, which
    # would leave the timeout untested.
    waited = max(r.elapsed for r in first)
    check(waited >= 0.2, f"the first batch waited for the 500 ms timeout "
          f"(slowest {waited * 1000:.0f} ms)")
    out = h.output()
    check(out.count("is down") == 1, "outage logged once")
    check("no answer within 500 ms" in out, "the log says why")
    bh.close()


def test_starts_before_redis():
    port = free_port()
    h = start_hello(port)
    step("Redis not there yet: answers at once without a count")
    resp = http_get(h.port, "/")
    check(resp.status == 200 and DOWN in resp.text, "200 with the message")
    r = Redis(port=port)
    n = wait_until(lambda: visits(http_get(h.port, "/")), 3 * TIME_SCALE,
                   what="the counter to appear")
    check(n == 1, "first count is 1 once Redis is up")


def test_sigterm_finishes_in_flight():
    r = Redis(extra=["--enable-debug-command", "yes"])
    h = start_hello(r.port, REDIS_TIMEOUT_MS=5000)
    http_get(h.port, "/")
    step("Redis busy for 1.5 s (DEBUG SLEEP); 8 requests wait on it")
    sleeper = threading.Thread(target=r.cli, args=("DEBUG", "SLEEP", "1.5"))
    sleeper.start()
    time.sleep(0.1)
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        futs = [ex.submit(http_get, h.port, "/") for _ in range(8)]
        time.sleep(0.3)
        step("SIGTERM while they are in flight")
        h.signal(signal.SIGTERM)
        time.sleep(0.2)
        refused = False
        try:
            http_get(h.port, "/healthz", timeout=1)
        except OSError:
            refused = True
        check(refused, "no new connections after SIGTERM")
        res = [f.result(timeout=10) for f in futs]
    sleeper.join()
    check(all(x.status == 200 for x in res), "all 8 completed with 200")
    counts = sorted(visits(x) for x in res)
    check(counts == list(range(2, 10)), f"and all were counted: {counts}")
    check(all(x.header("Connection") == "close" for x in res),
          "answered with Connection: close while draining")
    check(h.wait(10) == 0, "exit code 0")
    check("draining" in h.output(), "the drain is logged")


def test_password_file():
    r = Redis(password="s3cret-pw")
    d = tempfile.mkdtemp()
    good = os.path.join(d, "pw")
    with open(good, "w") as f:
        f.write("s3cret-pw\n")
    h = start_hello(r.port, REDIS_PASSWORD_FILE=good)
    check(visits(http_get(h.port, "/")) == 1, "counts with the password")
    check("s3cret" not in h.output(), "the password is never logged")
    h.stop()

    bad = os.path.join(d, "bad")
    with open(bad, "w") as f:
        f.write("wrong\n")
    h = start_hello(r.port, REDIS_PASSWORD_FILE=bad)
    check(DOWN in http_get(h.port, "/").text, "wrong password: the message")
    h.wait_log("password refused", timeout=5)
    check(True, "the log says the password was refused")
    h.stop()

    step("no password: Redis answers NOAUTH, hello shows the message")
    h = start_hello(r.port)
    check(DOWN in http_get(h.port, "/").text, "the message")
    h.stop()


def test_config_errors_and_cli():
    env = dict(os.environ)
    for var, val, want in [("PORT", "http", "PORT"),
                           ("REDIS_PORT", "0", "REDIS_PORT"),
                           ("REDIS_TIMEOUT_MS", "2s", "REDIS_TIMEOUT_MS"),
                           ("REDIS_HOST", "a b", "REDIS_HOST"),
                           ("REDIS_PASSWORD_FILE", "/nonexistent/pw",
                            "REDIS_PASSWORD_FILE")]:
        e = dict(env, **{var: val})
        p = subprocess.run([HELLO], env=e, capture_output=True, text=True,
                           timeout=10)
        check(p.returncode == 1 and want in p.stderr,
              f"{var}={val!r}: exit 1 naming {want}: {p.stderr.strip()}")
    p = subprocess.run([HELLO, "--help"], capture_output=True, text=True,
                       timeout=10)
    check(p.returncode == 0 and "REDIS_TIMEOUT_MS" in p.stdout,
          "--help lists the variables")
    p = subprocess.run([HELLO, "--version"], capture_output=True, text=True,
                       timeout=10)
    check(p.returncode == 0 and p.stdout.startswith("hello "), "--version")
    p = subprocess.run([HELLO, "--bogus"], capture_output=True, text=True,
                       timeout=10)
    check(p.returncode == 2, "unknown argument: exit 2")


def test_healthcheck():
    r = Redis()
    h = start_hello(r.port)
    e = dict(os.environ, PORT=str(h.port))
    p = subprocess.run([HELLO, "--healthcheck"], env=e, timeout=10)
    check(p.returncode == 0, "--healthcheck exits 0 while serving")
    r.kill()
    p = subprocess.run([HELLO, "--healthcheck"], env=e, timeout=10)
    check(p.returncode == 0, "still 0 with Redis down (liveness only)")
    h.stop()
    p = subprocess.run([HELLO, "--healthcheck"], env=e, timeout=10,
                       capture_output=True, text=True)
    check(p.returncode == 1 and "unhealthy" in p.stderr,
          "1 when nothing serves")


def ipv6_loopback():
    """True when this machine has ::1. When it has not, says so, and fails
    under PART5_REQUIRE_ALL=1: a test that cannot run is never a pass in
    silence."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError as e:
        print(f"    NOT TESTED: no IPv6 loopback (::1) here: {e}", flush=True)
        check(os.environ.get("PART5_REQUIRE_ALL") != "1",
              "PART5_REQUIRE_ALL=1 needs the IPv6 test to run")
        return False


def test_listens_on_ipv6_and_ipv4():
    r = Redis()
    h = start_hello(r.port)
    step("with no address configured, hello answers over IPv4 and IPv6")
    check(visits(http_get(h.port, "/")) == 1, "127.0.0.1: counted 1")
    if not ipv6_loopback():
        return
    resp = http_get(h.port, "/", host="::1")
    check(resp.status == 200 and visits(resp) == 2, "[::1]: counted 2")
    e = dict(os.environ, PORT=str(h.port))
    p = subprocess.run([HELLO, "--healthcheck"], env=e, timeout=10)
    check(p.returncode == 0, "--healthcheck still reaches it on 127.0.0.1")


def test_header_memory():
    r = Redis()
    h = start_hello(r.port)

    def first_line(name, size):
        req = (b"GET / HTTP/1.1\r\nHost: x\r\n" + name + b": c=" +
               b"k" * size + b"\r\n\r\n")
        return raw_request(h.port, req).split(b"\r\n", 1)[0]

    step("16 KiB for the request line and headers, as the README says; "
         "a Cookie header gets half (libmicrohttpd copies it there)")
    for name, size in ((b"X-Padding", 9000), (b"X-Padding", 15000),
                       (b"Cookie", 7000)):
        first = first_line(name, size)
        check(b" 200 " in first, f"a {size}-byte {name.decode()} header: "
              f"{first!r}")
    for name, size in ((b"X-Padding", 16384), (b"Cookie", 16384)):
        first = first_line(name, size)
        check(b" 431 " in first, f"a {size}-byte {name.decode()} header: "
              f"{first!r}")


def same_headers(head, get):
    """The header fields of two responses, Date aside, as sorted lists."""
    def fields(resp):
        return sorted((k.lower(), v) for k, v in resp.headers
                      if k.lower() != "date")
    return fields(head), fields(get)


def test_head_sends_the_get_headers():
    r = Redis()
    h = start_hello(r.port)
    r.cli("SET", "counter", "12344")
    for path, count in (("/", 12345), ("/api", 12346)):
        step(f"HEAD {path} and then GET {path}: the same header fields")
        head = http_get(h.port, path, method="HEAD")
        check(r.cli("GET", "counter") == str(count - 1),
              "HEAD counted no visit")
        get = http_get(h.port, path)
        check(str(count) in get.text, f"GET counted {count}")
        hf, gf = same_headers(head, get)
        check(head.status == 200 and hf == gf,
              f"HEAD {path}: {hf} == GET {path}: {gf}")
        check(head.body == b"", "HEAD has no body")
    step("a key that holds no number: both without a count")
    r.cli("SET", "counter", "abc")
    head = http_get(h.port, "/", method="HEAD")
    get = http_get(h.port, "/")
    check(DOWN in get.text, "GET shows the message")
    hf, gf = same_headers(head, get)
    check(hf == gf, f"HEAD: {hf} == GET: {gf}")
    step("with Redis down, too")
    r.kill()
    head = http_get(h.port, "/", method="HEAD")
    get = http_get(h.port, "/")
    check(DOWN in get.text, "GET shows the message")
    hf, gf = same_headers(head, get)
    check(hf == gf, f"HEAD: {hf} == GET: {gf}")


def test_bad_requests():
    r = Redis()
    h = start_hello(r.port)
    step("hostile request lines and headers: a 4xx each, never a crash")
    cases = [
        (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b" 414 "),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 20000 + b"\r\n\r\n",
         b" 431 "),
        (b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", b" 404 "),
        (b"GET /%2e%2e/%00 HTTP/1.1\r\nHost: x\r\n\r\n", b" 404 "),
        (b"GET /?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", b" 200 "),
        (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", b" 405 "),
        (b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", b" 405 "),
        (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", b" 505 "),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
         b" 400 "),
    ]
    for req, want in cases:
        out = raw_request(h.port, req)
        first = out.split(b"\r\n", 1)[0]
        check(want in first, f"{req[:40]!r}... -> {first!r}")
    step("binary junk: closed without an answer, no crash")
    out = raw_request(h.port, b"\x16\x03\x01\x00\xa5\x01\r\n\r\n")
    check(out == b"" or b" 400 " in out.split(b"\r\n")[0],
          f"closed or 400: {out[:30]!r}")
    step("a TLS handshake on the plain port: no answer, no crash")
    out = raw_request(h.port, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03"
                      b"\x03", timeout=1)
    check(b"200" not in out, f"not served: {out[:30]!r}")
    check(h.alive(), "still running")
    check(http_get(h.port, "/healthz").status == 200, "and serving")


def test_connection_limit_and_idle_timeout():
    r = Redis()
    h = start_hello(r.port, MAX_CONNECTIONS=20, IDLE_TIMEOUT=2)
    step("25 idle connections against a limit of 20")
    idle = [socket.create_connection(("127.0.0.1", h.port), timeout=5)
            for _ in range(25)]
    time.sleep(0.2)
    resp = http_get(h.port, "/healthz", timeout=10)
    check(resp.status == 200, "a new request is still served")
    check(resp.elapsed < 4 * TIME_SCALE, f"after the idle timeout freed "
          f"room ({resp.elapsed:.1f} s)")
    step("the idle connections were closed by the server")
    wait_until(lambda: closed_by_server(idle) == 25, 3 * TIME_SCALE,
               interval=0.1, what="the 25 idle connections to be closed")
    check(True, "25 of 25 idle connections closed")
    for s in idle:
        s.close()
    step("and the server serves at once again")
    fast = [http_get(h.port, "/").elapsed for _ in range(20)]
    check(max(fast) < 0.2 * TIME_SCALE, f"slowest {max(fast) * 1000:.0f} ms")


if __name__ == "__main__":
    run([test_page_and_counter, test_name_is_escaped,
         test_redis_killed_and_restarted, test_black_hole_bounded_waits,
         test_starts_before_redis, test_sigterm_finishes_in_flight,
         test_password_file, test_config_errors_and_cli, test_healthcheck,
         test_listens_on_ipv6_and_ipv4, test_header_memory,
         test_head_sends_the_get_headers, test_bad_requests,
         test_connection_limit_and_idle_timeout])
