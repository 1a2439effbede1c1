"""The rollout plan as the template's context: the completed intake, phases, waves, agents,
the env vars the handoff lists, and the plan and prompt rendered in the playbook's form."""

from __future__ import annotations

from typing import Any

from cf_sophiehub_rollout.crosscheck import Decisions
from cf_sophiehub_rollout.intake import Assumption, Intake, Task
from cf_sophiehub_rollout.playbook import Playbook, fill_prompt
from cf_sophiehub_rollout.waves import compute_waves, default_tasks, mermaid

PULL_MODE_NOTES = {
    "incremental": "changes since the watermark, with an overlap window",
    "snapshot": "everything each run, rows upserted",
    "hybrid": "incremental runs plus a nightly snapshot to catch deletes",
}
#: Where the Claude agent-team prompt goes, beside the loop files.
PROMPT_FILE = "claude-agent-team-prompt.md"


def phases(intake: Intake, sync_table: str) -> list[dict[str, Any]]:
    """Delivery phases 1–4 with scope, deliverables and validation tests (each with the
    evidence that passes it)."""
    one_to_one = [link.source for link in intake.links
                  if link.cardinality == "1:1" and not link.reuse]
    gate = "`cf test-gate` (migration on the checkout's schema)"
    return [
        {"key": "mapping", "ui_surface": "the mapping UI",
         "title": "Connection and mapping",
         "scope": "connect with the token; link external identities to entities",
         "deliverables": ["migration with link sources and 1:1 indexes", "mapping API routes",
                          "mapping UI"],
         "tests": [(f"a second `{s}` link for one entity is rejected by the database", gate)
                   for s in one_to_one]
         + [("re-linking the same external ID updates its row", "route test"),
            ("the token is read from the environment only", "`cf validate` env check"),
            (f"`anon` can neither read nor write `{sync_table}`", gate)]},
        {"key": "sync", "ui_surface": "the sync status indicator",
         "title": "Sync engine",
         "scope": f"{intake.pull_mode} pull into Sophie Hub with {sync_table}",
         "deliverables": ["sync route with lease", "watermark + overlap resume",
                          "page cap per run"],
         "tests": [("resume from watermark: a killed run restarts at watermark - overlap",
                    "sync engine test"),
                   ("overlap: records seen twice are upserted, never duplicated",
                    "sync engine test"),
                   ("pagination cap: a run stops after the cap and the next run continues",
                    "sync engine test"),
                   ("a held lease makes a second concurrent run exit without work",
                    "sync engine test")]},
        {"key": "analytics", "ui_surface": "the dashboard tiles",
         "title": "Analytics",
         "scope": "metrics on synced data", "deliverables": ["metric queries", "dashboard tiles"],
         "tests": [("metrics match a hand count on a fixture week", "analytics test")]},
        {"key": "ops", "ui_surface": "the error and alert views",
         "title": "Operational readiness",
         "scope": "alerts, runbook, go/no-go", "deliverables": ["error surfacing", "runbook"],
         "tests": [("a failing sync records last_error and alerts", "ops drill"),
                   ("go/no-go checklist signed", "section I")]},
    ]


def handoff_env(intake: Intake, connector_env: dict[str, str]) -> list[str]:
    """Every env var the handoff lists: the intake's and every one the connector's code
    reads (``connector_env``: name -> where)."""
    return list(dict.fromkeys([*intake.env, *sorted(connector_env)]))


def plan_context(intake: Intake, assumptions: list[Assumption], tasks: list[Task],
                 migration: str, intake_source: str, to_build: list[str],
                 decisions: Decisions, playbook: Playbook,
                 connector_env: dict[str, str]) -> dict[str, Any]:
    """The ``plan`` dict the ``sophiehub-rollout`` template renders (``markdown`` is the plan,
    ``prompt`` the Claude agent-team prompt).

    Raises:
        InputError: from :func:`~cf_sophiehub_rollout.waves.compute_waves` (cycle, missing task).
    """
    from cf_sophiehub_rollout.plan_doc import render_plan

    waves = compute_waves(tasks or default_tasks(intake.connector))
    agents: dict[str, dict[str, Any]] = {}
    for number, wave in enumerate(waves, 1):
        for task in wave:
            entry = agents.setdefault(task.agent, {"wave": number, "tasks": []})
            entry["tasks"].append(task.model_dump())
    for agent in ("schema-sync", "api-integration", "analytics", "ui-ops"):
        agents.setdefault(agent, {"wave": "-", "tasks": []})
    assert intake.limits is not None and intake.pull_mode is not None
    ui = intake.ui if intake.ui is not None else any(t.agent == "ui-ops" for wave in waves
                                                      for t in wave)
    table = decisions.sync_table
    env = handoff_env(intake, connector_env)
    docs = f"src/docs/connectors/{intake.connector}"
    notes = list(decisions.notes)
    notes.append("row-level security on new tables follows "
                 + (f"the policies of `{decisions.pattern_from}`" if decisions.pattern_from
                    else "the service-role-writes, admins-read pattern (the checkout shows "
                         "none to copy)"))
    notes.append(f"the migration `{migration}` sorts after every migration the checkout has")
    questions = [f"Who besides the service role and admins (the pattern's readers) must read "
                 f"`{table}`?"]
    if not intake.scale:
        notes.append("scale: assumed small (under 10,000 records a day) until measured")
        questions.append("What scale is expected (records a day, active users)?")
    if any("never apply" in n or "do not apply" in n for n in decisions.notes):
        questions.append("Do the checkout's migrations that do not apply on a fresh database "
                         "matter to this connector?")
    p: dict[str, Any] = {
        "name": intake.connector, "upper": intake.connector.upper().replace("_", "-"),
        "display_name": intake.display_name, "intake_source": intake_source,
        "success": intake.success, "urgent_phase": intake.urgent_phase,
        "auth_model": intake.auth_model or "to confirm with the source's admin",
        "limits": intake.limits.model_dump(), "pull_mode": intake.pull_mode,
        "pull_mode_note": PULL_MODE_NOTES[intake.pull_mode],
        "links": [link.model_dump() for link in intake.links],
        "env": env, "env_where": connector_env,
        "base_url_env": next((v for v in env if v.endswith("BASE_URL")), ""),
        "api_routes": list(intake.api_routes),
        "migration": migration, "phases": phases(intake, table), "sync_table": table,
        "waves": [[t.model_dump() for t in wave] for wave in waves],
        "mermaid": mermaid(waves), "agents": agents,
        "assumptions": [a.model_dump() for a in assumptions], "to_build": to_build,
        "notes": notes, "questions": questions, "ui": ui, "ui_checks": playbook.ui_checks,
        "docs": docs, "handoff": f"{docs}/SETUP-HANDOFF.md", "prompt_file": PROMPT_FILE,
        "loop_files": playbook.loop_files,
        "risks": [
            (f"rate limit ({intake.limits.rate_limit}) exhausted by a backfill",
             "page cap per run, backoff on 429 honouring Retry-After, backfill spread over runs"),
            ("two sync runs overlap", f"lease (`lease_owner`, `lease_expires_at`) in `{table}`"),
            ("records changed during a run are missed",
             "resume from `watermark - overlap_seconds`; upserts make re-reads harmless"),
            ("wrong person linked by an ambiguous match",
             "1:1 links enforced in the database; ambiguous matches left for manual mapping"),
            (f"history beyond retention ({intake.limits.retention}) lost",
             "first sync stores what the source still has; the plan says so to stakeholders")],
        "go_no_go": [f"Migration `{migration}` applied in staging and production",
                     "Secrets " + ", ".join(env) + " set in `.env.local` and the deployment",
                     "1:1 links rejected twice for one entity (database check)",
                     f"`anon` cannot read or write `{table}` (database check)",
                     f"On-call knows where sync errors show (`{table}.last_error`)"],
    }
    p["markdown"] = render_plan(playbook, p)
    prompt, missing = fill_prompt(playbook.prompt, {
        "CONNECTOR": intake.display_name, "GOAL": intake.success,
        "LINKS": "; ".join(f"{link.external_field} -> {link.entity} (`{link.source}`)"
                           for link in intake.links),
        "CARDINALITY": "; ".join(f"`{link.source}` {link.cardinality}" for link in intake.links),
        "SCALE": intake.scale or "assumed small (under 10,000 records a day) until measured",
        "PRIORITY": str(intake.urgent_phase)})
    p["prompt"] = prompt
    p["prompt_missing"] = missing
    return p
