"""A :class:`~connector_factory.reporter.Reporter` that prints with rich: messages, spinners and
progress bars on the terminal (plain lines when output is not a terminal)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from connector_factory.reporter import Progress as ProgressProtocol


class _RichProgress:
    def __init__(self, progress: Progress, task: int) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: float = 1) -> None:
        """Move the bar by ``steps`` units."""
        self._progress.advance(self._task, steps)  # type: ignore[arg-type]

    def update(self, description: str) -> None:
        """Relabel the bar or spinner."""
        self._progress.update(self._task, description=description)  # type: ignore[arg-type]


#: Seconds a block runs before a plain (non-terminal) progress line is printed.
PLAIN_AFTER_S = 1.0


class _PlainProgress:
    def advance(self, steps: float = 1) -> None:
        """Nothing to redraw without a terminal."""

    def update(self, description: str) -> None:
        """Nothing to redraw without a terminal."""


class RichReporter:
    """Reporter on a rich console (stderr for messages, so stdout stays for results)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)

    def info(self, message: str) -> None:
        """Print an informational line."""
        self.console.print(f"[cyan]•[/] {message}", highlight=False)

    def warn(self, message: str) -> None:
        """Print a warning line."""
        self.console.print(f"[yellow]warning:[/] {message}", highlight=False)

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[ProgressProtocol]:
        """A spinner (``total=None``) or a bar out of ``total`` while the block runs; when the
        console is not a terminal, one plain line ``… description`` once the block has run
        for :data:`PLAIN_AFTER_S` seconds (so a long wait is never silent)."""
        if not self.console.is_terminal:
            import threading

            done = threading.Event()

            def announce() -> None:
                if not done.wait(PLAIN_AFTER_S):
                    self.console.print(f"… {description}", highlight=False, markup=False)

            thread = threading.Thread(target=announce, daemon=True)
            thread.start()
            try:
                yield _PlainProgress()
            finally:
                done.set()
                thread.join()
            return
        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f}")]
        columns.append(TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task(description, total=total)
            yield _RichProgress(progress, task)
