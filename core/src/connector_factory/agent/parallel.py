"""Running independent agent work items concurrently, with a limit.

Used for, e.g., the wave-1 tasks of a rollout plan: each item runs ``work(item)`` in a thread
(the loop spends its time waiting on the API and on commands, so threads suffice); at most
``max_workers`` run at once. Every item's outcome is returned, in the order of the items; one
failing item does not cancel the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Environment variable that sets the default limit.
PARALLEL_ENV = "CF_MAX_PARALLEL_AGENTS"
DEFAULT_MAX_WORKERS = 4


@dataclass(frozen=True)
class WorkOutcome(Generic[T, R]):
    """The outcome of one item: its ``result``, or the ``error`` it raised."""

    item: T
    result: R | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """Whether the work returned without raising."""
        return self.error is None


def default_max_workers() -> int:
    """The limit from ``CF_MAX_PARALLEL_AGENTS`` (a positive integer), else 4."""
    raw = os.environ.get(PARALLEL_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_WORKERS


def run_parallel(items: Sequence[T], work: Callable[[T], R],
                 max_workers: int | None = None) -> list[WorkOutcome[T, R]]:
    """Run ``work`` on every item, at most ``max_workers`` at once (default
    :func:`default_max_workers`), and return the outcomes in item order. Exceptions (including
    :class:`~connector_factory.errors.CfError`) are captured per item, never raised;
    ``KeyboardInterrupt`` is not captured.

    Raises:
        ValueError: ``max_workers`` is below 1.
    """
    limit = default_max_workers() if max_workers is None else max_workers
    if limit < 1:
        raise ValueError(f"max_workers must be at least 1, got {limit}")
    if not items:
        return []

    def one(item: T) -> WorkOutcome[T, R]:
        try:
            return WorkOutcome(item=item, result=work(item))
        except Exception as exc:
            return WorkOutcome(item=item, error=exc)

    with ThreadPoolExecutor(max_workers=min(limit, len(items)),
                            thread_name_prefix="cf-agent") as pool:
        return list(pool.map(one, items))
