"""simulator_spec: endpoints.yaml + corpus/ in the Lakeflow simulator's format, from responses."""

from __future__ import annotations

import json

import pytest
import yaml
from cf_databricks_source.connector_plan import ConnectorPlan
from cf_databricks_source.simulator_spec import Response, simulator_files, spec_dir

SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "note": {"type": "string"},
    "updated_at": {"type": "string", "format": "date-time"}}}


def _plan(**table: object) -> ConnectorPlan:
    base = {"name": "items", "path": "/items/{owner}", "primary_keys": ["id"],
            "cursor_field": "updated_at", "ingestion_type": "cdc", "records_path": ["data"],
            "incremental": {"since_param": "since", "sort_params": {"sort": "updated"}},
            "pagination": {"style": "offset", "offset_param": "skip", "size_param": "take",
                           "page_size": 2},
            "query": {"state": "all"}, "schema": SCHEMA}
    base.update(table)
    return ConnectorPlan(name="shop", title="Shop", base_url="https://api.example.com/v2",
                         auth={"type": "api_key", "location": "query", "key_name": "key"},
                         tables=[base])


def _page(*records: dict[str, object], status: int = 200) -> Response:
    return Response(path="/v2/items/acme", query={"skip": "0", "take": "2"}, status=status,
                    headers={}, body={"data": list(records)})


def test_recorded_responses_become_corpus_and_endpoint() -> None:
    a = {"id": 1, "name": "a", "note": None, "updated_at": "2024-01-01T00:00:00Z"}
    b = {"id": 2, "name": "b", "note": "x", "updated_at": "2024-01-02T00:00:00Z"}
    files = simulator_files(_plan(), {"items": [
        _page(a, b), _page(b), _page({"id": 9}, status=500)]})
    folder = spec_dir("shop")
    assert folder == "src/databricks/labs/community_connector/source_simulator/specs/shop"
    assert json.loads(files[f"{folder}/corpus/items.json"]) == [a, b]  # dedup, 500 ignored
    (entry,) = yaml.safe_load(files[f"{folder}/endpoints.yaml"])["endpoints"]
    assert entry["path"] == "/v2/items/{owner}" and entry["corpus"] == "items"
    assert entry["response"] == {"pagination_style": "offset_limit",
                                 "default_sort": "updated_at asc",
                                 "wrapper": {"records_key": "data"}}
    assert entry["params"]["skip"] == {"role": "offset"}
    assert entry["params"]["take"] == {"role": "limit", "default": 2, "max": 100}
    assert entry["params"]["since"] == {"role": "filter", "field": "updated_at", "op": "gte"}
    for name in ("state", "sort", "key"):
        assert entry["params"][name] == {"role": "ignore"}
    # a date-time cursor: future-dated copies test that reads stop at the start time
    assert entry["synthesize_future_records"] == {"cursor_field": "updated_at", "count": 3}


def test_a_column_null_in_every_record_is_completed_by_one_added_record() -> None:
    a = {"id": 1, "name": "a", "updated_at": "2024-01-01T00:00:00Z"}
    files = simulator_files(_plan(), {"items": [_page(a)]})
    corpus = json.loads(files[f"{spec_dir('shop')}/corpus/items.json"])
    assert corpus[1] == a and len(corpus) == 2
    assert corpus[0]["note"] and corpus[0]["id"] != 1
    assert corpus[0]["updated_at"] == a["updated_at"]


def test_synthesised_when_no_responses_and_deletes_get_their_own_corpus() -> None:
    plan = _plan(ingestion_type="cdc_with_deletes", deletes_path="/items/{owner}/deleted",
                 pagination={"style": "next_token", "token_param": "t", "token_path": ["n"]})
    files = simulator_files(plan, {})
    folder = spec_dir("shop")
    corpus = json.loads(files[f"{folder}/corpus/items.json"])
    assert len(corpus) == 25 and all(r["note"] for r in corpus)
    text = files[f"{folder}/endpoints.yaml"]
    assert "next_token paging has no simulator style" in text
    paths = [e["path"] for e in yaml.safe_load(text)["endpoints"]]
    assert paths == ["/v2/items/{owner}", "/v2/items/{owner}/deleted"]
    assert json.loads(files[f"{folder}/corpus/items_deletes.json"])


def test_a_table_without_records_is_named() -> None:
    with pytest.raises(ValueError, match="table items: no records"):
        simulator_files(_plan(), {"items": [_page()]})
    with pytest.raises(ValueError, match="expected a list at data"):
        simulator_files(_plan(), {"items": [Response(path="/v2/items/a", body={"data": 3})]})
