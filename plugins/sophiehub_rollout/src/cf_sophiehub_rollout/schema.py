"""The checkout's database schema, from its own migrations applied to a throw-away PostgreSQL.

:func:`apply_chain` first runs the Supabase stand-ins (``data/supabase_standins.sql``: roles
``anon``/``authenticated``/``service_role``, schema ``auth`` with ``uid()``/``jwt()``/``role()``,
default privileges), then every migration file in name order, each in one transaction (a file's
own top-level ``BEGIN;``/``COMMIT;`` lines are folded into it), so a file that fails leaves
nothing behind. Files that failed are retried, round after round, until a round applies none
(a fixpoint): a chain whose files are not in dependency order still applies; files that never
apply are reported with their first error. :func:`read_schema` then reads the catalog: every
``public`` table with its columns, primary key, row-level security and policies, and the
sources ``entity_external_ids`` holds 1:1 through partial unique indexes.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cf_sophiehub_rollout.checkout import MIGRATIONS_DIR, existing_migrations

if TYPE_CHECKING:
    from connector_factory.testing.postgres import PgCluster

_TX_LINE = re.compile(r"^\s*(begin|commit|start\s+transaction|end\s+transaction)\s*;\s*$",
                      re.I | re.M)


def standins() -> str:
    """The Supabase stand-ins SQL (shipped)."""
    return (resources.files("cf_sophiehub_rollout") / "data" / "supabase_standins.sql"
            ).read_text(encoding="utf-8")


def as_transaction(sql: str) -> str:
    """``sql`` as one transaction: its own top-level ``BEGIN;``/``COMMIT;`` lines removed."""
    return "begin;\n" + _TX_LINE.sub("", sql) + "\ncommit;\n"


def first_error(stderr: str) -> str:
    """The first ``ERROR:`` line of psql's stderr (or its first line)."""
    for line in stderr.splitlines():
        if line.startswith(("ERROR:", "psql:")) and "ERROR" in line:
            return line.split("ERROR:", 1)[-1].strip()
    return (stderr.strip().splitlines() or ["(no output)"])[0]


@dataclass
class ChainResult:
    """``applied`` in the order they applied; ``unapplied`` file -> first error; ``created``
    table -> the migration that created it; ``rounds`` tried."""

    applied: list[str] = field(default_factory=list)
    unapplied: dict[str, str] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)
    rounds: int = 0


def _tables(pg: PgCluster) -> set[str]:
    out = pg.psql("select tablename from pg_tables where schemaname = 'public'")
    return {line.strip() for line in out.splitlines() if line.strip()}


def apply_chain(pg: PgCluster, root: Path, skip: tuple[str, ...] = (),
                max_rounds: int = 10) -> ChainResult:
    """Apply the stand-ins and the checkout's migrations (except ``skip``) to a fixpoint."""
    pg.psql(standins())
    result = ChainResult()
    pending = [n for n in existing_migrations(root) if n not in skip]
    errors: dict[str, str] = {}
    while pending and result.rounds < max_rounds:
        result.rounds += 1
        failed = []
        for name in pending:
            sql = (root / MIGRATIONS_DIR / name).read_text(encoding="utf-8", errors="replace")
            before = _tables(pg)
            try:
                pg.psql(as_transaction(sql))
            except subprocess.CalledProcessError as exc:
                errors[name] = first_error(exc.stderr or "")
                failed.append(name)
                continue
            result.applied.append(name)
            for table in _tables(pg) - before:
                result.created[table] = name
        if len(failed) == len(pending):
            break
        pending = failed
    result.unapplied = {n: errors[n] for n in pending}
    return result


@dataclass
class Policy:
    """One row-level security policy as the catalog has it (``pg_policies``)."""

    name: str
    roles: list[str]
    cmd: str
    qual: str | None
    with_check: str | None


@dataclass
class Table:
    """A ``public`` table: ``columns`` name -> type (``format_type``), ``not_null`` columns
    without a default, primary key columns, RLS, policies, table comment."""

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    rls: bool = False
    policies: list[Policy] = field(default_factory=list)
    comment: str | None = None


@dataclass
class Schema:
    """Tables by name; ``one_to_one`` sources (partial unique indexes on
    ``entity_external_ids``) with the index enforcing each; and how the chain applied."""

    tables: dict[str, Table] = field(default_factory=dict)
    one_to_one: dict[str, str] = field(default_factory=dict)
    chain: ChainResult = field(default_factory=ChainResult)

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table.column`` exists."""
        return table in self.tables and column in self.tables[table].columns


_CATALOG = """
select json_build_object(
 'columns', (select coalesce(json_agg(json_build_array(c.relname, a.attname,
     format_type(a.atttypid, a.atttypmod), a.attnotnull and not a.atthasdef)
     order by c.relname, a.attnum), '[]')
   from pg_attribute a join pg_class c on c.oid = a.attrelid
   join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0
     and not a.attisdropped),
 'tables', (select coalesce(json_agg(json_build_array(c.relname, c.relrowsecurity,
     obj_description(c.oid, 'pg_class'))), '[]')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p')),
 'pk', (select coalesce(json_agg(json_build_array(c.relname, a.attname)
     order by c.relname, array_position(i.indkey::int2[], a.attnum)), '[]')
   from pg_index i join pg_class c on c.oid = i.indrelid
   join pg_namespace n on n.oid = c.relnamespace
   join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)
   where n.nspname = 'public' and i.indisprimary),
 'policies', (select coalesce(json_agg(json_build_array(tablename, policyname, roles::text[],
     cmd, qual, with_check)), '[]') from pg_policies where schemaname = 'public'),
 'indexes', (select coalesce(json_agg(json_build_array(indexname, indexdef)), '[]')
   from pg_indexes where schemaname = 'public' and tablename = 'entity_external_ids')
)
"""


def read_schema(pg: PgCluster) -> Schema:
    """The catalog of ``public`` as a :class:`Schema` (``chain`` left empty)."""
    data = json.loads(pg.psql(_CATALOG))
    schema = Schema()
    for name, rls, comment in data["tables"]:
        schema.tables[name] = Table(name=name, rls=bool(rls), comment=comment)
    for table, column, kind, required in data["columns"]:
        if table in schema.tables:
            schema.tables[table].columns[column] = kind
            if required:
                schema.tables[table].required.append(column)
    for table, column in data["pk"]:
        if table in schema.tables:
            schema.tables[table].primary_key.append(column)
    for table, name, roles, cmd, qual, check in data["policies"]:
        if table in schema.tables:
            schema.tables[table].policies.append(Policy(name, list(roles), cmd, qual, check))
    for name, definition in data["indexes"]:
        if definition.upper().startswith("CREATE UNIQUE") and " WHERE " in definition:
            predicate = definition.split(" WHERE ", 1)[1]
            for value in re.findall(r"'([a-z][a-z0-9_]*)'", predicate):
                schema.one_to_one[value] = name
    return schema


def checkout_schema(root: Path, skip: tuple[str, ...] = ()) -> Schema:
    """Apply the checkout's migrations on a fresh cluster and read the result.

    Raises:
        PostgresUnavailable: no PostgreSQL here (install the Debian package ``postgresql``).
    """
    from connector_factory.testing.postgres import postgres_cluster

    with postgres_cluster() as pg:
        chain = apply_chain(pg, root, skip)
        schema = read_schema(pg)
    schema.chain = chain
    return schema
