# SPDX-License-Identifier: Apache-2.0
"""bench/hello cannot report a good number for a failing server.

The benchmark's own measuring functions (bench/hello/bench.py: measure,
first_counted_ms; count.lua inside wrk), run for a second or two against
servers that fail in each way a benchmark could mistake for speed:

- hello with its Redis gone: it answers every request at once with a 200
  page that says "counter disabled"; every one is an error, the rate of
  counted pages is 0, and no "first counted response" is found;
- hello counting in another Redis key than the one the run checks (as if
  the Flask app and hello shared or swapped keys): the key did not grow by
  the counted pages, an error;
- a server answering 500 with a page that carries a number, and one
  answering 200 pages without a number: every answer an error, rate 0.

And, so that these are not vacuous, hello counting normally: pages
counted, no error, its key grew by exactly its pages, a first counted page
found. Real hello, redis-server, wrk, all on loopback.
"""

import http.server
import os
import sys
import threading

from part5test import (SOURCE, Redis, binary, check, free_port, run,
                       start_hello, step)

sys.path.insert(0, os.path.join(SOURCE, "bench", "hello"))
import bench  # noqa: E402


def describe(r):
    return (f"{r['answers']} answers, {r['counted']} counted, "
            f"{r['errors']} errors, {r['rps']:.0f} counted/s "
            f"{r.get('keyerr', '')}")


def test_a_counting_hello_scores():
    redis = Redis()
    h = start_hello(redis.port)
    step("hello against a live Redis: 4 connections, 2 s, key 'counter'")
    r = bench.measure(h.port, 4, 2, redis.port, "counter", warmup=1)
    print(f"    {describe(r)}", flush=True)
    check(r["counted"] > 0 and r["errors"] == 0 and r["rps"] > 0 and
          "keyerr" not in r, "pages counted, no error, its key grew by its "
          "pages")
    check(bench.failures({("hello", 4): r}) == [], "a result")
    port = free_port()
    ms = bench.first_counted_ms(
        [binary("hello")], dict(os.environ, PORT=str(port),
                                REDIS_HOST="127.0.0.1",
                                REDIS_PORT=str(redis.port),
                                LOG_LEVEL="warn"), port, timeout=5)
    check(0 < ms < 5000, f"a first counted page {ms:.1f} ms after exec")


def test_counter_disabled_scores_nothing():
    gone = free_port()  # nothing listens there: Redis is down
    h = start_hello(gone)
    step("hello whose Redis is down: 200 pages saying 'counter disabled'")
    r = bench.measure(h.port, 4, 1, warmup=1)
    print(f"    {describe(r)}", flush=True)
    check(r["answers"] > 0, "hello answered (fast)")
    check(r["counted"] == 0 and r["rps"] == 0,
          "none of them counted: a rate of 0")
    check(r["errors"] >= r["answers"], "every answer is an error")
    check(bench.failures({("hello", 4): r}), "not a result: bench.py "
          "exits 1")
    port = free_port()
    try:
        bench.first_counted_ms(
            [binary("hello")], dict(os.environ, PORT=str(port),
                                    REDIS_HOST="127.0.0.1",
                                    REDIS_PORT=str(gone), LOG_LEVEL="warn"),
            port, timeout=1)
        found = True
    except bench.BenchError as e:
        print(f"    first counted page: {e}", flush=True)
        found = False
    check(not found, "no first counted response for a page without a "
          "number")


def test_a_key_that_did_not_grow_is_an_error():
    redis = Redis()
    h = start_hello(redis.port)
    step("hello counts in 'counter'; the run checks 'flask_counter'")
    r = bench.measure(h.port, 4, 1, redis.port, "flask_counter", warmup=0)
    print(f"    {describe(r)}", flush=True)
    check(r["counted"] > 0 and "keyerr" in r and
          r["errors"] >= r["counted"], "the key's growth (0) does not "
          "match the counted pages: errors")
    check(bench.failures({("hello", 4): r}), "not a result: bench.py "
          "exits 1")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    answer = (200, b"")

    def do_GET(self):
        status, body = self.answer
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_error_statuses_and_pages_without_a_number():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    port = srv.server_address[1]
    try:
        for status, body, what in (
                (500, b"<b>Visits:</b> 7", "500 with a visit number"),
                (503, b"<b>Visits:</b> 7", "503 with a visit number"),
                (200, b"<h3>Hello World!</h3>", "200 without a number")):
            _Handler.answer = (status, body)
            step(f"a server answering {what}")
            r = bench.measure(port, 2, 1, warmup=0)
            print(f"    {describe(r)}", flush=True)
            check(r["answers"] > 0 and r["counted"] == 0 and
                  r["rps"] == 0 and r["errors"] >= r["answers"],
                  f"{what}: every answer an error, a rate of 0")
            check(bench.failures({("server", 2): r}), "not a result")
    finally:
        srv.shutdown()
        srv.server_close()


if __name__ == "__main__":
    run([test_a_counting_hello_scores, test_counter_disabled_scores_nothing,
         test_a_key_that_did_not_grow_is_an_error,
         test_error_statuses_and_pages_without_a_number])
