# SPDX-License-Identifier: Apache-2.0
"""sse: an EventSource-like reader of the visualizer's /api/events, for the
integration and reliability tests.

One GET, read in a thread: the response head (.head, .status, set once
.got_head is), every raw event (.raw, e.g. b"retry: 2000"), and each
"state" event's model in a queue with the time it arrived. .closed is set
when the server ends the stream or the connection breaks.
"""

import json
import queue
import socket
import threading
import time

from part5test import TIME_SCALE


class EventStream:

    def __init__(self, port, path="/api/events", headers=b""):
        self.q = queue.Queue()
        self.head = b""
        self.status = None
        self.raw = []
        self.got_head = threading.Event()
        self.closed = threading.Event()
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=30 * TIME_SCALE)
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\n"
                          b"Host: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                          + headers + b"\r\n")
        threading.Thread(target=self._read, daemon=True).start()

    def _recv(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        return d

    def _read(self):
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                buf += self._recv()
            self.head, buf = buf.split(b"\r\n\r\n", 1)
            self.status = int(self.head.split(b" ", 2)[1])
            self.got_head.set()
            if self.status != 200:
                return
            body = b""
            # Chunked transfer: size line, data, CRLF.
            while True:
                while b"\r\n" not in buf:
                    buf += self._recv()
                size_line, buf = buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    return
                while len(buf) < size + 2:
                    buf += self._recv()
                body += buf[:size]
                buf = buf[size + 2:]
                while b"\n\n" in body:
                    ev, body = body.split(b"\n\n", 1)
                    self.raw.append(ev)
                    self._event(ev)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            self.got_head.set()
            self.closed.set()

    def _event(self, ev):
        name, data = None, None
        for line in ev.split(b"\n"):
            if line.startswith(b"event: "):
                name = line[7:].decode()
            elif line.startswith(b"data: "):
                data = line[6:]
        if name == "state" and data is not None:
            self.q.put((time.monotonic(), json.loads(data)))

    def wait_for(self, pred, timeout, what):
        """The first state, within timeout (scaled by TIME_SCALE), for
        which pred is true; (arrival time, state)."""
        limit = timeout * TIME_SCALE
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no state with {what} within "
                                     f"{limit:.0f}s")
            try:
                t, state = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if pred(state):
                return t, state

    def close(self):
        # shutdown() first: close() alone does not end a connection another
        # thread is blocked reading from.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
