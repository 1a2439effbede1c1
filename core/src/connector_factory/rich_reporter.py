"""A :class:`~connector_factory.reporter.Reporter` that prints with rich: messages, spinners and
progress bars on the terminal (plain lines when output is not a terminal)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

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


class _Bar(ProgressColumn):
    """A bar for tasks with a total; nothing for spinners."""

    def __init__(self) -> None:
        super().__init__()
        self._bar = BarColumn()

    def render(self, task: Task) -> RenderableType:
        """The bar, or an empty text when ``task`` has no total."""
        return self._bar.render(task) if task.total is not None else Text("")


class _Count(ProgressColumn):
    """``done/total`` for tasks with a total; nothing for spinners."""

    def render(self, task: Task) -> RenderableType:
        """The count, or an empty text when ``task`` has no total."""
        if task.total is None:
            return Text("")
        return Text(f"{task.completed:.0f}/{task.total:.0f}")


class _PlainProgress:
    def advance(self, steps: float = 1) -> None:
        """Nothing to redraw without a terminal."""

    def update(self, description: str) -> None:
        """Nothing to redraw without a terminal."""


class RichReporter:
    """Reporter on a rich console (stderr for messages, so stdout stays for results)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        #: The live progress display while one runs: a nested ``progress`` adds a line to it
        #: (rich allows one live display at a time).
        self._live: Progress | None = None

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
        if self._live is not None:
            live = self._live
            task = live.add_task(description, total=total)
            try:
                yield _RichProgress(live, task)
            finally:
                live.remove_task(task)
            return
        columns = [SpinnerColumn(), TextColumn("{task.description}"), _Bar(), _Count(),
                   TimeElapsedColumn()]
        with Progress(*columns, console=self.console, transient=True) as progress:
            self._live = progress
            try:
                task = progress.add_task(description, total=total)
                yield _RichProgress(progress, task)
            finally:
                self._live = None
