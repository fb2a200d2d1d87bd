#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Dockerfiles/rootfs.sh finds a program's libraries from its ELF headers
(DT_NEEDED, RUNPATH with $ORIGIN, the interpreter), so that it lays out
cross-compiled programs of another architecture too. On this machine's own
programs it must copy exactly what ldd names. No engine (label unit).

- our three programs, Debian's redis-server and curl: the same files as
  ldd's closure (the loader at its interpreter path, each library once),
  and the copyright file of every Debian package those files come from;
- a program whose library is found through RUNPATH=$ORIGIN/lib;
- a program whose library is missing: a clear error naming it;
- a relative path: refused.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from part5test import SOURCE, binary, check, run, step

ROOTFS = os.path.join(SOURCE, "Dockerfiles", "rootfs.sh")


def ldd_closure(path):
    """The files ldd says PATH loads (the program itself included), as
    paths with /usr/lib folded onto /lib (merged /usr)."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    files = {os.path.realpath(path)}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] == "=>" and f[2].startswith("/"):
            files.add(f[2])
        elif f and f[0].startswith("/"):
            files.add(f[0])
    return {fold(p) for p in files}


def fold(p):
    for usr, root in (("/usr/lib64/", "/lib64/"), ("/usr/lib/", "/lib/")):
        if p.startswith(usr):
            return root + p[len(usr):]
    return p


def laid_out(dest):
    """The regular files under DEST but /etc and the copyright files, as
    absolute paths (folded)."""
    out = set()
    for d, _, names in os.walk(dest):
        for n in names:
            full = os.path.join(d, n)
            rel = "/" + os.path.relpath(full, dest)
            if os.path.isfile(full) and not os.path.islink(full) and \
                    not rel.startswith(("/etc/", "/usr/share/doc/")):
                out.add(fold(rel))
    return out


def packages_of(paths):
    """The Debian packages that installed PATHS (either merged-/usr name),
    asked of dpkg-query apart from rootfs.sh's own way, in one call (each
    call reads dpkg's whole database)."""
    names = {p: (p, fold(p), "/usr" + fold(p)) for p in paths}
    asked = sorted({n for c in names.values() for n in c})
    out = subprocess.run(["dpkg-query", "-S", *asked], capture_output=True,
                         text=True, timeout=60).stdout
    owner = {}
    for line in out.splitlines():
        if line.startswith("diversion by "):
            continue
        pkgs, sep, path = line.partition(": /")
        if sep:
            owner["/" + path] = pkgs.split(",")[0].split(":")[0].strip()
    found = set()
    for cands in names.values():
        for c in cands:
            if c in owner:
                found.add(owner[c])
                break
    return found


def copyrights(dest):
    """{package: copyright text} of DEST's /usr/share/doc."""
    doc = os.path.join(dest, "usr", "share", "doc")
    out = {}
    for pkg in os.listdir(doc) if os.path.isdir(doc) else []:
        with open(os.path.join(doc, pkg, "copyright")) as f:
            out[pkg] = f.read()
    return out


def rootfs(dest, *binaries):
    return subprocess.run(["sh", ROOTFS, dest, *binaries],
                          capture_output=True, text=True, timeout=120)


def test_the_same_files_as_ldd():
    progs = [binary("hello"), binary("visualizer"),
             binary("redis-bootstrap")]
    for extra in ("/usr/bin/redis-server", "/usr/bin/curl"):
        if os.path.exists(extra):
            progs.append(os.path.realpath(extra))
    for p in progs:
        step(f"rootfs.sh DEST {p}")
        d = tempfile.mkdtemp(prefix="p5-rootfs-")
        try:
            r = rootfs(os.path.join(d, "root"), p)
            check(r.returncode == 0, f"exit 0 ({r.stderr.strip()})")
            got = laid_out(os.path.join(d, "root"))
            want = ldd_closure(p)
            check(got == want, f"{len(got)} files, the same as ldd's"
                  + ("" if got == want else
                     f": extra {sorted(got - want)}, missing "
                     f"{sorted(want - got)}"))
            pkgs = packages_of(want)
            have = copyrights(os.path.join(d, "root"))
            check(set(have) == pkgs and all(
                have[k] == open(f"/usr/share/doc/{k}/copyright").read()
                for k in have), f"the copyright file of each of its "
                f"{len(pkgs)} Debian packages ({', '.join(sorted(pkgs))})"
                + ("" if set(have) == pkgs else f"; got {sorted(have)}"))
        finally:
            shutil.rmtree(d, ignore_errors=True)


def cc(*args):
    subprocess.run(["cc", *args], check=True, timeout=120,
                   capture_output=True)


def test_runpath_origin_and_a_missing_library():
    d = tempfile.mkdtemp(prefix="p5-rootfs-")
    try:
        os.makedirs(os.path.join(d, "app", "lib"))
        with open(os.path.join(d, "lib.c"), "w") as f:
            f.write("int p5_answer(void) { return 42; }\n")
        with open(os.path.join(d, "main.c"), "w") as f:
            f.write("int p5_answer(void);\n"
                    "int main(void) { return p5_answer() == 42 ? 0 : 1; }\n")
        lib = os.path.join(d, "app", "lib", "libp5answer.so")
        cc("-shared", "-fPIC", "-o", lib, os.path.join(d, "lib.c"))
        prog = os.path.join(d, "app", "prog")
        cc("-o", prog, os.path.join(d, "main.c"), "-L" + os.path.dirname(lib),
           "-lp5answer", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib")
        check(subprocess.run([prog], timeout=10).returncode == 0,
              "a program that finds its library through RUNPATH=$ORIGIN/lib")
        step("rootfs.sh on it")
        r = rootfs(os.path.join(d, "root"), prog)
        check(r.returncode == 0, f"exit 0 ({r.stderr.strip()})")
        got = laid_out(os.path.join(d, "root"))
        check(fold(lib) in got and got == ldd_closure(prog),
              "the library came from $ORIGIN/lib, and the files are ldd's")
        step("the same with the library gone")
        os.unlink(lib)
        r = rootfs(os.path.join(d, "root2"), prog)
        check(r.returncode != 0 and "libp5answer.so" in r.stderr and
              "lacks" in r.stderr, f"an error naming it: {r.stderr.strip()}")
        step("a relative path")
        r = subprocess.run(["sh", ROOTFS, os.path.join(d, "root3"),
                            "app/prog"], cwd=d, capture_output=True,
                           text=True, timeout=60)
        check(r.returncode != 0 and "absolute path" in r.stderr,
              f"refused: {r.stderr.strip()}")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run([test_the_same_files_as_ldd,
                  test_runpath_origin_and_a_missing_library]))
