"""The test-driven debugger: real-format Gradle JUnit XML reports (and Kotlin compiler console
output) are read, every failing test is named, classified and pointed at a generated component."""

from __future__ import annotations

from pathlib import Path

from cf_airbyte_destination.junit import classify_build_output, explain, read_reports

FIXTURES = Path(__file__).parent / "fixtures" / "junit"
PKG = "io.airbyte.integrations.destination.pg"


def findings(folder: str) -> dict[str, str]:
    results = read_reports(FIXTURES / folder)
    return {r.name: explain(r, "Pg", PKG).line() for r in results if r.outcome == "failed"}


def test_component_report_outcomes_and_categories() -> None:
    results = {r.name: r.outcome for r in read_reports(FIXTURES / "component")}
    assert results == {
        "PgTableOperationsTest.connect to database": "passed",
        "PgTableOperationsTest.create and drop namespaces": "passed",
        "PgTableOperationsTest.create and drop tables": "failed",
        "PgTableOperationsTest.insert records": "failed",
        "PgTableOperationsTest.count table rows": "failed",
        "PgTableOperationsTest.upsert tables": "skipped",
    }
    lines = findings("component")
    assert lines["PgTableOperationsTest.create and drop tables"].startswith(
        "PgTableOperationsTest.create and drop tables (phase 3): SQL syntax — ")
    assert "fix PgSqlGenerator (raised in PgAirbyteClient, PgAirbyteClient.kt:212)" in \
        lines["PgTableOperationsTest.create and drop tables"]
    assert ": type mismatch — " in lines["PgTableOperationsTest.insert records"]
    assert "fix PgColumnUtils" in lines["PgTableOperationsTest.insert records"]
    assert ": permission — " in lines["PgTableOperationsTest.count table rows"]
    assert "fix PgAirbyteClient (raised at PgAirbyteClient.kt:131)" in \
        lines["PgTableOperationsTest.count table rows"]


def test_integration_report_root_cause_decides() -> None:
    lines = findings("integration")
    assert set(lines) == {"PgWriteTest.testAppend", "PgWriteTest.testTruncate",
                          "PgWriteTest.testDedupe"}
    assert lines["PgWriteTest.testAppend"].startswith("PgWriteTest.testAppend (phase 5): "
                                                      "assertion — ")
    assert "expected: <2> but was: <1>" in lines["PgWriteTest.testAppend"]
    assert ": missing bean — io.micronaut.context.exceptions.NoSuchBeanException" in \
        lines["PgWriteTest.testTruncate"]
    assert "fix PgBeanFactory" in lines["PgWriteTest.testTruncate"]
    # a refused connection wrapped in BeanInstantiationException is a connection problem
    assert ": connection — java.net.ConnectException: Connection refused" in \
        lines["PgWriteTest.testDedupe"]
    assert "fix PgTestConfigFactory" in lines["PgWriteTest.testDedupe"]


def test_compiler_output_names_file_and_line() -> None:
    connector = Path("/home/runner/work/airbyte/airbyte/airbyte-integrations/connectors/"
                     "destination-pg")
    found = classify_build_output((FIXTURES / "compile-output.txt").read_text(), connector)
    assert [(f.category, f.component, f.location) for f in found] == [
        ("compilation", "PgWriter",
         "src/main/kotlin/io/airbyte/integrations/destination/pg/write/PgWriter.kt:14"),
        ("compilation", "PgSqlGenerator",
         "src/main/kotlin/io/airbyte/integrations/destination/pg/client/PgSqlGenerator.kt:102"),
    ]
    assert "Unresolved reference 'TableName'" in found[0].message


def test_broken_report_is_a_failure_never_a_pass(tmp_path: Path) -> None:
    (tmp_path / "TEST-broken.xml").write_text("<testsuite><testcase name='x'")
    (result,) = read_reports(tmp_path)
    assert result.outcome == "failed" and "unreadable JUnit report" in result.message
