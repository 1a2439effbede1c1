"""Record mode (target input ``record``) on a real Datasette (PyPI) described only by its paths:
the test gate records sampled live responses as the simulator corpus (at most 5 records per
response, with where and when each came from), the offline suite passes on it, and it still
passes on that corpus once the server is gone. On json-server behind HTTP Basic, the recorded
corpus holds no credential."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml
from cf_databricks_source.record import SAMPLE_SIZE, scrub
from cf_databricks_source.simulator_spec import spec_dir

from .conftest import RunCf
from .probe_servers import BasicJsonServer, Datasette
from .shop import make_shop

DATA = Path(__file__).parent / "data"


def test_recorded_corpus_has_the_real_shapes(run_cf: RunCf, tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    with Datasette(served) as datasette:
        result = run_cf("new", "--target", "databricks-source", "ds", "--doc",
                        str(DATA / "probe_datasette_thin.yaml"), "--base-url", datasette.url,
                        "--record", "--out", str(tmp_path), "--yes", env={"COLUMNS": "250"})
    assert "record mode: 20 live records from 4 responses of 2 tables" in result.output
    assert " 0 failed (simulated)" in result.output or "0 failed" in result.output
    spec = tmp_path / "ds" / spec_dir("ds")
    customers = json.loads((spec / "corpus" / "customers.json").read_text())
    with sqlite3.connect(served / "shop.db") as db:
        db.row_factory = sqlite3.Row
        first = dict(db.execute("select * from customers where id = 1").fetchone())
    assert customers[0] == first  # the real row, not one made from the document
    assert [c["id"] for c in customers[:2 * SAMPLE_SIZE]] == [1, 2, 3, 4, 5,
                                                             101, 102, 103, 104, 105]
    endpoints = yaml.safe_load((spec / "endpoints.yaml").read_text())["endpoints"]
    assert {e["path"] for e in endpoints} == {"/shop/customers.jsono", "/shop/products.jsono"}
    recorded = yaml.safe_load((spec / "recorded.yaml").read_text())
    sources = recorded["tables"]["customers"]
    assert [s["records"] for s in sources] == [SAMPLE_SIZE, SAMPLE_SIZE]
    assert sources[1]["url"].startswith(datasette.url) and "_next=100" in sources[1]["url"]
    assert sources[0]["at"].endswith("Z")

    # the server is gone: recording says so in one line, the suite passes on the corpus
    again = run_cf("test-gate", "--project", str(tmp_path / "ds"), "--yes",
                   env={"COLUMNS": "250"})
    assert "record of customers not possible: cannot reach" in again.output
    assert "0 failed" in again.output
    assert json.loads((spec / "corpus" / "customers.json").read_text()) == customers


def test_recording_strips_credentials(inputs_dir: Path, run_cf: RunCf, tmp_path: Path) -> None:
    user, password = "ann", "rec0rd-pw-55"
    db = {"customers": make_shop()["customers"][:30]}
    with BasicJsonServer(inputs_dir / "node", tmp_path, db, user, password) as server:
        env = {"SHOP_USERNAME": user, "SHOP_PASSWORD": password, "COLUMNS": "250"}
        result = run_cf("new", "--target", "databricks-source", "shop", "--doc",
                        str(DATA / "probe_shop_thin.yaml"), "--tables", "customers",
                        "--base-url", server.url, "--record", "--out", str(tmp_path),
                        "--yes", env=env)
    assert "record mode: 10 live records from 2 responses of 1 tables" in result.output
    spec = tmp_path / "shop" / spec_dir("shop")
    for path in spec.rglob("*"):
        if path.is_file():
            assert password not in path.read_text(), path
    corpus = json.loads((spec / "corpus" / "customers.json").read_text())
    assert corpus[0]["address"] == db["customers"][0]["address"]
    assert scrub({"token": "abc", "rows": [{"note": f"pw {password}", "n": 1}]}, [password]) == {
        "token": "***", "rows": [{"note": "pw ***", "n": 1}]}
