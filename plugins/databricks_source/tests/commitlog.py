"""A driver that reads a table the way a Lakeflow pipeline checkpoints it.

Each batch and its end offset are committed together as one line of a JSON-lines file (one
``write`` plus ``fsync``), so a process killed mid-read leaves at most a torn last line, which
is not a commit. A restart resumes from the last committed offset; a batch that raised is never
committed. Used in-process by the fault suite and by ``data/read_batches.py`` in a subprocess
(for ``kill -9``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Most read_table calls in one run, and most restarts after errors.
MAX_CALLS = 500
MAX_RESTARTS = 6


class CommitLog:
    """The committed batches of one table, in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def batches(self) -> list[dict[str, Any]]:
        """Every committed ``{"offset": …, "records": […]}``, in order (a torn line is skipped)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def offset(self) -> Any:
        """The last committed offset (``None`` before the first commit)."""
        batches = self.batches()
        return batches[-1]["offset"] if batches else None

    def commit(self, records: list[dict[str, Any]], offset: Any) -> None:
        """Append one batch and its end offset atomically."""
        line = json.dumps({"offset": offset, "records": records}, default=str) + "\n"
        with self.path.open("a") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def read_to_end(connector: Any, table: str, log: CommitLog, table_options: dict[str, str]) -> int:
    """Read ``table`` from the log's offset until the offset stops changing, committing each
    batch; returns the calls made. A snapshot (offset ``None``) is one call."""
    offset = log.offset() or {}
    for calls in range(1, MAX_CALLS + 1):
        records, end = connector.read_table(table, offset, table_options)
        batch = list(records)
        log.commit(batch, end)
        if end is None or end == offset:
            return calls
        offset = end
    raise AssertionError(f"{table}: no stable offset after {MAX_CALLS} calls")


def drive(make_connector: Callable[[], Any], table: str, log: CommitLog,
          table_options: dict[str, str], errors: tuple[type[BaseException], ...]
          ) -> list[str]:
    """Read to the end, restarting with a fresh connector after each error in ``errors``;
    returns the error messages met (at most :data:`MAX_RESTARTS`)."""
    met: list[str] = []
    for _ in range(MAX_RESTARTS + 1):
        try:
            read_to_end(make_connector(), table, log, table_options)
            return met
        except errors as exc:
            met.append(str(exc))
    raise AssertionError(f"{table}: still failing after {MAX_RESTARTS} restarts: {met[-1]}")


def emitted(log: CommitLog, snapshot: bool = False) -> list[list[dict[str, Any]]]:
    """The committed batches' records (a snapshot: only the last committed one counts)."""
    batches = [b["records"] for b in log.batches()]
    return batches[-1:] if snapshot else batches
