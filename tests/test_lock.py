"""The project lock and the child reaper, with real ``cf`` processes: a second run exits 2
naming the running PID, ``cf status`` says "running", a ``kill -9`` of ``cf`` takes its children
with it, and the next run cleans what the killed one left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from connector_factory.lock import clean_leftovers, holder, project_lock

from tests.conftest import MakeDist

#: Target ``slow``: research starts a child process that writes its PID to ``child.pid`` and
#: sleeps until the file ``GO`` exists in the project (at most 60 s), and waits for it.
SLOW_PLUGIN = '''
import subprocess, sys
from connector_factory import hookimpl
from connector_factory.models import StepResult, Target

CHILD = """
import os, sys, time, pathlib
project = pathlib.Path(sys.argv[1])
(project / "child.pid").write_text(str(os.getpid()))
deadline = time.monotonic() + 60
while not (project / "GO").exists() and time.monotonic() < deadline:
    time.sleep(0.05)
"""

@hookimpl
def cf_targets():
    return [Target(name="slow", summary="waits in research")]

@hookimpl
def cf_plan(ctx):
    return StepResult(summary="planned") if ctx.target == "slow" else None

@hookimpl
def cf_research(ctx):
    if ctx.target != "slow":
        return None
    subprocess.run([sys.executable, "-c", CHILD, str(ctx.project_dir)], check=True)
    return StepResult(summary="researched")

@hookimpl
def cf_scaffold(ctx):
    return StepResult(summary="scaffolded") if ctx.target == "slow" else None

@hookimpl
def cf_validate(ctx):
    return StepResult(summary="validated") if ctx.target == "slow" else None

@hookimpl
def cf_test_gate(ctx):
    return StepResult(summary="tested") if ctx.target == "slow" else None

@hookimpl
def cf_document(ctx):
    return StepResult(summary="documented") if ctx.target == "slow" else None

@hookimpl
def cf_deploy(ctx):
    return StepResult(summary="deployed") if ctx.target == "slow" else None
'''
MAIN = "from connector_factory.cli import main; main()"


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def slow(make_dist: MakeDist, tmp_path: Path) -> dict[str, str]:
    site = make_dist("cf-slow", {"cf_slow": SLOW_PLUGIN}, {"slow": "cf_slow"})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]),
               CF_INTERACTIVE="0")
    return env


def _cf(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", MAIN, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="the reaper needs /proc")
def test_second_run_exits_2_and_a_killed_run_takes_its_children(
        slow: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "demo"
    first = subprocess.Popen([sys.executable, "-c", MAIN, "new", "--target", "slow", "demo",
                              "--yes"], cwd=tmp_path, env=slow, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: (project / "child.pid").is_file(), 30), first.stderr
        child = int((project / "child.pid").read_text())
        time.sleep(1.0)  # the reaper looks every 0.5 s

        second = _cf(slow, tmp_path, "resume", "--project", "demo", "--yes")
        assert second.returncode == 2, second.stderr
        assert f"in use by a running cf: PID {first.pid} (cf new --target slow demo --yes)" \
            in second.stderr
        assert f"kill {first.pid}" in second.stderr
        skip = _cf(slow, tmp_path, "skip", "deploy", "--why", "later", "--project", "demo")
        assert skip.returncode == 2 and f"PID {first.pid}" in skip.stderr

        status = _cf(slow, tmp_path, "status", "--project", "demo")
        assert status.returncode == 0, status.stderr
        assert f"research   running (PID {first.pid})" in status.stdout
        assert f"a run holds this project: PID {first.pid} (cf new" in status.stdout

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert _wait_for(lambda: not _alive(child), 10), f"child {child} outlived cf"
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()

    status = _cf(slow, tmp_path, "status", "--project", "demo")
    assert "research   interrupted" in status.stdout
    leftover = project / ".cf" / ".state-killed.tmp"
    leftover.write_text("{")
    (project / "GO").write_text("")
    resumed = _cf(slow, tmp_path, "resume", "--project", "demo", "--yes")
    assert resumed.returncode == 0, resumed.stderr
    assert not leftover.exists()
    state = json.loads((project / ".cf" / "state.json").read_text())
    assert state["steps"]["deploy"]["status"] == "completed"


def test_lock_in_process(tmp_path: Path) -> None:
    from connector_factory.lock import ProjectBusy

    state_dir = tmp_path / ".cf"
    assert holder(state_dir) is None
    with project_lock(state_dir):
        found = holder(state_dir)
        assert found is not None and found.pid == os.getpid()
        with pytest.raises(ProjectBusy, match=f"{tmp_path} is in use by a running cf: PID "
                           f"{os.getpid()}"), project_lock(state_dir):
            pass
    assert holder(state_dir) is None


def test_leftovers_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".cf").mkdir()
    (tmp_path / ".cf" / ".state-abc.tmp").write_text("")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ".conn.py.cf-tmp").write_text("")
    (tmp_path / "src" / "conn.py").write_text("kept")
    removed = clean_leftovers(tmp_path, tmp_path / ".cf", ["src/conn.py"])
    assert sorted(p.name for p in removed) == [".conn.py.cf-tmp", ".state-abc.tmp"]
    assert (tmp_path / "src" / "conn.py").read_text() == "kept"
