"""`cf new --target sophiehub-rollout` end to end: the shipped intake without a checkout, and
the review gate against the fixture Sophie Hub checkout (its schema, sources, env reads,
routes and playbook)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from connector_factory.testing.fake_messages_api import FakeMessagesAPI, Reply, text, tool_use

from .conftest import RunCf, git_commit

PLAN = "src/docs/SUPTASK-ROLLOUT-PLAN.md"
DOCS = "src/docs/connectors/suptask"
ZOHO = """connector: zoho
display_name: Zoho CRM
links:
  - external_field: Zoho contact id
    source: zoho_contact
    entity: partners
    key: partners.client_email
    cardinality: "1:N"
  - external_field: Zoho user id
    source: zoho_user
    entity: staff
    key: staff.email
    cardinality: "1:1"
urgent_phase: sync
limits: {rate_limit: 100 requests per minute, retention: full history, scopes: [ZohoCRM.modules.READ]}
success: every partner's Zoho contacts are linked within two weeks
auth_model: OAuth2 self client
scale: 5,000 contacts
env: [ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET]
api_routes: [POST /api/zoho/sync]
"""


def checks(project: Path, step: str) -> dict[str, dict[str, object]]:
    """The checks ``step`` recorded in the project state, by name (the terminal output wraps
    long lines, the state does not)."""
    path = project / ".cf" / "state.json"
    state = json.loads((path if path.is_file() else project / "state.json").read_text())
    return {c["name"]: c for c in state["steps"][step]["checks"]}


def _intake(tmp_path: Path, text: str, name: str = "intake.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_shipped_intake_without_a_checkout(run_cf: RunCf, example_intake: Path,
                                           tmp_path: Path) -> None:
    result = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake",
                    str(example_intake), "--out", str(tmp_path), "--yes")
    project = tmp_path / "suptask"
    plan = (project / PLAN).read_text()
    for heading in ("# SupTask connector — rollout plan", "## A) Business goal",
                    "## C) Linking points", "### Phase 2: Sync engine", "### Wave 4",
                    "## J) Open questions and assumptions"):
        assert heading in plan.splitlines(), heading
    assert "```mermaid\nflowchart LR" in plan
    migration = next((project / "supabase" / "migrations").glob("*_suptask_external_ids.sql"))
    assert "where source = 'suptask_user'" in migration.read_text()
    assert "alter table suptask_sync_state enable row level security;" in migration.read_text()
    assert "migration on PostgreSQL: passed" in result.output
    assert "row-level security as anon: passed" in result.output
    assert "checkout npm checks: skipped" in result.output
    assert "no Sophie Hub checkout (--repo)" in plan
    state = json.loads((project / ".cf" / "state.json").read_text())
    assert state["steps"]["test_gate"]["status"] == "completed"
    assert (project / DOCS / "00-context.md").is_file()


def test_missing_answers_become_listed_assumptions(run_cf: RunCf, tmp_path: Path) -> None:
    intake = _intake(tmp_path, "links:\n  - external_field: SupTask user id\n"
                               "    source: suptask_user\n    entity: staff\n")
    run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake", intake,
           "--out", str(tmp_path), "--yes")
    plan = (tmp_path / "suptask" / PLAN).read_text()
    section_j = plan.split("## J) Open questions and assumptions")[1]
    for question in ("Is `suptask_user` 1:1 or 1:N per staff?", "Which phase is most urgent?",
                     "What are the source plan's limits?",
                     "What is success in the first 2–4 weeks?"):
        assert f": {question}" in section_j, question


def test_suptask_into_the_checkout(run_cf: RunCf, example_intake: Path, checkout: Path) -> None:
    # the checkout's hand-written plan is never overwritten: the new one goes beside it
    first = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake",
                   str(example_intake), "--repo", str(checkout), "--yes", expect=1)
    assert "src/docs/SUPTASK-ROLLOUT-PLAN.md" in first.output and ".cf-new" in first.output
    assert "Hand-written before any rollout" in (checkout / PLAN).read_text()
    (checkout / f"{PLAN}.cf-new").replace(checkout / PLAN)  # the person takes the new plan
    result = run_cf("resume", "--project", str(checkout), "--yes", expect=1)
    plan = (checkout / PLAN).read_text()
    lines = plan.splitlines()
    # the checkout's template, verbatim
    for heading in ("# SupTask Connector Rollout Plan", "## A) Business Goal",
                    "## C) Linking Points (Identity Graph)", "### Phase 1: Connection + Mapping",
                    "## H) Manual Setup Handoff (Owner Actions)", "## I) Operational Go/No-Go",
                    "## J) Open Questions and Assumptions", "### Wave 3"):
        assert any(line.startswith(heading) for line in lines), heading
    assert "- Data pull mode: incremental / snapshot / hybrid" in lines
    assert "| Mapping Purpose | source | External ID | Internal Entity | Cardinality | " \
           "Enforced In |" in lines
    assert "- [ ] Auth and connection test pass" in lines
    assert "  - [ ] No layout shift when content loads. — evidence: ui-ops review of the " \
           "mapping UI" in lines
    # open questions even though the intake answered all five
    section_j = plan.split("## J) Open Questions and Assumptions")[1]
    assert "- Q1: " in section_j and "- Assumptions made:" in section_j
    assert "follows the policies of `slack_clickup_sync_state`" in section_j
    # what the checkout already has of SupTask is named, and kept
    assert "already has the connector module src/lib/connectors/suptask.ts" in section_j
    assert "its tables already exist and are kept: suptask_sync_runs, suptask_tickets" in section_j
    assert "POST /api/suptask/sync, GET /api/suptask/sync/status" in section_j
    # what the checkout has is not "to build"; the connector's env vars are in the handoff
    assert ("Still to build (not yet in the checkout): env SUPTASK_WORKSPACE_ID, "
            "route /api/suptask/mappings.") in plan
    handoff = (checkout / DOCS / "SETUP-HANDOFF.md").read_text()
    for var in ("SUPTASK_API_BASE_URL", "SUPTASK_API_AUTH_SCHEME", "SUPTASK_API_TOKEN"):
        assert f"`{var}` | src/lib/" in handoff, var
    prompt = (checkout / DOCS / "claude-agent-team-prompt.md").read_text()
    assert prompt.startswith("Use the connector-rollout-playbook workflow for Sophie Hub.")
    assert "- Scale estimate: assumed small" in prompt and "{" not in prompt
    # the gate: the checkout's own chain, the new migration twice, RLS as anon
    assert "checkout migrations on PostgreSQL: passed" in result.output
    assert "migration on PostgreSQL: passed" in result.output
    assert "row-level security as anon: passed" in result.output
    assert str(checks(checkout, "validate")["plan headings from the playbook template"][
        "message"]).startswith("17 of 17 verbatim")
    # no node_modules: blocked, and a blocked check stops the gate
    assert "checkout npm checks: blocked" in result.output
    state = json.loads((checkout / ".cf" / "state.json").read_text())
    assert state["steps"]["test_gate"]["status"] == "failed"
    assert state["steps"]["document"]["status"] == "pending"

    # a person drops a connector env var from the handoff: validate names it
    (checkout / DOCS / "SETUP-HANDOFF.md").write_text(
        handoff.replace("SUPTASK_API_AUTH_SCHEME", "SCHEME"))
    run_cf("validate", "--project", str(checkout), "--yes", expect=1)
    assert checks(checkout, "validate")["handoff lists the connector's env vars"]["failures"] == [
        "SUPTASK_API_AUTH_SCHEME is read by src/lib/suptask/client.ts:18 but the handoff does "
        "not list it"]


def test_every_existing_source_is_refused_unless_reused(run_cf: RunCf, tmp_path: Path,
                                                        checkout: Path) -> None:
    for source, where in (("slack_channel", "src/app/api/slack/"),
                          ("slack_partner_contact", "src/app/api/slack/"),
                          ("google_workspace_alias", "src/app/api/google-workspace/"),
                          ("slack_user", "supabase/migrations/"),
                          ("google_workspace_user", "supabase/migrations/"),
                          ("bigquery", "supabase/migrations/")):
        intake = _intake(tmp_path, f"links:\n  - external_field: id\n    source: {source}\n"
                                   "    entity: partners\n")
        result = run_cf("new", "--target", "sophiehub-rollout", "acme", "--intake", intake,
                        "--repo", str(checkout), "--yes", expect=2)
        assert f"links.0.source: {source!r} already exists in the checkout ({where}" \
            in " ".join(result.output.split()), source
        assert "set `reuse: true`" in result.output
        assert not list((checkout / "supabase" / "migrations").glob("*_acme_*"))
        shutil.rmtree(checkout / ".cf")
    # reused: accepted as the checkout has it (1:1 from its index), no index of its own
    intake = _intake(tmp_path, "links:\n  - external_field: Slack id\n    source: slack_user\n"
                               "    entity: staff\n    reuse: true\n")
    result = run_cf("new", "--target", "sophiehub-rollout", "acme", "--intake", intake,
                    "--repo", str(checkout), "--yes", expect=1)  # blocked: no node_modules
    assert "slack_user 1:1 (reused)" in result.output
    assert "new source values: passed — slack_user (reused)" in result.output
    sql = next((checkout / "supabase" / "migrations").glob("*_acme_external_ids.sql")).read_text()
    assert "slack_user already exists in the checkout" in sql
    assert "where source = 'slack_user'" not in sql
    # asking another cardinality of a reused source is refused with both
    shutil.rmtree(checkout / ".cf")
    wrong = _intake(tmp_path, "links:\n  - external_field: Slack id\n    source: slack_user\n"
                              "    entity: staff\n    reuse: true\n    cardinality: '1:N'\n",
                    "wrong.yaml")
    result = run_cf("new", "--target", "sophiehub-rollout", "acme2", "--intake", wrong,
                    "--repo", str(checkout), "--yes", expect=2)
    assert ("reused source 'slack_user' is 1:1 in the checkout (index "
            "idx_entity_external_ids_one_to_one_sources), the intake says 1:N") in \
        " ".join(result.output.split())


def test_a_source_only_in_comments_is_new_and_a_missing_key_is_an_error(
        run_cf: RunCf, tmp_path: Path, checkout: Path) -> None:
    bad = _intake(tmp_path, ZOHO.replace("partners.client_email", "partners.zoho_id"), "bad.yaml")
    result = run_cf("new", "--target", "sophiehub-rollout", "zoho", "--intake", bad,
                    "--repo", str(checkout), "--yes", expect=2)
    assert ("links.0.key: partners.zoho_id does not exist in the checkout's schema (partners "
            "has no column 'zoho_id')") in " ".join(result.output.split())
    assert not (checkout / "src" / "docs" / "connectors" / "zoho" / "intake.yaml").exists()
    shutil.rmtree(checkout / ".cf")
    zoho = _intake(tmp_path, ZOHO.replace("zoho_contact", "zoho"), "zoho.yaml")
    result = run_cf("new", "--target", "sophiehub-rollout", "zoho", "--intake", zoho,
                    "--repo", str(checkout), "--yes", expect=1)  # blocked: no node_modules
    assert checks(checkout, "validate")["new source values"]["status"] == "passed"


def test_an_existing_sync_table_is_extended(run_cf: RunCf, tmp_path: Path,
                                            checkout: Path) -> None:
    intake = _intake(tmp_path, "links:\n  - external_field: ClickUp user\n"
                               "    source: clickup_user\n    entity: staff\n"
                               "    cardinality: '1:1'\n")
    result = run_cf("new", "--target", "sophiehub-rollout", "slack_clickup", "--intake", intake,
                    "--repo", str(checkout), "--yes", expect=1)
    state = json.loads((checkout / ".cf" / "state.json").read_text())
    assert "sync table slack_clickup_sync_state: extend (+7 columns)" in state["steps"][
        "plan"]["summary"]
    sql = next((checkout / "supabase" / "migrations").glob("*_slack_clickup_external_ids.sql")
               ).read_text()
    assert "alter table slack_clickup_sync_state add column if not exists lease_owner text;" \
        in sql
    assert "comment on table" not in sql
    assert "row-level security as anon: passed" in result.output


def test_npm_checks_compare_with_the_unmodified_branch(run_cf: RunCf, example_intake: Path,
                                                       node_checkout: Path) -> None:
    (node_checkout / PLAN).unlink()  # no hand-written plan in this one
    # already on the branch: a type error (tsc and the build fail there) and a lint error
    status = node_checkout / "src" / "app" / "api" / "suptask" / "sync" / "status" / "route.ts"
    status.write_text("const stale: number = 'broken on staging'\nconsole.log(stale)\n"
                      + status.read_text())
    git_commit(node_checkout, "staging with a type error and a lint error")
    # the rollout's working tree adds one more lint error
    client = node_checkout / "src" / "lib" / "suptask" / "client.ts"
    client.write_text(client.read_text() + "console.log('new on this branch')\n")
    result = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake",
                    str(example_intake), "--repo", str(node_checkout), "--yes", expect=1)
    gate = checks(node_checkout, "test_gate")
    for name in ("npx tsc --noEmit", "npm run build"):
        assert gate[name]["status"] == "passed", name
        assert str(gate[name]["message"]).startswith("exit 2, as on the unmodified branch "
                                                     "(exit 2); no new error lines"), name
    assert gate["npm test"]["message"] == "exit 0"
    lint = gate["npm run lint"]
    assert lint["status"] == "failed" and lint["message"] == \
        "exit 1; the unmodified branch: exit 1"
    assert lint["failures"] == ["error: console.log in src/lib/suptask/client.ts:32"]
    assert "npm run lint: failed" in result.output
    assert (node_checkout / "dist" / "app" / "api" / "suptask" / "sync" / "route.js").is_file()
    state = json.loads((node_checkout / ".cf" / "state.json").read_text())
    assert state["steps"]["test_gate"]["status"] == "failed"
    changed = subprocess.run(["git", "-C", str(node_checkout), "status", "--porcelain"],
                             capture_output=True, text=True).stdout
    assert "supabase/migrations/" in changed  # the rollout's files stay uncommitted


def test_a_bad_intake_is_a_one_line_error(run_cf: RunCf, tmp_path: Path) -> None:
    intake = _intake(tmp_path, "links:\n  - external_field: x\n    source: X Y\n"
                               "    entity: staff\n")
    result = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake", intake,
                    "--out", str(tmp_path), "--yes", expect=2)
    assert "links.0.source" in result.output and "Traceback" not in result.output


def test_two_rollouts_live_in_one_checkout(run_cf: RunCf, example_intake: Path, tmp_path: Path,
                                           checkout: Path) -> None:
    (checkout / PLAN).unlink()
    skip = ("--why", "no node_modules in the fixture checkout")
    run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake", str(example_intake),
           "--repo", str(checkout), "--yes", expect=1)  # stops at the blocked npm check
    zoho = _intake(tmp_path, ZOHO)
    second = run_cf("new", "--target", "sophiehub-rollout", "zoho", "--intake", zoho,
                    "--repo", str(checkout), "--yes", expect=1)
    zoho_project = checkout / ".cf" / "projects" / "zoho"
    assert f"project: {zoho_project}" in second.output
    first_state = json.loads((checkout / ".cf" / "state.json").read_text())
    zoho_state = json.loads((zoho_project / "state.json").read_text())
    assert (first_state["name"], zoho_state["name"]) == ("suptask", "zoho")
    migrations = sorted(p.name for p in (checkout / "supabase" / "migrations").glob("2026120*"))
    assert migrations == ["2026120101_suptask_external_ids.sql",
                          "2026120102_zoho_external_ids.sql"]
    # the second rollout's gate ran on a schema that already has the first one's migration
    assert checks(zoho_project, "test_gate")["migration on PostgreSQL"]["status"] == "passed"
    # each project goes on by itself: skip the blocked check in one, the other stays blocked
    run_cf("skip", "checkout npm checks", *skip, "--project", str(zoho_project))
    run_cf("resume", "--project", str(zoho_project), "--yes")
    assert (checkout / "src" / "docs" / "connectors" / "zoho" / "00-context.md").is_file()
    assert not (checkout / DOCS / "00-context.md").exists()
    status = run_cf("status", "--project", str(checkout))
    assert "suptask" in status.output
    # re-running either one resumes it, nothing is refused
    again = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake",
                   str(example_intake), "--repo", str(checkout), "--yes", expect=1)
    assert "already holds" not in again.output


def test_the_review_loop_uses_the_skills_file_names(run_cf: RunCf, tmp_path: Path,
                                                    checkout: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    run_cf("new", "--target", "sophiehub-rollout", "zoho", "--intake", _intake(tmp_path, ZOHO),
           "--repo", str(checkout), "--yes", expect=1)  # blocked: no node_modules
    run_cf("skip", "checkout npm checks", "--why", "no node_modules in the fixture checkout",
           "--project", str(checkout))
    folder = "src/docs/connectors/zoho"
    names = ["01-codex-proposal.md", "02-claude-agent-plan.md", "03-codex-review.md",
             "04-claude-revision.md", "FINAL-APPROVED-PLAN.md"]
    turns = [Reply([tool_use("write_file", path=f"{folder}/{n}",
                             content=f"# {n}\n\n2026-12-01, Claude: round {i}.\n")])
             for i, n in enumerate(names)] + [Reply([text("The loop is written.")])]
    with FakeMessagesAPI(turns) as api:
        for key, value in api.cli_env("sk-ant-test-1").items():
            monkeypatch.setenv(key, value)
        result = run_cf("resume", "--project", str(checkout), "--yes")
        task = json.dumps(api.message_requests[0].body)
    context = (checkout / folder / "00-context.md").read_text()
    assert ("The review loop writes, in order: " + ", ".join(names)) in context
    assert all(f"{folder}/{n}" in task for n in names)
    assert "review loop written" in result.output
    for name in names:
        assert (checkout / folder / name).is_file(), name
