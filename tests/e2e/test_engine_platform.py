#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""./stack build on an arm engine builds natively, with no option (issue
12): which build ./stack asks the engine for, per engine machine name.

No arm engine runs here (a dockerd under qemu-user starts no container,
README "arm and Apple Silicon"), so this test puts a recording `docker`
first in PATH: it answers `docker info` with the machine name an arm
engine reports (Docker Desktop on Apple Silicon: aarch64; Raspberry Pi
OS: armv7l, armv6l), says debian:bookworm-slim is there, records the
`docker build` command line and fails it, which stops ./stack. It checks
only the choice ./stack makes: the engine's own platform, the native
build (no TARGET_ARCH, no BASE_IMAGE: the Dockerfiles' FROM
debian:bookworm-slim of the engine's architecture), and the names the
compose files use. That a native build on arm works and gives images
that run is checked by the arm test with PART5_ARM_EMULATE=1 (the same
Dockerfiles from an arm Debian base, under qemu).
"""

import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from part5test import SOURCE, check, run, step  # noqa: E402
import platforms  # noqa: E402

FAKE = r"""#!/bin/sh
printf '%s\n' "$*" >>"$PART5_FAKE_LOG"
case "$1" in
info)
    case "$*" in
    *Architecture*) echo "$PART5_FAKE_MACHINE" ;;
    *OSType*) echo linux ;;
    *) echo "Server Version: 20.10.24 (recording docker of the test)" ;;
    esac
    exit 0 ;;
image) exit 0 ;;
build) echo "the test's docker: no build here" >&2; exit 1 ;;
esac
exit 0
"""

# machine name `docker info` reports -> (platform, tag suffix)
MACHINES = {"aarch64": ("linux/arm64", "arm64"),
            "armv7l": ("linux/arm/v7", "armv7"),
            "armv6l": ("linux/arm/v6", "armv6"),
            "x86_64": ("linux/amd64", "amd64")}


def build_with(machine, *args):
    d = tempfile.mkdtemp(prefix="part5-engine-platform-")
    try:
        docker = os.path.join(d, "docker")
        with open(docker, "w") as f:
            f.write(FAKE)
        os.chmod(docker, stat.S_IRWXU)
        log = os.path.join(d, "log")
        env = dict(os.environ, PATH=f"{d}:{os.environ['PATH']}",
                   PART5_FAKE_LOG=log, PART5_FAKE_MACHINE=machine,
                   TMPDIR=d)
        env.pop("DOCKER_HOST", None)
        r = subprocess.run([os.path.join(SOURCE, "stack"), "build", *args],
                           env=env, capture_output=True, text=True,
                           timeout=60)
        with open(log) as f:
            calls = f.read().splitlines()
        return r.returncode, r.stdout + r.stderr, calls
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_native_without_an_option():
    ver = platforms.version()
    for machine, (plat, suffix) in MACHINES.items():
        step(f"./stack build, the engine's machine {machine}")
        rc, out, calls = build_with(machine)
        check(rc != 0 and "no build here" in out,
              f"./stack ran docker build (which the test's docker fails; "
              f"exit {rc})")
        check(f"engine: {plat})" in out, f"engine: {plat}")
        builds = [c for c in calls if c.startswith("build ")]
        check(len(builds) == 1, "one docker build, stopped at the first")
        b = builds[0]
        check("Dockerfiles/web.Dockerfile" in b, "of hello")
        check("TARGET_ARCH" not in b and "BASE_IMAGE" not in b,
              "native: no TARGET_ARCH, no BASE_IMAGE")
        for t in (f"part5/hello:{ver}", "part5/hello:latest",
                  f"part5/hello:{ver}-{suffix}"):
            check(f"-t {t} " in b + " ", f"tagged {t}")


def test_another_platform_from_an_arm_engine():
    step("./stack build --platform linux/amd64 on an aarch64 engine")
    rc, out, calls = build_with("aarch64", "--platform", "linux/amd64")
    b = [c for c in calls if c.startswith("build ")][0]
    check("--build-arg TARGET_ARCH=amd64" in b and
          f"-t part5/hello:{platforms.version()}-amd64" in b and
          "part5/hello:latest" not in b,
          "cross-compiled for amd64 (TARGET_ARCH=amd64), tagged -amd64 "
          "only")


if __name__ == "__main__":
    run([test_native_without_an_option,
         test_another_platform_from_an_arm_engine])
