"""Reading the fixture Sophie Hub checkout from its files: sources, env reads, routes, the
connector's env, the playbook, and migration names that sort after the checkout's."""

from __future__ import annotations

from pathlib import Path

from cf_sophiehub_rollout.checkout import (
    code_sources,
    connector_env,
    env_reads,
    read_checkout,
    routes,
    sql_sources,
)
from cf_sophiehub_rollout.migration import migration_name
from cf_sophiehub_rollout.playbook import fill_prompt, load_playbook

from .conftest import FIXTURE

#: The sources the real checkout's migrations and code use (issue 14).
REAL_SOURCES = {"bigquery", "slack_user", "google_workspace_user", "slack_channel",
                "slack_partner_contact", "google_workspace_alias"}


def test_every_source_is_found_and_comments_are_not_sources() -> None:
    facts = read_checkout(FIXTURE)
    assert set(facts.sources) >= REAL_SOURCES
    for only_in_comments in ("zoho", "zoho_legacy", "closeio", "forms"):
        assert only_in_comments not in facts.sources
    where = {str(w) for w in facts.sources["slack_channel"]}
    assert "src/app/api/slack/mappings/channels/route.ts:9" in where
    where = {str(w) for w in facts.sources["google_workspace_user"]}
    gws = "supabase/migrations/20260207_google_workspace_connector.sql"
    assert {f"{gws}:10", f"{gws}:20"} <= where and f"{gws}:1" not in where


def test_sql_sources_reads_statements_not_comments() -> None:
    sql = ("-- source = 'in_a_comment'\n/* source in ('block') */\n"
           "insert into entity_external_ids (entity_type, entity_id, source, external_id)\n"
           "values ('staff', gen_random_uuid(), 'inserted', 'x');\n"
           "create index i on entity_external_ids (source) where source = 'indexed';\n"
           "alter table other add constraint c check (source in ('other_table'));\n"
           "select 'source = ''quoted''' from entity_external_ids;\n")
    assert sql_sources(sql) == {"inserted": [3], "indexed": [5]}


def test_code_sources_need_the_table_and_skip_comments() -> None:
    text = ("// source: 'commented'\nconst q = db.from('entity_external_ids')"
            ".eq('source', 'eq_value')\nconst row = { source: 'upserted' }\n")
    assert code_sources(text) == {"eq_value": [2], "upserted": [3]}
    assert code_sources("const row = { source: 'unrelated' }") == {}


def test_env_reads_in_every_form() -> None:
    reads = env_reads(FIXTURE)
    for name in ("SUPTASK_API_BASE_URL", "SUPTASK_API_TOKEN", "SUPTASK_API_AUTH_SCHEME",
                 "SLACK_BOT_TOKEN", "NEXTAUTH_URL"):  # process.env.X
        assert name in reads, name
    assert "SLACK_CLICKUP_SCAN_CHANNEL_ID" in reads  # requireEnv(name) -> process.env[name]
    assert "SLACK_CLICKUP_SUMMARY_CHANNEL_ID" in reads  # optionalEnv(name, fallback)
    assert "BIGQUERY_REFERENCE_SHEET_ID" in reads  # process.env[CONST]
    assert "BIGQUERY_REFERENCE_SHEET_TAB_NAME" in reads  # process.env['X']
    assert {"CRON_SECRET", "NODE_ENV"} <= set(reads)  # const { X, Y: y } = process.env
    assert {"VERCEL", "NEXT_PUBLIC_APP_URL"} <= set(reads)  # next.config.mjs
    assert "SUPTASK_TEST_ONLY_TOKEN" not in reads  # a test setting a variable is no read
    assert [str(w) for w in reads["VERCEL"]] == ["next.config.mjs:6"]


def test_routes_with_methods() -> None:
    found = routes(FIXTURE)
    assert found["/api/auth/[...nextauth]"] == {"GET", "POST"}
    assert found["/api/slack/mappings/channels"] == {"GET", "POST", "DELETE"}
    assert found["/api/suptask/sync"] == {"POST"}
    assert found["/api/suptask/sync/status"] == {"GET"}


def test_the_connectors_own_code_requires_its_env_vars() -> None:
    assert set(connector_env(FIXTURE, "suptask")) == {
        "SUPTASK_API_BASE_URL", "SUPTASK_API_TOKEN", "SUPTASK_API_AUTH_SCHEME"}
    assert "SLACK_BOT_TOKEN" in connector_env(FIXTURE, "slack")
    # code named after the connector anywhere under src/lib counts (an automation, here)
    assert set(connector_env(FIXTURE, "slack_clickup")) == {
        "SLACK_CLICKUP_SCAN_CHANNEL_ID", "SLACK_CLICKUP_SUMMARY_CHANNEL_ID"}
    assert read_checkout(FIXTURE).connectors == ["slack", "suptask"]


def test_the_checkouts_playbook_is_used_verbatim() -> None:
    book = load_playbook(FIXTURE)
    assert "the checkout's skills/connector-rollout-playbook/SKILL.md" in book.origin
    assert book.title == "# {ConnectorName} Connector Rollout Plan"
    assert "## C) Linking Points (Identity Graph)" in book.headings()
    assert "### Phase 1: Connection + Mapping" in book.headings()
    assert len(book.required_outputs) == 7
    assert book.required_outputs[2] == "Phase validation checklist with pass/fail evidence."
    assert book.loop_files == ["00-context.md", "01-codex-proposal.md",
                               "02-claude-agent-plan.md", "03-codex-review.md",
                               "04-claude-revision.md", "FINAL-APPROVED-PLAN.md"]
    assert book.ui_checks[0] == "No layout shift when content loads."
    text, missing = fill_prompt(book.prompt, {"CONNECTOR": "SupTask"})
    assert "- Connector name: SupTask" in text and "{" not in text
    assert missing == ["GOAL", "LINKS", "CARDINALITY", "SCALE", "PRIORITY"]


def test_without_a_playbook_the_shipped_one_is_used(tmp_path: Path) -> None:
    book = load_playbook(tmp_path)
    assert book.origin == "the shipped playbook"
    assert book.loop_files[0] == "00-context.md" and len(book.required_outputs) == 7


def test_migration_names_sort_after_every_existing_one() -> None:
    existing = ["20260114_initial.sql", "2026022101_a.sql", "20260221_slack_clickup.sql"]
    # the planning day already holds a YYYYMMDD_ file: YYYYMMDDNN_ would sort before it
    name = migration_name("suptask", "2026-02-21T09:00:00+00:00", existing)
    assert name == "2026022201_suptask_external_ids.sql"
    assert all(name > e for e in existing)
    # a later day: the first number of that day
    assert migration_name("suptask", "2026-12-01T00:00:00+00:00", existing) == \
        "2026120101_suptask_external_ids.sql"
    # a planning day before the last migration moves to the last migration's day (or after)
    name = migration_name("zoho", "2026-01-01T00:00:00+00:00",
                          ["2026030101_x.sql", "2026030102_y.sql"])
    assert name == "2026030103_zoho_external_ids.sql"
    # its own file is kept on a re-run, even once others sort after it
    kept = ["2026120101_suptask_external_ids.sql", "2026120102_zoho_external_ids.sql"]
    assert migration_name("suptask", "2026-12-01", kept) == kept[0]
