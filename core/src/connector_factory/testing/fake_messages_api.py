"""A local stand-in for the Anthropic Messages API, for tests that run the real ``anthropic``
client without network.

:class:`FakeMessagesAPI` is a real HTTP server on 127.0.0.1 (stdlib :mod:`http.server` in a
thread) answering ``POST /v1/messages`` with non-streaming JSON in the Messages API wire format.
It plays scripted turns in order — a :class:`Reply` (content blocks and a stop reason), a
:class:`Fail` (an error status such as 529 or 429, with the API's error body and a short
``retry-after-ms`` so the SDK's retry is fast), or a callable that builds either from the
request body — and records every request it received (method, path, headers, JSON body).

Usage is computed like the API would report it, from an estimate of 1 token per 4 characters of
canonical JSON: a prompt prefix ending at a ``cache_control`` breakpoint is written to an
in-memory cache (``cache_creation_input_tokens``), and a later request whose prefix matches a
cached one reads it (``cache_read_input_tokens``, found by looking back from the breakpoints as
the API does); the rest is ``input_tokens``. A scripted ``usage`` overrides the estimate.

Example::

    with FakeMessagesAPI([Reply([tool_use("read_file", path="api.md")]),
                          Reply([text("done")])]) as api:
        llm = AnthropicLLM(api_key="test", base_url=api.base_url)
        ...
    assert api.requests[0].headers["anthropic-version"]
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Union


def text(value: str) -> dict[str, Any]:
    """A ``text`` content block."""
    return {"type": "text", "text": value}


def tool_use(name: str, id: str | None = None, **arguments: Any) -> dict[str, Any]:
    """A ``tool_use`` content block calling ``name`` with ``arguments`` (id assigned by the server
    when not given)."""
    block: dict[str, Any] = {"type": "tool_use", "name": name, "input": arguments}
    if id is not None:
        block["id"] = id
    return block


@dataclass
class Reply:
    """A scripted model response.

    Attributes:
        content: content blocks (see :func:`text`, :func:`tool_use`).
        stop_reason: defaults to ``tool_use`` when a block calls a tool, else ``end_turn``.
        usage: overrides the computed usage fields (``input_tokens``, ``output_tokens`` …).
    """

    content: list[dict[str, Any]]
    stop_reason: str | None = None
    usage: dict[str, int] | None = None


@dataclass
class Fail:
    """A scripted error response: HTTP ``status`` with the API's error body; ``retry_after_ms``
    (``None``: no header) tells the SDK how long to back off."""

    status: int = 529
    error_type: str = "overloaded_error"
    message: str = "Overloaded"
    retry_after_ms: int | None = 10


#: A scripted turn: a fixed reply or error, or a function of the request body returning one.
Turn = Union[Reply, Fail, Callable[[dict[str, Any]], Union[Reply, Fail]]]


@dataclass
class ReceivedRequest:
    """One request the server received: ``headers`` with lower-case names, ``body`` parsed JSON
    (``None`` when not JSON), and the HTTP ``status`` it was answered with."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)


def estimate_tokens(value: Any) -> int:
    """Tokens of ``value`` as the fake counts them: 1 per 4 characters of canonical JSON, ≥ 1."""
    raw = value if isinstance(value, str) else json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return max(1, len(raw) // 4)


def _segments(body: dict[str, Any]) -> list[tuple[str, int, bool]]:
    """The prompt as (canonical JSON, tokens, ends-in-breakpoint) pieces in cache order:
    tools, system blocks, then message content blocks."""
    pieces: list[tuple[Any, bool]] = []
    for tool in body.get("tools") or []:
        pieces.append((tool, "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        pieces.append(({"system": system}, False))
    else:
        for block in system or []:
            pieces.append((block, "cache_control" in block))
    for message in body.get("messages") or []:
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks or []:
            pieces.append(({"role": message.get("role"), "block": block},
                           "cache_control" in block))
    out = []
    for piece, marked in pieces:
        canonical = json.dumps(_strip(piece), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        out.append((canonical, estimate_tokens(canonical), marked))
    return out


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


class FakeMessagesAPI:
    """The fake server; use as a context manager (or :meth:`start`/:meth:`stop`).

    Args:
        turns: scripted turns, played in order; more can be added with :meth:`add`.
        min_cache_tokens: shortest prefix that is cached (the real API's minimum is 1024+
            tokens; 0 caches any marked prefix).
    """

    def __init__(self, turns: Iterable[Turn] = (), *, min_cache_tokens: int = 0) -> None:
        self._turns: list[Turn] = list(turns)
        self.min_cache_tokens = min_cache_tokens
        self.requests: list[ReceivedRequest] = []
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._ids = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeMessagesAPI:
        """Listen on a free port of 127.0.0.1 and serve in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="fake-messages-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeMessagesAPI:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (pass as ``base_url`` to the client)."""
        if self._server is None:
            raise RuntimeError("the fake Messages API is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def cli_env(self, api_key: str, model: str = "claude-sonnet-4-6") -> dict[str, str]:
        """Environment variables that point ``cf`` (its LLM handle) at this server:
        ``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL`` and ``CF_MODEL``."""
        return {"ANTHROPIC_API_KEY": api_key, "ANTHROPIC_BASE_URL": self.base_url,
                "CF_MODEL": model}

    # -- script ----------------------------------------------------------------------------

    def add(self, *turns: Turn) -> None:
        """Append scripted turns."""
        with self._lock:
            self._turns.extend(turns)

    @property
    def remaining(self) -> int:
        """Scripted turns not yet played."""
        with self._lock:
            return len(self._turns)

    @property
    def message_requests(self) -> list[ReceivedRequest]:
        """The ``POST /v1/messages`` requests answered with 200."""
        return [r for r in self.requests
                if r.path.split("?")[0] == "/v1/messages" and r.status == 200]

    # -- serving ---------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = ReceivedRequest(method=handler.command, path=handler.path,
                                 headers={k.lower(): v for k, v in handler.headers.items()},
                                 body=body if isinstance(body, dict) else None)
        with self._lock:
            self.requests.append(record)
            status, payload, headers = self._answer(record)
            record.status = status
            record.response = payload
        data = json.dumps(payload).encode("utf-8")
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        handler.send_header("request-id", f"req_fake_{len(self.requests)}")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _error(status: int, kind: str, message: str,
               headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any],
                                                               dict[str, str]]:
        return status, {"type": "error", "error": {"type": kind, "message": message}}, (
            headers or {"x-should-retry": "false"})

    def _answer(self, record: ReceivedRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        if record.method != "POST" or record.path.split("?")[0] != "/v1/messages":
            return self._error(404, "not_found_error", f"no route {record.method} {record.path}")
        body = record.body
        if body is None or not isinstance(body.get("messages"), list):
            return self._error(400, "invalid_request_error", "body must be JSON with messages")
        if body.get("stream"):
            return self._error(400, "invalid_request_error", "the fake serves no streaming")
        if not self._turns:
            return self._error(400, "invalid_request_error",
                               "fake Messages API: no scripted turn left")
        turn = self._turns.pop(0)
        outcome = turn if isinstance(turn, (Reply, Fail)) else turn(body)
        if isinstance(outcome, Fail):
            headers = {}
            if outcome.retry_after_ms is not None:
                headers["retry-after-ms"] = str(outcome.retry_after_ms)
            return outcome.status, {"type": "error", "error": {
                "type": outcome.error_type, "message": outcome.message}}, headers
        return 200, self._message(body, outcome), {}

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content = []
        for block in reply.content:
            block = dict(block)
            if block.get("type") == "tool_use" and "id" not in block:
                self._ids += 1
                block["id"] = f"toolu_fake_{self._ids:04d}"
            content.append(block)
        stop = reply.stop_reason or (
            "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn")
        usage = self._usage(body)
        usage["output_tokens"] = estimate_tokens(content)
        usage.update(reply.usage or {})
        return {"id": f"msg_fake_{len(self.requests):04d}", "type": "message",
                "role": "assistant", "model": body.get("model", "claude-fake"),
                "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        segments = _segments(body)
        total = sum(tokens for _, tokens, _ in segments)
        digest = hashlib.sha256()
        prefixes: list[tuple[str, int, bool]] = []
        running = 0
        for canonical, tokens, marked in segments:
            digest.update(canonical.encode("utf-8") + b"\x00")
            running += tokens
            prefixes.append((digest.copy().hexdigest(), running, marked))
        marked_ends = [i for i, (_, _, marked) in enumerate(prefixes) if marked]
        last_mark = marked_ends[-1] if marked_ends else -1
        read = 0
        for key, upto, _ in prefixes[: last_mark + 1]:
            if key in self._cache:
                read = upto
        write = 0
        for i in marked_ends:
            key, upto, _ = prefixes[i]
            if upto >= self.min_cache_tokens:
                self._cache.add(key)
                write = max(write, upto - read)
        return {"input_tokens": total - read - write, "cache_read_input_tokens": read,
                "cache_creation_input_tokens": write, "output_tokens": 0}
