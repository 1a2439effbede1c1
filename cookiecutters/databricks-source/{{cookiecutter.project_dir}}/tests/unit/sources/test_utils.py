"""``load_config``: a connector test's credentials, from the environment or a file.

Written by Connector Factory for a project that is not a checkout of the Lakeflow community
connectors repository, modelling that repository's ``tests/unit/sources/test_utils.py``
(commit f9c88869); inside the repository its own module is used instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional, Union


def load_config(default_path: Optional[Union[str, Path]] = None) -> Any:
    """Credentials, first match wins: ``CONNECTOR_TEST_CONFIG_JSON`` (inline JSON),
    ``CONNECTOR_TEST_CONFIG_PATH`` (a JSON file), ``default_path``. Raises ``RuntimeError``
    naming both variables when none resolves, or when the JSON or the file is bad."""
    inline = os.environ.get("CONNECTOR_TEST_CONFIG_JSON", "").strip()
    if inline:
        try:
            return json.loads(inline)
        except json.JSONDecodeError as exc:
            raise RuntimeError(f"CONNECTOR_TEST_CONFIG_JSON is not valid JSON: {exc}") from exc
    for source, value in (("CONNECTOR_TEST_CONFIG_PATH",
                           os.environ.get("CONNECTOR_TEST_CONFIG_PATH", "").strip()),
                          ("default_path", str(default_path or ""))):
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                raise RuntimeError(f"{source} names no file: {path}")
            return json.loads(path.read_text(encoding="utf-8"))
    raise RuntimeError("No credentials provided: set CONNECTOR_TEST_CONFIG_PATH=<path> or "
                       "CONNECTOR_TEST_CONFIG_JSON=<inline JSON>")
