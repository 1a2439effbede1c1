"""The checkpoint gate never reports a pass it did not see.

Without a Gradle wrapper it is ``blocked: no Gradle``; without a JDK 21+ (the bulk CDK's Java)
``blocked: no JDK 21+``.
With a wrapper, the verdict comes from the exit code *and* the JUnit reports: the wrapper used
here is a stand-in shell script (no Gradle or CDK exists on these machines) that records its
arguments and copies real-format report fixtures where Gradle writes them; the thing under test
is the gate's judgement, run for real.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cf_airbyte_destination.gradle import blocked_reason, run_checkpoint

FIXTURES = Path(__file__).parent / "fixtures" / "junit"
PKG = "io.airbyte.integrations.destination.pg"


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nPATH=/usr/bin:/bin\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def jdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A JAVA_HOME whose ``java -version`` says 21 (the gate only asks for the version)."""
    home = tmp_path / "jdk"
    script(home / "bin" / "java", "echo 'openjdk version \"21.0.7\" 2025-04-15' >&2\n")
    monkeypatch.setenv("JAVA_HOME", str(home))
    return home


def wrapper(connector: Path, reports: str | None, code: int, stdout: str = "") -> Path:
    target = connector / "build" / "test-results" / "integrationTestNonDocker"
    copy = f"mkdir -p '{target}'\ncp '{FIXTURES / reports}'/*.xml '{target}/'\n" if reports \
        else ""
    out = f"cat '{stdout}'\n" if stdout else ""
    return script(connector / "gradlew",
                  f"printf '%s\\n' \"$@\" > '{connector / 'args.txt'}'\n{copy}{out}exit {code}\n")


def test_no_wrapper_is_blocked_no_gradle(tmp_path: Path) -> None:
    result = run_checkpoint(3, tmp_path, tmp_path, "Pg", PKG)
    assert result.status == "blocked"
    assert result.message.startswith("blocked: no Gradle")
    assert result.command == []


@pytest.mark.parametrize("old", ["11.0.2", "17.0.15"])
def test_jdk_before_21_is_blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  old: str) -> None:
    wrapper(tmp_path, None, 0)
    script(tmp_path / "jdkold" / "bin" / "java", f"echo 'openjdk version \"{old}\"' >&2\n")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdkold"))
    reason = blocked_reason(tmp_path, tmp_path)
    major = old.split(".")[0]
    assert reason is not None and reason.startswith("blocked: no JDK 21+")
    assert f"Java {major}" in reason


def test_checkout_gates_run_the_checkouts_own_subproject_tasks(tmp_path: Path,
                                                               jdk: Path) -> None:
    """In an Airbyte checkout the wrapper is at the root and the connector is a sub-project:
    the gate runs ``./gradlew :airbyte-integrations:connectors:destination-pg:…`` there."""
    connector = tmp_path / "airbyte-integrations" / "connectors" / "destination-pg"
    connector.mkdir(parents=True)
    script(tmp_path / "gradlew",
           f"printf '%s\\n' \"$PWD\" \"$@\" > '{tmp_path / 'args.txt'}'\nexit 0\n")
    result = run_checkpoint(0, connector, tmp_path, "Pg", PKG)
    assert result.status == "passed"
    cwd, task, *_ = (tmp_path / "args.txt").read_text().splitlines()
    assert Path(cwd) == tmp_path
    assert task == ":airbyte-integrations:connectors:destination-pg:compileKotlin"
    run_checkpoint(1, connector, tmp_path, "Pg", PKG)
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[1] == ":airbyte-integrations:connectors:destination-pg:integrationTestNonDocker"


def test_exit_zero_without_reports_is_not_a_pass(tmp_path: Path, jdk: Path) -> None:
    wrapper(tmp_path, None, 0)
    result = run_checkpoint(2, tmp_path, tmp_path, "Pg", PKG)
    assert result.status == "failed"
    assert "checkpoint test(s) did not run" in result.message
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[0] == "integrationTestNonDocker"
    assert f"{PKG}.component.PgTableOperationsTest.connect to database" in args
    assert f"{PKG}.component.PgTableOperationsTest.create and drop namespaces" in args


def test_passing_reports_pass(tmp_path: Path, jdk: Path) -> None:
    wrapper(tmp_path, "passed", 0)
    result = run_checkpoint(2, tmp_path, tmp_path, "Pg", PKG)
    assert (result.status, result.message) == ("passed", "2 test(s) passed")


def test_failing_reports_name_and_classify_each_test(tmp_path: Path, jdk: Path) -> None:
    wrapper(tmp_path, "component", 1)
    result = run_checkpoint(3, tmp_path, tmp_path, "Pg", PKG)
    assert result.status == "failed"
    assert result.failures == ["PgTableOperationsTest.create and drop tables",
                               "PgTableOperationsTest.insert records",
                               "PgTableOperationsTest.count table rows"]
    assert [f.category for f in result.findings] == ["SQL syntax", "type mismatch",
                                                     "permission"]


def test_compile_failure_of_phase_zero(tmp_path: Path, jdk: Path) -> None:
    wrapper(tmp_path, None, 1, stdout=str(FIXTURES / "compile-output.txt"))
    result = run_checkpoint(0, tmp_path, tmp_path, "Pg", PKG)
    assert result.status == "failed" and result.message == "compilation failed (exit 1)"
    assert {f.component for f in result.findings} == {"PgWriter", "PgSqlGenerator"}
    assert (tmp_path / "args.txt").read_text().splitlines()[0] == "compileKotlin"
    assert os.access(tmp_path / "gradlew", os.X_OK)
