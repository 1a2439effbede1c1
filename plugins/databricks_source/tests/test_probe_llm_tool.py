"""The researcher agent's ``probe_api`` tool: the real ``anthropic`` client against the
project's scripted Messages API on 127.0.0.1, probing a real json-server behind HTTP Basic.
The tool is offered with the probe's limits, its live evidence reaches the model, and the
credentials reach neither the model nor the transcript."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cf_databricks_source.api_doc import render_api_doc
from cf_databricks_source.connector_plan import ConnectorPlan, TablePlan
from connector_factory.testing.fake_messages_api import FakeMessagesAPI, Reply, text, tool_use

from .conftest import RunCf
from .probe_servers import BasicJsonServer
from .shop import make_shop

KEY = "sk-ant-probe-tool-7"
USER, PASSWORD = "ann", "llm-probe-pw-31"
API_DOC = "src/databricks/labs/community_connector/sources/shop/shop_api_doc.md"
MARKDOWN = """# Shop API

The Shop API lists the shop's customers as JSON. Every request must be authenticated.

## GET /customers

Lists customers, page by page: pass `_page` for the page number and `_limit` for the number of
customers on each page. Each customer has an identifier, an email address, a name and the
times it was created and last updated.
"""


@pytest.fixture(scope="module")
def server(inputs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BasicJsonServer:
    db = {"customers": make_shop()["customers"][:30]}
    with BasicJsonServer(inputs_dir / "node", tmp_path_factory.mktemp("llm"), db, USER,
                         PASSWORD) as s:
        yield s


def test_the_researcher_probes_with_the_tool(server: BasicJsonServer, run_cf: RunCf,
                                            tmp_path: Path) -> None:
    doc = tmp_path / "api.md"
    doc.write_text(MARKDOWN)
    plan = ConnectorPlan(name="shop", source="api.md", source_kind="llm", base_url=server.url,
                         auth={"type": "basic"}, tables=[TablePlan(
                             name="customers", path="/customers", primary_keys=["id"],
                             schema={"type": "object", "properties": {"id": {"type": "integer"}}},
                             evidence={"live:auth": "401 WWW-Authenticate: Basic"})])
    script = [
        Reply([tool_use("probe_api", path="/customers", base_url=server.url,
                        query_params=["_page", "_limit"])]),
        Reply([tool_use("probe_api", path="/customers", base_url="http://127.0.0.2:1")]),
        Reply([tool_use("write_file", path=API_DOC, content=render_api_doc(plan))]),
        Reply([text("Wrote the research file.")]),
    ]
    with FakeMessagesAPI(script) as api:
        env = {**api.cli_env(KEY), "SHOP_USERNAME": USER, "SHOP_PASSWORD": PASSWORD}
        run_cf("new", "--target", "databricks-source", "shop", "--doc", str(doc),
               "--out", str(tmp_path), expect=1, env=env)  # stops at the plan gate
        result = run_cf("research", "--project", str(tmp_path / "shop"), "--yes", env=env)
        requests = api.message_requests
    assert "1 tables researched by the LLM" in result.output
    tools = [t["name"] for t in requests[0].body["tools"]]
    assert "probe_api" in tools
    answer = requests[1].body["messages"][-1]["content"][0]
    assert answer["type"] == "tool_result" and not answer.get("is_error")
    evidence = json.loads(answer["content"])
    assert evidence["auth"]["type"] == "basic" and evidence["needs_credential"] is True
    assert evidence["primary_keys"] == ["id"] and evidence["cursor_field"] == "updated_at"
    assert evidence["pagination"]["style"] == "link_header"
    assert evidence["fields"]["email"]["type"] == "string"
    elsewhere = requests[2].body["messages"][-1]["content"][0]
    assert elsewhere["is_error"] and "stays on" in elsewhere["content"]
    transcripts = list((tmp_path / "shop" / ".cf" / "transcripts").glob("research-*.jsonl"))
    assert transcripts and all(PASSWORD not in t.read_text() for t in transcripts)
    assert all(PASSWORD not in json.dumps(r.body) for r in requests)
