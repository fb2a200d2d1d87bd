# SPDX-License-Identifier: Apache-2.0
"""The visualizer while the dockerd of a swarm manager restarts.

test_visualizer_faults.py stops an engine that is not in a swarm; this is
the tutorial's case: the engine the visualizer reads is a swarm manager
running a service, and its dockerd restarts. A real engine in a container
of the test's own (the shared engine is never restarted), its dockerd run
by a small shell loop so that it can be restarted without restarting the
container; a service of three tasks from a tiny image made here (a static
program that waits, imported: no registry needed).

What is asserted, on the page's own event stream:
- the page shows the outage (engine.connected false, the reason) within
  1 s of the engine no longer answering;
- it is live again (connected, the reason gone) within 5 s of the engine
  answering again;
- with the same tasks as the engine: the ids the page shows are the ones
  `docker service ps` reports running, within 2 s of the engine reporting
  them. A dockerd restart stops its containers (swarm mode has no
  live-restore), so the swarm starts the three tasks again, a few seconds
  after the engine answers; the page shows those, not the old ones.

Everything is named relw-<random> and removed at the end.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time

from part5test import (TIME_SCALE, Proc, binary, check, free_port, step,
                       wait_until)
from rellogs import logdir, main
from sse import EventStream

PREFIX = "relw-" + secrets.token_hex(3)
PAUSE_C = "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n"


def inner(sock, *args, timeout=30, check_rc=True):
    r = subprocess.run(["docker", "-H", "unix://" + sock, *args],
                       capture_output=True, text=True, timeout=timeout)
    if check_rc and r.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip() if check_rc else r.returncode == 0


def running_tasks(sock, service):
    """Ids of the service's tasks the engine says run (and should)."""
    out = inner(sock, "service", "ps", "-q", "--no-trunc", "--filter",
                "desired-state=running", service)
    ids = set(out.split())
    states = inner(sock, "inspect", "--format", "{{.Status.State}}", *ids) \
        if ids else ""
    return ids if states.split() == ["running"] * len(ids) else set()


def page_tasks(st, service):
    return {t["id"] for n in st["nodes"] for t in n["tasks"]
            if t["service"] == service and t["state"] == "running" and
            t["desired_state"] == "running"}


class Answering:
    """Polls the engine's /_ping every 50 ms in a thread; records when it
    stopped and started answering."""

    def __init__(self, sock):
        self.sock = sock
        self.changes = []  # (monotonic time, answering)
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _ping(self):
        r = subprocess.run(["curl", "-s", "-m", "1", "--unix-socket",
                            self.sock, "http://x/_ping"],
                           capture_output=True, text=True, timeout=5)
        return r.stdout == "OK"

    def _run(self):
        last = None
        while not self.done.is_set():
            ok = self._ping()
            if ok != last:
                self.changes.append((time.monotonic(), ok))
                last = ok
            self.done.wait(0.05)

    def first(self, answering, after=0.0):
        for t, ok in self.changes:
            if ok == answering and t > after:
                return t
        return None

    def stop(self):
        self.done.set()
        self.t.join(10)


def test_swarm_manager_dockerd_restarts():
    import swarmnodes
    image = swarmnodes.node_image()
    name = f"{PREFIX}-engine"
    sockdir = tempfile.mkdtemp(prefix=f"{PREFIX}-")
    os.chmod(sockdir, 0o755)  # the visualizer drops root: let it through
    sock = os.path.join(sockdir, "docker.sock")
    service = f"{PREFIX}-svc"
    page = None
    try:
        step(f"a swarm manager in a container {name}, its dockerd run by a "
             f"shell loop, socket {sock}")
        swarmnodes.HOST.run(
            "run", "-d", "--name", name, "--hostname", name,
            "--cap-add=ALL", "--cap-drop=SYS_RESOURCE",
            "--security-opt", "seccomp=unconfined",
            "--security-opt", "apparmor=unconfined",
            "--security-opt", "systempaths=unconfined",
            "-v", "/sys/fs/cgroup:/sys/fs/cgroup", "--tmpfs", "/run",
            "-v", f"{sockdir}:/hostsock", "-v", "/var/lib/docker", image,
            "sh", "-c", "while :; do dockerd "
            "--host=unix:///hostsock/docker.sock; sleep 0.2; done")
        wait_until(lambda: inner(sock, "info", check_rc=False), 60,
                   interval=0.5, what="the inner engine")
        inner(sock, "swarm", "init", "--advertise-addr", "127.0.0.1")
        step("a service of 3 tasks from a 1 MB image made here")
        d = tempfile.mkdtemp(prefix=f"{PREFIX}-img-")
        try:
            with open(os.path.join(d, "pause.c"), "w") as f:
                f.write(PAUSE_C)
            subprocess.run(["cc", "-static", "-O2", "-o",
                            os.path.join(d, "pause"),
                            os.path.join(d, "pause.c")], check=True,
                           timeout=60)
            subprocess.run(f"tar -C {d} -c pause | docker -H unix://{sock} "
                           "import -c 'ENTRYPOINT [\"/pause\"]' - "
                           "relw-pause:1", shell=True, check=True,
                           capture_output=True, timeout=60)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        inner(sock, "service", "create", "--detach", "--name", service,
              "--replicas", "3", "relw-pause:1")
        before = wait_until(lambda: (lambda ids: ids if len(ids) == 3
                                     else None)(running_tasks(sock, service)),
                            60, interval=0.5, what="3 running tasks")

        port = free_port()
        viz = Proc([binary("visualizer")], env={
            "PORT": str(port), "LOG_LEVEL": "info",
            "DOCKER_HOST": "unix://" + sock}, name="visualizer",
            logdir=logdir("visualizer"))
        viz.wait_log(r"listening on", 10 * TIME_SCALE)
        page = EventStream(port)
        _, st = page.wait_for(
            lambda s: s["engine"]["connected"] and
            page_tasks(s, service) == before, 20,
            "the service's 3 tasks")
        check(st["swarm"] is True, "the page shows a swarm with the "
              "service's 3 running tasks, the ids the engine reports")

        step("dockerd restarts (SIGTERM; the loop starts it again)")
        probe = Answering(sock)
        time.sleep(1)
        t_kill = time.monotonic()
        swarmnodes.HOST.run("exec", name, "sh", "-c",
                            "kill $(cat /var/run/docker.pid)")
        t_out, st = page.wait_for(lambda s: not s["engine"]["connected"],
                                  30, "engine.connected false")
        t_gone = probe.first(False, t_kill - 1) or t_out
        err = st["engine"]["error"] or ""
        print(f"    the engine stopped answering {t_gone - t_kill:.2f}s "
              f"after SIGTERM; the page said so {t_out - t_gone:.2f}s later: "
              f"{err}", flush=True)
        check(t_out - t_gone <= 1.0 * TIME_SCALE,
              f"the outage on the page within 1 s of the engine's last "
              f"answer ({t_out - t_gone:.2f}s)")
        check(sock in err, "with the reason, naming the socket")
        check(page_tasks(st, service) == before, "the last picture kept")

        wait_until(lambda: probe.first(True, t_gone), 60, interval=0.1,
                   what="dockerd to answer again")
        t_back = probe.first(True, t_gone)
        engine_tasks = []  # (time, ids) when the engine runs 3 again

        def watch_engine():
            while not engine_tasks and time.monotonic() - t_back < 60:
                ids = running_tasks(sock, service)
                if len(ids) == 3:
                    engine_tasks.append((time.monotonic(), ids))
                time.sleep(0.2)
        watcher = threading.Thread(target=watch_engine, daemon=True)
        watcher.start()
        t_live, st = page.wait_for(
            lambda s: s["engine"]["connected"] and not s["engine"]["error"],
            30, "connected again")
        print(f"    dockerd answered again {t_back - t_gone:.1f}s after it "
              f"stopped; the page was live {t_live - t_back:.2f}s later",
              flush=True)
        check(t_live - t_back <= 5.0 * TIME_SCALE,
              f"live again within 5 s of the engine's return "
              f"({t_live - t_back:.2f}s)")
        watcher.join(65)
        check(engine_tasks, "the swarm runs the service's 3 tasks again")
        t_eng, now = engine_tasks[0]
        t_page, st = page.wait_for(
            lambda s: page_tasks(s, service) == now, 30,
            "the engine's 3 running tasks")
        probe.stop()
        after = page_tasks(st, service)
        print(f"    the engine ran the 3 tasks {t_eng - t_back:.1f}s after "
              f"it answered again, the page showed them "
              f"{max(t_page - t_eng, 0):.2f}s after that: "
              f"{sorted(i[:8] for i in after)} (before: "
              f"{sorted(i[:8] for i in before)})", flush=True)
        check(t_page - t_eng <= 2.0 * TIME_SCALE, "the page shows the tasks "
              "the engine runs now, within 2 s of the engine")
        check(not page.closed.is_set(), "the page's stream stayed open")
        print(f"RESULT viz-swarm-dockerd-restart outage_shown_s="
              f"{t_out - t_gone:.2f} engine_away_s={t_back - t_gone:.1f} "
              f"live_after_return_s={t_live - t_back:.2f} "
              f"tasks_after_engine_s={max(t_page - t_eng, 0):.2f} "
              f"tasks_replaced={len(before - after)}", flush=True)
    finally:
        if page is not None:
            page.close()
        swarmnodes.HOST.run("rm", "-fv", name, check_rc=False)
        shutil.rmtree(sockdir, ignore_errors=True)


if __name__ == "__main__":
    main([test_swarm_manager_dockerd_restarts])
