# SPDX-License-Identifier: Apache-2.0
"""A synthetic Docker engine for the visualizer's scale benchmark.

A test double, for scale only: it serves generated replies to the GET
requests the visualizer sends (/_ping, /version, /info, /nodes, /services,
/tasks, /events) on a unix socket, for a swarm of N nodes and M tasks.
Each task is shaped like a real one (Docker 20.10: spec, environment,
resources, status; about 970 bytes, the TESTBED's 950), so /tasks weighs
what a real engine's would (4.9 MB for 5,000 tasks). emit() sends an event and changes one task, so every
update the visualizer makes is a real change it must render and push.

With scraped=N (the traffic benchmark), the first N tasks' services opt
in to traffic (the label part5.visualizer.scrape, port 9100), every task
carries NetworksAttachments as Docker 20.10 reports them (the whole
network object, about 500 bytes more a task), and each of those N tasks
has a fake GET /metrics of its own at its own address on this machine's
loopback (127.1.x.y:9100, as if each were a container): a hello-like
answer whose counter grows at a rate of its own (FakeMetrics).

Standard library only. Used by bench_visualizer.py; can also run alone:
  python3 fake_engine.py /tmp/engine.sock 100 5000 [scraped]
"""

import asyncio
import json
import os
import random
import sys
import threading
import time

STATES = ["running"] * 18 + ["failed", "rejected"]


def _id(prefix, i):
    return f"{prefix}{i:08d}".ljust(25, "x")[:25]


METRICS_PORT = 9100


def metrics_addr(k):
    """The loopback address of the k-th scraped task."""
    return f"127.1.{k // 250}.{k % 250 + 1}"


class FakeEngine:
    def __init__(self, path, nodes=100, tasks=5000, services=250, seed=1,
                 scraped=0, networks=False):
        self.path = path
        self.rng = random.Random(seed)
        self.nnodes, self.ntasks, self.nservices = nodes, tasks, services
        # Services whose tasks are scraped: enough for `scraped` tasks.
        self.scraped = scraped
        self.nscraped_services = -(-scraped * services // tasks) if scraped else 0
        self.scraped_tasks = []  # (task ID, address), the metrics targets
        self.networks = networks or scraped > 0
        self.requests = []
        self.subscribers = set()
        self.loop = None
        self.nodes = self._nodes()
        self.services = [self._service(i) for i in range(services)]
        self.tasks = [self._task(i) for i in range(tasks)]
        self.task_bytes = [json.dumps(t).encode() for t in self.tasks]
        self.version = 0

    # Generated replies -------------------------------------------------

    def _nodes(self):
        out = []
        for i in range(self.nnodes):
            manager = i < 3
            out.append({
                "ID": _id("node", i), "Version": {"Index": 100 + i},
                "CreatedAt": "2026-11-27T10:00:00.000000000Z",
                "UpdatedAt": "2026-11-27T10:00:00.000000000Z",
                "Spec": {"Labels": {"zone": f"z{i % 4}"},
                         "Role": "manager" if manager else "worker",
                         "Availability": "drain" if i == 7 else "active"},
                "Description": {
                    "Hostname": f"node-{i:03d}",
                    "Platform": {"Architecture": "x86_64", "OS": "linux"},
                    "Resources": {"NanoCPUs": 4000000000,
                                  "MemoryBytes": 8 * 1024 ** 3},
                    "Engine": {"EngineVersion": "20.10.24+dfsg1",
                               "Plugins": [{"Type": "Log", "Name": "json-file"},
                                           {"Type": "Network",
                                            "Name": "overlay"}]},
                    "TLSInfo": {"TrustRoot": "-----BEGIN CERTIFICATE-----\n"
                                + "A" * 600 + "\n-----END CERTIFICATE-----\n",
                                "CertIssuerSubject": "MBMxETAPBgNVBAMTCHN3",
                                "CertIssuerPublicKey": "MFkwEwYHKoZIzj0CAQYI"}},
                "Status": {"State": "down" if i == 9 else "ready",
                           "Addr": f"10.0.{i // 250}.{i % 250 + 1}"},
                **({"ManagerStatus": {"Leader": i == 0,
                                      "Reachability": "reachable",
                                      "Addr": f"10.0.0.{i + 1}:2377"}}
                   if manager else {})})
        return out

    def _service(self, i):
        labels = {"com.docker.stack.namespace": f"stack{i % 10}",
                  "com.docker.stack.image": "part5/hello:1.0.0"}
        if i < self.nscraped_services:
            labels["part5.visualizer.scrape"] = "true"
            labels["part5.visualizer.scrape.port"] = str(METRICS_PORT)
        return {
            "ID": _id("svc", i), "Version": {"Index": 500 + i},
            "CreatedAt": "2026-11-27T10:00:00.000000000Z",
            "UpdatedAt": "2026-11-27T10:00:00.000000000Z",
            "Spec": {"Name": f"stack{i % 10}_service{i:03d}",
                     "Labels": labels,
                     "TaskTemplate": {
                         "ContainerSpec": {
                             "Image": "part5/hello:1.0.0@sha256:" + "a" * 64,
                             "Env": ["NAME=World", "REDIS_HOST=redis"],
                             "Labels": {"com.docker.stack.namespace":
                                        f"stack{i % 10}"}},
                         "Resources": {}, "Placement": {},
                         "ForceUpdate": 0, "Runtime": "container"},
                     "Mode": {"Replicated": {"Replicas": self.ntasks //
                                             self.nservices}},
                     "EndpointSpec": {"Mode": "vip"}},
            "Endpoint": {"Spec": {}}}

    def _network(self, name, addr):
        """A NetworksAttachments entry as Docker 20.10 writes it."""
        return {"Network": {
            "ID": _id("net", len(name)), "Version": {"Index": 12},
            "CreatedAt": "2026-11-27T10:00:00.000000000Z",
            "UpdatedAt": "2026-11-27T10:00:00.000000000Z",
            "Spec": {"Name": name, "Labels": {"com.docker.stack.namespace":
                                              "stack0"},
                     "DriverConfiguration": {"Name": "overlay"},
                     "Attachable": True, "IPAMOptions": {
                         "Driver": {"Name": "default"}}, "Scope": "swarm"},
            "DriverState": {"Name": "overlay", "Options": {
                "com.docker.network.driver.overlay.vxlanid_list": "4097"}},
            "IPAMOptions": {"Driver": {"Name": "default"}, "Configs": [
                {"Subnet": "10.0.1.0/24", "Gateway": "10.0.1.1"}]}},
            "Addresses": [addr]}

    def _task(self, i):
        svc = i % self.nservices
        state = self.rng.choice(STATES)
        scraped = svc < self.nscraped_services and \
            len(self.scraped_tasks) < self.scraped
        if scraped:
            state = "running"
        running = state == "running"
        extra = {}
        if self.networks:
            addr = f"10.0.{1 + i // 250}.{i % 250 + 2}/16"
            if scraped:
                addr = metrics_addr(len(self.scraped_tasks)) + "/8"
                self.scraped_tasks.append((_id("task", i), addr[:-2]))
            extra["NetworksAttachments"] = [self._network("stack0_webnet",
                                                          addr)]
        return {
            "ID": _id("task", i), "Version": {"Index": 1000 + i},
            "CreatedAt": "2026-11-27T10:00:00.000000000Z",
            "UpdatedAt": "2026-11-27T10:00:01.000000000Z",
            "Labels": {},
            "Spec": {
                "ContainerSpec": {
                    "Image": "part5/hello:1.0.0@sha256:" + "a" * 64,
                    "Labels": {"com.docker.stack.namespace": f"stack{svc % 10}"},
                    "Env": ["NAME=World", "REDIS_HOST=redis",
                            "REDIS_PASSWORD_FILE=/run/secrets/redis_password"],
                    "Init": False, "DNSConfig": {}, "Isolation": "default"},
                "Resources": {"Limits": {}, "Reservations": {}},
                "Placement": {},
                "ForceUpdate": 0},
            "ServiceID": _id("svc", svc),
            "Slot": i // self.nservices + 1,
            "NodeID": _id("node", self.rng.randrange(self.nnodes)),
            "Status": {"Timestamp": "2026-11-27T10:00:02.123456789Z",
                       "State": state,
                       "Message": "started" if running else "finished",
                       **({} if running else
                          {"Err": "task: non-zero exit (1)"}),
                       "ContainerStatus": {"ContainerID": "c" * 64,
                                           "PID": 4242 if running else 0,
                                           "ExitCode": 0 if running else 1},
                       "PortStatus": {}},
            "DesiredState": "running" if running else "shutdown", **extra}

    def tasks_body(self):
        return b"[" + b",".join(self.task_bytes) + b"]\n"

    # Changes ------------------------------------------------------------

    def _mutate(self):
        """Changes one task's status (message and time), as a real update
        would; no task is left on its way to another state, so the
        server's follow-up reads after an event do not add to the cost."""
        i = self.rng.randrange(self.ntasks)
        t = self.tasks[i]
        self.version += 1
        t["Status"]["Message"] = f"update {self.version}"
        t["Status"]["Timestamp"] = f"2026-11-27T11:{self.version // 60 % 60:02d}" \
            f":{self.version % 60:02d}.000000000Z"
        self.task_bytes[i] = json.dumps(t).encode()

    def emit(self, kind="service"):
        """Sends one event to every /events subscriber (thread-safe)."""
        def go():
            self._mutate()
            line = json.dumps({"Type": kind, "Action": "update",
                               "Actor": {"ID": _id("svc", 0),
                                         "Attributes": {"name": "bench"}},
                               "scope": "swarm", "time": int(time.time()),
                               "timeNano": time.time_ns()}).encode() + b"\n"
            for w in list(self.subscribers):
                try:
                    w.write(b"%x\r\n%s\r\n" % (len(line), line))
                except Exception:
                    self.subscribers.discard(w)
        self.loop.call_soon_threadsafe(go)

    # HTTP ----------------------------------------------------------------

    async def _handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode()
                method, target = line.split(" ")[:2]
                self.requests.append((time.monotonic(), method, target))
                path = target.split("?")[0]
                if path == "/events":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: "
                                 b"application/json\r\nTransfer-Encoding: "
                                 b"chunked\r\n\r\n")
                    self.subscribers.add(writer)
                    await reader.read()  # until the client goes
                    self.subscribers.discard(writer)
                    return
                body = self._reply(path)
                if body is None:
                    msg = b'{"message":"page not found"}'
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Type: "
                                 b"application/json\r\nContent-Length: %d"
                                 b"\r\n\r\n%s" % (len(msg), msg))
                    continue
                # Chunked in 32 KiB pieces, as the Go engine streams JSON.
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: "
                             b"application/json\r\nTransfer-Encoding: "
                             b"chunked\r\n\r\n")
                for off in range(0, len(body), 32768):
                    piece = body[off:off + 32768]
                    writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.subscribers.discard(writer)
            writer.close()

    def _reply(self, path):
        if path == "/_ping":
            return b"OK"
        if path == "/version":
            return json.dumps({"Version": "20.10.24+dfsg1",
                               "ApiVersion": "1.41"}).encode()
        if path == "/info":
            return json.dumps({"ServerVersion": "20.10.24+dfsg1",
                               "Swarm": {"LocalNodeState": "active",
                                         "ControlAvailable": True,
                                         "Error": ""}}).encode()
        if path == "/nodes":
            return json.dumps(self.nodes).encode()
        if path == "/services":
            return json.dumps(self.services).encode()
        if path == "/tasks":
            return self.tasks_body()
        return None

    def start(self):
        """Serves in a thread of its own; returns once listening."""
        ready = threading.Event()

        def main():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            srv = self.loop.run_until_complete(
                asyncio.start_unix_server(self._handle, self.path,
                                          limit=1 << 20))
            self.server = srv
            # As the engine's socket: the visualizer, started as root,
            # drops to an unprivileged user with the socket's group, which
            # must not be root's (it refuses group 0): nogroup, and the
            # directory's group too.
            os.chmod(self.path, 0o660)
            if os.geteuid() == 0:
                os.chown(self.path, -1, 65534)
                os.chown(os.path.dirname(self.path), -1, 65534)
            ready.set()
            self.loop.run_forever()
        threading.Thread(target=main, daemon=True).start()
        ready.wait(10)
        return self


class FakeMetrics:
    """GET /metrics of each scraped task, at the task's own loopback
    address: hello's answer, with a counter that grows at rate[k] a
    second (k % 7: 0 to 6 requests a second). Counts what it is asked."""

    def __init__(self, targets):
        self.targets = targets  # (task ID, address)
        self.requests = 0
        self.bad = []  # requests that were not the visualizer's fixed GET
        self.t0 = time.monotonic()
        self.loop = None

    async def _handle(self, reader, writer, k):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            self.requests += 1
            addr = self.targets[k][1]
            want = (f"GET /metrics HTTP/1.1\r\nHost: {addr}:{METRICS_PORT}"
                    "\r\nUser-Agent: part5-visualizer\r\nAccept: text/plain"
                    "\r\nConnection: close\r\n\r\n").encode()
            if head != want:
                self.bad.append(head[:200])
            count = int((k % 7) * (time.monotonic() - self.t0))
            body = ("# HELP hello_page_requests_total GET / and GET /api.\n"
                    "# TYPE hello_page_requests_total counter\n"
                    f"hello_page_requests_total {count}\n"
                    "# TYPE hello_redis_up gauge\nhello_redis_up 1\n"
                    "# TYPE process_start_time_seconds gauge\n"
                    "process_start_time_seconds 1700000000.000\n").encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; "
                         b"version=0.0.4; charset=utf-8\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError,
                ConnectionError):
            pass
        finally:
            writer.close()

    def start(self):
        ready = threading.Event()

        def main():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            for k, (_, addr) in enumerate(self.targets):
                self.loop.run_until_complete(asyncio.start_server(
                    lambda r, w, k=k: self._handle(r, w, k), addr,
                    METRICS_PORT))
            ready.set()
            self.loop.run_forever()
        threading.Thread(target=main, daemon=True).start()
        ready.wait(60)
        return self


if __name__ == "__main__":
    e = FakeEngine(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                   scraped=int(sys.argv[4]) if len(sys.argv) > 4 else 0).start()
    if e.scraped:
        FakeMetrics(e.scraped_tasks).start()
    print(f"serving {e.nnodes} nodes, {e.ntasks} tasks "
          f"({len(e.tasks_body()) / 1e6:.1f} MB of /tasks) on {e.path}")
    while True:
        time.sleep(1)
        e.emit()
