# SPDX-License-Identifier: Apache-2.0
"""Reliability of redis-bootstrap, the Redis image's entrypoint: a data
directory that is full, read-only, or a file, and no `redis` user. Each
must end with a clear message and a non-zero exit, and never with a
redis-server running as root (checked in /proc while it runs).

Real mounts: a small tmpfs filled to the last byte, a read-only tmpfs, a
read-only bind mount, and a private mount namespace (unshare -m) where
/etc/passwd and /etc/group are bind-mounted copies without redis. Every
mount is undone, even when a check fails.

Runs as root (mounts, the switch to user redis); as another user the test
is skipped (exit 77, as tests/integration/test_redis_bootstrap.py).
"""

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time

from part5test import (PREFIX, TIME_SCALE, VALGRIND_EXIT, binary, check,
                       free_port, require_root_and_redis, run,
                       sanitizer_findings, step)

require_root_and_redis("these tests mount file systems and start "
                       "redis-bootstrap as root")

BOOT = binary("redis-bootstrap")
REDIS = pwd.getpwnam("redis")
_mounts = []
_dirs = [tempfile.mkdtemp(prefix="relb-target-")]

# The entrypoint's record for check (services/redis/target.h) goes to a
# file of this run's, never to the machine's /run.
os.environ["REDIS_BOOTSTRAP_TARGET"] = os.path.join(_dirs[0], "target")


def tmpdir():
    d = tempfile.mkdtemp(prefix="relb-")
    os.chmod(d, 0o755)
    _dirs.append(d)
    return d


def mount(*args):
    """mount ARGS...; the mount point (the last argument) is undone at the
    end whatever happens."""
    subprocess.run(["mount", *args], check=True, capture_output=True,
                   timeout=30)
    _mounts.append(args[-1])


def umount(point):
    if point in _mounts:
        _mounts.remove(point)
    r = subprocess.run(["umount", point], capture_output=True, timeout=30)
    if r.returncode != 0:
        subprocess.run(["umount", "-l", point], capture_output=True,
                       timeout=30)


@atexit.register
def _undo():
    for point in reversed(list(_mounts)):
        umount(point)
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


def redis_servers(port):
    """(pid, uid) of every process whose command line has our port."""
    found = []
    # Redis rewrites its title: "redis-server 127.0.0.1:PORT".
    needle = re.compile(rb"(^|[\0 :])%d($|[\0 ])" % port)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{pid}/status") as f:
                uid = int([ln for ln in f if ln.startswith("Uid:")][0]
                          .split()[1])
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except (OSError, IndexError, ValueError):
            continue
        if comm == "redis-server" and needle.search(cmdline):
            found.append((int(pid), uid))
    return found


def run_boot(datadir, *extra, wrap=(), timeout=15):
    """Starts `redis-bootstrap redis-server` on a free port with --dir
    DATADIR, watching /proc every 20 ms while it runs: a redis-server of
    that port running as root fails the test at once. Returns (exit
    status or None if still running, output, port, pid, Popen)."""
    port = free_port()
    argv = list(wrap) + PREFIX + [BOOT, "redis-server", "--port", str(port),
                                  "--bind", "127.0.0.1", "--dir", datadir,
                                  *extra]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.monotonic() + timeout * TIME_SCALE
    rc = None
    while time.monotonic() < deadline:
        for pid, uid in redis_servers(port):
            if uid == 0:
                p.kill()
                raise AssertionError(f"redis-server {pid} runs as root")
        rc = p.poll()
        if rc is not None:
            break
        time.sleep(0.02)
    out = ""
    if rc is not None:
        out = p.stdout.read().decode("utf-8", "replace")
    return rc, out, port, p.pid, p


def must_refuse(what, datadir, want, *extra, wrap=()):
    """The bootstrapper must exit non-zero with `want` in its message and
    leave no redis-server behind."""
    rc, out, port, _, p = run_boot(datadir, *extra, wrap=wrap)
    if rc is None:
        p.kill()
        p.wait(5)
        raise AssertionError(f"{what}: still running after the timeout")
    errors = [ln for ln in out.splitlines() if " error: " in ln]
    print(f"    exit {rc}: {errors[-1] if errors else out[-300:]}",
          flush=True)
    check(rc != 0, f"{what}: non-zero exit ({rc})")
    check(any(want in ln for ln in errors), f"{what}: the message says "
          f"'{want}'")
    check("starting: redis-server" not in out, "redis-server was never "
          "started")
    found = sanitizer_findings(out)
    if PREFIX and rc == VALGRIND_EXIT:
        found.append(f"exit {rc}: valgrind found errors")
    check(not found, f"no sanitizer or valgrind report ({found[:3]})")
    check(not redis_servers(port), "no redis-server left behind")
    print(f"RESULT redis-bootstrap-fault case=\"{what}\" exit={rc} "
          f"redis_started=0", flush=True)
    return rc


def full_tmpfs(size="64k"):
    d = tmpdir()
    mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "relb-full", d)
    # Fill it to the last byte.
    fd = os.open(os.path.join(d, "filler"), os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    st = os.statvfs(d)
    check(st.f_bavail == 0, f"the tmpfs at {d} is full")
    return d


def test_full_data_directory():
    d = full_tmpfs()
    try:
        step("a full data directory, appendonly yes (the stack's setting)")
        must_refuse("full, appendonly yes", d, "is full", "--appendonly",
                    "yes")
        step("the same with appendonly no (Redis itself would start and "
             "fail at its first save)")
        must_refuse("full, appendonly no", d, "is full", "--appendonly",
                    "no")
        check(sorted(os.listdir(d)) == ["filler"], "no probe file left in "
              "it")
    finally:
        umount(d)


def test_small_but_not_full_directory_works():
    """The control: a 1 MiB tmpfs with room is accepted, and Redis runs
    as redis, not root."""
    d = tmpdir()
    mount("-t", "tmpfs", "-o", "size=1m,mode=0755", "relb-ok", d)
    p = None
    try:
        step("a small tmpfs with room")
        rc, out, port, pid, p = run_boot(d, "--appendonly", "yes",
                                         timeout=3)
        check(rc is None, f"still running after 3 s: {out[-300:]}")
        servers = redis_servers(port)
        check(servers == [(pid, REDIS.pw_uid)], f"redis-server {pid} runs "
              f"as redis ({REDIS.pw_uid}): {servers}")
        r = subprocess.run(["redis-cli", "-p", str(port), "SET", "k", "v"],
                           capture_output=True, text=True, timeout=10)
        check(r.stdout.strip() == "OK", "and accepts a write")
        check(not [n for n in os.listdir(d) if "probe" in n],
              "the write probe was removed")
        step("its other commands, run as the image's HEALTHCHECK and "
             "./stack run them (under TEST_PREFIX too)")
        source = os.environ.get("PART5_SOURCE", ".")
        # A host root with the Docker socket in it, so that the stack file
        # checks clean whether or not an engine runs on this machine.
        host_root = tmpdir()
        os.makedirs(os.path.join(host_root, "var", "run"))
        open(os.path.join(host_root, "var", "run", "docker.sock"), "w").close()
        for argv, want in (
                (["check", "--port", str(port)], 0),
                (["check", "--port", str(free_port()), "--timeout", "300"], 1),
                (["prepare", "--dry-run", "--host-root", host_root, "-f",
                  os.path.join(source, "compose",
                               "docker-compose.prod.yml")], 0),
                (["prepare", "--dry-run", "--host-root", host_root, "-f",
                  os.path.join(source, "tests", "fixtures", "compose",
                               "mistakes.yml")], 1)):
            r = subprocess.run(PREFIX + [BOOT] + argv, capture_output=True,
                               text=True, timeout=60 * TIME_SCALE)
            found = sanitizer_findings(r.stdout + r.stderr)
            check(r.returncode == want and not found,
                  f"{argv[0]} {argv[-1][-30:]}: exit {r.returncode}, no "
                  f"sanitizer or valgrind report {found[:2]}")
    finally:
        if p is not None:
            p.terminate()
            p.wait(10)
        umount(d)


def test_read_only_data_directory():
    d = tmpdir()
    mount("-t", "tmpfs", "-o", "size=1m,mode=0755,ro", "relb-ro", d)
    try:
        step("a read-only tmpfs (root's)")
        must_refuse("read-only tmpfs", d, "read-only file system",
                    "--appendonly", "yes")
    finally:
        umount(d)
    src, d = tmpdir(), tmpdir()
    os.chown(src, REDIS.pw_uid, REDIS.pw_gid)
    os.chmod(src, 0o700)
    mount("--bind", src, d)
    subprocess.run(["mount", "-o", "remount,bind,ro", d], check=True,
                   timeout=30)
    try:
        step("a read-only bind mount of a directory redis already owns")
        must_refuse("read-only bind mount", d, "read-only file system",
                    "--appendonly", "yes")
    finally:
        umount(d)


def test_data_directory_is_a_file():
    f = os.path.join(tmpdir(), "data")
    with open(f, "w") as fh:
        fh.write("not a directory\n")
    step("--dir names a file")
    must_refuse("a file", f, "is not a directory", "--appendonly", "yes")
    with open(f) as fh:
        check(fh.read() == "not a directory\n", "the file is untouched")
    check(os.stat(f).st_uid == 0, "and still root's")


def test_missing_redis_user():
    """In a private mount namespace, /etc/passwd and /etc/group without
    redis: no user to drop to, so Redis must not start at all."""
    etc = tmpdir()
    for name in ("passwd", "group"):
        with open(f"/etc/{name}") as src, \
                open(os.path.join(etc, name), "w") as dst:
            for line in src:
                if not line.startswith("redis:"):
                    dst.write(line)
    data = os.path.join(tmpdir(), "data")
    script = ("mount --bind \"$1\"/passwd /etc/passwd && "
              "mount --bind \"$1\"/group /etc/group && shift && "
              "exec \"$@\"")
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c", script,
            "sh", etc]
    step("no redis user (a private mount namespace)")
    must_refuse("no redis user", data, "no user 'redis'",
                "--appendonly", "yes", wrap=wrap)
    check(not os.path.exists(data), "the data directory was not created "
          "for nobody")
    r = subprocess.run(["getent", "passwd", "redis"], capture_output=True,
                       timeout=10)
    check(r.returncode == 0, "the host's own /etc/passwd is untouched")


if __name__ == "__main__":
    run([test_full_data_directory, test_small_but_not_full_directory_works,
         test_read_only_data_directory, test_data_directory_is_a_file,
         test_missing_redis_user])
