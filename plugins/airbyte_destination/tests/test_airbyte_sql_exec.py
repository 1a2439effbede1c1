"""The SQL of the generated SqlGenerator, executed for real on PostgreSQL and DuckDB.

For every shipped profile whose dialect runs here, the whole scenario (namespace, tables,
insert, count, generation id, batch load, append, overwrite by swap, schema evolution, dedupe
with the latest record winning, CDC deletes) runs on the real database. Each upsert mechanism
is also run on both databases, so a profile switching mechanism is covered too.
"""

from __future__ import annotations

import pytest
from cf_airbyte_destination.profile import Profile, load_shipped_profile, shipped_profile_names
from sql_scenario import run_scenario

RUNNABLE = [n for n in shipped_profile_names()
            if load_shipped_profile(n).dialect in ("postgres", "duckdb")]
MECHANISMS = ["merge", "insert_on_conflict", "window_delete_insert"]


def with_mechanism(profile: Profile, mechanism: str) -> Profile:
    return profile.model_copy(update={"upsert": profile.upsert.model_copy(
        update={"mechanism": mechanism})})


def test_runnable_profiles_are_the_expected_ones() -> None:
    assert RUNNABLE == ["duckdb", "postgres"]


@pytest.mark.parametrize("name", RUNNABLE)
def test_shipped_profile_sql_runs_on_its_database(name: str, request: pytest.FixtureRequest
                                                  ) -> None:
    profile = load_shipped_profile(name)
    ex = request.getfixturevalue("pg" if profile.dialect == "postgres" else "duck")
    steps = run_scenario(ex, profile, f"CF_{name}_Scenario")
    assert steps["upsert"] > 0 and steps["overwrite (swap)"] >= 1


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("name", RUNNABLE)
def test_every_upsert_mechanism_runs(name: str, mechanism: str,
                                     request: pytest.FixtureRequest) -> None:
    profile = with_mechanism(load_shipped_profile(name), mechanism)
    ex = request.getfixturevalue("pg" if profile.dialect == "postgres" else "duck")
    from sql_scenario import run_dedupe

    ns = f"cf_{mechanism}"
    from cf_airbyte_destination.sqlgen import SqlGenerator

    ex.run(SqlGenerator(profile).create_namespace(ns))
    run_dedupe(ex, profile, ns)
    run_dedupe(ex, profile, ns, cdc_hard_delete=False, suffix="_soft")
    run_dedupe(ex, profile, ns, cursor=False, suffix="_nocursor")
    ex.run(SqlGenerator(profile).drop_namespace(ns))


def test_validate_execution_on_duckdb_includes_the_checkers_row_count() -> None:
    from cf_airbyte_destination.sql_exec import run_on_duckdb

    report = run_on_duckdb(load_shipped_profile("duckdb"))
    assert report.problems == [] and report.executed >= 28
