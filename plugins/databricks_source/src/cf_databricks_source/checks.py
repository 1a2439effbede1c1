"""validate and test_gate for a generated connector: real runs, named failures.

validate: the implementation module imports, ``ruff`` finds no error in the generated code, and
the auth test passes: live when credentials exist (``configs/dev_config.json``, written by
``cf credentials`` or ``cf new --config FILE``, or ``CONNECTOR_TEST_CONFIG_PATH``/``_JSON`` in
the environment), else against the simulator spec, and the check says which.
test_gate: the connector's test folder (contract suite and auth test) run as the Lakeflow
repository's create-connector flow runs it at its step 4: first in the suite's default mode (no
``CONNECTOR_TEST_*`` variables: simulate mode), then, with credentials, in live mode
(``CONNECTOR_TEST_MODE=live CONNECTOR_TEST_CONFIG_PATH=…``); both are reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from connector_factory.models import CheckResult, StepResult

from cf_databricks_source.layout import Layout
from cf_databricks_source.pytest_run import TestRun, run_pytest

#: The suite's environment variables (``source_simulator/modes.py``, ``test_suite.py``).
TEST_VARIABLES = ("CONNECTOR_TEST_MODE", "CONNECTOR_TEST_CONFIG_JSON",
                  "CONNECTOR_TEST_CONFIG_PATH")


def live_env(project_dir: Path, layout: Layout) -> dict[str, str] | None:
    """The variables of a live run (``CONNECTOR_TEST_MODE=live`` and the credentials: the
    caller's ``CONNECTOR_TEST_CONFIG_JSON``/``_PATH`` when set, else ``dev_config.json``), or
    ``None`` when there are no credentials."""
    given = {k: os.environ[k] for k in TEST_VARIABLES[1:] if os.environ.get(k, "").strip()}
    if not given and (project_dir / layout.dev_config_file).is_file():
        given = {"CONNECTOR_TEST_CONFIG_PATH": str(project_dir / layout.dev_config_file)}
    return dict(given, CONNECTOR_TEST_MODE="live") if given else None


def test_mode(project_dir: Path, layout: Layout) -> str:
    """``live`` when credentials are configured, else ``simulated``."""
    return "live" if live_env(project_dir, layout) is not None else "simulated"


def _import_check(project_dir: Path, layout: Layout) -> CheckResult:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(project_dir / "src"),
                                                       str(project_dir)]))
    code = f"import {layout.module_name} as m; assert m.TABLES"
    proc = subprocess.run([sys.executable, "-c", code], cwd=project_dir, env=env,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode == 0:
        return CheckResult(name="module imports", status="passed", message=layout.module_name)
    last = (proc.stderr.strip().splitlines() or ["?"])[-1]
    return CheckResult(name="module imports", status="failed", message=last)


def _ruff_check(project_dir: Path, layout: Layout) -> CheckResult:
    targets = [layout.src_dir, layout.tests_dir]
    cmd = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
           "--select", "E9,F63,F7,F82,F401,F811,F841", "--output-format", "concise", *targets]
    proc = subprocess.run(cmd, cwd=project_dir, capture_output=True, text=True, timeout=300)
    if proc.returncode == 0:
        return CheckResult(name="static checks (ruff)", status="passed")
    problems = [line for line in proc.stdout.splitlines() if ":" in line][:20]
    return CheckResult(name="static checks (ruff)", status="failed",
                       message=f"{len(problems)} problem(s)", failures=problems)


def _from_run(name: str, run: TestRun, mode: str) -> CheckResult:
    where = "against the live API" if mode == "live" else "in simulate mode"
    counts = f"{run.passed} passed, {run.failed} failed, {run.skipped} skipped"
    if run.ok:
        return CheckResult(name=name, status="passed", message=f"{counts} {where}")
    detail = run.failures or [run.output.strip().splitlines()[-1] if run.output.strip() else "?"]
    return CheckResult(name=name, status="failed", message=f"{counts} {where}", failures=detail)


def spec_drift(project_dir: Path, layout: Layout, since: float) -> CheckResult | None:
    """The simulator spec checked against the live API, from the validation reports a live run
    of the repository's suite writes beside its cassette
    (``tests/unit/sources/NAME/cassettes/*.json.validation.json``: per endpoint ``status``,
    ``issues``; ``source_simulator/validator.py`` at commit f9c88869); ``None`` when the run
    wrote none (the standalone model keeps no cassette)."""
    reports = [p for p in (project_dir / layout.tests_dir / "cassettes").glob("*.validation.json")
               if p.stat().st_mtime >= since - 1]
    if not reports:
        return None
    endpoints = []
    for report in reports:
        try:
            endpoints += json.loads(report.read_text(encoding="utf-8")).get("endpoints", [])
        except (OSError, ValueError, AttributeError):
            return CheckResult(name="simulator spec vs live API", status="failed",
                               message=f"{report.name} is not a validation report")
    bad = [e for e in endpoints if e.get("status") != "validated"]
    message = f"{len(endpoints) - len(bad)}/{len(endpoints)} endpoints match the spec"
    if not bad:
        return CheckResult(name="simulator spec vs live API", status="passed", message=message)
    failures = [f"{e.get('method', '?')} {e.get('spec_path') or e.get('sample_url', '?')}: "
                f"{e.get('status')} {'; '.join(str(i) for i in e.get('issues', [])[:3])}"
                for e in bad]
    return CheckResult(name="simulator spec vs live API", status="failed", message=message,
                       failures=failures[:20])


def _run(project_dir: Path, targets: list[str], live: dict[str, str] | None) -> TestRun:
    """pytest on ``targets`` with no ``CONNECTOR_TEST_*`` variable but those of ``live``."""
    return run_pytest(project_dir, targets, env=live or {}, unset=TEST_VARIABLES)


def validate(project_dir: Path, layout: Layout) -> StepResult:
    """The validate gate's checks for the connector in ``project_dir``."""
    live = live_env(project_dir, layout)
    mode = "live" if live else "simulated"
    checks = [_import_check(project_dir, layout), _ruff_check(project_dir, layout)]
    run = _run(project_dir, [layout.auth_test_file], live)
    checks.append(_from_run("auth test", run, mode))
    return StepResult(summary=f"checks run {'live' if live else 'in simulate mode'}",
                      checks=checks, details={"test_mode": mode})


def test_gate(project_dir: Path, layout: Layout) -> StepResult:
    """The hard test gate: the connector's tests in default (simulate) mode, then live when
    there are credentials (``skipped`` otherwise, saying so: a project without credentials is
    complete in simulate mode, as the repository's flow is)."""
    default = _run(project_dir, [layout.tests_dir], None)
    checks = [_from_run("lakeflow contract suite (default mode)", default, "simulated")]
    details: dict[str, object] = {"simulate": {"passed": default.passed,
                                               "failed": default.failed}}
    live = live_env(project_dir, layout)
    summary = f"default mode: {default.passed} passed, {default.failed} failed"
    if live is None:
        checks.append(CheckResult(
            name="lakeflow contract suite (live)", status="skipped",
            message="no credentials: `cf credentials`, or `cf new … --config FILE`, then "
                    "`cf test-gate`"))
        summary += "; live: not run (no credentials)"
    else:
        began = time.time()
        run = _run(project_dir, [layout.tests_dir], live)
        checks.append(_from_run("lakeflow contract suite (live)", run, "live"))
        drift = spec_drift(project_dir, layout, since=began)
        if drift is not None:
            checks.append(drift)
        details["live"] = {"passed": run.passed, "failed": run.failed}
        summary += f"; live: {run.passed} passed, {run.failed} failed"
    return StepResult(summary=summary, checks=checks,
                      details={"test_mode": "live" if live else "simulated", **details})


test_gate.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
