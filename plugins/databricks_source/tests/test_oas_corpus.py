"""Robustness on the @readme/oas-examples corpus: every document yields a plan whose connector
compiles, or a one-line error naming the problem — never a traceback."""

from __future__ import annotations

import py_compile
from pathlib import Path

import pytest
from cf_databricks_source.api_doc import parse_api_doc, render_api_doc
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_research import research
from cf_databricks_source.scaffold import scaffold
from connector_factory.errors import InputError
from connector_factory.files import FileWriter


def corpus(inputs_dir: Path) -> list[Path]:
    root = inputs_dir / "oas-examples"
    return sorted(p for version in ("2.0", "3.0", "3.1") for p in (root / version).rglob("*")
                  if p.suffix in (".json", ".yaml", ".yml"))


def test_every_document_gives_a_plan_or_a_one_line_error(inputs_dir: Path, tmp_path: Path) -> None:
    documents = corpus(inputs_dir)
    assert len(documents) >= 100, "the oas-examples corpus is incomplete: re-run .ci/fetch-inputs"
    plans, errors = [], []
    for path in documents:
        name = f"{path.parent.parent.name.replace('.', '_')}_{path.parent.name}_{path.stem}"
        try:
            plan = research(path, "corpus")
        except InputError as exc:
            line = exc.one_line()
            assert "\n" not in line and path.name in line, line
            errors.append(line)
            continue
        assert parse_api_doc(render_api_doc(plan)) == plan, path
        out = tmp_path / name
        layout = Layout(name="corpus", in_repo=False)
        scaffold(plan, layout, FileWriter(out, {}))
        py_compile.compile(str(out / layout.module_file), doraise=True)
        plans.append(path)
    # the corpus is mostly feature demos; the API-shaped ones must give plans
    assert len(plans) >= 20, f"only {len(plans)} plans: {errors[:5]}"
    names = {p.name for p in plans}
    assert {"petstore.json", "train-travel.json"} <= names, sorted(names)


@pytest.mark.parametrize("relative", ["3.0/json/circular.json", "3.0/json/schema-circular.json",
                                      "3.1/json/train-travel.json"])
def test_hard_cases(inputs_dir: Path, relative: str) -> None:
    path = inputs_dir / "oas-examples" / relative
    try:
        plan = research(path, "hard")
    except InputError as exc:
        assert "\n" not in exc.one_line()
        return
    assert plan.tables
