"""The SQL scenario run on real PostgreSQL and DuckDB: every operation the generated
SqlGenerator emits, executed in a destination's life order, with the resulting rows checked."""

from __future__ import annotations

import json
from typing import Any, Protocol

from cf_airbyte_destination.profile import Profile
from cf_airbyte_destination.sqlgen import SqlGenerator, TableSpec

#: Every Airbyte type, plus a cursor and the CDC column.
FIELDS: dict[str, str] = {
    "id": "integer", "name": "string", "flag": "boolean", "amount": "number", "day": "date",
    "t_tz": "time_with_timezone", "t": "time_without_timezone",
    "ts_tz": "timestamp_with_timezone", "ts": "timestamp_without_timezone",
    "obj": "object", "arr": "array", "uni": "union", "unk": "unknown_type",
    "seq": "integer", "_ab_cdc_deleted_at": "timestamp_with_timezone",
}


class Executor(Protocol):
    dialect: str

    def run(self, statements: list[str], copy_data: str | None = None) -> None: ...

    def query(self, sql: str) -> list[list[str | None]]: ...


def record(rid: str, extracted: str, gen: int = 1, **data: Any) -> dict[str, Any]:
    """One row: meta columns + ``data`` (Airbyte field names)."""
    return {"_airbyte_raw_id": rid, "_airbyte_extracted_at": extracted, "_airbyte_meta": {},
            "_airbyte_generation_id": gen, **data}


FULL_ROW = record(
    "r1", "2024-01-01T00:00:00+00:00", id=1, name="Ann O'Hara", flag=True, amount=12.5,
    day="2024-02-29", t_tz="12:30:00+02:00", t="08:15:00", ts_tz="2024-03-01T10:00:00+00:00",
    ts="2024-03-01T10:00:00", obj={"a": 1, "b": [1, 2]}, arr=[1, "x"], uni={"k": "v"},
    unk="free text", seq=1)


def scalar(ex: Executor, sql: list[str]) -> str | None:
    """The single value of a one-statement query."""
    assert len(sql) == 1
    rows = ex.query(sql[0])
    return rows[0][0] if rows else None


def ids_and_names(ex: Executor, gen: SqlGenerator, table: TableSpec) -> list[tuple[int, str]]:
    """``(id, name)`` of every row, ordered by id."""
    q = gen.names
    rows = ex.query(f"SELECT {q.column('id')}, {q.column('name')} FROM "
                    f"{q.table(table.namespace, table.name)} ORDER BY {q.column('id')}")
    return [(int(r[0] or 0), r[1] or "") for r in rows]


def run_scenario(ex: Executor, profile: Profile, namespace: str) -> dict[str, int]:
    """Run every operation; return how many statements each step executed (for the report)."""
    gen = SqlGenerator(profile)
    q = gen.names
    users = TableSpec(namespace, "Users", FIELDS, ("id",), "seq")
    steps: dict[str, int] = {}

    def do(step: str, statements: list[str], copy_data: str | None = None) -> None:
        ex.run(statements, copy_data)
        steps[step] = steps.get(step, 0) + len(statements)

    # namespace
    do("create namespace", gen.create_namespace(namespace))
    do("create namespace (again, idempotent)", gen.create_namespace(namespace))
    assert int(scalar(ex, gen.namespace_exists(namespace)) or 0) == 1

    # create table with every type, meta columns first
    do("create table", gen.create_table(users))
    assert int(scalar(ex, gen.table_exists(users)) or 0) == 1
    described = [r[0] for r in ex.query(gen.describe_table(users)[0])]
    assert described == [q.normalize(c) for c in
                         ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta",
                          "_airbyte_generation_id", *FIELDS]]

    # what the catalog reports matches what computeSchema expects (no spurious evolution)
    from cf_airbyte_destination.sqlgen import normalize_type

    catalog = {r[0]: r[1] or "" for r in ex.query(gen.describe_table(users)[0])}
    for field, airbyte_type in FIELDS.items():
        assert normalize_type(profile, catalog[q.normalize(field)]) == normalize_type(
            profile, profile.type_for(airbyte_type)), (field, catalog[q.normalize(field)])

    # insert + count + generation id + typed values
    rows = [FULL_ROW,
            record("r2", "2024-01-01T00:00:01+00:00", id=2, name="Bob", seq=2),
            record("r3", "2024-01-01T00:00:02+00:00", id=3, name="Cy", seq=3, flag=False)]
    do("insert", gen.insert_rows(users, rows))
    assert scalar(ex, gen.count_table(users)) == "3"
    assert scalar(ex, gen.get_generation_id(users)) == "1"
    tbl = q.table(namespace, "Users")
    got = ex.query(f"SELECT {q.column('name')}, {q.column('flag')}, {q.column('amount')}, "
                   f"{q.column('obj')}, {q.column('arr')}, {q.column('day')} FROM {tbl} "
                   f"WHERE {q.column('id')} = 1")[0]
    assert got[0] == "Ann O'Hara"
    assert got[1] in ("t", "true", "True")
    assert float(got[2] or 0) == 12.5
    assert json.loads(got[3] or "null") == {"a": 1, "b": [1, 2]}
    assert json.loads(got[4] or "null") == [1, "x"]
    assert got[5] == "2024-02-29"

    # batch strategy (COPY / staged file) when the profile has one
    extra = [record("r4", "2024-01-02T00:00:00+00:00", id=4, name="Dee, \"quoted\"", seq=4,
                    obj={"n": None})]
    if gen.templates.statements["bulk_load"]:
        if ex.dialect == "postgres":
            do("bulk load (COPY FROM STDIN)", gen.bulk_load(users), gen.csv_rows(users, extra))
        else:
            import tempfile

            with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
                handle.write(gen.csv_rows(users, extra))
            do("bulk load (staged CSV file)", gen.bulk_load(users, handle.name))
    else:
        do("insert", gen.insert_rows(users, extra))
    assert scalar(ex, gen.count_table(users)) == "4"
    assert (4, 'Dee, "quoted"') in ids_and_names(ex, gen, users)

    # append: temp table + copy
    temp = users.renamed("Users_airbyte_tmp")
    do("create table", gen.create_table(temp, replace=True))
    do("insert", gen.insert_rows(temp, [record("r5", "2024-01-03T00:00:00+00:00", id=5,
                                               name="Eve", seq=5)]))
    do("append (copy table)", gen.copy_table(temp, users))
    assert scalar(ex, gen.count_table(users)) == "5"
    do("drop table", gen.drop_table(temp))
    assert int(scalar(ex, gen.table_exists(temp)) or 0) == 0

    # overwrite by swap: new generation replaces the table
    do("create table", gen.create_table(temp))
    do("insert", gen.insert_rows(temp, [record("r6", "2024-01-04T00:00:00+00:00", gen=2, id=6,
                                               name="Fay", seq=6)]))
    do("overwrite (swap)", gen.overwrite_table(temp, users))
    assert ids_and_names(ex, gen, users) == [(6, "Fay")]
    assert scalar(ex, gen.get_generation_id(users)) == "2"
    assert int(scalar(ex, gen.table_exists(temp)) or 0) == 0
    fresh = users.renamed("Fresh")
    do("create table", gen.create_table(temp))
    do("overwrite (target missing)", gen.overwrite_table(temp, fresh, target_exists=False))
    assert int(scalar(ex, gen.table_exists(fresh)) or 0) == 1
    do("drop table", gen.drop_table(fresh))

    # schema evolution: add, change type, drop
    do("add column", gen.add_column(users, "added", "string"))
    ex.run([f"UPDATE {tbl} SET {q.column('added')} = 'new value'"])
    cols = {r[0]: r[1] for r in ex.query(gen.describe_table(users)[0])}
    assert q.normalize("added") in cols
    if gen.templates.statements["change_column"]:
        do("change column type", gen.change_column(users, "seq", "string"))
        cols = {r[0]: (r[1] or "").lower() for r in ex.query(gen.describe_table(users)[0])}
        assert cols[q.normalize("seq")] in ("character varying", "varchar", "text")
        assert ex.query(f"SELECT {q.column('seq')} FROM {tbl}")[0][0] == "6"
        do("change column type", gen.change_column(users, "seq", "integer"))
    do("drop column", gen.drop_column(users, "added"))
    cols = {r[0]: r[1] for r in ex.query(gen.describe_table(users)[0])}
    assert q.normalize("added") not in cols
    assert scalar(ex, gen.count_table(users)) == "1"

    steps.update(run_dedupe(ex, profile, namespace))
    steps.update(run_dedupe(ex, profile, namespace, cdc_hard_delete=False, suffix="_soft"))
    steps.update(run_dedupe(ex, profile, namespace, cursor=False, suffix="_nocursor"))

    do("drop table", gen.drop_table(users))
    assert int(scalar(ex, gen.table_exists(users)) or 0) == 0
    do("drop namespace", gen.drop_namespace(namespace))
    assert int(scalar(ex, gen.namespace_exists(namespace)) or 0) == 0
    return steps


def run_dedupe(ex: Executor, profile: Profile, namespace: str, cdc_hard_delete: bool = True,
               cursor: bool = True, suffix: str = "") -> dict[str, int]:
    """Upsert a batch into a target: latest record per key wins, CDC deletes remove rows."""
    gen = SqlGenerator(profile, cdc_hard_delete=cdc_hard_delete)
    fields = {"id": "integer", "name": "string", "seq": "integer",
              "_ab_cdc_deleted_at": "timestamp_with_timezone"}
    target = TableSpec(namespace, f"accounts{suffix}", fields, ("id",),
                       "seq" if cursor else None)
    source = target.renamed(f"accounts{suffix}_tmp")
    before = "2024-01-01T00:00:00+00:00"
    statements = 0

    def do(sql: list[str]) -> None:
        nonlocal statements
        ex.run(sql)
        statements += len(sql)

    do(gen.create_table(target, dedupe=True))
    do(gen.create_table(source))
    do(gen.insert_rows(target, [
        record("t1", before, id=1, name="old", seq=5),
        record("t2", "2024-01-09T00:00:00+00:00", id=2, name="target newer", seq=10),
        record("t3", before, id=3, name="to delete", seq=1),
        record("t6", before, id=6, name="old six", seq=None),
    ]))
    do(gen.insert_rows(source, [
        record("s1", "2024-01-02T00:00:00+00:00", id=1, name="new", seq=6),
        record("s2", "2024-01-02T00:00:01+00:00", id=1, name="newest", seq=7),
        record("s3", "2024-01-02T00:00:00+00:00", id=2, name="older", seq=3),
        record("s4", "2024-01-02T00:00:00+00:00", id=3, name="deleted", seq=2,
               _ab_cdc_deleted_at="2024-01-02T00:00:00+00:00"),
        record("s5", "2024-01-02T00:00:00+00:00", id=4, name="inserted", seq=1),
        record("s6", "2024-01-02T00:00:00+00:00", id=5, name="born deleted", seq=1,
               _ab_cdc_deleted_at="2024-01-02T00:00:00+00:00"),
        record("s7", "2024-01-02T00:00:00+00:00", id=6, name="six early", seq=None),
        record("s8", "2024-01-03T00:00:00+00:00", id=6, name="six late", seq=None),
    ]))
    do(gen.upsert(target, source, target))
    got = ids_and_names(ex, gen, target)
    # without a cursor the latest extraction decides; this data gives the same winners
    # (target row 2 was extracted last, so it survives the older incoming record either way)
    if cdc_hard_delete:
        expected = [(1, "newest"), (2, "target newer"), (4, "inserted"), (6, "six late")]
    else:
        expected = [(1, "newest"), (2, "target newer"), (3, "deleted"), (4, "inserted"),
                    (5, "born deleted"), (6, "six late")]
    assert got == expected, f"upsert ({profile.upsert.mechanism}{suffix}) gave {got}"
    # idempotent: the same batch again changes nothing
    do(gen.upsert(target, source, target))
    assert ids_and_names(ex, gen, target) == expected
    do(gen.drop_table(source))
    do(gen.drop_table(target))
    return {f"upsert{suffix}": statements}
