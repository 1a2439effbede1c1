"""The CDK conformance check: every CDK import, override (with parameter types), constructor
call and member reference of the generated Kotlin exists in the pinned CDK's symbol table.

Run through the real ``cf validate`` step on every shipped profile (0 unknown symbols, 0
mismatched overrides), and shown to fail — naming file and line — when a generated file imports
a name the CDK no longer has, overrides a method the suite does not declare (the guide's
``testTruncate``), or overrides with the wrong parameter types (``gatherInitialStatus`` with the
0.1.x argument)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from cf_airbyte_destination.cdk import symbol_table
from cf_airbyte_destination.cdk_conformance import check_source
from cf_airbyte_destination.profile import shipped_profile_names

SYMBOLS = symbol_table("symbols-1.0.yaml")["symbols"]


def validate(project: Path, name: str) -> Any:
    from connector_factory.errors import StepFailed
    from connector_factory.models import Step
    from connector_factory.pipeline import Pipeline
    from connector_factory.plugins import load_plugins
    from connector_factory.reporter import RecordingReporter

    pipeline = Pipeline(project_dir=project, plugins=load_plugins(),
                        reporter=RecordingReporter(), assume_yes=True)
    with contextlib.suppress(StepFailed):  # a failed check fails the step; checks are kept
        pipeline.run(only=Step.validate)
    state = pipeline.load()
    return state.step("validate")


def conformance(step: Any) -> Any:
    """The recorded ``cdk-conformance`` check as a :class:`CheckResult`."""
    from connector_factory.models import CheckResult

    raw = next(c for c in step.checks if (c["name"] if isinstance(c, dict) else c.name)
               == "cdk-conformance")
    return CheckResult(**raw) if isinstance(raw, dict) else raw


@pytest.mark.parametrize("name", shipped_profile_names())
def test_every_shipped_profile_conforms_to_the_pinned_cdk(shipped_projects: dict[str, Path],
                                                          name: str, tmp_path: Path) -> None:
    project = tmp_path / f"dest_{name}"
    shutil.copytree(shipped_projects[name], project)
    check = conformance(validate(project, f"dest_{name}"))
    assert check.status == "passed", check.failures
    assert " 0 unknown symbols, 0 mismatched overrides, 0 bad calls, 0 unknown members" \
        in check.message
    imports = int(check.message.split(" CDK imports")[0].rsplit(" ", 1)[1])
    overrides = int(check.message.split(" overrides")[0].rsplit(" ", 1)[1])
    assert imports > 100 and overrides > 40, check.message


def edit(project: Path, pattern: str, old: str, new: str) -> str:
    path = next(project.rglob(pattern))
    text = path.read_text()
    assert old in text, (pattern, old)
    path.write_text(text.replace(old, new, 1))
    return str(path.relative_to(project))


def test_a_wrong_import_fails_validate_naming_file_and_line(shipped_projects: dict[str, Path],
                                                            tmp_path: Path) -> None:
    project = tmp_path / "dest_postgres"
    shutil.copytree(shipped_projects["postgres"], project)
    rel = edit(project, "DestPostgresWriter.kt", "import io.airbyte.cdk.load.table.directload."
               "DirectLoadInitialStatus", "import io.airbyte.cdk.load.orchestration.db."
               "direct_load_table.DirectLoadInitialStatus")
    step = validate(project, "dest_postgres")
    check = conformance(step)
    assert check.status == "failed"
    line = next(i for i, t in enumerate((project / rel).read_text().splitlines(), 1)
                if "orchestration.db" in t)
    assert check.failures == [
        f"{rel}:{line}: unknown-symbol: import io.airbyte.cdk.load.orchestration.db."
        "direct_load_table.DirectLoadInitialStatus is not in the CDK symbol table"]


def test_a_wrong_override_fails_validate_naming_file_and_line(
        shipped_projects: dict[str, Path], tmp_path: Path) -> None:
    project = tmp_path / "dest_duckdb"
    shutil.copytree(shipped_projects["duckdb"], project)
    rel = edit(project, "DestDuckdbWriteTest.kt", "override fun testTruncateRefresh()",
               "override fun testTruncate()")
    check = conformance(validate(project, "dest_duckdb"))
    assert check.status == "failed"
    assert len(check.failures) == 1
    assert check.failures[0].startswith(f"{rel}:")
    assert "mismatched-override: override fun testTruncate() overrides nothing in " \
           "BasicFunctionalityIntegrationTest" in check.failures[0]


def test_override_with_the_old_parameter_types_is_caught() -> None:
    source = b"""package x
import io.airbyte.cdk.load.table.DatabaseInitialStatusGatherer
import io.airbyte.cdk.load.table.directload.DirectLoadInitialStatus
import io.airbyte.cdk.load.component.TestTableOperationsClient
import io.airbyte.cdk.load.schema.model.TableName
class G : DatabaseInitialStatusGatherer<DirectLoadInitialStatus> {
    override suspend fun gatherInitialStatus(catalog: TableCatalog) = emptyMap()
}
class T : TestTableOperationsClient {
    override suspend fun readTable(table: io.airbyte.cdk.load.schema.model.TableName) = listOf()
    override suspend fun insertRecords(table: TableName, records: List<Map<String, AirbyteValue>>) {}
    override suspend fun dropNamespace(namespace: Int) {}
}
"""
    report = check_source("G.kt", source, SYMBOLS)
    assert [(f.line, f.kind) for f in report.findings] == [
        (7, "mismatched-override"), (12, "mismatched-override")]
    assert "gatherInitialStatus(TableCatalog) matches no DatabaseInitialStatusGatherer" \
        ".gatherInitialStatus overload ()" in report.findings[0].message
    assert report.overrides == 4


def test_constructor_arguments_and_members_are_checked() -> None:
    source = b"""package x
import io.airbyte.cdk.load.table.directload.DirectLoadTableDedupTruncateStreamLoader
import io.airbyte.cdk.load.write.BasicFunctionalityIntegrationTest
import io.airbyte.cdk.load.write.DedupBehavior
import io.airbyte.cdk.Operation
class W : BasicFunctionalityIntegrationTest(configContents = "", dedupeBehavior = null) {
    fun f() = DirectLoadTableDedupTruncateStreamLoader(a, b, c, d, e, f, g, h)
    val p = Operation.PROPERTIES
    val m = DedupBehavior.CdcDeletionMode.HARD_DELETE
}
"""
    report = check_source("W.kt", source, SYMBOLS)
    assert [(f.line, f.kind) for f in report.findings] == [
        (6, "bad-call"), (7, "bad-call"), (8, "unknown-member")]
    assert "has no parameter dedupeBehavior" in report.findings[0].message
    assert "needs 9 arguments, 8 given" in report.findings[1].message


def test_property_chains_on_cdk_values_are_followed_and_checked() -> None:
    """``stream.importType`` and ``columnSchema.inputToFinalColumnNames`` do not exist in 1.0
    (import type and columns live under ``stream.tableSchema``); a typo after ``!!`` is caught
    too; the real chains pass."""
    source = b"""package x
import io.airbyte.cdk.load.command.DestinationStream
import io.airbyte.cdk.load.command.Dedupe
fun f(stream: DestinationStream) {
    val a = stream.importType is Dedupe
    val b = stream.tableSchema.columnSchema.inputToFinalColumnNames
    val c = stream.tableSchema.tableNames.finalTableName!!.namespace
    val d = stream.tableSchema.tableNames.finalTableName!!.nmespace
    val e = stream.tableSchema.importType is Dedupe
    val g = stream.tableSchema.columnSchema.rawToFinalColumnNames
}
"""
    report = check_source("F.kt", source, SYMBOLS)
    assert [(f.line, f.kind) for f in report.findings] == [
        (5, "unknown-member"), (6, "unknown-member"), (8, "unknown-member")]
    assert report.findings[0].message.startswith("DestinationStream has no member importType")
    assert "ColumnSchema has no member inputToFinalColumnNames" in report.findings[1].message
    assert "TableName has no member nmespace" in report.findings[2].message


def test_a_phase_whose_kotlin_does_not_conform_stops_at_its_static_checks(
        shipped_projects: dict[str, Path], tmp_path: Path) -> None:
    """The scaffold's per-phase static checks include conformance, so a phase never moves on
    with a name the pinned CDK lacks."""
    from cf_airbyte_destination.profile import load_profile
    from cf_airbyte_destination.scaffold import static_checks

    project = tmp_path / "dest_postgres"
    shutil.copytree(shipped_projects["postgres"], project)
    profile = load_profile(project / "destination_profile.yaml")
    rel = edit(project, "DestPostgresBeanFactory.kt",
               "io.airbyte.cdk.load.dataflow.config.model.AggregatePublishingConfig",
               "io.airbyte.cdk.load.dataflow.config.AggregatePublishingConfig")
    problems = static_checks(project, profile, 5, [rel], project)
    assert len(problems) == 1 and problems[0].startswith(f"{rel}:")
    assert "unknown-symbol: import io.airbyte.cdk.load.dataflow.config." \
           "AggregatePublishingConfig is not in the CDK symbol table" in problems[0]
    clean = tmp_path / "clean"
    shutil.copytree(shipped_projects["postgres"], clean)
    assert static_checks(clean, profile, 5, [rel], clean) == []
