"""End to end through the installed ``cf`` command: the issue's "Done when" run.

``cf new --target airbyte-destination duckdb --profile <shipped duckdb profile> --yes`` generates
phases 0–11, every Kotlin file parses, validate executes the SQL on DuckDB, the gate stops as
``blocked: no Gradle`` (exit 1, no check reported passed) and ``cf status`` shows the tracker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cf_airbyte_destination.kotlin_check import check_kotlin_file
from cf_airbyte_destination.profile import shipped_profile_path
from conftest import KOTLIN_PARSED

CF = Path(sys.executable).parent / "cf"


def cf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CF_INTERACTIVE": "0", "COLUMNS": "200"}
    env.pop("ANTHROPIC_API_KEY", None)
    assert CF.is_file(), f"the cf console script is missing next to {sys.executable}"
    return subprocess.run([str(CF), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_done_when_command(tmp_path: Path) -> None:
    run = cf("new", "--target", "airbyte-destination", "duckdb", "--profile",
             str(shipped_profile_path("duckdb")), "--yes", cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: test-gate blocked: ")
    assert "blocked: no Gradle" in errors[0]

    project = tmp_path / "duckdb"
    state = json.loads((project / ".cf" / "state.json").read_text())
    scaffold = state["steps"]["scaffold"]
    assert scaffold["status"] == "completed" and scaffold["details"]["last_phase"] == 11
    phases = scaffold["details"]["phases"]
    assert sorted(map(int, phases)) == list(range(12))
    assert all(p["status"] == "generated" and p["checkpoint"] == "blocked"
               for p in phases.values())

    kotlin = sorted(project.rglob("*.kt"))
    assert len(kotlin) >= 21
    assert all(check_kotlin_file(path) == [] for path in kotlin)
    KOTLIN_PARSED["cli duckdb"] = len(kotlin)

    checks = {c["name"]: c for c in state["steps"]["validate"]["checks"]}
    assert {c["status"] for c in checks.values()} == {"passed"}
    assert "sql-exec (duckdb)" in checks and "kotlin-parse" in checks
    assert "cdk-conformance" in checks and "0 unknown symbols, 0 mismatched overrides" in \
        checks["cdk-conformance"]["message"]
    assert "the checker's row count" in checks["sql-exec (duckdb)"]["message"]

    gate = state["steps"]["test_gate"]
    assert gate["status"] == "failed"
    assert [c["status"] for c in gate["checks"]] == ["blocked"]
    assert not any(c["status"] == "passed" for c in gate["checks"])

    readme = (project / "README.md").read_text()
    assert "no Gradle" in readme

    status = cf("status", "--project", str(project), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    for word in ("current", "parts:", "remaining", "blocked: no Gradle"):
        assert word in status.stdout, word
    tracker = scaffold["details"]["tracker"]
    assert tracker[0] == "0 done, 1 current, 11 remaining, 0 skipped"
    assert tracker[1].startswith(" ▶  0 scaffolding: current — generated".lstrip())
    assert "parts: build.gradle.kts" in tracker[1]
    assert tracker[-1].startswith("· 11 optimisation: remaining")


def test_bad_profile_is_one_line_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(shipped_profile_path("duckdb").read_text().replace(
        "mechanism: merge", "mechanism: upsert_magic", 1))
    run = cf("new", "--target", "airbyte-destination", "bad", "--profile", str(bad), "--yes",
             cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "upsert.mechanism" in errors[0] and " — fix: " in errors[0]
