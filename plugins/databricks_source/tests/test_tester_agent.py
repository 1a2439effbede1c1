"""The `connector-tester` agent fixes a connector whose test gate fails — against a scripted
Messages API on 127.0.0.1 with the real `anthropic` client. Its attempt to weaken the contract
suite is refused; the gate is green only because the suite, re-run by the plugin, passes."""

from __future__ import annotations

import json
from pathlib import Path

from connector_factory.testing.fake_messages_api import FakeMessagesAPI, Reply, text, tool_use

from .conftest import ROOT, RunCf

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"
MODULE = "src/databricks/labs/community_connector/sources/petstore/petstore.py"
SUITE = "tests/unit/sources/test_suite.py"
TEST = "tests/unit/sources/petstore/test_petstore_lakeflow_connect.py"
GOOD = 'metadata["primary_keys"] = list(table["primary_keys"])'
BROKEN = 'metadata["primary_keys"] = []'
KEY = "sk-ant-tester-test-7"


def broken_project(run_cf: RunCf, tmp_path: Path) -> Path:
    run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
           "--out", str(tmp_path), "--yes", env={"ANTHROPIC_API_KEY": ""})
    project = tmp_path / "petstore"
    module = project / MODULE
    assert GOOD in module.read_text()
    module.write_text(module.read_text().replace(GOOD, BROKEN))
    return project


def test_tester_fixes_the_implementation_and_cannot_weaken_the_suite(
        run_cf: RunCf, tmp_path: Path) -> None:
    project = broken_project(run_cf, tmp_path)
    no_key = run_cf("test-gate", "--project", str(project), "--yes", expect=1,
                    env={"ANTHROPIC_API_KEY": ""})
    assert "test_read_table_metadata" in no_key.output
    weaken = ('            pytest.fail("\\n\\n".join(errors))', "            pass")
    script = [
        Reply([tool_use("run_command", command=["python", "-m", "pytest", "-q", TEST])]),
        Reply([tool_use("edit_file", path=SUITE, old_text=weaken[0], new_text=weaken[1])]),
        Reply([tool_use("edit_file", path=MODULE, old_text=BROKEN, new_text=GOOD)]),
        Reply([text("read_table_metadata dropped the primary keys; restored them.")]),
    ]
    with FakeMessagesAPI(script) as api:
        env = api.cli_env(KEY)
        result = run_cf("test-gate", "--project", str(project), "--yes", env=env)
        bodies = [json.dumps(r.body) for r in api.requests]
    # the model saw the failing test, then the refusal of its weakening edit
    assert "test_read_table_metadata" in bodies[0]
    assert "protected test file" in bodies[2] and "Change the implementation" in bodies[2]
    flat = " ".join(result.output.replace("│", " ").split())
    assert "round 1: connector-tester edited" in flat and "petstore.py; the suite, re-run: passed" in flat
    assert "passed" in result.output
    assert (project / SUITE).read_text().count(weaken[0].strip()) == 1
    state = json.loads((project / ".cf" / "state.json").read_text())
    assert state["steps"]["test_gate"]["status"] == "completed"
    assert state["steps"]["test_gate"]["usage"]["output"] > 0


def test_a_tester_that_does_not_fix_it_leaves_the_gate_failed(run_cf: RunCf,
                                                               tmp_path: Path) -> None:
    project = broken_project(run_cf, tmp_path)
    script = [Reply([text("The tests look fine to me.")]),
              Reply([text("Still fine.")])]
    with FakeMessagesAPI(script) as api:
        env = api.cli_env(KEY)
        result = run_cf("test-gate", "--project", str(project), "--yes", expect=1, env=env)
    assert "still failing" in result.output and "test_read_table_metadata" in result.output


def test_a_tester_that_loosens_a_rule_of_the_suite_leaves_the_gate_failed(
        run_cf: RunCf, tmp_path: Path) -> None:
    """The suite states its rules in helpers returning error text (as the Lakeflow repository's
    does), which the test guard cannot tell from implementation code: any change to the suite's
    own files fails the round."""
    project = broken_project(run_cf, tmp_path)
    rule = '                return f"[{table}] primary_keys must be a non-empty list for {kind}"'
    script = [
        Reply([tool_use("edit_file", path=SUITE, old_text=rule, new_text="                pass")]),
        Reply([text("Relaxed the check.")]),
    ]
    with FakeMessagesAPI(script) as api:
        result = run_cf("test-gate", "--project", str(project), "--yes", expect=1,
                        env=api.cli_env(KEY))
    flat = " ".join(result.output.replace("│", " ").split())
    assert "the tester changed test data tests/unit/sources/test_suite.py" in flat
