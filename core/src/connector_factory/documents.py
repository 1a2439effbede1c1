"""Reading a document input (an API description: a file or a URL) the same way in every target.

:func:`read_document` fetches a URL with a progress line and a timeout, refuses an empty or a
binary file, parses a structured document (JSON, YAML) reporting errors as
``line L, column C: …``, and says whether the rest is real prose a model may read. A plugin calls
it instead of opening the input itself, so every target says the same thing for the same bad
input, and nothing but prose is ever sent to a model.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from connector_factory.errors import InputError
from connector_factory.reporter import Reporter

#: Largest document read, in bytes.
MAX_BYTES = 100 * 1024 * 1024
#: Default seconds a URL fetch may take; ``CF_TIMEOUT`` (seconds) overrides it.
DEFAULT_TIMEOUT_S = 30.0
#: Fewest words a document needs to count as prose a model may read.
MIN_PROSE_WORDS = 20

_STRUCTURED_SUFFIXES = (".json", ".yaml", ".yml")
_YAML_HEAD = re.compile(r"^(openapi|swagger|asyncapi)\s*:", re.M)


@dataclass(frozen=True)
class Document:
    """A document input read and checked.

    Attributes:
        source: the input as given (path or URL).
        text: its text (UTF-8).
        kind: ``json`` or ``yaml`` (parsed into ``data``), or ``prose`` (Markdown, HTML, text).
        data: the parsed document for ``json``/``yaml``, else ``None``.
    """

    source: str
    text: str
    kind: Literal["json", "yaml", "prose"]
    data: Any = None


def timeout_s(default: float = DEFAULT_TIMEOUT_S) -> float:
    """Seconds a wait (a fetch, a probe) may take: ``CF_TIMEOUT`` when set, else ``default``.

    Raises:
        InputError: ``CF_TIMEOUT`` is not a positive number.
    """
    raw = os.environ.get("CF_TIMEOUT")
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InputError(f"CF_TIMEOUT={raw!r} is not a positive number of seconds",
                         "export CF_TIMEOUT=60 (or unset it)")
    return value


def fetch(url: str, where: str, reporter: Reporter | None = None,
          timeout: float | None = None) -> bytes:
    """The body of ``url`` (at most :data:`MAX_BYTES`), with a progress line while it loads
    and ``timeout`` seconds (default :func:`timeout_s`) for the connection and each read.

    Raises:
        InputError: naming ``where`` and the URL: it timed out (with how to wait longer), or
            it cannot be fetched.
    """
    import urllib.request
    from contextlib import nullcontext

    limit = timeout if timeout is not None else timeout_s()
    show = reporter.progress(f"fetching {url} (timeout {limit:g} s)") if reporter \
        else nullcontext()
    try:
        with show, urllib.request.urlopen(url, timeout=limit) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except TimeoutError as exc:
        raise InputError(f"{where} {url}: no answer within {limit:g} s ({exc})",
                         "check the URL, or wait longer: export CF_TIMEOUT=120") from exc
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise InputError(f"{where} {url}: no answer within {limit:g} s",
                             "check the URL, or wait longer: export CF_TIMEOUT=120") from exc
        raise InputError(f"{where} {url}: cannot fetch it ({exc})",
                         "check the URL and the network, or download it and pass the "
                         "file") from exc
    return data[:MAX_BYTES]


def _decode(data: bytes, where: str) -> str:
    if not data.strip():
        raise InputError(f"{where} is empty", "pass the API description (a file or URL)")
    if b"\x00" in data[:8192]:
        raise InputError(f"{where} is a binary file ({len(data)} bytes), not an API description",
                         "pass an OpenAPI/Swagger file (JSON or YAML) or a Markdown/HTML page")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where} is not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "it looks binary", "pass the API description as UTF-8 text") from exc


def _structured(text: str, name: str) -> Literal["json", "yaml"] | None:
    head = text.lstrip()[:1]
    if head in ("{", "[") or name.endswith(".json"):
        return "json"
    if name.endswith((".yaml", ".yml")) or _YAML_HEAD.search(text[:4096]):
        return "yaml"
    return None


def parse_structured(text: str, kind: Literal["json", "yaml"], where: str) -> Any:
    """``text`` parsed as ``kind``.

    Raises:
        InputError: ``"{where}: line L, column C: {problem}"`` (1-based), the fix says to
            correct the document there.
    """
    import yaml

    if kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: line {exc.lineno}, column {exc.colno}: {exc.msg} "
                             "(not valid JSON)", "correct the document there") from exc
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"{where}: line {line}, column {column}: {problem} (not valid YAML)",
                         "correct the document there") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: {exc} (not valid YAML)", "correct the document") from exc


def is_prose(text: str) -> bool:
    """Whether ``text`` reads as a document a person wrote: at least :data:`MIN_PROSE_WORDS`
    words, most of its characters letters or spaces (tags and markup stripped first)."""
    stripped = re.sub(r"<[^>]{0,400}>", " ", text)
    words = re.findall(r"[^\W\d_]{2,}", stripped)
    if len(words) < MIN_PROSE_WORDS:
        return False
    visible = [c for c in stripped if not c.isspace()]
    letters = sum(c.isalpha() for c in visible)
    return bool(visible) and letters / len(visible) >= 0.5


def read_document(source: str, where: str, reporter: Reporter | None = None,
                  timeout: float | None = None) -> Document:
    """Read the document input ``source`` (a path or an ``http(s)`` URL) named ``where`` (the
    option) in messages.

    A ``.json``/``.yaml``/``.yml`` file, a body starting with ``{``/``[`` or a YAML document
    starting ``openapi:``/``swagger:`` is parsed; anything else must be prose.

    Raises:
        InputError: missing or unreadable file, a fetch that fails or times out, an empty or
            binary document, a parse error (``line L, column C: …``), or text that is not prose
            (too few words) — each one line with its fix.
    """
    shown = f"{where} {source}"
    if "://" in source:
        data = fetch(source, where, reporter, timeout)
        name = source.split("?")[0].lower()
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{shown}: no such file", "check the path")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES)
        name = path.name.lower()
    text = _decode(data, shown)
    kind = _structured(text, name)
    if kind is not None:
        return Document(source, text, kind, parse_structured(text, kind, shown))
    if not is_prose(text):
        words = len(re.findall(r"[^\W\d_]{2,}", text))
        raise InputError(f"{shown} does not read as an API description ({words} words of "
                         "text; neither JSON nor YAML)",
                         "pass the OpenAPI/Swagger document, or a page that describes the API")
    return Document(source, text, "prose")
