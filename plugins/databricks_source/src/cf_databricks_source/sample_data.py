"""Sample records for simulate mode, made from each table's JSON Schema and its examples.

Records are deterministic: primary keys are unique, every field is populated (so the suite's
"every column populated" check is meaningful), cursor values ascend with pairs of ties (so
readers must handle equal cursors), and a schema's ``example`` values are used where they fit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from cf_databricks_source.connector_plan import TablePlan

#: Records per table in the simulated corpus.
CORPUS_SIZE = 25
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _timestamp(i: int) -> str:
    return (_EPOCH + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def sample_value(schema: dict[str, Any], name: str, i: int, depth: int = 0) -> Any:
    """A value for ``schema`` in record ``i``: the example when it fits, else one by type."""
    return _maker(schema, name, depth)(i)


def _maker(schema: dict[str, Any], name: str, depth: int = 0) -> Callable[[int], Any]:
    """:func:`sample_value` for ``schema`` as a function of the record number: the schema is
    read once for a table's records, not once per record (GitHub's corpus: 44,000 values)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" and schema.get("properties") and depth < 6:
        parts = [(key, _maker(sub, key, depth + 1)) for key, sub in schema["properties"].items()]
        return lambda i: {key: make(i) for key, make in parts}
    if kind == "array":
        item = _maker(schema.get("items") or {"type": "string"}, name, depth + 1)
        return lambda i: [item(i)]
    if kind == "integer":
        return lambda i: i + 1
    if kind == "number":
        return lambda i: round((i + 1) * 1.25, 2)
    if kind == "boolean":
        return lambda i: i % 2 == 0
    if kind == "object" or schema.get("x-cf-json"):
        return lambda i: {"value": i}
    fmt = schema.get("format", "")
    if fmt == "date-time":
        return _timestamp
    if fmt == "date":
        return lambda i: _timestamp(i)[:10]
    enum = schema.get("enum")
    if enum:
        return lambda i: enum[i % len(enum)]
    if fmt in ("uri", "url"):
        text: Callable[[int], str] = lambda i: f"https://example.com/{name}/{i + 1}"  # noqa: E731
    elif fmt == "email":
        text = lambda i: f"user{i + 1}@example.com"  # noqa: E731
    else:
        text = lambda i: f"{name}-{i + 1}"  # noqa: E731
    example = schema.get("example")
    if isinstance(example, str) and example:
        return lambda i: example if i == 0 else text(i)
    return text


def _set(record: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = record
    for key in parts[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[parts[-1]] = value


def field_schema(schema: dict[str, Any], dotted: str) -> dict[str, Any]:
    """The JSON Schema of the dotted field ``dotted`` in the object schema ``schema`` (``{}``
    when it is not declared)."""
    node = schema
    for key in dotted.split("."):
        node = (node.get("properties") or {}).get(key) or {}
    return node


def sample_records(table: TablePlan, count: int = CORPUS_SIZE) -> list[dict[str, Any]]:
    """``count`` records for ``table``: unique keys, ascending cursor with ties, all fields set."""
    records = []
    make = _maker(table.schema_ or {"type": "object"}, table.name)
    for i in range(count):
        record = make(i)
        if not isinstance(record, dict):
            record = {"value": record}
        for key in table.primary_keys:
            kind = field_schema(table.schema_, key).get("type")
            _set(record, key, i + 1 if kind == "integer" else f"{table.name}-{i + 1}")
        if table.cursor_field:
            kind = field_schema(table.schema_, table.cursor_field).get("type")
            # pairs of records share a cursor value: 0,0,1,1,2,2 …
            tick = i // 2
            _set(record, table.cursor_field, tick + 1 if kind == "integer" else _timestamp(tick))
        records.append(record)
    return records


def fill_unpopulated(table: TablePlan, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` with one record added in front when a declared top-level column is null in
    every record: a copy of the first record with those columns set from the schema and fresh
    primary key values. Without records, the table's sample records. ``records`` is not changed.
    """
    if not records:
        return sample_records(table)
    columns = (table.schema_ or {}).get("properties") or {}
    missing = [name for name in columns if all(r.get(name) is None for r in records)]
    if not missing:
        return list(records)
    extra = copy.deepcopy(records[0])
    for name in missing:
        extra[name] = sample_value(columns[name], name, len(records))
    for key in table.primary_keys:
        kind = field_schema(table.schema_, key).get("type")
        _set(extra, key, 10**9 + len(records) if kind == "integer"
             else f"{table.name}-cf-{len(records) + 1}")
    return [extra, *records]
