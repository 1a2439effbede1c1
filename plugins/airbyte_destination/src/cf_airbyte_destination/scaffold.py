"""Phase-by-phase generation: render a phase, check it, run its checkpoint, move on or stop.

For each phase 0–11 in order: an optional phase named in ``skip_phases`` is recorded as skipped;
a phase blocked by an open question stops the run (``blocked``); otherwise the template is
rendered with ``p = phase`` and the files whose first phase is ``<= phase`` are written. Then
the phase's static checks run (every Kotlin file parses under tree-sitter and conforms to the
pinned CDK's symbol table, the Gradle files name the profile's CDK version, the phase's SQL
parses in the profile's dialect) and its Gradle
checkpoint (:func:`~cf_airbyte_destination.gradle.run_checkpoint`). A failed check or checkpoint
stops the run at that phase; a *blocked* checkpoint (no Gradle/JDK here) is recorded and the run
goes on generating, but the phase is not counted as done.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from connector_factory.errors import InputError
from connector_factory.files import FileWriter
from connector_factory.models import StepContext, StepResult
from connector_factory.templates import find_template, render_template

from cf_airbyte_destination import TARGET
from cf_airbyte_destination.cdk import CdkEra, era_for
from cf_airbyte_destination.context import Layout, layout_for, template_context
from cf_airbyte_destination.gradle import Checkpoint, run_checkpoint
from cf_airbyte_destination.kotlin_check import check_kotlin_file
from cf_airbyte_destination.phase_skip import read_phase_skips
from cf_airbyte_destination.phases import PHASES, Phase, components, phase_tests
from cf_airbyte_destination.profile import (
    QUESTION_PHASES,
    Profile,
    load_profile,
    open_questions,
)
from cf_airbyte_destination.sql_checks import check_sql_parses

#: File name of the validated profile inside the project.
PROFILE_FILE = "destination_profile.yaml"

#: First phase of each generated file, by file name (``{P}`` = class prefix).
FILE_PHASES: dict[str, int] = {
    "{P}TestConfigFactory.kt": 1, "{P}TestTableOperationsClient.kt": 1,
    "{P}TableOperationsTest.kt": 1, "{P}NamingUtils.kt": 1, "{P}SqlGenerator.kt": 1,
    "{P}AirbyteClient.kt": 1, "{P}ColumnUtils.kt": 3, "{P}NameGenerators.kt": 5,
    "{P}DirectLoadDatabaseInitialStatusGatherer.kt": 5,
    "{P}InsertBuffer.kt": 5, "{P}Aggregate.kt": 5, "{P}AggregateFactory.kt": 5,
    "{P}Writer.kt": 5, "{P}Checker.kt": 5, "WriteOperationV2.kt": 5, "{P}WriteTest.kt": 5,
}
#: SQL template names each phase introduces (parse-checked when the phase is generated).
PHASE_SQL: dict[int, tuple[str, ...]] = {
    2: ("create_namespace", "namespace_exists", "drop_namespace"),
    3: ("create_table", "create_or_replace_table", "table_exists", "count_table",
        "describe_table", "insert_rows", "drop_table"),
    4: ("get_generation_id",), 6: ("overwrite_table", "overwrite_missing_target"),
    7: ("copy_table",), 8: ("add_column", "drop_column", "change_column", "change_column_to_json"),
    9: ("upsert",), 10: ("upsert",), 11: ("bulk_load",),
}


#: First phase whose SqlGenerator.kt embeds each statement template.
EMBED_PHASE: dict[str, int] = {
    "create_namespace": 1, "drop_namespace": 1, "namespace_exists": 1, "table_exists": 3,
    "describe_table": 3, "create_table": 3, "create_or_replace_table": 3,
    "create_dedupe_index": 3, "drop_table": 3, "count_table": 3, "insert_rows": 3,
    "get_generation_id": 4, "overwrite_table": 6, "overwrite_missing_target": 6,
    "copy_table": 7, "add_column": 8, "drop_column": 8, "change_column": 8,
    "change_column_to_json": 8, "upsert": 9,
    "upsert_cdc_delete": 9, "bulk_load": 11,
}


def first_phase(relpath: str, prefix: str) -> int:
    """The phase that first writes ``relpath`` (0 for build files, README, spec, config)."""
    name = relpath.rsplit("/", 1)[-1]
    for pattern, number in FILE_PHASES.items():
        if name == pattern.format(P=prefix):
            return number
    return 0


class PhaseWriter(FileWriter):
    """A :class:`FileWriter` that writes only the files of phases ``<= phase`` (and skips the
    file names in ``excluded``)."""

    def __init__(self, base: FileWriter, phase: int, prefix: str, dest: str,
                 excluded: set[str]) -> None:
        super().__init__(base.project_dir, base.generated, base.written, base.conflicts)
        self.phase, self.prefix, self.dest, self.excluded = phase, prefix, dest, excluded

    def write(self, relpath: str, content: str | bytes, mode: int | None = None) -> str:
        """Write ``relpath`` when its phase has come, else report it ``skipped``."""
        inner = relpath[len(self.dest) + 1:] if self.dest else relpath
        if first_phase(inner, self.prefix) > self.phase or \
                inner.rsplit("/", 1)[-1] in self.excluded:
            return "skipped"
        return super().write(relpath, content, mode)


def read_project_profile(project_dir: Path) -> Profile:
    """The validated profile the plan step wrote.

    Raises:
        InputError: it is missing (run ``cf plan``) or invalid.
    """
    path = project_dir / PROFILE_FILE
    if not path.is_file():
        raise InputError(f"{path} is missing", "run `cf plan --project …` first")
    profile = load_profile(path)
    skips = read_phase_skips(project_dir)
    if skips:  # phases skipped after planning (see cf_airbyte_destination.phase_skip)
        profile = profile.model_copy(update={"skip_phases": {**profile.skip_phases, **skips}})
    return profile


def connector_layout(ctx: StepContext) -> Layout:
    """The connector's layout for this project (inside ``--repo`` when given)."""
    return layout_for(ctx.name, in_repo=bool(ctx.inputs.get("repo")))


def project_files(ctx: StepContext) -> Path:
    """The folder holding the project's own files (``destination_profile.yaml``,
    ``phase_skips.yaml``): the connector folder inside a checkout — so two projects sharing
    one checkout keep theirs apart — else the project folder."""
    layout = connector_layout(ctx)
    return ctx.project_dir / layout.root if layout.root else ctx.project_dir


def blocking_questions(profile: Profile) -> list[dict[str, Any]]:
    """Open questions with the first phase each blocks, plus generator limits that block."""
    found = [{"field": q, "phase": QUESTION_PHASES.get(q.split(".")[0], 0)}
             for q in open_questions(profile)]
    if profile.connection.client == "native":
        found.append({"field": "connection.client (native clients are not generated: give a "
                               "JDBC driver)", "phase": 0})
    return sorted(found, key=lambda q: (q["phase"], q["field"]))


def static_checks(connector_dir: Path, profile: Profile, phase: int, written: list[str],
                  project_dir: Path) -> list[str]:
    """Problems found by the phase's static checks (empty: all passed)."""
    problems: list[str] = []
    kotlin = [rel for rel in sorted(set(written)) if rel.endswith(".kt")]
    for rel in kotlin:
        bad = check_kotlin_file(project_dir / rel)
        problems += [f"{rel}: {p}" for p in bad[:3]]
    if kotlin and not problems:  # names the pinned CDK lacks stop the phase (cdk_conformance)
        from cf_airbyte_destination.cdk import range_for, symbol_table
        from cf_airbyte_destination.cdk_conformance import check_tree

        rng = range_for(profile.cdk_version)
        if rng is not None and rng.symbols:
            report = check_tree(project_dir, [project_dir / rel for rel in kotlin],
                                symbol_table(rng.symbols)["symbols"])
            problems += [str(f) for f in report.findings[:10]]
    props = connector_dir / "gradle.properties"
    if not re.search(rf"^cdkVersion={re.escape(profile.cdk_version)}\s*$",
                     props.read_text(encoding="utf-8"), re.M):
        problems.append(f"gradle.properties does not pin cdkVersion={profile.cdk_version}")
    build = (connector_dir / "build.gradle.kts").read_text(encoding="utf-8")
    if "airbyte-bulk-connector" not in build or profile.cdk_version not in build:
        problems.append("build.gradle.kts does not apply airbyte-bulk-connector for CDK "
                        f"{profile.cdk_version}")
    for key in PHASE_SQL.get(phase, ()):
        problems += check_sql_parses(profile, [key])
    return problems


def _label(state: dict[str, Any]) -> str:
    return str(state.get("label", ""))


def tracker_lines(states: dict[int, dict[str, Any]], prefix: str) -> list[str]:
    """The progress tracker, one line per phase after a count line: ``done`` (checkpoint
    passed), the ``current`` phase with its parts and checkpoint tests, ``remaining`` ones
    (with what is known of them: generated, blocked by an open question …) and ``skipped`` ones
    with the reason."""
    lines: list[str] = []
    counts = {"done": 0, "current": 0, "remaining": 0, "skipped": 0}
    current_seen = False
    for phase in PHASES:
        state = states.get(phase.number, {})
        status = state.get("status", "pending")
        head = f"{phase.number:>2} {phase.key}"
        if status == "skipped":
            counts["skipped"] += 1
            lines.append(f"– {head}: skipped — {state.get('reason', '')}")
        elif status == "done":
            counts["done"] += 1
            lines.append(f"✔ {head}: done (checkpoint passed)")
        elif not current_seen:
            current_seen = True
            counts["current"] += 1
            parts = ", ".join(components(phase, prefix))
            tests = ", ".join(m for _, m in phase.tests) or "compileKotlin"
            lines.append(f"▶ {head}: current — {_label(state) or status}; parts: {parts}; "
                         f"checkpoint: {tests}")
        else:
            counts["remaining"] += 1
            known = _label(state)
            lines.append(f"· {head}: remaining" + (f" ({known})" if known else ""))
    return [", ".join(f"{n} {k}" for k, n in counts.items()), *lines]


def run_phases(ctx: StepContext) -> StepResult:
    """The scaffold step (see the module docstring)."""
    profile = read_project_profile(project_files(ctx))
    layout = connector_layout(ctx)
    connector_dir = ctx.project_dir / layout.root if layout.root else ctx.project_dir
    questions = blocking_questions(profile)
    era: CdkEra | None = None
    if profile.cdk_version != "unknown":
        era = era_for(profile.cdk_version)
    writer = ctx.writer()
    template = find_template("cf_airbyte_destination", TARGET)
    excluded: set[str] = set()
    states: dict[int, dict[str, Any]] = {}
    limitations = [f"{p} phase skipped: {why}" for p, why in profile.skip_phases.items()]
    stop: str = "completed"
    last_rendered = -1
    summary: list[str] = []

    def render(phase: int) -> list[str]:
        assert era is not None
        context = template_context(profile, era, layout, ctx.name, phase, states,
                                   limitations, questions)
        phase_writer = PhaseWriter(writer, phase, layout.prefix, layout.root, excluded)
        return render_template(template, {"slug": layout.slug, "pkg": layout.pkg,
                                          "P": layout.prefix, "_cf": context},
                               phase_writer, dest=layout.root)

    written: list[str] = []
    for phase in PHASES:
        n = phase.number
        if phase.key in profile.skip_phases:
            states[n] = {"status": "skipped", "reason": profile.skip_phases[phase.key],
                         "label": f"skipped: {profile.skip_phases[phase.key]}"}
            continue
        blockers = [q["field"] for q in questions if q["phase"] <= n]
        if blockers or era is None:
            reason = ", ".join(blockers) or "cdk_version"
            for later in PHASES[n:]:
                if later.key not in profile.skip_phases:
                    states[later.number] = {"status": "blocked",
                                            "label": f"blocked by open question: {reason}"}
            stop = "blocked"
            summary.append(f"phase {n} ({phase.key}) is blocked by open question(s): {reason}")
            break
        with ctx.reporter.progress(f"phase {n}: {phase.title}"):
            written = [w for w in render(n) if w]
            last_rendered = n
            problems = static_checks(connector_dir, profile, n, written, ctx.project_dir)
            if problems:
                states[n] = {"status": "failed", "label": "static checks failed",
                             "problems": problems[:20]}
                stop = "failed"
                summary.append(f"phase {n} ({phase.key}) failed its static checks: "
                               + "; ".join(problems[:5]))
                break
            checkpoint = run_checkpoint(n, connector_dir, ctx.project_dir, layout.prefix,
                                        layout.package)
        states[n] = phase_state(phase, checkpoint)
        if checkpoint.status == "failed":
            stop = "failed"
            summary.append(f"phase {n} ({phase.key}) checkpoint failed: "
                           + "; ".join(f.line() for f in checkpoint.findings[:5]))
            break
    not_run = [s.get("message", "") for s in states.values() if s.get("checkpoint") == "blocked"]
    if not_run:
        limitations.append(f"checkpoints of {len(not_run)} phase(s) not run here "
                           f"({not_run[0]}); run `cf test-gate` where Gradle and JDK 21+ are "
                           "available — until then no phase counts as done")
    if last_rendered >= 0:
        written = [w for w in render(last_rendered) if w]  # README with the final states
    outputs = writer.finish()
    profile_rel = f"{layout.root}/{PROFILE_FILE}" if layout.root else PROFILE_FILE
    tracker = tracker_lines(states, layout.prefix)
    kotlin = sorted({w for w in outputs if w.endswith(".kt")})
    if last_rendered >= 0:
        summary.insert(0, f"{len(set(outputs))} files written for phases 0–{last_rendered} "
                          f"({len(kotlin)} Kotlin files, each parses); CDK {profile.cdk_version}")
    else:
        summary.insert(0, "no phase generated")
    details = {"phases": {str(k): v for k, v in states.items()}, "tracker": tracker,
               "connector_dir": layout.root, "prefix": layout.prefix,
               "package": layout.package, "profile": profile_rel,
               "kotlin_files": kotlin, "last_phase": last_rendered}
    return StepResult(summary="\n".join(summary + tracker), outputs=sorted(set(outputs)),
                      details=details,
                      status="completed" if stop == "completed" else stop)  # type: ignore[arg-type]


def phase_state(phase: Phase, checkpoint: Checkpoint) -> dict[str, Any]:
    """What the state keeps of one phase after its checkpoint."""
    if checkpoint.status == "passed":
        return {"status": "done", "label": "done", "checkpoint": "passed"}
    if checkpoint.status == "blocked":
        short = checkpoint.message.split(" (", 1)[0]
        return {"status": "generated", "checkpoint": "blocked",
                "label": f"generated, static checks passed; checkpoint {short}",
                "message": checkpoint.message}
    return {"status": "failed", "checkpoint": "failed", "label": "checkpoint failed",
            "message": checkpoint.message, "failures": checkpoint.failures,
            "findings": [f.line() for f in checkpoint.findings[:20]]}


def pending_checkpoints(states: dict[str, Any]) -> list[int]:
    """Generated (not skipped, not done) phases whose checkpoint still has to pass, in order."""
    out = []
    for phase in PHASES:
        state = states.get(str(phase.number), {})
        if state.get("status") in ("generated", "failed"):
            out.append(phase.number)
    return out


__all__ = ["PROFILE_FILE", "pending_checkpoints", "phase_tests", "run_phases"]
