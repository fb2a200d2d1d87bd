#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The arm images (issue 12), built on this amd64 machine by ./stack build
--platform (cross-compiled) and run here under qemu.

The story, for each of linux/arm64 and linux/arm/v7 (and linux/arm/v6
with PART5_ARM_PLATFORMS=linux/arm64,linux/arm/v7,linux/arm/v6; and the
images built natively under qemu instead of cross-compiled with
PART5_ARM_EMULATE=1, which adds --emulate to step 2: minutes more, by
hand):
  0. this kernel runs arm programs: binfmt_misc is mounted and Debian's
     qemu-user-static handlers are enabled with the fix-binary flag (so
     the images need no qemu inside);
  1. ./stack build --platform linux/sparc fails and lists the supported
     platforms; so does an empty --platform;
  2. ./stack build --platform <both>: the three images each, tagged
     part5/NAME:VERSION-arm64 / -armv7;
  3. their metadata says the platform (os/architecture/variant), their
     programs (hello, visualizer, redis-bootstrap, redis-server,
     redis-cli, the dynamic loader) are ELF files for that machine (class,
     e_machine and, on 32-bit arm, the float ABI), and each image is
     within the amd64 size targets (hello <= 12 MB, visualizer <= 25 MB,
     redis <= 60 MB);
  4. they run under emulation (qemu emulating the CPU of the oldest
     Raspberry Pi of the platform): the redis image starts redis-server as
     uid 999 with its append-only file in /data (a directory of this
     test's), and its redis-cli answers; hello, on a network of this
     test's own with that Redis, answers its page with a count that goes
     up by one per request; the visualizer, with this engine's socket,
     answers /api/state with this node.

The engine is shared: ./stack sets part5/* tags, so the test records the
ones it may touch and puts them back at the end (platforms.TagGuard);
every container, network and directory carries this run's prefix and is
removed. Only Debian's mirror is reached (by the builds).
"""

import json
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import platforms  # noqa: E402
import swarmnodes  # noqa: E402
from common import RUN  # noqa: E402
from part5test import (TestFailure, check, free_port, http_get,  # noqa: E402
                       run, step, wait_until)
from platforms import PLATFORMS, SIZE_LIMITS, platform_ref  # noqa: E402
from swarmnodes import HOST, note  # noqa: E402

WANTED = os.environ.get("PART5_ARM_PLATFORMS",
                        "linux/arm64,linux/arm/v7").split(",")
EMULATE = os.environ.get("PART5_ARM_EMULATE") == "1"
NAMES = ["hello", "visualizer", "redis"]
S = {"guard": None}

# The programs inside each image whose ELF header is checked.
PROGRAMS = {"hello": ["/usr/local/bin/hello"],
            "visualizer": ["/usr/local/bin/visualizer"],
            "redis": ["/usr/local/bin/redis-bootstrap",
                      "/usr/bin/redis-server", "/usr/bin/redis-cli"]}
# The CPU qemu emulates for each platform (QEMU_CPU in the container's
# environment, which qemu-user reads): the oldest Raspberry Pi of that
# platform, so an instruction its CPU lacks fails the test: a Pi 3's
# Cortex-A53, a Pi 2's Cortex-A7, a Pi Zero's or Pi 1's ARM1176.
QEMU_CPU = {"linux/arm64": "cortex-a53", "linux/arm/v7": "cortex-a7",
            "linux/arm/v6": "arm1176"}
LOADER = {"linux/arm64": "/lib/ld-linux-aarch64.so.1",
          "linux/arm/v7": "/lib/ld-linux-armhf.so.3",
          "linux/arm/v6": "/lib/ld-linux.so.3"}


def test_qemu_runs_arm_programs():
    step("binfmt_misc and qemu-user-static (fix-binary) for " +
         ", ".join(WANTED))
    for p in WANTED:
        check(p in PLATFORMS and p != "linux/amd64",
              f"{p} is an arm platform this test knows")
    platforms.ensure_binfmt(WANTED)


def test_an_unknown_platform_is_refused():
    for bad in ("linux/sparc", "linux/arm64,windows/amd64", ""):
        step(f"./stack build --platform '{bad}'")
        rc, out, _ = platforms.stack("build", "--platform", bad,
                                     timeout=60)
        check(rc != 0, f"it fails (exit {rc})")
        if bad:
            check("Supported: linux/amd64, linux/arm64, linux/arm/v7, "
                  "linux/arm/v6" in out, "and lists the supported platforms")
            check("building" not in out, "nothing was built")
        else:
            check("--platform needs a value" in out, "it says what it needs")


def test_build_for_arm():
    S["guard"] = platforms.TagGuard(NAMES)
    swarmnodes.base_image()
    how = ["--emulate"] if EMULATE else []
    cmd = " ".join(["./stack build --platform", ",".join(WANTED)] + how)
    step(f"{cmd} ("
         + ("built natively under qemu" if EMULATE else
            "cross-compiled on this amd64 engine") + ")")
    rc, out, secs = platforms.stack("build", "--platform", ",".join(WANTED),
                                    *how)
    S["guard"].saw(out)
    check(rc == 0, f"./stack build exits 0 ({secs:.0f}s)")
    check(("built under emulation" in out) == EMULATE and
          ("cross-compiled on" in out) != EMULATE,
          "built " + ("under emulation" if EMULATE else "cross-compiled"))
    note(f"measured: {cmd}: {secs:.0f}s")
    for m in re.finditer(r"(part5/\S+): ([0-9.]+ MB), (\S+), (\d+)s", out):
        note(f"  {m.group(1)}: {m.group(2)}, {m.group(4)}s")
    for p in WANTED:
        for n in NAMES:
            check(HOST.image_exists(platform_ref(n, p)),
                  f"{platform_ref(n, p)} exists")


def test_metadata_binaries_and_sizes():
    for p in WANTED:
        suffix, (arch, variant), (bits, machine, abi), _ = PLATFORMS[p]
        for n in NAMES:
            ref = platform_ref(n, p)
            step(f"{ref}")
            info = HOST.json("image", "inspect", ref)[0]
            got = (info.get("Os"), info.get("Architecture"),
                   info.get("Variant", ""))
            check(got == ("linux", arch, variant),
                  f"metadata {'/'.join(x for x in got if x)} "
                  f"(docker image inspect)")
            size = info["Size"]
            check(size <= SIZE_LIMITS[n], f"{size / 1e6:.1f} MB (target <= "
                  f"{SIZE_LIMITS[n] / 1e6:.0f} MB)")
            files = platforms.image_files(ref, PROGRAMS[n] + [LOADER[p]])
            for path, data in files.items():
                h = platforms.elf_header(data)
                check(h == (bits, machine, abi),
                      f"{path}: ELF{h[0]}, e_machine {h[1]}"
                      + (f", {h[2]}-float" if h[2] else "")
                      + f" ({p})")
            S.setdefault("sizes", {})[(n, p)] = size


def wait_log(ctr, pattern, timeout):
    def seen():
        r = HOST.run("logs", ctr, check_rc=False, quiet=True)
        return re.search(pattern, r.stdout + r.stderr)
    return wait_until(seen, timeout, interval=0.5,
                      what=f"/{pattern}/ in the log of {ctr}")


def container_pid(ctr):
    return int(HOST.run("inspect", "-f", "{{.State.Pid}}", ctr))


def test_they_run_under_emulation():
    for p in WANTED:
        suffix = PLATFORMS[p][0]
        net = f"{RUN}-{suffix}"
        HOST.run("network", "create", "--label", f"part5-e2e={RUN}", net)
        swarmnodes.on_cleanup(HOST.run, "network", "rm", net)

        step(f"{p} (qemu emulating a {QEMU_CPU[p]}): the redis image, "
             f"redis-server --appendonly yes, /data a directory of this "
             f"test's")
        data = platforms.tmpdir(f"{RUN}-data-")
        swarmnodes.on_cleanup(shutil.rmtree, data, True)
        os.chmod(data, 0o755)
        redis = f"{RUN}-redis-{suffix}"
        cpu = ["-e", f"QEMU_CPU={QEMU_CPU[p]}"]
        HOST.run("run", "-d", "--name", redis, "--network", net, *cpu,
                 "--network-alias", "redis", "-v", f"{data}:/data",
                 "--label", f"part5-e2e={RUN}",
                 platform_ref("redis", p), "redis-server", "--appendonly",
                 "yes")
        swarmnodes.on_cleanup(HOST.run, "rm", "-fv", redis)
        wait_log(redis, r"Ready to accept connections", 60)
        pid = container_pid(redis)
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().split(b"\0")
        check(status["Uid"].split() == ["999"] * 4 and
              status["Gid"].split() == ["999"] * 4,
              "redis-server runs as uid 999, gid 999")
        check(any(c.endswith(b"redis-server") for c in cmd[:2]),
              f"the process is redis-server ({cmd[0].decode()}, under qemu "
              f"through binfmt_misc)")
        aof = os.path.join(data, "appendonlydir")
        wait_until(lambda: os.path.isdir(aof) and os.listdir(aof), 30,
                   interval=0.5, what="the append-only files in /data")
        st = os.stat(aof)
        check((st.st_uid, st.st_gid) == (999, 999),
              f"its append-only files are in /data: {sorted(os.listdir(aof))}"
              f", owned by 999:999")
        out = HOST.run("exec", redis, "redis-cli", "ping", timeout=60)
        check(out == "PONG", f"docker exec ... redis-cli ping (the image's "
              f"{p} redis-cli): {out}")

        step(f"{p}: hello on the test's network, with that Redis")
        port = free_port()
        hello = f"{RUN}-hello-{suffix}"
        HOST.run("run", "-d", "--name", hello, "--network", net, *cpu,
                 "-p", f"127.0.0.1:{port}:80", "--label",
                 f"part5-e2e={RUN}", "-e", f"NAME=arm {suffix}",
                 platform_ref("hello", p))
        swarmnodes.on_cleanup(HOST.run, "rm", "-fv", hello)
        wait_log(hello, r"listening on", 60)
        counts = []
        t0 = time.monotonic()
        for _ in range(3):
            r = wait_until(lambda: _page(port), 30, interval=0.5,
                           what=f"hello ({p}) to answer")
            m = re.search(r"<b>Visits:</b> (\d+)", r.text)
            check(r.status == 200 and f"Hello arm {suffix}" in r.text and m,
                  f"200, the greeting and a count: {m.group(1) if m else r.text[:200]!r}")
            counts.append(int(m.group(1)))
        check(counts == list(range(counts[0], counts[0] + 3)),
              f"the count goes up by one per request: {counts} "
              f"({(time.monotonic() - t0) * 1000 / 3:.0f} ms a page under "
              f"qemu)")

        step(f"{p}: the visualizer with this engine's socket")
        port = free_port()
        viz = f"{RUN}-viz-{suffix}"
        HOST.run("run", "-d", "--name", viz, *cpu,
                 "-p", f"127.0.0.1:{port}:8080",
                 "-v", "/var/run/docker.sock:/var/run/docker.sock",
                 "--label", f"part5-e2e={RUN}", platform_ref("visualizer", p))
        swarmnodes.on_cleanup(HOST.run, "rm", "-fv", viz)

        def state():
            try:
                r = http_get(port, "/api/state", timeout=5)
            except OSError:
                return None
            if r.status != 200:
                return None
            s = json.loads(r.body)
            return s if s.get("nodes") else None
        st = wait_until(state, 60, interval=1,
                        what=f"the visualizer ({p}) to show the engine")
        me = HOST.run("info", "--format", "{{.Name}}")
        names = [n.get("hostname") for n in st["nodes"]]
        check(me in names, f"/api/state shows this node ({me}): {names}")


def _page(port):
    try:
        r = http_get(port, "/", timeout=10)
    except OSError:
        return None
    return r if r.status == 200 and "Visits:" in r.text else None


def test_clean_up():
    step("remove the containers, networks and directories; put the part5 "
         "tags back")
    swarmnodes.cleanup()
    if S["guard"]:
        S["guard"].restore()
        S["guard"] = None
    common.nothing_left(RUN, "container", "network")


if __name__ == "__main__":
    import common  # noqa: E402
    try:
        run(common.story([test_qemu_runs_arm_programs,
                          test_an_unknown_platform_is_refused,
                          test_build_for_arm,
                          test_metadata_binaries_and_sizes,
                          test_they_run_under_emulation,
                          test_clean_up]))
    except TestFailure:
        raise
    finally:
        swarmnodes.cleanup()
        if S["guard"]:
            S["guard"].restore()
