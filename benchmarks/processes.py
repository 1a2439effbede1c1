"""What every benchmark that times whole processes shares: the environment they run in and the
``cf`` console script.

A user's ``cf`` runs from byte-compiled modules (pip compiles at install; an editable install
writes ``__pycache__`` on the first run). A shell with ``PYTHONDONTWRITEBYTECODE=1`` would make
every measured process compile this project's sources again (about 30 ms of ``cf --help`` alone),
so :func:`child_env` drops it and points ``PYTHONPYCACHEPREFIX`` at a folder of the run: the first
(discarded) round writes the caches there, the source tree is left untouched.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def child_env(pycache: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured process: this one's, byte-code caches in ``pycache`` (a
    folder that lives as long as the run), ``CF_INTERACTIVE=0``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPYCACHEPREFIX=str(pycache), CF_INTERACTIVE="0", **extra)
    return env


def cf_command() -> list[str]:
    """The ``cf`` console script beside this interpreter, else the one on ``PATH``.

    Raises:
        SystemExit: ``cf`` is not installed.
    """
    beside = Path(sys.executable).with_name("cf")
    found = str(beside) if beside.is_file() else shutil.which("cf")
    if not found:
        raise SystemExit("cf is not installed: pip install ./core ./plugins/…")
    return [found]
