"""`--repo`: writing into an existing checkout of the Lakeflow community connectors repository.

The checkout here is made the way the repository is laid out (its interface package and its
`tests/unit/sources/test_suite.py` with `LakeflowConnectTests`); the generated connector must add
only its own two folders, leave the repository's files alone, and pass the repository's suite.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .conftest import ROOT, RunCf

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"
SHARED = ("pyproject.toml", "README.md",
          "src/databricks/labs/community_connector/interface/__init__.py",
          "tests/unit/sources/test_suite.py", "tests/unit/sources/simulator.py")


def make_checkout(run_cf: RunCf, tmp_path: Path) -> Path:
    run_cf("new", "--target", "databricks-source", "seed", "--doc", str(PETSTORE),
           "--out", str(tmp_path / "seed"), "--yes")
    checkout = tmp_path / "lakeflow-community-connectors"
    shutil.copytree(tmp_path / "seed" / "seed", checkout,
                    ignore=shutil.ignore_patterns(".cf", "dist", "__pycache__"))
    (checkout / "pyproject.toml").write_text('[project]\nname = "lakeflow-community-connectors"\n')
    for path in SHARED:
        target = checkout / path
        target.write_text(target.read_text() + "\n# the repository's own copy\n")
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    return checkout


def test_repo_mode_adds_only_the_connector_and_uses_the_repository_suite(
        run_cf: RunCf, tmp_path: Path) -> None:
    checkout = make_checkout(run_cf, tmp_path)
    before = {p: (checkout / p).read_text() for p in SHARED}
    result = run_cf("new", "--target", "databricks-source", "petshop", "--doc", str(PETSTORE),
                    "--repo", str(checkout), "--yes")
    assert "lakeflow contract suite: passed" in result.output
    src = checkout / "src/databricks/labs/community_connector/sources/petshop"
    tests = checkout / "tests/unit/sources/petshop"
    assert (src / "petshop.py").is_file() and (src / "connector_spec.yaml").is_file()
    assert (tests / "test_petshop_lakeflow_connect.py").is_file()
    test_module = (tests / "test_petshop_lakeflow_connect.py").read_text()
    assert "from tests.unit.sources.test_suite import LakeflowConnectTests" in test_module
    assert "connector_class = PetshopLakeflowConnect" in test_module
    # the repository's own files are untouched
    assert {p: (checkout / p).read_text() for p in SHARED} == before
    assert (src / "pyproject.toml").is_file()
    assert any(p.name.endswith(".whl") for p in (checkout / "dist").iterdir())
