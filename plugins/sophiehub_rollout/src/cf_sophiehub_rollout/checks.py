"""The review gate of a rollout plan, automated.

validate (static, against the checkout): the migration's name and that it sorts after every
other migration; new ``source`` values that clash with ones the checkout uses (files, not
comments); row-level security on every table the migration creates; env vars the handoff names
but no code reads (each must be listed as still to build); env vars the connector's code reads
that the handoff leaves out; API routes (with methods) the plan names but the checkout lacks;
migrations the plan names that do not exist; the plan against the playbook (every template
heading verbatim, the skill's required outputs). test_gate (executed, :mod:`.gate`): the
checkout's own migrations, then the rollout's twice, on a real PostgreSQL, with probes; the
checkout's ``npm`` checks against a baseline of the unmodified branch.
"""

from __future__ import annotations

import re
from pathlib import Path

from connector_factory.models import CheckResult

from cf_sophiehub_rollout.checkout import (
    MIGRATIONS_DIR,
    checkout_sources,
    env_reads,
    existing_migrations,
    routes,
    strip_sql_comments,
)
from cf_sophiehub_rollout.intake import Intake
from cf_sophiehub_rollout.migration import MIGRATION_NAME
from cf_sophiehub_rollout.playbook import Playbook


def _check(name: str, failures: list[str], message: str) -> CheckResult:
    return CheckResult(name=name, status="failed" if failures else "passed", message=message,
                       failures=failures)


def split_route(route: str) -> tuple[str | None, str]:
    """``"POST /api/x"`` -> ``("POST", "/api/x")``; ``"/api/x"`` -> ``(None, "/api/x")``."""
    parts = route.split()
    return (parts[0].upper(), parts[1]) if len(parts) == 2 else (None, route.strip())


def missing_in_checkout(checkout: Path, intake: Intake) -> list[str]:
    """Env vars not read and API routes (or their methods) not present: what the plan must
    list as still to build."""
    reads = env_reads(checkout)
    have = routes(checkout)
    missing = [f"env {var}" for var in intake.env if var not in reads]
    for route in intake.api_routes:
        method, path = split_route(route)
        if path not in have or (method is not None and method not in have[path]):
            missing.append(f"route {route}")
    return missing


def _to_build(plan_text: str) -> set[str]:
    match = re.search(r"^Still to build \(not yet in the checkout\): (.*)\.$", plan_text,
                      re.MULTILINE)
    return {item.strip() for item in match.group(1).split(",")} if match else set()


def created_tables(sql: str) -> list[str]:
    """Tables a migration creates (``create table [if not exists] name``), comments ignored."""
    return re.findall(r"create\s+table\s+(?:if\s+not\s+exists\s+)?(?:public\.)?([a-z_][a-z0-9_]*)",
                      strip_sql_comments(sql), re.I)


def rls_check(sql: str) -> CheckResult:
    """Every table the migration creates has row-level security enabled and a policy."""
    clean = strip_sql_comments(sql).lower()
    failures = []
    tables = created_tables(sql)
    for table in tables:
        if not re.search(rf"alter\s+table\s+{table}\s+enable\s+row\s+level\s+security", clean):
            failures.append(f"{table} is created without `enable row level security`")
        elif not re.search(rf"create\s+policy\s+\w+\s+on\s+{table}\b", clean):
            failures.append(f"{table} has row-level security but no policy")
    return _check("row-level security on new tables", failures,
                  ", ".join(tables) or "no new tables")


def playbook_checks(playbook: Playbook, plan_text: str, name: str, display: str,
                    docs_dir: Path) -> list[CheckResult]:
    """The plan against the playbook: headings verbatim; required outputs 1–6 (7, the loop
    files, is the document step's)."""
    lines = set(plan_text.splitlines())
    headings = [h.replace("{ConnectorName}", display) for h in playbook.headings()]
    wave_form = re.compile(r"^### Wave \d+$")
    absent = [h for h in headings if h not in lines and not any(
        line.startswith(h) for line in lines)]
    if any(wave_form.match(h) for h in headings):
        absent = [h for h in absent if not wave_form.match(h)] + (
            [] if any(wave_form.match(line) for line in lines) else ["### Wave 1"])
    checks = [_check("plan headings from the playbook template",
                     [f"heading missing: {h}" for h in absent],
                     f"{len(headings) - len(absent)} of {len(headings)} verbatim "
                     f"({playbook.origin})")]
    evidence = re.findall(r"^  - \[ \] .+ — evidence: .+$", plan_text, re.M)
    prompt = docs_dir / "claude-agent-team-prompt.md"
    met = {
        1: not absent,
        2: bool(re.search(r"^### Wave 2", plan_text, re.M)) and "depends on" in plan_text,
        3: len(evidence) >= 4,
        4: (docs_dir / "SETUP-HANDOFF.md").is_file() and "smoke" in plan_text.lower(),
        5: prompt.is_file() and "{" not in re.sub(r"`[^`]*`", "", prompt.read_text(
            encoding="utf-8")),
        6: ("UI is not in scope" in plan_text
            or all(c in plan_text for c in playbook.ui_checks)),
    }
    failures = [f"required output {i} not met: {text}"
                for i, text in enumerate(playbook.required_outputs, 1) if met.get(i) is False]
    later = [f"{i}. {text}" for i, text in enumerate(playbook.required_outputs, 1)
             if i not in met]
    checks.append(_check("playbook required outputs", failures,
                         f"{sum(1 for i in met if met[i])} of {len(met)} met here"
                         + (f"; at the document step: {'; '.join(later)}" if later else "")))
    return checks


def validate_checks(checkout: Path, intake: Intake, migration: str, plan_text: str,
                    connector_env: dict[str, str], handoff_text: str,
                    playbook: Playbook) -> list[CheckResult]:
    """The static checks (see the module doc)."""
    others = [m for m in existing_migrations(checkout) if m != migration]
    name_failures = [] if MIGRATION_NAME.match(migration) else [
        f"{migration} does not follow YYYYMMDD_slug.sql or YYYYMMDDNN_slug.sql"]
    name_failures += [f"{migration} sorts before {m}, which the checkout already has"
                      for m in others if m > migration][:3]
    checks = [_check("migration name", name_failures, migration)]
    sources = checkout_sources(checkout, skip=(migration,))
    clashes = [f"source {link.source!r} already exists in the checkout "
               f"({', '.join(str(w) for w in sources[link.source][:2])}) and the intake does not "
               "say `reuse: true`" for link in intake.links
               if link.source in sources and not link.reuse]
    clashes += [f"source {link.source!r} is marked `reuse: true` but the checkout does not have "
                "it" for link in intake.links if link.reuse and link.source not in sources]
    checks.append(_check("new source values", clashes,
                         ", ".join(link.source + (" (reused)" if link.reuse else "")
                                   for link in intake.links)))
    path = checkout / MIGRATIONS_DIR / migration
    if path.is_file():
        checks.append(rls_check(path.read_text(encoding="utf-8")))
    listed = _to_build(plan_text)
    missing_all = missing_in_checkout(checkout, intake)
    for kind, label in (("env", "env vars read by the code"), ("route", "API routes exist")):
        missing = [m for m in missing_all if m.startswith(kind + " ")]
        checks.append(_check(label, [f"{m} is neither in the checkout nor listed as still to "
                                     "build" for m in missing if m not in listed],
                             f"still to build: {', '.join(missing)}" if missing
                             else "all present"))
    absent = [var for var in connector_env if f"`{var}`" not in handoff_text]
    checks.append(_check("handoff lists the connector's env vars",
                         [f"{var} is read by {connector_env[var]} but the handoff does not list "
                          "it" for var in absent],
                         ", ".join(sorted(connector_env)) or "the checkout has no code for it"))
    named = sorted(set(re.findall(r"supabase/migrations/([A-Za-z0-9_.-]+\.sql)", plan_text)))
    folder = checkout / MIGRATIONS_DIR
    checks.append(_check("migrations named exist",
                         [f"supabase/migrations/{n} does not exist" for n in named
                          if not (folder / n).is_file()], ", ".join(named)))
    checks += playbook_checks(playbook, plan_text, intake.connector, intake.display_name,
                              checkout / "src" / "docs" / "connectors" / intake.connector)
    return checks
