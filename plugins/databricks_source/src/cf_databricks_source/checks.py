"""validate and test_gate for a generated connector: real runs, named failures.

validate: the implementation module imports, ``ruff`` finds no error in the generated code, and
the auth test passes against the API (live with ``configs/dev_config.json`` or
``CONNECTOR_TEST_CONFIG_PATH``; otherwise against the simulated API, and the check says so).
test_gate: the contract suite (``test_NAME_lakeflow_connect.py``) passes on every table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from connector_factory.models import CheckResult, StepResult

from cf_databricks_source.layout import Layout
from cf_databricks_source.pytest_run import TestRun, run_pytest


def test_mode(project_dir: Path, layout: Layout) -> str:
    """``live`` when credentials are configured, else ``simulated``."""
    if os.environ.get("CONNECTOR_TEST_MODE") == "simulate":
        return "simulated"
    if os.environ.get("CONNECTOR_TEST_CONFIG_PATH") or os.environ.get("CONNECTOR_TEST_CONFIG_JSON"):
        return "live"
    return "live" if (project_dir / layout.dev_config_file).is_file() else "simulated"


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
    where = "against the live API" if mode == "live" else "against the simulated API"
    counts = f"{run.passed} passed, {run.failed} failed"
    if run.ok:
        return CheckResult(name=name, status="passed", message=f"{counts} {where}")
    detail = run.failures or [run.output.strip().splitlines()[-1] if run.output.strip() else "?"]
    return CheckResult(name=name, status="failed", message=f"{counts} {where}", failures=detail)


def validate(project_dir: Path, layout: Layout) -> StepResult:
    """The validate gate's checks for the connector in ``project_dir``."""
    mode = test_mode(project_dir, layout)
    checks = [_import_check(project_dir, layout), _ruff_check(project_dir, layout)]
    run = run_pytest(project_dir, [layout.auth_test_file])
    checks.append(_from_run("auth test", run, mode))
    return StepResult(summary=f"checks run {('live' if mode == 'live' else 'in simulate mode')}",
                      checks=checks, details={"test_mode": mode})


def test_gate(project_dir: Path, layout: Layout) -> StepResult:
    """The hard test gate: the Lakeflow contract suite on every table."""
    mode = test_mode(project_dir, layout)
    run = run_pytest(project_dir, [layout.test_file])
    check = _from_run("lakeflow contract suite", run, mode)
    return StepResult(summary=f"{run.passed} passed, {run.failed} failed ({mode})",
                      checks=[check], details={"test_mode": mode, "passed": run.passed,
                                               "failed": run.failed})


test_gate.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
