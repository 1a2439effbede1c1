"""Running a phase's checkpoint with the project's Gradle wrapper, or saying why it cannot run.

A checkpoint runs only when a ``gradlew`` wrapper is found (in the connector folder or a parent
up to the project folder, e.g. an Airbyte monorepo checkout) and a JDK 21+ answers
``java -version``. Otherwise the result is ``blocked`` with the reason — never a pass that was
not seen. A run passes only when Gradle exits 0 *and* every expected test appears in the JUnit
reports as passed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cf_airbyte_destination.junit import (
    Finding,
    classify_build_output,
    explain,
    read_reports,
)
from cf_airbyte_destination.phases import PHASES, phase_tests

#: The Gradle task the component and integration checkpoints run.
TEST_TASK = "integrationTestNonDocker"
#: Seconds a checkpoint may take (override with ``CF_GRADLE_TIMEOUT``).
DEFAULT_TIMEOUT_S = 1800


@dataclass
class Checkpoint:
    """Outcome of one phase checkpoint.

    ``status``: ``passed``, ``failed`` or ``blocked``; ``tests``: the filters run;
    ``findings``: explained failures; ``command``: argv run (empty when blocked).
    """

    phase: int
    status: str
    message: str
    tests: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    command: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """Names of failing tests (``Class.method``)."""
        return [f.test for f in self.findings]


def find_gradlew(connector_dir: Path, project_dir: Path) -> Path | None:
    """The first executable ``gradlew`` in ``connector_dir`` or its parents up to
    ``project_dir`` (inclusive)."""
    folder = connector_dir.resolve()
    stop = project_dir.resolve()
    while True:
        candidate = folder / "gradlew"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        if folder == stop or folder.parent == folder:
            return None
        folder = folder.parent


def java_major_version() -> tuple[int | None, str]:
    """(major version, java binary) of ``$JAVA_HOME/bin/java`` or ``java`` on PATH."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home, "bin", "java")) if home and Path(home, "bin", "java").is_file() \
        else shutil.which("java")
    if not java:
        return None, ""
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None, java
    match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if not match:
        return None, java
    major = int(match.group(1))
    if major == 1 and match.group(2):  # 1.8 → 8
        major = int(match.group(2))
    return major, java


def task_prefix(gradlew: Path, connector_dir: Path) -> str:
    """``:a:b:c:`` for a connector in a sub-project of the wrapper's build, ``""`` at its root."""
    rel = connector_dir.resolve().relative_to(gradlew.parent.resolve())
    return "" if not rel.parts else ":" + ":".join(rel.parts) + ":"


#: The bulk CDK is built for Java 21 (airbyte-cdk/bulk toolchain); older JDKs cannot compile it.
MIN_JAVA = 21


def blocked_reason(connector_dir: Path, project_dir: Path) -> str | None:
    """Why a checkpoint cannot run here (``blocked: no Gradle …``), or ``None``."""
    gradlew = find_gradlew(connector_dir, project_dir)
    if gradlew is None:
        where = connector_dir if connector_dir == project_dir else \
            f"{connector_dir} or its parents up to {project_dir}"
        return f"blocked: no Gradle (no executable gradlew in {where})"
    major, java = java_major_version()
    if major is None:
        return f"blocked: no JDK {MIN_JAVA}+ (no java found)"
    if major < MIN_JAVA:
        return f"blocked: no JDK {MIN_JAVA}+ ({java} is Java {major}; set JAVA_HOME to a JDK " \
               f"{MIN_JAVA}+)"
    return None


def checkpoint_command(phase: int, gradlew: Path, connector_dir: Path,
                       tests: list[str]) -> list[str]:
    """The Gradle command of phase ``phase``'s checkpoint: the wrapper's ``compileKotlin`` (phase
    0) or ``integrationTestNonDocker --tests …``, as tasks of the connector's sub-project (inside
    an Airbyte checkout: ``:airbyte-integrations:connectors:destination-NAME:compileKotlin``)."""
    tp = task_prefix(gradlew, connector_dir)
    if PHASES[phase].compile_only:
        return [str(gradlew), f"{tp}compileKotlin", "--console=plain"]
    command = [str(gradlew), f"{tp}{TEST_TASK}", "--console=plain", "--continue"]
    for name in tests:
        command += ["--tests", name]
    return command


def run_checkpoint(phase: int, connector_dir: Path, project_dir: Path, prefix: str,
                   package: str, timeout_s: int | None = None) -> Checkpoint:
    """Run phase ``phase``'s checkpoint (compile for phase 0, else the phase's tests and every
    earlier phase's through ``integrationTestNonDocker --tests``) and judge it from the exit code
    and the JUnit reports."""
    reason = blocked_reason(connector_dir, project_dir)
    tests = phase_tests(phase, prefix, package) if not PHASES[phase].compile_only else []
    if reason is not None:
        return Checkpoint(phase, "blocked", reason, tests=tests)
    gradlew = find_gradlew(connector_dir, project_dir)
    assert gradlew is not None
    command = checkpoint_command(phase, gradlew, connector_dir, tests)
    reports = connector_dir / "build" / "test-results" / TEST_TASK
    if reports.is_dir():
        for old in reports.glob("TEST-*.xml"):
            old.unlink()
    limit = timeout_s or int(os.environ.get("CF_GRADLE_TIMEOUT", DEFAULT_TIMEOUT_S))
    try:
        proc = subprocess.run(command, cwd=gradlew.parent, capture_output=True, text=True,
                              timeout=limit)
    except subprocess.TimeoutExpired:
        return Checkpoint(phase, "failed", f"gradle timed out after {limit}s", tests=tests,
                          command=command)
    output = proc.stdout + "\n" + proc.stderr
    results = read_reports(reports) if reports.is_dir() else []
    findings = [explain(r, prefix, package) for r in results if r.outcome == "failed"]
    if PHASES[phase].compile_only:
        if proc.returncode == 0:
            return Checkpoint(phase, "passed", "compiled", command=command)
        found = classify_build_output(output, connector_dir)
        return Checkpoint(phase, "failed", f"compilation failed (exit {proc.returncode})",
                          findings=found, command=command)
    if findings:
        return Checkpoint(phase, "failed", f"{len(findings)} test(s) failed", tests=tests,
                          findings=findings, command=command)
    if proc.returncode != 0:
        found = classify_build_output(output, connector_dir)
        return Checkpoint(phase, "failed", f"gradle exited {proc.returncode} without a failing "
                          "test report", tests=tests, findings=found, command=command)
    seen = {f"{r.classname}.{r.method}" for r in results if r.outcome == "passed"}
    missing = [t for t in tests if t not in seen]
    if missing:
        return Checkpoint(phase, "failed", f"{len(missing)} checkpoint test(s) did not run: "
                          + ", ".join(m.rsplit(".", 2)[-1] for m in missing[:5]), tests=tests,
                          findings=[Finding(test=m.rsplit(".", 2)[-2] + "." + m.rsplit(".", 1)[-1],
                                            category="unknown", message="no passing result in "
                                            "the JUnit reports", component="the test class",
                                            advice="check the test is enabled (@Test) and "
                                                   "matches the --tests filter")
                                    for m in missing], command=command)
    return Checkpoint(phase, "passed", f"{len(tests)} test(s) passed", tests=tests,
                      command=command)
