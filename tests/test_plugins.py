"""Plugin discovery through entry points, hook calling semantics, broken plugins."""

from __future__ import annotations

from pathlib import Path

import pytest
from connector_factory.cli import app
from connector_factory.errors import InputError, StepFailed
from connector_factory.models import Step
from connector_factory.pipeline import Pipeline
from connector_factory.plugins import load_plugins
from connector_factory.reporter import RecordingReporter
from typer.testing import CliRunner

from .conftest import MakeDist

SECRET_SCAN = '''
from connector_factory import hookimpl
from connector_factory.models import CheckResult, StepResult

@hookimpl
def cf_validate(ctx):
    found = [p.name for p in ctx.project_dir.glob("*.txt") if "SECRET" in p.read_text()]
    return StepResult(checks=[CheckResult(name="secret-scan", status="failed" if found else "passed",
                                          failures=found)])
'''


def test_third_party_target_is_found_through_its_entry_point(toy_plugin: Path) -> None:
    plugins = load_plugins()
    toy = plugins.target("toy")
    assert toy.plugin == "toy"
    info = {p.name: p for p in plugins.loaded}["toy"]
    assert info.distribution == "cf-toy"
    assert "cf_scaffold" in info.hooks and "cf_targets" in info.hooks


def test_unknown_target_names_known_targets_and_fix(toy_plugin: Path) -> None:
    with pytest.raises(InputError) as err:
        load_plugins().target("nope")
    assert "unknown target 'nope'" in err.value.one_line()
    assert "toy" in err.value.one_line()
    assert "\n" not in err.value.one_line()


def test_collecting_step_gathers_checks_from_every_plugin(
    toy_plugin: Path, make_dist: MakeDist, tmp_path: Path
) -> None:
    make_dist("cf-secret-scan", {"cf_secret_scan": SECRET_SCAN}, {"secret_scan": "cf_secret_scan"})
    pipeline = Pipeline(tmp_path / "p", load_plugins(), RecordingReporter(), assume_yes=True)
    pipeline.create("demo", pipeline.plugins.target("toy"), {})
    state = pipeline.run(only=Step.plan)
    for step in (Step.research, Step.scaffold):
        state = pipeline.run(only=step)
    state = pipeline.run(only=Step.validate)
    checks = {c["name"]: c for c in state.step(Step.validate).checks}
    assert checks["toy-lint"]["plugin"] == "toy"
    assert checks["secret-scan"]["plugin"] == "secret_scan"
    assert checks["secret-scan"]["status"] == "passed"
    # the third-party check fails the gate for a target it knows nothing about
    (pipeline.project_dir / "leak.txt").write_text("SECRET=1")
    with pytest.raises(StepFailed, match=r"leak\.txt"):
        pipeline.run(only=Step.validate)


def test_first_result_wins_for_single_artifact_steps(
    toy_plugin: Path, make_dist: MakeDist, tmp_path: Path
) -> None:
    other = '''
from connector_factory import hookimpl
from connector_factory.models import StepResult
@hookimpl
def cf_plan(ctx):
    return StepResult(summary="other plan")
'''
    make_dist("cf-other", {"cf_other": other}, {"zz_other": "cf_other"})
    pipeline = Pipeline(tmp_path / "p", load_plugins(), RecordingReporter(), assume_yes=True)
    pipeline.create("demo", pipeline.plugins.target("toy"), {})
    state = pipeline.run(only=Step.plan)
    # exactly one plan result is used (pluggy order: last registered first)
    assert state.step(Step.plan).summary in {"planned", "other plan"}
    assert state.step(Step.plan).status == "completed"


def test_broken_plugin_is_reported_and_others_still_work(
    toy_plugin: Path, make_dist: MakeDist, tmp_path: Path
) -> None:
    make_dist("cf-broken", {"cf_broken": "import does_not_exist_anywhere\n"}, {"broken": "cf_broken"})
    runner = CliRunner()
    result = runner.invoke(app, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "broken" in result.output and "failed to load" in result.output
    assert "does_not_exist_anywhere" in result.output
    assert "toy" in result.output
    result = runner.invoke(app, ["targets"])
    assert result.exit_code == 0
    assert "toy" in result.output
    result = runner.invoke(app, ["new", "--target", "toy", "demo", "--out", str(tmp_path), "--yes"])
    assert result.exit_code == 0, result.output


def test_plugin_that_raises_is_named_and_state_is_kept(
    make_dist: MakeDist, tmp_path: Path
) -> None:
    raising = '''
from connector_factory import hookimpl
from connector_factory.models import Step, StepResult, Target
@hookimpl
def cf_targets():
    return [Target(name="boom", summary="raises", steps=(Step.plan, Step.research))]
@hookimpl
def cf_plan(ctx):
    return StepResult(summary="ok") if ctx.target == "boom" else None
@hookimpl
def cf_research(ctx):
    if ctx.target == "boom":
        raise ZeroDivisionError("division by zero in research")
'''
    make_dist("cf-boom", {"cf_boom": raising}, {"boom": "cf_boom"})
    result = CliRunner().invoke(app, ["new", "--target", "boom", "x", "--out", str(tmp_path), "-y"])
    assert result.exit_code == 1
    assert "plugin 'boom' raised ZeroDivisionError in cf_research" in result.output
    assert "Traceback" not in result.output
    status = CliRunner().invoke(app, ["status", "--project", str(tmp_path / "x")])
    assert "failed" in status.output and "completed" in status.output
