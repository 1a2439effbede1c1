"""Executing the generated SQL on an in-memory DuckDB (PyPI ``duckdb``) for DuckDB profiles.

The validate step runs this for a profile whose dialect is ``duckdb``: the statements the
generated ``SqlGenerator`` emits (built by :class:`~cf_airbyte_destination.sqlgen.SqlGenerator`)
are executed on a real, throw-away DuckDB database and the resulting rows are checked —
namespace, create table, insert, count, generation id, append by copy, overwrite by swap,
add/drop column, upsert by the profile's mechanism with the latest record winning and a CDC
delete removing its row. The plugin's own tests run a longer scenario on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cf_airbyte_destination.profile import Profile
from cf_airbyte_destination.sqlgen import SqlGenerator, TableSpec

_FIELDS = {"id": "integer", "name": "string", "seq": "integer", "obj": "object",
           "_ab_cdc_deleted_at": "timestamp_with_timezone"}


@dataclass
class ExecReport:
    """Statements executed and the first problem found (empty ``problems``: every check held)."""

    executed: int = 0
    problems: list[str] = field(default_factory=list)


def _row(rid: str, extracted: str, gen: int = 1, **data: Any) -> dict[str, Any]:
    return {"_airbyte_raw_id": rid, "_airbyte_extracted_at": extracted, "_airbyte_meta": {},
            "_airbyte_generation_id": gen, **data}


def run_on_duckdb(profile: Profile) -> ExecReport:
    """Execute the generator's statements for ``profile`` on an in-memory DuckDB.

    Returns an :class:`ExecReport`; a database error or an unexpected row is one problem line
    (the run stops there). Raises ``ImportError`` when ``duckdb`` is not installed.
    """
    import duckdb

    report = ExecReport()
    conn = duckdb.connect(":memory:")
    gen = SqlGenerator(profile)
    q = gen.names
    ns = "cf_validate"
    users = TableSpec(ns, "users", _FIELDS, ("id",), "seq")
    temp = users.renamed("users_airbyte_tmp")

    def run(label: str, statements: list[str]) -> None:
        for sql in statements:
            try:
                conn.execute(sql)
            except duckdb.Error as exc:
                raise _Problem(f"{label}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
                               ) from exc
            report.executed += 1

    def value(statements: list[str]) -> Any:
        row = conn.execute(statements[0]).fetchone()
        report.executed += 1
        return None if row is None else row[0]

    def names(table: TableSpec) -> list[tuple[int, str]]:
        rows = conn.execute(f"SELECT {q.column('id')}, {q.column('name')} FROM "
                            f"{q.table(ns, table.name)} ORDER BY 1").fetchall()
        report.executed += 1
        return [(int(r[0]), str(r[1])) for r in rows]

    def expect(label: str, got: Any, want: Any) -> None:
        if got != want:
            raise _Problem(f"{label}: expected {want!r}, got {got!r}")

    t0, t1 = "2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"
    try:
        run("create namespace", gen.create_namespace(ns))
        expect("namespace exists", int(value(gen.namespace_exists(ns)) or 0), 1)
        run("create table", gen.create_table(users, dedupe=True))
        run("insert", gen.insert_rows(users, [
            _row("a", t0, id=1, name="old", seq=1, obj={"k": [1, 2]}),
            _row("b", t0, id=2, name="gone", seq=1)]))
        expect("count", int(value(gen.count_table(users)) or 0), 2)
        expect("generation id", int(value(gen.get_generation_id(users)) or 0), 1)
        run("create temp table", gen.create_table(temp, replace=True))
        run("insert", gen.insert_rows(temp, [
            _row("c", t1, id=1, name="older", seq=0),
            _row("d", t1, id=1, name="newest", seq=2),
            _row("e", t1, id=2, name="deleted", seq=2, _ab_cdc_deleted_at=t1),
            _row("f", t1, id=3, name="new", seq=1)]))
        run("upsert", gen.upsert(users, temp, users))
        want = [(1, "newest"), (3, "new")] if gen.cdc_hard_delete else \
            [(1, "newest"), (2, "deleted"), (3, "new")]
        expect(f"upsert ({profile.upsert.mechanism}), latest wins, CDC delete", names(users),
               want)
        run("add column", gen.add_column(users, "added", "string"))
        run("drop column", gen.drop_column(users, "added"))
        run("drop table", gen.drop_table(temp))
        run("create temp table", gen.create_table(temp))
        run("insert", gen.insert_rows(temp, [_row("g", t1, gen=2, id=9, name="fresh", seq=1)]))
        run("append (copy)", gen.copy_table(temp, users))
        expect("append", names(users)[-1], (9, "fresh"))
        run("overwrite (swap)", gen.overwrite_table(temp, users))
        expect("overwrite", names(users), [(9, "fresh")])
        expect("generation id after overwrite", int(value(gen.get_generation_id(users)) or 0), 2)
        run("drop table", gen.drop_table(users))
        create_ns, create, insert, count, drop = gen.check_statements(ns, "_airbyte_check")
        run("check: create table, write a row", create_ns + create + insert)
        expect("check: count of the written row", int(value(count) or 0), 1)
        run("check: drop table", drop)
        run("drop namespace", gen.drop_namespace(ns))
    except _Problem as problem:
        report.problems.append(str(problem))
    finally:
        conn.close()
    return report


class _Problem(Exception):
    """A failed statement or check (internal: becomes a report line)."""
