# SPDX-License-Identifier: Apache-2.0
"""The visualizer's fixes of issue 11 (items 6, 7 and 9), each against the
real program:

- it never runs in group 0: started as root with a root:root Docker
  socket, it refuses with a message saying how to fix the socket's group;
  with a socket of another group it runs in that group;
- event streams refused past VISUALIZER_MAX_CLIENTS do not flood the log:
  500 refusals make a bounded number of lines, with a count of the ones
  not logged one by one;
- the credentials file takes the hashes of Apache's htpasswd -B (bcrypt)
  and of mkpasswd (yescrypt, SHA-512), made here by those very tools,
  warns once at start for a plaintext line, refuses the hashes it cannot
  check (htpasswd's default MD5, {SHA}) with the fix in the message, and
  runs the slow hash once per credential, not once per request.

No Docker engine: a test double on a unix socket (fake_engine.py), or no
engine at all. Needs root (as CI runs it): the group is only chosen when
the visualizer drops root.
"""

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from fake_engine import FakeEngine
from part5test import (TIME_SCALE, Proc, binary, check, free_port, http_get,
                       raw_request, step, wait_until)
from rellogs import logdir, main


def proc_ids(pid):
    """{"Uid": [...], "Gid": [...], "Groups": [...]} of a process."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                out[k] = v.split()
    return out


def start_viz(env, wait=True):
    e = {"PORT": str(free_port()), "LOG_LEVEL": "debug"}
    e.update(env)
    v = Proc([binary("visualizer")], env=e, name="visualizer",
             logdir=logdir("visualizer"))
    v.port = int(e["PORT"])
    if wait:
        v.wait_log("listening on", 10 * TIME_SCALE)
    return v


def nowhere():
    """A DOCKER_HOST with no engine behind it (the server runs anyway)."""
    return "unix://" + os.path.join(logdir("noengine"), "none.sock")


# --------------------------------------------------------------------------
# Item 6: never group 0.

def test_never_group_root():
    d = tempfile.mkdtemp(prefix="relhard-")
    os.chmod(d, 0o755)
    eng = FakeEngine(os.path.join(d, "engine.sock"))
    try:
        step("a root:root Docker socket: the visualizer refuses to start")
        os.chown(eng.path, 0, 0)
        v = start_viz({"DOCKER_HOST": "unix://" + eng.path}, wait=False)

        def ended_or_group_root():
            if not v.alive():
                return True
            if re.search(r"running as uid", v.output()):
                return proc_ids(v.p.pid)["Gid"]
            return None
        got = wait_until(ended_or_group_root, 10 * TIME_SCALE,
                         what="the visualizer to exit or drop root")
        check(got is True, f"it did not run (it ran with Gid {got})")
        rc = v.wait(5)
        out = v.output()
        print("    " + out.strip().splitlines()[-1], flush=True)
        check(rc != 0, f"exit status {rc}, not 0")
        check(eng.path in out and "group 0" in out,
              "the message names the socket and group 0")
        check("chgrp" in out and "--group" in out,
              "and says how to give the socket a group of its own")

        step("the socket in group 65534: it runs in that group only")
        os.chown(eng.path, 0, 65534)
        v = start_viz({"DOCKER_HOST": "unix://" + eng.path})
        ids = proc_ids(v.p.pid)
        check(ids["Gid"] == ["65534"] * 4 and ids.get("Groups", []) == [],
              f"Gid {ids['Gid']}, no supplementary groups")
        check(ids["Uid"] != ["0"] * 4, f"not root: Uid {ids['Uid']}")
        v.stop()
    finally:
        eng.stop()
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# Item 7: refused event streams, rate-limited in the log.

REFUSED = 500
REFUSED_LINE = re.compile(r"event streams: .*refus")


def test_refused_streams_do_not_flood_the_log():
    v = start_viz({"DOCKER_HOST": nowhere(), "VISUALIZER_MAX_CLIENTS": "1"})
    s = socket.create_connection(("127.0.0.1", v.port), timeout=5)
    try:
        s.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
        check(s.recv(100).startswith(b"HTTP/1.1 200"), "one stream is open")
        step(f"{REFUSED} more streams, each refused")
        t0 = time.monotonic()
        codes = {}
        for _ in range(REFUSED):
            r = raw_request(v.port, b"GET /api/events HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n")
            code = r[9:12].decode("latin-1")
            codes[code] = codes.get(code, 0) + 1
        print(f"    {codes} in {time.monotonic() - t0:.1f}s", flush=True)
        check(codes == {"503": REFUSED}, f"all {REFUSED} answered 503")

        def summarised():
            lines = [ln for ln in v.output().splitlines()
                     if REFUSED_LINE.search(ln)]
            counted = sum(int(m.group(1)) for ln in lines
                          for m in [re.search(r"(\d+) more", ln)] if m)
            return lines if len(lines) + counted >= REFUSED else None
        lines = wait_until(summarised, 15 * TIME_SCALE,
                           what="every refusal logged or counted")
        for ln in lines[:4]:
            print("    " + ln, flush=True)
        check(len(lines) <= 4, f"{len(lines)} log lines for {REFUSED} "
              "refusals (at most 4)")
        check(any(re.search(r"\d+ more", ln) for ln in lines),
              "the ones not logged one by one are counted")
    finally:
        s.close()
        v.stop()


# --------------------------------------------------------------------------
# Item 9: password hashes in the credentials file.

def tool(*argv, stdin=None):
    r = subprocess.run(argv, capture_output=True, text=True, input=stdin,
                       timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout.strip()


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(
        f"{user}:{password}".encode()).decode()}


USERS = {  # user: (password, how its line is made)
    "alice": ("correct horse", "htpasswd -B"),
    "bob": ("battery staple", "mkpasswd -m yescrypt"),
    "carol": ("tr0ub4dor&3", "mkpasswd -m sha-512"),
    "dave": ("plain and simple", "plaintext"),
}


def make_credentials(path):
    """The file a user would make: htpasswd -B for alice, mkpasswd for bob
    and carol (yescrypt, SHA-512), one plaintext line for dave."""
    tool("htpasswd", "-cbB", path, "alice", USERS["alice"][0])
    with open(path, "a") as f:
        f.write("bob:" + tool("mkpasswd", "-m", "yescrypt", "--stdin",
                              stdin=USERS["bob"][0]) + "\n")
        f.write("carol:" + tool("mkpasswd", "-m", "sha-512", "--stdin",
                                stdin=USERS["carol"][0]) + "\n")
        f.write("dave:" + USERS["dave"][0] + "\n")


def test_password_hashes():
    d = logdir("creds")
    creds = os.path.join(d, "htpasswd")
    make_credentials(creds)
    with open(creds) as f:
        text = f.read()
    print("    " + text.strip().replace("\n", "\n    "), flush=True)
    check(text.startswith("alice:$2y$") and "bob:$y$" in text and
          "carol:$6$" in text, "bcrypt, yescrypt and SHA-512 lines")
    v = start_viz({"DOCKER_HOST": nowhere(), "VISUALIZER_AUTH_FILE": creds})
    try:
        step("each user with their password; a wrong one is refused")
        for user, (password, how) in USERS.items():
            r = http_get(v.port, "/api/state", headers=basic(user, password))
            check(r.status == 200, f"{user} ({how}): 200")
        # After the good ones: under valgrind, wrong guesses may spend the
        # second's hashing budget (AUTH_HASH_BUDGET_MS) and be refused
        # unhashed, which is also a 401.
        for user, (password, how) in USERS.items():
            r = http_get(v.port, "/api/state",
                         headers=basic(user, password + "x"))
            check(r.status == 401, f"{user}, a wrong password: 401")
        r = http_get(v.port, "/api/state",
                     headers=basic("alice", text.split(":")[1].split()[0]))
        check(r.status == 401, "the hash itself is not a password")

        step("the slow hash runs once per credential, not per request")
        codes = {http_get(v.port, "/api/state",
                          headers=basic("alice", USERS["alice"][0])).status
                 for _ in range(20)}
        check(codes == {200}, "alice 20 times more: 200 each")
        out = v.output()
        verified = re.findall(r"auth: verified alice", out)
        check(len(verified) == 1, f"alice's bcrypt ran {len(verified)} "
              "time(s) for 21 good requests")
        warns = [ln for ln in out.splitlines() if "plaintext" in ln]
        for ln in warns:
            print("    " + ln, flush=True)
        check(len(warns) == 1 and "line 4" in warns[0],
              "one warning at start, naming the plaintext line")
        for user, (password, _) in USERS.items():
            check(password not in out, f"{user}'s password is not logged")
    finally:
        v.stop()

    step("hashes it cannot check are refused at start, with the fix")
    for line, what in ((tool("htpasswd", "-nbm", "erin", "x"), "$apr1$"),
                       (tool("htpasswd", "-nbs", "erin", "x"), "{SHA}")):
        with open(creds, "w") as f:
            f.write(line + "\n")
        r = subprocess.run([binary("visualizer")], capture_output=True,
                           text=True, timeout=10 * TIME_SCALE,
                           env=dict(os.environ, PORT=str(free_port()),
                                    VISUALIZER_AUTH_FILE=creds,
                                    DOCKER_HOST=nowhere()))
        err = r.stderr + r.stdout
        print("    " + err.strip().splitlines()[-1], flush=True)
        check(r.returncode != 0 and "line 1" in err and
              "htpasswd -B" in err and line.split(":", 1)[1] not in err,
              f"{what}: exit {r.returncode}, names the line and the fix, "
              "never shows the hash")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: the visualizer chooses its group only when it drops "
              "root; run as root, as CI does", flush=True)
        sys.exit(77)
    main([test_never_group_root, test_refused_streams_do_not_flood_the_log,
          test_password_hashes])
