"""State round trip, atomic writes (a killed writer never leaves a broken file), event log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from connector_factory.errors import InputError
from connector_factory.models import CheckResult, Step
from connector_factory.state import OutputRecord, State, StateStore


def test_round_trip(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = State(name="demo", target="toy", inputs={"tables": ["a", "b"]})
    state.step(Step.plan).status = "completed"
    state.step(Step.plan).outputs = [OutputRecord(path="x.txt", sha256="0" * 64)]
    store.save(state)
    loaded = store.load()
    assert loaded == state
    assert json.loads(store.path.read_text())["schema_version"] == 1


def test_plugin_values_json_has_no_type_for_are_stored_as_pydantic_stored_them(
        tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = State(name="demo", target="toy", inputs={"doc": Path("a/b.yaml")})
    state.step(Step.plan).details = {"file": Path("x.txt"), "check": CheckResult(
        name="c", status="passed"), "pair": ("a", 1)}
    store.save(state)
    loaded = store.load()
    assert loaded.inputs == {"doc": "a/b.yaml"}
    details = loaded.step(Step.plan).details
    assert details["file"] == "x.txt" and details["pair"] == ["a", 1]
    assert details["check"]["name"] == "c" and details["check"]["status"] == "passed"


def test_unknown_schema_version_is_a_clear_error(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save(State(name="demo", target="toy"))
    raw = json.loads(store.path.read_text())
    raw["schema_version"] = 99
    store.path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match="schema version 99"):
        store.load()


def test_corrupt_state_is_a_clear_error(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.dir.mkdir()
    store.path.write_text("{not json")
    with pytest.raises(InputError, match="cannot read"):
        store.load()


@pytest.mark.parametrize(("edit", "where", "problem"), [
    (lambda raw: raw["steps"]["plan"].update(status="done"), "steps[...].status", "'done'"),
    (lambda raw: raw["steps"]["plan"].update(outputs=[{"path": "x"}]), "outputs[0]", "sha256"),
    (lambda raw: raw.update(name=7), "name", "Expected `str`, got `int`"),
    (lambda raw: raw["steps"].update(nope={}), "steps", "'nope'"),
])
def test_an_invalid_state_names_the_field(tmp_path: Path, edit: Any, where: str,
                                          problem: str) -> None:
    store = StateStore(tmp_path)
    store.save(State(name="demo", target="toy"))
    raw = json.loads(store.path.read_text())
    edit(raw)
    store.path.write_text(json.dumps(raw))
    with pytest.raises(InputError) as caught:
        store.load()
    line = caught.value.one_line()
    assert "is invalid at" in line and where in line and problem in line, line
    assert "restore it from version control" in line


def test_a_state_written_by_the_pydantic_models_still_reads(tmp_path: Path) -> None:
    """The layout the earlier (pydantic) state wrote: integer durations, missing newer fields,
    fields this core no longer knows are all accepted."""
    store = StateStore(tmp_path)
    store.dir.mkdir()
    store.path.write_text(json.dumps({
        "schema_version": 1, "name": "demo", "target": "toy", "created_at": "2026-11-01T00:00:00Z",
        "inputs": {"doc": "a.yaml"}, "retired_field": True,
        "steps": {"plan": {"status": "completed", "duration_s": 2, "gate": "approved",
                           "outputs": [{"path": "a", "sha256": "0" * 64}]}}}))
    state = store.load()
    assert state.step(Step.plan).duration_s == 2.0 and state.step(Step.plan).gate == "approved"
    assert state.step(Step.research).status == "pending" and state.conflicts == {}


def test_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Connector Factory project"):
        StateStore(tmp_path).load()


WRITER = """
import sys
from pathlib import Path
from connector_factory.state import State, StateStore
store = StateStore(Path(sys.argv[1]))
i = 0
print("ready", flush=True)
while True:
    i += 1
    # a large state makes each write take long enough to be interrupted mid-way
    store.save(State(name="demo", target="toy", inputs={"n": i, "pad": "x" * 2_000_000}))
"""


def test_writer_killed_mid_write_leaves_a_readable_state(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save(State(name="demo", target="toy", inputs={"n": 0}))
    for delay in (0.05, 0.13, 0.21, 0.34, 0.55):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = store.load()  # never a torn file: always the old or a new complete state
        assert state.name == "demo" and isinstance(state.inputs["n"], int)


def test_interrupted_save_keeps_old_state_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(tmp_path)
    store.save(State(name="demo", target="toy", inputs={"n": 1}))

    def boom(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        store.save(State(name="demo", target="toy", inputs={"n": 2}))
    monkeypatch.undo()
    assert store.load().inputs["n"] == 1
    assert [p.name for p in store.dir.iterdir()] == ["state.json"]


def test_events_are_appended(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.event("a", step="plan")
    store.event("b", step="plan")
    assert [e["event"] for e in store.events()] == ["a", "b"]


def test_cf_status_reads_the_state_without_pydantic_or_rich(tmp_path: Path) -> None:
    """``cf status`` piped: the tracker from the validated state, and neither pydantic (the
    models, typer's option coercion) nor rich (a terminal's table) imported for it."""
    store = StateStore(tmp_path)
    state = State(name="demo", target="toy")
    state.step(Step.plan).status = "completed"
    state.step(Step.plan).gate = "approved"
    store.save(state)
    code = ("import json, sys\nfrom connector_factory.cli import app\n"
            f"try:\n    app(['status', '--project', {str(tmp_path)!r}])\n"
            "except SystemExit:\n    pass\n"
            "print('MODULES=' + json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    out, _, modules = done.stdout.rpartition("MODULES=")
    assert "demo — toy" in out and "completed; gate approved" in out, out + done.stderr
    imported = set(json.loads(modules))
    assert not {m for m in imported if m.split(".")[0] in ("pydantic", "rich")}
