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
from connector_factory.models import Step, StepContext, StepResult, Target, TargetInput

from cf_sophiehub_rollout.intake import Assumption, Intake, complete, load_intake

TARGET = "sophiehub-rollout"
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
    """The ``sophiehub-rollout`` target."""
    return [Target(
        name=TARGET, summary="Sophie Hub connector rollout plan (mapping, migration, waves)",
        inputs=(TargetInput(name="intake", type="path",
                            help="intake answers (YAML); unanswered questions become assumptions"),
                TargetInput(name="repo", type="path", project_folder=True,
                            help="a Sophie Hub checkout to write into")),
        steps=(Step.plan, Step.scaffold, Step.validate, Step.test_gate, Step.document),
    )]


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


@hookimpl
def cf_plan(ctx: StepContext) -> StepResult | None:
    """Read or ask the intake; record it completed with explicit assumptions."""
    if not _mine(ctx):
        return None
    from cf_sophiehub_rollout.migration import existing_migrations, migration_name

    if ctx.inputs.get("intake"):
        intake, source = load_intake(Path(ctx.inputs["intake"])), Path(ctx.inputs["intake"]).name
    elif ctx.interactive:
        intake, source = _ask(ctx), "answers given on the terminal"
    else:
        intake, source = Intake(), "no intake (every answer assumed)"
    if intake.connector and intake.connector != ctx.name:
        raise InputError(f"the intake is for connector {intake.connector!r}, not {ctx.name!r}",
                         f"run `cf new … {intake.connector}` or fix `connector:` in the intake")
    done, assumptions = complete(intake, ctx.name)
    migration = migration_name(ctx.name, ctx.state.created_at,
                               existing_migrations(ctx.project_dir))
    record = {"source": source, "migration": migration,
              "intake": done.model_dump(mode="json", exclude_none=True),
              "assumptions": [a.model_dump() for a in assumptions]}
    writer = ctx.writer()
    writer.write(_intake_file(ctx), yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
    links = ", ".join(f"{link.source} {link.cardinality}" for link in done.links)
    asked = "; ".join(a.question for a in assumptions)
    lines = [f"{len(done.links)} links ({links}); urgent phase {done.urgent_phase}; "
             f"migration {migration}",
             f"{len(assumptions)} assumption(s)" + (f": {asked}" if asked else "")]
    return StepResult(summary="\n".join(lines), outputs=writer.finish(),
                      details={"assumptions": len(assumptions)})


@hookimpl
def cf_scaffold(ctx: StepContext) -> StepResult | None:
    """Render the plan, the handoff and the agent prompts; write the migration."""
    if not _mine(ctx):
        return None
    from connector_factory.templates import find_template, render_template

    from cf_sophiehub_rollout.checks import missing_in_checkout
    from cf_sophiehub_rollout.migration import MIGRATIONS_DIR, render_migration
    from cf_sophiehub_rollout.plan_context import plan_context

    intake, assumptions, migration = _recorded(ctx)
    to_build = missing_in_checkout(ctx.project_dir, intake)
    data = yaml.safe_load((ctx.project_dir / _intake_file(ctx)).read_text(encoding="utf-8"))
    context = plan_context(intake, assumptions, intake.tasks, migration,
                           str(data.get("source", "")), to_build)
    writer = ctx.writer()
    render_template(find_template("cf_sophiehub_rollout", TARGET),
                    {"project_dir": "rollout", "plan": context}, writer)
    writer.write(f"{MIGRATIONS_DIR}/{migration}", render_migration(intake))
    outputs = writer.finish()
    waves = " → ".join("+".join(t["agent"] for t in wave) for wave in context["waves"])
    return StepResult(summary=f"{len(outputs)} files; waves: {waves}; still to build: "
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

    intake, _, migration = _recorded(ctx)
    return StepResult(checks=validate_checks(ctx.project_dir, intake, migration,
                                             _plan_text(ctx)))


@hookimpl
def cf_test_gate(ctx: StepContext) -> StepResult | None:
    """The migration on a real PostgreSQL; the checkout's npm checks."""
    if not _mine(ctx):
        return None
    from cf_sophiehub_rollout.checks import npm_checks, postgres_check
    from cf_sophiehub_rollout.migration import MIGRATIONS_DIR

    intake, _, migration = _recorded(ctx)
    sql = (ctx.project_dir / MIGRATIONS_DIR / migration).read_text(encoding="utf-8")
    return StepResult(checks=[postgres_check(sql, intake), *npm_checks(ctx.project_dir)])


@hookimpl
def cf_document(ctx: StepContext) -> StepResult | None:
    """The review loop: ``00-context.md`` always; with Claude, the proposal, review, revision
    and ``FINAL-APPROVED-PLAN.md``."""
    if not _mine(ctx):
        return None
    intake, assumptions, migration = _recorded(ctx)
    plan_file = f"src/docs/{ctx.name.upper().replace('_', '-')}-ROLLOUT-PLAN.md"
    folder = _docs(ctx.name)
    writer = ctx.writer()
    writer.write(f"{folder}/00-context.md", "\n".join([
        f"# {intake.display_name} rollout — review context", "",
        f"- Plan: `{plan_file}`", f"- Migration: `supabase/migrations/{migration}`",
        f"- Links: {', '.join(f'{link.source} ({link.cardinality})' for link in intake.links)}",
        f"- Open assumptions: {len(assumptions)}", "",
        "The review loop writes 01-proposal.md, 02-review.md, 03-revision.md and "
        "FINAL-APPROVED-PLAN.md here.", ""]))
    outputs = writer.finish()
    if ctx.llm is None:
        return StepResult(summary="wrote 00-context.md; the review loop (proposal, review, "
                                  "revision, final plan) needs Claude: set ANTHROPIC_API_KEY "
                                  "and run `cf document`", outputs=outputs)
    from connector_factory.agent import Limits, ToolPolicy, load_role, run_agent

    result = run_agent(ctx.llm, ctx.project_dir, step="document", role=load_role(
        "cf_sophiehub_rollout", "rollout-reviewer"),
        task=(f"Run the review loop for `{plan_file}`: write {folder}/01-proposal.md, "
              f"{folder}/02-review.md (strict: every finding with the section it concerns), "
              f"{folder}/03-revision.md and {folder}/FINAL-APPROVED-PLAN.md. Read "
              f"{folder}/00-context.md first."),
        policy=ToolPolicy(commands=()), limits=Limits(max_turns=30))
    wanted = [f"{folder}/{n}" for n in ("01-proposal.md", "02-review.md", "03-revision.md",
                                        "FINAL-APPROVED-PLAN.md")]
    missing = [w for w in wanted if not (ctx.project_dir / w).is_file()]
    summary = ("review loop written" if not missing else
               f"review loop incomplete: missing {', '.join(missing)}")
    step = result.step_result(summary=summary, outputs=outputs + [w for w in wanted
                                                                  if w not in missing],
                              project_dir=ctx.project_dir)
    return step if not missing else step.model_copy(update={"status": "failed"})
