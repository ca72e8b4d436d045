"""A loopback HTTP/1.1 server of byte ranges, for remote-read tests and benchmarks.

    with RangeServer(root_dir, delay=0.02, bandwidth=100e6) as srv:
        url = srv.url("file.nwb")
        ...                      # read url with remfile, fsspec, requests, ...
        srv.requests, srv.bytes_sent

It serves the files under ``root_dir`` on 127.0.0.1 (port 0: any free port),
from a background thread, one thread per connection, with keep-alive, so
clients can make concurrent and repeated requests on the same connections:

- ``GET`` with ``Range: bytes=a-b``, ``bytes=a-`` or the suffix ``bytes=-n``:
  206 with ``Content-Range``; a range past the end of the file (or ``-0``): 416
  with ``Content-Range: bytes */size``; no ``Range`` header, one that is not
  understood (an other unit, a malformed spec, ``b < a``) or several ranges
  (multipart answers are not implemented): 200 with the whole file, as RFC 9110
  lets a server ignore the header;
- ``HEAD``: the headers of the same ``GET`` (``Content-Length``,
  ``Accept-Ranges: bytes``), no body;
- a missing file, a directory or a path outside the root: 404.

Options:

- ``delay``: seconds slept before each answer (a latency; concurrent requests
  sleep in parallel);
- ``bandwidth``: bytes per second of the bodies, all connections together (one
  link: concurrent downloads share it), enforced by sleeping between blocks;
- ``ranges=False``: a server without range support; ``Range`` is ignored, every
  ``GET`` answers 200 with the whole file and ``Accept-Ranges: none``;
- ``fail``: a fault, for tests of bad remote input, applied to every request
  after the first ``fail_after`` ones (so that an open can succeed and a later
  read fail); ``"reset"`` reads the request and closes the connection with a TCP
  reset, without answering; ``"stall"`` reads the request and never answers
  (until the server is stopped, which then closes the connection);
  ``"truncate"`` answers the headers and half of the body, then closes. The
  attributes ``fail`` and ``fail_after`` may be changed while it runs.

Counters, thread-safe: ``requests`` (every request line received, faulted ones
included), ``bytes_sent`` (body bytes written to the sockets), ``connections``
(TCP connections accepted), ``open_connections``, ``history`` (one
:class:`Served` a request); ``reset_counts()`` zeroes them all (not
``open_connections``); ``wait_idle()`` waits for the open connections to close,
after which a client's counts are final.

``stop()`` (or leaving the ``with`` block) never hangs: it wakes every sleeping
or stalled handler, shuts down every open connection and joins the threads
with a bounded wait.

Standard library only.
"""

from __future__ import annotations

import os
import re
import socket
import socketserver
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

__all__ = ["RangeServer", "Served", "parse_range", "UNSATISFIABLE"]

#: bytes read from the file and written to the socket at a time
BLOCK = 64 * 1024
FAULTS = (None, "reset", "stall", "truncate")
#: what :func:`parse_range` returns for a range that no byte of the file satisfies
UNSATISFIABLE = "unsatisfiable"
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The inclusive ``(first, last)`` byte positions a ``Range`` header asks of a
    file of ``size`` bytes; ``UNSATISFIABLE`` when none of its bytes can be sent;
    ``None`` when the header is absent or is to be ignored (an other unit, a
    malformed or reversed range, several ranges)."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first:  # suffix: the last n bytes
        if not last:
            return None
        n = int(last)
        if n == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    return start, min(end, size - 1)


@dataclass
class Served:
    """One request: what was asked and what was answered.

    Recorded when the request arrives and updated before each part of the
    answer leaves, so a client that has its answer finds it here complete."""

    method: str
    path: str
    range: str | None  # the Range header as received
    connection: int  # serial number of the TCP connection it came on
    fault: str | None = None
    status: int | None = None  # None: no answer (yet, or faulted: reset, stall)
    sent: int = 0  # body bytes written


class _Stopped(Exception):
    """The server is stopping: the handler ends at once."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # RangeServer.stop joins the handlers, with a bound
    request_queue_size = 128
    owner: RangeServer

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can wait on DNS
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = host, port

    def handle_error(self, request, client_address) -> None:
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (OSError, _Stopped)) or self.owner._stopped.is_set():
            return  # a client went away, or the server is stopping
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "RangeServer/1"
    # headers and body leave in separate sends: with Nagle's algorithm the body
    # would wait for the client's delayed ACK of the headers (40 ms on Linux)
    disable_nagle_algorithm = True
    server: _HTTPServer

    # ------------------------------------------------------------- connection

    def setup(self) -> None:
        super().setup()
        self.serial = self.server.owner._opened(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, _Stopped):
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # quiet: tests and benchmarks count, they do not log

    # --------------------------------------------------------------- requests

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        owner = self.server.owner
        index = owner._count_request()
        served = Served(
            method=self.command,
            path=self.path,
            range=self.headers.get("Range"),
            connection=self.serial,
            fault=owner.fail if index > owner.fail_after else None,
        )
        owner._record(served)
        if owner.delay > 0:
            owner._sleep(owner.delay)
        if served.fault == "reset":
            self._reset()
            return
        if served.fault == "stall":
            owner._stopped.wait()
            self.close_connection = True
            return
        path = owner._resolve(self.path)
        if path is None:
            self._reply_text(served, 404, f"no file at {self.path}\n", body)
            return
        size = os.path.getsize(path)
        span = parse_range(served.range, size) if owner.ranges else None
        if span == UNSATISFIABLE:
            text = f"range {served.range} not satisfiable in {size} bytes\n"
            extra = {"Content-Range": f"bytes */{size}"}
            self._reply_text(served, 416, text, body, extra)
            return
        if span is None:
            status, start, end = 200, 0, size - 1
        else:
            status, (start, end) = 206, span
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes" if owner.ranges else "none")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        served.status = status
        self.end_headers()
        if not body:
            return
        if served.fault == "truncate":
            length //= 2
            self.close_connection = True
        with open(path, "rb") as f:
            f.seek(start)
            while length > 0:
                block = f.read(min(BLOCK, length))
                if not block:  # the file shrank under us
                    self.close_connection = True
                    break
                owner._throttle(len(block))
                self._write(served, block)
                length -= len(block)

    def _write(self, served: Served, data: bytes) -> None:
        """Send ``data``, counted before it leaves (uncounted again if it fails)."""
        owner = self.server.owner
        owner._sent(served, len(data))
        try:
            self.wfile.write(data)
        except BaseException:
            owner._sent(served, -len(data))
            raise

    def _reply_text(
        self,
        served: Served,
        status: int,
        text: str,
        body: bool,
        headers: dict | None = None,
    ) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        served.status = status
        self.end_headers()
        if body:
            self._write(served, data)

    def _reset(self) -> None:
        """Close the connection with a TCP reset (linger 0), answering nothing."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()
        except OSError:
            pass


class RangeServer:
    """Serve the files under ``root`` with byte ranges on a loopback port.

    See the module docstring for the options; ``start()``/``stop()`` or a ``with``
    block; ``url(name)`` is the address of ``root / name``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        delay: float = 0.0,
        bandwidth: float | None = None,
        ranges: bool = True,
        fail: str | None = None,
        fail_after: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if fail not in FAULTS:
            raise ValueError(f"fail={fail!r}: one of {FAULTS}")
        if delay < 0 or (bandwidth is not None and bandwidth <= 0):
            raise ValueError("delay must be >= 0 and bandwidth > 0 (or None)")
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(self.root)
        self.delay = delay
        self.bandwidth = bandwidth
        self.ranges = ranges
        self.fail = fail
        self.fail_after = fail_after
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._link_free = 0.0  # monotonic time the shared link is next idle
        self._requests = self._bytes_sent = self._connections = 0
        self._history: list[Served] = []
        self._open: dict[socket.socket, threading.Thread] = {}
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, name: str | os.PathLike[str] = "") -> str:
        """The URL of ``root / name`` (``name`` relative to the root, ``/``-separated
        or a path object)."""
        relative = Path(name).as_posix() if not isinstance(name, str) else name
        return f"{self.base_url}/{quote(relative.lstrip('/'))}"

    def start(self) -> RangeServer:
        if self._thread is not None:
            raise RuntimeError("a RangeServer starts once")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"RangeServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving; wake and end every handler; at most about ``timeout`` s."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        deadline = time.monotonic() + timeout
        if self._thread is not None:
            self._httpd.shutdown()  # the serve loop ends within its poll interval
            self._thread.join(max(0.0, deadline - time.monotonic()))
        self._httpd.server_close()
        with self._lock:
            connections = list(self._open.items())
        for sock, _ in connections:  # wakes handlers blocked reading or writing
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for _, thread in connections:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> RangeServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -------------------------------------------------------------- counters

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def bytes_sent(self) -> int:
        with self._lock:
            return self._bytes_sent

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    @property
    def open_connections(self) -> int:
        """Connections open now (a handler still reading or writing them)."""
        with self._lock:
            return len(self._open)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no connection is open (the counters are then final);
        False if some still is after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.open_connections:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    @property
    def history(self) -> list[Served]:
        with self._lock:
            return list(self._history)

    def counts(self) -> dict[str, int]:
        """``requests``, ``bytes_sent`` and ``connections``, read together."""
        with self._lock:
            return {
                "requests": self._requests,
                "bytes_sent": self._bytes_sent,
                "connections": self._connections,
            }

    def reset_counts(self) -> None:
        with self._lock:
            self._requests = self._bytes_sent = self._connections = 0
            self._history.clear()

    # ------------------------------------------------ used by the handlers

    def _opened(self, sock: socket.socket) -> int:
        with self._lock:
            self._connections += 1
            self._open[sock] = threading.current_thread()
            return self._connections

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.pop(sock, None)

    def _count_request(self) -> int:
        with self._lock:
            self._requests += 1
            return self._requests

    def _sent(self, served: Served, n: int) -> None:
        with self._lock:
            self._bytes_sent += n
            served.sent += n

    def _record(self, served: Served) -> None:
        with self._lock:
            self._history.append(served)

    def _sleep(self, seconds: float) -> None:
        if self._stopped.wait(seconds):
            raise _Stopped

    def _throttle(self, n: int) -> None:
        """Wait for the shared link to carry ``n`` more bytes."""
        if not self.bandwidth:
            if self._stopped.is_set():
                raise _Stopped
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._link_free)
            self._link_free = start + n / self.bandwidth
            wait = self._link_free - now
        self._sleep(wait)

    def _resolve(self, target: str) -> str | None:
        """The file a request target names under the root, or None."""
        relative = unquote(urlsplit(target).path).lstrip("/")
        if not relative:
            return None
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return str(path)
