#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The stack files in compose/ against the tutorial, the images and the
variant the end-to-end tests deploy. No engine needed (label unit).

- The tutorial's three files ship exactly as printed (kept byte for byte
  in tests/fixtures/tutorial/), except the image names, which are ours,
  and the label by which web opts in to the visualizer's traffic view.
- Every shipped file sets that label on web, and where a file has the
  visualizer, web and the visualizer share a network (the visualizer
  reads each web task's /metrics at the task's own address).
- Every image a compose file names is one the Dockerfiles build, with the
  project's version (CMakeLists.txt) as its tag.
- The production variant has what issue 5 asks for.
- The IPVS-less variant (tests/e2e/variant.py) differs from each shipped
  file by its documented changes only.
- docker stack config (client side only) accepts every file and variant.
"""

import difflib
import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import blockyaml  # noqa: E402
import variant  # noqa: E402
from part5test import SOURCE, cannot_run, check, run, step  # noqa: E402

COMPOSE = os.path.join(SOURCE, "compose")
TUTORIAL = os.path.join(SOURCE, "tests", "fixtures", "tutorial")
TUTORIAL_FILES = ["docker-compose.part3.yml",
                  "docker-compose.part5-visualizer.yml",
                  "docker-compose.part5-redis.yml"]


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*part5-stack\s+VERSION\s+([0-9.]+)",
                      f.read())
    if not m:
        raise AssertionError("no project(part5-stack VERSION x.y.z) in "
                             "CMakeLists.txt")
    return m.group(1)


def our_images():
    v = project_version()
    return {"username/repo:tag": f"part5/hello:{v}",
            "dockersamples/visualizer:stable": f"part5/visualizer:{v}",
            "redis": f"part5/redis:{v}"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# The lines web's deploy block gains in every shipped file: the service
# label that opts in to the visualizer's traffic view (docs/visualizer-api.md,
# "Which tasks are asked").
SCRAPE_LABEL = 'part5.visualizer.scrape'
SCRAPE_LINES = ["      labels:\n",
                "        # Lets the visualizer show each replica's requests "
                "(GET /metrics).\n",
                f'        {SCRAPE_LABEL}: "true"\n']


def test_tutorial_files_differ_only_in_image_names():
    mapping = our_images()
    for name in TUTORIAL_FILES:
        step(f"{name}: compare with the tutorial's")
        ours = read(os.path.join(COMPOSE, name)).splitlines(keepends=True)
        theirs = read(os.path.join(TUTORIAL, name)).splitlines(
            keepends=True)
        at = [i for i in range(len(ours)) if ours[i:i + 3] == SCRAPE_LINES]
        check(len(at) == 1 and ours[at[0] - 1] == "      replicas: 5\n",
              "web's deploy gains the visualizer's opt-in label, after "
              "replicas")
        del ours[at[0]:at[0] + 3]
        check(len(ours) == len(theirs),
              f"same number of lines ({len(ours)})")
        changed = [(a, b) for a, b in zip(theirs, ours) if a != b]
        for a, b in changed:
            m = re.match(r"^(\s+image: )(\S+)\n$", a)
            check(m is not None and
                  b == m.group(1) + mapping.get(m.group(2), "?") + "\n",
                  f"only an image line changed: {a.strip()!r} -> "
                  f"{b.strip()!r}")
        n_images = sum(1 for line in theirs if "image:" in line)
        check(len(changed) == n_images,
              f"all {n_images} image lines, and nothing else, changed")


def test_web_opts_in_and_shares_a_network_with_the_visualizer():
    for path in sorted(glob.glob(os.path.join(COMPOSE, "*.yml"))):
        name = os.path.basename(path)
        step(f"{name}: web's label, the networks web and visualizer share")
        s = blockyaml.load(path)["services"]
        labels = s["web"]["deploy"].get("labels") or {}
        check(labels.get(SCRAPE_LABEL) == "true",
              f'web: deploy.labels {SCRAPE_LABEL}: "true"')
        if "visualizer" not in s:
            check(True, "no visualizer in this file: nothing to share")
            continue
        nets = lambda svc: set(s[svc].get("networks") or ["default"])
        shared = nets("web") & nets("visualizer")
        check(shared, f"web and visualizer share {sorted(shared)}")


def test_images_are_built_with_the_project_version():
    v = project_version()
    step(f"every image in compose/ is part5/<name>:{v} and has a "
         f"Dockerfile")
    dockerfile = {"hello": "web", "visualizer": "visualizer",
                  "redis": "redis"}
    files = sorted(glob.glob(os.path.join(COMPOSE, "*.yml")))
    check(len(files) >= 4, f"{len(files)} compose files")
    for path in files:
        for svc, spec in blockyaml.load(path)["services"].items():
            img = spec["image"]
            m = re.match(r"^part5/([a-z]+):(.+)$", img)
            check(m is not None and m.group(2) == v and
                  m.group(1) in dockerfile,
                  f"{os.path.basename(path)}: {svc}: {img}")
            df = os.path.join(SOURCE, "Dockerfiles",
                              dockerfile[m.group(1)] + ".Dockerfile")
            check(os.path.isfile(df), f"  built by {os.path.relpath(df, SOURCE)}")
    step("./stack builds those names")
    stack = read(os.path.join(SOURCE, "stack"))
    for name in dockerfile:
        check(f"part5/{name}" in stack, f"./stack names part5/{name}")


def test_production_file():
    path = os.path.join(COMPOSE, "docker-compose.prod.yml")
    d = blockyaml.load(path)
    s = d["services"]
    step("compose/docker-compose.prod.yml: version and services")
    check(d["version"] == "3.8", 'version "3.8" (update order, rollback, '
          'secrets uid/mode need >= 3.4)')
    check(sorted(s) == ["redis", "visualizer", "web"],
          "the tutorial's three services")

    step("Redis: not published, password from a secret, data kept")
    r = s["redis"]
    check("ports" not in r, "redis publishes no port")
    check(r["command"] == "redis-server --appendonly yes",
          "the tutorial's command (append-only file)")
    check(r["environment"]["REDIS_PASSWORD_FILE"] ==
          "/run/secrets/redis_password", "redis reads the secret file")
    check(any(x["source"] == "redis_password" for x in r["secrets"]),
          "redis gets the secret")
    vol = r["volumes"][0]
    check(vol.split(":")[0] in (d.get("volumes") or {}),
          f"redis data in a named volume ({vol})")
    check("node.role == manager" in r["deploy"]["placement"]["constraints"],
          "redis pinned to a manager (a named volume is per node)")
    check(r["deploy"]["update_config"]["order"] == "stop-first",
          "redis updates stop-first (one Redis per data directory)")
    check(d["secrets"]["redis_password"]["external"] == "true",
          "the secret is external (created by ./stack, not in a file)")

    step("web: password, health, rolling updates that roll back")
    w = s["web"]
    check(w["environment"]["REDIS_PASSWORD_FILE"] ==
          "/run/secrets/redis_password", "hello reads the secret file")
    sec = [x for x in w["secrets"] if x["source"] == "redis_password"][0]
    check(sec["uid"] == "10001" and sec["mode"] == "0400",
          "secret readable by hello's user (10001) only")
    uc = w["deploy"]["update_config"]
    check(uc["order"] == "start-first", "update order start-first")
    check(uc["failure_action"] == "rollback", "failure_action rollback")
    check(w["deploy"]["replicas"] == "5", "5 replicas, as the tutorial")
    check(set(w["networks"]) == {"webnet", "backend"},
          "web on webnet and on the backend network")
    check(d["networks"]["backend"]["internal"] == "true",
          "backend network is internal")

    step("visualizer: the socket, on a manager")
    v = s["visualizer"]
    check(v["volumes"][0]["source"] == "/var/run/docker.sock",
          "visualizer mounts the Docker socket")
    check("node.role == manager" in v["deploy"]["placement"]["constraints"],
          "visualizer on a manager")

    step("every service: health check, grace period, capped logs")
    for name, spec in s.items():
        hc = spec["healthcheck"]["test"]
        check(hc[0] == "CMD" and hc[1].startswith("/usr/local/bin/"),
              f"{name}: healthcheck {' '.join(hc[1:])}")
        check(re.match(r"^\d+s$", spec["stop_grace_period"]) is not None,
              f"{name}: stop_grace_period {spec['stop_grace_period']}")
        opts = spec["logging"]["options"]
        check("max-size" in opts and "max-file" in opts,
              f"{name}: logs capped at {opts['max-file']} x "
              f"{opts['max-size']}")


def _diff_ops(a, b):
    """(removed lines, added lines) between texts a and b."""
    removed, added = [], []
    sm = difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(),
                                 autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op in ("replace", "delete"):
            removed += a.splitlines()[i1:i2]
        if op in ("replace", "insert"):
            added += b.splitlines()[j1:j2]
    return removed, added


def test_ipvs_less_variant_changes_only_what_it_says():
    images = {v: v.replace("part5/", "p5e2e/") for v in
              our_images().values()}
    for path in sorted(glob.glob(os.path.join(COMPOSE, "*.yml"))):
        name = os.path.basename(path)
        step(f"variant of {name}")
        text = read(path)
        out = variant.make_variant(
            text, images, src=name,
            binds={"/home/docker/data": "/tmp/p5e2e-data"})
        removed, added = _diff_ops(text, out)
        shipped = blockyaml.loads(text)
        gen = blockyaml.loads(out)
        for line in removed:
            s = line.strip()
            ok = (s.startswith("version:") or s.startswith("image: part5/")
                  or s == "ports:" or re.match(r'^- "\d+:\d+"$', s)
                  or s == '- "/home/docker/data:/data"')
            check(ok, f"removed: {s}")
        for line in added:
            s = line.strip()
            ok = (s.startswith("#") or s == 'version: "3.8"'
                  or s.startswith("image: p5e2e/")
                  or s == '- "/tmp/p5e2e-data:/data"'
                  or s in ("endpoint_mode: dnsrr", "attachable: true"))
            check(ok, f"added: {s}")
        for svc, spec in gen["services"].items():
            check(spec["deploy"]["endpoint_mode"] == "dnsrr" and
                  "ports" not in spec, f"{svc}: dnsrr, no published port")
            check(spec["image"] == images[shipped["services"][svc]["image"]],
                  f"{svc}: image {spec['image']}")
        for net, spec in gen["networks"].items():
            check(spec["attachable"] == "true", f"network {net} attachable")


def test_preflight_lets_every_shipped_file_deploy():
    """./stack up runs redis-bootstrap prepare and stops on its errors, so
    an error in a file we ship would stop the README's first command."""
    import socket
    import tempfile
    from part5test import binary
    rb = binary("redis-bootstrap")
    root = tempfile.mkdtemp(prefix="stack-preflight-")
    try:
        # A host root that looks like a Docker host: the socket exists.
        os.makedirs(os.path.join(root, "var", "run"))
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(os.path.join(root, "var", "run", "docker.sock"))
        blocked = []
        for path in sorted(glob.glob(os.path.join(COMPOSE, "*.yml"))):
            name = os.path.basename(path)
            step(f"redis-bootstrap prepare --dry-run -f {name} (as ./stack "
                 f"up runs it on a manager)")
            r = subprocess.run([rb, "prepare", "--dry-run", "--host-root",
                                root, "--role", "manager", "--hostname",
                                "myvm1", "-f", path], capture_output=True,
                               text=True, timeout=30)
            print("    " + (r.stdout + r.stderr).strip().replace(
                "\n", "\n    "), flush=True)
            if r.returncode == 0:
                print(f"    {name}: no error (warnings are fine)", flush=True)
            else:
                blocked.append(f"{name} (exit {r.returncode})")
        sock.close()
        check(not blocked, "./stack up can deploy every shipped file; the "
              "preflight blocks: " + ", ".join(blocked))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_docker_accepts_every_file():
    docker = shutil.which("docker")
    if docker is None:
        return cannot_run("no docker CLI here: the schema check needs one "
                          "(the e2e tests deploy the files for real)")
    for path in sorted(glob.glob(os.path.join(COMPOSE, "*.yml"))):
        name = os.path.basename(path)
        step(f"docker stack config -c {name} (and its variant)")
        r = subprocess.run([docker, "stack", "config", "-c", path],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, f"{name} is valid {r.stderr.strip()}")
        out = variant.make_variant(read(path), {}, src=name)
        r = subprocess.run([docker, "stack", "config", "-c", "-"],
                           input=out, capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 0, f"its variant is valid {r.stderr.strip()}")


if __name__ == "__main__":
    run([test_tutorial_files_differ_only_in_image_names,
         test_web_opts_in_and_shares_a_network_with_the_visualizer,
         test_images_are_built_with_the_project_version,
         test_production_file,
         test_ipvs_less_variant_changes_only_what_it_says,
         test_docker_accepts_every_file,
         test_preflight_lets_every_shipped_file_deploy])
