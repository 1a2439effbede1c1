"""The probe on a real json-server behind HTTP Basic, described by a deliberately thin document
(``data/probe_shop_thin.yaml``: no security, paging parameters without a Link header, free-form
records). The document alone yields no table (free-form records) and, path by path, gets auth,
key, cursor, ingestion, pagination and fields wrong; with the probe every one is right, and the
generated connector reads every record exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cf_databricks_source.api_doc import parse_api_doc
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_loader import OpenAPIDocument
from cf_databricks_source.openapi_research import research
from cf_databricks_source.probe_step import skeleton_plan
from connector_factory.errors import InputError

from .conftest import RunCf
from .probe_servers import BasicJsonServer
from .shop import SIZES, make_shop

DATA = Path(__file__).parent / "data"
THIN = DATA / "probe_shop_thin.yaml"
USER, PASSWORD = "ann", "pr0be-s3cret-77"
MODULE = "databricks.labs.community_connector.sources.shop.shop"


@pytest.fixture(scope="module")
def server(inputs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BasicJsonServer:
    shop = make_shop()
    db = {"customers": shop["customers"], "orders": shop["orders"]}
    with BasicJsonServer(inputs_dir / "node", tmp_path_factory.mktemp("basic"), db, USER,
                         PASSWORD) as s:
        yield s


def read(project: Path, server: BasicJsonServer, table: str, offset: Path,
         max_calls: int) -> dict[str, list[int]]:
    env = dict(os.environ, READ_OPTIONS=json.dumps(
        {"username": USER, "password": PASSWORD, "base_url": server.url}))
    out = subprocess.run(
        [sys.executable, str(DATA / "read_batches.py"), str(project), MODULE,
         "ShopLakeflowConnect", table, str(offset), str(max_calls)],
        capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_the_document_alone_gets_it_wrong(run_cf: RunCf, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="records are not objects with declared fields"):
        research(THIN, "shop")
    # offline, research stops there, as it always has
    refused = run_cf("new", "--target", "databricks-source", "shop", "--doc", str(THIN),
                     "--offline", "--out", str(tmp_path), "--yes", expect=2)
    assert "records are not objects with declared fields" in refused.output
    # what the document alone can say about each path, before the probe fills it in
    plan = skeleton_plan(OpenAPIDocument(THIN), THIN.name, "shop", None)
    assert plan.auth.type == "none"
    for table in plan.tables:
        assert table.primary_keys == [] and table.cursor_field is None
        assert table.ingestion_type == "snapshot" and table.pagination.style == "page"
        assert not table.schema_.get("properties")


def test_probe_finds_basic_auth_link_paging_key_cursor_fields(
        server: BasicJsonServer, run_cf: RunCf, tmp_path: Path) -> None:
    env = {"SHOP_USERNAME": USER, "SHOP_PASSWORD": PASSWORD, "COLUMNS": "250"}
    run_cf("new", "--target", "databricks-source", "shop", "--doc", str(THIN), "--base-url",
           server.url, "--out", str(tmp_path), expect=1, env=env)  # stops at the plan gate
    project = tmp_path / "shop"
    result = run_cf("research", "--project", str(project), "--yes", env=env)
    out = result.output
    assert "probe: 2 tables checked against the live API" in out
    assert "corrected auth: the document says none; live basic" in out
    assert "customers: GET /customers · cdc · keys ['id'] · cursor updated_at · link_header" in out
    assert "orders: GET /orders · cdc · keys ['id'] · cursor updated_at · link_header" in out

    doc_text = (project / Layout(name="shop").api_doc_file).read_text()
    plan = parse_api_doc(doc_text)
    assert plan.auth.type == "basic" and 'WWW-Authenticate: Basic realm="shop"' in plan.auth.evidence
    customers = {t.name: t for t in plan.tables}["customers"]
    assert customers.pagination.page_param == "_page" and customers.pagination.size_param == "_limit"
    assert customers.pagination.total_header == "X-Total-Count"
    assert customers.incremental is not None
    assert customers.incremental.since_param == "updated_at_gte"
    assert customers.incremental.sort_params == {"_sort": "updated_at", "_order": "asc"}
    fields = customers.schema_["properties"]
    assert fields["id"]["type"] == "integer" and fields["vip"]["type"] == "boolean"
    assert fields["updated_at"]["format"] == "date-time"
    assert fields["address"]["properties"]["city"]["type"] == "string"
    assert "## Checked against the live API" in doc_text
    assert "pagination (**corrected by the live API**)" in doc_text
    assert "pagination (live): Link rel=next" in doc_text

    # the connector generated from the probed plan reads every live record exactly once,
    # across a restart from the saved offset
    run_cf("scaffold", "--project", str(project), "--yes", env=env)
    for table in ("customers", "orders"):
        offset = tmp_path / f"{table}.offset.json"
        first = read(project, server, table, offset, max_calls=1)
        assert 0 < len(first["ids"]) < SIZES[table]
        rest = read(project, server, table, offset, max_calls=0)
        assert sorted(first["ids"] + rest["ids"]) == list(range(1, SIZES[table] + 1)), table
    for artifact in (doc_text, (project / ".cf/state.json").read_text(),
                     (project / ".cf/events.jsonl").read_text()):
        assert PASSWORD not in artifact
