"""Parse checks of generated SQL in the profile's dialect (PyPI ``sqlglot``).

Used for every profile, and the only check for dialects no database runs here (ClickHouse,
Snowflake, MySQL). A statement sqlglot can only keep as an opaque ``Command`` (it has no grammar
for it, e.g. ClickHouse ``EXCHANGE TABLES``) is reported as *unverified*, not as parsed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cf_airbyte_destination.profile import Profile
from cf_airbyte_destination.sqlgen import SqlGenerator, TableSpec

#: A stream exercising every statement: a primary key, a cursor, the CDC column, JSON.
SAMPLE_TABLE = TableSpec(
    "cf_check", "Users", {"id": "integer", "name": "string", "obj": "object",
                          "updated_at": "timestamp_with_timezone",
                          "_ab_cdc_deleted_at": "timestamp_with_timezone"},
    ("id",), "updated_at")


@dataclass
class SqlParseReport:
    """Per dialect: statements parsed, unverified (opaque commands) and errors."""

    dialect: str
    parsed: int = 0
    unverified: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sample_statements(profile: Profile, keys: list[str] | None = None) -> dict[str, list[str]]:
    """The generator's statements for :data:`SAMPLE_TABLE`, optionally only ``keys``."""
    generator = SqlGenerator(profile)
    statements = generator.all_statements(SAMPLE_TABLE)
    if keys is not None:
        statements = {k: v for k, v in statements.items() if k in keys}
    return statements


def parse_report(profile: Profile, keys: list[str] | None = None) -> SqlParseReport:
    """Parse every sample statement with sqlglot in ``profile.dialect``."""
    import sqlglot
    from sqlglot.errors import ParseError

    report = SqlParseReport(profile.dialect)
    logger = logging.getLogger("sqlglot")
    previous = logger.level
    logger.setLevel(logging.ERROR)  # "falling back to Command" warnings are reported by us
    try:
        for name, statements in sample_statements(profile, keys).items():
            for sql in statements:
                try:
                    trees = sqlglot.parse(sql, read=profile.dialect)
                except ParseError as exc:
                    report.errors.append(f"{name}: {str(exc).splitlines()[0][:200]}")
                    continue
                if any(t is not None and t.key == "command" for t in trees):
                    report.unverified.append(f"{name}: {sql.split(chr(10))[0][:80]}")
                else:
                    report.parsed += 1
    finally:
        logger.setLevel(previous)
    return report


def check_sql_parses(profile: Profile, keys: list[str]) -> list[str]:
    """Parse errors of the statements named ``keys`` (empty: they parse)."""
    return [f"SQL {e}" for e in parse_report(profile, keys).errors]
