"""A probe that cannot run says so in one line and research completes from the document: a
server that refuses (Datasette with ``allow: false`` answering 403), no network (a host name
that cannot resolve, RFC 6761 ``.invalid``), and budgets that run out (requests per table, the
overall time), each against a real server on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cf_databricks_source.api_doc import parse_api_doc
from cf_databricks_source.connector_plan import ConnectorPlan
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_loader import OpenAPIDocument
from cf_databricks_source.openapi_research import research
from cf_databricks_source.probe import Credentials, ProbeLimits
from cf_databricks_source.probe_step import declared_params, probe_plan, skeleton_plan

from .conftest import RunCf
from .probe_servers import BasicJsonServer, Datasette
from .shop import make_shop

THIN = Path(__file__).parent / "data" / "probe_shop_thin.yaml"
DECLARED = declared_params(OpenAPIDocument(THIN))
CREDS = Credentials(username="ann", password="pw-limits-1")


def _document_plan(base_url: str) -> ConnectorPlan:
    """What research has from the thin document alone (its records are free-form)."""
    plan = skeleton_plan(OpenAPIDocument(THIN), THIN.name, "shop", None)
    return plan.model_copy(update={"base_url": base_url})


#: A document for the refusing Datasette's real table paths (a list of objects, no security).
REFUSED_DOC = """openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /shop/customers.json:
    get:
      responses:
        "200":
          description: rows
          content:
            application/json:
              schema: {type: array, items: {type: object, properties: {id: {type: integer}}}}
"""


def test_a_server_that_refuses(run_cf: RunCf, tmp_path: Path) -> None:
    doc = tmp_path / "refused.yaml"
    doc.write_text(REFUSED_DOC)
    with Datasette(tmp_path, refuse=True) as refusing:
        run_cf("new", "--target", "databricks-source", "shop", "--doc", str(doc),
               "--base-url", refusing.url, "--out", str(tmp_path), expect=1)  # stops at a gate
        result = run_cf("research", "--project", str(tmp_path / "shop"), "--yes",
                        env={"COLUMNS": "250"})
    lines = [line for line in result.output.splitlines() if "probe of" in line]
    assert len(lines) == 1, result.output
    assert "probe of customers_json not possible: GET /shop/customers.json answered 403: " \
           "the server refuses; research used the document" in lines[0]
    plan = parse_api_doc((tmp_path / "shop" / Layout(name="shop").api_doc_file).read_text())
    document = research(doc, "shop")
    assert plan.tables == document.tables and plan.auth.type == "none"


def test_no_network() -> None:
    plan = _document_plan("http://cf-probe-host.invalid")
    probed, report = probe_plan(plan, DECLARED, ProbeLimits(timeout_s=5), CREDS)
    assert len(report.messages) == 1 and not report.ran
    assert re.fullmatch(r"probe of customers not possible: cannot reach "
                        r"http://cf-probe-host\.invalid: (host name not found|no network \(DNS\)); "
                        r"research used the document", report.messages[0]), report.messages
    assert probed == plan


@pytest.fixture(scope="module")
def server(inputs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BasicJsonServer:
    db = {"customers": make_shop()["customers"][:40], "orders": make_shop()["orders"][:40]}
    with BasicJsonServer(inputs_dir / "node", tmp_path_factory.mktemp("limits"), db, "ann",
                         "pw-limits-1") as s:
        yield s


def test_a_request_budget_that_runs_out(server: BasicJsonServer) -> None:
    plan = _document_plan(server.url)
    probed, report = probe_plan(plan, DECLARED, ProbeLimits(max_requests=1), CREDS)
    assert report.messages == [
        f"probe of {t} not possible: the budget of 1 request(s) per table ran out; research "
        "used the document" for t in ("customers", "orders")]
    # what the one request did learn is kept: the server wants Basic
    assert probed.auth.type == "basic"
    assert [t.pagination for t in probed.tables] == [t.pagination for t in plan.tables]

    cut, short = probe_plan(plan, DECLARED, ProbeLimits(max_requests=3), CREDS)
    assert short.messages[0].startswith("probe of customers cut short: the budget of 3 request(s)")
    assert {t.name: t.primary_keys for t in cut.tables} == {"customers": ["id"], "orders": ["id"]}


def test_a_time_budget_that_runs_out(server: BasicJsonServer) -> None:
    plan = _document_plan(server.url)
    probed, report = probe_plan(plan, DECLARED, ProbeLimits(max_seconds=0.0), CREDS)
    assert report.messages == ["probe of customers not possible: the probe's time budget of 0s "
                               "ran out; research used the document"]
    assert probed == plan


def test_the_budget_options_on_the_command_line(server: BasicJsonServer, run_cf: RunCf,
                                                tmp_path: Path) -> None:
    env = {"SHOP_USERNAME": "ann", "SHOP_PASSWORD": "pw-limits-1", "COLUMNS": "250"}
    run_cf("new", "--target", "databricks-source", "shop", "--doc", str(THIN), "--base-url",
           server.url, "--probe-requests", "1", "--out", str(tmp_path), expect=1, env=env)
    result = run_cf("research", "--project", str(tmp_path / "shop"), "--yes", env=env)
    assert "probe of customers not possible: the budget of 1 request(s) per table ran out; " \
           "research used the document" in result.output
    assert "auth basic" in result.output  # what the one request learnt is kept
    bad = run_cf("new", "--target", "databricks-source", "other", "--doc", str(THIN),
                 "--base-url", server.url, "--probe-requests", "0", "--out", str(tmp_path),
                 "--yes", expect=2, env=env)
    assert "--probe-requests 0 is not a positive number" in bad.output
