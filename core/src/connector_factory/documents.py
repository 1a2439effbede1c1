"""Fetching a document input (an API description at a URL) the same way in every target.

:func:`fetch` shows a progress line while it waits (a spinner on a terminal, a plain line after
a second otherwise) and gives up after :func:`timeout_s` seconds (``CF_TIMEOUT``), saying how to
wait longer. :func:`is_prose` says whether a text is real prose (the only thing a model should
be given). What a document is (OpenAPI, prose, broken) is the target's to decide: the
``databricks-source`` plugin's ``doc_input`` module classifies its ``--doc``.
"""

from __future__ import annotations

import os
import re

from connector_factory.errors import InputError
from connector_factory.reporter import Reporter

#: Largest document read, in bytes.
MAX_BYTES = 100 * 1024 * 1024
#: Default seconds a URL fetch may take; ``CF_TIMEOUT`` (seconds) overrides it.
DEFAULT_TIMEOUT_S = 30.0
#: Fewest words a document needs to count as prose a model may read.
MIN_PROSE_WORDS = 20


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
    (on ``reporter``, else on the core's own stderr reporter) and ``timeout`` seconds (default
    :func:`timeout_s`) for the connection and each read.

    Raises:
        InputError: naming ``where`` and the URL: it timed out (with how to wait longer), or
            it cannot be fetched.
    """
    import urllib.request

    if reporter is None:
        from connector_factory.rich_reporter import RichReporter

        reporter = RichReporter()
    limit = timeout if timeout is not None else timeout_s()
    show = reporter.progress(f"fetching {url} (timeout {limit:g} s)")
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


def is_prose(text: str) -> bool:
    """Whether ``text`` reads as a document a person wrote: at least :data:`MIN_PROSE_WORDS`
    words, most of its visible characters letters (HTML tags stripped first)."""
    stripped = re.sub(r"<[^>]{0,400}>", " ", text)
    words = re.findall(r"[^\W\d_]{2,}", stripped)
    if len(words) < MIN_PROSE_WORDS:
        return False
    visible = [c for c in stripped if not c.isspace()]
    letters = sum(c.isalpha() for c in visible)
    return bool(visible) and letters / len(visible) >= 0.5
