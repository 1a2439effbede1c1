"""A fault-injecting HTTP proxy on 127.0.0.1, written for the reader's fault suite.

``FaultProxy(upstream)`` forwards every request to ``upstream`` (a json-server) and, when a
:class:`Fault` rule matches a request, misbehaves the way real networks and APIs do: resets the
connection, cuts a body short (Content-Length or chunked), stalls, drips the body, answers 200
with an empty, HTML or error-object body, answers 429/503/403 with rate-limit headers, rewrites a
``Link`` header to another host, or runs a callback first (to change the data mid-read). ``log`` lists every request seen as
``(method, path_with_query, headers)``. Loopback only; every fault fires a bounded number of times.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .shop import free_port


@dataclass
class Fault:
    """A misbehaviour for requests whose path starts with ``path`` and whose query contains
    ``query`` (all pairs), from the ``after``-th such request on, at most ``times`` times.

    ``kind``: ``reset``, ``truncate`` (Content-Length longer than the body), ``chunk_cut``
    (chunked body cut mid-chunk), ``stall`` (``seconds`` before the headers), ``drip`` (body one
    byte per ``seconds``), ``empty200``, ``html200``, ``error200`` (a JSON error object),
    ``status`` (``status`` with ``headers``), ``link_host`` (Link ``next`` rewritten to
    ``host``), ``drop`` (forward without query parameter ``param``, as an API that ignores it),
    ``call`` (run ``callback`` then forward normally).
    """

    kind: str
    path: str = "/"
    query: dict[str, str] = field(default_factory=dict)
    after: int = 0
    times: int = 1
    seconds: float = 0.0
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    host: str = ""
    param: str = ""
    callback: Callable[[], None] | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if not path.startswith(self.path) or any(query.get(k) != v for k, v in self.query.items()):
            return False
        self.seen += 1
        if self.seen <= self.after or self.fired >= self.times:
            return False
        self.fired += 1
        return True


class FaultProxy:
    """The proxy; a context manager. ``url`` is its base URL; ``faults`` may be changed while it
    runs (``set_faults``)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def set_faults(self, *faults: Fault) -> None:
        with self.lock:
            self.faults = list(faults)

    def __enter__(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                proxy.handle(self)

            def do_POST(self) -> None:
                proxy.handle(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up mid-fault is the point of the fault

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- one request ---------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        try:
            self._handle(h)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: expected here
            h.close_connection = True

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = dict(parse_qsl(parts.query))
        length = int(h.headers.get("Content-Length") or 0)
        payload = h.rfile.read(length) if length else None
        with self.lock:
            self.log.append((h.command, h.path, dict(h.headers)))
            fault = next((f for f in self.faults if f.matches(parts.path, query)), None)
        kind = fault.kind if fault else ""
        if kind == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()
            return
        if kind == "stall":
            time.sleep(fault.seconds)  # type: ignore[union-attr]
        if kind == "drop" and fault:
            query.pop(fault.param, None)
        if kind == "call" and fault and fault.callback:
            fault.callback()
        if kind in ("empty200", "html200", "error200"):
            body = {"empty200": b"", "html200": b"<html><body>Service Unavailable</body></html>",
                    "error200": json.dumps({"error": "temporarily unavailable"}).encode()}[kind]
            ctype = "text/html" if kind == "html200" else "application/json"
            self._send(h, 200, {"Content-Type": ctype}, body)
            return
        if kind == "status" and fault:
            self._send(h, fault.status, dict({"Content-Type": "application/json"}, **fault.headers),
                       json.dumps({"message": "slow down"}).encode())
            return
        status, headers, body = self._forward(h, parts.path, query, payload)
        if kind == "link_host" and fault and "Link" in headers:
            headers["Link"] = headers["Link"].replace(f"127.0.0.1:{self.port}", fault.host)
        if kind == "truncate":
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "chunk_cut":
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            half = body[: len(body) // 2]
            h.wfile.write(f"{len(body):x}\r\n".encode() + half)
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "drip" and fault:
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            try:
                for i in range(len(body)):
                    h.wfile.write(body[i:i + 1])
                    h.wfile.flush()
                    time.sleep(fault.seconds)
            except OSError:  # the client gave up
                pass
            h.close_connection = True
            return
        self._send(h, status, headers, body)

    def _forward(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, str],
                 payload: bytes | None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1",
                                          self.upstream.port, timeout=30)
        target = path + ("?" + urlencode(query) if query else "")
        send = {k: v for k, v in h.headers.items()
                if k.lower() in ("authorization", "content-type", "accept", "x-api-key")}
        conn.request(h.command, target, body=payload, headers=send)
        response = conn.getresponse()
        body = response.read()
        keep = ("content-type", "link", "x-total-count", "retry-after")
        headers = {k: v for k, v in response.getheaders() if k.lower() in keep}
        headers["Link"] = headers.get("Link", "").replace(
            f"127.0.0.1:{self.upstream.port}", f"127.0.0.1:{self.port}")
        if not headers["Link"]:
            del headers["Link"]
        conn.close()
        return response.status, headers, body

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
