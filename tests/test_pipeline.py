"""The gated pipeline: order, gates with and without a terminal, hard test gate, resume, stale
outputs, skips, --from, and never overwriting a person's edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from connector_factory.cli import app
from connector_factory.models import STEPS
from typer.testing import CliRunner

runner = CliRunner()


def _new(tmp_path: Path, *extra: str, env: dict[str, str] | None = None,
         input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["new", "--target", "toy", "demo", "--out", str(tmp_path), *extra],
                           env=env, input=input)
    return result.exit_code, result.output


def _state(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((tmp_path / "demo" / ".cf" / "state.json").read_text())


def _events(tmp_path: Path) -> list[str]:
    lines = (tmp_path / "demo" / ".cf" / "events.jsonl").read_text().splitlines()
    return [f"{json.loads(x)['event']}:{json.loads(x).get('step', '')}" for x in lines]


def test_yes_runs_every_step_in_order(toy_plugin: Path, tmp_path: Path) -> None:
    code, out = _new(tmp_path, "--yes")
    assert code == 0, out
    state = _state(tmp_path)
    assert [state["steps"][s.value]["status"] for s in STEPS] == ["completed"] * 7
    started = [e.split(":")[1] for e in _events(tmp_path) if e.startswith("step_started")]
    assert started == [s.value for s in STEPS]
    assert state["steps"]["scaffold"]["outputs"][0]["path"] == "toy.txt"
    assert len(state["steps"]["scaffold"]["outputs"][0]["sha256"]) == 64


def test_no_tty_and_no_yes_stops_at_first_gate(toy_plugin: Path, tmp_path: Path) -> None:
    code, out = _new(tmp_path, env={"CF_INTERACTIVE": "0"})
    assert code == 1
    assert "needs approval and there is no terminal" in out and "--yes" in out
    state = _state(tmp_path)
    assert state["steps"]["plan"]["status"] == "completed"
    assert state["steps"]["plan"]["gate"] == "pending"
    assert state["steps"]["research"]["status"] == "pending"


def test_tty_gate_answered_no_then_resume_yes(toy_plugin: Path, tmp_path: Path) -> None:
    code, out = _new(tmp_path, env={"CF_INTERACTIVE": "1"}, input="y\nn\n")
    assert code == 1
    assert "stopped at the gate after research" in out
    state = _state(tmp_path)
    assert state["steps"]["plan"]["gate"] == "approved"
    assert state["steps"]["research"]["gate"] == "declined"
    assert state["steps"]["scaffold"]["status"] == "pending"
    # resume re-asks the declined gate first, then goes on
    result = runner.invoke(app, ["resume", "--project", str(tmp_path / "demo")],
                           env={"CF_INTERACTIVE": "1"}, input="y\ny\ny\ny\n")
    assert result.exit_code == 0, result.output
    assert _state(tmp_path)["steps"]["deploy"]["status"] == "completed"
    assert _events(tmp_path).count("step_started:research") == 1  # not redone


def test_failing_test_gate_is_hard_and_resume_continues(toy_plugin: Path, tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "FAIL").write_text("")
    code, out = _new(tmp_path, "--yes")
    assert code == 1
    assert "test-gate failed: test_toy_reads" in out
    state = _state(tmp_path)
    assert state["steps"]["test_gate"]["status"] == "failed"
    assert state["steps"]["document"]["status"] == "pending"  # nothing after it ran
    (tmp_path / "demo" / "FAIL").unlink()
    result = runner.invoke(app, ["resume", "--project", str(tmp_path / "demo"), "--yes"])
    assert result.exit_code == 0, result.output
    events = _events(tmp_path)
    assert events.count("step_started:scaffold") == 1
    assert events.count("step_started:test_gate") == 2


def test_a_failing_rerun_sends_later_steps_back_to_pending(toy_plugin: Path,
                                                           tmp_path: Path) -> None:
    assert _new(tmp_path, "--yes")[0] == 0
    (tmp_path / "demo" / "FAIL").write_text("")
    result = runner.invoke(app, ["test-gate", "--project", str(tmp_path / "demo"), "--yes"])
    assert result.exit_code == 1
    state = _state(tmp_path)
    assert state["steps"]["test_gate"]["status"] == "failed"
    assert [state["steps"][s]["status"] for s in ("document", "deploy")] == ["pending"] * 2
    assert state["steps"]["validate"]["status"] == "completed"  # earlier steps stand
    assert "step_invalidated:deploy" in _events(tmp_path)
    (tmp_path / "demo" / "FAIL").unlink()
    result = runner.invoke(app, ["resume", "--project", str(tmp_path / "demo"), "--yes"])
    assert result.exit_code == 0, result.output
    assert _events(tmp_path).count("step_started:document") == 2


def test_step_command_needs_earlier_steps(toy_plugin: Path, tmp_path: Path) -> None:
    _new(tmp_path, env={"CF_INTERACTIVE": "0"})
    result = runner.invoke(app, ["scaffold", "--project", str(tmp_path / "demo"), "--yes"])
    assert result.exit_code == 2
    assert "step research is pending" in result.output


def test_an_edited_output_is_kept_and_everything_after_it_is_redone(
        toy_plugin: Path, tmp_path: Path) -> None:
    assert _new(tmp_path, "--yes")[0] == 0
    (tmp_path / "demo" / "toy.txt").write_text("edited by a person\n")
    result = runner.invoke(app, ["status", "--project", str(tmp_path / "demo")])
    assert "completed (stale)" in result.output
    result = runner.invoke(app, ["resume", "--project", str(tmp_path / "demo"), "--yes"])
    assert result.exit_code == 0, result.output
    assert "scaffold's outputs changed since it ran: toy.txt" in result.output
    assert (tmp_path / "demo" / "toy.txt").read_text() == "edited by a person\n"
    events = _events(tmp_path)
    assert events.count("step_started:scaffold") == 1
    for later in ("validate", "test_gate", "document", "deploy"):
        assert events.count(f"step_started:{later}") == 2, later
    again = runner.invoke(app, ["resume", "--project", str(tmp_path / "demo"), "--yes"])
    assert "every step is done" in again.output  # the edit is now the recorded output


def test_rerun_never_overwrites_an_edited_file(toy_plugin: Path, tmp_path: Path) -> None:
    assert _new(tmp_path, "--yes")[0] == 0
    project = tmp_path / "demo"
    (project / "toy.txt").write_text("mine\n")
    # the generator has nothing new: the edit is kept, the step succeeds
    result = runner.invoke(app, ["scaffold", "--project", str(project), "--yes"])
    assert result.exit_code == 0, result.output
    assert (project / "toy.txt").read_text() == "mine\n"


def test_skip_and_from(toy_plugin: Path, tmp_path: Path) -> None:
    _new(tmp_path, env={"CF_INTERACTIVE": "0"})
    project = str(tmp_path / "demo")
    result = runner.invoke(app, ["skip", "test-gate", "--why", "x", "--project", project])
    assert result.exit_code == 2 and "cannot be skipped" in result.output
    result = runner.invoke(app, ["skip", "deploy", "--why", "no registry yet", "--project", project])
    assert result.exit_code == 0
    result = runner.invoke(app, ["resume", "--project", project, "--yes"])
    assert result.exit_code == 0, result.output
    state = _state(tmp_path)
    assert state["steps"]["deploy"] == state["steps"]["deploy"] | {
        "status": "skipped", "skip_reason": "no registry yet"}
    code, out = _new(tmp_path, "--yes", "--from", "validate")
    assert code == 0, out
    assert _events(tmp_path).count("step_started:validate") == 2
    assert _events(tmp_path).count("step_started:scaffold") == 1
    assert "step_skipped:deploy" in _events(tmp_path)


def test_killed_run_is_resumed(toy_plugin: Path, tmp_path: Path) -> None:
    assert _new(tmp_path, "--yes")[0] == 0
    path = tmp_path / "demo" / ".cf" / "state.json"
    raw = json.loads(path.read_text())
    for step in ("validate", "test_gate", "document", "deploy"):
        raw["steps"][step].update(status="pending", gate=None)
    raw["steps"]["validate"]["status"] = "in_progress"  # as a SIGKILL mid-step leaves it
    path.write_text(json.dumps(raw))
    status = runner.invoke(app, ["status", "--project", str(tmp_path / "demo")])
    assert "interrupted" in status.output
    result = runner.invoke(app, ["resume", "--project", str(tmp_path / "demo"), "--yes"])
    assert result.exit_code == 0, result.output
    assert _state(tmp_path)["steps"]["deploy"]["status"] == "completed"


@pytest.mark.parametrize("args, message", [
    (["new", "--target", "nope", "x"], "unknown target 'nope'"),
    (["new", "--target", "toy", "Bad-Name"], "not lower-case snake case"),
    (["new", "--target", "toy", "x", "--profile", "p.yaml"], "does not take --profile"),
    (["new", "--target", "toy", "x", "--doc", "/no/such/file.yaml"], "no such file"),
    (["status", "--project", "/no/such/project"], "not a Connector Factory project"),
    (["plan", "--project", "."], "not a Connector Factory project"),
    (["new", "--target", "toy", "x", "--from", "nowhere"], "unknown step 'nowhere'"),
])
def test_bad_input_is_one_line_and_exit_2(
    toy_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
    message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and "fix:" in errors[0]


PART_SKIPPER = '''
from connector_factory import hookimpl
from connector_factory.errors import InputError
from connector_factory.models import StepResult


@hookimpl
def cf_skip_part(ctx, name, why):
    if ctx.target != "toy" or name not in ("extras", "core-bits"):
        return None
    if name == "core-bits":
        raise InputError("core-bits is not optional", "build it")
    (ctx.project_dir / "skipped.txt").write_text(f"{name}: {why}\\n")
    return StepResult(summary=f"skipped part {name} ({why})")
'''


def test_skip_a_part_a_plugin_knows(toy_plugin: Path, make_dist, tmp_path: Path) -> None:
    make_dist("cf-toy-parts", {"cf_toy_parts": PART_SKIPPER}, {"toy_parts": "cf_toy_parts"})
    _new(tmp_path, env={"CF_INTERACTIVE": "0"})
    project = str(tmp_path / "demo")
    result = runner.invoke(app, ["skip", "extras", "--why", "not needed", "--project", project])
    assert result.exit_code == 0, result.output
    assert "skipped part extras (not needed)" in result.output
    assert (tmp_path / "demo" / "skipped.txt").read_text() == "extras: not needed\n"
    assert "part_skipped" in (tmp_path / "demo" / ".cf" / "events.jsonl").read_text()
    refused = runner.invoke(app, ["skip", "core-bits", "--why", "x", "--project", project])
    assert refused.exit_code == 2 and "core-bits is not optional" in refused.output
    unknown = runner.invoke(app, ["skip", "nothing", "--why", "x", "--project", project])
    assert unknown.exit_code == 2 and "unknown step 'nothing'" in unknown.output
    empty = runner.invoke(app, ["skip", "extras", "--why", " ", "--project", project])
    assert empty.exit_code == 2 and "needs a reason" in empty.output
