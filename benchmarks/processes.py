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


def instructions(argv: list[str], env: dict[str, str]) -> int | None:
    """Instructions the process ``argv`` (a Python script and its arguments, run by this
    interpreter) executes, counted by valgrind's callgrind: the same count for the same
    program and inputs whatever else the machine does, unlike wall or CPU time. ``None`` when
    valgrind is not installed (``apt-get install valgrind``).

    Raises:
        SystemExit: the process failed under valgrind (its error output is shown).
    """
    import re
    import subprocess

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    done = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           sys.executable, *argv], env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{' '.join(argv)} failed under valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))
