"""The review gate of a rollout plan, automated.

validate (static, against the checkout): the migration's name, new ``source`` values that clash
with existing ones, env vars the handoff names but no code reads, API routes the plan names but
the checkout lacks (each must be listed as still to build), migrations the plan names that do
not exist. test_gate (executed): the migration on a real PostgreSQL against the
``entity_external_ids`` table as Sophie Hub has it — every 1:1 link rejects a second row for an
entity, every 1:N link accepts it, and a second run changes nothing; then the checkout's own
``npm`` checks where it has ``node_modules`` (blocked, never passed, where it has none).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from importlib import resources
from pathlib import Path

from connector_factory.models import CheckResult

from cf_sophiehub_rollout.intake import EXISTING_SOURCES, Intake
from cf_sophiehub_rollout.migration import MIGRATION_NAME, MIGRATIONS_DIR

CODE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs")
NPM_CHECKS = (("npm", "run", "lint"), ("npx", "tsc", "--noEmit"), ("npm", "test"),
              ("npm", "run", "build"))
#: Wall-time limit per npm check, in seconds (a Next.js build of a large app takes minutes).
NPM_TIMEOUT_S = 1800


def route_file(checkout: Path, route: str) -> Path:
    """Where Next.js keeps the handler of ``route``: ``/api/x/y`` ->
    ``src/app/api/x/y/route.ts``."""
    return checkout / "src" / "app" / route.strip("/") / "route.ts"


def env_reads(checkout: Path) -> set[str]:
    """Names read as ``process.env.NAME`` / ``process.env["NAME"]`` in the checkout's code."""
    found: set[str] = set()
    pattern = re.compile(r"process\.env(?:\.([A-Z0-9_]+)|\[\s*['\"]([A-Z0-9_]+)['\"]\s*\])")
    for folder in ("src", "lib", "app"):
        for path in (checkout / folder).rglob("*") if (checkout / folder).is_dir() else []:
            if path.suffix in CODE_SUFFIXES and "node_modules" not in path.parts:
                for match in pattern.finditer(path.read_text(encoding="utf-8", errors="replace")):
                    found.add(match.group(1) or match.group(2))
    return found


def missing_in_checkout(checkout: Path, intake: Intake) -> list[str]:
    """Env vars not read and API routes not present: what the plan must list as to build."""
    reads = env_reads(checkout)
    missing = [f"env {var}" for var in intake.env if var not in reads]
    missing += [f"route {route}" for route in intake.api_routes
                if not route_file(checkout, route).is_file()]
    return missing


def validate_checks(checkout: Path, intake: Intake, migration: str, plan_text: str
                    ) -> list[CheckResult]:
    """The static checks (see the module doc)."""
    checks = [CheckResult(
        name="migration name", status="passed" if MIGRATION_NAME.match(migration) else "failed",
        message=migration, failures=[] if MIGRATION_NAME.match(migration) else
        [f"{migration} does not follow YYYYMMDD_slug.sql or YYYYMMDDNN_slug.sql"])]
    clashes = [f"source {link.source!r} is already used by Sophie Hub" for link in intake.links
               if link.source in EXISTING_SOURCES]
    folder = checkout / MIGRATIONS_DIR
    for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
        if path.name == migration:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        clashes += [f"source {link.source!r} already appears in {path.name}"
                    for link in intake.links if f"'{link.source}'" in text]
    checks.append(CheckResult(name="new source values", status="failed" if clashes else "passed",
                              message=", ".join(link.source for link in intake.links),
                              failures=clashes))
    listed = _to_build(plan_text)
    for kind, label in (("env", "env vars read by the code"), ("route", "API routes exist")):
        missing = [m for m in missing_in_checkout(checkout, intake) if m.startswith(kind + " ")]
        unlisted = [m for m in missing if m not in listed]
        checks.append(CheckResult(
            name=label, status="failed" if unlisted else "passed",
            message=(f"still to build: {', '.join(missing)}" if missing else "all present"),
            failures=[f"{m} is neither in the checkout nor listed as still to build"
                      for m in unlisted]))
    named = sorted(set(re.findall(r"supabase/migrations/([A-Za-z0-9_.-]+\.sql)", plan_text)))
    absent = [n for n in named if not (folder / n).is_file()]
    checks.append(CheckResult(name="migrations named exist", status="failed" if absent else
                              "passed", message=", ".join(named),
                              failures=[f"supabase/migrations/{n} does not exist" for n in absent]))
    return checks


def _to_build(plan_text: str) -> set[str]:
    match = re.search(r"^Still to build \(not yet in the checkout\): (.*)\.$", plan_text,
                      re.MULTILINE)
    return {item.strip() for item in match.group(1).split(",")} if match else set()


def base_schema() -> str:
    """The ``entity_external_ids`` table as Sophie Hub has it (shipped SQL)."""
    return (resources.files("cf_sophiehub_rollout") / "data" / "entity_external_ids_base.sql"
            ).read_text(encoding="utf-8")


def postgres_check(migration_sql: str, intake: Intake) -> CheckResult:
    """Run the migration twice on a throw-away PostgreSQL cluster and probe every link."""
    from connector_factory.testing.postgres import PostgresUnavailable, postgres_cluster

    name = "migration on PostgreSQL"
    failures: list[str] = []
    try:
        with postgres_cluster() as pg:
            pg.psql(base_schema())
            pg.psql(migration_sql)
            pg.psql(migration_sql)  # re-running is harmless
            for link in intake.links:
                entity = uuid.uuid4()
                first = (f"insert into entity_external_ids (entity_type, entity_id, source, "
                         f"external_id) values ('{link.entity}', '{entity}', '{link.source}', "
                         f"'ext-{uuid.uuid4().hex[:8]}')")
                pg.psql(first)
                second = pg.psql(first.replace("ext-", "ext2-"), check=False)
                count = pg.psql(f"select count(*) from entity_external_ids where entity_id = "
                                f"'{entity}'").strip()
                if link.cardinality == "1:1" and count != "1":
                    failures.append(f"{link.source} is 1:1 but a second link was accepted")
                if link.cardinality == "1:N" and count != "2":
                    failures.append(f"{link.source} is 1:N but a second link was refused "
                                    f"{second.strip()[:120]}")
            pg.psql(f"insert into {intake.connector}_sync_state (resource, watermark, "
                    "lease_owner, lease_expires_at) values ('probe', now(), 'gate', now())")
    except PostgresUnavailable as exc:
        return CheckResult(name=name, status="blocked",
                           message=f"no PostgreSQL here ({exc}); install the Debian package "
                                   "postgresql")
    except subprocess.CalledProcessError as exc:
        return CheckResult(name=name, status="failed", message="the migration does not run",
                           failures=[(exc.stderr or "").strip()[:500]])
    return CheckResult(name=name, status="failed" if failures else "passed",
                       message=f"{len(intake.links)} links probed, run twice", failures=failures)


def npm_checks(checkout: Path) -> list[CheckResult]:
    """``npm run lint``, ``npx tsc --noEmit``, ``npm test``, ``npm run build`` in a checkout with
    ``node_modules``; one blocked check saying so otherwise."""
    if not (checkout / "node_modules").is_dir() or shutil.which("npm") is None:
        return [CheckResult(name="checkout npm checks", status="blocked",
                            message="no node_modules in the checkout (or no npm): lint, tsc, "
                                    "tests and build were not run; run `npm ci` there first")]
    results = []
    for cmd in NPM_CHECKS:
        try:
            proc = subprocess.run(list(cmd), cwd=checkout, capture_output=True, text=True,
                                  timeout=NPM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            results.append(CheckResult(name=" ".join(cmd), status="failed",
                                       message=f"timed out after {NPM_TIMEOUT_S} s"))
            continue
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        results.append(CheckResult(name=" ".join(cmd), status="passed" if proc.returncode == 0
                                   else "failed", message=f"exit {proc.returncode}",
                                   failures=[] if proc.returncode == 0 else tail))
    return results
