"""Contract checks every Lakeflow source connector must pass (``LakeflowConnectTests``).

A connector's test module subclasses :class:`LakeflowConnectTests` and sets ``connector_class``.
Options come from ``CONNECTOR_TEST_CONFIG_JSON`` (a JSON object), ``CONNECTOR_TEST_CONFIG_PATH``
(a JSON file) or ``configs/dev_config.json`` beside the test module; per-table options from
``configs/dev_table_config.json``. With none of these, or with ``CONNECTOR_TEST_MODE=simulate``,
the suite runs in simulate mode: HTTP requests are answered from the connector's
``endpoints.yaml`` and sample records (see ``simulator.py``), so it passes without credentials.

(Written by Connector Factory for a folder that is not a checkout of the Lakeflow community
connectors repository; inside that repository its own suite is used instead.)
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructType,
)

#: Upper bound of read_table calls per table before a read is declared non-terminating.
MAX_CALLS = 500


def _module_dir(cls: type) -> Path:
    return Path(sys.modules[cls.__module__].__file__ or ".").resolve().parent


def load_options(test_dir: Path) -> tuple[dict[str, str] | None, dict[str, dict[str, str]]]:
    """Connection options (``None`` when there are none: simulate mode) and table options."""
    options: dict[str, str] | None = None
    if os.environ.get("CONNECTOR_TEST_CONFIG_JSON"):
        options = json.loads(os.environ["CONNECTOR_TEST_CONFIG_JSON"])
    elif os.environ.get("CONNECTOR_TEST_CONFIG_PATH"):
        options = json.loads(Path(os.environ["CONNECTOR_TEST_CONFIG_PATH"]).read_text())
    elif (test_dir / "configs" / "dev_config.json").is_file():
        options = json.loads((test_dir / "configs" / "dev_config.json").read_text())
    table_file = test_dir / "configs" / "dev_table_config.json"
    tables = json.loads(table_file.read_text()) if table_file.is_file() else {}
    if os.environ.get("CONNECTOR_TEST_MODE") == "simulate":
        options = None
    return options, tables


class LakeflowConnectTests:
    """The contract checks. Subclasses set ``connector_class``."""

    connector_class: ClassVar[type]
    #: Tables whose reads may legitimately return no records (checked less strictly).
    allow_empty_tables: ClassVar[tuple[str, ...]] = ()

    @pytest.fixture(scope="class")
    @classmethod
    def connector(cls) -> Iterator[Any]:
        test_dir = _module_dir(cls)
        options, _ = load_options(test_dir)
        if options is not None:
            yield cls.connector_class({k: str(v) for k, v in options.items()})
            return
        from tests.unit.sources.simulator import simulate

        with simulate(test_dir) as sim_options:
            yield cls.connector_class(sim_options)

    @pytest.fixture(scope="class")
    @classmethod
    def table_options(cls) -> dict[str, dict[str, str]]:
        return load_options(_module_dir(cls))[1]

    @pytest.fixture(scope="class")
    @classmethod
    def full_reads(cls, connector: Any, table_options: dict[str, dict[str, str]]
                   ) -> dict[str, tuple[list[dict[str, Any]], Any, int]]:
        """Every table read to the end: (records, final offset, number of calls)."""
        reads = {}
        for table in connector.list_tables():
            reads[table] = read_to_end(connector, table, table_options.get(table, {}))
        return reads

    # -- the checks ----------------------------------------------------------------------------

    def test_list_tables(self, connector: Any) -> None:
        tables = connector.list_tables()
        assert isinstance(tables, list) and tables, "list_tables() must return a non-empty list"
        assert all(isinstance(t, str) for t in tables)
        assert len(set(tables)) == len(tables), "table names must be unique"

    def test_invalid_table_name(self, connector: Any) -> None:
        with pytest.raises(Exception):  # noqa: B017 - any error is acceptable, silence is not
            connector.get_table_schema("no_such_table_cf", {})
        with pytest.raises(Exception):  # noqa: B017
            connector.read_table("no_such_table_cf", None, {})

    def test_schemas_use_long_never_integer(self, connector: Any,
                                            table_options: dict[str, dict[str, str]]) -> None:
        for table in connector.list_tables():
            schema = connector.get_table_schema(table, table_options.get(table, {}))
            assert isinstance(schema, StructType), f"{table}: schema must be a StructType"
            assert schema.fields, f"{table}: schema has no fields"
            bad = [path for path, kind in walk_types(schema) if isinstance(kind, IntegerType)]
            assert not bad, f"{table}: IntegerType at {bad}; use LongType"

    def test_metadata(self, connector: Any, table_options: dict[str, dict[str, str]]) -> None:
        for table in connector.list_tables():
            opts = table_options.get(table, {})
            meta = connector.read_table_metadata(table, opts)
            kind = meta.get("ingestion_type")
            assert kind in ("snapshot", "cdc", "cdc_with_deletes", "append"), f"{table}: {kind}"
            schema = connector.get_table_schema(table, opts)
            if kind != "append":
                keys = meta.get("primary_keys")
                assert isinstance(keys, list) and keys, f"{table}: primary_keys required"
                for key in keys:
                    assert field_type(schema, key) is not None, f"{table}: key {key} not in schema"
            if kind in ("cdc", "cdc_with_deletes"):
                cursor = meta.get("cursor_field")
                assert cursor, f"{table}: cursor_field required for {kind}"
                assert field_type(schema, cursor) is not None, f"{table}: cursor not in schema"

    def test_read_terminates(self, full_reads: dict[str, tuple[list[Any], Any, int]]) -> None:
        for table, (_, _, calls) in full_reads.items():
            assert calls < MAX_CALLS, f"{table}: read_table did not terminate"

    def test_records_are_dicts_and_parse_against_schema(
        self, connector: Any, full_reads: dict[str, tuple[list[dict[str, Any]], Any, int]],
        table_options: dict[str, dict[str, str]],
    ) -> None:
        for table, (records, _, _) in full_reads.items():
            schema = connector.get_table_schema(table, table_options.get(table, {}))
            if table not in self.allow_empty_tables:
                assert records, f"{table}: no records read"
            for record in records:
                assert isinstance(record, dict), f"{table}: records must be dicts"
                problems = check_value(schema, record, table)
                assert not problems, problems[:5]

    def test_every_column_populated(
        self, connector: Any, full_reads: dict[str, tuple[list[dict[str, Any]], Any, int]],
        table_options: dict[str, dict[str, str]],
    ) -> None:
        for table, (records, _, _) in full_reads.items():
            if not records:
                continue
            schema = connector.get_table_schema(table, table_options.get(table, {}))
            empty = [f.name for f in schema.fields
                     if all(r.get(f.name) is None for r in records)]
            assert not empty, f"{table}: columns never populated: {empty}"

    def test_primary_keys_unique(
        self, connector: Any, full_reads: dict[str, tuple[list[dict[str, Any]], Any, int]],
        table_options: dict[str, dict[str, str]],
    ) -> None:
        for table, (records, _, _) in full_reads.items():
            meta = connector.read_table_metadata(table, table_options.get(table, {}))
            if meta["ingestion_type"] == "append" or not meta.get("primary_keys"):
                continue
            keys = [tuple(dig(r, k) for k in meta["primary_keys"]) for r in records]
            duplicates = len(keys) - len(set(keys))
            assert duplicates == 0, f"{table}: {duplicates} duplicate primary keys in one read"

    def test_second_run_from_saved_offset_returns_nothing_new(
        self, connector: Any, full_reads: dict[str, tuple[list[dict[str, Any]], Any, int]],
        table_options: dict[str, dict[str, str]],
    ) -> None:
        for table, (_, offset, _) in full_reads.items():
            if offset is None:
                continue  # snapshot tables are re-read whole by design
            again = connector.__class__(dict(connector.options))
            records, end = again.read_table(table, offset, table_options.get(table, {}))
            records = list(records)
            assert records == [], f"{table}: {len(records)} records again after the saved offset"
            assert end == offset, f"{table}: offset moved without new records"

    def test_deletes(self, connector: Any, table_options: dict[str, dict[str, str]]) -> None:
        for table in connector.list_tables():
            opts = table_options.get(table, {})
            meta = connector.read_table_metadata(table, opts)
            if meta["ingestion_type"] != "cdc_with_deletes":
                continue
            offset = None
            for _ in range(MAX_CALLS):
                records, end = connector.read_table_deletes(table, offset, opts)
                for record in records:
                    for key in meta["primary_keys"] + [meta["cursor_field"]]:
                        assert dig(record, key) is not None, f"{table}: delete lacks {key}"
                if end == offset:
                    break
                offset = end
            else:
                pytest.fail(f"{table}: read_table_deletes did not terminate")


# -- helpers -------------------------------------------------------------------------------------


def read_to_end(connector: Any, table: str, options: dict[str, str]
                ) -> tuple[list[dict[str, Any]], Any, int]:
    """Call ``read_table`` until the offset stops moving; returns records, offset, calls."""
    records: list[dict[str, Any]] = []
    offset = None
    for calls in range(1, MAX_CALLS + 1):
        batch, end = connector.read_table(table, offset, options)
        records.extend(batch)
        if end == offset:
            return records, end, calls
        offset = end
    return records, offset, MAX_CALLS


def dig(record: Any, dotted: str) -> Any:
    node = record
    for key in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def field_type(schema: StructType, dotted: str) -> DataType | None:
    """The type at a dotted path in a struct, or ``None`` when the path does not exist."""
    node: DataType = schema
    for part in dotted.split("."):
        if not isinstance(node, StructType) or part not in node.fieldNames():
            return None
        node = node[part].dataType
    return node


def walk_types(kind: DataType, path: str = "") -> Iterator[tuple[str, DataType]]:
    yield path or "<root>", kind
    if isinstance(kind, StructType):
        for f in kind.fields:
            yield from walk_types(f.dataType, f"{path}.{f.name}".lstrip("."))
    elif isinstance(kind, ArrayType):
        yield from walk_types(kind.elementType, f"{path}[]")


def check_value(kind: DataType, value: Any, path: str) -> list[str]:
    """Problems converting a JSON value to ``kind`` (empty when it parses)."""
    if value is None:
        return []
    if isinstance(kind, StructType):
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        problems: list[str] = []
        for f in kind.fields:
            problems += check_value(f.dataType, value.get(f.name), f"{path}.{f.name}")
        return problems
    if isinstance(kind, ArrayType):
        if not isinstance(value, list):
            return [f"{path}: expected array, got {type(value).__name__}"]
        return [p for i, v in enumerate(value) for p in check_value(kind.elementType, v,
                                                                     f"{path}[{i}]")]
    if isinstance(kind, LongType):
        ok = isinstance(value, int) and not isinstance(value, bool)
        ok = ok or (isinstance(value, str) and value.lstrip("-").isdigit())
        return [] if ok else [f"{path}: {value!r} is not a long"]
    if isinstance(kind, DoubleType):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if isinstance(kind, BooleanType):
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a boolean"]
    if isinstance(kind, StringType):
        return []  # strings; objects and arrays are kept as JSON text
    return []
