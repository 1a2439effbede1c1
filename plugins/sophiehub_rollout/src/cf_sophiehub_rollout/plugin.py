"""Hook impls of the ``sophiehub-rollout`` target.

plan reads (or asks) the intake and records it completed, with its assumptions, in
``src/docs/connectors/NAME/intake.yaml``; scaffold renders the plan, handoff and agent prompts
from the template and writes the migration; validate and test_gate are the automated review
gate (:mod:`.checks`); document writes the review loop's context and, with Claude, runs the
review loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from connector_factory import hookimpl
from connector_factory.errors import InputError
from connector_factory.models import StepContext, StepResult, Target

from cf_sophiehub_rollout.intake import Assumption, Intake, complete, load_intake
from cf_sophiehub_rollout.targets import TARGET

QUESTIONS = (
    ("links", "Linking points (external field -> entity), e.g. 'SupTask user id -> staff'"),
    ("cardinality", "Cardinality of each link (1:1 or 1:N), in the same order"),
    ("urgent_phase", "Most urgent phase (mapping, sync, analytics, ops)"),
    ("limits", "Source plan limits (rate limit; retention; scopes)"),
    ("success", "What is success in the first 2-4 weeks?"),
)


def _mine(ctx: StepContext) -> bool:
    return ctx.target == TARGET


def _docs(name: str) -> str:
    return f"src/docs/connectors/{name}"


def _intake_file(ctx: StepContext) -> str:
    return f"{_docs(ctx.name)}/intake.yaml"


def _recorded(ctx: StepContext) -> tuple[Intake, list[Assumption], str]:
    path = ctx.project_dir / _intake_file(ctx)
    if not path.is_file():
        raise InputError(f"{_intake_file(ctx)} is missing", "run `cf plan` first")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        intake = Intake.model_validate(data.get("intake") or {})
        assumptions = [Assumption.model_validate(a) for a in data.get("assumptions") or []]
    except ValueError as exc:
        raise InputError(f"{_intake_file(ctx)} is invalid: {str(exc).splitlines()[0]}",
                         "fix it or run `cf plan` again") from None
    return intake, assumptions, str(data.get("migration") or "")


@hookimpl
def cf_targets() -> list[Target]:
    """The ``sophiehub-rollout`` target (described in :mod:`.targets`)."""
    from cf_sophiehub_rollout.targets import TARGETS

    return [Target.model_validate(target) for target in TARGETS]


def _ask(ctx: StepContext) -> Intake:
    import typer

    answers: dict[str, str] = {}
    for key, question in QUESTIONS:
        answers[key] = typer.prompt(question, default="", show_default=False).strip()
    links = []
    cards = [c.strip() for c in answers["cardinality"].split(",") if c.strip()]
    for i, pair in enumerate(p for p in answers["links"].split(",") if "->" in p):
        external, entity = (s.strip() for s in pair.split("->", 1))
        links.append({"external_field": external, "entity": entity.lower().replace(" ", "_"),
                      "source": f"{ctx.name}_{entity.lower().replace(' ', '_')}",
                      "cardinality": cards[i] if i < len(cards) else None})
    parts = [p.strip() for p in answers["limits"].split(";")]
    data: dict[str, Any] = {"links": links, "success": answers["success"]}
    if answers["urgent_phase"]:
        data["urgent_phase"] = answers["urgent_phase"]
    if any(parts):
        data["limits"] = {"rate_limit": parts[0], "retention": parts[1] if len(parts) > 1 else "",
                          "scopes": parts[2].split() if len(parts) > 2 else []}
    try:
        return Intake.model_validate(data)
    except ValueError as exc:
        raise InputError(f"an answer is invalid: {str(exc).splitlines()[0]}",
                         "run `cf plan` again, or pass --intake FILE") from None


def _other_rollout_migrations(ctx: StepContext) -> list[str]:
    """Migration names other rollouts in this checkout recorded (planned, maybe not written)."""
    names = []
    for path in sorted((ctx.project_dir / "src" / "docs" / "connectors").glob("*/intake.yaml")):
        if path.parent.name == ctx.name:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("migration"):
            names.append(str(data["migration"]))
    return names


def _is_checkout(root: Path, own: str = "") -> bool:
    from cf_sophiehub_rollout.checkout import existing_migrations

    return any(n != own for n in existing_migrations(root))


def _existing_parts(root: Path, name: str, schema: Any) -> list[str]:
    """What the checkout already has of connector ``name``: its module, tables, routes."""
    from cf_sophiehub_rollout.checkout import connectors, routes

    parts = []
    spellings = {name, name.replace("_", "-")}
    if spellings & set(connectors(root)):
        parts.append(f"the checkout already has the connector module src/lib/connectors/"
                     f"{next(iter(spellings & set(connectors(root))))}.ts; this rollout adds to "
                     "it")
    tables = sorted(t for t in (schema.tables if schema is not None else {})
                    if t.startswith(f"{name}_"))
    if tables:
        parts.append("its tables already exist and are kept: " + ", ".join(tables))
    have = {path: methods for path, methods in routes(root).items()
            if any(path.startswith(f"/api/{s}/") or path == f"/api/{s}" for s in spellings)}
    if have:
        parts.append("its routes already exist: " + ", ".join(
            f"{' '.join(sorted(m)) or '(no method)'} {path}" for path, m in sorted(have.items())))
    return parts


@hookimpl
def cf_plan(ctx: StepContext) -> StepResult | None:
    """Read or ask the intake; check it against the checkout; record it completed with
    explicit assumptions and the migration's decisions."""
    if not _mine(ctx):
        return None
    from connector_factory.testing.postgres import PostgresUnavailable

    from cf_sophiehub_rollout.checkout import checkout_sources, connector_env, existing_migrations
    from cf_sophiehub_rollout.crosscheck import check_sources, cross_check
    from cf_sophiehub_rollout.migration import migration_name
    from cf_sophiehub_rollout.schema import Schema, checkout_schema

    if ctx.inputs.get("intake"):
        intake, source = load_intake(Path(ctx.inputs["intake"])), Path(ctx.inputs["intake"]).name
    elif ctx.interactive:
        intake, source = _ask(ctx), "answers given on the terminal"
    else:
        intake, source = Intake(), "no intake (every answer assumed)"
    if intake.connector and intake.connector != ctx.name:
        raise InputError(f"the intake is for connector {intake.connector!r}, not {ctx.name!r}",
                         f"run `cf new … {intake.connector}` or fix `connector:` in the intake")
    root = ctx.project_dir
    existing = existing_migrations(root) + _other_rollout_migrations(ctx)
    migration = migration_name(ctx.name, ctx.state.created_at, existing)
    sources = checkout_sources(root, skip=(migration,))
    refused = check_sources(intake, sources, None)  # from the files: no database needed yet
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise InputError(f"--intake: {refused[0]}{more}", "fix the intake and run `cf plan` again")
    schema: Schema | None = None
    if _is_checkout(root, migration):
        try:
            schema = checkout_schema(root, skip=(migration,))
        except PostgresUnavailable:
            schema = None
    links = []
    for link in intake.links:
        if link.reuse and link.cardinality is None and schema is not None:
            link = link.model_copy(update={"cardinality": "1:1" if link.source in
                                           schema.one_to_one else "1:N"})
        links.append(link)
    intake = intake.model_copy(update={"links": links})
    done, assumptions = complete(intake, ctx.name)
    decisions = cross_check(done, sources, schema if _is_checkout(root, migration) else None)
    if not _is_checkout(root, migration):
        decisions.notes = [n for n in decisions.notes if "schema was not read" not in n]
        decisions.notes.append("no Sophie Hub checkout (--repo): nothing was checked against "
                               "existing sources, tables or code")
    decisions.notes += _existing_parts(root, ctx.name, schema)
    env = {name: str(places[0]) for name, places in connector_env(root, ctx.name).items()}
    record = {"source": source, "migration": migration,
              "intake": done.model_dump(mode="json", exclude_none=True),
              "assumptions": [a.model_dump() for a in assumptions],
              "decisions": decisions.as_dict(), "connector_env": env}
    writer = ctx.writer()
    writer.write(_intake_file(ctx), yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
    links_text = ", ".join(f"{link.source} {link.cardinality}"
                           f"{' (reused)' if link.reuse else ''}" for link in done.links)
    asked = "; ".join(a.question for a in assumptions)
    lines = [f"{len(done.links)} links ({links_text}); urgent phase {done.urgent_phase}; "
             f"migration {migration}",
             f"sync table {decisions.sync_table}: {decisions.sync_mode}"
             + (f" (+{len(decisions.add_columns)} columns)" if decisions.sync_mode == "extend"
                else ""),
             f"{len(assumptions)} assumption(s)" + (f": {asked}" if asked else "")]
    if schema is not None:
        lines.append(f"checkout schema: {len(schema.tables)} tables from "
                     f"{len(schema.chain.applied)} migrations"
                     + (f", {len(schema.chain.unapplied)} never apply"
                        if schema.chain.unapplied else ""))
    return StepResult(summary="\n".join(lines), outputs=writer.finish(),
                      details={"assumptions": len(assumptions)})


def _recorded_all(ctx: StepContext) -> tuple[Intake, list[Assumption], str, Any, dict[str, str],
                                             str]:
    from cf_sophiehub_rollout.crosscheck import Decisions

    intake, assumptions, migration = _recorded(ctx)
    data = yaml.safe_load((ctx.project_dir / _intake_file(ctx)).read_text(encoding="utf-8"))
    if not isinstance(data.get("decisions"), dict):
        raise InputError(f"{_intake_file(ctx)} has no decisions (made by an older version)",
                         "run `cf plan` again")
    return (intake, assumptions, migration, Decisions.from_dict(data["decisions"]),
            {str(k): str(v) for k, v in (data.get("connector_env") or {}).items()},
            str(data.get("source", "")))


@hookimpl
def cf_scaffold(ctx: StepContext) -> StepResult | None:
    """Render the plan, the handoff, the Claude prompt and the agent prompts; write the
    migration."""
    if not _mine(ctx):
        return None
    from connector_factory.templates import find_template, render_template

    from cf_sophiehub_rollout.checks import missing_in_checkout
    from cf_sophiehub_rollout.migration import MIGRATIONS_DIR, render_migration
    from cf_sophiehub_rollout.plan_context import plan_context
    from cf_sophiehub_rollout.playbook import load_playbook

    intake, assumptions, migration, decisions, env, source = _recorded_all(ctx)
    to_build = missing_in_checkout(ctx.project_dir, intake)
    playbook = load_playbook(ctx.project_dir)
    context = plan_context(intake, assumptions, intake.tasks, migration, source, to_build,
                           decisions, playbook, env)
    writer = ctx.writer()
    render_template(find_template("cf_sophiehub_rollout", TARGET),
                    {"project_dir": "rollout", "plan": context}, writer)
    writer.write(f"{MIGRATIONS_DIR}/{migration}", render_migration(intake, decisions))
    outputs = writer.finish()
    waves = " → ".join("+".join(t["agent"] for t in wave) for wave in context["waves"])
    return StepResult(summary=f"{len(outputs)} files; waves: {waves}; following "
                              f"{playbook.origin}; still to build: "
                              f"{', '.join(to_build) or 'nothing'}", outputs=outputs,
                      details={"waves": len(context["waves"]), "to_build": to_build})


def _plan_text(ctx: StepContext) -> str:
    upper = ctx.name.upper().replace("_", "-")
    path = ctx.project_dir / "src" / "docs" / f"{upper}-ROLLOUT-PLAN.md"
    if not path.is_file():
        raise InputError(f"{path.relative_to(ctx.project_dir)} is missing",
                         "run `cf scaffold` first")
    return path.read_text(encoding="utf-8")


@hookimpl
def cf_validate(ctx: StepContext) -> StepResult | None:
    """Static review checks against the checkout."""
    if not _mine(ctx):
        return None
    from cf_sophiehub_rollout.checks import validate_checks
    from cf_sophiehub_rollout.playbook import load_playbook

    intake, _, migration, _, env, _ = _recorded_all(ctx)
    handoff = ctx.project_dir / _docs(ctx.name) / "SETUP-HANDOFF.md"
    handoff_text = handoff.read_text(encoding="utf-8") if handoff.is_file() else ""
    return StepResult(checks=validate_checks(ctx.project_dir, intake, migration,
                                             _plan_text(ctx), env, handoff_text,
                                             load_playbook(ctx.project_dir)))


@hookimpl
def cf_test_gate(ctx: StepContext) -> StepResult | None:
    """The checkout's migrations, then the rollout's twice, on a real PostgreSQL; the
    checkout's npm checks against the unmodified branch. A blocked check blocks the gate."""
    if not _mine(ctx):
        return None
    from cf_sophiehub_rollout.gate import npm_checks, postgres_checks
    from cf_sophiehub_rollout.migration import MIGRATIONS_DIR

    intake, _, migration, decisions, _, _ = _recorded_all(ctx)
    path = ctx.project_dir / MIGRATIONS_DIR / migration
    if not path.is_file():
        raise InputError(f"{MIGRATIONS_DIR}/{migration} is missing", "run `cf scaffold` first")
    checks = [*postgres_checks(ctx.project_dir, migration, path.read_text(encoding="utf-8"),
                               intake, decisions, _is_checkout(ctx.project_dir, migration)),
              *npm_checks(ctx.project_dir)]
    return StepResult(checks=checks)  # a blocked check stops the gate (the core's rule)


def _loop_files(ctx: StepContext) -> list[str]:
    from cf_sophiehub_rollout.playbook import load_playbook

    return load_playbook(ctx.project_dir).loop_files


@hookimpl
def cf_document(ctx: StepContext) -> StepResult | None:
    """The review loop in the playbook's file names: ``00-context.md`` always; with Claude,
    every numbered round file and ``FINAL-APPROVED-PLAN.md``."""
    if not _mine(ctx):
        return None
    intake, assumptions, migration = _recorded(ctx)
    plan_file = f"src/docs/{ctx.name.upper().replace('_', '-')}-ROLLOUT-PLAN.md"
    folder = _docs(ctx.name)
    names = _loop_files(ctx)
    context_file = names[0] if names and names[0].startswith("00") else "00-context.md"
    rounds = [n for n in names if n != context_file]
    writer = ctx.writer()
    writer.write(f"{folder}/{context_file}", "\n".join([
        f"# {intake.display_name} rollout — review context", "",
        f"- Plan: `{plan_file}`", f"- Migration: `supabase/migrations/{migration}`",
        f"- Claude agent-team prompt: `{folder}/claude-agent-team-prompt.md`",
        f"- Links: {', '.join(f'{link.source} ({link.cardinality})' for link in intake.links)}",
        f"- Open assumptions: {len(assumptions)}", "",
        "The review loop writes, in order: " + ", ".join(rounds) + ". Implementation starts "
        "only once the last one exists.", ""]))
    outputs = writer.finish()
    if ctx.llm is None:
        return StepResult(summary=f"wrote {context_file}; the review loop ({', '.join(rounds)}) "
                                  "needs Claude: set ANTHROPIC_API_KEY and run `cf document`",
                          outputs=outputs)
    from connector_factory.agent import Limits, ToolPolicy, load_role, run_agent

    result = run_agent(ctx.llm, ctx.project_dir, step="document", role=load_role(
        "cf_sophiehub_rollout", "rollout-reviewer"),
        task=(f"Run the review loop for `{plan_file}`: write, in order, "
              + ", ".join(f"{folder}/{n}" for n in rounds)
              + " (each round file starts with date, author and decision summary; review "
                "files list findings by severity, each with the section it concerns; revision "
                "files map each finding to fixed/partial/deferred). Read "
                f"{folder}/{context_file} first."),
        policy=ToolPolicy(commands=()), limits=Limits(max_turns=30))
    wanted = [f"{folder}/{n}" for n in rounds]
    missing = [w for w in wanted if not (ctx.project_dir / w).is_file()]
    summary = ("review loop written" if not missing else
               f"review loop incomplete: missing {', '.join(missing)}")
    step = result.step_result(summary=summary, outputs=outputs + [w for w in wanted
                                                                  if w not in missing],
                              project_dir=ctx.project_dir)
    return step if not missing else step.model_copy(update={"status": "failed"})
