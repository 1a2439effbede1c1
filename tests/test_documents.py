"""Waits are never silent: URL fetches with a progress line and a timeout against real servers
on 127.0.0.1, a plain progress line without a terminal, a spinner around slow steps."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from connector_factory.documents import fetch, is_prose, timeout_s
from connector_factory.errors import InputError
from connector_factory.reporter import RecordingReporter
from connector_factory.rich_reporter import RichReporter
from rich.console import Console

from tests.conftest import MakeDist

PROSE = ("# Widgets API\n\nThe Widgets API lists every widget in your account. Send a GET request"
         " to /widgets with your token in the Authorization header; results come back in pages "
         "of fifty, and the next page is named by the cursor field of each response.\n")


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
    assert fetch(server, "--doc", reporter=reporter) == PROSE.encode()
    assert reporter.lines == [f"progress: fetching {server} (timeout 30 s)"]


def test_a_url_that_never_answers_times_out(silent: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_TIMEOUT", "1")
    began = time.monotonic()
    with pytest.raises(InputError) as caught:
        fetch(silent, "--doc", reporter=RecordingReporter())
    assert time.monotonic() - began < 10
    line = caught.value.one_line()
    assert line.startswith(f"--doc {silent}: no answer within 1 s")
    assert "export CF_TIMEOUT=120" in line


def test_a_fetch_that_fails_says_so(silent: str) -> None:
    closed = silent.rsplit(":", 1)[0] + ":9/spec.yaml"
    with pytest.raises(InputError, match="cannot fetch it"):
        fetch(closed, "--doc", reporter=RecordingReporter(), timeout=2)


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


def test_only_prose_counts_as_prose() -> None:
    assert is_prose(PROSE)
    assert is_prose("<html><body><h1>Widgets</h1><p>" + PROSE + "</p></body></html>")
    assert not is_prose("<div></div>" * 50)  # markup only
    assert not is_prose("TODO: write this")  # too few words
    assert not is_prose("0x01 0x02 0x03 " * 40)  # no words
    assert not is_prose("ab " * 5 + "0123456789 " * 30)  # mostly digits
