"""Children die with the run: a watchdog that ends a killed ``cf``'s child processes.

Steps start children of their own (pytest, a build, npm, Gradle) with ``subprocess``. When
``cf`` is killed — even with ``SIGKILL``, which no handler sees — those children would keep
running beside the next run. :func:`start_reaper` starts a small watchdog process in its own
session, connected to ``cf`` by a pipe: while ``cf`` lives the watchdog notes its descendants
every :data:`INTERVAL_S` seconds (from ``/proc/<pid>/task/<tid>/children``); when the pipe
closes without the word ``done`` (``cf`` died), it sends ``SIGTERM`` to every noted descendant
still alive (and theirs), then ``SIGKILL`` after :data:`GRACE_S` seconds. A normal exit calls the
returned ``stop`` and nothing is killed. Linux only (``/proc``); elsewhere it does nothing.

Run as ``python -m connector_factory.reaper PARENT_PID FD``.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: Seconds between two looks at the descendants.
INTERVAL_S = 0.5
#: Seconds between ``SIGTERM`` and ``SIGKILL``.
GRACE_S = 2.0

_PROC = Path("/proc")


def _start_time(pid: int) -> int | None:
    """The start time (clock ticks since boot) of ``pid``, or ``None`` when it is gone."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[19]) if len(fields) > 19 and fields[0] != "Z" else None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def descendants(roots: list[int], exclude: int) -> dict[int, int]:
    """Every live descendant of ``roots`` (not the roots), but ``exclude``: pid -> start time."""
    seen: dict[int, int] = {}
    todo = [c for r in roots for c in _children(r)]
    while todo:
        pid = todo.pop()
        if pid in seen or pid == exclude:
            continue
        started = _start_time(pid)
        if started is None:
            continue
        seen[pid] = started
        todo += _children(pid)
    return seen


def _kill(tracked: dict[int, int]) -> None:
    every = dict(tracked)
    every.update(descendants(list(tracked), os.getpid()))
    alive = {p: t for p, t in every.items() if _start_time(p) == t}
    for pid in alive:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            continue
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and any(_start_time(p) == t for p, t in alive.items()):
        time.sleep(0.05)
    for pid, started in alive.items():
        if _start_time(pid) == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue


def watch(parent: int, fd: int) -> None:
    """Note ``parent``'s descendants until ``fd`` says ``done`` (return) or closes (kill them)."""
    tracked: dict[int, int] = {}
    while True:
        ready, _, _ = select.select([fd], [], [], INTERVAL_S)
        if ready:
            if os.read(fd, 16).startswith(b"done"):
                return
            break
        tracked = {p: t for p, t in tracked.items() if _start_time(p) == t}
        tracked.update(descendants([parent], os.getpid()))
    _kill(tracked)


def start_reaper() -> Callable[[], None]:
    """Start the watchdog for this process; returns ``stop`` for a normal exit (idempotent).

    Does nothing (and ``stop`` does nothing) where ``/proc`` has no children lists.
    """
    if not (_PROC / str(os.getpid()) / "task").is_dir():
        return lambda: None
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "connector_factory.reaper", str(os.getpid()), str(read_end)],
        pass_fds=(read_end,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    os.close(read_end)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        try:
            os.write(write_end, b"done")
        finally:
            os.close(write_end)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()

    return stop


if __name__ == "__main__":  # pragma: no cover - run as a process by start_reaper
    watch(int(sys.argv[1]), int(sys.argv[2]))
