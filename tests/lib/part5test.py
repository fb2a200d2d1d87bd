# SPDX-License-Identifier: Apache-2.0
"""part5test: what the integration, e2e and browser tests share.

Standard library only. Real servers on free ports in temporary
directories, processes that are always cleaned up, HTTP with timings,
and a tiny runner that prints each step so a failure log reads like a
story. Every wait is bounded in time.
"""

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BUILD = os.environ.get("PART5_BUILD", os.path.join(os.getcwd(), "build"))
SOURCE = os.environ.get(
    "PART5_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
# A prefix for the programs under test, e.g. "valgrind --error-exitcode=99"
# (hiredis test.sh TEST_PREFIX).
PREFIX = os.environ.get("TEST_PREFIX", "").split()
# Timing bounds in tests are multiplied by this: programs run 5-20 times
# slower under valgrind.
TIME_SCALE = 8.0 if any("valgrind" in p for p in PREFIX) else 1.0
# CI sets PART5_REQUIRE_ALL=1: then a test that cannot run here (not root,
# a tool missing) fails instead of being skipped, so a test that silently
# stops running is noticed (.ci/run).
REQUIRE_ALL = os.environ.get("PART5_REQUIRE_ALL") == "1"
# How long our programs get to exit after SIGTERM before they are killed:
# under valgrind a killed program loses its leak report, so that is a
# finding, never a silent pass (cleanup()).
STOP_TIMEOUT = 10.0 * TIME_SCALE


class Deadline(BaseException):
    """The test ran out of its own time (PART5_DEADLINE). A BaseException,
    so no `except Exception` in a test swallows it: it unwinds through
    every `finally`, which removes what the test made."""


# ctest kills a test at its TIMEOUT, with no chance to clean up (CMake
# 3.25 has no TIMEOUT_SIGNAL_NAME). So every Python test gets a deadline of
# its own below that (tests/CMakeLists.txt: PART5_DEADLINE, a fifth of the
# TIMEOUT before it), and its cleanup runs in the time that is left.
DEADLINE = int(os.environ.get("PART5_DEADLINE", "0") or 0)


def _deadline_passed(signum, frame):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    raise Deadline(f"the test's own deadline of {DEADLINE} s passed "
                   "(PART5_DEADLINE, below ctest's TIMEOUT): cleaning up")


if DEADLINE > 0:
    signal.signal(signal.SIGALRM, _deadline_passed)
    signal.alarm(DEADLINE)


def binary(name):
    """Path of a program built in the build tree."""
    for sub in ("web", "visualizer", "services/redis", ""):
        path = os.path.join(BUILD, sub, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(f"{name} not built under {BUILD}")


def step(msg):
    print(f"--- {msg}", flush=True)


class TestFailure(AssertionError):
    pass


def cannot_run(why):
    """A test that cannot run here: prints "skipped" and returns, or, with
    PART5_REQUIRE_ALL=1 (CI), fails with the reason."""
    if REQUIRE_ALL:
        raise TestFailure(f"cannot run: {why} (PART5_REQUIRE_ALL=1: a skip "
                          "is a failure)")
    print(f"    skipped: {why}", flush=True)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)
    print(f"    ok: {msg}", flush=True)


def free_port():
    """A TCP port nobody listens on right now (bind port 0, read it back)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise TestFailure(f"timed out after {timeout}s waiting for {what}")


# "Answered at once": what the reliability tests assert of new requests
# while a server is under attack (idle connections, a burst), and what the
# README states. The median is the tight bound (measured 0.3-0.6 ms from
# this Python client on the build machine); the slowest may meet the
# scheduler of a shared machine, but never a timeout.
AT_ONCE_MEDIAN_S = 0.005
AT_ONCE_MAX_S = 0.2


def check_at_once(times, what):
    """Checks that requests taking `times` (seconds) were answered at
    once (AT_ONCE_*, times TIME_SCALE); returns (median, max) in ms."""
    med = sorted(times)[len(times) // 2]
    check(med < AT_ONCE_MEDIAN_S * TIME_SCALE and
          max(times) < AT_ONCE_MAX_S * TIME_SCALE,
          f"{what}: {len(times)} answered at once (median "
          f"{med * 1000:.2f} ms < {AT_ONCE_MEDIAN_S * 1000 * TIME_SCALE:.0f}"
          f" ms, slowest {max(times) * 1000:.1f} ms < "
          f"{AT_ONCE_MAX_S * 1000 * TIME_SCALE:.0f} ms)")
    return med * 1000, max(times) * 1000


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def http_get(port, path="/", host="127.0.0.1", method="GET", headers=None,
             timeout=10.0, body=None):
    """One request on a fresh connection. Returns a Response."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.getheaders(), data,
                        time.monotonic() - t0)
    finally:
        conn.close()


def raw_request(port, data, host="127.0.0.1", timeout=5.0):
    """Sends raw bytes and returns the first response (headers and a body
    of Content-Length bytes), or what arrived before the server closed the
    connection or the timeout passed."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                head, sep, body = out.partition(b"\r\n\r\n")
                if sep:
                    # A HEAD response announces a body it does not send.
                    if data.startswith(b"HEAD "):
                        break
                    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                    if m and len(body) >= int(m.group(1)):
                        break
        except (socket.timeout, ConnectionResetError):
            pass
        return out


class Proc:
    """A program under test, its output in a log file."""

    def __init__(self, argv, env=None, name=None, logdir=None, ours=True,
                 wrap=None):
        """wrap: a command that execs the program (nsenter ... --): it
        goes before TEST_PREFIX, so valgrind still watches the program."""
        self.name = name or os.path.basename(argv[0])
        self.logdir = logdir or tempfile.mkdtemp(prefix=f"{self.name}-")
        self.logpath = os.path.join(self.logdir, f"{self.name}.log")
        self.log = open(self.logpath, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        # TEST_PREFIX (valgrind) applies to our programs, not to peers.
        prefix = PREFIX if ours else []
        self.ours = ours
        self.killed = False
        self.p = subprocess.Popen(list(wrap or []) + prefix + list(argv),
                                  env=full_env,
                                  stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        _procs.append(self)

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=10):
        rx = re.compile(pattern)

        def found():
            if self.p.poll() is not None and not rx.search(self.output()):
                raise TestFailure(
                    f"{self.name} exited ({self.p.returncode}) before "
                    f"logging /{pattern}/:\n{self.output()}")
            return rx.search(self.output())
        return wait_until(found, timeout, what=f"{self.name} to log "
                          f"/{pattern}/")

    def signal(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def wait(self, timeout=10):
        return self.p.wait(timeout=timeout)

    def stop(self, timeout=None):
        """SIGTERM, then SIGKILL after timeout (STOP_TIMEOUT) seconds; a
        kill is remembered (cleanup() reports it for our programs).
        Returns the exit status."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=timeout or STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.p.kill()
                self.p.wait(timeout=5)
        self.log.close()
        return self.p.returncode

    def alive(self):
        return self.p.poll() is None

    def rss_kib(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


_procs = []


def docker(*args, host=None, timeout=120, check_rc=True, stdin=None):
    """Runs the docker CLI (against the engine at unix socket host, if
    given) and returns its stdout; a non-zero exit raises RuntimeError
    with docker's message unless check_rc is False."""
    argv = ["docker"] + (["-H", "unix://" + host] if host else []) + list(
        args)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       input=stdin)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout.strip()


def proc_status(pid):
    """The fields of /proc/PID/status as a dict ({"Uid": "999\t999...",
    "CapEff": "0000000000000000", ...})."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def tcp_peer_ports(pid):
    """The remote ports of the TCP connections process PID holds open. The
    tables are read in the process's own network namespace, so this works
    as well for a process inside a container, seen from the host."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[9] in inodes:
                    ports.add(int(cols[2].rsplit(":", 1)[1], 16))
    return ports


def require_root_and_redis(why):
    """Exits the test program before it starts: 77 (ctest's SKIP) when not
    root, saying why root is needed; 1 when redis-server is missing."""
    if os.geteuid() != 0:
        if REQUIRE_ALL:
            print(f"FAIL: {why}; not root, and PART5_REQUIRE_ALL=1 makes "
                  "a skip a failure", flush=True)
            sys.exit(1)
        print(f"SKIP: {why}; run them as root, as CI does", flush=True)
        sys.exit(77)
    if shutil.which("redis-server") is None:
        print("FAIL: redis-server is not installed (apt-get install "
              "redis-server)", flush=True)
        sys.exit(1)


class Redis:
    """A real redis-server of our own, on a free port in a temp dir."""

    def __init__(self, password=None, appendonly=False, port=None,
                 datadir=None, extra=()):
        self.port = port or free_port()
        self.dir = datadir or tempfile.mkdtemp(prefix="redis-")
        self.password = password
        self.appendonly = appendonly
        self.extra = list(extra)
        self.proc = None
        self.start()

    def start(self):
        argv = ["redis-server", "--port", str(self.port), "--bind",
                "127.0.0.1", "--dir", self.dir, "--save", "",
                "--appendonly", "yes" if self.appendonly else "no",
                "--protected-mode", "no", "--daemonize", "no"]
        if self.password:
            argv += ["--requirepass", self.password]
        self.proc = Proc(argv + self.extra, name="redis", logdir=self.dir,
                         ours=False)
        wait_until(lambda: self.ping(), 10, what="redis to answer PING")

    def cli(self, *args):
        argv = ["redis-cli", "-p", str(self.port)]
        if self.password:
            argv += ["--no-auth-warning", "-a", self.password]
        r = subprocess.run(argv + list(args), capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip()

    def ping(self):
        try:
            return self.cli("PING") == "PONG"
        except subprocess.TimeoutExpired:
            return False

    def kill(self):
        """SIGKILL, as a crash would."""
        self.proc.signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc is not None:
            self.proc.stop()


def start_hello(redis_port, **env):
    """Starts hello on a free port against Redis at 127.0.0.1:redis_port,
    with more environment (NAME, REDIS_TIMEOUT_MS, ...), and waits until it
    listens. The Proc it returns has .port."""
    port = free_port()
    e = {"PORT": str(port), "REDIS_HOST": "127.0.0.1",
         "REDIS_PORT": str(redis_port), "LOG_LEVEL": "info"}
    e.update({k: str(v) for k, v in env.items()})
    p = Proc([binary("hello")], env=e, name="hello")
    p.wait_log(r"listening on port \d+", timeout=10)
    p.port = port
    return p


def closed_by_server(socks):
    """How many of the client sockets socks the server has closed (EOF or
    reset), without waiting: each is left non-blocking."""
    n = 0
    for s in socks:
        s.settimeout(0)
        try:
            if s.recv(1) == b"":
                n += 1
        except BlockingIOError:
            pass
        except OSError:
            n += 1
    return n


class BlackHole:
    """A listener that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.held = []
        import threading
        self.stopping = False
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
                self.held.append(c)
            except OSError:
                continue

    def close(self):
        self.stopping = True
        self.t.join(2)
        for c in self.held:
            c.close()
        self.sock.close()


SANITIZER_SIGNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "== ERROR SUMMARY: ",
                   "definitely lost: ", "VALGRIND-ERROR-BEGIN")
# valgrind's exit status when it found errors (--error-exitcode in
# ../../run-tests): with --quiet it prints no summary, so a program that
# exits with it is a finding even when its log was not read.
VALGRIND_EXIT = 99


def sanitizer_findings(text):
    """Lines of a program's output where ASan, UBSan, LSan or valgrind
    reported a problem (valgrind's "0 errors" summary is not one)."""
    found = []
    for line in text.splitlines():
        if any(sign in line for sign in SANITIZER_SIGNS):
            if "ERROR SUMMARY: 0 errors" in line:
                continue
            if "definitely lost: 0 bytes" in line:
                continue
            found.append(line.strip())
    return found


def cleanup():
    """Stops every program a test started (SIGTERM, then SIGKILL), and
    returns what sanitizers reported in their output."""
    findings = []
    for p in reversed(_procs):
        with contextlib.suppress(Exception):
            if p.alive():
                p.stop()
        with contextlib.suppress(Exception):
            for line in sanitizer_findings(p.output()):
                findings.append(f"{p.name}: {line}")
        if p.ours and p.killed:
            findings.append(f"{p.name}: did not exit after SIGTERM and was "
                            "killed (under valgrind or ASan its leak report "
                            "was lost with it)")
        if p.ours and PREFIX and p.p.returncode == VALGRIND_EXIT:
            findings.append(f"{p.name}: exited {VALGRIND_EXIT}: valgrind "
                            "found errors (see its log)")
    _procs.clear()
    return findings


def run(tests):
    """Runs test functions in order; prints a summary; exits 0 or 1. A
    sanitizer report in any program's output fails the test."""
    failed = []
    t_all = time.monotonic()
    # PART5_ONLY=name,name runs only those (tests/lib/test_no_silent_skip.py
    # runs one test of a file that way).
    only = os.environ.get("PART5_ONLY")
    if only:
        tests = [t for t in tests if t.__name__ in only.split(",")]
        if not tests:
            print(f"PART5_ONLY={only}: no such test", flush=True)
            sys.exit(1)
    for t in tests:
        name = t.__name__
        print(f"=== {name}", flush=True)
        t0 = time.monotonic()
        ok = True
        try:
            try:
                t()
            except Exception:
                traceback.print_exc()
                ok = False
            findings = cleanup()
        except Deadline as e:
            # Stop the programs, then let the callers' `finally` remove
            # the rest; the test fails.
            print(f"FAIL {name}: {e}", flush=True)
            cleanup()
            raise SystemExit(1)
        if findings:
            print("reports from the programs:\n  " + "\n  ".join(findings[:20]),
                  flush=True)
            ok = False
        if ok:
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        else:
            failed.append(name)
            print(f"FAIL {name} ({time.monotonic() - t0:.1f}s)", flush=True)
    print(f"{len(tests) - len(failed)}/{len(tests)} passed in "
          f"{time.monotonic() - t_all:.1f}s", flush=True)
    if failed:
        print("failed: " + ", ".join(failed), flush=True)
        sys.exit(1)
    sys.exit(0)
