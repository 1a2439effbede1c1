"""Transcripts of agent steps, with secrets replaced by ``***`` before anything is written.

Each step run writes ``<project>/.cf/transcripts/<step>-<UTC time>-<id>.jsonl``: one JSON object
per line, ``{"at": ISO time, "kind": ..., ...}`` with kinds ``start``, ``request`` (the full
Messages API request body), ``response`` (the full response), ``tool`` (a tool call and its
result), ``error`` and ``end``. Secrets are the string values found in the project's
``dev_config.json`` files, the values of environment variables named ``*_KEY``, ``*_TOKEN``,
``*_SECRET`` or ``*PASSWORD``, and any the caller adds (the API key).
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from connector_factory.agent.sandbox import SKIP_LISTING

TRANSCRIPTS_DIR = Path(".cf") / "transcripts"
MASK = "***"
#: Environment variable names whose values are secrets.
SECRET_ENV = re.compile(r"(_KEY|_TOKEN|_SECRET|PASSWORD|_PASSWD)$", re.I)
#: Shorter values are not treated as secrets (they would mask ordinary words and numbers).
MIN_SECRET_LEN = 4


def is_secret_env_name(name: str) -> bool:
    """Whether an environment variable called ``name`` holds a secret (``*_KEY``, ``*_TOKEN``,
    ``*_SECRET``, ``*PASSWORD`` …)."""
    return bool(SECRET_ENV.search(name))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def dev_config_files(project_dir: Path) -> list[Path]:
    """Every ``dev_config.json`` under ``project_dir`` (not inside ``.git``, ``.venv`` …)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(project_dir):
        dirnames[:] = [d for d in dirnames if d not in SKIP_LISTING]
        if "dev_config.json" in filenames:
            found.append(Path(dirpath) / "dev_config.json")
    return found


def collect_secrets(project_dir: Path, extra: Iterable[str] = (),
                    environ: Mapping[str, str] | None = None) -> list[str]:
    """The secret values to mask for ``project_dir``: string values of its ``dev_config.json``
    files, secret-named environment variables (``environ`` defaults to ``os.environ``) and
    ``extra``; longest first, at least :data:`MIN_SECRET_LEN` characters. Unreadable or invalid
    config files are skipped."""
    values: set[str] = set(extra)
    for path in dev_config_files(project_dir):
        try:
            values.update(_strings(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    env = os.environ if environ is None else environ
    values.update(value for name, value in env.items() if is_secret_env_name(name))
    return sorted((v for v in values if len(v) >= MIN_SECRET_LEN), key=lambda v: (-len(v), v))


#: Keys of a ``dev_config.json`` whose values the secret scan looks for (other values, such as a
#: base URL, legitimately appear in generated files).
SECRET_KEY = re.compile(r"(key|token|secret|passw|credential|auth|bearer|cookie|session|pat$)",
                        re.I)


def _secret_strings(value: Any, names: frozenset[str], key: str = "") -> Iterable[str]:
    if isinstance(value, str):
        if key in names or SECRET_KEY.search(key):
            yield value
    elif isinstance(value, Mapping):
        for name, item in value.items():
            yield from _secret_strings(item, names, str(name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _secret_strings(item, names, key)


def scan_secrets(project_dir: Path, extra: Iterable[str] = (),
                 secret_names: Iterable[str] = (),
                 environ: Mapping[str, str] | None = None) -> list[str]:
    """The values the secret scan looks for in ``project_dir``'s files: values in its
    ``dev_config.json`` files under a secret-looking key (:data:`SECRET_KEY`) or a name in
    ``secret_names`` (the connection form's secret parameters), secret-named environment
    variables and ``extra``; longest first, at least :data:`MIN_SECRET_LEN` characters."""
    names = frozenset(secret_names)
    values: set[str] = set(extra)
    for path in dev_config_files(project_dir):
        try:
            values.update(_secret_strings(json.loads(path.read_text(encoding="utf-8")), names))
        except (OSError, ValueError):
            continue
    env = os.environ if environ is None else environ
    values.update(value for name, value in env.items() if is_secret_env_name(name))
    return sorted((v for v in values if len(v) >= MIN_SECRET_LEN), key=lambda v: (-len(v), v))


class Redactor:
    """Replaces secret values (as they are, and JSON-escaped) by ``***`` in text and in JSON-like
    data.

    Args:
        secrets: the values to mask (see :func:`collect_secrets`).
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {s for s in secrets if s}
        # also the JSON-escaped form, for secrets inside JSON text (a config file read aloud)
        forms |= {json.dumps(s, ensure_ascii=False)[1:-1] for s in forms}
        forms |= {json.dumps(s)[1:-1] for s in forms}
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, value: str) -> str:
        """``value`` with every secret masked."""
        return self._pattern.sub(MASK, value) if self._pattern else value

    def data(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` (dicts, lists, strings …) with secrets masked in every
        string, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


def _safe(step: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", step).strip("-.") or "step"


class Transcript:
    """An append-only JSONL transcript of one step run (file mode 0600).

    Args:
        project_dir: the project folder.
        step: step name used in the file name (``research``, ``test_gate-tester`` …).
        redactor: masks secrets in every record before it is written.
    """

    def __init__(self, project_dir: Path, step: str, redactor: Redactor) -> None:
        self.redactor = redactor
        folder = project_dir / TRANSCRIPTS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.path = folder / f"{_safe(step)}-{stamp}-{uuid.uuid4().hex[:8]}.jsonl"
        self._lock = threading.Lock()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)

    def write(self, kind: str, **fields: Any) -> None:
        """Append one record ``{"at", "kind", **fields}`` with secrets masked."""
        record = {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                  "kind": kind, **fields}
        line = json.dumps(self.redactor.data(record), default=str, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def read_transcript(path: Path) -> list[dict[str, Any]]:
    """The records of a transcript, oldest first."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _strip_cache_control(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip_cache_control(v) for v in value]
    return value


def history_from_transcript(path: Path) -> list[dict[str, Any]]:
    """The conversation to resume an interrupted step from: the messages of the last request,
    plus the assistant reply to it when that was recorded. Secrets appear masked (``***``).

    Raises:
        ValueError: the transcript holds no request.
    """
    records = read_transcript(path)
    last = max((i for i, r in enumerate(records) if r.get("kind") == "request"), default=None)
    if last is None:
        raise ValueError(f"{path} holds no request to resume from")
    messages: list[dict[str, Any]] = _strip_cache_control(records[last]["body"]["messages"])
    reply = next((r for r in records[last + 1:] if r.get("kind") == "response"), None)
    if reply is not None:
        messages.append({"role": "assistant", "content": reply["body"].get("content", [])})
    return messages


def latest_transcript(project_dir: Path, step: str) -> Path | None:
    """The newest transcript of ``step`` in ``project_dir`` (by modification time), or
    ``None``."""
    folder = project_dir / TRANSCRIPTS_DIR
    found = sorted(folder.glob(f"{_safe(step)}-[0-9]*.jsonl"),
                   key=lambda p: (p.stat().st_mtime_ns, p.name)) if folder.is_dir() else []
    return found[-1] if found else None
