"""A plugin step running an agent role through the pipeline and the CLI: `cf new … --doc api.md`
runs the researcher against the scripted Messages API, the state keeps the step's usage and
`cf status` shows tokens and cost; without an API key the step says so in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from connector_factory.cli import app
from connector_factory.testing.fake_messages_api import FakeMessagesAPI, Reply, text, tool_use
from typer.testing import CliRunner

from tests.conftest import MakeDist

runner = CliRunner()

AGENT_PLUGIN = '''
from pathlib import Path

from connector_factory import hookimpl
from connector_factory.agent import Limits, ToolPolicy, blocked_without_llm, load_role, run_agent
from connector_factory.models import StepResult, Target, TargetInput, Step

def _mine(ctx):
    return ctx.target == "agenty"

@hookimpl
def cf_targets():
    return [Target(name="agenty", summary="an agent-driven target",
                   inputs=(TargetInput(name="doc", help="API description", type="url_or_path"),),
                   steps=(Step.plan, Step.research))]

@hookimpl
def cf_plan(ctx):
    return StepResult(summary="planned") if _mine(ctx) else None

@hookimpl
def cf_research(ctx):
    if not _mine(ctx):
        return None
    if ctx.llm is None:
        return blocked_without_llm("researching a Markdown API description")
    writer = ctx.writer()
    writer.write("docs/source/api.md", Path(ctx.inputs["doc"]).read_text())
    writer.finish()
    result = run_agent(ctx.llm, ctx.project_dir, step="research",
                       role=load_role("cf_agenty_roles", "source-api-researcher"),
                       task="Describe the API in docs/source/api.md as docs/api_doc.md.",
                       policy=ToolPolicy(commands=()), limits=Limits(max_turns=10))
    outputs = ["docs/api_doc.md"] if result.ok else []
    return result.step_result(summary="api doc written" if result.ok else "",
                              outputs=outputs, project_dir=ctx.project_dir)
'''


@pytest.fixture
def agent_plugin(make_dist: MakeDist) -> Path:
    site = make_dist("cf-agenty", {"cf_agenty": AGENT_PLUGIN}, {"agenty": "cf_agenty"})
    roles = site / "cf_agenty_roles" / "roles"
    roles.mkdir(parents=True)
    (roles.parent / "__init__.py").write_text("")
    (roles / "source-api-researcher.md").write_text("# Researcher\nWrite docs/api_doc.md.\n")
    return site


def test_cf_new_runs_the_researcher_and_status_shows_tokens(agent_plugin: Path,
                                                            tmp_path: Path) -> None:
    doc = tmp_path / "api.md"
    doc.write_text("# Items API\n\n## GET /items\nPaginated by cursor.\n")
    script = [Reply([tool_use("read_file", path="docs/source/api.md")]),
              Reply([tool_use("write_file", path="docs/api_doc.md",
                              content="| GET | /items |\n")]),
              Reply([text("done")])]
    with FakeMessagesAPI(script) as api:
        env = {**api.cli_env("sk-ant-cli-test-0001"), "CF_INTERACTIVE": "0"}
        result = runner.invoke(app, ["new", "--target", "agenty", "demo", "--doc", str(doc),
                                     "--out", str(tmp_path), "--yes"], env=env)
        assert result.exit_code == 0, result.output
    assert len(api.message_requests) == 3
    project = tmp_path / "demo"
    state = json.loads((project / ".cf" / "state.json").read_text())
    research = state["steps"]["research"]
    assert research["status"] == "completed"
    assert [o["path"] for o in research["outputs"]] == ["docs/api_doc.md"]
    usage = research["usage"]
    assert set(usage) == {"input", "cache_read", "cache_write", "output", "cost_usd"}
    served = [r.response["usage"] for r in api.message_requests]
    assert usage["output"] == sum(u["output_tokens"] for u in served)
    assert usage["cache_read"] == sum(u["cache_read_input_tokens"] for u in served) > 0
    assert usage["cost_usd"] > 0
    assert research["details"]["agent"]["turns"] == 3
    transcript = project / research["details"]["agent"]["transcript"]
    assert "sk-ant-cli-test-0001" not in transcript.read_text()
    status = runner.invoke(app, ["status", "--project", str(project)])
    assert status.exit_code == 0, status.output
    line = next(x for x in status.output.splitlines() if "research" in x)
    assert f"out {int(usage['output'])}" in line and "$" in line


def test_without_an_api_key_the_agent_step_says_so(agent_plugin: Path, tmp_path: Path) -> None:
    doc = tmp_path / "api.md"
    doc.write_text("# Items API\n")
    result = runner.invoke(app, ["new", "--target", "agenty", "demo", "--doc", str(doc),
                                 "--out", str(tmp_path), "--yes"],
                           env={"ANTHROPIC_API_KEY": None, "CF_INTERACTIVE": "0"})
    assert result.exit_code == 1, result.output
    assert "needs Claude: set ANTHROPIC_API_KEY" in result.output
