# SPDX-License-Identifier: Apache-2.0
"""unixserver: a listener on a unix socket standing in for the Docker
engine's, the base of the tests' recording proxy and fake engine.

It makes the socket as the engine's is (owner and group may read and
write: the visualizer, started as root by the tests, drops to nobody with
the socket's group; that group is SOCKET_GID, never root's, which the
visualizer refuses), records request lines, keeps track of the open
connections, and can go away (stop: the socket and every connection
closed, as when dockerd stops) and come back at the same path (start).
A subclass handles each accepted connection in serve(conn), in its own
thread.
"""

import os
import socket
import threading

# The group of the tests' engine sockets, and of the directory the caller
# made for one: nogroup, the same number on every Debian machine. Not 0:
# the visualizer will not run in group root (issue 11).
SOCKET_GID = 65534


class UnixServer:

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.lines = []     # "METHOD target" of every request seen
        self.conns = set()  # sockets to close on stop()
        self.running = False
        self.lsock = None

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(self.path)
        os.chmod(self.path, 0o660)
        if os.geteuid() == 0:
            os.chown(self.path, -1, SOCKET_GID)
            os.chown(os.path.dirname(self.path), -1, SOCKET_GID)
        self.lsock.listen(64)
        self.running = True
        threading.Thread(target=self._accept, args=(self.lsock,),
                         daemon=True).start()

    def stop(self):
        """Closes the socket and every connection: the engine is gone."""
        self.running = False
        try:
            self.lsock.close()
        except OSError:
            pass
        if os.path.exists(self.path):
            os.unlink(self.path)
        with self.lock:
            conns, self.conns = list(self.conns), set()
        for c in conns:
            shut(c)
            c.close()

    def requests(self):
        with self.lock:
            return list(self.lines)

    def record(self, line):
        with self.lock:
            self.lines.append(line)

    def track(self, *socks):
        with self.lock:
            self.conns.update(socks)

    def serve(self, conn):
        raise NotImplementedError

    def _accept(self, lsock):
        while self.running:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            self.track(c)
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()


def shut(sock):
    """Ends a connection another thread may be blocked reading from."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
