"""The generated migration on a real PostgreSQL (Debian package, started here)."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from cf_sophiehub_rollout.checks import base_schema, postgres_check
from cf_sophiehub_rollout.intake import Intake, Link, complete
from cf_sophiehub_rollout.migration import render_migration
from connector_factory.testing.postgres import postgres_cluster


def intake() -> Intake:
    done, _ = complete(Intake(links=[
        Link(external_field="user id", source="suptask_user", entity="staff", cardinality="1:1"),
        Link(external_field="requester", source="suptask_requester", entity="partners",
             cardinality="1:N")]), "suptask")
    return done


def test_one_to_one_rejects_a_second_link_and_one_to_many_accepts_it() -> None:
    sql = render_migration(intake())
    with postgres_cluster() as pg:
        pg.psql(base_schema())
        pg.psql(sql)
        pg.psql(sql)  # idempotent
        staff, partner = uuid.uuid4(), uuid.uuid4()
        insert = ("insert into entity_external_ids (entity_type, entity_id, source, external_id) "
                  "values ('{}', '{}', '{}', '{}')")
        pg.psql(insert.format("staff", staff, "suptask_user", "U1"))
        with pytest.raises(subprocess.CalledProcessError) as caught:
            pg.psql(insert.format("staff", staff, "suptask_user", "U2"))
        assert "entity_external_ids_one_suptask_user_per_entity" in caught.value.stderr
        pg.psql(insert.format("partners", partner, "suptask_requester", "R1"))
        pg.psql(insert.format("partners", partner, "suptask_requester", "R2"))
        assert pg.psql(f"select count(*) from entity_external_ids where entity_id = '{partner}'"
                       ).strip() == "2"
        # the upsert target Sophie Hub uses still holds
        with pytest.raises(subprocess.CalledProcessError):
            pg.psql(insert.format("staff", uuid.uuid4(), "suptask_user", "U1"))
        # existing 1:1 sources are untouched
        pg.psql(insert.format("staff", staff, "slack_user", "S1"))
        with pytest.raises(subprocess.CalledProcessError):
            pg.psql(insert.format("staff", staff, "slack_user", "S2"))
        pg.psql("insert into suptask_sync_state (resource, watermark, lease_owner, "
                "lease_expires_at) values ('tickets', now(), 'run-1', now() + interval '5 min')")


def test_the_gate_check_fails_a_migration_that_does_not_enforce_one_to_one() -> None:
    sql = render_migration(intake()).replace("create unique index", "create index")
    check = postgres_check(sql, intake())
    assert check.status == "failed"
    assert check.failures == ["suptask_user is 1:1 but a second link was accepted"]
    assert postgres_check(render_migration(intake()), intake()).status == "passed"
