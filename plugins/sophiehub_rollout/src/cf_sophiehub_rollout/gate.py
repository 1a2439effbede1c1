"""The executed checks of the test gate.

:func:`postgres_checks` starts a throw-away PostgreSQL, applies the Supabase stand-ins and the
checkout's own migrations (:func:`~cf_sophiehub_rollout.schema.apply_chain`; without a checkout,
the plugin's model of ``entity_external_ids``), then the rollout's migration twice, and probes:
every new 1:1 link rejects a second row for an entity, every new 1:N link accepts it, the sync
table has every sync column, and as ``anon`` and as a signed-in non-admin the sync table can be
neither read nor written while ``service_role`` can.

:func:`npm_checks` runs ``npm run lint``, ``npx tsc --noEmit``, ``npm test`` and ``npm run
build`` in a checkout with ``node_modules`` (skipped where there is no ``package.json``). A
check that fails is run again on the unmodified branch (a clone of the checkout's ``HEAD``
without the working tree's changes, sharing its ``node_modules``): it fails the gate only when
it passes there, or when it prints error lines the baseline does not. Without ``node_modules``
(or npm) the check is blocked.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import uuid
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from connector_factory.models import CheckResult

from cf_sophiehub_rollout.crosscheck import Decisions
from cf_sophiehub_rollout.intake import Intake
from cf_sophiehub_rollout.migration import SYNC_COLUMNS
from cf_sophiehub_rollout.schema import apply_chain, as_transaction, first_error, standins

if TYPE_CHECKING:
    from connector_factory.testing.postgres import PgCluster

NPM_CHECKS = (("npm", "run", "lint"), ("npx", "tsc", "--noEmit"), ("npm", "test"),
              ("npm", "run", "build"))
#: Wall-time limit per npm check, in seconds (a Next.js build of a large app takes minutes).
NPM_TIMEOUT_S = 1800
CHAIN = "checkout migrations on PostgreSQL"
MIGRATION = "migration on PostgreSQL"
RLS = "row-level security as anon"


def base_schema() -> str:
    """The plugin's model of Sophie Hub's ``entity_external_ids`` (used without a checkout)."""
    return (resources.files("cf_sophiehub_rollout") / "data" / "entity_external_ids_base.sql"
            ).read_text(encoding="utf-8")


def _as(role: str, sql: str, sub: str | None = None) -> str:
    claims = json.dumps({"role": role, **({"sub": sub} if sub else {})})
    return (f"set role {role}; set request.jwt.claims to '{claims}'; "
            f"set request.jwt.claim.sub to '{sub or ''}'; {sql}")


def _link_probes(pg: PgCluster, intake: Intake) -> list[str]:
    failures = []
    for link in intake.links:
        if link.reuse:
            continue
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
    return failures


def _rls_probes(pg: PgCluster, decisions: Decisions) -> tuple[list[str], str]:
    psql = pg.psql
    table = decisions.sync_table
    columns = set(psql(f"select column_name from information_schema.columns where "
                       f"table_name = '{table}'").split())
    failures = [f"{table} has no column {c}" for c, _ in SYNC_COLUMNS if c not in columns]
    key = decisions.sync_key
    values = ", ".join(["$$cf-probe$$"] * len(key))
    probe = f"insert into {table} ({', '.join(key)}) values ({values})"
    try:
        psql(probe + " on conflict do nothing")
        seeded = True
    except subprocess.CalledProcessError:  # other required columns: probe an empty table
        seeded = False
    rows = psql(f"select count(*) from {table}").strip()
    for role, sub in (("anon", None), ("authenticated", str(uuid.uuid4()))):
        seen = psql(_as(role, f"select count(*) from {table};"), check=False).strip()
        if seen not in ("", "0"):
            failures.append(f"{role} can read {seen} row(s) of {table}")
        attempt = (f"insert into {table} ({', '.join(key)}) values "
                   f"({', '.join(['$$cf-' + role + '$$'] * len(key))})")
        before = psql(f"select count(*) from {table}").strip()
        psql(_as(role, attempt + ";", sub), check=False)
        after = psql(f"select count(*) from {table}").strip()
        if after != before:
            failures.append(f"{role} could insert into {table}")
        psql(_as(role, f"delete from {table};", sub), check=False)
        if psql(f"select count(*) from {table}").strip() != after:
            failures.append(f"{role} could delete from {table}")
    service = psql(_as("service_role", f"select count(*) from {table};"), check=False).strip()
    if seeded and rows not in ("", "0") and service in ("", "0"):
        failures.append(f"service_role cannot read {table}")
    return failures, f"{table}: anon and a non-admin user denied, service_role reads {service}"


def postgres_checks(root: Path, migration: str, sql: str, intake: Intake, decisions: Decisions,
                    checkout: bool) -> list[CheckResult]:
    """The database checks of the gate (see the module doc)."""
    from connector_factory.testing.postgres import PostgresUnavailable, postgres_cluster

    checks: list[CheckResult] = []
    try:
        with postgres_cluster() as pg:
            if checkout:
                chain = apply_chain(pg, root, skip=(migration,))
                note = (f"; {len(chain.unapplied)} of the checkout's own never apply on a "
                        "fresh database (not this rollout's): " + ", ".join(f"{n} ({e})" for n, e in
                                                          sorted(chain.unapplied.items()))
                        if chain.unapplied else "")
                has = pg.psql("select to_regclass('public.entity_external_ids') is not null")
                checks.append(CheckResult(
                    name=CHAIN, status="passed" if has.strip() == "t" else "failed",
                    message=f"{len(chain.applied)} applied in {chain.rounds} round(s){note}",
                    failures=[] if has.strip() == "t" else
                    ["the checkout's migrations do not create entity_external_ids"]))
                if has.strip() != "t":
                    return checks
            else:
                pg.psql(standins())
                pg.psql(base_schema())
            try:
                pg.psql(as_transaction(sql))
                pg.psql(as_transaction(sql))  # re-running is harmless
            except subprocess.CalledProcessError as exc:
                checks.append(CheckResult(name=MIGRATION, status="failed",
                                          message="the migration does not run "
                                                  + ("on the checkout's schema" if checkout
                                                     else "on the plugin's model"),
                                          failures=[first_error(exc.stderr or "")[:500]]))
                return checks
            failures = _link_probes(pg, intake)
            probed = sum(1 for link in intake.links if not link.reuse)
            checks.append(CheckResult(
                name=MIGRATION, status="failed" if failures else "passed",
                message=f"run twice on {'the checkout' if checkout else 'the plugin model'}'s "
                        f"schema; {probed} new link(s) probed", failures=failures))
            rls_failures, message = _rls_probes(pg, decisions)
            checks.append(CheckResult(name=RLS, status="failed" if rls_failures else "passed",
                                      message=message, failures=rls_failures))
    except PostgresUnavailable as exc:
        return [CheckResult(name=MIGRATION, status="blocked",
                            message=f"no PostgreSQL here ({exc}); install the Debian package "
                                    "postgresql")]
    except subprocess.CalledProcessError as exc:
        checks.append(CheckResult(name=MIGRATION, status="failed", message="a probe failed",
                                  failures=[first_error(exc.stderr or "")[:500]]))
    return checks


def _signature(output: str, roots: tuple[Path, ...]) -> dict[str, str]:
    """Error lines of ``output`` keyed by their form without paths' roots, line and column
    numbers and timings (so a pre-existing error that moved still matches), each mapped to
    the line as printed."""
    lines: dict[str, str] = {}
    for line in output.splitlines():
        if re.search(r"error|fail|✖|not ok", line, re.I):
            key = line
            for root in roots:
                key = key.replace(str(root), "<root>")
            key = re.sub(r"\(\d+,\d+\)|:\d+(:\d+)?|\b\d+(\.\d+)?\s*m?s\b", "", key).strip()
            lines.setdefault(key, line.strip())
    return lines


def _run(cmd: tuple[str, ...], cwd: Path) -> tuple[int | None, str]:
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True,
                              timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {NPM_TIMEOUT_S} s"
    return proc.returncode, proc.stdout + proc.stderr


def baseline_clone(root: Path, into: Path) -> Path | None:
    """A clone of ``root``'s ``HEAD`` (the unmodified branch) in ``into`` with ``root``'s
    ``node_modules`` linked in, or ``None`` when ``root`` is not a git checkout with a commit."""
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
                          capture_output=True, text=True)
    if head.returncode != 0:
        return None
    target = into / "baseline"
    clone = subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(root),
                            str(target)], capture_output=True, text=True)
    if clone.returncode != 0:
        return None
    subprocess.run(["git", "-C", str(target), "checkout", "-q", "--detach",
                    head.stdout.strip()], capture_output=True, text=True, check=True)
    (target / "node_modules").symlink_to((root / "node_modules").resolve(),
                                         target_is_directory=True)
    return target


def npm_checks(root: Path) -> list[CheckResult]:
    """The checkout's npm checks against the unmodified branch (see the module doc)."""
    if not (root / "package.json").is_file():
        return [CheckResult(name="checkout npm checks", status="skipped",
                            message="not a Node checkout (no package.json): there is no lint, "
                                    "tsc, test or build to run; pass --repo CHECKOUT for them")]
    if not (root / "node_modules").is_dir() or shutil.which("npm") is None:
        return [CheckResult(name="checkout npm checks", status="blocked",
                            message="no node_modules in the checkout (or no npm): lint, tsc, "
                                    f"tests and build were not run; run `npm ci` in {root} "
                                    "and `cf test-gate` again")]
    results = []
    with tempfile.TemporaryDirectory(prefix="cf-baseline-") as tmp:
        base: Path | bool | None = False
        for cmd in NPM_CHECKS:
            name = " ".join(cmd)
            code, output = _run(cmd, root)
            tail = output.strip().splitlines()[-3:]
            if code == 0:
                results.append(CheckResult(name=name, status="passed", message="exit 0"))
                continue
            if base is False:
                base = baseline_clone(root, Path(tmp))
            if not isinstance(base, Path):
                results.append(CheckResult(name=name, status="failed",
                                           message=f"exit {code} (no baseline: the checkout "
                                                   "is not a git repository with a commit)",
                                           failures=tail))
                continue
            base_code, base_output = _run(cmd, base)
            mine = _signature(output, (root,))
            theirs = _signature(base_output, (base, root))
            new = [mine[k] for k in sorted(set(mine) - set(theirs))]
            if base_code == 0 or new:
                results.append(CheckResult(
                    name=name, status="failed",
                    message=f"exit {code}; the unmodified branch: exit {base_code}",
                    failures=new[:10] or tail))
            else:
                results.append(CheckResult(
                    name=name, status="passed",
                    message=f"exit {code}, as on the unmodified branch (exit {base_code}); "
                            "no new error lines"))
    return results
