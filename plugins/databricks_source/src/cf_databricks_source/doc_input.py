"""The ``--doc`` input: a local file or a URL, and whether it is an OpenAPI/Swagger document."""

from __future__ import annotations

import json
import tempfile
import urllib.request
from functools import lru_cache
from pathlib import Path

import yaml
from connector_factory.errors import InputError

#: Largest document read, in bytes (GitHub's description is about 13 MB).
MAX_BYTES = 100 * 1024 * 1024


@lru_cache(maxsize=8)
def local_copy(doc: str) -> Path:
    """A local path for ``doc``: the file itself, or a URL downloaded to a temporary file.

    Raises:
        InputError: the file does not exist, or the URL cannot be fetched.
    """
    if "://" not in doc:
        path = Path(doc)
        if not path.is_file():
            raise InputError(f"--doc {doc}: no such file", "check the path")
        return path
    try:
        with urllib.request.urlopen(doc, timeout=60) as response:
            data = response.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"--doc {doc}: cannot fetch it ({exc})",
                         "check the URL and the network, or download it and pass the file") from exc
    suffix = Path(doc.split("?")[0]).suffix or ".txt"
    with tempfile.NamedTemporaryFile(prefix="cf-doc-", suffix=suffix, delete=False) as handle:
        handle.write(data[:MAX_BYTES])
    return Path(handle.name)


def classify_doc(doc: str) -> tuple[str, str]:
    """``("openapi", where)`` when ``doc`` is an OpenAPI 3.x or Swagger 2.0 document, else
    ``("text", where)`` (Markdown, HTML, anything a model must read). ``where`` names the input.

    Raises:
        InputError: the file does not exist or cannot be fetched.
    """
    path = local_copy(doc)
    head = path.read_bytes()[:MAX_BYTES].decode("utf-8", errors="replace")
    data: object = None
    try:
        data = json.loads(head)
    except ValueError:
        try:
            data = yaml.safe_load(head)
        except yaml.YAMLError:
            data = None
    if isinstance(data, dict) and ("openapi" in data or "swagger" in data):
        return "openapi", doc
    return "text", doc
