# SPDX-License-Identifier: Apache-2.0
"""swarmnodes: Docker engines and swarms for the end-to-end tests.

Standard library only. Everything goes through the docker CLI, and every
object a test creates carries the test's prefix, so tests never touch what
a user or another test made on a shared engine (../shared/TESTBED.md).

- Docker: the CLI for one engine (DOCKER_HOST), with bounded waits.
- base_image(): makes sure debian:bookworm-slim exists (base-image.sh).
- node_image(): the engine-in-a-container image, built from the
  product's recipe (Dockerfiles/node.Dockerfile, which ./stack nodes uses);
  start_machine(): a container with the rights an engine needs;
  Node / start_nodes(): engines in such containers, each socket also on
  this machine, for tests that need engines of their own. The tutorial's
  myvm1 and myvm2 themselves are made by ./stack nodes
  (tests/e2e/test_stack_nodes.py drives it).
- Cleanup: every container, network, volume and directory made here is
  registered and removed by cleanup(), in reverse order.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from part5test import SOURCE, TestFailure, step, wait_until

LIB = os.path.dirname(os.path.abspath(__file__))

# The image of an engine-in-a-container node, for the tests that need an
# engine of their own: the recipe ./stack nodes uses, under a test tag (the
# build reuses the cached docker.io layer ./stack nodes makes, and the
# reverse).
NODE_IMAGE_TAG = "part5-e2e/node:test"


class Docker:
    """The docker CLI for one engine. host=None is this machine's."""

    def __init__(self, host=None, name="host"):
        self.host = host
        self.name = name

    def env(self):
        env = dict(os.environ)
        if self.host:
            env["DOCKER_HOST"] = self.host
        return env

    def run(self, *args, check_rc=True, timeout=120, input=None,
            quiet=False):
        """Runs `docker ARGS`; returns stdout (stripped). Raises
        TestFailure on a non-zero exit when check_rc."""
        r = subprocess.run(["docker", *args], env=self.env(),
                           capture_output=True, text=True, timeout=timeout,
                           input=input)
        if check_rc and r.returncode != 0:
            raise TestFailure(f"[{self.name}] docker {' '.join(args)}: "
                              f"exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout.strip() if check_rc or not quiet else r

    def ok(self, *args, timeout=120):
        """Whether `docker ARGS` exits 0."""
        r = subprocess.run(["docker", *args], env=self.env(),
                           capture_output=True, text=True, timeout=timeout)
        return r.returncode == 0

    def json(self, *args, timeout=60):
        return json.loads(self.run(*args, timeout=timeout))

    def image_exists(self, ref):
        return self.ok("image", "inspect", ref)

    def swarm_state(self):
        return self.run("info", "--format",
                        "{{.Swarm.LocalNodeState}} "
                        "{{.Swarm.ControlAvailable}}").split()

    def service_replicas(self, stack):
        """{service: (running, desired)} of a stack."""
        out = self.run("service", "ls", "--filter",
                       f"label=com.docker.stack.namespace={stack}",
                       "--format", "{{.Name}} {{.Replicas}}")
        reps = {}
        for line in out.splitlines():
            name, r = line.split()[:2]
            running, desired = r.split("/")
            reps[name] = (int(running), int(desired))
        return reps

    def wait_converged(self, stack, expect, timeout=180):
        """Waits until the stack's services run exactly `expect`
        ({service suffix: replicas}), printing progress. Bounded."""
        t0 = time.monotonic()
        last = None
        while True:
            reps = self.service_replicas(stack)
            short = {k[len(stack) + 1:]: v for k, v in reps.items()}
            line = ", ".join(f"{k} {r}/{d}" for k, (r, d) in
                             sorted(short.items()))
            if line != last:
                print(f"    [{time.monotonic() - t0:5.1f}s] {line}",
                      flush=True)
                last = line
            if all(short.get(k) == (n, n) for k, n in expect.items()):
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                for svc in reps:
                    print(self.run("service", "ps", "--no-trunc", svc,
                                   check_rc=False), flush=True)
                raise TestFailure(f"stack {stack} did not converge to "
                                  f"{expect} within {timeout}s: {line}")
            time.sleep(1)

    def stack_rm(self, stack, timeout=90):
        """docker stack rm, then waits until its containers and networks
        are gone from this engine."""
        self.run("stack", "rm", stack, check_rc=False)
        label = f"label=com.docker.stack.namespace={stack}"
        since = [None]  # when only networks were left

        def gone():
            if (self.run("ps", "-aq", "--filter", label, check_rc=False) or
                    self.run("service", "ls", "-q", "--filter", label,
                             check_rc=False)):
                return False
            nets = self.run("network", "ls", "-q", "--filter", label,
                            check_rc=False).split()
            if not nets:
                return True
            # Docker 20.10 can lose a stack's overlay network in a race
            # between stack rm and a task's cleanup ("network ... remove
            # failed: unknown network"): the network stays listed with no
            # service or container left. After 10 s, remove it by hand.
            since[0] = since[0] or time.monotonic()
            if time.monotonic() - since[0] > 10:
                for n in nets:
                    self.run("network", "rm", n, check_rc=False)
            return False
        wait_until(gone, timeout, interval=1,
                   what=f"stack {stack} to be removed")


HOST = Docker()


def note(msg):
    """A fact the story reports (measured, not asserted)."""
    print(f"    {msg}", flush=True)

# Cleanup actions, run in reverse order by cleanup().
_cleanups = []


def on_cleanup(fn, *args):
    _cleanups.append((fn, args))


def cleanup():
    """Removes everything registered, newest first. Never raises. The
    test's deadline (part5test.DEADLINE) is off from here on: the cleanup
    has the rest of the time before ctest's TIMEOUT."""
    signal.alarm(0)
    while _cleanups:
        fn, args = _cleanups.pop()
        with contextlib.suppress(Exception):
            fn(*args)


def keep():
    """PART5_E2E_KEEP=1 keeps what the tests made, to look at it."""
    return os.environ.get("PART5_E2E_KEEP") == "1"


def base_image():
    """debian:bookworm-slim on this machine's engine (base-image.sh)."""
    r = subprocess.run([os.path.join(LIB, "base-image.sh")], text=True,
                       capture_output=True, timeout=1200)
    print("    " + r.stdout.strip().replace("\n", "\n    "), flush=True)
    if r.returncode != 0:
        raise TestFailure(f"base-image.sh failed: {r.stderr.strip()}")


def build_image(dockerfile, tag, build_args=None, context=None,
                timeout=1800):
    """docker build -f Dockerfiles/DOCKERFILE from the repository root;
    returns the seconds it took. The log is printed when it fails."""
    args = ["build", "-f", os.path.join(SOURCE, "Dockerfiles", dockerfile),
            "-t", tag]
    for k, v in (build_args or {}).items():
        args += ["--build-arg", f"{k}={v}"]
    args.append(context or SOURCE)
    t0 = time.monotonic()
    r = HOST.run(*args, check_rc=False, quiet=True, timeout=timeout)
    if r.returncode != 0:
        print(r.stdout[-4000:], r.stderr[-4000:], flush=True)
        raise TestFailure(f"docker build of {dockerfile} failed")
    return time.monotonic() - t0


def image_size(ref, docker=HOST):
    return int(docker.run("image", "inspect", "--format", "{{.Size}}", ref))


def node_image():
    """The node image (Dockerfiles/node.Dockerfile), built now: a cached
    build takes a second, the first one installs Debian's docker.io."""
    if not HOST.image_exists("debian:bookworm-slim"):
        base_image()
    step(f"the engine-in-a-container image {NODE_IMAGE_TAG} "
         "(Dockerfiles/node.Dockerfile)")
    build_image("node.Dockerfile", NODE_IMAGE_TAG, timeout=900)
    return NODE_IMAGE_TAG



class Node(Docker):
    """An engine in a container, as one of the tutorial's VMs."""

    def __init__(self, container, hostname, sockdir):
        super().__init__(f"unix://{sockdir}/docker.sock", hostname)
        self.container = container
        self.hostname = hostname
        self.sockdir = sockdir
        self.ip = None

    def sh(self, cmd, timeout=60, check_rc=True):
        """A shell command inside the node container itself."""
        return HOST.run("exec", self.container, "sh", "-c", cmd,
                        timeout=timeout, check_rc=check_rc)

    def load(self, ref, as_ref=None, src=None):
        """docker save REF | docker load on the node (no registry), from
        this machine's engine or from SRC (another Docker), and optionally
        tags it AS_REF there. REF may be a list of references."""
        refs = ref if isinstance(ref, list) else [ref]
        save = subprocess.Popen(["docker", "save", *refs],
                                env=(src or HOST).env(),
                                stdout=subprocess.PIPE)
        load = subprocess.run(["docker", "load", "-q"], env=self.env(),
                              stdin=save.stdout, capture_output=True,
                              text=True, timeout=300)
        save.stdout.close()
        save.wait(60)
        if save.returncode != 0 or load.returncode != 0:
            raise TestFailure(f"loading {ref} on {self.hostname}: "
                              f"{load.stderr.strip()}")
        if as_ref and as_ref != ref:
            self.run("tag", ref, as_ref)


def start_machine(prefix, hostname, image, *cmd, volumes=()):
    """A container that can run a Docker engine inside (the options
    TESTBED.md found to work), on a network of its own, as a fresh machine
    would be: IMAGE and CMD are the caller's, and VOLUMES more -v mounts.
    Registered for cleanup(); returns the container's name."""
    net = f"{prefix}-net"
    if not HOST.ok("network", "inspect", net):
        HOST.run("network", "create", "--label", f"part5-e2e={prefix}", net)
        on_cleanup(HOST.run, "network", "rm", net)
    name = f"{prefix}-{hostname}"
    HOST.run("run", "-d", "--name", name, "--hostname", hostname,
             "--network", net, "--label", f"part5-e2e={prefix}",
             "--cap-add=ALL", "--cap-drop=SYS_RESOURCE",
             "--security-opt", "seccomp=unconfined",
             "--security-opt", "apparmor=unconfined",
             "--security-opt", "systempaths=unconfined",
             "-v", "/sys/fs/cgroup:/sys/fs/cgroup", "--tmpfs", "/run",
             "-v", "/var/lib/docker",
             *[a for v in volumes for a in ("-v", v)], image, *cmd)
    on_cleanup(HOST.run, "rm", "-fv", name)
    return name


def start_nodes(prefix, hostnames, timeout=60):
    """Starts one engine-in-a-container per hostname (start_machine(), the
    node image), all on the network PREFIX-net, each with its socket also
    in a directory of this machine, and waits until each answers. For the
    tests that need engines of their own rather than ./stack nodes (its
    own test drives that). Everything is registered for cleanup()."""
    image = node_image()
    nodes = []
    for h in hostnames:
        sockdir = tempfile.mkdtemp(prefix=f"{prefix}-{h}-")
        on_cleanup(shutil.rmtree, sockdir, True)
        name = start_machine(prefix, h, image, "dockerd",
                             "--host=unix:///var/run/docker.sock",
                             "--host=unix:///hostsock/docker.sock",
                             volumes=[f"{sockdir}:/hostsock"])
        nodes.append(Node(name, h, sockdir))
    t0 = time.monotonic()
    for n in nodes:
        def answers(n=n):
            if HOST.run("inspect", "-f", "{{.State.Running}}", n.container,
                        check_rc=False) != "true":
                raise TestFailure(f"node {n.hostname} exited: " + HOST.run(
                    "logs", "--tail", "20", n.container, check_rc=False))
            return n.ok("info", timeout=10)
        wait_until(answers, timeout, interval=0.5,
                   what=f"the engine in {n.hostname}")
        n.ip = HOST.run("inspect", "-f",
                        "{{range .NetworkSettings.Networks}}{{.IPAddress}}"
                        "{{end}}", n.container)
    note(f"{len(nodes)} engine(s) answer after "
         f"{time.monotonic() - t0:.1f}s: " +
         ", ".join(f"{n.hostname} ({n.ip})" for n in nodes))
    return nodes


def client_image(prefix):
    """A small client image for requests from inside a stack's network:
    Debian's python3 and the probe script (tests/e2e/probe.py)."""
    tag = f"{prefix}/client:test"
    d = tempfile.mkdtemp(prefix=f"{prefix}-client-")
    try:
        shutil.copy(os.path.join(SOURCE, "tests", "e2e", "probe.py"), d)
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write("FROM debian:bookworm-slim\n"
                    "RUN apt-get update && DEBIAN_FRONTEND=noninteractive "
                    "apt-get install -y --no-install-recommends "
                    "python3 && rm -rf /var/lib/apt/lists/*\n"
                    "COPY probe.py /probe.py\n"
                    'ENTRYPOINT ["python3", "-u", "/probe.py"]\n')
        r = HOST.run("build", "-t", tag, d, check_rc=False, quiet=True,
                     timeout=600)
        if r.returncode != 0:
            print(r.stdout[-3000:], r.stderr[-3000:])
            raise TestFailure("building the client image failed")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return tag
