#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end: ./stack up on a fresh Debian 12 machine with no Docker.

The README promises that `./stack up` is all the set-up a user needs: on
Debian, as root, with no engine, it installs Debian's docker.io, starts
it, builds the images, makes a swarm and deploys. The "machine" here is a
container of debian:bookworm-slim (what debootstrap gives: no docker, no
compiler) with the rights an engine needs, and a copy of this checkout.

To stay quick, it deploys the tutorial's Part 3 file (web only, so only
part5/hello is built inside): the full stack is the subject of the
one-node and two-node tests. As elsewhere on these machines, the file is
its IPVS-less variant (see variant.py), and the test checks that ./stack
warns about the missing IPVS.
"""

import json
import os
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import swarmnodes  # noqa: E402
from common import HOST, RUN  # noqa: E402
from part5test import SOURCE, check, step  # noqa: E402

S = {}


def copy_checkout(container, dest="/root/part5"):
    """This checkout (without build trees or .git) into the container."""
    fd, path = tempfile.mkstemp(prefix=f"{RUN}-", suffix=".tar")
    os.close(fd)
    try:
        def keep(ti):
            parts = ti.name.split("/")
            if any(p == ".git" or p.startswith("build") or
                   p == "node_modules" for p in parts[1:]):
                return None
            return ti
        with tarfile.open(path, "w") as tar:
            tar.add(SOURCE, arcname="part5", filter=keep)
        HOST.run("cp", path, f"{container}:/root/part5.tar")
        HOST.run("exec", container, "tar", "-C", os.path.dirname(dest),
                 "-xf", "/root/part5.tar")
    finally:
        os.unlink(path)


def test_a_fresh_debian_machine():
    step("a fresh Debian 12 machine: debian:bookworm-slim, no docker")
    swarmnodes.base_image()
    S["m"] = swarmnodes.start_machine(RUN, "fresh", "debian:bookworm-slim",
                                      "sleep", "infinity")
    r = HOST.run("exec", S["m"], "sh", "-c", "command -v docker dockerd",
                 check_rc=False, quiet=True)
    check(r.returncode != 0, "no docker and no dockerd on it")
    copy_checkout(S["m"])
    variant = common.write_variant("docker-compose.part3.yml")
    HOST.run("cp", variant, f"{S['m']}:/root/part3-dnsrr.yml")
    r = HOST.run("exec", S["m"], "test", "-x", "/root/part5/stack",
                 check_rc=False, quiet=True)
    check(r.returncode == 0, "this checkout is in /root/part5")


def test_stack_up_sets_everything_up():
    step("cd /root/part5 && ./stack up -c /root/part3-dnsrr.yml")
    r = subprocess.run(
        ["docker", "exec", "-w", "/root/part5", S["m"], "./stack", "up",
         "-c", "/root/part3-dnsrr.yml", "--timeout", "240"],
        capture_output=True, text=True, timeout=2400)
    out = r.stdout + r.stderr
    print("      | " + "\n      | ".join(
        line for line in out.rstrip().splitlines()
        if not line.startswith(("Get:", "Selecting", "Preparing",
                                "Unpacking", "Setting up", "Processing"))),
        flush=True)
    check(r.returncode == 0, "./stack up exits 0")
    check("installing Debian's docker.io" in out,
          "it said it installs Debian's docker.io")
    check("starting Docker" in out, "it said it starts the engine")
    check("swarm created" in out, "it made the engine a swarm manager")
    check("converged after" in out and "web 5/5" in out,
          "it waited until web ran 5/5")
    check("no IPVS" not in out, "no IPVS warning: this file needs none "
          "(dnsrr, no published port)")


def test_the_page_answers():
    m = S["m"]
    step("the page, from a client container on the stack's network, in the "
         "machine's engine (Part 3 has no Redis: no count, as the "
         "tutorial shows)")
    client = swarmnodes.client_image(RUN)
    swarmnodes.on_cleanup(HOST.run, "rmi", client)
    save = subprocess.Popen(["docker", "save", client],
                            stdout=subprocess.PIPE)
    subprocess.run(["docker", "exec", "-i", m, "docker", "load", "-q"],
                   stdin=save.stdout, check=True, capture_output=True,
                   timeout=300)
    save.stdout.close()
    save.wait(60)
    out = HOST.run("exec", m, "docker", "run", "--rm", "--network",
                   "getstartedlab_webnet", client, "get", "http://web/",
                   "20", timeout=120)
    recs = [json.loads(line) for line in out.splitlines()]
    check(all(r.get("status") == 200 and r.get("name") == "World"
              for r in recs), f"{len(recs)} requests: Hello World!, 200")
    check(all(r.get("visits") ==
              "<i>cannot connect to Redis, counter disabled</i>"
              for r in recs), "'counter disabled' in place of the count")
    hosts = {r["host"] for r in recs}
    check(len(hosts) >= 3, f"{len(hosts)} replicas answered")

    step("./stack status, ./stack down")
    r = subprocess.run(["docker", "exec", "-w", "/root/part5", m, "./stack",
                        "status"], capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 0 and "getstartedlab_web" in r.stdout and
          "5/5" in r.stdout, "./stack status shows web 5/5")
    r = subprocess.run(["docker", "exec", "-w", "/root/part5", m, "./stack",
                        "down"], capture_output=True, text=True, timeout=180)
    check(r.returncode == 0, "./stack down exits 0")
    check(HOST.run("exec", m, "docker", "ps", "-q") == "",
          "no container is left in the machine's engine")


def test_shipped_file_on_a_kernel_without_ipvs():
    m = S["m"]
    step("./stack up -c compose/docker-compose.part3.yml: the shipped file, "
         "with its virtual IP and port 80 on the routing mesh")
    r = subprocess.run(["docker", "exec", "-w", "/root/part5", m, "./stack",
                        "up", "-c", "compose/docker-compose.part3.yml",
                        "--timeout", "120"],
                       capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    print("      | " + "\n      | ".join(out.rstrip().splitlines()),
          flush=True)
    check(r.returncode == 0, "./stack up exits 0 (the tasks run)")
    check("the hello page: http://localhost/" in out,
          "it prints the page's URL")
    if os.path.isdir("/proc/sys/net/ipv4/vs"):
        check("no IPVS" not in out, "this kernel has IPVS: no warning")
    else:
        check("no IPVS" in out and "README.md" in out,
              "this kernel has no IPVS: it warns that the URL will time "
              "out, and where to read why")
    r = subprocess.run(["docker", "exec", "-w", "/root/part5", m, "./stack",
                        "down"], capture_output=True, text=True, timeout=180)
    print("      | " + "\n      | ".join((r.stdout + r.stderr).rstrip()
                                          .splitlines()), flush=True)
    check(r.returncode == 0, "./stack down exits 0")


def test_clean_up():
    step("remove the machine (its engine and everything in it)")
    swarmnodes.cleanup()
    common.nothing_left(RUN, "container", "network")


if __name__ == "__main__":
    common.main([test_a_fresh_debian_machine,
                 test_stack_up_sets_everything_up,
                 test_the_page_answers,
                 test_shipped_file_on_a_kernel_without_ipvs],
                test_clean_up)
