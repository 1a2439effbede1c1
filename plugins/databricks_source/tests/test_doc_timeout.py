"""A ``--doc`` URL that never answers: a progress line after a second, then a one-line error
after ``CF_TIMEOUT`` seconds (the core's ``documents.fetch``), against a socket on 127.0.0.1
that accepts and stays silent."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from .conftest import RunCf


def test_a_silent_doc_url_is_never_silent(run_cf: RunCf, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_TIMEOUT", "2")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/openapi.yaml"
        began = time.monotonic()
        result = run_cf("new", "--target", "databricks-source", "silent", "--doc", url,
                        "--out", str(tmp_path), "--yes", expect=2)
        elapsed = time.monotonic() - began
    assert 2 <= elapsed < 30
    assert f"… fetching {url} (timeout 2 s)" in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no answer within 2 s" in errors[0]
    assert "export CF_TIMEOUT=120" in errors[0]
