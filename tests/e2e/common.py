# SPDX-License-Identifier: Apache-2.0
"""What the end-to-end tests share: the run's names, building the three
images from the Dockerfiles, the IPVS-less stack file, the client.

Every name starts with the run's prefix (p5e2e plus a random suffix), so
two runs, or a run and a teammate's tests, never meet on a shared engine.
"""

import json
import os
import re
import secrets
import subprocess
import tempfile
import time

import variant
from part5test import SOURCE, TestFailure, check, run, step
import swarmnodes
from swarmnodes import HOST

RUN = "p5e2e" + secrets.token_hex(3)

# Image name in part5/ -> (Dockerfile, largest size in bytes). The bound
# is the size README.md states (9.4, 9.4 and 17.9 MB) plus a fifth, so a
# real growth fails here; issue 5's targets were 12, 25 and 60 MB.
IMAGES = {"hello": ("web.Dockerfile", 11_500_000),
          "visualizer": ("visualizer.Dockerfile", 11_900_000),
          "redis": ("redis.Dockerfile", 22_300_000)}

# What each image must say about itself: user, health check, port.
EXPECT = {"hello": {"user": "10001:10001", "check": "--healthcheck",
                    "port": "80/tcp"},
          "visualizer": {"user": "", "check": "--healthcheck",
                         "port": "8080/tcp"},
          "redis": {"user": "0:0", "check": "check", "port": "6379/tcp"}}


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        return re.search(r"project\(part5-stack VERSION ([0-9.]+)",
                         f.read()).group(1)


def shipped_ref(name):
    return f"part5/{name}:{project_version()}"


def test_ref(name):
    return f"{RUN}/{name}:test"


def build_images():
    """Builds the three images from the Dockerfiles as RUN/<name>:test and
    checks what each says about itself. Returns {name: ref}."""
    step("the base image debian:bookworm-slim (made offline when absent)")
    swarmnodes.base_image()
    version = project_version()
    refs = {}
    for name, (dockerfile, limit) in IMAGES.items():
        ref = test_ref(name)
        args = {"VERSION": version}
        step(f"docker build -f Dockerfiles/{dockerfile} -t {ref}")
        secs = swarmnodes.build_image(dockerfile, ref, args)
        swarmnodes.on_cleanup(HOST.run, "rmi", ref)
        refs[name] = ref
        size = swarmnodes.image_size(ref)
        check(size <= limit, f"built in {secs:.0f}s; {size / 1e6:.1f} MB "
              f"(at most {limit / 1e6:.1f} MB: README's size + 20%)")
        cfg = HOST.json("image", "inspect", ref)[0]["Config"]
        labels = cfg.get("Labels") or {}
        check(labels.get("org.opencontainers.image.version") == version and
              labels.get("org.opencontainers.image.title") == f"part5/{name}"
              and labels.get("org.opencontainers.image.licenses") ==
              "Apache-2.0"
              and all(f"org.opencontainers.image.{k}" in labels for k in
                      ("description", "source")),
              f"OCI labels, version {version}, licence Apache-2.0")
        ep = cfg.get("Entrypoint") or []
        check(len(ep) == 1 and ep[0].startswith("/usr/local/bin/"),
              f"exec-form ENTRYPOINT {ep}")
        hc = (cfg.get("Healthcheck") or {}).get("Test") or []
        check(hc[:1] == ["CMD"] and EXPECT[name]["check"] in hc[2:],
              f"HEALTHCHECK {' '.join(hc[1:])}")
        check(cfg.get("StopSignal") == "SIGTERM", "STOPSIGNAL SIGTERM")
        # The visualizer has no USER: it drops root itself once it knows
        # the socket's group (Dockerfiles/visualizer.Dockerfile).
        want = EXPECT[name]["user"]
        check(cfg.get("User") == want, f"USER {cfg.get('User')!r}")
        check(EXPECT[name]["port"] in (cfg.get("ExposedPorts") or {}),
              f"EXPOSE {EXPECT[name]['port']}")
        out = HOST.run("run", "--rm", "--network", "none", ref, "--version")
        check(version in out, f"{ref} --version: {out}")
        docs = image_copyrights(ref)
        want = {"libc6", {"hello": "libmicrohttpd12", "visualizer": "libyajl2",
                          "redis": "libhiredis0.14"}[name]}
        check(want <= docs, f"the licences of its {len(docs)} Debian "
              f"packages (/usr/share/doc/PKG/copyright), "
              f"{' and '.join(sorted(want))} among them")
    return refs


def image_copyrights(ref):
    """The packages whose /usr/share/doc/PKG/copyright image REF carries
    (read from `docker export` of a container never started)."""
    cid = HOST.run("create", ref)
    try:
        r = subprocess.run(f"docker export {cid} | tar -t", shell=True,
                           capture_output=True, text=True, timeout=120,
                           env=HOST.env())
    finally:
        HOST.run("rm", cid, check_rc=False)
    return {m.group(1) for m in
            re.finditer(r"^usr/share/doc/([^/]+)/copyright$", r.stdout, re.M)}


def write_variant(shipped, images=None, binds=None):
    """The IPVS-less variant of compose/SHIPPED (see variant.py) in a
    temporary directory; returns its path."""
    src = os.path.join(SOURCE, "compose", shipped)
    with open(src) as f:
        text = variant.make_variant(f.read(), images or {}, src=src,
                                    binds=binds or {})
    d = tempfile.mkdtemp(prefix=f"{RUN}-compose-")
    swarmnodes.on_cleanup(subprocess.run, ["rm", "-rf", d])
    path = os.path.join(d, shipped)
    with open(path, "w") as f:
        f.write(text)
    return path


def ipvs_note():
    have = os.path.isdir("/proc/sys/net/ipv4/vs")
    step("IPVS on this kernel: " + ("present" if have else
         "absent (/proc/sys/net/ipv4/vs missing): service VIPs and the "
         "routing mesh cannot route here, so the tests deploy the dnsrr "
         "variant and talk to the services from inside the stack's "
         "network"))


class Client:
    """Runs probe.py in containers attached to a stack's network."""

    def __init__(self, image, network, docker=HOST):
        self.image = image
        self.network = network
        self.docker = docker
        self.n = 0

    def _run(self, *args, timeout=120):
        out = self.docker.run("run", "--rm", "--network", self.network,
                              self.image, *args, timeout=timeout)
        return [json.loads(line) for line in out.splitlines() if line]

    def get(self, url, n):
        return self._run("get", url, str(n))

    def fetch_json(self, url):
        rec = self._run("fetch", url)[0]
        if not rec.get("ok"):
            raise TestFailure(f"GET {url}: {rec}")
        return json.loads(rec["body"])

    def start_stream(self, url, seconds, name=None):
        """A stream of requests in the background; returns its container."""
        self.n += 1
        name = name or f"{RUN}-stream{self.n}"
        self.docker.run("run", "-d", "--name", name, "--network",
                        self.network, self.image, "stream", url,
                        str(seconds))
        swarmnodes.on_cleanup(self.docker.run, "rm", "-f", name)
        return name

    def start_watch(self, host, seconds):
        self.n += 1
        name = f"{RUN}-watch{self.n}"
        self.docker.run("run", "-d", "--name", name, "--network",
                        self.network, self.image, "watch", host,
                        str(seconds))
        swarmnodes.on_cleanup(self.docker.run, "rm", "-f", name)
        return name

    def finish(self, container, timeout=30):
        """Stops a stream or watch (after its request in flight) and
        returns its records."""
        self.docker.run("stop", "-t", "10", container, timeout=timeout)
        out = self.docker.run("logs", container)
        self.docker.run("rm", "-f", container)
        return [json.loads(line) for line in out.splitlines() if line]


def check_counts_consecutive(recs, what):
    """Every request 200, visits numeric and +1 each time."""
    bad = [r for r in recs if not r.get("ok")]
    check(not bad, f"{what}: {len(recs)} requests, all 200"
          + (f" (failed: {bad[:3]})" if bad else ""))
    visits = [r.get("visits") for r in recs]
    check(all(isinstance(v, int) for v in visits),
          f"{what}: every page shows a count (Redis reached)")
    steps = {b - a for a, b in zip(visits, visits[1:])}
    check(steps <= {1}, f"{what}: the count goes {visits[0]} .. "
          f"{visits[-1]}, +1 per request")
    return visits


def wait_update(docker, service, timeout=240):
    """Waits until the service's update completed; returns seconds."""
    t0 = time.monotonic()
    while True:
        st = docker.run("service", "inspect", "--format",
                        "{{if .UpdateStatus}}{{.UpdateStatus.State}}"
                        "{{end}}", service)
        if st == "completed":
            return time.monotonic() - t0
        if st.startswith("rollback") or st == "paused":
            raise TestFailure(f"update of {service}: {st}")
        if time.monotonic() - t0 > timeout:
            raise TestFailure(f"update of {service} not done after "
                              f"{timeout}s ({st})")
        time.sleep(1)


def image_user(ref, name, docker=HOST):
    """(uid, gid) of user NAME in the image's /etc/passwd."""
    ctr = docker.run("create", ref)
    d = tempfile.mkdtemp(prefix=f"{RUN}-passwd-")
    try:
        docker.run("cp", f"{ctr}:/etc/passwd", os.path.join(d, "passwd"))
        with open(os.path.join(d, "passwd")) as f:
            for line in f:
                fields = line.split(":")
                if fields[0] == name:
                    return int(fields[2]), int(fields[3])
    finally:
        docker.run("rm", ctr)
        subprocess.run(["rm", "-rf", d])
    raise TestFailure(f"no user {name} in {ref}'s /etc/passwd")


def story(tests):
    """Wraps tests so that after the first failure the rest report "not
    run" instead of failing on missing state: the log stays a story."""
    failed = []

    def wrap(t):
        def w():
            if failed and t.__name__ != "test_clean_up":
                raise TestFailure(f"not run: {failed[0]} failed")
            try:
                t()
            except BaseException:
                failed.append(t.__name__)
                raise
        w.__name__ = t.__name__
        return w
    return [wrap(t) for t in tests]


def socket_gid_of_node(node):
    """The group of the Docker socket inside an engine-in-a-container."""
    return int(node.sh("stat -c %g /var/run/docker.sock"))


# How to list each kind of thing a run makes, by the run's name.
_LISTS = {"container": ("ps", "-aq", "--filter", "name={}"),
          "network": ("network", "ls", "-q", "--filter", "name={}"),
          "volume": ("volume", "ls", "-q", "--filter", "name={}"),
          "secret": ("secret", "ls", "-q", "--filter", "name={}"),
          "image": ("images", "-q", "{}/*")}


def nothing_left(name, *kinds):
    """Checks that no thing of each kind (container, network, volume,
    secret, image) named after the run NAME remains on this engine."""
    for kind in kinds:
        args = [a.format(name) for a in _LISTS[kind]]
        check(not HOST.run(*args), f"no {kind} of this run remains")


def main(tests, clean_up):
    """A test file's main: runs tests as a story, then clean_up unless
    PART5_KEEP asks to keep what the run made (swarmnodes.keep()), and
    removes what is left whatever happened."""
    try:
        if not swarmnodes.keep():
            tests = list(tests) + [clean_up]
        run(story(tests))
    finally:
        if not swarmnodes.keep():
            swarmnodes.cleanup()
