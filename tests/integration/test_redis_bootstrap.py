# SPDX-License-Identifier: Apache-2.0
"""Integration tests of redis-bootstrap: the real program, started as root,
starting Debian's real redis-server on free ports in temporary directories;
`check` against it; `prepare` against a temporary host root.

Runs as root (CI does): changing owners and dropping to the redis user
need it. As another user the whole test is skipped (exit 77, which ctest
reports as skipped, not passed)."""

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

from part5test import (BUILD, PREFIX, TIME_SCALE, VALGRIND_EXIT, Proc,
                       TestFailure, binary, check, free_port, proc_status,
                       require_root_and_redis, run, sanitizer_findings, step,
                       tcp_peer_ports, wait_until)

require_root_and_redis("these tests start redis-bootstrap as root "
                       "(owners, the switch to user redis)")

BOOT = binary("redis-bootstrap")
SOURCE = os.environ.get("PART5_SOURCE", ".")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "compose")
REDIS = pwd.getpwnam("redis")  # created by Debian's redis-server package
# The LD_PRELOAD shim that wins the mkdirat race (race_mkdirat.c).
RACE_SHIM = os.path.join(BUILD, "tests", "race_mkdirat.so")


_tmpdirs = []

# Where the entrypoints started here record their command line for check
# (services/redis/target.h): a file of this run's, never the machine's
# /run/redis-bootstrap.target. Tests that need a record of their own pass
# REDIS_BOOTSTRAP_TARGET themselves.
_tmpdirs.append(tempfile.mkdtemp(prefix="redis-bootstrap-target-"))
os.environ["REDIS_BOOTSTRAP_TARGET"] = os.path.join(_tmpdirs[0], "target")


def tmpdir():
    """A temporary directory others can traverse (mkdtemp makes 0700),
    removed when the test program ends."""
    d = tempfile.mkdtemp(prefix="redis-bootstrap-")
    os.chmod(d, 0o755)
    _tmpdirs.append(d)
    return d


@atexit.register
def _remove_tmpdirs():
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


def cli(port, *args, password=None):
    argv = ["redis-cli", "-p", str(port)]
    if password is not None:
        argv += ["--no-auth-warning", "-a", password]
    r = subprocess.run(argv + list(args), capture_output=True, text=True,
                       timeout=10)
    return r.stdout.strip()


def boot_run(args, env=None, timeout=30):
    """Runs redis-bootstrap with args (under TEST_PREFIX: valgrind, when
    set) and returns the CompletedProcess; a valgrind or sanitizer report
    fails the test at once."""
    r = subprocess.run(PREFIX + [BOOT] + list(args), capture_output=True,
                       text=True, env=env, timeout=timeout * TIME_SCALE)
    # valgrind's own notes ("--PID-- WARNING: unhandled amd64-linux
    # syscall: 437": it does not know openat2, so prepare takes its
    # fallback there) are not the program's output.
    r.stderr = "".join(line for line in r.stderr.splitlines(True)
                       if not re.match(r"--\d+-- ", line))
    found = sanitizer_findings(r.stdout + r.stderr)
    if found or (PREFIX and r.returncode == VALGRIND_EXIT):
        raise TestFailure(f"redis-bootstrap {' '.join(args[:1])}: "
                          f"{found[:5] or 'exit 99 (valgrind errors)'}")
    return r


def boot_check(port, *extra, env=None):
    """Runs `redis-bootstrap check` (with --port unless port is None);
    returns (exit status, output)."""
    e = dict(os.environ)
    e.pop("REDIS_PASSWORD_FILE", None)
    e.update(env or {})
    argv = ["check"] + (["--port", str(port)] if port else [])
    r = boot_run(argv + list(extra), env=e, timeout=60)
    return r.returncode, r.stdout + r.stderr


def start(datadir, *args, env=None, port=None, wait=True):
    """Starts `redis-bootstrap redis-server --port P --dir DATADIR ARGS` and
    waits until `check` says Redis is up. Returns the Proc, .port set."""
    port = port or free_port()
    argv = [BOOT, "redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--dir", datadir] + list(args)
    p = Proc(argv, env=env, name="redis-bootstrap")
    p.port = port
    if wait:
        pw = (env or {}).get("REDIS_PASSWORD_FILE")
        extra = ["--password-file", pw] if pw else []

        def up():
            if not p.alive():
                raise AssertionError(
                    f"redis-bootstrap exited ({p.p.returncode}):\n"
                    f"{p.output()}")
            return boot_check(port, "--timeout", "500", *extra,
                              env=env)[0] == 0
        wait_until(up, 15 * TIME_SCALE, interval=0.1, what="Redis to be up")
    return p


def test_root_owned_data_dir_becomes_usable():
    parent = tmpdir()
    data = os.path.join(parent, "data")
    step("a root-owned 0755 data directory with a user's file and an old "
         "root-owned dump.rdb")
    os.mkdir(data, 0o755)
    for name in ("notes.txt", "dump.rdb"):
        with open(os.path.join(data, name), "w") as f:
            f.write("x\n")
    check(os.stat(data).st_uid == 0, "the directory belongs to root")

    p = start(data, "--appendonly", "yes")
    check(cli(p.port, "SET", "k", "v") == "OK", "Redis can write: SET k v")
    check(cli(p.port, "BGREWRITEAOF").startswith("Background"),
          "Redis can rewrite its AOF in the directory")
    st = os.stat(data)
    check(st.st_uid == REDIS.pw_uid and st.st_gid == REDIS.pw_gid,
          f"the directory now belongs to redis ({REDIS.pw_uid}:"
          f"{REDIS.pw_gid})")
    check(os.stat(os.path.join(data, "dump.rdb")).st_uid == REDIS.pw_uid,
          "Redis' own dump.rdb was given to redis")
    check(os.stat(os.path.join(data, "notes.txt")).st_uid == 0,
          "the user's unrelated notes.txt still belongs to root")
    aofdir = os.path.join(data, "appendonlydir")
    names = sorted(os.listdir(aofdir))
    check(any(n.endswith(".manifest") for n in names),
          f"the AOF was written: {names}")
    out = p.output()
    check("given to user redis" in out, "the log says what changed")


def test_runs_as_redis_user():
    data = os.path.join(tmpdir(), "data")  # missing: created
    p = start(data, "--appendonly", "yes")
    pid = p.p.pid
    step(f"the process started (pid {pid}) is redis-server itself (exec)")
    with open(f"/proc/{pid}/comm") as f:
        check(f.read().strip() == "redis-server", "comm is redis-server")
    s = proc_status(pid)
    uid, gid = str(REDIS.pw_uid), str(REDIS.pw_gid)
    check(s["Uid"].split() == [uid] * 4, f"Uid {s['Uid']} (all {uid})")
    check(s["Gid"].split() == [gid] * 4, f"Gid {s['Gid']} (all {gid})")
    check(s["Groups"] == "", f"no supplementary groups ({s['Groups']!r})")
    check(s["Umask"] == "0077", f"Umask {s['Umask']}")
    check(s["NoNewPrivs"] == "1", "NoNewPrivs 1")
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        check(int(s[cap], 16) == 0, f"{cap} {s[cap]} (none)")

    step("the data directory was created for redis, files are private")
    st = os.stat(data)
    check(st.st_uid == REDIS.pw_uid and stat.S_IMODE(st.st_mode) == 0o700,
          f"created owned by redis, mode {oct(stat.S_IMODE(st.st_mode))}")
    cli(p.port, "SET", "a", "1")
    for root, _, files in os.walk(data):
        for name in files:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            check(mode & 0o077 == 0, f"{name} is {oct(mode)} (umask 0077)")

    step("SIGTERM goes to Redis itself, which saves and exits 0")
    p.signal(signal.SIGTERM)
    check(p.wait(15 * TIME_SCALE) == 0, "exit status 0")
    check("Received SIGTERM" in p.output(), "Redis logged the SIGTERM")


def test_appendonly_survives_restart():
    data = os.path.join(tmpdir(), "data")
    p = start(data, "--appendonly", "yes")
    for _ in range(3):
        cli(p.port, "INCR", "counter")
    check(cli(p.port, "GET", "counter") == "3", "counter is 3")
    step("stop Redis (SIGTERM), give every file back to root, as a host's "
         "root-owned directory would be")
    p.stop()
    for root, dirs, files in os.walk(data):
        for name in dirs + files:
            os.chown(os.path.join(root, name), 0, 0)
    os.chown(data, 0, 0)

    step("a fresh start through the bootstrapper finds the data")
    p2 = start(data, "--appendonly", "yes")
    check(cli(p2.port, "GET", "counter") == "3", "counter is still 3")
    check(cli(p2.port, "INCR", "counter") == "4", "and counts on: 4")


def test_password_from_file():
    d = tmpdir()
    data = os.path.join(d, "data")
    password = 'p"a$s w\\rd-' + "é"
    secret = os.path.join(d, "redis_password")
    with open(secret, "w", encoding="utf-8") as f:
        f.write(password + "\n")  # a trailing newline, as `echo` writes
    os.chmod(secret, 0o400)  # root only: read before dropping root
    env = {"REDIS_PASSWORD_FILE": secret}
    p = start(data, "--appendonly", "yes", env=env)

    step("Redis requires the password")
    check(cli(p.port, "PING").startswith("NOAUTH"), "PING without it: NOAUTH")
    got = cli(p.port, "PING", password="wrong")
    check(got != "PONG" and "NOAUTH" in got,
          f"a wrong password is refused ({got!r})")
    check(cli(p.port, "PING", password=password) == "PONG",
          "PING with the secret's password: PONG")

    step("the password is in neither the command line nor the environment")
    for what in ("cmdline", "environ"):
        with open(f"/proc/{p.p.pid}/{what}", "rb") as f:
            blob = f.read()
        check(password.encode() not in blob and b"p\"a$s" not in blob,
              f"/proc/<pid>/{what} does not hold it")
    check(password not in p.output(), "the log does not show it")

    step("check uses the same secret")
    rc, out = boot_check(p.port, env=env)
    check(rc == 0 and "up" in out, f"check with REDIS_PASSWORD_FILE: {out!r}")
    rc, out = boot_check(p.port)
    check(rc == 1 and "requires a password" in out,
          f"check without it: {out.strip()!r}")
    bad = os.path.join(d, "bad")
    with open(bad, "w") as f:
        f.write("nope")
    rc, out = boot_check(p.port, "--password-file", bad)
    check(rc == 1 and "refused the password" in out,
          f"check with a wrong one: {out.strip()!r}")

    step("a missing secret stops the start with a clear message")
    q = start(os.path.join(d, "data2"), env={
        "REDIS_PASSWORD_FILE": os.path.join(d, "missing")}, wait=False)
    check(q.wait(10 * TIME_SCALE) == 1, "exit status 1")
    check("REDIS_PASSWORD_FILE: cannot open secret file" in q.output()
          and "docker secret ls" in q.output(), "the message says what to do")

    step("--requirepass on the command line as well is refused")
    q = start(os.path.join(d, "data3"), "--requirepass", "x", env=env,
              wait=False)
    check(q.wait(10 * TIME_SCALE) == 1, "exit status 1")
    check("keep only REDIS_PASSWORD_FILE" in q.output(), "it says why")


def test_check_up_down_loading():
    port = free_port()
    rc, out = boot_check(port)
    check(rc == 1 and "down" in out, f"nothing listening: {out.strip()!r}")

    step("check --wait waits for a Redis that starts later")
    data = os.path.join(tmpdir(), "data")
    waiter = subprocess.Popen([BOOT, "check", "--port", str(port), "--wait",
                               str(int(20 * TIME_SCALE))],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    time.sleep(0.5)
    p = start(data, "--save", "", "--enable-debug-command", "local",
              port=port)
    out, _ = waiter.communicate(timeout=30 * TIME_SCALE)
    check(waiter.returncode == 0 and "up" in out, f"--wait: {out.strip()!r}")

    step("a data set that takes seconds to load: check says 'loading'")
    check(cli(port, "DEBUG", "POPULATE", "20000") == "OK",
          "20000 keys written")
    check(cli(port, "SAVE") == "OK", "saved to dump.rdb")
    p.stop()
    # key-load-delay (microseconds per key) is Redis' own test hook; with
    # a small events interval Redis answers clients while it loads.
    p = start(data, "--key-load-delay", "300",
              "--loading-process-events-interval-bytes", "1024", port=port,
              wait=False)
    def loading():
        rc, out = boot_check(port)
        return out if rc == 1 and "loading" in out else None
    out = wait_until(loading, 10 * TIME_SCALE, interval=0.05,
                     what="check to report loading")
    check("loading its data set" in out, f"while loading: {out.strip()!r}")
    rc, out = boot_check(port, "--wait", str(int(60 * TIME_SCALE)))
    check(rc == 0, f"after loading: {out.strip()!r}")
    check(cli(port, "DBSIZE") == "20000", "all 20000 keys are there")


def own_target():
    """A record path of one's own, as a container has its own /run."""
    return {"REDIS_BOOTSTRAP_TARGET": os.path.join(tmpdir(), "target")}


def test_check_follows_entrypoint():
    """Issue 11, item 3: with no option, check reaches the Redis the
    entrypoint started, as the image's HEALTHCHECK must: its port, bind
    address and password from the command line, a config file, or
    REDIS_PASSWORD_FILE."""
    step("--port and --requirepass on the command line")
    env = own_target()
    p = start(os.path.join(tmpdir(), "data"), "--requirepass", "s3 cret",
              env=env)
    rc, out = boot_check(None, env=env)
    check(rc == 0 and f"127.0.0.1:{p.port} is up" in out,
          f"check with no option: {out.strip()!r}")
    with open(env["REDIS_BOOTSTRAP_TARGET"], "rb") as f:
        rec = f.read()
    st = os.stat(env["REDIS_BOOTSTRAP_TARGET"])
    check(st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o600 and
          b"--port\0%d\0" % p.port in rec,
          "the record is root's, mode 0600, and holds the command line")
    p.stop()

    step("a config file setting port, bind and requirepass")
    d = tmpdir()
    env = own_target()
    port = free_port()
    conf = os.path.join(d, "redis.conf")
    with open(conf, "w") as f:
        f.write(f"port {port}\nbind 127.0.0.1 -::1\n"
                f'requirepass "pa ss"\ndir "{d}/data"\n')
    os.chmod(conf, 0o644)
    p = Proc([BOOT, conf], env=env, name="redis-bootstrap")
    wait_until(lambda: boot_check(None, env=env)[0] == 0, 15 * TIME_SCALE,
               interval=0.1, what="check (no option) to find Redis up")
    check(cli(port, "PING", password="pa ss") == "PONG",
          f"Redis listens on {port} with the file's password")
    p.stop()

    step("REDIS_PASSWORD_FILE and --port: the same environment as the "
         "container's")
    d = tmpdir()
    secret = os.path.join(d, "secret")
    with open(secret, "w") as f:
        f.write("from-a-secret\n")
    os.chmod(secret, 0o400)
    env = dict(own_target(), REDIS_PASSWORD_FILE=secret)
    p = start(os.path.join(d, "data"), env=env)
    rc, out = boot_check(None, env=env)
    check(rc == 0 and f"127.0.0.1:{p.port} is up" in out,
          f"check with no option: {out.strip()!r}")
    wrong = os.path.join(d, "wrong")
    with open(wrong, "w") as f:
        f.write("wrong\n")
    rc, out = boot_check(None, "--password-file", wrong, env=env)
    check(rc == 1 and "refused the password" in out,
          f"an option still wins over the record: {out.strip()!r}")
    p.stop()

    step("a record check cannot trust is refused")
    env = own_target()
    with open(env["REDIS_BOOTSTRAP_TARGET"], "w") as f:
        f.write("redis-bootstrap target 1\nredis-server\0")
    os.chmod(env["REDIS_BOOTSTRAP_TARGET"], 0o666)
    rc, out = boot_check(None, env=env)
    check(rc == 1 and "not a record the entrypoint wrote" in out,
          f"writable by others: {out.strip()[-100:]!r}")


def test_check_drops_root():
    """Issue 11, item 3: check, started as root (as Docker runs the
    HEALTHCHECK in this image), is not root while it talks to Redis. Redis
    is paused (CLIENT PAUSE) so that check waits for its answer, connected,
    while /proc is read."""
    env = own_target()
    p = start(os.path.join(tmpdir(), "data"), env=env)
    # Long enough for check to start (slower under valgrind). It cannot be
    # cut short: CLIENT UNPAUSE waits for the pause like any command.
    pause = int(2000 * min(TIME_SCALE, 3))
    check(cli(p.port, "CLIENT", "PAUSE", str(pause), "ALL") == "OK",
          f"Redis paused for {pause} ms")
    c = Proc([BOOT, "check", "--port", str(p.port), "--timeout", "60000"],
             env=env, name="check")

    def connected():
        if not c.alive():
            raise AssertionError(f"check exited:\n{c.output()}")
        return p.port in tcp_peer_ports(c.p.pid) and proc_status(c.p.pid)
    seen = wait_until(connected, 10 * TIME_SCALE, interval=0.01,
                      what="check to connect to Redis")
    check(p.port in tcp_peer_ports(c.p.pid), "check is still connected "
          "(waiting for Redis) while its status is read")
    uid, gid = str(REDIS.pw_uid), str(REDIS.pw_gid)
    check(seen["Uid"].split() == [uid] * 4 and seen["Gid"].split() ==
          [gid] * 4, f"Uid {seen['Uid']}, Gid {seen['Gid']}: user redis, "
          "not root")
    check(seen["Groups"] == "", "no supplementary groups")
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        check(int(seen[cap], 16) == 0, f"{cap} {seen[cap]} (none)")
    check(seen["NoNewPrivs"] == "1", "NoNewPrivs 1")
    check(c.wait(30 * TIME_SCALE) == 0 and "is up" in c.output(),
          f"and it says up once Redis answers: {c.output().strip()!r}")


def test_other_conventions():
    d = tmpdir()
    step("first argument an option: redis-server goes in front")
    port = free_port()
    p = Proc([BOOT, "--port", str(port), "--bind", "127.0.0.1", "--dir",
              os.path.join(d, "a")], name="redis-bootstrap")
    wait_until(lambda: boot_check(port, "--timeout", "500")[0] == 0,
               15 * TIME_SCALE, interval=0.1, what="Redis to be up")
    check("running redis-server with them" in p.output(), "it says so")
    p.stop()

    step("a .conf file first: its dir is the data directory")
    port = free_port()
    conf = os.path.join(d, "redis.conf")
    confdata = os.path.join(d, "from conf")
    with open(conf, "w") as f:
        f.write(f'port {port}\nbind 127.0.0.1\ndir "{confdata}"\n'
                "appendonly yes\n")
    p = Proc([BOOT, conf], name="redis-bootstrap")
    wait_until(lambda: boot_check(port, "--timeout", "500")[0] == 0,
               15 * TIME_SCALE, interval=0.1, what="Redis to be up")
    cli(port, "SET", "x", "1")
    check(os.stat(confdata).st_uid == REDIS.pw_uid,
          "the config file's dir was created for redis")
    check(os.path.isdir(os.path.join(confdata, "appendonlydir")),
          "Redis writes there")
    p.stop()

    step("other commands run as they are")
    r = subprocess.run([BOOT, "redis-cli", "--version"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 0 and r.stdout.startswith("redis-cli "),
          f"redis-cli --version: {r.stdout.strip()!r}")
    r = subprocess.run([BOOT, "no-such-program"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 127 and "not a redis-bootstrap command" in r.stderr,
          f"an unknown command: 127, {r.stderr.strip()[-90:]!r}")

    step("--version and --help")
    r = subprocess.run([BOOT, "--version"], capture_output=True, text=True,
                       timeout=10)
    check(r.returncode == 0 and r.stdout.startswith("redis-bootstrap "),
          f"--version: {r.stdout.strip()!r}")
    r = subprocess.run([BOOT, "--help"], capture_output=True, text=True,
                       timeout=10)
    check(r.returncode == 0 and "prepare" in r.stdout and "check" in
          r.stdout, "--help describes the commands")
    r = subprocess.run([BOOT], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and "no command given" in r.stderr,
          "no arguments: usage, exit 2")


def test_not_root():
    """Started as another user (as with `docker run --user`), it skips what
    needs root, says so, and Redis runs as that user."""
    nobody = pwd.getpwnam("nobody")
    d = tmpdir()
    own = os.path.join(d, "own")
    os.mkdir(own, 0o700)
    os.chown(own, nobody.pw_uid, nobody.pw_gid)

    def as_nobody():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    port = free_port()
    log = open(os.path.join(d, "log"), "wb")
    p = subprocess.Popen([BOOT, "redis-server", "--port", str(port), "--bind",
                          "127.0.0.1", "--dir", own], stdout=log,
                         stderr=subprocess.STDOUT, preexec_fn=as_nobody,
                         start_new_session=True)
    try:
        wait_until(lambda: boot_check(port, "--timeout", "500")[0] == 0,
                   15 * TIME_SCALE, interval=0.1, what="Redis to be up")
        s = proc_status(p.pid)
        check(s["Uid"].split()[0] == str(nobody.pw_uid),
              f"Redis runs as nobody (uid {s['Uid'].split()[0]})")
        check(s["Umask"] == "0077" and s["NoNewPrivs"] == "1",
              "umask 0077 and no-new-privileges still set")
        with open(os.path.join(d, "log")) as f:
            out = f.read()
        check("not root" in out and "not changing the owner" in out,
              "the log says what it skipped")
    finally:
        p.terminate()
        p.wait(10)

    step("a root-owned directory: a clear error, Redis not started")
    rootdir = os.path.join(d, "rootdir")
    os.mkdir(rootdir, 0o755)
    r = subprocess.run([BOOT, "redis-server", "--port", str(free_port()),
                        "--dir", rootdir], capture_output=True, text=True,
                       preexec_fn=as_nobody, timeout=10)
    check(r.returncode == 1, "exit status 1")
    check("not writable by uid" in r.stderr and "chown" in r.stderr,
          f"says what to do: {r.stderr.strip()[-120:]!r}")


def prepare(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    r = boot_run(["prepare"] + list(args), env=e)
    return r.returncode, r.stdout, r.stderr


def mode_owner(path):
    st = os.lstat(path)
    return oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid


def race_env(name, victim):
    """The environment that makes race_mkdirat.so swap the directory NAME
    for a link to VICTIM right after mkdirat() creates it."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    return {"LD_PRELOAD": RACE_SHIM, "PART5_RACE_NAME": name,
            "PART5_RACE_VICTIM": victim,
            # An ASan build wants its runtime first among the libraries.
            "ASAN_OPTIONS": (asan + ":" if asan else "") +
            "verify_asan_link_order=0"}


def must_not_start(argv, env=None):
    """Runs the entrypoint, which must stop with exit status 1 before
    Redis starts; returns its output."""
    p = Proc(argv, env=env, name="redis-bootstrap")
    try:
        rc = p.wait(10 * TIME_SCALE)
    except subprocess.TimeoutExpired:
        p.stop()
        raise AssertionError(f"it started Redis instead:\n{p.output()}")
    check(rc == 1, f"exit status {rc}")
    return p.output()


def test_mkdirat_race():
    """Issue 11, item 1: between mkdirat() and the chmod/chown, a user who
    can write in the parent renames the new directory and plants a link to
    a victim. Won every time by race_mkdirat.so, on the real program."""
    tutorial = os.path.join(FIXTURES, "docker-compose.part5-redis.yml")
    root = tmpdir()
    victim = os.path.join(root, "victim")
    os.mkdir(victim, 0o755)
    before = mode_owner(victim)
    step("prepare: /home/docker/data becomes a link to /victim (a 0755 "
         "root directory of the host root) right after it is created")
    rc, out, err = prepare("-f", tutorial, "--host-root", root,
                           env=race_env("data", "/victim"))
    data = os.path.join(root, "home", "docker", "data")
    check(os.path.islink(data), "the race was won: the link is in place")
    check(mode_owner(victim) == before, f"the victim is still {before}")
    lines = [ln for ln in out.splitlines() if ": error: " in ln and
             "/home/docker/data" in ln]
    check(rc == 1 and lines, f"exit 1 ({rc}) with an error naming the path: "
          f"{lines[:1]}")

    step("the entrypoint: a missing --dir swapped the same way")
    d = tmpdir()
    victim = os.path.join(d, "victim")
    os.mkdir(victim, 0o755)
    before = mode_owner(victim)
    data = os.path.join(d, "data")
    out = must_not_start([BOOT, "redis-server", "--port", str(free_port()),
                          "--bind", "127.0.0.1", "--dir", data],
                         env=race_env("data", victim))
    check(os.path.islink(data), "the race was won: the link is in place")
    check(mode_owner(victim) == before, f"the victim is still {before}")
    check(data in out and "nothing was changed" in out,
          "the message names the path")


def test_data_dir_guards():
    """Issue 11, item 2: system trees refused by prefix, and no symbolic
    link followed in --dir or in a config file's dir."""
    step("--dir in /run (a system tree): refused, nothing created")
    top = f"/run/test-redis-bootstrap-{os.getpid()}"
    _tmpdirs.append(top)
    out = must_not_start([BOOT, "redis-server", "--port", str(free_port()),
                          "--dir", top + "/data"])
    check(not os.path.exists(top), f"{top} was not created")
    check("in /run, a system directory" in out, "the message says why")

    step("a config file's dir through a symbolic link: refused")
    d = tmpdir()
    real = os.path.join(d, "real")
    os.mkdir(real, 0o755)
    os.symlink(real, os.path.join(d, "link"))
    conf = os.path.join(d, "redis.conf")
    with open(conf, "w") as f:
        f.write(f"port {free_port()}\nbind 127.0.0.1\n"
                f'dir "{d}/link/data"\n')
    out = must_not_start([BOOT, conf])
    check(not os.path.exists(os.path.join(real, "data")),
          "nothing was created behind the link")
    check(f"{d}/link is a symbolic link" in out, "the message names the link")

    step("--dir with a link in an earlier component, to an existing "
         "directory: refused, its owner unchanged")
    os.mkdir(os.path.join(real, "data"), 0o755)
    before = mode_owner(os.path.join(real, "data"))
    out = must_not_start([BOOT, "redis-server", "--port", str(free_port()),
                          "--dir", f"{d}/link/data"])
    check(mode_owner(os.path.join(real, "data")) == before,
          f"{real}/data is still {before}")
    check(f"{d}/link is a symbolic link" in out, "the message names the link")


def test_prepare_host_root():
    tutorial = os.path.join(FIXTURES, "docker-compose.part5-redis.yml")
    root = tmpdir()
    step("--dry-run changes nothing")
    rc, out, _ = prepare("-f", tutorial, "--host-root", root, "--dry-run")
    check("would create: " in out and "/home/docker/data (owner 999:999, "
          "mode 0700) for service redis" in out, "says what it would do")
    check(os.listdir(root) == [], "the host root is still empty")
    check(rc == 1, "exit 1: the tutorial file has errors")

    step("for real: /home/docker/data created for the Redis image's uid")
    rc, out, err = prepare("-f", tutorial, "--host-root", root)
    data = os.path.join(root, "home", "docker", "data")
    st = os.stat(data)
    check(st.st_uid == 999 and st.st_gid == 999, "owned by 999:999")
    check(stat.S_IMODE(st.st_mode) == 0o700, "mode 0700")
    check(os.stat(os.path.join(root, "home")).st_uid == 0, "parents: root")
    lines = out.splitlines()
    check(f"{tutorial}:5:12: error: service web: image 'username/repo:tag' "
          "is the tutorial's placeholder" in out, "placeholder at 5:12")
    check(any(l.startswith(f"{tutorial}:32:9: warning: service redis: "
                           "Redis' port 6379 is published") for l in lines),
          "6379 published without a password at 32:9 (a warning: the "
          "tutorial does it on purpose)")
    check(any(l.startswith(f"{tutorial}:23:9: error:") and "docker.sock" in l
              for l in lines), "no docker.sock under this host root: 23:9")
    check(lines[-1] == f"{tutorial}: 2 errors, 1 warning", lines[-1])
    check(rc == 1 and err == "", "exit 1, nothing on stderr")

    step("with a Docker socket in the host root (/var/run -> /run, as on "
         "Debian), only the tutorial's own mistakes remain")
    os.mkdir(os.path.join(root, "run"))
    os.mkdir(os.path.join(root, "var"))
    os.symlink("/run", os.path.join(root, "var", "run"))
    # First with the link but no socket: the link means the host root's
    # /run, never this machine's (which has a docker.sock when an engine
    # runs here). Under valgrind, which lacks openat2, this is the
    # user-space walk of services/redis/in_root.c.
    rc, out, _ = prepare("-f", tutorial, "--host-root", root)
    check(any(l.startswith(f"{tutorial}:23:9: error:") and "docker.sock" in l
              for l in out.splitlines()),
          "the link is resolved inside the host root: no socket there yet")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(root, "run", "docker.sock"))
    rc, out, _ = prepare("-f", tutorial, "--host-root", root)
    sock.close()
    check(f"ok: {root}/var/run/docker.sock exists (service visualizer)" in
          out, "the socket is found through the link")
    check(f"ok: {root}/home/docker/data exists (service redis)" in out,
          "the data directory is there from the first run")
    check(out.splitlines()[-1] == f"{tutorial}: 1 error, 1 warning",
          out.splitlines()[-1])

    step("--owner, and a second run finds the directory")
    root2 = tmpdir()
    rc, out, _ = prepare("-f", tutorial, "--host-root", root2, "--owner",
                         f"{REDIS.pw_uid}:{REDIS.pw_gid}")
    check(os.stat(os.path.join(root2, "home/docker/data")).st_uid ==
          REDIS.pw_uid, "--owner is used")
    rc, out, _ = prepare("-f", tutorial, "--host-root", root2)
    check("/home/docker/data exists (service redis)" in out, "exists")

    step("exit codes: a good stack 0, warnings only 0, not compose 2")
    rc, out, _ = prepare("-f", os.path.join(FIXTURES, "good-stack.yml"),
                         "--host-root", tmpdir())
    check(rc == 0 and "0 errors, 0 warnings" in out, "good stack: 0")
    warn = os.path.join(tmpdir(), "warn.yml")
    with open(warn, "w") as f:
        f.write("services:\n  redis:\n    image: redis\n"
                "    volumes: [\"./data:/data\"]\n")
    rc, out, _ = prepare("-f", warn, "--host-root", tmpdir())
    check(rc == 0 and "0 errors, 3 warnings" in out,
          f"warnings only: 0 ({out.splitlines()[-1]})")
    for name, where in (("not-compose.yml", ":1:1: error: not a compose "
                         "file"),
                        ("tabs.yml", ":4:1: error: a tab character"),
                        ("binary.bin", ":1:1: error: not a text file"),
                        ("empty.yml", ": error: the file is empty")):
        path = os.path.join(FIXTURES, name)
        rc, out, err = prepare("-f", path, "--host-root", tmpdir())
        check(rc == 2 and err.count("\n") == 1 and (path + where) in err
              and out == "", f"{name}: exit 2, one line: {err.strip()!r}")
    rc, out, err = prepare("-f", "/nonexistent.yml")
    check(rc == 2 and "give its path with -f" in err, "a missing file: 2")
    rc, out, err = prepare("-f", tutorial, "--role", "boss")
    check(rc == 2 and "give manager or worker" in err, "a bad option: 2")

    step("on a worker, nothing of the manager's is created")
    root3 = tmpdir()
    rc, out, _ = prepare("-f", tutorial, "--host-root", root3, "--role",
                         "worker")
    check(os.listdir(root3) == [], "nothing created on a worker")


if __name__ == "__main__":
    run([test_root_owned_data_dir_becomes_usable, test_runs_as_redis_user,
         test_appendonly_survives_restart, test_password_from_file,
         test_check_up_down_loading, test_check_follows_entrypoint,
         test_check_drops_root, test_other_conventions, test_not_root,
         test_prepare_host_root, test_mkdirat_race, test_data_dir_guards])
