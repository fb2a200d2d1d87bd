#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The registry route (issue 12): ./stack registry on the manager, the
images pushed there as multi-architecture manifest lists, and a two-node
swarm (./stack nodes: myvm1, myvm2) deployed from it, myvm2 pulling
every image it runs.

The story:
  1. On this machine's engine: ./stack build --platform
     linux/amd64,linux/arm64 (amd64 native, arm64 cross-compiled), and the
     registry image from Dockerfiles/registry.Dockerfile (Debian's
     docker-registry, no Docker Hub here).
  2. A registry that wants a login (that image with an htpasswd file, on
     127.0.0.1): ./stack push fails and says docker login.
  3. ./stack nodes up: myvm1 (manager) and myvm2 (worker), engines in
     containers. The registry image goes to myvm1 (as a user's pulled
     registry:2 would be there); ./stack registry on myvm1 starts it as
     the swarm service part5-registry, published in host mode (no IPVS
     here), and names the address to push to.
  4. ./stack push --registry MYVM1:5000 from this machine's engine, which
     does not allow plain HTTP to that address: it fails and shows the
     daemon.json line.
  5. ./stack up --on myvm1 --registry MYVM1:5000 --platform
     linux/amd64,linux/arm64: the images go to myvm1 only, are pushed from
     there (manifest lists), and the stack is deployed by their registry
     names; it converges with web tasks on both nodes; myvm2 pulled every
     image it runs. The registry, asked over HTTP from this test, holds a
     manifest list for each image naming linux/amd64 and linux/arm64/v8,
     each entry's config saying its platform; docker pull --platform
     linux/arm64 gets the arm64 image. Requests from both nodes count
     through the one Redis.
  6. A node that cannot pull: myvm2's engine cannot reach the registry
     (a firewall rule in myvm2), its pulled images are gone; ./stack up
     --no-build fails, shows the task's error and what to do. Without the
     rule (and the stack removed, so that tasks spread again), the same
     command converges with web tasks on myvm2 again.
  7. ./stack down, ./stack registry rm, ./stack nodes down --purge.

Without IPVS (these machines) the stack file is the IPVS-less variant
(variant.py) and requests come from client containers on the stack's
network. The node containers, their network and volumes carry this run's
prefix (PART5_NODES_PREFIX); part5/* tags on this machine's engine are
put back as they were (platforms.TagGuard). Only Debian's mirror is
reached from outside.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import platforms  # noqa: E402
import swarmnodes  # noqa: E402
from common import RUN  # noqa: E402
from part5test import (TestFailure, check, free_port, run,  # noqa: E402
                       step, wait_until)
from swarmnodes import HOST, Docker, note  # noqa: E402

STACK = "getstartedlab"
NAMES = ["hello", "visualizer", "redis"]
PLATS = ["linux/amd64", "linux/arm64"]
LIST_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json,"
              "application/vnd.oci.image.index.v1+json")
MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json,"
                  "application/vnd.oci.image.manifest.v1+json")
S = {"guard": None, "nodes_up": False}
RUNDIR = tempfile.mkdtemp(prefix=f"{RUN}-nodes-")
NODES_ENV = {"PART5_NODES_PREFIX": f"{RUN}-", "PART5_NODES_RUNDIR": RUNDIR}


def stack(*args, node=None, timeout=1500):
    """./stack ARGS, on NODE's engine (myvm1...) or this machine's."""
    env = dict(NODES_ENV)
    if node:
        env["DOCKER_HOST"] = S["hosts"][node]
        print(f"    (DOCKER_HOST=<{node}>)", flush=True)
    return platforms.stack(*args, env=env, timeout=timeout)


def registry_get(addr, path, accept):
    """GET http://ADDR/v2/PATH from this test; returns (status, headers,
    JSON body or None)."""
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/v2/" + path, headers={"Accept": accept})
        r = conn.getresponse()
        body = r.read()
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        return r.status, dict(r.getheaders()), doc
    finally:
        conn.close()


def test_images_on_this_engine():
    S["guard"] = platforms.TagGuard(NAMES + ["registry"])
    swarmnodes.base_image()
    step("./stack build --platform linux/amd64,linux/arm64")
    rc, out, secs = platforms.stack("build", "--platform", ",".join(PLATS))
    S["guard"].saw(out)
    check(rc == 0, f"./stack build exits 0 ({secs:.0f}s)")
    for n in NAMES:
        for p in PLATS:
            check(HOST.image_exists(platforms.platform_ref(n, p)),
                  f"{platforms.platform_ref(n, p)}")
    step("the registry image from Dockerfiles/registry.Dockerfile")
    ref = f"{RUN}/registry:test"
    secs = swarmnodes.build_image("registry.Dockerfile", ref,
                                  {"VERSION": platforms.version()})
    swarmnodes.on_cleanup(HOST.run, "rmi", ref)
    size = swarmnodes.image_size(ref)
    cfg = HOST.json("image", "inspect", ref)[0]["Config"]
    check(size <= 40_000_000, f"built in {secs:.0f}s: {size / 1e6:.1f} MB")
    check(cfg.get("User") == "10003:10003" and
          "5000/tcp" in (cfg.get("ExposedPorts") or {}) and
          "/var/lib/registry" in (cfg.get("Volumes") or {}),
          "USER 10003, EXPOSE 5000, VOLUME /var/lib/registry")
    S["registry_image"] = ref


def test_a_registry_that_wants_a_login():
    step("the registry image with an htpasswd file, on 127.0.0.1")
    d = tempfile.mkdtemp(prefix=f"{RUN}-auth-")
    swarmnodes.on_cleanup(subprocess.run, ["rm", "-rf", d])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
        pw = crypt.crypt("secret", crypt.mksalt(crypt.METHOD_BLOWFISH))
    with open(os.path.join(d, "htpasswd"), "w") as f:
        f.write(f"part5:{pw}\n")
    os.chmod(d, 0o755)
    os.chmod(os.path.join(d, "htpasswd"), 0o644)
    port = free_port()
    name = f"{RUN}-authreg"
    HOST.run("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:5000",
             "-v", f"{d}:/auth:ro", "-e", "REGISTRY_AUTH=htpasswd",
             "-e", "REGISTRY_AUTH_HTPASSWD_REALM=part5",
             "-e", "REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd",
             "--label", f"part5-e2e={RUN}", S["registry_image"])
    swarmnodes.on_cleanup(HOST.run, "rm", "-fv", name)
    addr = f"127.0.0.1:{port}"
    wait_until(lambda: _answers(addr), 30, interval=0.5,
               what="the registry to answer")
    check(registry_get(addr, "", "*/*")[0] == 401,
          "GET /v2/ without credentials: 401")
    step(f"./stack push --registry {addr} (no docker login)")
    rc, out, _ = platforms.stack("push", "--registry", addr,
                                 "--platform", "linux/amd64", timeout=300)
    check(rc != 0, f"it fails (exit {rc})")
    check(f"docker login {addr}" in out, "and says: docker login " + addr)
    for n in NAMES:
        HOST.run("rmi", f"{addr}/part5/{n}:{platforms.version()}",
                 check_rc=False)


def _answers(addr):
    try:
        return registry_get(addr, "", "*/*")[0] in (200, 401)
    except OSError:
        return False


def test_nodes_and_the_registry_service():
    step("./stack nodes up: myvm1 and myvm2 (engines in containers)")
    S["nodes_up"] = True
    rc, out, secs = stack("nodes", "up", timeout=900)
    check(rc == 0, f"./stack nodes up exits 0 ({secs:.0f}s)")
    S["hosts"] = {}
    for n in ("myvm1", "myvm2"):
        rc, out, _ = stack("nodes", "env", n, timeout=60)
        m = re.search(r"DOCKER_HOST=\"?([^\"\s;]+)", out)
        check(rc == 0 and m, f"./stack nodes env {n}: {m.group(1) if m else out}")
        S["hosts"][n] = m.group(1)
    S["vm1"] = Docker(S["hosts"]["myvm1"], "myvm1")
    S["vm2"] = Docker(S["hosts"]["myvm2"], "myvm2")
    S["ip1"] = HOST.run("inspect", "-f",
                        "{{range .NetworkSettings.Networks}}{{.IPAddress}}"
                        "{{end}}", f"{RUN}-myvm1")
    check(not [i for i in S["vm2"].run("images", "--format",
                                       "{{.Repository}}").split()
               if "part5/" in i and ":" in i],
          "myvm2 has no image from a registry")

    step("the registry image to myvm1 (as part5/registry:VERSION)")
    ver = platforms.version()
    _load(S["vm1"], S["registry_image"], f"part5/registry:{ver}")
    step("./stack registry on myvm1")
    rc, out, _ = stack("registry", "--publish-mode", "host", node="myvm1",
                       timeout=300)
    check(rc == 0, "./stack registry exits 0")
    S["reg"] = f"{S['ip1']}:5000"
    check(f"{S['reg']}" in out and "insecure-registries" in out,
          f"it names the address to push to ({S['reg']}) and the daemon "
          "setting the other engines need")
    st = S["vm1"].run("service", "ps", "--format",
                      "{{.Node}} {{.CurrentState}}", "part5-registry")
    check(st.startswith("myvm1 Running"), f"the service runs on myvm1: {st}")
    check(_answers(S["reg"]), f"http://{S['reg']}/v2/ answers this test")
    rc, out, _ = stack("registry", node="myvm1", timeout=120)
    check(rc == 0 and "exists" in out, "./stack registry again: it exists, "
          "nothing changes")


def _load(docker, ref, as_ref):
    save = subprocess.Popen(["docker", "save", ref], stdout=subprocess.PIPE)
    r = subprocess.run(["docker", "load", "-q"], env=docker.env(),
                       stdin=save.stdout, capture_output=True, text=True,
                       timeout=300)
    save.stdout.close()
    save.wait(60)
    if r.returncode != 0:
        raise TestFailure(f"docker load on {docker.name}: {r.stderr}")
    docker.run("tag", ref, as_ref)


def test_a_push_refused_over_plain_http():
    reg = S["reg"]
    step(f"./stack push --registry {reg} from this machine's engine, which "
         "does not allow plain HTTP to it")
    rc, out, _ = platforms.stack("push", "--registry", reg, "--platform",
                                 "linux/amd64", timeout=300)
    check(rc != 0, f"it fails (exit {rc})")
    check(f'{{ "insecure-registries": ["{reg}"] }}' in out and
          "daemon.json" in out, "and shows the daemon.json line")
    for n in NAMES:
        HOST.run("rmi", f"{reg}/part5/{n}:{platforms.version()}",
                 check_rc=False)


def test_up_through_the_registry():
    reg = S["reg"]
    S["file"] = common.write_variant("docker-compose.part5-redis.yml")
    step(f"./stack up --on myvm1 --registry {reg} --platform "
         f"{','.join(PLATS)}")
    rc, out, secs = stack("up", "--on", "myvm1", "--registry", reg,
                          "--platform", ",".join(PLATS), "-c", S["file"],
                          "--timeout", "240", timeout=1500)
    S["guard"].saw(out)
    check(rc == 0, f"./stack up exits 0 ({secs:.0f}s)")
    check("Copying them to myvm1 only" in out, "the images went to myvm1 "
          "only")
    check(out.count("the manifest list of linux/amd64 linux/arm64") == 3,
          "three manifest lists pushed")
    vm1, vm2 = S["vm1"], S["vm2"]
    step("what each service runs, and where")
    for n, svc in (("hello", "web"), ("visualizer", "visualizer"),
                   ("redis", "redis")):
        img = vm1.run("service", "inspect", "--format",
                      "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
                      f"{STACK}_{svc}")
        check(re.fullmatch(re.escape(f"{reg}/part5/{n}:{platforms.version()}")
                           + r"@sha256:[0-9a-f]{64}", img),
              f"{svc}: {img[:60]}... (the registry's name, pinned)")
    ps = vm1.run("stack", "ps", "--filter", "desired-state=running",
                 "--format", "{{.Name}} {{.Node}} {{.CurrentState}}", STACK)
    web2 = [line for line in ps.splitlines()
            if line.startswith(f"{STACK}_web.") and " myvm2 " in line]
    check(web2 and all("Running" in line for line in web2),
          f"{len(web2)} web task(s) run on myvm2")
    imgs = vm2.run("images", "--format", "{{.Repository}}:{{.Tag}}")
    check(f"{reg}/part5/hello" in imgs,
          f"myvm2 pulled {reg}/part5/hello from the registry")
    ctr = vm2.run("ps", "-q", "--filter",
                  f"label=com.docker.swarm.service.name={STACK}_web").split()
    image_id = vm2.run("inspect", "--format", "{{.Image}}", ctr[0])
    arch = vm2.run("image", "inspect", "--format", "{{.Architecture}}",
                   image_id)
    check(arch == "amd64", "its web tasks run its own platform's image "
          "(amd64)")
    for n in ("visualizer", "redis"):
        ref = f"{reg}/part5/{n}:{platforms.version()}"
        vm2.run("pull", "-q", ref, timeout=300)
        check(vm2.run("image", "inspect", "--format", "{{.Architecture}}",
                      ref) == "amd64",
              f"myvm2 pulls {ref} too (amd64), should a manager task move "
              "there")
        vm2.run("rmi", ref)

    step(f"the registry's manifest lists (GET http://{reg}/v2/...)")
    for n in NAMES:
        status, headers, doc = registry_get(
            reg, f"part5/{n}/manifests/{platforms.version()}", LIST_TYPES)
        check(status == 200 and doc and "manifests" in doc,
              f"part5/{n}:{platforms.version()}: a manifest list "
              f"({headers.get('Content-Type')})")
        got = {}
        for m in doc["manifests"]:
            p = m["platform"]
            key = "/".join(x for x in (p["os"], p["architecture"],
                                       p.get("variant", "")) if x)
            _, _, man = registry_get(reg, f"part5/{n}/manifests/"
                                     f"{m['digest']}", MANIFEST_TYPES)
            _, _, cfg = registry_get(reg, f"part5/{n}/blobs/"
                                     f"{man['config']['digest']}", "*/*")
            got[key] = (cfg["os"], cfg["architecture"],
                        cfg.get("variant", ""))
        check(got == {"linux/amd64": ("linux", "amd64", ""),
                      "linux/arm64/v8": ("linux", "arm64", "v8")},
              f"  names linux/amd64 and linux/arm64/v8, and each entry's "
              f"config says its platform: {got}")

    step("docker pull --platform linux/arm64 (on myvm2)")
    ref = f"{reg}/part5/hello:{platforms.version()}"
    r = vm2.run("pull", "--platform", "linux/arm64", ref, check_rc=False,
                quiet=True, timeout=300)
    check(r.returncode == 0, f"docker pull --platform linux/arm64: "
          f"{(r.stdout + r.stderr).strip()[-200:]}")
    got = vm2.run("image", "inspect", "--format",
                  "{{.Os}}/{{.Architecture}}", ref)
    check(got == "linux/arm64", f"it got the arm64 image ({got})")
    vm2.run("rmi", ref)

    step("requests from a client on myvm1 and one on myvm2")
    client = swarmnodes.client_image(RUN)
    swarmnodes.on_cleanup(HOST.run, "rmi", client)
    for vm in (vm1, vm2):
        _load(vm, client, client)
    last = None
    for vm in (vm1, vm2):
        recs = common.Client(client, f"{STACK}_webnet", docker=vm) \
            .get("http://web/", 10)
        visits = common.check_counts_consecutive(recs, f"from {vm.name}")
        if last is not None:
            check(visits[0] == last + 1, "one count for the whole swarm")
        last = visits[-1]


def test_a_node_that_cannot_pull():
    reg, vm1, vm2 = S["reg"], S["vm1"], S["vm2"]
    step(f"myvm2 cannot reach {reg} (a firewall rule), and has none of "
         "the images")
    rc, _, _ = stack("down", "--on", "myvm1", timeout=300)
    check(rc == 0, "./stack down --on myvm1 exits 0")
    ip, port = reg.rsplit(":", 1)
    rule = ["OUTPUT", "-p", "tcp", "-d", ip, "--dport", port, "-j",
            "REJECT"]
    HOST.run("exec", f"{RUN}-myvm2", "iptables", "-I", *rule)
    for line in vm2.run("images", "--format",
                        "{{.Repository}}:{{.Tag}} {{.ID}}").splitlines():
        if line.startswith(f"{reg}/"):
            vm2.run("rmi", "-f", line.split()[1], check_rc=False)
    r = vm2.run("pull", f"{reg}/part5/hello:{platforms.version()}",
                check_rc=False, quiet=True, timeout=60)
    check(r.returncode != 0, "docker pull on myvm2 fails")
    rc, out, secs = stack("up", "--on", "myvm1", "--registry", reg,
                          "--no-build", "-c", S["file"], "--timeout", "150",
                          timeout=600)
    check(rc != 0, f"./stack up --no-build fails (exit {rc}, {secs:.0f}s)")
    check("myvm2" in out and "No such image" in out,
          "it shows the task's error on myvm2: No such image")
    check(f"could not pull the image from {reg}" in out,
          "and says that node could not pull from the registry")
    step("without the rule, after ./stack down, the same command")
    HOST.run("exec", f"{RUN}-myvm2", "iptables", "-D", *rule)
    # Down first: a swarm does not move running tasks back, so after the
    # failed deploy every web task may sit on myvm1; a fresh deploy
    # spreads them over both nodes again, and myvm2 must pull.
    rc, _, _ = stack("down", "--on", "myvm1", timeout=300)
    check(rc == 0, "./stack down --on myvm1 exits 0")
    rc, out, secs = stack("up", "--on", "myvm1", "--registry", reg,
                          "--no-build", "-c", S["file"], "--timeout", "240",
                          timeout=600)
    check(rc == 0, f"./stack up exits 0 ({secs:.0f}s)")
    ps = vm1.run("stack", "ps", "--filter", "desired-state=running",
                 "--format", "{{.Name}} {{.Node}}", STACK)
    check(any(line.startswith(f"{STACK}_web.") and line.endswith(" myvm2")
              for line in ps.splitlines()), "web tasks run on myvm2 again")
    check(f"{reg}/part5/hello" in vm2.run("images", "--format",
                                          "{{.Repository}}"),
          "from the image myvm2 pulled again")


def test_down_and_registry_rm():
    step("./stack down, ./stack registry rm")
    rc, _, _ = stack("down", "--on", "myvm1", timeout=300)
    check(rc == 0, "./stack down exits 0")
    rc, out, _ = stack("registry", "rm", node="myvm1", timeout=300)
    check(rc == 0 and "part5-registry-data" in out,
          "./stack registry rm exits 0 and says the volume is kept")
    check(not S["vm1"].run("service", "ls", "-q"), "no service is left")


def test_clean_up():
    step("./stack nodes down --purge; part5 tags back as they were")
    _clean()
    common.nothing_left(RUN, "container", "network", "volume")


def _clean():
    if S["nodes_up"]:
        platforms.stack("nodes", "down", "--purge", env=NODES_ENV,
                        timeout=300)
        S["nodes_up"] = False
    swarmnodes.cleanup()
    if S["guard"]:
        S["guard"].restore()
        S["guard"] = None
    subprocess.run(["rm", "-rf", RUNDIR])


if __name__ == "__main__":
    t0 = time.monotonic()
    try:
        run(common.story([test_images_on_this_engine,
                          test_a_registry_that_wants_a_login,
                          test_nodes_and_the_registry_service,
                          test_a_push_refused_over_plain_http,
                          test_up_through_the_registry,
                          test_a_node_that_cannot_pull,
                          test_down_and_registry_rm,
                          test_clean_up]))
    finally:
        _clean()
        note(f"{time.monotonic() - t0:.0f}s in all")
