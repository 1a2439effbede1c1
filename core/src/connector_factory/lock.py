"""The project lock: one ``cf`` run changes a project at a time.

An OS file lock (``fcntl.flock``, released by the kernel when the holder dies, however it
dies) on ``<project>/.cf/lock`` (a further project in a shared folder has its own, beside its
state); the file holds the holder's PID and command line, so a second
run can name it and ``cf status`` can tell a running step from an interrupted one. Taking the
lock also removes what a killed run left behind: ``.cf/.state-*.tmp`` files and the
``.<name>.cf-tmp`` files of generated files.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

from connector_factory.errors import EXIT_USAGE, CfError

LOCK_FILE = "lock"


class ProjectBusy(CfError):
    """Another ``cf`` run holds the project's lock; exit 2."""

    exit_code = EXIT_USAGE


class Holder(NamedTuple):
    """Who holds a project's lock: PID and the command it runs."""

    pid: int
    command: str


def _lock_path(state_dir: Path) -> Path:
    return state_dir / LOCK_FILE


def _read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data.get("command", "cf")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def holder(state_dir: Path) -> Holder | None:
    """The live holder of the lock in ``state_dir`` (a project's ``.cf/``), or ``None`` when no
    run holds it.

    Tries the lock without waiting: if it can be taken nobody holds it (it is released at once).
    """
    import fcntl

    path = _lock_path(state_dir)
    if not path.is_file():
        return None
    try:
        handle = path.open("r+", encoding="utf-8")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path) or Holder(-1, "cf")
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def clean_leftovers(project_dir: Path, state_dir: Path,
                    generated: Iterable[str] = ()) -> list[Path]:
    """Remove the temp files a killed run left: ``.state-*.tmp`` in ``state_dir`` and, for each
    generated path (relative to ``project_dir``), its ``.<name>.cf-tmp`` sibling. Returns what
    was removed."""
    removed = []
    candidates = list(state_dir.glob(".state-*.tmp")) if state_dir.is_dir() else []
    for rel in generated:
        target = project_dir / rel
        candidates.append(target.with_name(f".{target.name}.cf-tmp"))
    for path in candidates:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


@contextmanager
def project_lock(state_dir: Path) -> Iterator[IO[str]]:
    """Hold the lock in ``state_dir`` (a project's ``.cf/``, made if missing) for the block.

    Raises:
        ProjectBusy: another run holds it; the message names its PID and command.
        OSError: the lock file cannot be made (a read-only folder …), for the CLI to report.
    """
    import fcntl

    path = _lock_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = _read_holder(path)
            who = f"PID {held.pid} ({held.command})" if held else "another process"
            project = state_dir.parent if state_dir.name == ".cf" else state_dir
            raise ProjectBusy(
                f"{project} is in use by a running cf: {who}",
                f"wait for it to finish (`cf status --project {project}` shows it), or "
                f"stop it with `kill {held.pid if held else 'PID'}`",
            ) from None
        handle.seek(0)
        handle.truncate()
        command = " ".join(["cf", *sys.argv[1:]])[:200]
        handle.write(json.dumps({"pid": os.getpid(), "command": command}))
        handle.flush()
        yield handle
    finally:
        handle.close()  # closing the descriptor releases the lock
