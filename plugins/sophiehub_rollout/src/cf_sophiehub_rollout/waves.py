"""The agent-team task graph and its waves.

Default tasks follow the playbook's order: ``schema-sync`` and ``analytics`` start at once;
``api-integration`` waits for the data contracts (the schema); ``ui-ops`` waits for stable API
responses; a strict ``review`` comes last. An intake may replace them. Waves are the graph's
topological levels (:mod:`graphlib` from the standard library).
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from connector_factory.errors import InputError

from cf_sophiehub_rollout.intake import Task


def default_tasks(name: str) -> list[Task]:
    """The playbook's task graph for connector ``name``."""
    return [
        Task(id="schema", agent="schema-sync",
             title=f"migration for {name} links and sync state; generated types"),
        Task(id="metrics", agent="analytics", title=f"metric definitions on {name} data"),
        Task(id="client", agent="api-integration", depends_on=["schema"],
             title=f"{name} API client, mapping routes and the sync engine"),
        Task(id="ui", agent="ui-ops", depends_on=["client"],
             title="mapping UI, sync status and the ops dashboard"),
        Task(id="review", agent="review", depends_on=["schema", "metrics", "client", "ui"],
             title="strict review of the whole change against the plan"),
    ]


def compute_waves(tasks: list[Task]) -> list[list[Task]]:
    """Tasks grouped in waves: a task's wave is one after its latest dependency's.

    Raises:
        InputError: a task id is repeated, a dependency names no task, or the graph has a cycle
            (the message names the task(s)).
    """
    by_id: dict[str, Task] = {}
    for task in tasks:
        if task.id in by_id:
            raise InputError(f"task {task.id!r} is defined twice", "give each task its own id")
        by_id[task.id] = task
    for task in tasks:
        for dep in task.depends_on:
            if dep not in by_id:
                raise InputError(f"task {task.id!r} depends on {dep!r}, which is not a task",
                                 f"add task {dep!r} or remove the dependency")
    sorter = TopologicalSorter({t.id: t.depends_on for t in tasks})
    try:
        order = list(sorter.static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise InputError(f"the task graph has a cycle: {cycle}",
                         "remove one of those dependencies") from None
    level: dict[str, int] = {}
    for task_id in order:
        level[task_id] = 1 + max((level[d] for d in by_id[task_id].depends_on), default=0)
    waves: list[list[Task]] = [[] for _ in range(max(level.values(), default=0))]
    for task in tasks:
        waves[level[task.id] - 1].append(task)
    return waves


def mermaid(waves: list[list[Task]]) -> str:
    """The graph as a Mermaid ``flowchart``, one subgraph per wave."""
    lines = ["flowchart LR"]
    for number, wave in enumerate(waves, 1):
        lines.append(f"  subgraph wave{number}[Wave {number}]")
        lines += [f'    {t.id}["{t.agent}: {t.title}"]' for t in wave]
        lines.append("  end")
    for wave in waves:
        for task in wave:
            lines += [f"  {dep} --> {task.id}" for dep in task.depends_on]
    return "\n".join(lines)
