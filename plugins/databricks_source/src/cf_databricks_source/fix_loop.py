"""Test-driven fixing: the ``connector-tester`` agent changes the implementation of a connector
whose test gate failed, and the gate is run again by this code — never taken from the model.

The generated test files are protected (the core's guard refuses an edit that deletes, skips or
loosens a test); the simulated API's data and the configs must come out of a round unchanged, or
the gate fails naming the files.
"""

from __future__ import annotations

from pathlib import Path

from connector_factory.agent import Limits, ToolPolicy, Usage, load_role, run_agent
from connector_factory.models import StepContext, StepResult
from connector_factory.state import sha256_file

from cf_databricks_source.checks import test_gate
from cf_databricks_source.layout import Layout

ROLE = "connector-tester"
#: The suite's own files (the repository's, or the standalone models of them): never changed by
#: a round, since their rules live in helpers (``_validate_read`` …) the test guard cannot see.
SUITE_FILES = ("tests/unit/sources/test_suite.py", "tests/unit/sources/test_utils.py",
               "src/databricks/labs/community_connector/libs/utils.py")
SIMULATOR_DIR = "src/databricks/labs/community_connector/source_simulator"
#: Agent rounds (each followed by a real test run) before the gate fails.
MAX_ROUNDS = 2


def protected_tests(layout: Layout, project_dir: Path) -> tuple[str, ...]:
    """Project-relative Python test files the tester may not weaken."""
    candidates = [layout.test_file, layout.auth_test_file, "tests/unit/sources/test_suite.py",
                  "tests/unit/sources/test_utils.py"]
    candidates += [p.relative_to(project_dir).as_posix()
                   for p in (project_dir / "tests").rglob("conftest.py")]
    return tuple(c for c in candidates if (project_dir / c).is_file())


def _fixtures(layout: Layout, project_dir: Path) -> dict[str, str]:
    files = [p for d in (layout.tests_dir, layout.spec_dir)
             for p in sorted((project_dir / d).rglob("*"))
             if p.suffix in (".json", ".yaml", ".yml") and p.name != "dev_config.json"]
    # the suite's own machinery states its rules in helpers the guard does not see
    files += [project_dir / rel for rel in SUITE_FILES]
    files += sorted((project_dir / SIMULATOR_DIR).glob("*.py"))
    return {p.relative_to(project_dir).as_posix(): sha256_file(p) for p in files if p.is_file()}


def fix_until_green(ctx: StepContext, layout: Layout, failed: StepResult) -> StepResult:
    """Run up to :data:`MAX_ROUNDS` tester rounds on ``failed``; return the last real test run's
    result with the agents' usage and a line per round."""
    assert ctx.llm is not None
    role = load_role("cf_databricks_source", ROLE)
    policy = ToolPolicy(protected_tests=protected_tests(layout, ctx.project_dir))
    usage = Usage()
    lines: list[str] = []
    result = failed
    for round_no in range(1, MAX_ROUNDS + 1):
        failures = [f for c in result.checks if c.status == "failed" for f in c.failures]
        task = (f"The test gate of connector `{ctx.name}` fails. Implementation: "
                f"`{layout.module_file}`. Test file: `{layout.test_file}`.\\nFailing tests:\\n"
                + "\\n".join(f"- {f}" for f in failures[:20]))
        before = _fixtures(layout, ctx.project_dir)
        with ctx.reporter.progress(f"{ROLE}: round {round_no}"):
            agent = run_agent(ctx.llm, ctx.project_dir, step="test_gate-tester", role=role,
                              task=task, policy=policy, limits=Limits(max_turns=30))
        usage.add(agent.usage)
        if not agent.ok:
            lines.append(f"round {round_no}: agent {ROLE} stopped: {agent.reason}")
            break
        changed = [p for p, h in _fixtures(layout, ctx.project_dir).items() if before.get(p) != h]
        if changed:
            lines.append(f"round {round_no}: the tester changed test data {', '.join(changed)}")
            return _finish(result, lines, usage)  # the last real run, still failing
        result = test_gate(ctx.project_dir, layout)
        edited = ", ".join(agent.written) or "nothing"
        passed = all(c.status != "failed" for c in result.checks)
        lines.append(f"round {round_no}: {ROLE} edited {edited}; the suite, re-run: "
                     f"{'passed' if passed else 'still failing'}")
        if passed:
            break
    return _finish(result, lines, usage)


def _finish(result: StepResult, lines: list[str], usage: Usage,
            status: str | None = None) -> StepResult:
    update: dict[str, object] = {
        "summary": "\\n".join([result.summary, *lines]),
        "usage": usage.as_dict(),
        "details": {**result.details, "tester_rounds": lines},
    }
    if status is not None:
        update["checks"] = [c.model_copy(update={"status": "failed"}) for c in result.checks]
    return result.model_copy(update=update)
