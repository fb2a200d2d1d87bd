# SPDX-License-Identifier: Apache-2.0
"""The visualizer's benchmark, run by hand (bench/visualizer/run.sh).

Sections, each with its comparison peer in the same run:
  weight   page weight: the embedded assets as served
  json     GET /tasks of 5,000 tasks: jscan (streaming) vs jansson and
           yajl_tree (document models), CPU and peak RSS
  client   the engine client: ours (HTTP/1.1 on libuv) vs libcurl (its
           GnuTLS and OpenSSL builds), time and RSS per /tasks fetch
  image    what each client adds to a minimal image (ldd closure, du)
  scale    a synthetic engine of 100 nodes and 5,000 tasks: server CPU
           and RSS per update with 0, 1 and 10 open streams
  real     the real engine: CPU and RSS with 1 and 10 open streams, and
           the time from `docker service scale` to the stream (20 runs)
  traffic  the synthetic engine's 5,000 tasks, 500 of them scraped from
           fake GET /metrics on loopback addresses: RSS, CPU (against
           the same engine with nothing scraped), requests to the tasks,
           and the time from an engine event to every open page; the
           peer: Prometheus (Debian's prometheus package, when installed)
           scraping the same 500 tasks every second, 500 ms timeout
Prints Markdown tables for README.md. Usage:
  python3 bench_visualizer.py BUILD_DIR BENCH_BIN_DIR [sections...]
"""

import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_engine import METRICS_PORT, FakeEngine, FakeMetrics  # noqa: E402

BUILD, BIN = sys.argv[1], sys.argv[2]
SECTIONS = sys.argv[3:] or ["weight", "json", "client", "image", "scale",
                            "real"]
VIZ = os.path.join(BUILD, "visualizer/visualizer")
TMP = tempfile.mkdtemp(prefix="vizt-bench-")
os.chmod(TMP, 0o750)  # the engine sockets' group (the visualizer's) enters
HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ns(pid):
    """CPU time of a process so far, in ns: the sum over its threads
    (/proc/PID/task/*/schedstat). /proc/PID/schedstat alone is the main
    thread's, near 0 for a multi-threaded peer such as Prometheus (Go)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # the thread ended between the listing and the read
    return total


def mem_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def http_get(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  "\r\n".encode())
        out = b""
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            out += d
    head, body = out.split(b"\r\n\r\n", 1)
    return head, body


class Stream:
    """An open page: reads /api/events, counts state events and notes
    when each arrived."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.s.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
        self.events = []  # (monotonic time, model)
        self.kinds = []  # (monotonic time, event type)
        self.keep = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        try:
            while True:
                d = self.s.recv(1 << 20)
                if not d:
                    return
                buf += d
                while b"\n\n" in buf:
                    ev, buf = buf.split(b"\n\n", 1)
                    i = ev.find(b"data: ")
                    kind = b"state"
                    if b"event: traffic" in ev:
                        kind = b"traffic"
                    if i >= 0:
                        self.kinds.append((time.monotonic(), kind.decode()))
                    if i >= 0 and kind == b"state":
                        data = ev[i + 6:].split(b"\r\n")[0]
                        self.events.append((time.monotonic(),
                                            json.loads(data) if self.keep
                                            else None))
        except (OSError, ValueError):
            pass

    def close(self):
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()


def start_viz(docker_host, extra=None):
    port = free_port()
    env = dict(os.environ, PORT=str(port), DOCKER_HOST=docker_host,
               LOG_LEVEL="debug")
    env.update(extra or {})
    log = open(os.path.join(TMP, f"viz-{port}.log"), "wb")
    p = subprocess.Popen([VIZ], env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return p, port, log.name


def published(logpath):
    with open(logpath, errors="replace") as f:
        return sum(1 for line in f if "model published" in line)


def table(head, rows):
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    print()


# ---------------------------------------------------------------------------


def bench_weight():
    eng = FakeEngine(os.path.join(TMP, "w.sock"), 2, 10, 2).start()
    p, port, _ = start_viz("unix://" + eng.path)
    rows, total = [], 0
    for path in ("/", "/app.js", "/style.css", "/favicon.svg"):
        _, body = http_get(port, path)
        rows.append((path, len(body)))
        total += len(body)
    p.terminate()
    p.wait()
    rows.append(("**total**", f"**{total}** ({total / 1024:.1f} KiB of the "
                 "40 KB budget)"))
    print("### Page weight (bytes as served, no compression)\n")
    table(["asset", "bytes"], rows)


def bench_json():
    eng = FakeEngine(os.path.join(TMP, "j.sock"), 100, 5000, 250)
    path = os.path.join(TMP, "tasks.json")
    with open(path, "wb") as f:
        f.write(eng.tasks_body())
    size = os.path.getsize(path)
    res = {}
    for mode in ("jscan", "jansson", "tree"):
        runs = []
        for _ in range(5):
            out = subprocess.run([os.path.join(BIN, "json_bench"), mode, path],
                                 capture_output=True, text=True, check=True)
            _, ms, peak, delta, n = out.stdout.split()
            runs.append((float(ms), int(peak), int(delta), int(n)))
        res[mode] = (statistics.median(r[0] for r in runs),
                     statistics.median(r[1] for r in runs),
                     statistics.median(r[2] for r in runs), runs[0][3])
    base = res["jscan"]
    print(f"### JSON: GET /tasks of 5,000 tasks ({size / 1e6:.1f} MB), "
          "median of 5 processes\n")
    table(["parser", "CPU ms", "peak RSS KiB", "RSS growth KiB", "tasks",
           "CPU ratio", "RSS growth ratio"],
          [(m, f"{r[0]:.1f}", r[1], r[2], r[3], f"{r[0] / base[0]:.1f}x",
            f"{r[2] / max(base[2], 1):.1f}x")
           for m, r in res.items()])


def bench_client():
    eng = FakeEngine(os.path.join(TMP, "c.sock"), 100, 5000, 250).start()
    size = len(eng.tasks_body())
    rows = []
    base = None
    for prog, label in (("client_bench_ours", "ours: HTTP/1.1 on libuv"),
                        ("client_bench_gnutls",
                         "libcurl-gnutls, multi on libuv"),
                        ("client_bench_openssl",
                         "libcurl-openssl, multi on libuv")):
        runs = []
        for _ in range(3):
            out = subprocess.run([os.path.join(BIN, prog), eng.path, "20"],
                                 capture_output=True, text=True, check=True)
            runs.append(tuple(float(x) for x in out.stdout.split()[:4]))
        r = tuple(statistics.median(x[i] for x in runs) for i in range(4))
        if base is None:
            base = r
        rows.append((label, f"{r[0]:.1f}", f"{r[1]:.1f}", int(r[2]),
                     int(r[3]), f"{r[1] / base[1]:.2f}x",
                     f"{(r[3] - base[3]) / 1024:+.1f}"))
    print(f"### Engine client: 20 fetches of GET /tasks ({size / 1e6:.1f} MB,"
          " chunked) from a unix socket, parsed by jscan; median of 3 "
          "processes, same API (docker_client.h), same loop\n")
    table(["client", "wall ms/fetch", "CPU ms/fetch", "RSS after init KiB",
           "peak RSS KiB", "CPU vs ours", "peak RSS vs ours MiB"], rows)


def closure(objs):
    """The set of real files (resolved) of objs and their shared libs."""
    out = set()
    for o in objs:
        out.add(os.path.realpath(o))
        r = subprocess.run(["ldd", o], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            parts = line.split("=>")
            p = (parts[1] if len(parts) > 1 else parts[0]).split("(")[0]
            p = p.strip()
            if p.startswith("/"):
                out.add(os.path.realpath(p))
    return out


def size(files):
    return sum(os.path.getsize(f) for f in files)


def bench_image():
    lib = "/usr/lib/x86_64-linux-gnu/"
    base = closure([lib + "libmicrohttpd.so.12", lib + "libuv.so.1",
                    lib + "libyajl.so.2"])
    gnutls = closure([lib + "libcurl-gnutls.so.4"]) | base
    openssl = closure([lib + "libcurl.so.4"]) | base
    binary = os.path.getsize(VIZ)
    rows = []
    for label, files in (("ours (no libcurl)", base),
                         ("libcurl-gnutls (libcurl3-gnutls)", gnutls),
                         ("libcurl-openssl (libcurl4)", openssl)):
        added = size(files - base)
        rows.append((label, len(files), f"{size(files) / 1e6:.2f}",
                     f"{added / 1e6:.2f}",
                     f"{(size(files) + binary) / 1e6:.2f}"))
    print("### Image: shared libraries the runtime stage must carry "
          f"(ldd closure, du); the visualizer binary adds {binary / 1e6:.2f}"
          " MB (with debug info; less stripped)\n")
    table(["engine client", "files", "libraries MB", "added by the client MB",
           "binary + libraries MB"], rows)
    only = sorted(os.path.basename(f) for f in gnutls - base)
    print("libcurl-gnutls brings, beyond what libmicrohttpd already needs: "
          + ", ".join(only) + "\n")


def bench_scale():
    eng = FakeEngine(os.path.join(TMP, "s.sock"), 100, 5000, 250).start()
    print("### Synthetic engine: 100 nodes, 250 services, 5,000 tasks "
          f"(/tasks {len(eng.tasks_body()) / 1e6:.1f} MB); 40 updates, one "
          "every 500 ms, each a service event (the server re-reads /services "
          "and /tasks, renders the model and pushes it)\n")
    rows = []
    for clients in (0, 1, 10):
        p, port, log = start_viz("unix://" + eng.path)
        t0 = time.monotonic()
        while published(log) < 2 and time.monotonic() - t0 < 30:
            time.sleep(0.05)
        first = time.monotonic() - t0
        if published(log) < 2:
            sys.exit(f"the visualizer published no model in 30 s: see {log}")
        streams = [Stream(port) for _ in range(clients)]
        time.sleep(1.5)
        n0, c0 = published(log), cpu_ns(p.pid)
        rss = []
        kinds = ["service", "node"]
        for i in range(40):
            eng.emit(kinds[i % 2])
            time.sleep(0.5)
            rss.append(mem_kib(p.pid, "VmRSS"))
        time.sleep(1.0)
        n1, c1 = published(log), cpu_ns(p.pid)
        hwm = mem_kib(p.pid, "VmHWM")
        got = [len(s.events) for s in streams]
        _, body = http_get(port, "/api/state")
        for s in streams:
            s.close()
        p.terminate()
        p.wait()
        updates = n1 - n0
        rows.append((clients, updates, f"{(c1 - c0) / 1e6 / max(updates, 1):.1f}",
                     f"{statistics.median(rss) / 1024:.1f}",
                     f"{max(rss) / 1024:.1f}", f"{hwm / 1024:.1f}",
                     f"{len(body) / 1e6:.2f}", f"{first:.2f}",
                     min(got) if got else "-"))
    table(["open streams", "updates pushed", "server CPU ms/update",
           "RSS median MiB", "RSS max MiB", "VmHWM MiB", "model MB",
           "first picture s", "events per stream (min)"], rows)


def bench_traffic():
    rows, lat_all, metrics = [], [], None
    print("### Traffic: the synthetic engine (100 nodes, 250 services, 5,000 "
          "tasks with their network attachments), 500 tasks of 25 services "
          "opted in, each answering GET /metrics at its own loopback address "
          "(fake_engine.FakeMetrics); 30 s steady, then 10 engine events, one "
          "every 2 s\n")
    for scraped, clients in ((0, 1), (500, 1), (500, 10)):
        eng = FakeEngine(os.path.join(TMP, f"t{scraped}-{clients}.sock"), 100,
                         5000, 250, scraped=scraped, networks=True)
        eng.start()
        # One set of fake tasks for every run: the engines are the same.
        if scraped and metrics is None:
            metrics = FakeMetrics(eng.scraped_tasks).start()
        met = metrics if scraped else None
        p, port, log = start_viz("unix://" + eng.path,
                                 {"LOG_LEVEL": "info"})
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            _, body = http_get(port, "/api/traffic")
            doc = json.loads(body)
            rep = sum(v["reporting"] for v in doc["services"].values())
            if rep >= scraped:
                break
            time.sleep(0.5)
        ready = time.monotonic() - t0
        streams = [Stream(port) for _ in range(clients)]
        time.sleep(3)
        r0 = met.requests if met else 0
        c0, rss = cpu_ns(p.pid), []
        for _ in range(60):
            time.sleep(0.5)
            rss.append(mem_kib(p.pid, "VmRSS"))
        c1 = cpu_ns(p.pid)
        reqs = (met.requests - r0) / 30 if met else 0
        tev = [sum(1 for t, k in s.kinds if k == "traffic" and t > 0)
               for s in streams]
        # A change: one task changes on the engine, the pages must see it.
        lat = []
        for i in range(10):
            seen = [len(s.events) for s in streams]
            te = time.monotonic()
            eng.emit("service")
            deadline = te + 5
            while time.monotonic() < deadline and any(
                    len(s.events) <= n for s, n in zip(streams, seen)):
                time.sleep(0.005)
            lat.append(max((s.events[n][0] - te) if len(s.events) > n
                           else float("inf") for s, n in zip(streams, seen)))
            time.sleep(2)
        hwm = mem_kib(p.pid, "VmHWM")
        for s in streams:
            s.close()
        p.terminate()
        p.wait()
        lat.sort()
        lat_all += lat
        rows.append((scraped, clients, f"{ready:.1f}",
                     f"{(c1 - c0) / 1e6 / 30:.1f}",
                     f"{(c1 - c0) / 1e9 / 30 * 100:.2f} %",
                     f"{statistics.median(rss) / 1024:.2f}",
                     f"{max(rss) / 1024:.2f}", f"{hwm / 1024:.2f}",
                     f"{reqs:.0f}", min(tev) if tev else "-",
                     f"{statistics.median(lat) * 1000:.0f} / "
                     f"{lat[-1] * 1000:.0f}",
                     len(met.bad) if met else "-"))
    table(["tasks scraped", "open streams", "all reporting after s",
           "CPU ms/s (steady)", "of one core", "RSS median MiB",
           "RSS max MiB", "VmHWM MiB", "GET /metrics per s",
           "traffic events per stream (30 s)",
           "event to every page ms (median / max)",
           "other requests to tasks"], rows)
    ours = rows[1]
    peer = traffic_peer(metrics)
    if peer:
        cpu, med, mx, hwm, reqs = peer
        print("\nThe peer on the same 500 tasks, 30 s steady (static targets: "
              "no discovery, no engine; it keeps every sample in its TSDB, "
              "which is its job):\n")
        table(["scraper", "CPU ms/s", "RSS median MiB", "RSS max MiB",
               "VmHWM MiB", "GET /metrics per s", "CPU vs ours",
               "RSS median vs ours"],
              [("ours (visualizer, 500 scraped, 1 stream)", ours[3], ours[5],
                ours[6], ours[7], ours[8], "1.0x", "1.0x"),
               ("Prometheus " + peer_version(), f"{cpu:.1f}", f"{med:.2f}",
                f"{mx:.2f}", f"{hwm:.2f}", f"{reqs:.0f}",
                f"{cpu / float(ours[3]):.1f}x",
                f"{med / float(ours[5]):.1f}x")])


def peer_version():
    out = subprocess.run(["prometheus", "--version"], capture_output=True,
                         text=True)
    return (out.stdout or out.stderr).split()[2]


def traffic_peer(metrics):
    """Prometheus scraping the same tasks every second: its CPU ms/s,
    RSS median, max, VmHWM (MiB) and requests per second; None when it
    is not installed."""
    if not metrics or not shutil.which("prometheus"):
        print("\n(no peer: install Debian's prometheus package)\n")
        return None
    d = tempfile.mkdtemp(prefix="prom-", dir=TMP)
    targets = ", ".join(f'"{a}:{METRICS_PORT}"' for _, a in metrics.targets)
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 500ms\n"
                "scrape_configs:\n  - job_name: hello\n    static_configs:\n"
                f"      - targets: [{targets}]\n")
    port = free_port()
    p = subprocess.Popen(["prometheus", "--config.file",
                          os.path.join(d, "prometheus.yml"),
                          "--storage.tsdb.path", os.path.join(d, "data"),
                          "--web.listen-address", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(10)  # started, every target scraped a few times
        r0 = metrics.requests
        c0, rss = cpu_ns(p.pid), []
        for _ in range(60):
            time.sleep(0.5)
            rss.append(mem_kib(p.pid, "VmRSS"))
        c1 = cpu_ns(p.pid)
        reqs = (metrics.requests - r0) / 30
        hwm = mem_kib(p.pid, "VmHWM")
    finally:
        p.terminate()
        p.wait(30)
    return ((c1 - c0) / 1e6 / 30, statistics.median(rss) / 1024,
            max(rss) / 1024, hwm / 1024, reqs)


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True,
                          check=check, timeout=120).stdout.strip()


def bench_real():
    prefix = "vizt-bench-" + secrets.token_hex(3)
    svcs = [f"{prefix}-s{i}" for i in range(5)]
    for s in svcs:
        docker("service", "create", "-d", "-q", "--name", s, "--init",
               "--stop-grace-period", "1s", "--replicas", "4", "vizt-sleep:1")
    try:
        time.sleep(15)
        rows = []
        for clients in (1, 10):
            p, port, log = start_viz("unix:///var/run/docker.sock")
            time.sleep(3)
            streams = [Stream(port) for _ in range(clients)]
            time.sleep(2)
            c0 = cpu_ns(p.pid)
            time.sleep(30)
            c1 = cpu_ns(p.pid)
            idle_rss = mem_kib(p.pid, "VmRSS")
            # Ten scales (up then down) while the pages watch.
            c2 = cpu_ns(p.pid)
            for i in range(10):
                docker("service", "scale", "-d",
                       f"{svcs[0]}={6 if i % 2 == 0 else 4}")
                time.sleep(2)
            c3 = cpu_ns(p.pid)
            rows.append((clients, f"{(c1 - c0) / 1e6 / 30:.2f}",
                         f"{idle_rss / 1024:.1f}",
                         f"{(c3 - c2) / 1e6 / 10:.1f}",
                         f"{mem_kib(p.pid, 'VmHWM') / 1024:.1f}"))
            for s in streams:
                s.close()
            p.terminate()
            p.wait()
        print("### Real engine (Docker 20.10, one-node swarm, "
              f"{len(svcs) * 4}+ tasks of ours among the machine's others)\n")
        table(["open streams", "idle CPU ms/s", "idle RSS MiB",
               "CPU ms per scale", "VmHWM MiB"], rows)

        # Latency: docker service scale -> the stream shows the new count.
        p, port, log = start_viz("unix:///var/run/docker.sock")
        time.sleep(3)
        st = Stream(port)
        st.keep = True
        time.sleep(2)
        lat = []
        for i in range(20):
            want = 5 if i % 2 == 0 else 3
            seen = len(st.events)
            t0 = time.monotonic()
            docker("service", "scale", "-d", f"{svcs[1]}={want}")
            deadline = t0 + 5
            hit = None
            while time.monotonic() < deadline and hit is None:
                for t, m in st.events[seen:]:
                    n = sum(1 for nd in m["nodes"] for tk in nd["tasks"]
                            if tk["service"] == svcs[1] and
                            tk["desired_state"] == "running")
                    if n == want:
                        hit = t
                        break
                time.sleep(0.01)
            lat.append((hit - t0) if hit else float("inf"))
            time.sleep(1.5)
        st.close()
        p.terminate()
        p.wait()
        lat.sort()
        print("Time from starting `docker service scale -d` to the new "
              "number of tasks arriving on the event stream, 20 runs: "
              f"median {statistics.median(lat) * 1000:.0f} ms, p90 "
              f"{lat[int(len(lat) * 0.9) - 1] * 1000:.0f} ms, max "
              f"{lat[-1] * 1000:.0f} ms (the CLI itself takes about "
              "100 ms of that).\n")
    finally:
        for s in svcs:
            docker("service", "rm", s, check=False)


if __name__ == "__main__":
    print(f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores "
          f"(shared with other work); visualizer {VIZ}\n")
    for s in SECTIONS:
        globals()["bench_" + s]()
