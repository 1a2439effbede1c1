"""A canary secret across the whole petstore pipeline, the built wheel and the sdist: the core's
secret scan (``connector_factory.secret_scan``) fails the first step whose outputs hold it —
naming file and line — and nothing shown, stored or packaged keeps it.

Models the issue's case: a credential pasted into the API description (a generated doc quotes
it) and one pasted into the connector by hand, which deploy would have packaged into the wheel's
module, README and METADATA and the sdist's PKG-INFO and READMEs."""

from __future__ import annotations

import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, RunCf

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"
SRC = "src/databricks/labs/community_connector/sources/petstore"
CANARY = "cf-canary-7f3a9c2e41"


def _everything_but_secrets(project: Path) -> list[Path]:
    """Every file of the project (and .cf/) except where secrets belong."""
    return [p for p in project.rglob("*") if p.is_file() and p.name != "dev_config.json"
            and "__pycache__" not in p.parts]


def _unpacked(archive: Path, into: Path) -> list[Path]:
    into.mkdir()
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as whl:
            whl.extractall(into)
    else:
        with tarfile.open(archive) as sdist:
            sdist.extractall(into, filter="data")
    return [p for p in into.rglob("*") if p.is_file()]


def test_canary_in_the_api_description_stops_research(
        run_cf: RunCf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETSTORE_API_TOKEN", CANARY)
    doc = tmp_path / "openapi.yaml"
    doc.write_text(PETSTORE.read_text().replace(
        "per minute per token;", f"per minute per token (like Bearer {CANARY});", 1))
    result = run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(doc),
                    "--out", str(tmp_path), "--yes", expect=1)
    assert "secret scan: research's outputs hold a secret's value" in result.output
    assert f"{SRC}/petstore_api_doc.md:" in " ".join(result.output.split())
    assert CANARY not in result.output
    project = tmp_path / "petstore"
    for name in (".cf/state.json", ".cf/events.jsonl"):
        assert CANARY not in (project / name).read_text(), name
    state = json.loads((project / ".cf/state.json").read_text())
    assert state["steps"]["research"]["status"] == "failed"
    assert state["steps"]["scaffold"]["status"] == "pending"
    assert not (project / "dist").exists()


def test_canary_pasted_into_the_connector_never_leaves_in_a_package(
        run_cf: RunCf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
           "--out", str(tmp_path), "--yes")
    project = tmp_path / "petstore"
    dist = sorted((project / "dist").iterdir())
    assert sorted(p.suffix for p in dist) == [".gz", ".whl"]
    for path in _everything_but_secrets(project):
        assert CANARY.encode() not in path.read_bytes(), path

    # a person pastes a token into the connector; the secret is in the environment
    monkeypatch.setenv("PETSTORE_API_TOKEN", CANARY)
    module = project / SRC / "petstore.py"
    module.write_text(module.read_text() + f"\n# debugging with token {CANARY}\n")
    result = run_cf("deploy", "--project", str(project), "--yes", expect=1)
    flat = " ".join(result.output.replace("│", " ").split())
    assert "secret scan: deploy's outputs hold a secret's value" in flat
    wheel = next((project / "dist").glob("*.whl"))
    sdist = next((project / "dist").glob("*.tar.gz"))
    assert f"dist/{wheel.name}!" in flat and f"dist/{sdist.name}!" in flat
    assert CANARY not in result.output
    for name in (".cf/state.json", ".cf/events.jsonl"):
        assert CANARY not in (project / name).read_text(), name
    # the scan named what the unpacked packages really hold
    for archive in (wheel, sdist):
        holding = [p for p in _unpacked(archive, tmp_path / archive.name.replace(".", "_"))
                   if CANARY.encode() in p.read_bytes()]
        assert holding and all(p.name == "petstore.py" for p in holding), holding
    state = json.loads((project / ".cf/state.json").read_text())
    assert state["steps"]["deploy"]["status"] == "failed"

    # removing it lets deploy pass, and nothing anywhere holds it
    module.write_text(module.read_text().replace(f"\n# debugging with token {CANARY}\n", ""))
    run_cf("resume", "--project", str(project), "--yes")
    for archive in sorted((project / "dist").iterdir()):
        files = _unpacked(archive, tmp_path / ("clean_" + archive.name.replace(".", "_")))
        assert files and not any(CANARY.encode() in p.read_bytes() for p in files)
    for path in _everything_but_secrets(project):
        assert CANARY.encode() not in path.read_bytes(), path
