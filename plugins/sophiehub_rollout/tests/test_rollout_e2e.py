"""`cf new --target sophiehub-rollout` end to end: the shipped intake, a missing-answer intake,
and the review gate against a small fixture checkout."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import RunCf

PLAN = "src/docs/SUPTASK-ROLLOUT-PLAN.md"
DOCS = "src/docs/connectors/suptask"


def test_shipped_intake_end_to_end(run_cf: RunCf, example_intake: Path, tmp_path: Path) -> None:
    result = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake",
                    str(example_intake), "--out", str(tmp_path), "--yes", expect=1)
    project = tmp_path / "suptask"
    # a blocked check stops the gate (core: "blocked" is the same in every target) until it is
    # skipped with a reason
    assert 'cf skip "checkout npm checks" --why' in result.output
    run_cf("skip", "checkout npm checks", "--why", "the fixture has no node_modules",
           "--project", str(project))
    output = result.output + run_cf("resume", "--project", str(project), "--yes").output
    plan = (project / PLAN).read_text()
    for section in ("## A) Business goal", "## B) Source model", "## C) Linking points",
                    "## D) Mapping rules and cardinality", "## E) Delivery phases",
                    "## F) Agent-team plan", "## G) Risks and mitigations",
                    "## H) Manual setup handoff", "## I) Operational go/no-go checklist",
                    "## J) Open questions and assumptions"):
        assert section in plan, section
    assert "```mermaid\nflowchart LR" in plan
    assert "resume from watermark" in plan and "pagination cap" in plan
    migrations = list((project / "supabase" / "migrations").glob("*_suptask_external_ids.sql"))
    assert len(migrations) == 1
    assert "where source = 'suptask_user'" in migrations[0].read_text()
    assert "suptask_requester" in migrations[0].read_text()
    handoff = (project / DOCS / "SETUP-HANDOFF.md").read_text()
    assert "`SUPTASK_API_TOKEN`" in handoff and "`.env.local`" in handoff
    for agent in ("schema-sync", "api-integration", "analytics", "ui-ops"):
        assert (project / DOCS / "agents" / f"{agent}.md").is_file()
    assert "migration on PostgreSQL: passed" in output
    assert "checkout npm checks: blocked" in output
    assert "needs Claude" in output
    state = json.loads((project / ".cf" / "state.json").read_text())
    assert state["steps"]["test_gate"]["status"] == "completed"
    status = run_cf("status", "--project", str(project))
    assert "document" in status.output


def test_missing_answers_become_listed_assumptions(run_cf: RunCf, tmp_path: Path) -> None:
    intake = tmp_path / "thin.yaml"
    intake.write_text("links:\n  - external_field: SupTask user id\n    source: suptask_user\n"
                      "    entity: staff\n")
    run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake", str(intake),
           "--out", str(tmp_path), "--yes", expect=1)  # blocked: no node_modules
    plan = (tmp_path / "suptask" / PLAN).read_text()
    section_j = plan.split("## J) Open questions and assumptions")[1]
    for question in ("Is `suptask_user` 1:1 or 1:N per staff?", "Which phase is most urgent?",
                     "What are the source plan's limits?",
                     "What is success in the first 2–4 weeks?"):
        assert question in section_j, question
    assert "Open questions: 4" in plan


def test_gate_against_a_checkout(run_cf: RunCf, example_intake: Path, checkout: Path) -> None:
    run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake", str(example_intake),
           "--repo", str(checkout), "--yes", expect=1)  # blocked: no node_modules
    plan = (checkout / PLAN).read_text()
    # what the checkout already has is not "to build"; what it lacks is
    assert ("Still to build (not yet in the checkout): env SUPTASK_WORKSPACE_ID, "
            "route /api/suptask/mappings.") in plan
    # a person deletes the to-build line: the gate names what is neither there nor listed
    (checkout / PLAN).write_text(plan.replace("Still to build", "Later"))
    failed = run_cf("validate", "--project", str(checkout), "--yes", expect=1)
    assert "env SUPTASK_WORKSPACE_ID is neither in the checkout" in failed.output


def test_a_clashing_source_fails_the_gate(run_cf: RunCf, tmp_path: Path,
                                          checkout: Path) -> None:
    intake = tmp_path / "clash.yaml"
    intake.write_text("links:\n  - external_field: Slack id\n    source: slack_user\n"
                      "    entity: staff\n    cardinality: '1:1'\n")
    result = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake", str(intake),
                    "--repo", str(checkout), "--yes", expect=1)
    assert "source 'slack_user' is already used by Sophie Hub" in result.output


def test_a_bad_intake_is_a_one_line_error(run_cf: RunCf, tmp_path: Path) -> None:
    intake = tmp_path / "bad.yaml"
    intake.write_text("links:\n  - external_field: x\n    source: X Y\n    entity: staff\n")
    result = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake", str(intake),
                    "--out", str(tmp_path), "--yes", expect=2)
    assert "links.0.source" in result.output and "Traceback" not in result.output


def test_npm_checks_run_in_a_checkout_with_node_modules(run_cf: RunCf, example_intake: Path,
                                                        node_checkout: Path) -> None:
    result = run_cf("new", "--target", "sophiehub-rollout", "suptask", "--intake",
                    str(example_intake), "--repo", str(node_checkout), "--yes")
    for check in ("npm run lint", "npx tsc --noEmit", "npm test", "npm run build"):
        assert f"{check}: passed" in result.output, check
    assert (node_checkout / "dist" / "app" / "api" / "suptask" / "sync" / "route.js").is_file()

    # a type error in the checkout's code: tsc, lint and build fail, the gate stops
    route = node_checkout / "src" / "app" / "api" / "suptask" / "sync" / "route.ts"
    route.write_text(route.read_text().replace("const token = ", "const token: number = "))
    failed = run_cf("test-gate", "--project", str(node_checkout), "--yes", expect=1)
    assert "npx tsc --noEmit: failed" in failed.output
    assert "npm test: passed" in failed.output
    assert "error TS2322" in failed.output
    state = json.loads((node_checkout / ".cf" / "state.json").read_text())
    assert state["steps"]["test_gate"]["status"] == "failed"
    assert state["steps"]["document"]["status"] == "pending"
