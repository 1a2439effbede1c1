"""``cf status``: the progress tracker table of a project."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from connector_factory.models import STEPS
from connector_factory.state import StateStore

_STYLE = {"completed": "green", "failed": "red", "in_progress": "yellow", "pending": "dim",
          "skipped": "blue"}


def _tokens(usage: dict[str, float]) -> str:
    if not usage:
        return "-"
    parts = [f"in {int(usage.get('input', 0))}", f"out {int(usage.get('output', 0))}"]
    if usage.get("cache_read"):
        parts.append(f"cached {int(usage['cache_read'])}")
    if usage.get("cache_write"):
        parts.append(f"cache write {int(usage['cache_write'])}")
    if "cost_usd" in usage:
        parts.append(f"${usage['cost_usd']:.4f}")
    return ", ".join(parts)


def render_status(project_dir: Path, console: Console | None = None) -> None:
    """Print the tracker for ``project_dir``: step, status, gate, duration (s), outputs, tokens.

    A completed step whose outputs changed on disk shows as ``completed (stale)``; a step left
    ``in_progress`` by a killed run shows as ``interrupted``. Raises ``InputError`` when the
    folder holds no project.
    """
    store = StateStore(project_dir)
    state = store.load()
    console = console or Console(width=160)
    table = Table(title=f"{state.name} — {state.target}")
    for column in ("step", "status", "gate", "duration", "outputs", "tokens", "note"):
        table.add_column(column, overflow="fold")
    for step in STEPS:
        info = state.step(step)
        status: str = info.status
        if status == "completed" and state.stale_outputs(step, project_dir):
            status = "completed (stale)"
        elif status == "in_progress":
            status = "interrupted"
        style = _STYLE.get(info.status, "")
        outputs = ", ".join(o.path.rsplit("/", 1)[-1] for o in info.outputs[:4])
        if len(info.outputs) > 4:
            outputs += f" (+{len(info.outputs) - 4})"
        note = info.skip_reason or info.message or ""
        detail_lines = info.details.get("tracker")
        if isinstance(detail_lines, list):
            note = "\n".join([note, *map(str, detail_lines)]).strip()
        table.add_row(step.command, f"[{style}]{status}[/]", info.gate or "-",
                      f"{info.duration_s:.1f}s" if info.duration_s is not None else "-",
                      outputs or "-", _tokens(info.usage), note)
    console.print(table)
