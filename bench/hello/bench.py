#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of hello against its peers, in one run on one machine.

Peers: the tutorial's Flask app (bench/hello/flask_app.py, Debian's
python3-flask on its built-in server, as the tutorial runs it) and nginx
serving a fixed ~150-byte page (the HTTP ceiling of the machine). All
three on loopback, hello and Flask against the same real redis-server,
each with its own key (hello "counter", Flask "flask_counter").
For each, wrk (-t1, keep-alive) at 1, 16 and 64 connections, after a
warm-up at the same load: counted pages a second (req/s), p50, p99, the
server's RSS after the run, and errors. A server cannot score with failures: a wrk script
(count.lua) counts only 200 pages that show a visit number, so a "counter
disabled" page, any other status and socket errors are errors, and for
hello and Flask the run checks that its Redis key grew by its counted
pages (plus at most the requests wrk left in flight when it stopped).
Then hello's time to first counted response after exec (a page with a
number). Prints a Markdown table with the ratios; exits 1 when any run
had an error (tests/reliability/test_bench_honest.py holds the bench to
this against failing servers).

Usage: bench/hello/bench.py [--duration 10] [--build build]
Run by hand; the numbers go in the README. Needs wrk, nginx-light,
python3-flask, python3-redis, redis-server (scripts/deps.sh bench).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.02)
    sys.exit(f"nothing listens on {port} after {timeout}s")


def rss_kib(pid):
    """RSS of pid and its children (nginx has a master and a worker)."""
    total = 0
    pids = [pid]
    try:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                              text=True).stdout.split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


COUNT_LUA = os.path.join(HERE, "count.lua")
PAGE_NUMBER = re.compile(rb"Visits:</b> \d+")


class BenchError(Exception):
    """A measurement that must not be reported as a result."""


def parse_wrk(out):
    """wrk's output with count.lua's line. rps is the rate of counted
    pages (a 200 page with a visit number), not of all answers: a server
    that fails fast cannot score."""
    def ms(v, unit):
        v = float(v)
        return {"us": v / 1000, "ms": v, "s": v * 1000}[unit]
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    counted = re.search(r"COUNTED (\d+) ERRORS (\d+)", out)
    if not done or not counted:
        raise BenchError(f"wrk gave no result: {out.strip()[-300:]}")
    secs = float(done.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1,
                                   "m": 60}[done.group(3)]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    nsock = sum(int(n) for n in re.findall(r"\d+", sock.group(1))) \
        if sock else 0
    n = int(counted.group(1))
    return {"rps": n / secs if secs > 0 else 0.0,
            "answers": int(done.group(1)),
            "p50": ms(*p50.groups()) if p50 else 0.0,
            "p99": ms(*p99.groups()) if p99 else 0.0,
            "sockerr": sock.group(1) if sock else "",
            "counted": n,
            "errors": int(counted.group(2)) + nsock}


def wrk(port, conns, duration):
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency",
         "--timeout", "5s", "-s", COUNT_LUA, f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, timeout=duration + 30).stdout
    return parse_wrk(out)


def redis_get(port, key):
    out = subprocess.run(["redis-cli", "-p", str(port), "GET", key],
                         capture_output=True, text=True, timeout=10)
    return int(out.stdout.strip() or 0)


def measure(port, conns, duration, redis_port=None, key=None, warmup=3):
    """One measured wrk run after a warm-up at the same load. With a
    Redis key, the key must have grown by the counted pages (plus at most
    the requests wrk left in flight when it stopped), or the difference
    is added to the errors. Returns parse_wrk's dict."""
    if warmup:
        wrk(port, conns, min(warmup, duration))  # not measured
    # The requests wrk leaves in flight when it stops still count: let
    # them finish before and after a measured run.
    time.sleep(1)
    k0 = redis_get(redis_port, key) if key else 0
    r = wrk(port, conns, duration)
    if key:
        time.sleep(1)
        grew = redis_get(redis_port, key) - k0
        if not r["counted"] <= grew <= r["counted"] + conns:
            r["errors"] += max(abs(grew - r["counted"]), 1)
            r["keyerr"] = f"{key} grew by {grew}, {r['counted']} counted"
    return r


def failures(results):
    """The runs of {(server, conns): measure()} that had an error: none of
    them is a result (main() exits 1)."""
    return [f"{n} at {c} connections ({r['errors']:,})"
            for (n, c), r in sorted(results.items()) if r["errors"]]


def first_counted_ms(argv, env, port, timeout=5.0):
    """Starts argv (a server that listens on port) and returns the
    milliseconds from exec to its first counted page (a 200 with a visit
    number); BenchError when none came within timeout. Stops it."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port),
                                              0.5) as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if data.startswith(b"HTTP/1.1 200 ") and \
                            PAGE_NUMBER.search(data):
                        return (time.monotonic() - t0) * 1000
            except OSError:
                pass
            if time.monotonic() - t0 > timeout:
                raise BenchError(f"no counted page within {timeout:.0f} s "
                                 "of exec")
            time.sleep(0.001)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--conns", default="1,16,64")
    args = ap.parse_args()
    hello_bin = os.path.join(args.build, "web/hello")
    if not os.access(hello_bin, os.X_OK):
        sys.exit(f"build hello first: {hello_bin}")
    for tool in ("wrk", "nginx", "redis-server"):
        if shutil.which(tool) is None and not os.path.exists(
                f"/usr/sbin/{tool}"):
            sys.exit(f"{tool} missing: scripts/deps.sh bench installs it "
                     "and the others")
    tmp = tempfile.mkdtemp(prefix="bench-hello-")
    # nginx's worker runs as nobody when started by root: let it read.
    os.chmod(tmp, 0o755)
    procs = []
    failed = False

    def spawn(argv, env=None, name="p"):
        log = open(os.path.join(tmp, f"{name}.log"), "wb")
        p = subprocess.Popen(argv, env=dict(os.environ, **(env or {})),
                             stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL,
                             start_new_session=True)
        procs.append(p)
        return p

    try:
        rport = free_port()
        spawn(["redis-server", "--port", str(rport), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", tmp],
              name="redis")
        wait_port(rport)
        renv = {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(rport)}

        servers = {}
        hport = free_port()
        servers["hello"] = (spawn([hello_bin], dict(renv, PORT=str(hport),
                                                   LOG_LEVEL="warn"),
                                  "hello"), hport)
        fport = free_port()
        servers["flask"] = (spawn(["/usr/bin/python3",
                                   os.path.join(HERE, "flask_app.py")],
                                  dict(renv, PORT=str(fport),
                                       REDIS_KEY="flask_counter"), "flask"),
                            fport)
        keys = {"hello": "counter", "flask": "flask_counter"}
        nport = free_port()
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("<h3>Hello World!</h3><b>Hostname:</b> 4a3c1e9f0b2d"
                    "<br/><b>Visits:</b> 1234567" + " " * 78)
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
daemon off;
error_log {tmp}/nginx-error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{nport};
        root {www};
        location / {{ index index.html; }}
    }}
}}
""")
        servers["nginx"] = (spawn(["nginx", "-c", conf, "-p", tmp],
                                  name="nginx"), nport)
        for name, (p, port) in servers.items():
            wait_port(port)
            code = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                 f"http://127.0.0.1:{port}/"], capture_output=True,
                text=True, timeout=10).stdout
            if code != "200":
                sys.exit(f"{name} answers {code}, not 200: see {tmp}")

        conns = [int(c) for c in args.conns.split(",")]
        results = {}
        for c in conns:
            for name, (p, port) in servers.items():
                key = keys.get(name)
                r = measure(port, c, args.duration, rport, key)
                r["rss"] = rss_kib(p.pid)
                results[(name, c)] = r
                print(f"{name:6} c={c:<3} {r['rps']:>10.0f} req/s "
                      f"p50 {r['p50']:.3f} ms p99 {r['p99']:.3f} ms "
                      f"RSS {r['rss'] / 1024:.1f} MiB "
                      f"counted {r['counted']} errors {r['errors']} "
                      f"{r.get('keyerr', '')} {r['sockerr']}",
                      file=sys.stderr, flush=True)

        # Time to first counted response: exec to the first page with a
        # number, ten times.
        firsts = []
        for _ in range(10):
            port = free_port()
            try:
                firsts.append(first_counted_ms(
                    [hello_bin], dict(os.environ, **renv, PORT=str(port),
                                      LOG_LEVEL="warn"), port))
            except BenchError as e:
                sys.exit(f"hello: {e}")

        print(f"\nwrk -t1, {args.duration} s per run, loopback; "
              f"{os.cpu_count()} cores; redis-server on loopback\n")
        print("| server | conns | req/s | p50 ms | p99 ms | RSS MiB | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for c in conns:
            for name in servers:
                r = results[(name, c)]
                errs = [f"{r['errors']:,}"]
                if r["sockerr"]:
                    errs.append(f"socket: {r['sockerr']}")
                if r.get("keyerr"):
                    errs.append(r["keyerr"])
                print(f"| {name} | {c} | {r['rps']:,.0f} | {r['p50']:.3f} "
                      f"| {r['p99']:.3f} | {r['rss'] / 1024:.1f} | "
                      f"{'; '.join(errs)} |")
        print("\n| conns | hello / Flask | hello / nginx static |")
        print("|---:|---:|---:|")
        for c in conns:
            h = results[("hello", c)]["rps"]
            print(f"| {c} | {h / results[('flask', c)]['rps']:.1f}x | "
                  f"{h / results[('nginx', c)]['rps']:.2f}x |")
        print(f"\nhello, exec to first counted response: median "
              f"{statistics.median(firsts):.1f} ms, max {max(firsts):.1f} ms"
              f" (10 starts)")
        print(f"Redis after the run: counter {redis_get(rport, 'counter')}, "
              f"flask_counter {redis_get(rport, 'flask_counter')}")
        bad = failures(results)
        if bad:
            failed = True
            print(f"\nFAILED: errors in {', '.join(bad)}: these rows are not "
                  "results", file=sys.stderr)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
