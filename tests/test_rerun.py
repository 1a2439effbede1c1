"""Re-runs that do what the user meant: outputs drive invalidation, an unresolved ``*.cf-new``
blocks its step until ``cf merge``/``cf discard``, gates hold, "blocked" stops a gate unless the
check is skipped with a reason, fix lines carry ``--project``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from connector_factory.cli import app, with_project
from typer.testing import CliRunner

from tests.conftest import MakeDist

runner = CliRunner()

#: Target ``rr``: scaffold renders ``conn.py`` from ``template.txt`` in the project (a stand-in
#: for a template that changes); validate compiles ``conn.py``; validate also reports the check
#: ``needs-tool`` blocked while the project holds ``NO_TOOL``; every step logs that it ran.
RERUN_PLUGIN = '''
from connector_factory import hookimpl
from connector_factory.models import CheckResult, StepResult, Target

def _log(ctx):
    with (ctx.project_dir / "ran.log").open("a") as out:
        out.write(ctx.step.value + "\\n")

def _simple(ctx, summary):
    if ctx.target != "rr":
        return None
    _log(ctx)
    return StepResult(summary=summary)

@hookimpl
def cf_targets():
    return [Target(name="rr", summary="re-run target")]

@hookimpl
def cf_plan(ctx):
    return _simple(ctx, "planned")

@hookimpl
def cf_research(ctx):
    return _simple(ctx, "researched")

@hookimpl
def cf_scaffold(ctx):
    if ctx.target != "rr":
        return None
    _log(ctx)
    template = ctx.project_dir / "template.txt"
    writer = ctx.writer()
    writer.write("conn.py", template.read_text() if template.is_file() else "VALUE = 1\\n")
    return StepResult(summary="scaffolded", outputs=writer.finish())

@hookimpl
def cf_validate(ctx):
    if ctx.target != "rr":
        return None
    _log(ctx)
    checks = []
    try:
        compile((ctx.project_dir / "conn.py").read_text(), "conn.py", "exec")
        checks.append(CheckResult(name="compile", status="passed"))
    except SyntaxError as exc:
        checks.append(CheckResult(name="compile", status="failed", failures=[f"conn.py: {exc.msg}"]))
    if (ctx.project_dir / "NO_TOOL").exists():
        checks.append(CheckResult(name="needs-tool", status="blocked",
                                  message="the tool is not installed; install it"))
    return StepResult(checks=checks)

@hookimpl
def cf_test_gate(ctx):
    return _simple(ctx, "tested")

@hookimpl
def cf_document(ctx):
    return _simple(ctx, "documented")

@hookimpl
def cf_deploy(ctx):
    return _simple(ctx, "deployed")
'''


@pytest.fixture
def project(make_dist: MakeDist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A finished ``rr`` project at ``tmp_path/demo``; the working folder is ``tmp_path``."""
    make_dist("cf-rr", {"cf_rr": RERUN_PLUGIN}, {"rr": "cf_rr"})
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "--target", "rr", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    return tmp_path / "demo"


def _ran(project: Path) -> list[str]:
    return (project / "ran.log").read_text().split()


def _status(project: Path) -> dict[str, str]:
    state = json.loads((project / ".cf/state.json").read_text())
    return {step: info["status"] for step, info in state["steps"].items()}


def _cf(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_an_edited_connector_is_validated_again(project: Path) -> None:
    """The issue's case: a syntax error added, then `cf scaffold` exits 0 with the broken
    file recorded and validate still completed. Now the edit sends validate and later back to
    pending, and `cf resume` finds the error."""
    (project / "conn.py").write_text("VALUE = (\n")
    code, out = _cf("scaffold", "--project", "demo", "--yes")
    assert code == 0, out
    assert "scaffold's outputs changed since it ran: conn.py" in out
    assert _status(project)["validate"] == "pending" and _status(project)["deploy"] == "pending"
    assert (project / "conn.py").read_text() == "VALUE = (\n"  # the edit is kept
    code, out = _cf("resume", "--project", "demo", "--yes")
    assert code == 1 and "validate failed: conn.py:" in out, out
    assert _status(project)["test_gate"] == "pending"


def test_a_rerun_whose_outputs_changed_redoes_every_later_step(project: Path) -> None:
    (project / "template.txt").write_text("VALUE = 2\n")
    code, out = _cf("scaffold", "--project", "demo", "--yes")
    assert code == 0, out
    assert "scaffold changed conn.py: validate, test-gate, document, deploy will run again" in out
    assert [s for s, v in _status(project).items() if v == "pending"] == [
        "validate", "test_gate", "document", "deploy"]
    code, out = _cf("resume", "--project", "demo", "--yes")
    assert code == 0, out
    assert _ran(project).count("deploy") == 2


def test_a_rerun_with_the_same_outputs_keeps_later_steps(project: Path) -> None:
    code, out = _cf("scaffold", "--project", "demo", "--yes")
    assert code == 0, out
    assert set(_status(project).values()) == {"completed"}
    code, out = _cf("resume", "--project", "demo")
    assert code == 0 and "every step is done" in out


@pytest.mark.parametrize("how", ["merge", "discard"])
def test_an_unresolved_merge_blocks_its_step_until_resolved(project: Path, how: str) -> None:
    (project / "conn.py").write_text("VALUE = 'mine'\n")
    code, _ = _cf("resume", "--project", "demo", "--yes")  # accept the edit
    (project / "template.txt").write_text("VALUE = 3\n")
    code, out = _cf("scaffold", "--project", "demo", "--yes")
    assert code == 1 and "conn.py" in out and "cf-new" in out, out
    assert (project / "conn.py.cf-new").read_text() == "VALUE = 3\n"
    assert _status(project)["scaffold"] == "failed"
    assert _status(project)["validate"] == "pending"  # a failed step sends later steps back

    # running it again without merging does not drop the change: the step is blocked
    code, out = _cf("scaffold", "--project", "demo", "--yes")
    assert code == 1, out
    assert "scaffold is blocked: 1 unresolved merge(s): conn.py.cf-new" in out
    assert "`cf merge --project demo`" in out and "`cf discard --project demo`" in out
    code, out = _cf("resume", "--project", "demo", "--yes")
    assert code == 1 and "scaffold is blocked" in out
    status = runner.invoke(app, ["status", "--project", "demo"], env={"COLUMNS": "200"})
    assert "blocked" in status.output and "merge: conn.py.cf-new" in status.output

    code, out = _cf(how, "--project", "demo")
    assert code == 0, out
    assert not (project / "conn.py.cf-new").exists()
    expected = "VALUE = 3\n" if how == "merge" else "VALUE = 'mine'\n"
    assert (project / "conn.py").read_text() == expected
    code, out = _cf("resume", "--project", "demo", "--yes")
    assert code == 0, out
    assert (project / "conn.py").read_text() == expected
    assert set(_status(project).values()) == {"completed"}
    code, out = _cf("merge", "--project", "demo")
    assert code == 2 and "no unresolved merge" in out


def test_a_merge_resolved_by_hand_unblocks(project: Path) -> None:
    (project / "conn.py").write_text("VALUE = 'mine'\n")
    _cf("resume", "--project", "demo", "--yes")
    (project / "template.txt").write_text("VALUE = 4\n")
    assert _cf("scaffold", "--project", "demo", "--yes")[0] == 1
    (project / "conn.py").write_text("VALUE = 4  # merged by hand\n")
    (project / "conn.py.cf-new").unlink()
    code, out = _cf("resume", "--project", "demo", "--yes")
    assert code == 0, out
    assert (project / "conn.py").read_text() == "VALUE = 4  # merged by hand\n"


def test_a_gate_is_asked_before_a_later_step_runs(
        make_dist: MakeDist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: after `cf new` stops at the plan gate, `cf research` ran anyway."""
    make_dist("cf-rr", {"cf_rr": RERUN_PLUGIN}, {"rr": "cf_rr"})
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "--target", "rr", "demo"], env={"CF_INTERACTIVE": "0"})
    assert result.exit_code == 1 and "needs approval" in result.output
    project = tmp_path / "demo"
    result = runner.invoke(app, ["research", "--project", "demo"], env={"CF_INTERACTIVE": "0"})
    assert result.exit_code == 1
    assert "the gate after plan needs approval" in result.output
    assert _ran(project) == ["plan"]
    result = runner.invoke(app, ["research", "--project", "demo"], env={"CF_INTERACTIVE": "1"},
                           input="n\n")
    assert result.exit_code == 1 and "Approve plan" in result.output
    assert _ran(project) == ["plan"]
    result = runner.invoke(app, ["research", "--project", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    assert "gate after plan approved by --yes" in result.output
    assert "gate after research approved by --yes" in result.output
    assert _ran(project) == ["plan", "research"]


def test_a_blocked_check_stops_the_gate_until_skipped_with_a_reason(project: Path) -> None:
    (project / "NO_TOOL").write_text("")
    code, out = _cf("validate", "--project", "demo", "--yes")
    assert code == 1, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "validate blocked: needs-tool: the tool is not installed; install it" in errors[0]
    assert '`cf skip "needs-tool" --why "…" --project demo`' in errors[0]
    assert _status(project)["test_gate"] == "pending"
    code, out = _cf("skip", "needs-tool", "--why", "no tool on this machine", "--project", "demo")
    assert code == 0 and "skipped check needs-tool" in out, out
    code, out = _cf("resume", "--project", "demo", "--yes")
    assert code == 0, out
    state = json.loads((project / ".cf/state.json").read_text())
    checks = {c["name"]: c for c in state["steps"]["validate"]["checks"]}
    assert checks["needs-tool"]["status"] == "skipped"
    assert "no tool on this machine" in checks["needs-tool"]["message"]
    status = runner.invoke(app, ["status", "--project", "demo"], env={"COLUMNS": "200"})
    assert "check needs-tool: skipped (no tool on this machine)" in status.output


def test_fix_lines_name_the_project_when_it_is_not_here(tmp_path: Path) -> None:
    inside = tmp_path / "work" / "demo"
    inside.mkdir(parents=True)
    text = "run `cf resume` or `cf scaffold --yes`; see `cf targets`; `cf status -p x`"
    assert with_project(text, inside, cwd=tmp_path / "work") == (
        "run `cf resume --project demo` or `cf scaffold --yes --project demo`; see "
        "`cf targets`; `cf status -p x`")
    assert with_project(text, inside, cwd=inside) == text
    assert f"--project {inside}`" in with_project("`cf resume`", inside, cwd=tmp_path / "else")
