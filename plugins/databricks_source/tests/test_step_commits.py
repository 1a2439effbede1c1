"""``--commit``: after a gate, the step's files are committed as ``feat(NAME): step N - …``, and
never when the tree has changes cf did not make."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cf_databricks_source.layout import Layout
from cf_databricks_source.step_commits import commit_step
from connector_factory.errors import InputError

from .conftest import ROOT, RunCf
from .lakeflow_checkout import git, make_checkout

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"
SRC = "src/databricks/labs/community_connector/sources/petstore"


def _generated(project: Path) -> dict[str, str]:
    return dict(json.loads((project / ".cf" / "state.json").read_text())["generated"])


@pytest.fixture
def checkout(run_cf: RunCf, tmp_path: Path) -> Path:
    root = make_checkout(tmp_path / "lakeflow-community-connectors")
    run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
           "--repo", str(root), "--yes")
    return root


def test_the_connector_files_are_committed_with_the_flows_message(checkout: Path) -> None:
    layout = Layout(name="petstore", in_repo=True)
    line = commit_step(checkout, layout, "scaffold", _generated(checkout))
    assert line and line.endswith(
        "feat(petstore): step 2 - connector spec, auth test, implementation, simulator spec "
        "and tests")
    assert git(checkout, "log", "-1", "--format=%s").startswith("feat(petstore): step 2 - ")
    committed = git(checkout, "show", "--name-only", "--format=", "HEAD").split()
    assert f"{SRC}/petstore.py" in committed
    assert "src/databricks/labs/community_connector/source_simulator/specs/petstore/" \
           "endpoints.yaml" in committed
    assert not any(p.startswith(".cf/") for p in committed)
    left = git(checkout, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert all(p[3:].startswith(".cf/") for p in left), left
    # nothing new: no empty commit
    assert commit_step(checkout, layout, "validate", _generated(checkout)) is None


def test_a_change_cf_did_not_make_stops_the_commit(checkout: Path) -> None:
    head = git(checkout, "rev-parse", "HEAD")
    # a tracked file of the repository, then a file cf generated, edited by a person
    for edited in ("README.md", f"{SRC}/petstore.py"):
        path = checkout / edited
        before = path.read_text()
        path.write_text(before + "\n# a person's change\n")
        with pytest.raises(InputError, match=f"changes cf did not make: .*{edited}"):
            commit_step(checkout, Layout(name="petstore", in_repo=True), "scaffold",
                        _generated(checkout))
        assert git(checkout, "rev-parse", "HEAD") == head
        path.write_text(before)


def test_a_standalone_project_becomes_a_repository(run_cf: RunCf, tmp_path: Path) -> None:
    run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
           "--out", str(tmp_path), "--yes")
    project = tmp_path / "petstore"
    line = commit_step(project, Layout(name="petstore"), "document", _generated(project))
    assert line and "feat(petstore): step 5 - README and complete connector_spec.yaml" in line
    committed = git(project, "show", "--name-only", "--format=", "HEAD").split()
    assert "tests/unit/sources/test_suite.py" in committed and ".gitignore" in committed
