#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end: the redis image itself, built from
Dockerfiles/redis.Dockerfile and run as plain containers on this machine's
engine (no swarm needed).

The story:
- the image's HEALTHCHECK finds the Redis the entrypoint started: started
  with --port 6380, with --requirepass, or with a config file that sets
  both, each container becomes healthy (issue 11, item 3);
- the health check is not root while it talks to Redis: Redis is paused
  (CLIENT PAUSE) so that a `redis-bootstrap check` run by `docker exec`,
  as Docker runs the HEALTHCHECK, waits connected while its
  /proc/PID/status is read from this machine;
- the image is a drop-in for the official one where users rely on it
  (issue 12): `docker exec CTR redis-cli get counter` and `docker run
  --rm --entrypoint redis-cli IMAGE -h redis ping` work; no arguments,
  arguments starting with '-' and a .conf as first argument behave as in
  the official image; data written before `docker stop` is there after
  `docker start`.

Every name carries this run's prefix (common.RUN); everything made is
removed at the end, also after a failure or a SIGTERM
(PART5_E2E_KEEP=1 keeps it). Every wait is bounded, well within the
ctest TIMEOUT (tests/redis.cmake).
"""

import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import swarmnodes  # noqa: E402
from common import HOST, RUN  # noqa: E402
from swarmnodes import note  # noqa: E402
from part5test import (TestFailure, check, proc_status, run,  # noqa: E402
                       step, tcp_peer_ports, wait_until)

REF = common.test_ref("redis")
NET = f"{RUN}-redis-net"
LIMIT = common.IMAGES["redis"][1]
# The redis user of the image (Dockerfiles/redis.Dockerfile).
REDIS_UID = 999
S = {}  # what one step hands to the next


def ctr(name):
    return f"{RUN}-redis-{name}"


def docker_run(name, *args):
    """docker run -d --name <prefix>-redis-NAME ARGS; removed at the end."""
    full = ctr(name)
    swarmnodes.on_cleanup(HOST.run, "rm", "-f", full)
    HOST.run("run", "-d", "--name", full, *args)
    return full


def health(container):
    return HOST.run("inspect", "-f", "{{.State.Health.Status}}", container)


def wait_healthy(containers, timeout=60):
    """Waits until every container is healthy; returns the seconds."""
    t0 = time.monotonic()

    def all_healthy():
        states = {c: health(c) for c in containers}
        for c, s in states.items():
            if HOST.run("inspect", "-f", "{{.State.Running}}", c) != "true":
                raise TestFailure(f"{c} exited:\n" + HOST.run(
                    "logs", "--tail", "20", c, check_rc=False, quiet=True)
                    .stderr)
        return all(s == "healthy" for s in states.values())
    try:
        wait_until(all_healthy, timeout, interval=0.5,
                   what="the containers to be healthy")
    except TestFailure:
        for c in containers:
            print(HOST.run("inspect", "-f", "{{json .State.Health}}", c,
                           check_rc=False), flush=True)
        raise
    return time.monotonic() - t0


def last_health_output(container):
    return HOST.run("inspect", "-f",
                    "{{range .State.Health.Log}}{{.Output}}{{end}}",
                    container)


def cli(container, *args):
    return HOST.run("exec", container, "redis-cli", *args)


def test_image_builds():
    step("the base image debian:bookworm-slim (made offline when absent)")
    swarmnodes.base_image()
    step(f"docker build -f Dockerfiles/redis.Dockerfile -t {REF}")
    secs = swarmnodes.build_image("redis.Dockerfile", REF,
                                  {"VERSION": common.project_version()},
                                  timeout=600)
    swarmnodes.on_cleanup(HOST.run, "rmi", REF)
    size = swarmnodes.image_size(REF)
    check(size <= LIMIT, f"built in {secs:.0f}s; {size / 1e6:.1f} MB "
          f"(target <= {LIMIT / 1e6:.0f} MB)")
    swarmnodes.on_cleanup(HOST.run, "network", "rm", NET)
    HOST.run("network", "create", NET)


def test_healthy_however_started():
    step("three containers: --port 6380; --requirepass; a .conf as first "
         "argument that sets port 6381, bind and requirepass")
    d = tempfile.mkdtemp(prefix=f"{RUN}-conf-")
    swarmnodes.on_cleanup(shutil.rmtree, d, True)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "redis.conf"), "w") as f:
        f.write("port 6381\nbind 127.0.0.1 -::1\n"
                'requirepass "pa ss"\nappendonly yes\n')
    os.chmod(os.path.join(d, "redis.conf"), 0o644)
    S["port"] = docker_run("port", REF, "redis-server", "--port", "6380")
    S["pass"] = docker_run("pass", REF, "redis-server", "--requirepass",
                           "s3cret")
    S["conf"] = docker_run("conf", "-v", f"{d}:/usr/local/etc/redis:ro",
                           REF, "/usr/local/etc/redis/redis.conf")
    secs = wait_healthy([S["port"], S["pass"], S["conf"]])
    check(True, f"all three healthy after {secs:.1f}s (HEALTHCHECK every "
          "5s)")
    for name, where in (("port", "127.0.0.1:6380"),
                        ("pass", "127.0.0.1:6379"),
                        ("conf", "127.0.0.1:6381")):
        out = last_health_output(S[name])
        check(f"Redis at {where} is up" in out,
              f"{name}: the health check asked {where}")
    check(cli(S["conf"], "-p", "6381", "--no-auth-warning", "-a", "pa ss",
              "config", "get", "port").split() == ["port", "6381"],
          "the .conf container runs with the file's port and password")


def check_processes(marker):
    """(pid, /proc/PID/status fields, remote ports) of this machine's
    processes whose command line holds marker and that have a TCP
    connection open."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker not in f.read():
                    continue
            fields, ports = proc_status(pid), tcp_peer_ports(pid)
        except OSError:
            continue  # it ended meanwhile
        if ports:
            found.append((int(pid), fields, ports))
    return found


def test_check_is_not_root():
    c = S["pass"]
    step("Redis paused for 4 s; `docker exec` runs redis-bootstrap check as "
         "the HEALTHCHECK does (as root, the image's USER)")
    check(cli(c, "--no-auth-warning", "-a", "s3cret", "client", "pause",
              "4000", "ALL") == "OK", "CLIENT PAUSE 4000 ALL")
    # A timeout no other check uses, to find this one in /proc.
    HOST.run("exec", "-d", c, "/usr/local/bin/redis-bootstrap", "check",
             "--timeout", "3777")
    seen = wait_until(lambda: check_processes(b"check\0--timeout\x003777\0"),
                      4, interval=0.02,
                      what="the check to be connected to Redis")
    pid, fields, ports = seen[0]
    check(6379 in ports, f"pid {pid} (seen from this machine) is connected "
          f"to port 6379 in the container, waiting for Redis")
    uids = fields["Uid"].split()
    check(uids == [str(REDIS_UID)] * 4, f"its Uid is {fields['Uid']}: the "
          "redis user, not root")
    check(int(fields["CapEff"], 16) == 0 and int(fields["CapPrm"], 16) == 0
          and fields["NoNewPrivs"] == "1",
          "no capabilities, no-new-privileges")


def test_redis_cli_both_ways():
    step("no arguments (CMD redis-server), on a network, alias redis")
    S["plain"] = docker_run("plain", "--network", NET, "--network-alias",
                            "redis", REF)
    step("arguments that start with '-': redis-server goes in front")
    S["dash"] = docker_run("dash", REF, "--appendonly", "yes")
    wait_healthy([S["plain"], S["dash"]])

    step("docker exec CTR redis-cli ... (the tutorial's way to look)")
    check(cli(S["plain"], "set", "counter", "41") == "OK", "set counter 41")
    check(cli(S["plain"], "incr", "counter") == "42", "incr counter: 42")
    check(cli(S["plain"], "get", "counter") == "42", "get counter: 42")
    step("docker run --rm --entrypoint redis-cli IMAGE -h redis ping")
    out = HOST.run("run", "--rm", "--network", NET, "--entrypoint",
                   "redis-cli", REF, "-h", "redis", "ping")
    check(out == "PONG", f"PONG from the container aliased redis ({out!r})")


def test_official_conventions():
    step("no arguments: redis-server, as user redis, data in /data, port "
         "6379, protected-mode off (as the official image)")
    c = S["plain"]
    pid = HOST.run("inspect", "-f", "{{.State.Pid}}", c)
    with open(f"/proc/{pid}/comm") as f:
        comm = f.read().strip()
    uid = proc_status(pid)["Uid"].split()[0]
    check(comm == "redis-server" and uid == str(REDIS_UID),
          f"PID 1 is {comm}, uid {uid}")
    check(cli(c, "config", "get", "dir").split() == ["dir", "/data"],
          "dir /data")
    check(cli(c, "config", "get", "protected-mode").split() ==
          ["protected-mode", "no"], "protected-mode no")
    step("arguments starting with '-': redis-server with them")
    check(cli(S["dash"], "config", "get", "appendonly").split() ==
          ["appendonly", "yes"], "appendonly yes")
    logs = HOST.run("logs", S["dash"], check_rc=False, quiet=True)
    check("running redis-server with them" in logs.stdout + logs.stderr,
          "the log says redis-server was put in front")
    step("a .conf as first argument: its settings (the container above)")
    logs = HOST.run("logs", S["conf"], check_rc=False, quiet=True)
    check("starting: redis-server /usr/local/etc/redis/redis.conf" in
          logs.stdout + logs.stderr, "redis-server runs with the file")


def test_data_survives_stop_start():
    c = S["plain"]
    step(f"docker stop {c} (SIGTERM: Redis saves), then docker start")
    t0 = time.monotonic()
    HOST.run("stop", "-t", "20", c, timeout=60)
    code = HOST.run("inspect", "-f", "{{.State.ExitCode}}", c)
    check(code == "0", f"stopped in {time.monotonic() - t0:.1f}s, exit "
          f"status {code}")
    HOST.run("start", c)
    secs = wait_healthy([c])
    check(cli(c, "get", "counter") == "42",
          f"healthy again after {secs:.1f}s, and counter is still 42")


def test_clean_up():
    step("the containers, the network, the image and the config directory")
    swarmnodes.cleanup()
    check(not HOST.run("ps", "-aq", "--filter", f"name={RUN}-redis-"),
          "no container of this run remains")
    check(not HOST.run("network", "ls", "-q", "--filter", f"name={NET}"),
          "no network of this run remains")
    check(not HOST.image_exists(REF), "the image is removed")


def _terminated(signum, frame):
    raise TestFailure(f"terminated by signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)
    t_start = time.monotonic()
    try:
        tests = [test_image_builds, test_healthy_however_started,
                 test_check_is_not_root, test_redis_cli_both_ways,
                 test_official_conventions, test_data_survives_stop_start]
        if not swarmnodes.keep():
            tests.append(test_clean_up)
        note(f"run prefix {RUN}")
        run(common.story(tests))
    finally:
        note(f"{time.monotonic() - t_start:.0f}s in all")
        if not swarmnodes.keep():
            swarmnodes.cleanup()
