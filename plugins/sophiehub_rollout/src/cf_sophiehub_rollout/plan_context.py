"""The rollout plan as the template's context: the completed intake, phases, waves, agents."""

from __future__ import annotations

from typing import Any

from cf_sophiehub_rollout.intake import Assumption, Intake, Task
from cf_sophiehub_rollout.waves import compute_waves, default_tasks, mermaid

PULL_MODE_NOTES = {
    "incremental": "changes since the watermark, with an overlap window",
    "snapshot": "everything each run, rows upserted",
    "hybrid": "incremental runs plus a nightly snapshot to catch deletes",
}


def phases(intake: Intake) -> list[dict[str, Any]]:
    """Delivery phases 1–4 with scope, deliverables and validation tests."""
    name = intake.connector
    one_to_one = [link.source for link in intake.links if link.cardinality == "1:1"]
    return [
        {"key": "mapping", "title": "Connection and mapping",
         "scope": "connect with the token; link external identities to entities",
         "deliverables": ["migration with link sources and 1:1 indexes", "mapping API routes",
                          "mapping UI"],
         "tests": [f"a second `{s}` link for one entity is rejected by the database"
                   for s in one_to_one] + ["re-linking the same external ID updates its row",
                                           "the token is read from the environment only"]},
        {"key": "sync", "title": "Sync engine",
         "scope": f"{intake.pull_mode} pull into Sophie Hub with {name}_sync_state",
         "deliverables": ["sync route with lease", "watermark + overlap resume",
                          "page cap per run"],
         "tests": ["resume from watermark: a killed run restarts at watermark - overlap",
                   "overlap: records seen twice are upserted, never duplicated",
                   "pagination cap: a run stops after the cap and the next run continues",
                   "a held lease makes a second concurrent run exit without work"]},
        {"key": "analytics", "title": "Analytics",
         "scope": "metrics on synced data", "deliverables": ["metric queries", "dashboard tiles"],
         "tests": ["metrics match a hand count on a fixture week"]},
        {"key": "ops", "title": "Operational readiness",
         "scope": "alerts, runbook, go/no-go", "deliverables": ["error surfacing", "runbook"],
         "tests": ["a failing sync records last_error and alerts", "go/no-go checklist signed"]},
    ]


def plan_context(intake: Intake, assumptions: list[Assumption], tasks: list[Task],
                 migration: str, intake_source: str, to_build: list[str]) -> dict[str, Any]:
    """The ``plan`` dict the ``sophiehub-rollout`` template renders.

    Raises:
        InputError: from :func:`~cf_sophiehub_rollout.waves.compute_waves` (cycle, missing task).
    """
    waves = compute_waves(tasks or default_tasks(intake.connector))
    agents: dict[str, dict[str, Any]] = {}
    for number, wave in enumerate(waves, 1):
        for task in wave:
            entry = agents.setdefault(task.agent, {"wave": number, "tasks": []})
            entry["tasks"].append(task.model_dump())
    for agent in ("schema-sync", "api-integration", "analytics", "ui-ops"):
        agents.setdefault(agent, {"wave": "-", "tasks": []})
    assert intake.limits is not None and intake.pull_mode is not None
    return {
        "name": intake.connector, "upper": intake.connector.upper().replace("_", "-"),
        "display_name": intake.display_name, "intake_source": intake_source,
        "success": intake.success, "urgent_phase": intake.urgent_phase,
        "auth_model": intake.auth_model or "to confirm with the source's admin",
        "limits": intake.limits.model_dump(), "pull_mode": intake.pull_mode,
        "pull_mode_note": PULL_MODE_NOTES[intake.pull_mode],
        "links": [link.model_dump() for link in intake.links],
        "env": list(intake.env), "api_routes": list(intake.api_routes),
        "migration": migration, "phases": phases(intake),
        "waves": [[t.model_dump() for t in wave] for wave in waves],
        "mermaid": mermaid(waves), "agents": agents,
        "assumptions": [a.model_dump() for a in assumptions], "to_build": to_build,
    }
