"""The agent-team task graph: waves, and the errors for a cycle or a missing task."""

from __future__ import annotations

import pytest
from cf_sophiehub_rollout.intake import Task
from cf_sophiehub_rollout.waves import compute_waves, default_tasks, mermaid
from connector_factory.errors import InputError


def test_default_waves_follow_the_playbook() -> None:
    waves = compute_waves(default_tasks("suptask"))
    assert [[t.agent for t in wave] for wave in waves] == [
        ["schema-sync", "analytics"], ["api-integration"], ["ui-ops"], ["review"]]
    chart = mermaid(waves)
    assert chart.startswith("flowchart LR") and "schema --> client" in chart


def test_a_wave_waits_for_its_slowest_dependency() -> None:
    tasks = [Task(id="a", agent="schema-sync", title="a"),
             Task(id="b", agent="analytics", title="b", depends_on=["a"]),
             Task(id="c", agent="ui-ops", title="c", depends_on=["b"]),
             Task(id="d", agent="api-integration", title="d", depends_on=["a", "c"])]
    assert [[t.id for t in w] for w in compute_waves(tasks)] == [["a"], ["b"], ["c"], ["d"]]


def test_a_cycle_names_its_tasks() -> None:
    tasks = [Task(id="x", agent="schema-sync", title="x", depends_on=["z"]),
             Task(id="y", agent="ui-ops", title="y", depends_on=["x"]),
             Task(id="z", agent="analytics", title="z", depends_on=["y"])]
    with pytest.raises(InputError, match="cycle") as caught:
        compute_waves(tasks)
    assert all(t in caught.value.problem for t in ("x", "y", "z"))


def test_a_missing_dependency_names_the_task() -> None:
    tasks = [Task(id="ui", agent="ui-ops", title="ui", depends_on=["api"])]
    with pytest.raises(InputError, match="task 'ui' depends on 'api', which is not a task"):
        compute_waves(tasks)
