"""Runtime defects of the generated connector that compile but fail against the database,
each fixed in the SQL/value generator (Python mirror of the generated Kotlin) and shown by SQL
executed for real on PostgreSQL and DuckDB where the database can show it:

- PostgreSQL rejects NUL characters (U+0000) in text and jsonb: the connector strips them
  (real destination-postgres: write/transform/PostgresValueSanitizer.kt);
- a column type change to jsonb with ``CAST`` fails on plain text; ``to_jsonb`` works;
- primary-key and cursor (version) columns of a dedupe table are NOT NULL where the profile
  says so (ClickHouse needs it for ORDER BY and ReplacingMergeTree's version column);
- the checker writes a row and counts it (not just create/drop an empty table);
- Snowflake's stage is created before PUT, and COPY names the ``.csv.gz`` PUT stores.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from cf_airbyte_destination.profile import Profile, load_shipped_profile
from cf_airbyte_destination.sqlgen import SqlGenerator, TableSpec

META = {"_airbyte_raw_id": "r1", "_airbyte_extracted_at": "2024-01-01T00:00:00+00:00",
        "_airbyte_meta": {}, "_airbyte_generation_id": 1}


def test_postgres_rejects_nul_and_the_connector_strips_it(pg: Any) -> None:
    profile = load_shipped_profile("postgres")
    gen = SqlGenerator(profile)
    table = TableSpec("cf_nul", "T", {"id": "integer", "name": "string", "obj": "object"})
    pg.run(gen.create_namespace("cf_nul") + gen.create_table(table))
    row = {**META, "id": 1, "name": "a\x00b", "obj": {"k": "x\x00y", "list": ["\x00"]}}
    # what the connector sent before: the JSON text of the object keeps \u0000 -> rejected
    raw_json = '{"k": "x\\u0000y"}'
    with pytest.raises(subprocess.CalledProcessError) as info:
        pg.run([f"SELECT {gen.names.literal(raw_json)}::jsonb"])
    assert "unsupported Unicode escape sequence" in info.value.stderr
    # the INSERT path and the COPY path both strip NUL characters first
    pg.run(gen.insert_rows(table, [row]))
    copy = gen.csv_rows(table, [{**row, "id": 2}])
    assert "\x00" not in copy
    pg.run(gen.bulk_load(table), copy_data=copy)
    q = gen.names
    rows = pg.query(f"SELECT {q.column('id')}, {q.column('name')}, {q.column('obj')}->>'k', "
                    f"{q.column('obj')}->'list'->>0 FROM {q.table('cf_nul', 'T')} ORDER BY 1")
    assert rows == [["1", "ab", "xy", ""], ["2", "ab", "xy", ""]]
    pg.run(gen.drop_namespace("cf_nul"))


def test_duckdb_keeps_nul_characters(duck: Any) -> None:
    """Only PostgreSQL needs the stripping; other dialects store the value as given."""
    gen = SqlGenerator(load_shipped_profile("duckdb"))
    assert gen.sanitize("a\x00b") == "a\x00b"


def test_change_to_jsonb_uses_to_jsonb_not_cast(pg: Any) -> None:
    gen = SqlGenerator(load_shipped_profile("postgres"))
    table = TableSpec("cf_jsonb", "T", {"id": "integer", "note": "string"})
    pg.run(gen.create_namespace("cf_jsonb") + gen.create_table(table))
    pg.run(gen.insert_rows(table, [{**META, "id": 1, "note": "plain text"},
                                   {**META, "id": 2, "note": None}]))
    cast = [s.replace("to_jsonb(", "CAST(").replace(")", " AS jsonb)", 1)
            for s in gen.change_column(table, "note", "object")]
    assert "USING CAST(" in cast[0]
    with pytest.raises(subprocess.CalledProcessError) as info:  # the old statement
        pg.run(cast)
    assert "invalid input syntax for type json" in info.value.stderr
    statements = gen.change_column(table, "note", "object")
    assert statements == ['ALTER TABLE "cf_jsonb"."t" ALTER COLUMN "note" TYPE jsonb '
                          'USING to_jsonb("note")']
    pg.run(statements)
    q = gen.names
    note = q.column("note")
    assert pg.query(f"SELECT {note} #>> '{{}}', jsonb_typeof({note}), {note} IS NULL "
                    f"FROM {q.table('cf_jsonb', 'T')} ORDER BY {q.column('id')}") == [
        ["plain text", "string", "f"], ["N", "N", "t"]]  # psql prints NULL as N here
    # other type changes still CAST (varchar -> bigint)
    assert "USING CAST(" in gen.change_column(table, "id", "integer")[0]
    pg.run(gen.drop_namespace("cf_jsonb"))


def with_key_columns_not_null(profile: Profile) -> Profile:
    return profile.model_copy(update={"upsert": profile.upsert.model_copy(
        update={"key_columns_not_null": True})})


@pytest.mark.parametrize("executor", ["pg", "duck"])
def test_key_and_version_columns_are_not_null_when_the_profile_says_so(
        executor: str, request: pytest.FixtureRequest) -> None:
    ex = request.getfixturevalue(executor)
    base = load_shipped_profile("postgres" if executor == "pg" else "duckdb")
    gen = SqlGenerator(with_key_columns_not_null(base))
    table = TableSpec("cf_keys", "T", {"id": "integer", "seq": "integer", "note": "string"},
                      ("id",), "seq")
    ex.run(gen.create_namespace("cf_keys") + gen.create_table(table, dedupe=True))
    nullable = {r[0]: r[2] for r in ex.query(gen.describe_table(table)[0])}
    assert (nullable["id"], nullable["seq"], nullable["note"]) == ("NO", "NO", "YES")
    ex.run(gen.insert_rows(table, [{**META, "id": 1, "seq": 1, "note": None}]))
    for bad in ({"id": None, "seq": 1}, {"id": 2, "seq": None}):
        with pytest.raises(Exception) as info:
            ex.run(gen.insert_rows(table, [{**META, **bad, "note": "x"}]))
        assert "null" in str(getattr(info.value, "stderr", "") or info.value).lower()
    # without the profile answer the same columns stay nullable (append tables never change)
    plain = SqlGenerator(base)
    other = TableSpec("cf_keys", "U", table.fields, ("id",), "seq")
    ex.run(plain.create_table(other, dedupe=True))
    assert {r[0]: r[2] for r in ex.query(plain.describe_table(other)[0])}["id"] == "YES"
    ex.run(gen.drop_namespace("cf_keys"))


def test_clickhouse_dedupe_table_has_non_nullable_key_and_version(
        shipped_projects: dict[str, Path]) -> None:
    profile = load_shipped_profile("clickhouse")
    assert profile.upsert.key_columns_not_null
    gen = SqlGenerator(profile)
    table = TableSpec("db", "T", {"id": "integer", "seq": "integer", "note": "string"},
                      ("id",), "seq")
    create = gen.create_table(table, dedupe=True)[0]
    assert "`id` Int64," in create and "`seq` Int64," in create
    assert "`note` Nullable(String)" in create
    assert "ENGINE = ReplacingMergeTree(`seq`)" in create and "ORDER BY (`id`)" in create
    project = shipped_projects["clickhouse"]
    client = next(project.rglob("*AirbyteClient.kt")).read_text()
    assert "type.nullable && name !in keyColumns(stream, columnNameMapping)" in client
    assert "importType.primaryKey.map { it.first() } + importType.cursor.take(1)" in client


@pytest.mark.parametrize("executor", ["pg", "duck"])
def test_checker_writes_one_row_and_counts_it(executor: str,
                                              request: pytest.FixtureRequest) -> None:
    ex = request.getfixturevalue(executor)
    gen = SqlGenerator(load_shipped_profile("postgres" if executor == "pg" else "duckdb"))
    create_ns, create, insert, count, drop = gen.check_statements("cf_check", "_airbyte_ct")
    ex.run(create_ns + create + insert)
    assert ex.query(count[0]) == [["1"]]
    ex.run(drop)
    table = TableSpec("cf_check", "_airbyte_ct", {"test_key": "string"})
    assert ex.query(gen.table_exists(table)[0]) == [["0"]]
    ex.run(gen.drop_namespace("cf_check"))


def test_generated_checker_inserts_and_requires_a_count_of_one(
        shipped_projects: dict[str, Path]) -> None:
    project = shipped_projects["postgres"]
    checker = next(project.rglob("*Checker.kt")).read_text()
    assert "client.insertRows(table, columns, listOf(row))" in checker
    assert "require(count == 1L)" in checker and "count == 0L" not in checker


def test_snowflake_stage_is_created_and_the_gz_file_is_loaded(
        shipped_projects: dict[str, Path]) -> None:
    gen = SqlGenerator(load_shipped_profile("snowflake"))
    table = TableSpec("ns", "T", {"id": "integer"})
    create, put, copy = gen.bulk_load(table, "/tmp/airbyte_x_1.csv", "airbyte_stage")
    assert create == 'CREATE STAGE IF NOT EXISTS "NS".airbyte_stage'
    assert put.startswith('PUT file:///tmp/airbyte_x_1.csv @"NS".airbyte_stage ')
    assert "AUTO_COMPRESS = TRUE" in put
    assert 'FROM @"NS".airbyte_stage FILES = (\'airbyte_x_1.csv.gz\')' in copy
    project = shipped_projects["snowflake"]
    generator = next(project.rglob("*SqlGenerator.kt")).read_text()
    assert "\"staged_file_literal\" to naming.literal(file.substringAfterLast('/') + \".gz\")" \
        in generator
    buffer = next(project.rglob("*InsertBuffer.kt")).read_text()
    assert 'Files.createTempFile("airbyte_dest_snowflake_", ".csv")' in buffer
