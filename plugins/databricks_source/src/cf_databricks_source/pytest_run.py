"""Running a generated connector's pytest suite in a subprocess and reading its JUnit XML.

The test gate never trusts anyone's word: it runs the tests with the same interpreter, reads the
JUnit XML report pytest writes (``--junitxml``), and names every failing test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TestRun:
    """Outcome of one pytest run.

    ``failures`` name each test that failed or errored (``file::Class::test: message``, the
    message's first 300 characters); ``output`` is the
    tail of pytest's output (at most 4,000 characters); ``exit_code`` is pytest's.
    """

    __test__ = False  # not a test class

    exit_code: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    output: str = ""

    @property
    def ok(self) -> bool:
        """True when pytest exited 0 and at least one test ran."""
        return self.exit_code == 0 and self.passed > 0


def run_pytest(project_dir: Path, targets: list[str], env: dict[str, str] | None = None,
               timeout_s: float = 900, unset: tuple[str, ...] = ()) -> TestRun:
    """Run ``python -m pytest targets`` in ``project_dir``; ``env`` adds environment variables
    (after the names in ``unset`` are removed from this process's environment).

    ``src/`` and the project folder are put on ``PYTHONPATH`` so the generated package imports
    without being installed. Raises ``subprocess.TimeoutExpired`` after ``timeout_s`` seconds.
    """
    with tempfile.TemporaryDirectory(prefix="cf-pytest-") as tmp:
        report = Path(tmp, "junit.xml")
        paths = [str(project_dir / "src"), str(project_dir)]
        full_env = {k: v for k, v in os.environ.items() if k not in unset}
        full_env.update(env or {})
        full_env["PYTHONDONTWRITEBYTECODE"] = "1"  # never run stale byte code after an edit
        full_env["PYTHONPATH"] = os.pathsep.join(
            paths + ([full_env["PYTHONPATH"]] if full_env.get("PYTHONPATH") else []))
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
               str(project_dir), f"--junitxml={report}", "-o", "junit_family=xunit2", *targets]
        proc = subprocess.run(cmd, cwd=project_dir, env=full_env, capture_output=True,
                              text=True, timeout=timeout_s)
        run = TestRun(exit_code=proc.returncode, output=(proc.stdout + proc.stderr)[-4000:])
        if report.is_file():
            _read_junit(report, run)
        return run


def _read_junit(report: Path, run: TestRun) -> None:
    root = ET.parse(report).getroot()
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            run.failed += 1
            message = " ".join((problem.get("message") or "").split())
            run.failures.append(f"{name}: {message[:300]}" if message else name)
        elif case.find("skipped") is not None:
            run.skipped += 1
        else:
            run.passed += 1
