# SPDX-License-Identifier: Apache-2.0
"""The visualizer against an engine that is not in a swarm.

The shared engine is a swarm manager, so this test starts an engine of its
own in a container (TESTBED.md "Several nodes on one machine"; an engine
in a container has its own network namespace, so it cannot disturb the
host's bridges), with its API socket in a temporary directory of ours.
In it: containers of a compose project (labels), one exited with code 1,
and one whose compose labels hold markup. The visualizer must say that
the engine is not a swarm member and list the containers by project;
when the engine becomes a swarm manager, it must switch to nodes.

Everything is named vizt-nsw-<random> and removed at the end.
Run: ctest -L docker -R visualizer_nonswarm --output-on-failure
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time

import swarmnodes
from part5test import (Proc, binary, check, docker, free_port, http_get, run,
                       step, wait_until)

PREFIX = "vizt-nsw-" + secrets.token_hex(3)
SOCK_DIR = tempfile.mkdtemp(prefix="vizt-nsw-")
# The visualizer drops root for the socket's group (the engine's docker
# group, not root): let it through the directory; the socket stays 0660.
os.chmod(SOCK_DIR, 0o755)
SOCK = os.path.join(SOCK_DIR, "docker.sock")
NODE = PREFIX + "-engine"


def start_engine():
    step(f"engine in a container {NODE}, socket {SOCK}")
    docker("run", "-d", "--name", NODE, "--cap-add=ALL",
           "--cap-drop=SYS_RESOURCE", "--security-opt", "seccomp=unconfined",
           "--security-opt", "apparmor=unconfined", "--security-opt",
           "systempaths=unconfined", "-v", "/sys/fs/cgroup:/sys/fs/cgroup",
           "--tmpfs", "/run", "-v", f"{SOCK_DIR}:/vizt-sock",
           "--hostname", PREFIX, swarmnodes.node_image(), "dockerd",
           "--host=unix:///vizt-sock/docker.sock")

    def ready():
        return subprocess.run(["docker", "-H", "unix://" + SOCK, "info"],
                              capture_output=True, timeout=10).returncode == 0
    wait_until(ready, 60, interval=0.5, what="the engine in a container")
    # An image without a registry: an empty root file system is enough
    # for containers that are created but never started.
    subprocess.run(f"tar -c -T /dev/null | docker -H unix://{SOCK} import - "
                   "vizt-empty:1", shell=True, check=True, timeout=60,
                   capture_output=True)


def stop_engine():
    # -v: the engine image's anonymous /var/lib/docker volume goes too.
    docker("rm", "-fv", NODE, check_rc=False)
    shutil.rmtree(SOCK_DIR, ignore_errors=True)


def state(port):
    r = http_get(port, "/api/state")
    return json.loads(r.body) if r.status == 200 else None


def test_not_a_swarm():
    """Containers by compose project, with a note, and hostile labels as
    data."""
    h = SOCK
    for name, labels in (
            ("web-1", ["com.docker.compose.project=demo",
                       "com.docker.compose.service=web"]),
            ("redis-1", ["com.docker.compose.project=demo",
                         "com.docker.compose.service=redis"]),
            ("evil", ["com.docker.compose.project=<img src=x "
                      "onerror=alert(1)>",
                      "com.docker.compose.service=\"</script>"]),
            ("lonely", [])):
        argv = ["create", "--name", f"{PREFIX}-{name}", "--env",
                "SECRET=hunter2"]
        for lab in labels:
            argv += ["--label", lab]
        docker(*argv, "vizt-empty:1", "/nothing", "<script>alert(2)</script>",
               host=h)
    port = free_port()
    v = Proc([binary("visualizer")], env={
        "PORT": str(port), "DOCKER_HOST": "unix://" + SOCK,
        "LOG_LEVEL": "debug"}, name="visualizer")
    try:
        v.wait_log("listening on", 10)
        st = wait_until(lambda: (lambda s: s if s and s["engine"]["connected"]
                                 and len(s["containers"]) >= 4 else None)(
            state(port)), 15, what="the containers")
        check(st["swarm"] is False, "swarm false")
        check("not part of a swarm" in (st["swarm_note"] or "") and
              "docker swarm init" in st["swarm_note"],
              f"the note says why: {st['swarm_note']!r}")
        check(st["nodes"] == [] and st["services"] == [] and
              st["unassigned"] == [], "no nodes, services, tasks")
        mine = [c for c in st["containers"] if c["name"].startswith(PREFIX)]
        check(len(mine) == 4, "our four containers")
        by = {c["name"][len(PREFIX) + 1:]: c for c in mine}
        check(by["web-1"]["project"] == "demo" and
              by["web-1"]["service"] == "web" and
              by["redis-1"]["service"] == "redis", "grouped by project")
        check(by["lonely"]["project"] is None, "no project: null")
        check(by["evil"]["project"] == "<img src=x onerror=alert(1)>",
              "a hostile label is kept as data, verbatim")
        check(all(len(c["id"]) == 12 and c["state"] == "created"
                  for c in mine), "12-character IDs, state created")
        raw = http_get(port, "/api/state").body
        check(b"hunter2" not in raw and b"alert(2)" not in raw,
              "no environment, no command line")

        step("a container comes and goes: the picture follows")
        docker("create", "--name", f"{PREFIX}-late", "--label",
               "com.docker.compose.project=demo", "vizt-empty:1", "/nothing",
               host=h)
        t0 = time.monotonic()
        wait_until(lambda: any(c["name"] == f"{PREFIX}-late"
                               for c in state(port)["containers"]), 3,
                   what="the new container")
        print(f"    seen after {time.monotonic() - t0:.2f}s")
        docker("rm", f"{PREFIX}-late", host=h)
        wait_until(lambda: not any(c["name"] == f"{PREFIX}-late"
                                   for c in state(port)["containers"]), 3,
                   what="the container gone")
        check(True, "create and remove are followed")

        step("the engine becomes a swarm manager: nodes appear")
        ip = docker("inspect", "-f",
                    "{{.NetworkSettings.IPAddress}}", NODE)
        docker("swarm", "init", "--advertise-addr", ip, host=h)
        # No event announces it: the periodic resync (15 s) notices.
        st = wait_until(lambda: (lambda s: s if s["swarm"] else None)(
            state(port)), 25, interval=0.5, what="swarm mode")
        check(len(st["nodes"]) == 1 and st["nodes"][0]["hostname"] == PREFIX
              and st["containers"] == [] and st["swarm_note"] is None,
              "one node, containers gone, no note")
    finally:
        rc = v.stop()
        with open(v.logpath, errors="replace") as f:
            out = f.read()
        if rc != 0 or "Sanitizer" in out or "runtime error" in out:
            print(out[-3000:])
            check(False, f"the visualizer exited {rc} cleanly")


def main():
    start_engine()
    try:
        run([test_not_a_swarm])
    finally:
        stop_engine()


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_engine()
