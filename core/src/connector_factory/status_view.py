"""``cf status``: the progress tracker table of a project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connector_factory.state import PROJECTS_DIR, STATE_DIR, STATE_FILE, StateStore
from connector_factory.steps import STEPS

if TYPE_CHECKING:  # rich is imported only when a table is drawn for a terminal
    from rich.console import Console

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
    """Print the tracker for ``project_dir``: step, status (and gate), duration, outputs, note
    and, once a step used the LLM, tokens (see :mod:`connector_factory.tables` for the layout).

    A completed step whose outputs changed on disk shows as ``completed (stale)``; a step with
    unresolved ``*.cf-new`` merges as ``blocked`` (the note lists them); a step left
    ``in_progress`` shows as ``running (PID n)`` while a run holds the project's lock and as
    ``interrupted`` once none does. ``console``: where to draw (default stdout, through rich only
    on a terminal). Raises ``InputError`` when the folder holds no project.
    """
    from connector_factory.files import CONFLICT_SUFFIX
    from connector_factory.lock import holder
    from connector_factory.tables import Column, print_table

    store = StateStore.at(project_dir.resolve())
    state = store.load()
    project_dir = store.project_dir
    running = holder(store.dir)
    with_tokens = any(state.step(step).usage for step in STEPS)
    rows, styles = [], []
    for step in STEPS:
        info = state.step(step)
        status: str = info.status
        conflicts = state.open_conflicts(project_dir, step)
        note = info.skip_reason or info.message or ""
        if conflicts:
            status = "blocked"
            note = "\n".join([f"merge: {p}{CONFLICT_SUFFIX}" for p in conflicts]
                             + ["`cf merge` or `cf discard`"])
        elif status == "completed" and state.stale_outputs(step, project_dir):
            status = "completed (stale)"
        elif status == "in_progress":
            status = f"running (PID {running.pid})" if running else "interrupted"
        outputs = ", ".join(o.path.rsplit("/", 1)[-1] for o in info.outputs[:4])
        if len(info.outputs) > 4:
            outputs += f" (+{len(info.outputs) - 4})"
        detail_lines = info.details.get("tracker")
        if isinstance(detail_lines, list):
            note = "\n".join([note, *map(str, detail_lines)]).strip()
        skipped = [f"check {c['name']}: skipped ({state.skipped_checks[c['name']]})"
                   for c in info.checks if c.get("name") in state.skipped_checks]
        note = "\n".join([note, *skipped]).strip()
        if info.gate:
            status += f"\ngate {info.gate}"
        row = [step.command, status,
               f"{info.duration_s:.1f}s" if info.duration_s is not None else "-",
               outputs or "-", note or "-"]
        rows.append(row + ([_tokens(info.usage)] if with_tokens else []))
        styles.append(_STYLE.get("failed" if conflicts else info.status, ""))
    columns = [Column("step", identifier=True), Column("status", identifier=True),
               Column("time", identifier=True), Column("outputs", min_width=12),
               Column("note", min_width=12)]
    if with_tokens:
        columns.append(Column("tokens", min_width=12))
    print_table(console, f"{state.name} — {state.target}", columns, rows, styles)
    lines = [f"a run holds this project: PID {running.pid} ({running.command})"] \
        if running is not None else []
    others = sorted((store.dir / PROJECTS_DIR).glob(f"*/{STATE_FILE}")) \
        if store.dir == project_dir / STATE_DIR else []
    lines += [f"also here: project {other.parent.name} (--project {other.parent})"
              for other in others]
    for line in lines:
        if console is None:
            print(line)
        else:
            console.print(line, highlight=False, markup=False)
