"""`cf skip PHASE --why` through the real CLI: optional phases only, recorded in the README."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from connector_factory.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_cf_skip_an_optional_phase_and_refuse_a_required_one(tmp_path: Path) -> None:
    profile = resources.files("cf_airbyte_destination") / "data" / "profiles" / "duckdb.yaml"
    env = {"CF_INTERACTIVE": "0"}
    result = runner.invoke(app, ["new", "--target", "airbyte-destination", "duckdb", "--profile",
                                 str(profile), "--out", str(tmp_path), "--yes"], env=env)
    assert result.exit_code == 1 and "blocked: no Gradle" in result.output
    project = str(tmp_path / "duckdb")
    skipped = runner.invoke(app, ["skip", "cdc", "--why", "source has no deletes",
                                  "--project", project], env=env)
    assert skipped.exit_code == 0, skipped.output
    assert "skipped phase cdc: source has no deletes" in skipped.output
    refused = runner.invoke(app, ["skip", "append", "--why", "later", "--project", project],
                            env=env)
    assert refused.exit_code == 2 and "not optional" in refused.output
    runner.invoke(app, ["scaffold", "--project", project, "--yes"], env=env)
    readme = (tmp_path / "duckdb" / "README.md").read_text()
    assert "source has no deletes" in readme
    status = runner.invoke(app, ["status", "--project", project], env=env)
    assert "source has no deletes" in status.output or "skipped" in status.output
