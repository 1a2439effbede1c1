"""The README's example, offline: `cf new` on the shipped petstore description ends green as a
standalone project laid out like the Lakeflow repository (its suite, simulator and interface
written by this project), the connector README's test command works as printed, and a person's
edit survives a re-run."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from .conftest import ROOT, RunCf, flat, run_readme_tests

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"
SRC = "src/databricks/labs/community_connector/sources/petstore"


def test_cf_new_petstore_end_to_end(run_cf: RunCf, tmp_path: Path) -> None:
    result = run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
                    "--out", str(tmp_path), "--yes")
    project = tmp_path / "petstore"
    state = json.loads((project / ".cf" / "state.json").read_text())
    assert {s: v["status"] for s, v in state["steps"].items()} == {
        s: "completed" for s in ("plan", "research", "scaffold", "validate", "test_gate",
                                 "document", "deploy")}
    assert "lakeflow contract suite (default mode): passed" in flat(result.output)
    specs = "src/databricks/labs/community_connector/source_simulator"
    for rel in (f"{SRC}/petstore.py", f"{SRC}/petstore_api_doc.md", f"{SRC}/connector_spec.yaml",
                f"{SRC}/README.md", "tests/unit/sources/petstore/test_petstore_lakeflow_connect.py",
                "tests/unit/sources/petstore/auth_test.py", "pyproject.toml",
                "tests/unit/sources/petstore/configs/dev_table_config.json",
                f"{specs}/specs/petstore/endpoints.yaml", f"{specs}/specs/petstore/corpus/pets.json",
                f"{specs}/simulator.py", "tests/unit/sources/test_suite.py",
                "tests/unit/sources/test_utils.py"):
        assert (project / rel).is_file(), rel
    tests = run_readme_tests(project, project / SRC / "README.md")
    assert tests.returncode == 0 and "8 passed, 1 skipped" in tests.stdout, tests.stdout[-2000:]
    spec = (project / SRC / "connector_spec.yaml").read_text()
    assert "external_options_allowlist" in spec and "secret: true" in spec
    wheel = next((project / "dist").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert any(n.endswith("sources/petstore/petstore.py") for n in archive.namelist())

    status = run_cf("status", "--project", str(project))
    assert "test_gate" in status.output or "test-gate" in status.output

    # a person edits the implementation; scaffold again keeps the edit and says so
    module = project / SRC / "petstore.py"
    module.write_text(module.read_text() + "\n# tuned by hand\n")
    again = run_cf("scaffold", "--project", str(project), "--yes")
    assert module.read_text().endswith("# tuned by hand\n")
    assert "kept your edits" in again.output and "__pycache__" not in again.output
    # when the generated version changes too, the new one goes beside the edit and the step stops
    api_doc = project / SRC / "petstore_api_doc.md"
    api_doc.write_text(api_doc.read_text().replace("size_param: per_page", "size_param: limit", 1))
    conflict = run_cf("scaffold", "--project", str(project), "--yes", expect=1)
    assert module.read_text().endswith("# tuned by hand\n")
    assert (project / SRC / "petstore.py.cf-new").is_file()
    assert "petstore.py" in conflict.output and "cf-new" in conflict.output


def test_unknown_table_is_a_one_line_error(run_cf: RunCf, tmp_path: Path) -> None:
    result = run_cf("new", "--target", "databricks-source", "petstore", "--doc", str(PETSTORE),
                    "--tables", "pets,owners", "--out", str(tmp_path), "--yes", expect=2)
    assert "--tables owners" in result.output and "choose from (best first): pets, orders, categories" in result.output
    assert "Traceback" not in result.output


def test_unstructured_doc_without_a_key_says_what_to_do(run_cf: RunCf, tmp_path: Path) -> None:
    doc = tmp_path / "api.md"
    doc.write_text("# Widgets API\n\nGET /widgets lists the widgets of your account, newest "
                   "first, one page of fifty at a time; authenticate with a bearer token in the "
                   "Authorization header.\n")  # real prose: shorter text is refused as not prose
    result = run_cf("new", "--target", "databricks-source", "widgets", "--doc", str(doc),
                    "--out", str(tmp_path), "--yes", expect=2,
                    env={"ANTHROPIC_API_KEY": ""})
    assert "needs the LLM" in result.output and "ANTHROPIC_API_KEY" in result.output
