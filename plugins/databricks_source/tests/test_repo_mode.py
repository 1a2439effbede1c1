"""`--repo`: writing into a checkout of lakeflow-community-connectors (the fixture checkout, see
``fixtures/lakeflow_checkout/README.md``), detecting what it offers first."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import ROOT, RunCf, flat, run_readme_tests
from .lakeflow_checkout import git, make_checkout

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"
SPECS = "src/databricks/labs/community_connector/source_simulator/specs"
SUITE = "tests/unit/sources/test_suite.py"


def _untracked(checkout: Path) -> set[str]:
    lines = git(checkout, "status", "--porcelain", "--untracked-files=all").splitlines()
    return {line[3:] for line in lines}


def test_repo_mode_writes_the_repository_layout_and_passes_its_suite(
        run_cf: RunCf, tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path / "lakeflow-community-connectors")
    result = run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
                    "--repo", str(checkout), "--yes")
    output = flat(result.output)
    assert "simulator_source and replay_config (and allow_empty_first_read, " \
           "allow_null_columns)" in output
    assert "lakeflow contract suite (default mode): passed" in output
    assert "lakeflow contract suite (live): skipped" in output
    # only the connector's three folders (and cf's state) are new; nothing tracked changed
    changed = _untracked(checkout)
    assert all(p.startswith(("src/databricks/labs/community_connector/sources/petstore/",
                             "tests/unit/sources/petstore/", f"{SPECS}/petstore/", ".cf/"))
               for p in changed), sorted(changed)
    for rel in (f"{SPECS}/petstore/endpoints.yaml", f"{SPECS}/petstore/corpus/pets.json",
                "tests/unit/sources/petstore/configs/dev_table_config.json",
                "tests/unit/sources/petstore/auth_test.py",
                "src/databricks/labs/community_connector/sources/petstore/pyproject.toml"):
        assert rel in changed, rel
    test_module = (checkout / "tests/unit/sources/petstore/test_petstore_lakeflow_connect.py"
                   ).read_text()
    assert 'simulator_source = "petstore"' in test_module
    assert "replay_config = {'base_url': 'https://petstore.example.com/v1', 'token': " \
           "'simulator-fake-token'}" in test_module
    assert any(p.name.endswith(".whl") for p in (checkout / "dist").iterdir())

    # the README's command works as printed, from the checkout's root
    run = run_readme_tests(checkout, checkout / "src/databricks/labs/community_connector/"
                                                "sources/petstore/README.md")
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"\b8 passed, 1 skipped\b", run.stdout), run.stdout[-1500:]


def test_an_older_checkout_stops_before_any_connector_file(run_cf: RunCf,
                                                          tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path / "old-checkout")
    suite = checkout / SUITE
    # as before the simulator: no simulator_source on the suite, no api doc template
    text = re.sub(r"\n    simulator_source: .*\n", "\n", suite.read_text())
    suite.write_text(text)
    (checkout / "templates/source_api_doc_template.md").unlink()
    git(checkout, "commit", "-qam", "an older layout")
    result = run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
                    "--repo", str(checkout), "--yes", expect=2)
    line = result.output.strip().splitlines()[-1]  # the one line after core's `project:`
    assert line.startswith("error:") and "fix:" in line, result.output
    assert "LakeflowConnectTests attribute(s) simulator_source" in line
    assert "templates/source_api_doc_template.md" in line and "f9c88869" in line
    assert all(p.startswith(".cf/") for p in _untracked(checkout)), _untracked(checkout)


def test_a_name_the_checkout_already_has_is_refused(run_cf: RunCf, tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path / "lakeflow-community-connectors")
    (checkout / "tests/unit/sources/petstore").mkdir()
    (checkout / "tests/unit/sources/petstore/__init__.py").write_text("# theirs\n")
    result = run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
                    "--repo", str(checkout), "--yes", expect=2)
    assert "already has tests/unit/sources/petstore/" in result.output
    assert (checkout / "tests/unit/sources/petstore/__init__.py").read_text() == "# theirs\n"
    assert not (checkout / "src/databricks/labs/community_connector/sources/petstore").exists()
