"""The probe on a real Datasette (PyPI) serving a SQLite database, described by a document that
declares only the paths (``data/probe_datasette_thin.yaml``). The document alone yields no
table at all; with the probe research finds the ``rows`` envelope, the ``next`` token paging
(``_next``), the key (``id``; ``sku``, which the response names as its key) and typed fields,
and the generated connector reads every row exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cf_databricks_source.api_doc import parse_api_doc
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_research import research
from connector_factory.errors import InputError

from .conftest import RunCf
from .probe_servers import DATASETTE_ROWS, Datasette

DATA = Path(__file__).parent / "data"
THIN = DATA / "probe_datasette_thin.yaml"
MODULE = "databricks.labs.community_connector.sources.ds.ds"


@pytest.fixture(scope="module")
def datasette(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    with Datasette(tmp_path_factory.mktemp("datasette")) as server:
        yield server


def test_the_document_alone_finds_no_table() -> None:
    with pytest.raises(InputError, match="none of its 2 GET operations lists records"):
        research(THIN, "ds")


def test_probe_finds_rows_envelope_next_token_and_key(datasette: Datasette, run_cf: RunCf,
                                                      tmp_path: Path) -> None:
    result = run_cf("new", "--target", "databricks-source", "ds", "--doc", str(THIN),
                    "--base-url", datasette.url, "--out", str(tmp_path), "--yes",
                    env={"COLUMNS": "250"})
    out = result.output
    assert "probe: 2 tables checked against the live API" in out
    assert "corrected customers: records: the document implies the body; live rows" in out
    assert "corrected products: pagination: the document implies none; live next_token" in out
    assert "done: ds" in out
    project = tmp_path / "ds"
    plan = parse_api_doc((project / Layout(name="ds").api_doc_file).read_text())
    assert plan.auth.type == "none" and "answered without credentials" in plan.auth.evidence
    tables = {t.name: t for t in plan.tables}
    assert set(tables) == {"customers", "products"}
    for table in tables.values():
        assert table.records_path == ["rows"]
        assert table.pagination.style == "next_token"
        assert table.pagination.token_param == "_next"
        assert table.pagination.token_path == ["next"]
    assert tables["customers"].primary_keys == ["id"]
    assert tables["products"].primary_keys == ["sku"]
    assert tables["products"].schema_["properties"]["price"]["type"] == "number"
    assert tables["customers"].schema_["properties"]["created_at"]["format"] == "date-time"

    env = dict(os.environ, READ_OPTIONS=json.dumps({"base_url": datasette.url}))
    out_read = subprocess.run(
        [sys.executable, str(DATA / "read_batches.py"), str(project), MODULE,
         "DsLakeflowConnect", "customers", str(tmp_path / "c.offset.json"), "0"],
        capture_output=True, text=True, env=env, timeout=300)
    assert out_read.returncode == 0, out_read.stderr[-2000:]
    ids = json.loads(out_read.stdout)["ids"]
    assert sorted(ids) == list(range(1, DATASETTE_ROWS["customers"] + 1))
