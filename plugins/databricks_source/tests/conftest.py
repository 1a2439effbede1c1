"""Shared fixtures: the real inputs fetched by ``.ci/fetch-inputs`` and a ``cf`` runner."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from connector_factory.cli import app
from connector_factory.testing.inputs import InputsMissing, real_inputs
from typer.testing import CliRunner, Result

#: The repository checkout (tests run from plugins/databricks_source).
ROOT = Path(__file__).resolve().parents[3]
RunCf = Callable[..., Result]


@pytest.fixture(scope="session")
def inputs_dir() -> Path:
    """Where ``.ci/fetch-inputs`` put the real inputs (``CF_INPUTS_DIR`` or ``.cache/inputs``)."""
    try:
        return real_inputs(ROOT, "github/api.github.com.json", "oas-examples",
                           "node/node_modules/.bin/json-server", "node/node_modules/.bin/prism")
    except InputsMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture
def run_cf(monkeypatch: pytest.MonkeyPatch) -> RunCf:
    """Run ``cf ARGS…`` in-process with no terminal; fails the test on an unexpected exit code."""
    monkeypatch.setenv("CF_INTERACTIVE", "0")
    runner = CliRunner()

    def run(*args: str, expect: int = 0, env: dict[str, str] | None = None) -> Result:
        result = runner.invoke(app, list(args), env=env)
        if result.exit_code != expect:
            raise AssertionError(f"cf {' '.join(args)} exited {result.exit_code}, not {expect}:\n"
                                 f"{result.output}\n{result.exception!r}")
        return result

    return run


def flat(output: str) -> str:
    """``cf``'s output with the panels' borders removed and all whitespace one space, so a
    sentence wrapped over several lines can be searched for."""
    return " ".join(output.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


def run_readme_tests(project: Path, readme: Path) -> subprocess.CompletedProcess[str]:
    """The first ``PYTHONPATH=src python -m pytest …`` command of the connector's README, run
    as printed by ``sh`` in ``project`` (this interpreter first on ``PATH``, no
    ``CONNECTOR_TEST_*`` variables)."""
    command = re.search(r"```bash\n(PYTHONPATH=src python -m pytest [^\n]+)\n```",
                        readme.read_text(encoding="utf-8"))
    assert command, f"no test command in {readme}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_TEST_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(["sh", "-c", command.group(1) + " -p no:cacheprovider"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=600)
