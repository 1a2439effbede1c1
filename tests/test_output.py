"""Output that fits: ``cf status``, ``cf targets`` and ``cf plugins`` drawn for an 80-column
terminal and piped, compared with golden files (``CF_UPDATE_GOLDEN=1`` rewrites them); long
identifiers are never cut; ``cf --version``; no ``<bool>`` metavar in help.

Only the plugins these tests install are visible (the entry points are narrowed to their
folder), so the golden files do not depend on which plugins the machine has.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from connector_factory import __version__
from connector_factory.cli import app
from connector_factory.entry_points import Entry
from typer.testing import CliRunner

from tests.conftest import MakeDist

GOLDEN = Path(__file__).parent / "golden"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
runner = CliRunner()

WIDE_PLUGIN = '''
from connector_factory import hookimpl
from connector_factory.models import Target, TargetInput

@hookimpl
def cf_targets():
    return [
        Target(name="warehouse-destination-long-name", summary="A destination whose name is "
               "longer than a narrow column, with a summary long enough to wrap twice or more.",
               inputs=(TargetInput(name="profile", type="path", required=True,
                                   help="destination profile (YAML)"),
                       TargetInput(name="api_key", secret=True, help="the vendor key"))),
        Target(name="tiny", summary="short"),
    ]
'''
BROKEN_PLUGIN = "raise RuntimeError('needs a missing library')\n"

STATE: dict[str, Any] = {
    "schema_version": 1, "name": "petstore", "target": "warehouse-destination-long-name",
    "created_at": "2026-12-01T09:00:00Z", "inputs": {},
    "steps": {
        "plan": {"status": "completed", "duration_s": 0.1, "gate": "approved"},
        "research": {"status": "completed", "duration_s": 0.25, "gate": "approved",
                     "outputs": [{"path": "src/petstore/petstore_api_doc.md", "sha256": "x"}]},
        "scaffold": {"status": "failed", "duration_s": 1.5,
                     "message": "1 file(s) you edited were not overwritten: src/petstore/"
                                "petstore.py; the new versions are beside them as *.cf-new"},
        "validate": {"status": "pending", "message": "to redo: scaffold failed"},
        "test_gate": {"status": "pending"},
        "document": {"status": "pending"},
        "deploy": {"status": "skipped", "skip_reason": "no registry yet"},
    },
    "conflicts": {"src/petstore/petstore.py": "scaffold"},
}


@pytest.fixture
def only_test_plugins(make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_dist("cf-wide-targets", {"cf_wide": WIDE_PLUGIN, "cf_broken": BROKEN_PLUGIN},
                     {"wide": "cf_wide", "broken": "cf_broken"})
    ours = [Entry(ep.group, ep.name, ep.value, dist.metadata["Name"], dist.version)
            for dist in importlib.metadata.distributions(path=[str(site)])
            for ep in dist.entry_points if ep.group == "connector_factory"]
    import connector_factory.plugins as plugins_module

    real = plugins_module.entries

    def narrowed(*groups: str) -> dict[str, list[Entry]]:
        found = real(*groups)
        found["connector_factory"] = sorted(ours, key=lambda e: e.name)
        return found

    monkeypatch.setattr(plugins_module, "entries", narrowed)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "petstore"
    (root / ".cf").mkdir(parents=True)
    (root / ".cf" / "state.json").write_text(json.dumps(STATE))
    (root / "src" / "petstore").mkdir(parents=True)
    (root / "src" / "petstore" / "petstore.py.cf-new").write_text("new\n")
    return root


def _render(args: list[str], mode: str) -> str:
    env = {"COLUMNS": "80", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"} if mode == "80" else \
        {"COLUMNS": None, "TTY_COMPATIBLE": None, "FORCE_COLOR": None}
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stdout)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CF_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("mode", ["80", "piped"])
def test_status_golden(project: Path, mode: str) -> None:
    text = _render(["status", "--project", str(project)], mode)
    _golden(f"status-{mode}.txt", text)
    if mode == "80":
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "test-gate" in text and "blocked" in text and "merge:" in text


@pytest.mark.parametrize("command", ["targets", "plugins"])
@pytest.mark.parametrize("mode", ["80", "piped"])
def test_targets_and_plugins_golden(only_test_plugins: None, command: str, mode: str) -> None:
    text = _render([command], mode)
    _golden(f"{command}-{mode}.txt", text)
    assert "warehouse-destination-long-name" in text  # never cut
    if mode == "80":
        assert max(len(line) for line in text.splitlines()) <= 80
    else:
        assert "┃" not in text and "│" not in text and "\x1b" not in text


@pytest.mark.parametrize("columns", ["60", "120", "200"])
def test_tables_follow_columns(only_test_plugins: None, project: Path, columns: str) -> None:
    for args in (["targets"], ["plugins"], ["status", "--project", str(project)]):
        result = runner.invoke(app, args, env={"COLUMNS": columns, "TTY_COMPATIBLE": "1"})
        lines = ANSI.sub("", result.stdout).splitlines()
        assert max(len(line) for line in lines) <= int(columns), (args, columns)
        assert "warehouse-destination-long-name" in "\n".join(lines)


def test_version_and_plain_help() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"cf {__version__}\n"
    for command in ("new", "resume", "scaffold", "merge", "status", "skip", "credentials"):
        text = runner.invoke(app, [command, "--help"], env={"COLUMNS": "80"}).stdout
        assert "<bool>" not in text, command
        assert "--yes" in text or command in ("merge", "status", "skip", "credentials")
        assert max(len(line) for line in text.splitlines()) <= 80
