#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of hello against its peers, in one run on one machine.

Peers: the tutorial's Flask app (bench/hello/flask_app.py, Debian's
python3-flask on its built-in server, as the tutorial runs it) and nginx
serving a fixed ~150-byte page (the HTTP ceiling of the machine). All
three on loopback, hello and Flask against the same real redis-server.
For each, wrk (-t1, keep-alive) at 1, 16 and 64 connections: requests/s,
p50, p99, and the server's RSS after the run. Then hello's time to first
response after exec. Prints a Markdown table with the ratios.

Usage: bench/hello/bench.py [--duration 10] [--build build]
Run by hand; the numbers go in the README. Needs wrk, nginx-light,
python3-flask, python3-redis, redis-server (apt-get).
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


def parse_wrk(out):
    def ms(v, unit):
        v = float(v)
        return {"us": v / 1000, "ms": v, "s": v * 1000}[unit]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": ms(*p50.groups()), "p99": ms(*p99.groups()),
            "non2xx": int(errors.group(1)) if errors else 0,
            "sockerr": sock.group(1) if sock else ""}


def wrk(port, conns, duration):
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency",
         "--timeout", "5s", f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, timeout=duration + 30).stdout
    return parse_wrk(out)


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
            sys.exit(f"{tool} missing: apt-get install wrk nginx-light "
                     "redis-server python3-flask python3-redis")
    tmp = tempfile.mkdtemp(prefix="bench-hello-")
    # nginx's worker runs as nobody when started by root: let it read.
    os.chmod(tmp, 0o755)
    procs = []

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
                                  dict(renv, PORT=str(fport)), "flask"),
                            fport)
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
                dur = args.duration
                r = wrk(port, c, dur)
                r["rss"] = rss_kib(p.pid)
                results[(name, c)] = r
                print(f"{name:6} c={c:<3} {r['rps']:>10.0f} req/s "
                      f"p50 {r['p50']:.3f} ms p99 {r['p99']:.3f} ms "
                      f"RSS {r['rss'] / 1024:.1f} MiB "
                      f"non-2xx {r['non2xx']} {r['sockerr']}",
                      file=sys.stderr, flush=True)

        # Time to first response: exec to the first 200, ten times.
        firsts = []
        for _ in range(10):
            port = free_port()
            t0 = time.monotonic()
            p = subprocess.Popen([hello_bin], env=dict(
                os.environ, **renv, PORT=str(port), LOG_LEVEL="warn"),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port),
                                                  0.5) as s:
                        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n"
                                  b"Connection: close\r\n\r\n")
                        data = s.recv(4096)
                        if b"Visits:</b> " in data or b" 200 " in data:
                            break
                except OSError:
                    pass
                if time.monotonic() - t0 > 5:
                    break
                time.sleep(0.001)
            firsts.append((time.monotonic() - t0) * 1000)
            p.send_signal(signal.SIGTERM)
            p.wait(10)

        print(f"\nwrk -t1, {args.duration} s per run, loopback; "
              f"{os.cpu_count()} cores; redis-server on loopback\n")
        print("| server | conns | req/s | p50 ms | p99 ms | RSS MiB | errors |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for c in conns:
            for name in servers:
                r = results[(name, c)]
                errs = []
                if r["non2xx"]:
                    errs.append(f"{r['non2xx']} non-2xx")
                if r["sockerr"]:
                    errs.append(f"socket: {r['sockerr']}")
                print(f"| {name} | {c} | {r['rps']:,.0f} | {r['p50']:.3f} "
                      f"| {r['p99']:.3f} | {r['rss'] / 1024:.1f} | "
                      f"{', '.join(errs) or 'none'} |")
        print("\n| conns | hello / Flask | hello / nginx static |")
        print("|---:|---:|---:|")
        for c in conns:
            h = results[("hello", c)]["rps"]
            print(f"| {c} | {h / results[('flask', c)]['rps']:.1f}x | "
                  f"{h / results[('nginx', c)]['rps']:.2f}x |")
        print(f"\nhello, exec to first counted response: median "
              f"{statistics.median(firsts):.1f} ms, max {max(firsts):.1f} ms"
              f" (10 starts)")
        counted = subprocess.run(["redis-cli", "-p", str(rport), "GET",
                                  "counter"], capture_output=True,
                                 text=True).stdout.strip()
        print(f"Redis counter after the run: {counted}")
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


if __name__ == "__main__":
    main()
