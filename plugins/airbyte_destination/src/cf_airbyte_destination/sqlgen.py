"""SQL the generated SqlGenerator emits, produced from the profile.

:func:`build_templates` turns a profile into named SQL *templates* — statement lists and the
fragments they are assembled from — with ``{placeholder}`` holes. The scaffold embeds these exact
texts into the generated ``SqlGenerator.kt`` (as Kotlin raw strings), whose code fills the holes
with :func:`render`'s single-pass rule (``Regex("\\{([a-z_]+)\\}")``, unknown holes left as they
are). :class:`SqlGenerator` is the Python mirror of that Kotlin class: the same templates filled
the same way, which is what the tests execute on PostgreSQL and DuckDB.

Shapes: a table is a :class:`TableSpec` (namespace, name, Airbyte field → Airbyte type, primary
key, cursor); every method returns ``list[str]`` of statements to run in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from cf_airbyte_destination.naming import Names
from cf_airbyte_destination.profile import CDC_DELETED_AT, META_COLUMNS, Profile

_HOLE = re.compile(r"\{([a-z_]+)\}")

#: Airbyte types stored as JSON text (the connector serialises their values to JSON).
JSON_TYPES = frozenset({"object", "array", "union", "unknown_type"})

#: Alias of the row number column in the dedupe query.
ROW_NUMBER_ALIAS = "_airbyte_rn"
#: Name of the temp table that holds a deduplicated batch (window_delete_insert).
DEDUPED_TABLE = "_airbyte_deduped"


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` holes of ``template`` from ``values`` in one pass.

    Holes without a value are left unchanged; values are not re-scanned. The generated Kotlin
    ``render`` does exactly this.
    """
    return _HOLE.sub(lambda m: values.get(m.group(1), m.group(0)), template)


@dataclass(frozen=True)
class SqlTemplates:
    """Statement templates (name → statements) and fragment templates (name → text)."""

    statements: dict[str, tuple[str, ...]]
    fragments: dict[str, str]


def build_templates(profile: Profile) -> SqlTemplates:
    """The SQL templates for ``profile`` (see the module docstring).

    Dialect syntax (namespace DDL, catalogs, ``NULLS LAST``, temp tables, engines) follows
    ``profile.dialect``; the rest follows the profile's answers (namespace kind, overwrite
    strategy, upsert mechanism, batch strategy, change-column strategy, nullable wrapper).
    """
    d = profile.dialect
    s: dict[str, tuple[str, ...]] = {}
    f: dict[str, str] = {}

    if profile.namespaces.kind == "database":
        s["create_namespace"] = ("CREATE DATABASE IF NOT EXISTS {namespace}",)
        s["drop_namespace"] = ("DROP DATABASE IF EXISTS {namespace}",)
    else:
        s["create_namespace"] = ("CREATE SCHEMA IF NOT EXISTS {namespace}",)
        s["drop_namespace"] = ("DROP SCHEMA IF EXISTS {namespace} CASCADE",)
    if d == "clickhouse":
        s["namespace_exists"] = (
            "SELECT count() AS total FROM system.databases WHERE name = {namespace_literal}",)
        s["table_exists"] = (
            "SELECT count() AS total FROM system.tables "
            "WHERE database = {namespace_literal} AND name = {table_literal}",)
        s["describe_table"] = (
            "SELECT name AS column_name, type AS data_type FROM system.columns "
            "WHERE database = {namespace_literal} AND table = {table_literal} "
            "ORDER BY position",)
    else:
        s["namespace_exists"] = (
            "SELECT COUNT(*) AS total FROM information_schema.schemata "
            "WHERE schema_name = {namespace_literal}",)
        s["table_exists"] = (
            "SELECT COUNT(*) AS total FROM information_schema.tables "
            "WHERE table_schema = {namespace_literal} AND table_name = {table_literal}",)
        s["describe_table"] = (
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = {namespace_literal} AND table_name = {table_literal} "
            "ORDER BY ordinal_position",)

    # -- tables ------------------------------------------------------------------------------
    if profile.nullable_wrapper:
        f["column_def_nullable"] = "{column} " + profile.nullable_wrapper.replace(
            "{type}", "{type}")
        f["column_def_not_null"] = "{column} {type}"
    else:
        f["column_def_nullable"] = "{column} {type}"
        f["column_def_not_null"] = "{column} {type} NOT NULL"
    f["column_def_separator"] = ",\n  "
    create = "CREATE TABLE {table} (\n  {column_defs}\n)"
    if d == "clickhouse":
        create += "\nENGINE = {engine}\nORDER BY ({order_key})"
        f["engine_append"] = "MergeTree()"
        f["engine_dedupe"] = "ReplacingMergeTree({version_column})"
    s["create_table"] = (create,)
    if d in ("clickhouse", "snowflake", "duckdb"):
        s["create_or_replace_table"] = (create.replace("CREATE TABLE", "CREATE OR REPLACE TABLE"),)
    else:
        s["create_or_replace_table"] = ("DROP TABLE IF EXISTS {table}", create)
    if profile.upsert.mechanism == "insert_on_conflict":
        s["create_dedupe_index"] = (
            "CREATE UNIQUE INDEX IF NOT EXISTS {index_name} ON {table} ({pk_columns})",)
    else:
        s["create_dedupe_index"] = ()
    s["drop_table"] = ("DROP TABLE IF EXISTS {table}",)
    s["count_table"] = ("SELECT COUNT(*) AS total FROM {table}",)
    s["get_generation_id"] = (
        "SELECT {generation_id} AS generation_id FROM {table} LIMIT 1",)

    # -- loading -----------------------------------------------------------------------------
    f["column_separator"] = ", "
    s["insert_rows"] = ("INSERT INTO {table} ({columns}) VALUES {rows}",)
    f["row"] = "({values})"
    f["row_separator"] = ",\n"
    strategy = profile.batch_insert.strategy
    if strategy == "copy" and d == "postgres":
        s["bulk_load"] = ("COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)",)
    elif strategy == "staged_files" and d == "duckdb":
        s["bulk_load"] = (
            "COPY {table} ({columns}) FROM {file_literal} (FORMAT csv, HEADER false)",)
    elif strategy == "staged_files" and d == "snowflake":
        # The stage must exist before PUT; PUT … AUTO_COMPRESS = TRUE stores <file>.gz, so COPY
        # names that file (real destination-snowflake: stage per table, .csv.gz files).
        s["bulk_load"] = (
            "CREATE STAGE IF NOT EXISTS {namespace}.{stage}",
            "PUT {file_uri} @{namespace}.{stage} AUTO_COMPRESS = TRUE OVERWRITE = TRUE",
            "COPY INTO {table} ({columns}) FROM @{namespace}.{stage} "
            "FILES = ({staged_file_literal}) "
            "FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = ('')) "
            "PURGE = TRUE",
        )
    else:
        s["bulk_load"] = ()

    # -- overwrite / copy ----------------------------------------------------------------------
    overwrite = profile.overwrite.strategy
    rename_into = ("RENAME TABLE {source} TO {target}" if d in ("mysql", "clickhouse")
                   else "ALTER TABLE {source} RENAME TO {target_name}" if d in (
                       "postgres", "duckdb") else "ALTER TABLE {source} RENAME TO {target}")
    if overwrite == "swap":
        s["overwrite_table"] = ("ALTER TABLE {target} SWAP WITH {source}",
                                "DROP TABLE IF EXISTS {source}")
    elif overwrite == "exchange":
        s["overwrite_table"] = ("EXCHANGE TABLES {source} AND {target}",
                                "DROP TABLE IF EXISTS {source}")
    else:
        s["overwrite_table"] = ("DROP TABLE IF EXISTS {target}", rename_into)
    s["overwrite_missing_target"] = (rename_into,)
    s["copy_table"] = ("INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}",)

    # -- schema evolution ----------------------------------------------------------------------
    s["add_column"] = ("ALTER TABLE {table} ADD COLUMN {column_def}",)
    s["drop_column"] = ("ALTER TABLE {table} DROP COLUMN {column}",)
    change = profile.alter_table.change_column
    if change == "alter_type":
        s["change_column"] = (
            "ALTER TABLE {table} ALTER COLUMN {column} TYPE {type} "
            "USING CAST({column} AS {type})",)
        if d == "postgres":
            # CAST('plain text' AS jsonb) fails; to_jsonb wraps any value as JSON (what the
            # real destination-postgres does for a change to jsonb).
            s["change_column_to_json"] = (
                "ALTER TABLE {table} ALTER COLUMN {column} TYPE {type} "
                "USING to_jsonb({column})",)
    elif change == "modify_column":
        s["change_column"] = ("ALTER TABLE {table} MODIFY COLUMN {column_def}",)
    elif change == "recreate_column":
        s["change_column"] = (
            "ALTER TABLE {table} ADD COLUMN {temp_column} {type}",
            "UPDATE {table} SET {temp_column} = CAST({column} AS {type})",
            "ALTER TABLE {table} DROP COLUMN {column}",
            "ALTER TABLE {table} RENAME COLUMN {temp_column} TO {column}",
        )
    else:
        s["change_column"] = ()
    s.setdefault("change_column_to_json", s["change_column"])

    # -- dedupe --------------------------------------------------------------------------------
    f["pk_match_item"] = "{tgt}.{column} = {src}.{column}"
    f["pk_match_separator"] = " AND "
    nulls_last = "" if d == "mysql" else " NULLS LAST"
    f["order_by_cursor"] = "{cursor} DESC" + nulls_last + ", {extracted_at} DESC"
    f["order_by_no_cursor"] = "{extracted_at} DESC"
    f["newer_cursor"] = (
        "(({tgt}.{cursor} IS NULL AND {src}.{cursor} IS NOT NULL)"
        " OR {src}.{cursor} > {tgt}.{cursor}"
        " OR (({src}.{cursor} = {tgt}.{cursor}"
        " OR ({src}.{cursor} IS NULL AND {tgt}.{cursor} IS NULL))"
        " AND {src}.{extracted_at} >= {tgt}.{extracted_at}))")
    f["newer_no_cursor"] = "{src}.{extracted_at} >= {tgt}.{extracted_at}"
    f["deduped"] = (
        "SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER "
        "(PARTITION BY {pk_columns} ORDER BY {order_by}) AS " + ROW_NUMBER_ALIAS +
        " FROM {source}) AS ranked WHERE ranked." + ROW_NUMBER_ALIAS + " = 1")
    f["assignment_item"] = "{column} = {src}.{column}"
    f["source_column_item"] = "s.{column}"
    mechanism = profile.upsert.mechanism
    s["upsert_cdc_delete"] = ()
    f["cdc_delete_clause"] = ""
    f["insert_filter_cdc"] = ""
    f["insert_filter_plain"] = ""
    if mechanism == "merge":
        s["upsert"] = (
            "MERGE INTO {target} AS t\nUSING ({deduped}) AS s\nON {pk_match}\n"
            "{cdc_delete_clause}WHEN MATCHED AND {newer} THEN UPDATE SET {assignments}\n"
            "WHEN NOT MATCHED{insert_filter} THEN INSERT ({columns}) VALUES ({source_columns})",)
        f["cdc_delete_clause"] = (
            "WHEN MATCHED AND s.{cdc_column} IS NOT NULL AND {newer} THEN DELETE\n")
        f["insert_filter_cdc"] = " AND s.{cdc_column} IS NULL"
    elif mechanism == "insert_on_conflict":
        s["upsert_cdc_delete"] = (
            "DELETE FROM {target} AS t WHERE EXISTS (SELECT 1 FROM ({deduped}) AS s "
            "WHERE {pk_match} AND s.{cdc_column} IS NOT NULL AND {newer})",)
        s["upsert"] = (
            "INSERT INTO {target} AS t ({columns})\nSELECT {columns} FROM ({deduped}) AS s"
            "{insert_filter}\nON CONFLICT ({pk_columns}) DO UPDATE SET {excluded_assignments}\n"
            "WHERE {newer_excluded}",)
        f["insert_filter_cdc"] = " WHERE s.{cdc_column} IS NULL"
        f["insert_filter_plain"] = " WHERE TRUE"
    elif mechanism == "window_delete_insert":
        drop_temp = ("DROP TEMPORARY TABLE IF EXISTS {deduped_table}" if d == "mysql"
                     else "DROP TABLE IF EXISTS {deduped_table}")
        s["upsert"] = (
            drop_temp,
            "CREATE TEMPORARY TABLE {deduped_table} AS {deduped}",
            "DELETE FROM {target} AS t WHERE EXISTS (SELECT 1 FROM {deduped_table} AS s "
            "WHERE {pk_match} AND {newer})",
            "INSERT INTO {target} ({columns})\nSELECT {columns} FROM {deduped_table} AS s\n"
            "WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {pk_match}){insert_filter}",
            drop_temp,
        )
        f["insert_filter_cdc"] = " AND s.{cdc_column} IS NULL"
    elif mechanism == "replacing_merge_tree":
        s["upsert"] = ("INSERT INTO {target} ({columns})\nSELECT {columns} FROM ({deduped}) AS s",)
    else:
        s["upsert"] = ()
    return SqlTemplates(statements=s, fragments=f)


@dataclass(frozen=True)
class TableSpec:
    """A table as the generator sees a stream: Airbyte field → Airbyte type.

    ``fields`` keys are Airbyte field names (not yet normalized); types are names from
    :data:`cf_airbyte_destination.profile.AIRBYTE_TYPES`. ``primary_key`` and ``cursor`` name
    fields; ``non_null`` lists fields declared not nullable.
    """

    namespace: str
    name: str
    fields: dict[str, str]
    primary_key: tuple[str, ...] = ()
    cursor: str | None = None
    non_null: frozenset[str] = field(default_factory=frozenset)

    def renamed(self, name: str) -> TableSpec:
        """The same table under another name (a temp table)."""
        return TableSpec(self.namespace, name, self.fields, self.primary_key, self.cursor,
                         self.non_null)

    @property
    def has_cdc(self) -> bool:
        """Whether the stream carries ``_ab_cdc_deleted_at``."""
        return CDC_DELETED_AT in self.fields


class SqlGenerator:
    """Python mirror of the generated Kotlin SqlGenerator (same templates, same assembly).

    Args:
        profile: the destination profile.
        cdc_hard_delete: whether CDC deletes remove rows (the connector's config default comes
            from ``profile.cdc.deletion_mode``).
    """

    def __init__(self, profile: Profile, cdc_hard_delete: bool | None = None) -> None:
        self.profile = profile
        self.names = Names.for_profile(profile)
        self.templates = build_templates(profile)
        self.cdc_hard_delete = (profile.cdc.deletion_mode == "hard_delete"
                                if cdc_hard_delete is None else cdc_hard_delete)

    # -- helpers -------------------------------------------------------------------------------

    def _stmts(self, name: str, values: Mapping[str, str]) -> list[str]:
        return [render(t, values) for t in self.templates.statements[name]]

    def _frag(self, name: str, values: Mapping[str, str] | None = None) -> str:
        return render(self.templates.fragments[name], values or {})

    def meta_column(self, column: str) -> str:
        """Quoted name of meta column ``column`` (case rule applied)."""
        return self.names.column(column)

    def column_list(self, table: TableSpec) -> list[str]:
        """Quoted columns of ``table``: the four meta columns, then the fields in order."""
        return [self.meta_column(c) for c in META_COLUMNS] + [
            self.names.column(f) for f in table.fields]

    def _columns(self, table: TableSpec) -> str:
        return self._frag("column_separator").join(self.column_list(table))

    def _table(self, table: TableSpec) -> str:
        return self.names.table(table.namespace, table.name)

    def _table_values(self, table: TableSpec) -> dict[str, str]:
        return {
            "table": self._table(table),
            "table_name": self.names.quoted(self.names.normalize(table.name)),
            "namespace": self.names.quoted(self.names.normalize(table.namespace)),
            "namespace_literal": self.names.literal(self.names.normalize(table.namespace)),
            "table_literal": self.names.literal(self.names.normalize(table.name)),
        }

    def column_def(self, column: str, db_type: str, nullable: bool) -> str:
        """One column definition, e.g. ``"id" BIGINT NOT NULL``."""
        key = "column_def_nullable" if nullable else "column_def_not_null"
        return self._frag(key, {"column": column, "type": db_type})

    def _pk(self, table: TableSpec) -> list[str]:
        return [self.names.column(c) for c in table.primary_key]

    def _pk_match(self, table: TableSpec, tgt: str = "t", src: str = "s") -> str:
        items = [self._frag("pk_match_item", {"tgt": tgt, "src": src, "column": c})
                 for c in self._pk(table)]
        return self._frag("pk_match_separator").join(items)

    def _newer(self, table: TableSpec, tgt: str = "t", src: str = "s") -> str:
        values = {"tgt": tgt, "src": src, "extracted_at": self.meta_column(META_COLUMNS[1])}
        if table.cursor:
            values["cursor"] = self.names.column(table.cursor)
            return self._frag("newer_cursor", values)
        return self._frag("newer_no_cursor", values)

    def _order_by(self, table: TableSpec) -> str:
        values = {"extracted_at": self.meta_column(META_COLUMNS[1])}
        if table.cursor:
            values["cursor"] = self.names.column(table.cursor)
            return self._frag("order_by_cursor", values)
        return self._frag("order_by_no_cursor", values)

    # -- namespaces ----------------------------------------------------------------------------

    def create_namespace(self, namespace: str) -> list[str]:
        """Statements creating ``namespace`` if it does not exist."""
        return self._stmts("create_namespace", {
            "namespace": self.names.quoted(self.names.normalize(namespace))})

    def drop_namespace(self, namespace: str) -> list[str]:
        """Statements dropping ``namespace`` and everything in it."""
        return self._stmts("drop_namespace", {
            "namespace": self.names.quoted(self.names.normalize(namespace))})

    def namespace_exists(self, namespace: str) -> list[str]:
        """A query returning one row with ``total`` > 0 when ``namespace`` exists."""
        return self._stmts("namespace_exists", {
            "namespace_literal": self.names.literal(self.names.normalize(namespace))})

    # -- tables --------------------------------------------------------------------------------

    def create_table(self, table: TableSpec, replace: bool = False,
                     dedupe: bool = False) -> list[str]:
        """Statements creating ``table`` with the meta columns first.

        ``dedupe`` adds what the upsert mechanism needs (a unique index on the primary key for
        ``insert_on_conflict``; ``ReplacingMergeTree`` for ClickHouse).
        """
        meta_nullable = {"_airbyte_generation_id": True}
        defs = [self.column_def(self.meta_column(c), self.profile.meta_type(c),
                                meta_nullable.get(c, False)) for c in META_COLUMNS]
        keys = self.key_columns(table) if dedupe else set()
        for name, airbyte_type in table.fields.items():
            nullable = name not in table.non_null and name not in keys
            defs.append(self.column_def(self.names.column(name),
                                        self.profile.type_for(airbyte_type), nullable))
        values = self._table_values(table)
        values["column_defs"] = self._frag("column_def_separator").join(defs)
        if self.profile.dialect == "clickhouse":
            version = self.names.column(table.cursor) if table.cursor else self.meta_column(
                META_COLUMNS[1])
            values["engine"] = (self._frag("engine_dedupe", {"version_column": version})
                                if dedupe else self._frag("engine_append"))
            values["order_key"] = ", ".join(self._pk(table)) if dedupe and table.primary_key \
                else self.meta_column(META_COLUMNS[0])
        statements = self._stmts("create_or_replace_table" if replace else "create_table",
                                 values)
        if dedupe and table.primary_key:
            values["pk_columns"] = ", ".join(self._pk(table))
            values["index_name"] = self.names.quoted(
                self.names.normalize(f"{self.names.normalize(table.name)}_pk"))
            statements += self._stmts("create_dedupe_index", values)
        return statements

    def key_columns(self, table: TableSpec) -> set[str]:
        """Fields of a dedupe table created ``NOT NULL``: primary key and cursor when the profile
        says ``upsert.key_columns_not_null`` (ClickHouse), else none. The generated
        ``AirbyteClient.keyColumns`` applies the same rule."""
        if not self.profile.upsert.key_columns_not_null:
            return set()
        return set(table.primary_key) | ({table.cursor} if table.cursor else set())

    def drop_table(self, table: TableSpec) -> list[str]:
        """Statements dropping ``table`` if it exists."""
        return self._stmts("drop_table", self._table_values(table))

    def table_exists(self, table: TableSpec) -> list[str]:
        """A query returning ``total`` > 0 when ``table`` exists."""
        return self._stmts("table_exists", self._table_values(table))

    def count_table(self, table: TableSpec) -> list[str]:
        """A query returning the row count as ``total``."""
        return self._stmts("count_table", self._table_values(table))

    def get_generation_id(self, table: TableSpec) -> list[str]:
        """A query returning one ``generation_id`` (or no row for an empty table)."""
        values = self._table_values(table)
        values["generation_id"] = self.meta_column(META_COLUMNS[3])
        return self._stmts("get_generation_id", values)

    def describe_table(self, table: TableSpec) -> list[str]:
        """A query listing ``column_name``, ``data_type`` (and ``is_nullable``) in order."""
        return self._stmts("describe_table", self._table_values(table))

    # -- loading -------------------------------------------------------------------------------

    def literal(self, value: Any) -> str:
        """A Python value as a SQL literal (JSON text for dicts/lists, ISO text for times;
        NUL characters stripped where :meth:`sanitize` says)."""
        value = self.sanitize(value)
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value)
        if isinstance(value, dict | list):
            return self.names.literal(json.dumps(value, sort_keys=True))
        if isinstance(value, datetime | date | time):
            return self.names.literal(value.isoformat())
        return self.names.literal(str(value))

    def sanitize(self, value: Any) -> Any:
        """``value`` with NUL characters removed from every string in it when the profile's
        database rejects them (PostgreSQL), else unchanged; the generated
        ``stripNulCharacters`` does the same to Airbyte values before they are bound."""
        return strip_nul(value) if strips_nul(self.profile) else value

    @staticmethod
    def _json_if_needed(table: TableSpec, key: str, value: Any) -> Any:
        """Values of JSON-typed fields as JSON text (a plain string becomes a JSON string)."""
        if value is not None and table.fields.get(key) in JSON_TYPES:
            return json.dumps(value, sort_keys=True)
        return value

    def insert_rows(self, table: TableSpec, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """A multi-row ``INSERT`` of ``rows`` (keys: meta columns and fields; missing = NULL).

        The connector fills the same template with ``?`` parameters instead of literals.
        """
        keys = list(META_COLUMNS) + list(table.fields)
        groups = [self._frag("row", {"values": ", ".join(
            self.literal(self._json_if_needed(table, k, self.sanitize(r.get(k))))
            for k in keys)})
                  for r in rows]
        values = self._table_values(table)
        values["columns"] = self._columns(table)
        values["rows"] = self._frag("row_separator").join(groups)
        return self._stmts("insert_rows", values)

    def bulk_load(self, table: TableSpec, file_path: str = "", stage: str = "") -> list[str]:
        """The batch strategy's load statements (``COPY`` / staged files), or ``[]``."""
        values = self._table_values(table)
        values["columns"] = self._columns(table)
        values["file_literal"] = self.names.literal(file_path)
        values["file_uri"] = "file://" + file_path
        values["file_name_literal"] = self.names.literal(file_path.rsplit("/", 1)[-1])
        values["staged_file_literal"] = self.names.literal(file_path.rsplit("/", 1)[-1] + ".gz")
        values["stage"] = stage
        return self._stmts("bulk_load", values)

    def csv_rows(self, table: TableSpec, rows: Iterable[Mapping[str, Any]]) -> str:
        """``rows`` as CSV text for :meth:`bulk_load` (NULL = empty unquoted field)."""
        keys = list(META_COLUMNS) + list(table.fields)
        lines = []
        for row in rows:
            cells = []
            for key in keys:
                value = self._json_if_needed(table, key, self.sanitize(row.get(key)))
                if value is None:
                    cells.append("")
                    continue
                if isinstance(value, bool):
                    text = "true" if value else "false"
                elif isinstance(value, dict | list):
                    text = json.dumps(value, sort_keys=True)
                elif isinstance(value, datetime | date | time):
                    text = value.isoformat()
                else:
                    text = str(value)
                cells.append('"' + text.replace('"', '""') + '"')
            lines.append(",".join(cells))
        return "\n".join(lines) + "\n"

    # -- overwrite, copy, evolution ------------------------------------------------------------

    def overwrite_table(self, source: TableSpec, target: TableSpec,
                        target_exists: bool = True) -> list[str]:
        """Statements replacing ``target`` by ``source`` (the truncate-refresh swap)."""
        values = {"source": self._table(source), "target": self._table(target),
                  "target_name": self.names.quoted(self.names.normalize(target.name))}
        return self._stmts("overwrite_table" if target_exists else "overwrite_missing_target",
                           values)

    def copy_table(self, source: TableSpec, target: TableSpec) -> list[str]:
        """Statements appending every row of ``source`` to ``target`` (same columns)."""
        return self._stmts("copy_table", {"source": self._table(source),
                                          "target": self._table(target),
                                          "columns": self._columns(source)})

    def add_column(self, table: TableSpec, name: str, airbyte_type: str) -> list[str]:
        """Statements adding the nullable column for field ``name``."""
        values = self._table_values(table)
        values["column_def"] = self.column_def(self.names.column(name),
                                               self.profile.type_for(airbyte_type), True)
        return self._stmts("add_column", values)

    def drop_column(self, table: TableSpec, name: str) -> list[str]:
        """Statements dropping the column of field ``name``."""
        values = self._table_values(table)
        values["column"] = self.names.column(name)
        return self._stmts("drop_column", values)

    def change_column(self, table: TableSpec, name: str, airbyte_type: str) -> list[str]:
        """Statements changing the column of field ``name`` to ``airbyte_type``'s type."""
        values = self._table_values(table)
        db_type = self.profile.type_for(airbyte_type)
        column = self.names.column(name)
        values.update(column=column, type=db_type,
                      column_def=self.column_def(column, db_type, True),
                      temp_column=self.names.column(f"{self.names.normalize(name)}_ab_tmp"))
        key = "change_column_to_json" if db_type in json_types(self.profile) else "change_column"
        return self._stmts(key, values)

    def check_statements(self, namespace: str, table_name: str) -> list[list[str]]:
        """What the generated checker runs, in order: create namespace, create a scratch table
        (meta columns + ``test_key``), insert one row, count (must be 1), drop the table. Each
        item is one step's statements; the count step is one query returning ``total``."""
        table = TableSpec(namespace, table_name, {"test_key": "string"})
        row = {"_airbyte_raw_id": "00000000-0000-0000-0000-000000000001",
               "_airbyte_extracted_at": "2024-01-01T00:00:00+00:00", "_airbyte_meta": {},
               "_airbyte_generation_id": 0, "test_key": "check"}
        return [self.create_namespace(namespace), self.create_table(table),
                self.insert_rows(table, [row]), self.count_table(table),
                self.drop_table(table)]

    # -- dedupe --------------------------------------------------------------------------------

    def deduped_query(self, table: TableSpec, source: TableSpec) -> str:
        """The ``ROW_NUMBER()`` query keeping the latest record per primary key of ``source``."""
        return self._frag("deduped", {
            "columns": self._columns(table), "source": self._table(source),
            "pk_columns": ", ".join(self._pk(table)), "order_by": self._order_by(table)})

    def upsert(self, table: TableSpec, source: TableSpec, target: TableSpec) -> list[str]:
        """Statements merging ``source`` into ``target`` by the profile's mechanism.

        The latest record per primary key wins (cursor, then ``_airbyte_extracted_at``); a
        record with ``_ab_cdc_deleted_at`` set deletes the row when CDC hard deletes are on
        and the stream has that column.

        Raises:
            ValueError: the stream has no primary key.
        """
        if not table.primary_key:
            raise ValueError("upsert needs a primary key")
        cdc = self.cdc_hard_delete and table.has_cdc
        newer = self._newer(table)
        cdc_values = {"cdc_column": self.names.column(CDC_DELETED_AT), "newer": newer}
        values = {
            "target": self._table(target), "source": self._table(source),
            "deduped": self.deduped_query(table, source), "pk_match": self._pk_match(table),
            "pk_columns": ", ".join(self._pk(table)), "newer": newer,
            "columns": self._columns(table), "deduped_table": self.names.quoted(DEDUPED_TABLE),
            "newer_excluded": self._newer(table, tgt="t", src="EXCLUDED"),
            "assignments": ", ".join(
                self._frag("assignment_item", {"column": c, "src": "s"})
                for c in self.column_list(table)),
            "excluded_assignments": ", ".join(
                self._frag("assignment_item", {"column": c, "src": "EXCLUDED"})
                for c in self.column_list(table) if c not in self._pk(table)),
            "source_columns": ", ".join(self._frag("source_column_item", {"column": c})
                                        for c in self.column_list(table)),
            "cdc_delete_clause": self._frag("cdc_delete_clause", cdc_values) if cdc else "",
            "insert_filter": self._frag("insert_filter_cdc" if cdc else "insert_filter_plain",
                                        cdc_values),
            "cdc_column": cdc_values["cdc_column"],
        }
        statements = self._stmts("upsert_cdc_delete", values) if cdc else []
        return statements + self._stmts("upsert", values)

    def all_statements(self, table: TableSpec) -> dict[str, list[str]]:
        """Every operation's statements for ``table`` (parse checks of unrunnable dialects)."""
        temp = table.renamed(f"{table.name}_tmp")
        out: dict[str, list[str]] = {
            "create_namespace": self.create_namespace(table.namespace),
            "namespace_exists": self.namespace_exists(table.namespace),
            "create_table": self.create_table(table),
            "create_or_replace_table": self.create_table(table, replace=True),
            "create_dedupe_table": self.create_table(table, dedupe=True),
            "table_exists": self.table_exists(table),
            "count_table": self.count_table(table),
            "get_generation_id": self.get_generation_id(table),
            "describe_table": self.describe_table(table),
            "insert_rows": self.insert_rows(table, [{"_airbyte_raw_id": "x"}]),
            "bulk_load": self.bulk_load(table, "/tmp/batch.csv", "airbyte_stage"),
            "overwrite_table": self.overwrite_table(temp, table),
            "overwrite_missing_target": self.overwrite_table(temp, table, target_exists=False),
            "copy_table": self.copy_table(temp, table),
            "add_column": self.add_column(table, "added", "string"),
            "change_column": self.change_column(table, next(iter(table.fields)), "string"),
            "drop_column": self.drop_column(table, "added"),
            "drop_table": self.drop_table(table),
            "drop_namespace": self.drop_namespace(table.namespace),
        }
        if table.primary_key and self.templates.statements["upsert"]:
            out["upsert"] = self.upsert(table, temp, table)
        return out


def strips_nul(profile: Profile) -> bool:
    """Whether the connector removes NUL characters from strings (PostgreSQL rejects U+0000 in
    text and jsonb; real destination-postgres write/transform/PostgresValueSanitizer.kt)."""
    return profile.dialect == "postgres"


def strip_nul(value: Any) -> Any:
    """``value`` with ``"\x00"`` removed from every string, recursing into lists and dicts."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    if isinstance(value, dict):
        return {k: strip_nul(v) for k, v in value.items()}
    return value


def json_types(profile: Profile) -> list[str]:
    """The database types the profile stores JSON in (object, array, union, unknown), unique,
    in that order; a column changed to one of them converts with ``change_column_to_json``."""
    out: list[str] = []
    for airbyte_type in sorted(JSON_TYPES, key=["object", "array", "union",
                                                "unknown_type"].index):
        db_type = profile.type_for(airbyte_type)
        if db_type not in out:
            out.append(db_type)
    return out


def normalize_type(profile: Profile, type_name: str) -> str:
    """A catalog or profile type reduced the way the connector's ``normalizeType`` does:
    ``Nullable(…)`` unwrapped, precision dropped, lower case, then the profile's
    ``catalog_type_aliases`` applied."""
    base = type_name.strip()
    if base.startswith("Nullable(") and base.endswith(")"):
        base = base[len("Nullable("):-1]
    base = base.split("(", 1)[0].strip().lower()
    return profile.catalog_type_aliases.get(base, base)
