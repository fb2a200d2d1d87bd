# SPDX-License-Identifier: Apache-2.0
"""What the arm and registry tests share: the platforms, qemu through
binfmt_misc, the ELF header of a file inside an image, ./stack on this
machine's engine, and a guard for the part5/* tags ./stack sets.

Why the guard: ./stack names its images part5/NAME:TAG, as users need;
on a shared engine those tags may be someone's. A TagGuard records every
part5/* tag the test may set before it runs ./stack, and afterwards puts
each back where it was (or removes it when it was absent), then removes
the images the run made that no tag names any more, and nothing else.
"""

import contextlib
import io
import os
import re
import subprocess
import tarfile
import tempfile
import time

from part5test import SOURCE, TestFailure, check, step
from swarmnodes import HOST, note

# Docker platform -> (tag suffix, image config's (arch, variant), ELF
# (class, e_machine, arm float ABI or None), Debian architecture).
PLATFORMS = {
    "linux/amd64": ("amd64", ("amd64", ""), (64, 62, None), "amd64"),
    "linux/arm64": ("arm64", ("arm64", "v8"), (64, 183, None), "arm64"),
    "linux/arm/v7": ("armv7", ("arm", "v7"), (32, 40, "hard"), "armhf"),
    "linux/arm/v6": ("armv6", ("arm", "v6"), (32, 40, "soft"), "armel"),
}
QEMU = {"linux/arm64": "qemu-aarch64", "linux/arm/v7": "qemu-arm",
        "linux/arm/v6": "qemu-arm"}

# Image name -> size target in bytes (issue 5; issue 12: the same on arm).
SIZE_LIMITS = {"hello": 12_000_000, "visualizer": 25_000_000,
               "redis": 60_000_000}

BINFMT = "/proc/sys/fs/binfmt_misc"


def version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        return re.search(r"project\(part5-stack VERSION ([0-9.]+)",
                         f.read()).group(1)


def platform_ref(name, platform):
    return f"part5/{name}:{version()}-{PLATFORMS[platform][0]}"


def ensure_binfmt(platforms):
    """Makes sure this kernel runs the platforms' programs through
    qemu-user-static with the fix-binary flag (so containers need no qemu
    inside): binfmt_misc mounted, the handlers registered and enabled.
    Needs root and Debian's qemu-user-static (scripts/deps.sh test)."""
    if not os.path.exists(os.path.join(BINFMT, "register")):
        step(f"mounting binfmt_misc on {BINFMT}")
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc",
                        BINFMT], check=True, timeout=30)
    for p in platforms:
        q = QEMU.get(p)
        if not q:
            continue
        path = os.path.join(BINFMT, q)
        if not os.path.exists(path) or \
                not open(path).read().startswith("enabled"):
            step(f"registering {q} (update-binfmts --enable {q})")
            subprocess.run(["update-binfmts", "--enable", q], check=True,
                           timeout=60, capture_output=True)
        with open(path) as f:
            text = f.read()
        flags = re.search(r"^flags: *(\S*)", text, re.M)
        check(text.startswith("enabled") and flags and "F" in flags.group(1),
              f"{q} is registered, enabled, with the fix-binary flag "
              f"(flags {flags.group(1) if flags else '?'})")


def elf_header(data):
    """(class bits, e_machine, float ABI or None) of an ELF file's bytes."""
    if data[:4] != b"\x7fELF":
        raise TestFailure("not an ELF file")
    bits = {1: 32, 2: 64}[data[4]]
    little = data[5] == 1
    order = "little" if little else "big"
    machine = int.from_bytes(data[18:20], order)
    flags_at = 36 if bits == 32 else 48
    flags = int.from_bytes(data[flags_at:flags_at + 4], order)
    abi = None
    if machine == 40:   # ARM: EF_ARM_ABI_FLOAT_HARD / _SOFT
        abi = "hard" if flags & 0x400 else "soft" if flags & 0x200 else "?"
    return bits, machine, abi


def image_files(ref, paths, docker=HOST):
    """{path: bytes} of files in an image (docker create, docker cp, which
    follows no symbolic link: each path must be a file)."""
    ctr = docker.run("create", ref)
    out = {}
    try:
        for p in paths:
            r = subprocess.run(["docker", "cp", f"{ctr}:{p}", "-"],
                               env=docker.env(), capture_output=True,
                               timeout=60)
            if r.returncode != 0:
                raise TestFailure(f"docker cp {ref}:{p}: "
                                  f"{r.stderr.decode().strip()}")
            with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
                m = t.getmembers()[0]
                if m.issym():
                    raise TestFailure(f"{p} in {ref} is a link to "
                                      f"{m.linkname}")
                out[p] = t.extractfile(m).read()
    finally:
        docker.run("rm", ctr, check_rc=False)
    return out


def stack(*args, timeout=1500, env=None):
    """./stack ARGS on this machine's engine; prints its output indented;
    returns (exit code, output, seconds)."""
    print(f"    $ ./stack {' '.join(args)}", flush=True)
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(SOURCE, "stack"), *args],
                       env=dict(os.environ, **(env or {})),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    secs = time.monotonic() - t0
    out = "\n".join(line for line in r.stdout.splitlines()
                    if not line.startswith("  Step "))
    print("      | " + out.rstrip().replace("\n", "\n      | "), flush=True)
    return r.returncode, r.stdout, secs


class TagGuard:
    """Records part5/* tags (and image IDs) before a test runs ./stack on
    a shared engine; restore() puts them back and removes what the run
    made. See the top of this file."""

    def __init__(self, names, docker=HOST):
        self.docker = docker
        self.tags = {}
        v = version()
        for n in names:
            for t in [v, "latest"] + [f"{v}-{s[0]}"
                                      for s in PLATFORMS.values()]:
                ref = f"part5/{n}:{t}"
                self.tags[ref] = self._id(ref)
        self.before = set(docker.run("images", "-qa", "--no-trunc")
                          .split())
        self.made = set()   # image IDs this run made (builder images too)
        kept = [r for r, i in self.tags.items() if i]
        if kept:
            note("part5 tags already on this engine, put back at the end: "
                 + ", ".join(kept))

    def _id(self, ref):
        r = self.docker.run("image", "inspect", "--format", "{{.Id}}", ref,
                            check_rc=False, quiet=True)
        return r.stdout.strip() if r.returncode == 0 else ""

    def saw(self, output):
        """Notes the builder images ./stack reported keeping as cache."""
        for short in re.findall(r"builder's image ([0-9a-f]{12})", output):
            full = self.docker.run("image", "inspect", "--format", "{{.Id}}",
                                   short, check_rc=False)
            if full.startswith("sha256:") and full not in self.before:
                self.made.add(full)

    def restore(self):
        """Puts every recorded tag back; removes the run's images that no
        tag names now. Never raises."""
        for ref in self.tags:
            now = self._id(ref)
            if now and now not in self.before:
                self.made.add(now)
        for ref, old in self.tags.items():
            with contextlib.suppress(Exception):
                if old:
                    self.docker.run("tag", old, ref)
                elif self._id(ref):
                    self.docker.run("rmi", "--no-prune", ref)
        for img in self.made:
            with contextlib.suppress(Exception):
                tags = self.docker.run("image", "inspect", "--format",
                                       "{{len .RepoTags}}", img,
                                       check_rc=False)
                if tags == "0":
                    self.docker.run("rmi", img, check_rc=False)


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)
