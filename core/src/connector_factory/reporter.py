"""Where steps send progress and messages.

Plugins call ``ctx.reporter.info(...)`` and wrap long work in ``with ctx.reporter.progress(...)``;
the CLI gives them a rich-backed reporter, tests a :class:`RecordingReporter`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Progress(Protocol):
    """A running progress indicator: ``advance(n)`` moves it, ``update(text)`` relabels it."""

    def advance(self, steps: float = 1) -> None: ...

    def update(self, description: str) -> None: ...


class Reporter(Protocol):
    """Progress and messages from a step.

    ``progress(description, total)`` is a context manager yielding a :class:`Progress`; with
    ``total=None`` it is a spinner, otherwise a bar out of ``total`` units.
    """

    def info(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def progress(
        self, description: str, total: float | None = None
    ) -> AbstractContextManager[Progress]: ...


class _NullProgress:
    def advance(self, steps: float = 1) -> None:
        """Ignore progress."""

    def update(self, description: str) -> None:
        """Ignore a new label."""


class RecordingReporter:
    """A reporter that keeps every message in ``lines`` (``"info: …"``, ``"warn: …"``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        """Record an informational line."""
        self.lines.append(f"info: {message}")

    def warn(self, message: str) -> None:
        """Record a warning line."""
        self.lines.append(f"warn: {message}")

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[Progress]:
        """Record the start of a progress indicator and yield one that does nothing."""
        self.lines.append(f"progress: {description}")
        yield _NullProgress()
