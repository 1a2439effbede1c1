"""State round trip, atomic writes (a killed writer never leaves a broken file), event log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from connector_factory.errors import InputError
from connector_factory.models import Step
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
