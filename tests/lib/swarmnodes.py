# SPDX-License-Identifier: Apache-2.0
"""swarmnodes: Docker engines and swarms for the end-to-end tests.

Standard library only. Everything goes through the docker CLI, and every
object a test creates carries the test's prefix, so tests never touch what
a user or another test made on a shared engine (../shared/TESTBED.md).

- Docker: the CLI for one engine (DOCKER_HOST), with bounded waits.
- base_image(): makes sure debian:bookworm-slim exists (base-image.sh).
- Node / start_nodes(): engines in containers, like the tutorial's myvm1
  and myvm2, on a bridge network of their own. Each node's socket is also
  reachable from this machine (a bind-mounted directory), so the host's
  docker CLI, and ./stack, can talk to it as to a docker-machine VM.
- Cleanup: every container, network, volume and directory made here is
  registered and removed by cleanup(), in reverse order.
"""

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time

from part5test import SOURCE, TestFailure, step, wait_until

LIB = os.path.dirname(os.path.abspath(__file__))

# The image of an engine-in-a-container node: Debian's engine, as on the
# build machine. Kept between runs (like debian:bookworm-slim, a cache);
# rebuilt when its recipe changes, because the tag carries its hash.
NODE_DOCKERFILE = """\
FROM debian:bookworm-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        docker.io iptables ca-certificates procps iproute2 \\
 && rm -rf /var/lib/apt/lists/*
VOLUME /var/lib/docker
CMD ["dockerd", "--host=unix:///var/run/docker.sock"]
"""


def _node_image_tag():
    import hashlib
    h = hashlib.sha256(NODE_DOCKERFILE.encode()).hexdigest()[:12]
    return f"part5-e2e/swarm-node:{h}"


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

        def gone():
            return (not self.run("ps", "-aq", "--filter", label,
                                 check_rc=False) and
                    not self.run("network", "ls", "-q", "--filter", label,
                                 check_rc=False) and
                    not self.run("service", "ls", "-q", "--filter", label,
                                 check_rc=False))
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
    """Removes everything registered, newest first. Never raises."""
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
    """The node image, built from debian:bookworm-slim when absent."""
    tag = _node_image_tag()
    if HOST.image_exists(tag):
        return tag
    step(f"building the swarm node image {tag} (Debian's docker.io)")
    d = tempfile.mkdtemp(prefix="part5-node-")
    try:
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write(NODE_DOCKERFILE)
        r = HOST.run("build", "-t", tag, d, check_rc=False, quiet=True,
                     timeout=900)
        if r.returncode != 0:
            print(r.stdout[-3000:], r.stderr[-3000:])
            raise TestFailure("building the node image failed")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return tag


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


def start_machine(prefix, hostname, image, *cmd):
    """A container that can run a Docker engine inside (the options
    TESTBED.md found to work), on a network of its own, as a fresh machine
    would be: IMAGE and CMD are the caller's. Registered for cleanup();
    returns the container's name."""
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
             "-v", "/var/lib/docker", image, *cmd)
    on_cleanup(HOST.run, "rm", "-fv", name)
    return name


def start_nodes(prefix, hostnames, timeout=60):
    """Starts one engine-in-a-container per hostname, on a new bridge
    network PREFIX-net, and waits until each answers. Everything is
    registered for cleanup()."""
    image = node_image()
    net = f"{prefix}-net"
    HOST.run("network", "create", "--label", f"part5-e2e={prefix}", net)
    on_cleanup(HOST.run, "network", "rm", net)
    nodes = []
    for h in hostnames:
        sockdir = tempfile.mkdtemp(prefix=f"{prefix}-{h}-")
        on_cleanup(shutil.rmtree, sockdir, True)
        name = f"{prefix}-{h}"
        HOST.run("run", "-d", "--name", name, "--hostname", h,
                 "--network", net, "--label", f"part5-e2e={prefix}",
                 "--cap-add=ALL", "--cap-drop=SYS_RESOURCE",
                 "--security-opt", "seccomp=unconfined",
                 "--security-opt", "apparmor=unconfined",
                 "--security-opt", "systempaths=unconfined",
                 "-v", "/sys/fs/cgroup:/sys/fs/cgroup",
                 "--tmpfs", "/run", "-v", f"{sockdir}:/hostsock",
                 image, "dockerd", "--host=unix:///var/run/docker.sock",
                 "--host=unix:///hostsock/docker.sock")
        # -v: the anonymous /var/lib/docker volume goes with it.
        on_cleanup(HOST.run, "rm", "-fv", name)
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
