"""Skipping phases: only the optional ones (CDC, optimisation), with a reason that the tracker
shows and the generated README lists as a limitation."""

from __future__ import annotations

from pathlib import Path

import pytest
from cf_airbyte_destination.phase_skip import skip_phase
from cf_airbyte_destination.profile import shipped_profile_path
from conftest import generate_project
from connector_factory.errors import InputError
from connector_factory.models import Step
from connector_factory.pipeline import Pipeline
from connector_factory.plugins import load_plugins
from connector_factory.reporter import RecordingReporter


def test_only_optional_phases_can_be_skipped(tmp_path: Path) -> None:
    project, _ = generate_project(tmp_path, shipped_profile_path("duckdb"), "duck")
    for name in ("dedupe", "9", "scaffolding"):
        with pytest.raises(InputError, match="is not optional") as err:
            skip_phase(project, name, "too hard")
        assert "\n" not in err.value.one_line()
    with pytest.raises(InputError, match="unknown phase"):
        skip_phase(project, "nope", "x")
    with pytest.raises(InputError, match="needs a reason"):
        skip_phase(project, "cdc", "  ")

    assert skip_phase(project, "cdc", "DuckDB files are rebuilt, no deletes") == "cdc"
    pipeline = Pipeline(project_dir=project, plugins=load_plugins(),
                        reporter=RecordingReporter(), assume_yes=True)
    state = pipeline.run(only=Step.scaffold)
    details = state.step(Step.scaffold).details
    assert details["phases"]["10"]["status"] == "skipped"
    assert "– 10 cdc: skipped — DuckDB files are rebuilt, no deletes" in details["tracker"]
    assert details["tracker"][0].endswith("1 skipped")
    readme = (project / "README.md").read_text()
    assert "cdc phase skipped: DuckDB files are rebuilt, no deletes" in readme
