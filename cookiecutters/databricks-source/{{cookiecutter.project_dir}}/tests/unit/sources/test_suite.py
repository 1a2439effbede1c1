"""The contract suite every Lakeflow source connector passes: ``LakeflowConnectTests``.

Written by Connector Factory for a project that is not a checkout of the Lakeflow community
connectors repository, modelling that repository's ``tests/unit/sources/test_suite.py`` (commit
f9c88869). Inside the repository its own suite is used instead. A connector's test module
subclasses it::

    class TestMyConnector(LakeflowConnectTests):
        connector_class = MyLakeflowConnect
        simulator_source = "my_source"      # source_simulator/specs/my_source/
        replay_config = {"token": "stand-in"}

Mode (as the repository chooses it): with ``simulator_source`` set, ``CONNECTOR_TEST_MODE``
unset, ``simulate`` or ``replay`` means simulate mode (requests answered from
``source_simulator/specs/<simulator_source>/endpoints.yaml`` + ``corpus/``) and ``live`` means
the real API; without it the variable decides, ``live`` by default. Credentials, first match
wins: ``CONNECTOR_TEST_CONFIG_JSON`` (inline JSON), ``CONNECTOR_TEST_CONFIG_PATH`` (a JSON
file), the class's ``replay_config`` (``_replay_config()``), ``configs/replay_config.json``
beside the test module; none of them is an error at setup. (``configs/dev_config.json`` is not
read.) Per-table options come from ``configs/dev_table_config.json`` when present.

Rules enforced as the repository does: the first ``read_table(table, {}, options)`` of a
``cdc``/``cdc_with_deletes``/``append`` table returns records in simulate mode (unless the table
is in ``allow_empty_first_read``); every record parses against the schema; a non-snapshot table
returns a non-``None`` offset dict (the append-offset rule); feeding the offset back converges
within ``read_termination_max_iterations`` calls; in simulate mode every top-level column is
non-null in some record of the first read (unless listed in ``allow_null_columns``).
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Optional

import pytest
from pyspark.sql.types import StructType

from databricks.labs.community_connector import source_simulator
from databricks.labs.community_connector.interface import LakeflowConnect
from databricks.labs.community_connector.libs.utils import parse_value
from databricks.labs.community_connector.source_simulator import (
    MODE_SIMULATE,
    Simulator,
    get_mode,
)
from databricks.labs.community_connector.source_simulator.simulator import get_field

INGESTION_TYPES = ("snapshot", "cdc", "cdc_with_deletes", "append")
NO_SUCH_TABLE = "__no_such_table_cf__"


def resolve_mode(simulator_source: Optional[str]) -> str:
    """The mode a class with ``simulator_source`` runs in (see the module doc)."""
    raw = os.environ.get("CONNECTOR_TEST_MODE", "").strip().lower()
    if simulator_source and raw in ("", "simulate", "replay"):
        return MODE_SIMULATE
    return get_mode()


class LakeflowConnectTests:
    """Base class of a connector's contract tests; set the class attributes below."""

    connector_class: ClassVar[type[LakeflowConnect] | None] = None
    config: ClassVar[Optional[dict[str, Any]]] = None
    table_configs: ClassVar[Optional[dict[str, dict[str, Any]]]] = None
    #: Records read per table at most in one check.
    sample_records: ClassVar[int] = 200
    #: Stand-in credentials for simulate mode (the simulator never checks them).
    replay_config: ClassVar[Optional[dict[str, Any]]] = None
    #: Accepted for the repository's cassette modes; not used here.
    record_replay_ignore_query_params: ClassVar[frozenset[str]] = frozenset()
    record_replay_sample_size: ClassVar[int] = 5
    record_replay_synthesize_count: ClassVar[int] = 0
    #: The folder under ``source_simulator/specs/`` serving simulate mode.
    simulator_source: ClassVar[Optional[str]] = None
    #: Incremental tables whose first read may be empty in simulate mode.
    allow_empty_first_read: ClassVar[frozenset[str]] = frozenset()
    #: Per table, columns exempt from the column-population check.
    allow_null_columns: ClassVar[dict[str, set[str]]] = {}
    #: ``read_table`` calls the termination check makes at most.
    read_termination_max_iterations: ClassVar[int] = 50

    connector: ClassVar[Any]
    _simulator: ClassVar[Optional[Simulator]] = None

    # -- setup --------------------------------------------------------------------------------

    @classmethod
    def _here(cls) -> Path:
        return Path(inspect.getfile(cls)).parent

    @classmethod
    def _spec_folder(cls) -> Path:
        return Path(source_simulator.__file__).parent / "specs" / str(cls.simulator_source)

    @classmethod
    def _replay_config(cls) -> Optional[dict[str, Any]]:
        return cls.replay_config

    @classmethod
    def _load_config(cls) -> dict[str, Any]:
        inline = os.environ.get("CONNECTOR_TEST_CONFIG_JSON", "").strip()
        if inline:
            try:
                return dict(json.loads(inline))
            except json.JSONDecodeError as exc:
                raise AssertionError(
                    f"CONNECTOR_TEST_CONFIG_JSON is not valid JSON: {exc}") from exc
        path = os.environ.get("CONNECTOR_TEST_CONFIG_PATH", "").strip()
        if path:
            assert Path(path).is_file(), f"CONNECTOR_TEST_CONFIG_PATH names no file: {path}"
            return dict(json.loads(Path(path).read_text(encoding="utf-8")))
        config = cls._replay_config()
        if config is not None:
            return dict(config)
        local = cls._here() / "configs" / "replay_config.json"
        if local.is_file():
            return dict(json.loads(local.read_text(encoding="utf-8")))
        raise AssertionError(
            "No credentials provided. Fix: set replay_config on the test class for simulate "
            "mode, or CONNECTOR_TEST_CONFIG_PATH / CONNECTOR_TEST_CONFIG_JSON for a live run.")

    @classmethod
    def _load_table_configs(cls) -> dict[str, dict[str, Any]]:
        path = cls._here() / "configs" / "dev_table_config.json"
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}

    @classmethod
    def setup_class(cls) -> None:
        assert cls.connector_class is not None, "set connector_class on the test class"
        mode = resolve_mode(cls.simulator_source)
        if mode == MODE_SIMULATE:
            assert cls.simulator_source, "simulate mode needs simulator_source on the test class"
            folder = cls._spec_folder()
            cls._simulator = Simulator(mode=MODE_SIMULATE, spec_path=folder / "endpoints.yaml",
                                       corpus_dir=folder / "corpus")
        else:
            cls._simulator = Simulator(mode=mode)
        cls._simulator.__enter__()
        try:
            if cls.config is None:
                cls.config = cls._load_config()
            if cls.table_configs is None:
                cls.table_configs = cls._load_table_configs()
            cls.connector = cls.connector_class(cls.config)
        except BaseException:
            cls._simulator.__exit__(None, None, None)
            raise

    @classmethod
    def teardown_class(cls) -> None:
        if cls._simulator is not None:
            cls._simulator.__exit__(None, None, None)
            cls._simulator = None

    # -- helpers ------------------------------------------------------------------------------

    def _opts(self, table: str) -> dict[str, Any]:
        return dict((self.table_configs or {}).get(table, {}))

    def _tables(self) -> list[str]:
        return list(self.connector.list_tables())

    def _simulating(self) -> bool:
        return resolve_mode(self.simulator_source) == MODE_SIMULATE

    def _ingestion_type(self, table: str) -> Optional[str]:
        try:
            return self.connector.read_table_metadata(table, self._opts(table)).get(
                "ingestion_type")
        except Exception:
            return None

    def _take(self, records: Any) -> list[Any]:
        out = []
        for record in records:
            out.append(record)
            if len(out) >= self.sample_records:
                break
        return out

    @staticmethod
    def _fail_all(errors: list[str]) -> None:
        if errors:
            pytest.fail("\n\n".join(errors))

    def _check_each(self, tables: list[str], check: Callable[[str], Optional[str]],
                    what: str) -> None:
        """Fail with every table's problem (``check`` returns one or ``None``; an exception is
        one too)."""
        errors = []
        for table in tables:
            try:
                problem = check(table)
            except Exception as exc:
                problem = f"[{table}] {what} raised: {exc}"
            if problem:
                errors.append(problem)
        self._fail_all(errors)

    # -- the checks ---------------------------------------------------------------------------

    def test_list_tables(self) -> None:
        tables = self.connector.list_tables()
        assert isinstance(tables, list), "list_tables() must return a list of str"
        assert tables, "list_tables() returned no table"
        assert all(isinstance(t, str) for t in tables), "every table name must be a str"
        assert len(set(tables)) == len(tables), "table names must be unique"

    def test_invalid_table_name(self) -> None:
        calls: dict[str, Callable[[], Any]] = {
            "get_table_schema": lambda: self.connector.get_table_schema(NO_SUCH_TABLE, {}),
            "read_table_metadata": lambda: self.connector.read_table_metadata(NO_SUCH_TABLE,
                                                                              {}),
            "read_table": lambda: self.connector.read_table(NO_SUCH_TABLE, {}, {}),
        }
        silent = []
        for name, call in calls.items():
            try:
                call()
                silent.append(f"{name}() did not raise for an unknown table")
            except Exception:
                pass
        self._fail_all(silent)

    def test_get_table_schema(self) -> None:
        errors = []
        for table in self._tables():
            try:
                schema = self.connector.get_table_schema(table, self._opts(table))
            except Exception as exc:
                errors.append(f"[{table}] get_table_schema raised: {exc}")
                continue
            if not isinstance(schema, StructType) or not schema.fields:
                errors.append(f"[{table}] the schema must be a StructType with fields")
                continue
            names = [f.name for f in schema.fields]
            if len(set(names)) != len(names):
                errors.append(f"[{table}] duplicate field names")
            elif schema != self.connector.get_table_schema(table, self._opts(table)):
                errors.append(f"[{table}] the schema differs between two calls")
        self._fail_all(errors)

    def test_read_table_metadata(self) -> None:
        self._check_each(self._tables(), self._metadata_problem, "read_table_metadata")

    def _metadata_problem(self, table: str) -> Optional[str]:
        meta = self.connector.read_table_metadata(table, self._opts(table))
        if not isinstance(meta, dict):
            return f"[{table}] metadata must be a dict"
        if meta != self.connector.read_table_metadata(table, self._opts(table)):
            return f"[{table}] metadata differs between two calls"
        kind = meta.get("ingestion_type")
        if kind not in INGESTION_TYPES:
            return f"[{table}] ingestion_type {kind!r} is not one of {INGESTION_TYPES}"
        schema = self.connector.get_table_schema(table, self._opts(table))
        if kind != "append":
            keys = meta.get("primary_keys")
            if not isinstance(keys, list) or not keys:
                return f"[{table}] primary_keys must be a non-empty list for {kind}"
            missing = [k for k in keys if not _in_schema(k, schema)]
            if missing:
                return f"[{table}] primary_keys {missing} are not in the schema"
        if kind in ("cdc", "cdc_with_deletes"):
            cursor = meta.get("cursor_field")
            if not isinstance(cursor, str):
                return f"[{table}] cursor_field (a str) is required for {kind}"
            if not _in_schema(cursor, schema):
                return f"[{table}] cursor_field {cursor!r} is not in the schema"
        if kind == "cdc_with_deletes" and not hasattr(self.connector, "read_table_deletes"):
            return f"[{table}] cdc_with_deletes needs read_table_deletes()"
        return None

    def test_read_table(self) -> None:
        self._check_each(self._tables(), lambda t: self._read_problem(t, "read_table"),
                         "read_table")

    def test_read_table_deletes(self) -> None:
        tables = [t for t in self._tables() if self._ingestion_type(t) == "cdc_with_deletes"]
        if not tables:
            pytest.skip("no table has ingestion_type cdc_with_deletes")
        self._check_each(tables, lambda t: self._read_problem(t, "read_table_deletes"),
                         "read_table_deletes")

    def _read_problem(self, table: str, method: str) -> Optional[str]:
        try:
            result = getattr(self.connector, method)(table, {}, self._opts(table))
        except Exception as exc:
            return f"[{table}] {method}() raised: {exc}"
        if not isinstance(result, tuple) or len(result) != 2:
            return f"[{table}] {method}() must return (records, offset)"
        records, offset = result
        if not hasattr(records, "__iter__"):
            return f"[{table}] the records {method}() returns are not iterable"
        if offset is not None and not isinstance(offset, dict):
            return f"[{table}] the offset must be a dict or None, not {type(offset).__name__}"
        try:
            json.dumps(offset)
        except (TypeError, ValueError) as exc:
            return f"[{table}] the offset is not JSON-serialisable: {exc}"
        try:
            rows = self._take(records)
        except Exception as exc:
            return f"[{table}] iterating the records raised: {exc}"
        if any(not isinstance(r, dict) for r in rows):
            return f"[{table}] {method}() must yield dicts"
        meta = self.connector.read_table_metadata(table, self._opts(table))
        kind, keys = meta.get("ingestion_type"), meta.get("primary_keys") or []
        if (method == "read_table" and not rows and self._simulating()
                and kind in ("cdc", "cdc_with_deletes", "append")
                and table not in self.allow_empty_first_read):
            return (f"[{table}] read_table() returned no records on the first call in simulate "
                    f"mode ({kind}): the corpus or the first query is wrong")
        schema = self.connector.get_table_schema(table, self._opts(table))
        for index, row in enumerate(rows):
            try:
                parse_value(row, schema)
            except ValueError as exc:
                return f"[{table}] record {index} does not parse against the schema: {exc}"
            if not _any_leaf({f.name: row.get(f.name) for f in schema.fields}):
                return f"[{table}] a record has every column null"
            needs_keys = method != "read_table" or kind in ("cdc", "cdc_with_deletes")
            missing = [k for k in keys if get_field(row, k) is None] if needs_keys else []
            if missing:
                return f"[{table}] a record has no value for primary key(s) {missing}"
        return None

    def test_read_terminates(self) -> None:
        self._check_each(self._tables(), self._termination_problem,
                         "read_table (reading to the end)")

    def _termination_problem(self, table: str) -> Optional[str]:
        offset: Any = {}
        previous: Optional[str] = None
        for call in range(self.read_termination_max_iterations):
            records, offset = self.connector.read_table(table, offset, self._opts(table))
            self._take(records)
            if offset is not None and not isinstance(offset, dict):
                return f"[{table}] the offset must be a dict or None"
            if call == 0 and offset is None:
                kind = self._ingestion_type(table)
                if kind != "snapshot":
                    return (f"[{table}] Offset is None but ingestion_type is '{kind}': "
                            "read_table() must return a non-None offset dict for "
                            "non-snapshot tables")
                return None
            current = json.dumps(offset, sort_keys=True)
            if current == previous:
                return None
            previous = current
        return (f"[{table}] read_table did not converge in "
                f"{self.read_termination_max_iterations} calls (last offset {previous})")

    def test_every_column_populated_by_at_least_one_record(self) -> None:
        if not self._simulating():
            pytest.skip("the column-population rule is checked in simulate mode only")
        errors = []
        for table in self._tables():
            try:
                schema = self.connector.get_table_schema(table, self._opts(table))
                records, _ = self.connector.read_table(table, {}, self._opts(table))
                rows = [r for r in self._take(records) if isinstance(r, dict)]
            except Exception:
                continue
            if not rows:
                continue
            allowed = set(self.allow_null_columns.get(table, ()))
            empty = [f.name for f in schema.fields if f.name not in allowed
                     and all(r.get(f.name) is None for r in rows)]
            if empty:
                errors.append(f"[{table}] columns null in every one of {len(rows)} record(s): "
                              f"{empty}; add a corpus record that populates them")
        self._fail_all(errors)


def _any_leaf(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_any_leaf(v) for v in value.values())
    return value is not None


def _in_schema(dotted: str, schema: StructType) -> bool:
    head, _, rest = dotted.partition(".")
    if head not in schema.fieldNames():
        return False
    kind = schema[head].dataType
    return not rest or (isinstance(kind, StructType) and _in_schema(rest, kind))
