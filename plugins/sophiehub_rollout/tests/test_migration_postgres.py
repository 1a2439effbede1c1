"""The fixture checkout's own migrations and the generated one on a real PostgreSQL (Debian
package, started here): the chain to a fixpoint, the schema read back, 1:1 and 1:N, an existing
sync table extended, row-level security probed as anon."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from cf_sophiehub_rollout.crosscheck import cross_check, policy_pattern, sync_decisions
from cf_sophiehub_rollout.gate import postgres_checks
from cf_sophiehub_rollout.intake import Intake, Link, complete
from cf_sophiehub_rollout.migration import render_migration
from cf_sophiehub_rollout.schema import apply_chain, as_transaction, checkout_schema, read_schema
from connector_factory.errors import InputError
from connector_factory.testing.postgres import postgres_cluster

from .conftest import FIXTURE


def intake(name: str = "suptask") -> Intake:
    done, _ = complete(Intake(links=[
        Link(external_field="user id", source=f"{name}_user", entity="staff", key="staff.email",
             cardinality="1:1"),
        Link(external_field="requester", source=f"{name}_requester", entity="partners",
             cardinality="1:N")]), name)
    return done


def test_the_chain_applies_to_a_fixpoint_and_the_schema_is_read() -> None:
    schema = checkout_schema(FIXTURE)
    chain = schema.chain
    # 2026020501_* needs the table of 2026020504_*: it applies in a later round
    assert chain.rounds >= 2
    assert chain.applied.index("2026020501_feedback_comments.sql") > \
        chain.applied.index("2026020504_feedback_table.sql")
    assert list(chain.unapplied) == ["20260216_modules_table.sql"]
    assert 'relation "modules" does not exist' in chain.unapplied["20260216_modules_table.sql"]
    # the real entity_external_ids, as the migrations leave it
    table = schema.tables["entity_external_ids"]
    assert table.columns["id"] == "uuid" and "created_by" in table.columns and table.rls
    assert schema.one_to_one == {"slack_user": "idx_entity_external_ids_one_to_one_sources",
                                 "google_workspace_user":
                                     "idx_entity_external_ids_one_to_one_sources"}
    clickup = schema.tables["slack_clickup_sync_state"]
    assert clickup.primary_key == ["channel_id"]
    assert clickup.comment == "Slack -> ClickUp sync position per channel"
    rules, origin = policy_pattern(schema)
    assert origin == "slack_clickup_sync_state"
    assert [(r.suffix, r.roles, r.cmd) for r in rules] == [
        ("_service_write", ("service_role",), "ALL"),
        ("_admin_read", ("authenticated",), "SELECT")]
    assert "auth.uid()" in (rules[1].qual or "")


def _probe_links(pg: object) -> None:
    insert = ("insert into entity_external_ids (entity_type, entity_id, source, external_id) "
              "values ('{}', '{}', '{}', '{}')")
    staff, partner = uuid.uuid4(), uuid.uuid4()
    pg.psql(insert.format("staff", staff, "suptask_user", "U1"))  # type: ignore[attr-defined]
    with pytest.raises(subprocess.CalledProcessError) as caught:
        pg.psql(insert.format("staff", staff, "suptask_user", "U2"))  # type: ignore[attr-defined]
    assert "entity_external_ids_one_suptask_user_per_entity" in caught.value.stderr
    pg.psql(insert.format("partners", partner, "suptask_requester", "R1"))  # type: ignore[attr-defined]
    pg.psql(insert.format("partners", partner, "suptask_requester", "R2"))  # type: ignore[attr-defined]
    # the checkout's own 1:1 sources are untouched
    pg.psql(insert.format("staff", staff, "slack_user", "S1"))  # type: ignore[attr-defined]
    with pytest.raises(subprocess.CalledProcessError):
        pg.psql(insert.format("staff", staff, "slack_user", "S2"))  # type: ignore[attr-defined]


def test_the_generated_migration_on_the_checkouts_schema() -> None:
    schema = checkout_schema(FIXTURE)
    done = intake()
    sql = render_migration(done, cross_check(done, {}, schema))
    with postgres_cluster() as pg:
        apply_chain(pg, FIXTURE)
        pg.psql(as_transaction(sql))
        pg.psql(as_transaction(sql))  # idempotent
        _probe_links(pg)
        table = read_schema(pg).tables["suptask_sync_state"]
        assert table.rls and {p.name for p in table.policies} == {
            "suptask_sync_state_service_write", "suptask_sync_state_admin_read"}
        pg.psql("insert into suptask_sync_state (resource) values ('tickets')")
        admin = pg.psql("insert into staff (full_name, email, role) values "
                        "('A', 'a@example.com', 'admin') returning id").split()[0]
        anon = "set role anon; set request.jwt.claims to '{\"role\": \"anon\"}'; "
        assert pg.psql(anon + "select count(*) from suptask_sync_state;").strip() == "0"
        with pytest.raises(subprocess.CalledProcessError) as denied:
            pg.psql(anon + "insert into suptask_sync_state (resource) values ('x');")
        assert "violates row-level security policy" in denied.value.stderr
        assert pg.psql("select count(*) from suptask_sync_state").strip() == "1"
        as_admin = (f"set role authenticated; set request.jwt.claims to "
                    f"'{{\"role\": \"authenticated\", \"sub\": \"{admin}\"}}'; ")
        assert pg.psql(as_admin + "select count(*) from suptask_sync_state;").strip() == "1"


def test_an_existing_sync_table_is_extended_not_redefined() -> None:
    schema = checkout_schema(FIXTURE)
    done = intake("slack_clickup")
    decisions = sync_decisions(done, schema)
    assert decisions.sync_mode == "extend" and decisions.sync_key == ["channel_id"]
    assert ("watermark", "timestamptz") in decisions.add_columns
    assert ("updated_at", "timestamptz not null default now()") not in decisions.add_columns
    sql = render_migration(done, decisions)
    assert "alter table slack_clickup_sync_state add column if not exists watermark" in sql
    assert "create table" not in sql and "comment on table" not in sql
    assert "enable row level security" not in sql  # it has RLS and policies already
    with postgres_cluster() as pg:
        apply_chain(pg, FIXTURE)
        pg.psql("insert into slack_clickup_sync_state (channel_id) values ('C1')")
        pg.psql(as_transaction(sql))
        pg.psql(as_transaction(sql))
        after = read_schema(pg).tables["slack_clickup_sync_state"]
    assert {"watermark", "lease_owner", "lease_expires_at", "overlap_seconds"} <= set(
        after.columns)
    assert after.comment == "Slack -> ClickUp sync position per channel"
    assert after.primary_key == ["channel_id"]


def test_an_incompatible_sync_table_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    shutil.copytree(FIXTURE, root)
    (root / "supabase" / "migrations" / "20260222_acme_sync_state.sql").write_text(
        "create table acme_sync_state (resource text primary key, watermark text);\n")
    with pytest.raises(InputError, match="watermark is text, the sync state needs timestamp"):
        sync_decisions(intake("acme"), checkout_schema(root))


def test_the_gate_fails_a_table_anon_can_read(tmp_path: Path) -> None:
    schema = checkout_schema(FIXTURE)
    done = intake()
    decisions = cross_check(done, {}, schema)
    good = render_migration(done, decisions)
    name = "2026120101_suptask_external_ids.sql"
    checks = {c.name: c for c in postgres_checks(FIXTURE, name, good, done, decisions, True)}
    assert [c.status for c in checks.values()] == ["passed"] * 3
    assert "1 of the checkout's own never apply" in checks[
        "checkout migrations on PostgreSQL"].message
    # no RLS on the new table and no 1:1 enforcement: both fail
    bad = good.replace("alter table suptask_sync_state enable row level security;", "").replace(
        "create unique index", "create index")
    checks = {c.name: c for c in postgres_checks(FIXTURE, name, bad, done, decisions, True)}
    rls = checks["row-level security as anon"]
    assert rls.status == "failed"
    assert "anon can read 1 row(s) of suptask_sync_state" in rls.failures
    assert "anon could insert into suptask_sync_state" in rls.failures
    assert checks["migration on PostgreSQL"].failures == [
        "suptask_user is 1:1 but a second link was accepted"]
