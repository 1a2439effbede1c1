"""Research from a Markdown API doc by the `source-api-researcher` agent: the real `anthropic`
client against a scripted Messages API server on 127.0.0.1. A plan block that does not validate
goes back to the agent once; the pipeline then runs to the end on the agent's plan."""

from __future__ import annotations

import json
from pathlib import Path

from cf_databricks_source.api_doc import render_api_doc
from cf_databricks_source.connector_plan import ConnectorPlan, Pagination, TablePlan
from connector_factory.testing.fake_messages_api import FakeMessagesAPI, Reply, text, tool_use

from .conftest import RunCf, flat

API_DOC = "src/databricks/labs/community_connector/sources/widgets/widgets_api_doc.md"
KEY = "sk-ant-research-test-42"
MODULE = "src/databricks/labs/community_connector/sources/widgets/widgets.py"
README = "src/databricks/labs/community_connector/sources/widgets/README.md"
NOTES = "## Notes from the API documentation\n\n- widgets: at most 50 per page.\n\n"

MARKDOWN = """# Widgets API

Base URL: https://widgets.example.com/api. Send `Authorization: Bearer <token>`.

## GET /widgets
Lists widgets, 50 per page: `?page=N&per_page=50`. Each widget has `id` (integer),
`name` and `updated_at` (ISO 8601).
"""


def plan() -> ConnectorPlan:
    return ConnectorPlan(
        name="widgets", title="Widgets", source="api.md", source_kind="llm",
        base_url="https://widgets.example.com/api", auth={"type": "bearer"},
        tables=[TablePlan(
            name="widgets", path="/widgets", primary_keys=["id"],
            pagination=Pagination(style="page", page_param="page", size_param="per_page",
                                  page_size=50),
            schema={"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "updated_at": {"type": "string", "format": "date-time"}}},
            evidence={"pagination": "“?page=N&per_page=50”"})])


def test_cf_new_with_a_markdown_doc_runs_the_researcher(run_cf: RunCf, tmp_path: Path) -> None:
    doc = tmp_path / "api.md"
    doc.write_text(MARKDOWN)
    good = render_api_doc(plan())
    # an append table without a cursor (it would re-append everything on every read)
    bad = good.replace("  primary_keys:\n  - id\n", "  primary_keys:\n  - id\n  ingestion_type: append\n")
    assert bad != good
    script = [
        Reply([tool_use("write_file", path=API_DOC, content=bad)]),
        Reply([text("Wrote the research file.")]),
        # the core found the block invalid and sent the error back
        Reply([tool_use("read_file", path=API_DOC)]),
        Reply([tool_use("write_file", path=API_DOC, content=good)]),
        Reply([text("Fixed the plan block.")]),
        # scaffold: connector-dev checks the rendered configuration against the research
        Reply([tool_use("read_file", path=API_DOC)]),
        Reply([tool_use("edit_file", path=MODULE, old_text="'page_size': 50",
                        new_text="'page_size': 25")]),
        Reply([text("Halved the page size to stay under the documented limit.")]),
        # document: connector-doc-writer adds notes, keeping every generated line
        Reply([tool_use("edit_file", path=README, old_text="## Tables",
                        new_text=NOTES + "## Tables")]),
        Reply([text("Added notes.")]),
    ]
    with FakeMessagesAPI(script) as api:
        env = api.cli_env(KEY)
        result = run_cf("new", "--target", "databricks-source", "widgets", "--doc", str(doc),
                        "--out", str(tmp_path), "--yes", env=env)
        requests = list(api.requests)
    assert "1 tables researched by the LLM" in result.output
    assert "lakeflow contract suite (default mode): passed" in flat(result.output)
    # the documentation reached the model; the validation error went back to it
    first = json.dumps(requests[0].body)
    assert "GET /widgets" in first and "ConnectorPlan" in first
    retry = json.dumps(requests[2].body)
    assert "cursor_field" in retry and "could not use" in retry
    project = tmp_path / "widgets"
    state = json.loads((project / ".cf" / "state.json").read_text())
    usage = state["steps"]["research"]["usage"]
    assert usage["output"] > 0 and usage["cost_usd"] > 0
    transcripts = list((project / ".cf" / "transcripts").glob("research-*.jsonl"))
    assert len(transcripts) == 2
    assert all(KEY not in t.read_text() for t in transcripts)
    assert KEY not in (project / ".cf" / "state.json").read_text()
    assert "'page_size': 25" in (project / MODULE).read_text()
    assert NOTES in (project / README).read_text()
    assert "connector-dev edited" in result.output and "connector-doc-writer added" in result.output
    assert len(list((project / ".cf" / "transcripts").glob("*.jsonl"))) == 4
    assert state["steps"]["document"]["usage"]["output"] > 0
    status = run_cf("status", "--project", str(project))
    assert "cost" in status.output or "$" in status.output


def test_a_doc_writer_that_drops_generated_lines_is_undone(run_cf: RunCf, tmp_path: Path) -> None:
    petstore = Path(__file__).resolve().parents[3] / "examples" / "petstore" / "openapi.yaml"
    run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(petstore),
           "--out", str(tmp_path), "--yes", env={"ANTHROPIC_API_KEY": ""})
    project = tmp_path / "petstore"
    readme = project / "src/databricks/labs/community_connector/sources/petstore/README.md"
    generated = readme.read_text()
    script = [Reply([tool_use("write_file", path=readme.relative_to(project).as_posix(),
                              content="# Petstore\n\nShort and sweet.\n")]),
              Reply([text("Tightened the README.")])]
    with FakeMessagesAPI(script) as api:
        env = api.cli_env(KEY)
        result = run_cf("document", "--project", str(project), "--yes", expect=1, env=env)
    assert "removed" in result.output and "restored" in result.output
    assert readme.read_text() == generated
