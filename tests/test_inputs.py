"""Target inputs: declared by the target (name, type, help, required, secret), accepted
generically by ``cf new`` (``--input NAME=VALUE`` or ``--NAME VALUE``), converted by type, shown
by ``cf targets``; a re-run with changed inputs updates them and redoes the steps that read
them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from connector_factory.cli import app
from connector_factory.errors import InputError
from connector_factory.inputs import ReadTracker, convert, convert_inputs, split_args
from connector_factory.models import Target, TargetInput
from typer.testing import CliRunner

from tests.conftest import MakeDist

runner = CliRunner()

#: A target declaring one input of every type, a secret one, and a project-folder one; each
#: step records what it saw so the tests can check what reached the plugin.
TYPED_PLUGIN = '''
import json
import os
from connector_factory import hookimpl
from connector_factory.models import StepResult, Target, TargetInput

@hookimpl
def cf_targets():
    return [Target(name="typed", summary="one input of every type", inputs=(
        TargetInput(name="spec", type="url_or_path", required=True, help="the spec"),
        TargetInput(name="endpoint", type="url", help="an endpoint"),
        TargetInput(name="limit", type="int", help="a limit"),
        TargetInput(name="dry_run", type="bool", help="do nothing"),
        TargetInput(name="streams", type="list", help="streams"),
        TargetInput(name="label", help="free text"),
        TargetInput(name="api_key", secret=True, help="a key"),
        TargetInput(name="checkout", type="path", project_folder=True, help="a checkout"),
    ))]

def _seen(ctx, keys):
    log = ctx.project_dir / "seen.jsonl"
    with log.open("a") as out:
        out.write(json.dumps({"step": ctx.step.value,
                              "inputs": {k: ctx.inputs.get(k) for k in keys}}) + "\\n")

@hookimpl
def cf_plan(ctx):
    if ctx.target == "typed":
        _seen(ctx, ["spec", "endpoint", "limit", "dry_run", "streams", "api_key"])
        return StepResult(summary="planned")

@hookimpl
def cf_research(ctx):
    if ctx.target == "typed":
        return StepResult(summary="researched")

@hookimpl
def cf_scaffold(ctx):
    if ctx.target == "typed":
        _seen(ctx, ["streams"])
        return StepResult(summary="scaffolded")

@hookimpl
def cf_validate(ctx):
    if ctx.target == "typed":
        return StepResult(summary="validated")

@hookimpl
def cf_test_gate(ctx):
    if ctx.target == "typed":
        return StepResult(summary="tested")

@hookimpl
def cf_document(ctx):
    if ctx.target == "typed":
        _seen(ctx, ["label"])
        return StepResult(summary="documented")

@hookimpl
def cf_deploy(ctx):
    if ctx.target == "typed":
        return StepResult(summary="deployed")

@hookimpl
def cf_connection_form(ctx):
    # the core asks for the form (for the secret scan) after each step: that is no step's read
    ctx.inputs.get("label")
    return None
'''


@pytest.fixture
def typed(make_dist: MakeDist) -> None:
    make_dist("cf-typed", {"cf_typed": TYPED_PLUGIN}, {"typed": "cf_typed"})


def _state(project: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((project / ".cf/state.json").read_text())
    return data


def _seen(project: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (project / "seen.jsonl").read_text().splitlines()]


def test_every_type_is_converted_and_reaches_the_plugin(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text("openapi: 3.0.0\n")
    monkeypatch.setenv("CF_INPUT_API_KEY", "k-123")
    result = runner.invoke(app, [
        "new", "--target", "typed", "demo", "--spec", "spec.yaml",
        "--input", "endpoint=https://api.example.com/v1", "-i", "limit=7", "--dry-run",
        "--streams=a, b", "--label", "hello world", "--yes"])
    assert result.exit_code == 0, result.output
    project = tmp_path / "demo"
    seen = _seen(project)
    assert seen[0]["inputs"] == {
        "spec": str(tmp_path / "spec.yaml"), "endpoint": "https://api.example.com/v1",
        "limit": 7, "dry_run": True, "streams": ["a", "b"], "api_key": "k-123"}
    assert seen[-1] == {"step": "document", "inputs": {"label": "hello world"}}
    stored = _state(project)["inputs"]
    assert isinstance(stored, dict) and "api_key" not in stored
    assert "k-123" not in (project / ".cf/state.json").read_text()
    assert "k-123" not in (project / ".cf/events.jsonl").read_text()


def test_a_project_folder_input_places_the_project(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    result = runner.invoke(app, ["new", "--target", "typed", "demo", "--spec",
                                 "https://example.com/spec.yaml", "--checkout", "checkout",
                                 "--yes"])
    assert result.exit_code == 0, result.output
    assert (checkout / ".cf/state.json").is_file() and not (tmp_path / "demo").exists()


@pytest.mark.parametrize("args, message", [
    (["--spec", "nope.yaml"], "--spec nope.yaml: no such file or folder"),
    (["--spec", "https://x.example/s", "--endpoint", "notaurl"], "--endpoint 'notaurl' is not a URL"),
    (["--spec", "https://x.example/s", "--endpoint", "ftp://x"], "is not a URL"),
    (["--spec", "https://x.example/s", "--endpoint", "http://x:99999"], "bad port"),
    (["--spec", "https://x.example/s", "--limit", "ten"], "--limit 'ten' is not a whole number"),
    (["--spec", "https://x.example/s", "-i", "dry_run=maybe"], "is not true or false"),
    (["--spec", "https://x.example/s", "--streams", ","], "names nothing"),
    (["--spec", "https://x.example/s", "-i", "api_key=k"], "never taken from the command line"),
    (["--spec", "https://x.example/s", "--colour", "red"], "does not take --colour"),
    (["--spec", "https://x.example/s", "-i", "colour"], "is not NAME=VALUE"),
    (["--spec", "https://x.example/s", "--label"], "--label needs a value"),
    (["--spec", "a", "--spec", "b"], "given twice"),
    ([], "needs --spec"),
])
def test_bad_inputs_are_one_line_exit_2_before_anything_is_made(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
        message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "--target", "typed", "demo", *args, "--yes"])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and "fix:" in errors[0], result.output
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize("name, message", [
    ("class", "is a Python keyword"),
    ("import", "is a Python keyword"),
    ("a" * 41, "41 characters long; the limit is 40"),
    ("Bad-Name", "not lower-case snake case"),
])
def test_names_are_checked_up_front(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
        message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "--target", "typed", name, "--spec",
                                 "https://x.example/s", "--yes"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / name).exists()


def test_options_may_come_before_the_name(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "--spec", "https://x.example/s", "--streams", "a",
                                 "demo", "--target", "typed", "--yes"])
    assert result.exit_code == 0, result.output
    assert _state(tmp_path / "demo")["name"] == "demo"


def test_cf_targets_lists_each_input_with_its_type(typed: None) -> None:
    result = runner.invoke(app, ["targets"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for shown in ("--spec URL|PATH (required)", "--endpoint URL", "--limit N", "--dry-run",
                  "--streams A,B", "--label TEXT", "--api-key TEXT (secret: CF_INPUT_API_KEY)",
                  "--checkout PATH"):
        assert shown in result.output, shown


def test_convert_and_split_directly(tmp_path: Path) -> None:
    spec = TargetInput(name="when", type="bool", help="x")
    assert convert(spec, "No", tmp_path) is False and convert(spec, "ON", tmp_path) is True
    target = Target(name="t", summary="s", inputs=(spec, TargetInput(name="n", help="n")))
    words, raw = split_args(["--when", "demo", "--input=n=a=b"], target)
    assert words == ["demo"] and raw == {"when": "true", "n": "a=b"}
    assert convert_inputs(target, raw, tmp_path) == {"when": True, "n": "a=b"}
    with pytest.raises(InputError, match="does not take --x"):
        split_args(["--x", "1"], target)


def test_read_tracker_records_what_a_step_read() -> None:
    tracked = ReadTracker({"a": 1, "b": 2, "c": 3})
    assert tracked.get("b") == 2 and "c" in tracked and tracked["a"] == 1
    assert tracked.read == ["b", "c", "a"]
    everything = ReadTracker({"a": 1, "b": 2})
    assert dict(everything) == {"a": 1, "b": 2} and sorted(everything.read) == ["a", "b"]


def test_rerun_with_a_changed_input_redoes_the_first_step_that_read_it(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    base = ["new", "--target", "typed", "demo", "--spec", "https://x.example/s", "--yes"]
    assert runner.invoke(app, [*base, "--streams", "a"]).exit_code == 0
    project = tmp_path / "demo"
    assert len(_seen(project)) == 3  # plan, scaffold and document ran once

    again = runner.invoke(app, [*base, "--streams", "a"])
    assert again.exit_code == 0 and "input --" not in again.output
    assert len(_seen(project)) == 3

    changed = runner.invoke(app, [*base, "--streams", "a,b"])
    assert changed.exit_code == 0, changed.output
    assert "input --streams changed: a → a,b" in changed.output
    assert "plan read --streams" in changed.output
    seen = _seen(project)
    assert [s["step"] for s in seen[3:]] == ["plan", "scaffold", "document"]
    assert seen[4]["inputs"] == {"streams": ["a", "b"]}
    assert _state(project)["inputs"] == {"spec": "https://x.example/s", "streams": ["a", "b"]}
    assert any(e["event"] == "inputs_changed" for e in map(
        json.loads, (project / ".cf/events.jsonl").read_text().splitlines()))


def test_an_input_no_step_read_is_simply_replaced(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the document step reads ``--label``; the first run stops at the plan gate (no
    terminal, no --yes), so a new label replaces the old one and nothing is redone."""
    monkeypatch.chdir(tmp_path)
    base = ["new", "--target", "typed", "demo", "--spec", "https://x.example/s"]
    first = runner.invoke(app, [*base, "--label", "one"])
    assert first.exit_code == 1 and "needs approval" in first.output
    steps = _state(tmp_path / "demo")["steps"]
    assert isinstance(steps, dict) and "label" not in steps["plan"]["inputs_read"]
    second = runner.invoke(app, [*base, "--label", "two", "--yes"])
    assert second.exit_code == 0, second.output
    assert "input --label changed: one → two" in second.output
    assert "no step has read it yet; nothing to redo" in second.output
    assert [s["step"] for s in _seen(tmp_path / "demo")] == ["plan", "scaffold", "document"]
    assert _seen(tmp_path / "demo")[-1]["inputs"] == {"label": "two"}


def test_toy_doc_change_redoes_plan(
        toy_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("a")
    (tmp_path / "b.yaml").write_text("b")
    first = runner.invoke(app, ["new", "--target", "toy", "demo", "--doc", "a.yaml", "--yes"])
    assert first.exit_code == 0, first.output
    steps = _state(tmp_path / "demo")["steps"]
    assert isinstance(steps, dict)
    assert steps["plan"]["inputs_read"] == ["doc"] and steps["research"]["inputs_read"] == []
    second = runner.invoke(app, ["new", "--target", "toy", "demo", "--doc", "b.yaml", "--yes"])
    assert second.exit_code == 0, second.output
    assert "plan read --doc: it and every later step go back to pending" in second.output
    steps = _state(tmp_path / "demo")["steps"]
    assert isinstance(steps, dict) and steps["plan"]["details"] == {"doc": str(tmp_path / "b.yaml")}


def test_a_project_folder_input_must_be_a_folder(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    result = runner.invoke(app, ["new", "--target", "typed", "demo", "--spec",
                                 "https://x.example/s", "--checkout", "file.txt", "--yes"])
    assert result.exit_code == 2
    assert "--checkout file.txt is a file, not a folder" in result.output


def test_operating_system_errors_exit_2_with_the_path_and_the_fix(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    base = ["new", "--target", "typed", "demo", "--spec", "https://x.example/s", "--yes"]
    result = runner.invoke(app, [*base, "--out", "file.txt"])
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"error: {tmp_path / 'file.txt' / 'demo'}")
    assert "Not a directory" in line and "a part of that path is a file" in line
    assert "internal error" not in result.output
    long = "d" * 300
    result = runner.invoke(app, [*base, "--out", long])
    assert result.exit_code == 2 and "File name too long" in result.output, result.output
    assert "use a shorter name or a shorter folder path" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_exit_2(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = runner.invoke(app, ["new", "--target", "typed", "demo", "--spec",
                                     "https://x.example/s", "--out", "ro", "--yes"])
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2 and "Permission denied" in result.output
    assert "check the permissions of that path" in result.output


def test_two_projects_share_a_checkout(
        typed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project-folder input names a shared folder: a second project there keeps its state in
    ``.cf/projects/NAME`` and writes into the same folder; each resumes by itself."""
    monkeypatch.chdir(tmp_path)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    base = ["--target", "typed", "--spec", "https://x.example/s", "--checkout", "checkout"]
    assert runner.invoke(app, ["new", "first", *base, "--yes"]).exit_code == 0
    second = runner.invoke(app, ["new", "second", *base])
    assert second.exit_code == 1  # stops at the plan gate: no terminal, no --yes
    further = checkout / ".cf" / "projects" / "second"
    assert f"project: {further}" in second.output
    assert "--project checkout/.cf/projects/second" in second.output  # in the fix line
    assert json.loads((further / "state.json").read_text())["name"] == "second"
    assert _state(checkout)["name"] == "first"
    resumed = runner.invoke(app, ["resume", "--project", str(further), "--yes"])
    assert resumed.exit_code == 0, resumed.output
    assert (checkout / "seen.jsonl").is_file()  # written into the shared folder
    status = runner.invoke(app, ["status", "--project", "checkout"], env={"COLUMNS": "200"})
    assert "first — typed" in status.output
    assert f"also here: project second (--project {further})" in status.output
    again = runner.invoke(app, ["new", "first", *base, "--yes"])
    assert again.exit_code == 0 and "already holds" not in again.output
