"""The fixture checkout's suite behaves as the repository's does (commit f9c88869): mode selection,
credentials, the append-offset rule, the first-read rule and the column-population rule.

A small hand-written connector (``tiny``: one ``append`` table read over HTTP) and its simulator
spec are put into a fresh fixture checkout, and the checkout's own ``pytest`` is run on it, the
connector misbehaving one way at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .lakeflow_checkout import make_checkout

CONNECTOR = '''
import requests
from pyspark.sql.types import LongType, StringType, StructField, StructType

from databricks.labs.community_connector.interface import LakeflowConnect


class TinyLakeflowConnect(LakeflowConnect):
    def list_tables(self):
        return ["items"]

    def get_table_schema(self, table_name, table_options):
        self._known(table_name)
        return StructType([StructField("n", LongType()), StructField("note", StringType())])

    def read_table_metadata(self, table_name, table_options):
        self._known(table_name)
        return {"ingestion_type": "append", "cursor_field": "n"}

    def read_table(self, table_name, start_offset, table_options):
        self._known(table_name)
        after = (start_offset or {}).get("n", 0)
        body = requests.get(self.options["base_url"] + "/items", params={"after": after},
                            timeout=5).json()
        rows = [r for r in body["items"] if r["n"] > after]
        if self.options.get("offset_none") == "1":
            return iter(rows), None
        return iter(rows), ({"n": rows[-1]["n"]} if rows else start_offset)

    def _known(self, table_name):
        if table_name != "items":
            raise ValueError(table_name)
'''
ENDPOINTS = """endpoints:
  - path: /api/items
    method: GET
    corpus: items
    response: {pagination_style: none, default_sort: n asc, wrapper: {records_key: items}}
    params:
      after: {role: filter, field: n, op: gt}
"""
ROWS = [{"n": 1, "note": "a"}, {"n": 2, "note": None}]
CLASS = '''
from databricks.labs.community_connector.sources.tiny.tiny import TinyLakeflowConnect
from tests.unit.sources.test_suite import LakeflowConnectTests


class TestTiny(LakeflowConnectTests):
    connector_class = TinyLakeflowConnect
'''
STAND_IN = {"base_url": "https://tiny.invalid/api"}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_checkout(tmp_path_factory.mktemp("fixture") / "lakeflow-community-connectors")
    package = root / "src/databricks/labs/community_connector/sources/tiny"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tiny.py").write_text(CONNECTOR)
    (root / "tests/unit/sources/tiny").mkdir()
    (root / "tests/unit/sources/tiny/__init__.py").write_text("")
    return root


def run_suite(checkout: Path, attributes: str, rows: list[dict[str, object]] = ROWS,
              env: dict[str, str] | None = None) -> str:
    """The checkout's pytest on ``tests/unit/sources/tiny`` with the test class's extra
    ``attributes`` and the corpus ``rows``; returns its output."""
    spec = checkout / "src/databricks/labs/community_connector/source_simulator/specs/tiny"
    (spec / "corpus").mkdir(parents=True, exist_ok=True)
    (spec / "endpoints.yaml").write_text(ENDPOINTS)
    (spec / "corpus/items.json").write_text(json.dumps(rows))
    (checkout / "tests/unit/sources/tiny/test_tiny.py").write_text(CLASS + attributes)
    full = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_TEST_")}
    full.update(env or {}, PYTHONPATH="src", PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider",
                          "tests/unit/sources/tiny"], cwd=checkout, env=full,
                         capture_output=True, text=True, timeout=300)
    return out.stdout + out.stderr


def _attrs(**values: object) -> str:
    return "".join(f"    {k} = {v!r}\n" for k, v in values.items())


def test_default_mode_is_simulate_and_replay_means_simulate(checkout: Path) -> None:
    attrs = _attrs(simulator_source="tiny", replay_config=STAND_IN)
    good = [{"n": 1, "note": "a"}, {"n": 2, "note": "b"}]
    assert "7 passed, 1 skipped" in run_suite(checkout, attrs, good)
    assert "7 passed, 1 skipped" in run_suite(checkout, attrs, good,
                                              {"CONNECTOR_TEST_MODE": "replay"})
    # live: no simulator, so the stand-in host is really asked for (and does not exist)
    live = run_suite(checkout, attrs, good, {"CONNECTOR_TEST_MODE": "live"})
    assert "tiny.invalid" in live and "failed" in live


def test_credentials_come_from_the_environment_or_replay_config_only(checkout: Path) -> None:
    configs = checkout / "tests/unit/sources/tiny/configs"
    configs.mkdir(exist_ok=True)
    (configs / "dev_config.json").write_text(json.dumps(STAND_IN))  # not read by the suite
    try:
        missing = run_suite(checkout, _attrs(simulator_source="tiny"))
        assert "No credentials provided" in missing and "8 errors" in missing
        given = run_suite(checkout, _attrs(simulator_source="tiny"),
                          [{"n": 1, "note": "a"}],
                          {"CONNECTOR_TEST_CONFIG_JSON": json.dumps(STAND_IN)})
        assert "7 passed, 1 skipped" in given
    finally:
        (configs / "dev_config.json").unlink()


def test_the_append_offset_rule(checkout: Path) -> None:
    out = run_suite(checkout, _attrs(simulator_source="tiny",
                                     replay_config=dict(STAND_IN, offset_none="1")),
                    [{"n": 1, "note": "a"}])
    assert "FAILED tests/unit/sources/tiny/test_tiny.py::TestTiny::test_read_terminates" in out
    assert "Offset is None but ingestion_type is 'append'" in out


def test_the_column_population_rule(checkout: Path) -> None:
    sparse = [{"n": 1, "note": None}, {"n": 2}]
    out = run_suite(checkout, _attrs(simulator_source="tiny", replay_config=STAND_IN), sparse)
    assert "test_every_column_populated_by_at_least_one_record" in out and "['note']" in out
    allowed = _attrs(simulator_source="tiny", replay_config=STAND_IN,
                     allow_null_columns={"items": {"note"}})
    assert "7 passed, 1 skipped" in run_suite(checkout, allowed, sparse)


def test_the_first_read_rule(checkout: Path) -> None:
    attrs = _attrs(simulator_source="tiny", replay_config=STAND_IN)
    out = run_suite(checkout, attrs, [])
    assert "returned no records on the first call in simulate mode" in out
    allowed = attrs + _attrs(allow_empty_first_read=frozenset({"items"}))
    assert "FAILED" not in run_suite(checkout, allowed, [])


FUTURE = '''
import json, sys
from datetime import datetime, timezone
from pathlib import Path
import requests
from databricks.labs.community_connector.source_simulator import Simulator
folder = Path(sys.argv[1])
with Simulator(mode="simulate", spec_path=folder / "endpoints.yaml", corpus_dir=folder / "corpus"):
    rows = requests.get("https://x.invalid/v1/events", params={"limit": "50"}, timeout=5).json()
now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps([len(rows), sum(r["at"] > now for r in rows)]))
'''


def test_future_records_are_added_for_the_cap_check(checkout: Path, tmp_path: Path) -> None:
    folder = tmp_path / "events"
    (folder / "corpus").mkdir(parents=True)
    (folder / "corpus/events.json").write_text(json.dumps(
        [{"id": i, "at": f"2024-01-0{i}T00:00:00Z"} for i in (1, 2)]))
    (folder / "endpoints.yaml").write_text(
        "endpoints:\n  - {path: /v1/events, method: GET, corpus: events,\n"
        "     response: {pagination_style: offset_limit},\n"
        "     params: {limit: {role: limit, default: 10, max: 100}},\n"
        "     synthesize_future_records: {cursor_field: at, count: 3}}\n")
    out = subprocess.run([sys.executable, "-c", FUTURE, str(folder)], cwd=checkout,
                         env=dict(os.environ, PYTHONPATH="src"), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    assert json.loads(out.stdout) == [5, 3]
