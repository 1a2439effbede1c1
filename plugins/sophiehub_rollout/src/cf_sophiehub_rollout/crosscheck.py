"""The intake checked against what the checkout holds, and the decisions the migration follows.

- A link whose ``source`` the checkout already uses is refused unless the link says
  ``reuse: true``; a reused source keeps the checkout's enforcement (1:1 when a partial unique
  index on ``entity_external_ids`` names it, 1:N otherwise), and an intake that asks for another
  cardinality is refused with both.
- A link's ``entity`` must be a table and its ``key`` (``table.column``) a column of the schema.
- The sync table ``<name>_sync_state``, when it exists, is extended with the sync columns it
  lacks; a column it has with another type, or no primary key, refuses the plan.
- Row-level security for a new table follows the checkout's pattern: the policies of the most
  recently created table that has a ``service_role`` policy and an ``authenticated`` read
  policy (in the real checkout ``<table>_service_write`` and ``<table>_admin_read``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from connector_factory.errors import InputError

from cf_sophiehub_rollout.checkout import Where
from cf_sophiehub_rollout.intake import Intake
from cf_sophiehub_rollout.migration import SYNC_COLUMNS
from cf_sophiehub_rollout.schema import Schema

#: Types as ``format_type`` spells them, for comparing an existing column with the plan's.
_TYPE_NAMES = {"timestamptz": "timestamp with time zone", "integer": "integer", "text": "text"}
#: The pattern when the checkout shows none (the real checkout's newest connector table,
#: ``20260221_slack_clickup_sync_state.sql``): the service role writes, admins read.
_ADMIN_READ = ("exists (select 1 from staff where staff.id = auth.uid() "
               "and staff.role in ('admin', 'operations_admin'))")


@dataclass(frozen=True)
class PolicyRule:
    """One policy a new table gets: name ``<table><suffix>``, roles, command, expressions."""

    suffix: str
    roles: tuple[str, ...]
    cmd: str
    qual: str | None
    with_check: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form for the intake record."""
        return {"suffix": self.suffix, "roles": list(self.roles), "cmd": self.cmd,
                "qual": self.qual, "with_check": self.with_check}


@dataclass
class Decisions:
    """What the migration does: ``sync_mode`` ``create``/``extend``, the columns to add, the
    key, whether RLS is enabled here, the policies and where their pattern came from, and the
    notes (assumptions) the plan lists."""

    sync_table: str
    sync_mode: str = "create"
    sync_key: list[str] = field(default_factory=lambda: ["resource"])
    add_columns: list[tuple[str, str]] = field(default_factory=list)
    enable_rls: bool = True
    policies: list[PolicyRule] = field(default_factory=list)
    pattern_from: str = ""
    notes: list[str] = field(default_factory=list)
    schema_read: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form for the intake record."""
        return {"sync_table": self.sync_table, "sync_mode": self.sync_mode,
                "sync_key": self.sync_key, "add_columns": [list(c) for c in self.add_columns],
                "enable_rls": self.enable_rls, "policies": [p.as_dict() for p in self.policies],
                "pattern_from": self.pattern_from, "notes": self.notes,
                "schema_read": self.schema_read}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decisions:
        """Inverse of :meth:`as_dict`."""
        return cls(sync_table=data["sync_table"], sync_mode=data.get("sync_mode", "create"),
                   sync_key=list(data.get("sync_key") or ["resource"]),
                   add_columns=[(c[0], c[1]) for c in data.get("add_columns") or []],
                   enable_rls=bool(data.get("enable_rls", True)),
                   policies=[PolicyRule(p["suffix"], tuple(p["roles"]), p["cmd"], p["qual"],
                                        p["with_check"]) for p in data.get("policies") or []],
                   pattern_from=data.get("pattern_from", ""),
                   notes=list(data.get("notes") or []),
                   schema_read=bool(data.get("schema_read", True)))


def policy_pattern(schema: Schema) -> tuple[list[PolicyRule], str]:
    """The checkout's RLS pattern and the table it was taken from (see the module doc)."""
    order = {name: i for i, name in enumerate(schema.chain.applied)}
    candidates = sorted(
        (t for t in schema.tables.values() if t.rls and t.policies),
        key=lambda t: order.get(schema.chain.created.get(t.name, ""), -1), reverse=True)
    for table in candidates:
        service = [p for p in table.policies if p.roles == ["service_role"]]
        read = [p for p in table.policies if p.roles == ["authenticated"] and p.cmd == "SELECT"]
        if service and read and all(p.name.startswith(table.name) for p in service + read):
            rules = [PolicyRule(p.name[len(table.name):], tuple(p.roles), p.cmd, p.qual,
                                p.with_check) for p in (service[0], read[0])]
            return rules, table.name
    rules = [PolicyRule("_service_write", ("service_role",), "ALL", "true", "true")]
    if "staff" in schema.tables and {"id", "role"} <= set(schema.tables["staff"].columns):
        rules.append(PolicyRule("_admin_read", ("authenticated",), "SELECT", _ADMIN_READ, None))
    return rules, ""


def _where(places: list[Where]) -> str:
    shown = ", ".join(str(w) for w in places[:2])
    return shown + (f" and {len(places) - 2} more" if len(places) > 2 else "")


def check_sources(intake: Intake, sources: dict[str, list[Where]], schema: Schema | None
                  ) -> list[str]:
    """Problems with the intake's sources, one line each (empty: fine)."""
    problems = []
    for i, link in enumerate(intake.links):
        places = sources.get(link.source, [])
        if places and not link.reuse:
            problems.append(
                f"links.{i}.source: {link.source!r} already exists in the checkout "
                f"({_where(places)}); set `reuse: true` on that link to reuse it as it is, "
                "or choose a new source name")
        elif link.reuse and not places:
            problems.append(f"links.{i}.reuse: source {link.source!r} is not in the checkout; "
                            "remove `reuse: true` to create it")
        elif link.reuse and schema is not None and link.cardinality is not None:
            existing = "1:1" if link.source in schema.one_to_one else "1:N"
            if existing != link.cardinality:
                how = (f"index {schema.one_to_one[link.source]}" if existing == "1:1"
                       else "no unique index")
                problems.append(f"links.{i}.cardinality: reused source {link.source!r} is "
                                f"{existing} in the checkout ({how}), the intake says "
                                f"{link.cardinality}; set cardinality: {existing!r} or use a "
                                "new source")
    return problems


def check_keys(intake: Intake, schema: Schema) -> list[str]:
    """Links whose entity is not a table or whose ``table.column`` key does not exist."""
    problems = []
    for i, link in enumerate(intake.links):
        if link.entity not in schema.tables:
            problems.append(f"links.{i}.entity: {link.entity!r} is not a table of the "
                            "checkout's schema; use the entity's table name (e.g. staff, "
                            "partners)")
        match = re.fullmatch(r"([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)", link.key)
        if match and not schema.has_column(match.group(1), match.group(2)):
            table = schema.tables.get(match.group(1))
            known = (f"{match.group(1)} has no column {match.group(2)!r}" if table
                     else f"there is no table {match.group(1)!r}")
            problems.append(f"links.{i}.key: {link.key} does not exist in the checkout's "
                            f"schema ({known}); name an existing column")
    return problems


def sync_decisions(intake: Intake, schema: Schema | None) -> Decisions:
    """How the migration treats ``<name>_sync_state`` (see the module doc).

    Raises:
        InputError: the existing table has no primary key, or a sync column with another type.
    """
    table = f"{intake.connector}_sync_state"
    decisions = Decisions(sync_table=table, schema_read=schema is not None)
    if schema is None:
        decisions.policies, _ = policy_pattern(Schema())
        decisions.notes.append("the checkout's schema was not read (no PostgreSQL here): "
                               "sources were checked in its files only, key columns not at all")
        return decisions
    decisions.policies, decisions.pattern_from = policy_pattern(schema)
    existing = schema.tables.get(table)
    if existing is None:
        return decisions
    if not existing.primary_key:
        raise InputError(f"{table} already exists in the checkout without a primary key; the "
                         "sync state needs one row per resource",
                         f"give {table} a primary key in its migration, or rename the connector")
    wrong = []
    for column, kind in SYNC_COLUMNS:
        have = existing.columns.get(column)
        want = _TYPE_NAMES[kind.split()[0]]
        if have is not None and have != want:
            wrong.append(f"{column} is {have}, the sync state needs {want}")
    if wrong:
        raise InputError(f"{table} already exists in the checkout and cannot be extended: "
                         + "; ".join(wrong), "rename the connector or migrate those columns "
                                             "first")
    decisions.sync_mode = "extend"
    decisions.sync_key = list(existing.primary_key)
    decisions.add_columns = [(c, k) for c, k in SYNC_COLUMNS if c not in existing.columns]
    decisions.enable_rls = not existing.rls
    decisions.notes.append(
        f"{table} already exists ({schema.chain.created.get(table, 'the checkout')}): its key "
        f"{', '.join(existing.primary_key)} is the resource; "
        f"{len(decisions.add_columns)} sync column(s) are added, its comment and policies are "
        "kept" + ("; it had no row-level security, which this migration enables"
                  if decisions.enable_rls else ""))
    return decisions


def cross_check(intake: Intake, sources: dict[str, list[Where]], schema: Schema | None
                ) -> Decisions:
    """Check the (completed) intake against the checkout and decide the migration.

    Raises:
        InputError: the first problem (and how many more), named and with its fix.
    """
    problems = check_sources(intake, sources, schema)
    if schema is not None:
        problems += check_keys(intake, schema)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(f"--intake: {problems[0]}{more}",
                         "fix the intake and run `cf plan` again")
    decisions = sync_decisions(intake, schema)
    for link in intake.links:
        if link.reuse:
            decisions.notes.append(f"source {link.source} is reused as the checkout has it "
                                   f"({link.cardinality}); this rollout does not change it")
    if schema is not None and schema.chain.unapplied:
        names = ", ".join(sorted(schema.chain.unapplied))
        decisions.notes.append(f"{len(schema.chain.unapplied)} of the checkout's migrations do "
                               f"not apply on a fresh database ({names}); the plan assumes "
                               "the tables it uses do not depend on them")
    return decisions
