"""Hook impls of the ``airbyte-destination`` target (entry point ``airbyte_destination``).

Steps: plan (validate or ask the profile), scaffold (phases 0–11 with their checkpoints),
validate (static checks), test_gate (the checkpoints through Gradle, ``blocked: no Gradle``
without it), document (user docs), deploy (a handoff; nothing is published). There is no
research step: the profile carries what research would find. No step needs an LLM; with one,
the test gate asks it to propose a fix for the first failing test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from connector_factory import hookimpl
from connector_factory.errors import InputError
from connector_factory.models import CheckResult, Step, StepContext, StepResult, Target

from cf_airbyte_destination import TARGET
from cf_airbyte_destination.cdk import era_for
from cf_airbyte_destination.profile import (
    Profile,
    blocked_phases,
    dump_profile,
    load_profile,
    open_questions,
)
from cf_airbyte_destination.scaffold import (
    PROFILE_FILE,
    blocking_questions,
    connector_layout,
    pending_checkpoints,
    project_files,
    read_project_profile,
    run_phases,
    tracker_lines,
)


@hookimpl
def cf_targets() -> list[Target]:
    """The ``airbyte-destination`` target (described in :mod:`.targets`)."""
    from cf_airbyte_destination.targets import TARGETS

    return [Target.model_validate(target) for target in TARGETS]


@hookimpl
def cf_plan(ctx: StepContext) -> StepResult | None:
    """Validate ``--profile`` (or ask the preflight questions) and write
    ``destination_profile.yaml``; open questions are listed with the phases they block."""
    if ctx.target != TARGET:
        return None
    source = ctx.inputs.get("profile")
    if source:
        profile = load_profile(Path(source))
    elif (project_files(ctx) / PROFILE_FILE).is_file():
        profile = load_profile(project_files(ctx) / PROFILE_FILE)
    elif ctx.interactive:
        from cf_airbyte_destination.preflight import ask_profile, typer_ask

        ask = ctx.extras.get("ask", typer_ask)
        profile = ask_profile(ask)
    else:
        raise InputError(f"target {TARGET} needs --profile FILE when no terminal can answer "
                         "the preflight questions",
                         "pass --profile (shipped ones: see the plugin's data/profiles) or run "
                         "in a terminal")
    if profile.cdk_version != "unknown":
        era = era_for(profile.cdk_version)
        era_line = f"CDK {profile.cdk_version} (layout {era.name}, toolkits: " \
                   f"{', '.join(era.toolkits) or 'none'})"
    else:
        era_line = "CDK version unknown (open question)"
    if ctx.inputs.get("repo"):
        from cf_airbyte_destination.repo_layout import check_repo_target

        check_repo_target(Path(ctx.inputs["repo"]), connector_layout(ctx).slug, ctx.name)
    writer = ctx.writer()
    root = connector_layout(ctx).root
    writer.write(f"{root}/{PROFILE_FILE}" if root else PROFILE_FILE, dump_profile(profile))
    questions = open_questions(profile)
    blocked = blocked_phases(questions)
    lines = [f"profile: {profile.database} ({profile.dialect}); {era_line}",
             f"upsert {profile.upsert.mechanism}, overwrite {profile.overwrite.strategy}, "
             f"batch {profile.batch_insert.strategy}, CDC {profile.cdc.deletion_mode}"]
    if questions:
        lines.append("open questions: " + ", ".join(
            f"{q} (blocks phase {min(p for p, qs in blocked.items() if q in qs)}+)"
            for q in questions))
    for phase, why in profile.skip_phases.items():
        lines.append(f"skipping optional phase {phase}: {why}")
    return StepResult(summary="\n".join(lines), outputs=writer.finish(),
                      details={"database": profile.database, "dialect": profile.dialect,
                               "cdk_version": profile.cdk_version,
                               "open_questions": questions,
                               "skip_phases": dict(profile.skip_phases)})


@hookimpl
def cf_scaffold(ctx: StepContext) -> StepResult | None:
    """Generate phases 0–11 (see :mod:`cf_airbyte_destination.scaffold`)."""
    if ctx.target != TARGET:
        return None
    return run_phases(ctx)


def _scaffold_details(ctx: StepContext) -> dict[str, Any]:
    details: dict[str, Any] = ctx.state.step(Step.scaffold).details
    if not details.get("phases"):
        raise InputError("the scaffold step has not run", "run `cf scaffold` first")
    return details


@hookimpl
def cf_validate(ctx: StepContext) -> StepResult | None:
    """Static checks: Kotlin parses, Gradle pins the CDK, SQL parses and is embedded verbatim,
    open questions."""
    if ctx.target != TARGET:
        return None
    from cf_airbyte_destination.kotlin_check import check_kotlin_file, kotlin_string_literals
    from cf_airbyte_destination.sql_checks import parse_report
    from cf_airbyte_destination.sqlgen import build_templates

    details = _scaffold_details(ctx)
    profile = read_project_profile(project_files(ctx))
    layout = connector_layout(ctx)
    connector = ctx.project_dir / layout.root if layout.root else ctx.project_dir
    checks: list[CheckResult] = []
    kotlin = sorted(str(p.relative_to(ctx.project_dir)) for p in connector.rglob("*.kt")
                    if "build" not in p.relative_to(connector).parts)
    bad = {rel: check_kotlin_file(ctx.project_dir / rel) for rel in kotlin}
    broken = {rel: probs for rel, probs in bad.items() if probs}
    checks.append(CheckResult(
        name="kotlin-parse", status="failed" if broken or not kotlin else "passed",
        message=f"{len(kotlin) - len(broken)}/{len(kotlin)} Kotlin files parse "
                "(tree-sitter-kotlin, no ERROR/MISSING nodes)",
        failures=[f"{rel}: {probs[0]}" for rel, probs in broken.items()]))
    checks.append(conformance_check(ctx.project_dir, [ctx.project_dir / rel for rel in kotlin],
                                    profile.cdk_version))
    props = (connector / "gradle.properties").read_text(encoding="utf-8")
    build = (connector / "build.gradle.kts").read_text(encoding="utf-8")
    pinned = re.search(rf"^cdkVersion={re.escape(profile.cdk_version)}$", props, re.M)
    checks.append(CheckResult(
        name="gradle-cdk-version", status="passed" if pinned and
        profile.cdk_version in build else "failed",
        message=f"gradle.properties pins cdkVersion={profile.cdk_version}; build.gradle.kts "
                "applies airbyte-bulk-connector"))
    report = parse_report(profile)
    checks.append(CheckResult(
        name=f"sql-parse ({profile.dialect})", status="failed" if report.errors else "passed",
        message=f"{report.parsed} statements parse with sqlglot"
                + (f"; {len(report.unverified)} kept as opaque commands (unverified): "
                   + "; ".join(report.unverified) if report.unverified else ""),
        failures=report.errors))
    if profile.dialect == "duckdb":
        from cf_airbyte_destination.sql_exec import run_on_duckdb

        executed = run_on_duckdb(profile)
        checks.append(CheckResult(
            name="sql-exec (duckdb)", status="failed" if executed.problems else "passed",
            message=f"{executed.executed} generated statements executed on an in-memory DuckDB "
                    "(namespace, tables, insert, count, upsert latest-wins + CDC delete, "
                    "add/drop column, append, overwrite by swap, the checker's row count)",
            failures=executed.problems))
    generator_file = next(connector.rglob(f"{layout.prefix}SqlGenerator.kt"), None)
    if generator_file is not None:
        literals = set(kotlin_string_literals(generator_file.read_bytes()))
        templates = build_templates(profile)
        phase = int(details.get("last_phase", 11))
        expected = [t for key, items in templates.statements.items() for t in items
                    if _needed(key, phase)]
        missing = [t[:60] for t in expected if t not in literals]
        checks.append(CheckResult(
            name="sql-embedded", status="failed" if missing else "passed",
            message=f"{len(expected) - len(missing)}/{len(expected)} SQL templates appear "
                    "verbatim in the generated SqlGenerator", failures=missing))
    questions = blocking_questions(profile)
    if questions:
        checks.append(CheckResult(name="open-questions", status="blocked",
                                  message="; ".join(f"{q['field']} blocks phase {q['phase']}+"
                                                    for q in questions)))
    return StepResult(summary="static checks of the generated connector", checks=checks,
                      details={"kotlin_files": len(kotlin)})


def conformance_check(root: Path, files: list[Path], cdk_version: str) -> CheckResult:
    """``cdk-conformance``: every CDK import, override (with parameter types), CDK constructor
    call and member reference in ``files`` exists in the pinned CDK's symbol table (see
    :mod:`cf_airbyte_destination.cdk_conformance`); failures name file and line."""
    from cf_airbyte_destination.cdk import range_for, symbol_table
    from cf_airbyte_destination.cdk_conformance import check_tree

    rng = range_for(cdk_version) if cdk_version != "unknown" else None
    if rng is None or not rng.symbols:
        return CheckResult(name="cdk-conformance", status="failed",
                           message=f"no CDK symbol table for cdkVersion={cdk_version}")
    table = symbol_table(rng.symbols)
    report = check_tree(root, files, table["symbols"])
    return CheckResult(
        name="cdk-conformance", status="failed" if report.findings or not files else "passed",
        message=f"CDK {cdk_version} (symbol table {rng.symbols}, {len(table['symbols'])} "
                f"symbols): {report.summary()}",
        failures=[str(f) for f in report.findings])


def _needed(key: str, phase: int) -> bool:
    from cf_airbyte_destination.scaffold import EMBED_PHASE

    return EMBED_PHASE.get(key, 99) <= phase


@hookimpl
def cf_test_gate(ctx: StepContext) -> StepResult | None:
    """Run every phase checkpoint not yet passed, in order, stopping at the first failure.

    Without a Gradle wrapper and JDK 21+ the step is ``blocked`` with ``blocked: no Gradle …``
    (exit 1: a blocked gate is not a success). A failure names each failing test, its category
    and the component to fix; with an LLM handle, a proposed fix for the first one.
    """
    if ctx.target != TARGET:
        return None
    from cf_airbyte_destination.gradle import run_checkpoint
    from cf_airbyte_destination.phases import PHASES
    from cf_airbyte_destination.scaffold import phase_state

    details = _scaffold_details(ctx)
    layout = connector_layout(ctx)
    connector = ctx.project_dir / layout.root if layout.root else ctx.project_dir
    states: dict[str, Any] = dict(details["phases"])
    todo = pending_checkpoints(states)
    checks: list[CheckResult] = []
    status = "completed"
    lines: list[str] = []
    for number in todo:
        phase = PHASES[number]
        checkpoint = run_checkpoint(number, connector, ctx.project_dir, layout.prefix,
                                    layout.package)
        states[str(number)] = phase_state(phase, checkpoint)
        name = f"phase {number} {phase.key}"
        if checkpoint.status == "blocked":
            checks.append(CheckResult(name=name, status="blocked", message=checkpoint.message))
            lines.append(f"{name}: {checkpoint.message}")
            status = "blocked"
            break
        if checkpoint.status == "failed":
            checks.append(CheckResult(name=name, status="failed", message=checkpoint.message,
                                      failures=[f.line() for f in checkpoint.findings]))
            lines += [f"{name}: {checkpoint.message}",
                      *[f"  {f.line()}" for f in checkpoint.findings]]
            if ctx.llm is not None and checkpoint.findings:
                lines.append("  proposed fix: " + propose_fix(ctx, checkpoint.findings[0].line(),
                                                              connector))
            break
        checks.append(CheckResult(name=name, status="passed", message=checkpoint.message))
        lines.append(f"{name}: passed ({checkpoint.message})")
    if not todo:
        lines.append("every generated phase's checkpoint has passed")
    tracker = tracker_lines({int(k): v for k, v in states.items()}, layout.prefix)
    changed = states != dict(details["phases"])
    return StepResult(summary="\n".join(lines), checks=checks,
                      # the scaffold row already shows an unchanged tracker in `cf status`
                      details={"tracker": tracker if changed else
                               ["phase tracker unchanged (see scaffold)"], "phases": states},
                      status=status)  # type: ignore[arg-type]


def propose_fix(ctx: StepContext, finding: str, connector: Path) -> str:
    """Ask the LLM (tester role) for a fix of ``finding``; one paragraph, or why it could not."""
    assert ctx.llm is not None
    try:
        reply = ctx.llm.create_message(
            model=ctx.llm.model, max_tokens=min(ctx.llm.max_tokens, 1024),
            system="You are the tester of a generated Kotlin Airbyte destination. Propose the "
                   "smallest code change that fixes the failing test. Be concrete.",
            messages=[{"role": "user", "content": f"Failing checkpoint test: {finding}\n"
                                                  f"Connector folder: {connector.name}"}])
        text = "".join(getattr(block, "text", "") for block in reply.content)
        return " ".join(text.split())[:1000] or "(empty reply)"
    except Exception as exc:  # the proposal is advice; the gate result stands without it
        return f"(no proposal: {type(exc).__name__}: {exc})"


@hookimpl
def cf_document(ctx: StepContext) -> StepResult | None:
    """Write the destination's user documentation page."""
    if ctx.target != TARGET:
        return None
    from cf_airbyte_destination.docs import user_docs

    profile: Profile = read_project_profile(project_files(ctx))
    layout = connector_layout(ctx)
    phases = ctx.state.step(Step.test_gate).details.get("phases") or \
        ctx.state.step(Step.scaffold).details.get("phases", {})
    rel = f"docs/integrations/destinations/{layout.pkg}.md"
    path = f"{layout.root}/{rel}" if layout.root else rel
    writer = ctx.writer()
    writer.write(path, user_docs(profile, ctx.name, phases))
    return StepResult(summary=f"wrote {path}", outputs=writer.finish())


@hookimpl
def cf_deploy(ctx: StepContext) -> StepResult | None:
    """Write ``HANDOFF.md``: how to build and publish; nothing is published from here."""
    if ctx.target != TARGET:
        return None
    from cf_airbyte_destination.docs import handoff

    profile = read_project_profile(project_files(ctx))
    layout = connector_layout(ctx)
    phases = ctx.state.step(Step.test_gate).details.get("phases", {})
    writer = ctx.writer()
    path = f"{layout.root}/HANDOFF.md" if layout.root else "HANDOFF.md"
    writer.write(path, handoff(profile, layout.slug, layout.root, phases))
    return StepResult(summary=f"wrote {path} (nothing built or published here)",
                      outputs=writer.finish())


@hookimpl
def cf_skip_part(ctx: StepContext, name: str, why: str) -> StepResult | None:
    """``cf skip PHASE --why …`` for the optional phases (CDC, optimisation); any other phase is
    refused in one line. The skip shows in the tracker and, after the next scaffold, in the
    generated README as a limitation."""
    if ctx.target != TARGET:
        return None
    from cf_airbyte_destination.phase_skip import skip_phase

    key = skip_phase(project_files(ctx), name, why)
    return StepResult(summary=f"skipped phase {key}: {why.strip()} — run `cf scaffold` to "
                              "record it in the README as a limitation")
