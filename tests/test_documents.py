"""Document inputs read the same way in every target: empty and binary files said so, parse
errors as ``line L, column C``, only prose counts as prose, URL fetches with a progress line and
a timeout against real servers on 127.0.0.1."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from connector_factory.documents import is_prose, read_document, timeout_s
from connector_factory.errors import InputError
from connector_factory.reporter import RecordingReporter
from connector_factory.rich_reporter import RichReporter
from rich.console import Console

from tests.conftest import MakeDist

PROSE = ("# Widgets API\n\nThe Widgets API lists every widget in your account. Send a GET request"
         " to /widgets with your token in the Authorization header; results come back in pages "
         "of fifty, and the next page is named by the cursor field of each response.\n")


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("name, data, message", [
    ("empty.yaml", b"", "is empty"),
    ("blank.md", b"  \n\n\t\n", "is empty"),
    ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file (16 bytes)"),
    ("latin.md", "caf\xe9 menu".encode("latin-1"), "is not UTF-8 text (byte 3"),
    ("api.json", b'{\n  "openapi": "3.0.0",\n  "info": {,\n}', "line 3, column 12: Expecting"),
    ("api.yaml", b"openapi: 3.0.0\ninfo:\n  title: x\n   bad: [1, 2\n",
     "line 4, column 7: mapping values are not allowed here"),
    ("spec.txt", b"openapi: 3.0.0\npaths: {a: [}\n", "line 2, column 13"),
    ("note.md", b"TODO: write this", "does not read as an API description (3 words"),
    ("dump.txt", b"0x01 0x02 0x03 " * 40, "does not read as an API description"),
])
def test_bad_documents_are_named_with_the_fix(tmp_path: Path, name: str, data: bytes,
                                              message: str) -> None:
    source = _file(tmp_path, name, data)
    with pytest.raises(InputError) as caught:
        read_document(source, "--doc")
    line = caught.value.one_line()
    assert line.startswith(f"--doc {source}") and message in line and " — fix: " in line, line


def test_good_documents_are_classified(tmp_path: Path) -> None:
    spec = read_document(_file(tmp_path, "api.yaml", b"openapi: 3.0.0\ninfo: {title: x}\n"), "--doc")
    assert spec.kind == "yaml" and spec.data["openapi"] == "3.0.0"
    doc = read_document(_file(tmp_path, "api", b'  {"swagger": "2.0"}'), "--doc")
    assert doc.kind == "json" and doc.data == {"swagger": "2.0"}
    prose = read_document(_file(tmp_path, "widgets.md", PROSE.encode()), "--doc")
    assert prose.kind == "prose" and prose.data is None
    html = "<html><body><h1>Widgets</h1><p>" + PROSE + "</p></body></html>"
    assert is_prose(html) and not is_prose("<div></div>" * 50)
    with pytest.raises(InputError, match="no such file"):
        read_document(str(tmp_path / "missing.yaml"), "--doc")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PROSE.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/widgets.md"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts the connection and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/spec.yaml"
    sock.close()


def test_a_url_is_fetched_with_a_progress_line(server: str) -> None:
    reporter = RecordingReporter()
    doc = read_document(server, "--doc", reporter=reporter)
    assert doc.kind == "prose"
    assert reporter.lines == [f"progress: fetching {server} (timeout 30 s)"]


def test_a_url_that_never_answers_times_out(silent: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_TIMEOUT", "1")
    began = time.monotonic()
    with pytest.raises(InputError) as caught:
        read_document(silent, "--doc", reporter=RecordingReporter())
    assert time.monotonic() - began < 10
    line = caught.value.one_line()
    assert "no answer within 1 s" in line and "export CF_TIMEOUT=120" in line


def test_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CF_TIMEOUT", raising=False)
    assert timeout_s() == 30.0 and timeout_s(5) == 5
    monkeypatch.setenv("CF_TIMEOUT", "2.5")
    assert timeout_s() == 2.5
    monkeypatch.setenv("CF_TIMEOUT", "soon")
    with pytest.raises(InputError, match="CF_TIMEOUT='soon' is not a positive number"):
        timeout_s()


def test_a_long_wait_is_never_silent_without_a_terminal() -> None:
    out = io.StringIO()
    reporter = RichReporter(Console(file=out, force_terminal=False, width=80))
    with reporter.progress("quick"):
        time.sleep(0.05)
    assert out.getvalue() == ""
    with reporter.progress("running the test suite"):
        time.sleep(1.3)
    assert out.getvalue() == "… running the test suite\n"


def test_nested_waits_share_one_live_display() -> None:
    out = io.StringIO()
    reporter = RichReporter(Console(file=out, force_terminal=True, width=80))
    with reporter.progress("validate: running"):
        with reporter.progress("probing the API", total=3) as bar:
            bar.advance()
            time.sleep(0.2)
        with reporter.progress("running pytest"):
            time.sleep(0.2)
    assert "probing the API" in out.getvalue() and "running pytest" in out.getvalue()


SLOW_VALIDATE = '''
import time
from connector_factory import hookimpl
from connector_factory.models import CheckResult, Step, StepResult, Target

@hookimpl
def cf_targets():
    return [Target(name="slowcheck", summary="a slow check", steps=(Step.validate,))]

@hookimpl
def cf_validate(ctx):
    if ctx.target != "slowcheck":
        return None
    time.sleep(1.3)
    return StepResult(checks=[CheckResult(name="slow", status="passed")])
'''


def test_a_slow_step_is_never_silent(make_dist: MakeDist, tmp_path: Path) -> None:
    from connector_factory.cli import app
    from typer.testing import CliRunner

    make_dist("cf-slowcheck", {"cf_slowcheck": SLOW_VALIDATE}, {"slowcheck": "cf_slowcheck"})
    result = CliRunner().invoke(app, ["new", "--target", "slowcheck", "demo", "--out",
                                      str(tmp_path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "… validate: running" in result.output
