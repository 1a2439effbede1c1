"""Shared fixtures: one real PostgreSQL cluster per test session, DuckDB connections, and a
statement counter that reports how many SQL statements each dialect really executed."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: dialect -> number of statements executed by the real database in this session.
EXECUTED: Counter[str] = Counter()
#: Generated Kotlin files parsed by tree-sitter-kotlin in this session (all without errors).
KOTLIN_PARSED: Counter[str] = Counter()


class PgExecutor:
    """Runs statements through the real ``psql`` client of a throw-away cluster.

    ``query`` returns rows as lists of strings (NULL as ``None``), like :class:`DuckExecutor`.
    """

    dialect = "postgres"

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster

    def run(self, statements: list[str], copy_data: str | None = None) -> None:
        """Execute ``statements`` in order (one psql session, ON_ERROR_STOP). ``copy_data``
        feeds a ``COPY … FROM STDIN`` that is the last statement."""
        script = ";\n".join(statements) + ";\n"
        if copy_data is not None:
            script += copy_data + "\\.\n"
        self.cluster.psql(script)
        EXECUTED[self.dialect] += len(statements)

    def query(self, sql: str) -> list[list[str | None]]:
        """Rows of ``sql`` as strings (psql CSV output, NULL → ``None``)."""
        out = self.cluster.psql("\\pset format csv\n\\pset tuples_only on\n\\pset null '\\N'\n"
                                + sql + ";\n")
        EXECUTED[self.dialect] += 1
        rows = list(csv.reader(io.StringIO(out)))
        return [[None if v == "\\N" else v for v in row] for row in rows if row]


class DuckExecutor:
    """Runs statements on a real DuckDB database file."""

    dialect = "duckdb"

    def __init__(self, path: Path) -> None:
        import duckdb

        self.conn = duckdb.connect(str(path))

    def run(self, statements: list[str], copy_data: str | None = None) -> None:
        """Execute ``statements`` in order on one connection."""
        for sql in statements:
            self.conn.execute(sql)
            EXECUTED[self.dialect] += 1

    def query(self, sql: str) -> list[list[str | None]]:
        """Rows of ``sql``, every value as ``str`` (NULL → ``None``)."""
        rows = self.conn.execute(sql).fetchall()
        EXECUTED[self.dialect] += 1
        return [[None if v is None else _text(v) for v in row] for row in rows]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """One PostgreSQL cluster for the whole session (Debian package ``postgresql``)."""
    from connector_factory.testing.postgres import PostgresUnavailable, postgres_cluster

    try:
        with postgres_cluster() as cluster:
            yield cluster
    except PostgresUnavailable as exc:  # CI installs it: fail, never skip
        pytest.fail(f"PostgreSQL is required for these tests: {exc}")


@pytest.fixture
def pg(pg_cluster: Any) -> PgExecutor:
    """An executor on the session's PostgreSQL cluster."""
    return PgExecutor(pg_cluster)


@pytest.fixture
def duck(tmp_path: Path) -> DuckExecutor:
    """An executor on a fresh DuckDB database file (PyPI ``duckdb``)."""
    try:
        return DuckExecutor(tmp_path / "test.duckdb")
    except ImportError:
        pytest.fail("DuckDB is required for these tests: pip install duckdb")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many statements each real database executed."""
    if EXECUTED:
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(EXECUTED.items()))
        terminalreporter.write_line(f"SQL statements executed for real — {shown}")
    if KOTLIN_PARSED:
        terminalreporter.write_line(
            f"generated Kotlin files parsed without error nodes — {sum(KOTLIN_PARSED.values())} "
            f"in {len(KOTLIN_PARSED)} projects")


def generate_project(tmp_path: Path, profile: Path, name: str,
                     inputs: dict[str, Any] | None = None) -> tuple[Path, Any]:
    """Run the real plan and scaffold steps of ``airbyte-destination`` for ``profile`` in a new
    project folder; return (project folder, final state). A failed/blocked scaffold raises."""
    from connector_factory.models import Step
    from connector_factory.pipeline import Pipeline
    from connector_factory.plugins import load_plugins
    from connector_factory.reporter import RecordingReporter

    plugins = load_plugins()
    project = tmp_path / name
    pipeline = Pipeline(project_dir=project, plugins=plugins, reporter=RecordingReporter(),
                        assume_yes=True)
    pipeline.create(name, plugins.target("airbyte-destination"),
                    {"profile": str(profile), **(inputs or {})})
    pipeline.run(only=Step.plan)
    state = pipeline.run(only=Step.scaffold)
    return project, state


@pytest.fixture(scope="session")
def shipped_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated project (plan + scaffold, phases 0–11) per shipped profile, shared by
    the tests that only read them: profile name -> project folder (named ``dest_<name>``)."""
    from cf_airbyte_destination.profile import shipped_profile_names, shipped_profile_path

    root = tmp_path_factory.mktemp("shipped")
    return {n: generate_project(root, shipped_profile_path(n), f"dest_{n}")[0]
            for n in shipped_profile_names()}
