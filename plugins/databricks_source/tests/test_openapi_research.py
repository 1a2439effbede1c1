"""Research on real OpenAPI documents: the shipped petstore example and GitHub's REST API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cf_databricks_source.api_doc import PLAN_HEADING, parse_api_doc, render_api_doc
from cf_databricks_source.checks import validate
from cf_databricks_source.connector_plan import table_options
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_research import MAX_TABLES, research
from cf_databricks_source.scaffold import connector_spec, scaffold
from connector_factory.errors import InputError
from connector_factory.files import FileWriter

from .conftest import ROOT

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"


def test_petstore_decisions_and_evidence() -> None:
    plan = research(PETSTORE, "petstore")
    assert plan.base_url == "https://petstore.example.com/v1"
    assert plan.auth.type == "bearer" and "bearerAuth" in plan.auth.evidence
    tables = {t.name: t for t in plan.tables}
    assert set(tables) == {"pets", "orders", "categories"}
    pets = tables["pets"]
    assert (pets.ingestion_type, pets.primary_keys, pets.cursor_field) == ("cdc", ["id"], "updated_at")
    assert pets.pagination.style == "link_header" and pets.pagination.size_param == "per_page"
    assert pets.incremental is not None and pets.incremental.since_param == "updated_since"
    assert pets.incremental.sort_params == {"sort": "updated", "direction": "asc"}
    assert tables["orders"].records_path == ["data"]
    assert tables["orders"].pagination.style == "offset"
    assert tables["categories"].pagination.style == "none"
    assert "600 per minute" in plan.rate_limits
    # integers stay integers in the stored schema; nested objects stay objects
    assert pets.schema_["properties"]["id"]["type"] == "integer"


def test_api_doc_round_trips_and_an_edit_is_followed() -> None:
    plan = research(PETSTORE, "petstore")
    text = render_api_doc(plan)
    assert parse_api_doc(text) == plan
    edited = text.replace("per_page", "page_size")
    assert parse_api_doc(edited).tables[0].pagination.size_param == "page_size"


@pytest.mark.parametrize(("mangle", "message"), [
    (lambda t: t.replace(PLAN_HEADING, "## Plan"), "has no YAML block"),
    (lambda t: t.replace("ingestion_type: cdc", "ingestion_type: sometimes"), "tables.0.ingestion_type"),
    (lambda t: t.replace("name: petstore", "name: [petstore"), "not valid YAML"),
])
def test_a_broken_plan_block_is_a_one_line_error(mangle, message: str) -> None:
    text = mangle(render_api_doc(research(PETSTORE, "petstore")))
    with pytest.raises(InputError, match=message) as caught:
        parse_api_doc(text, where="petstore_api_doc.md")
    assert "\n" not in caught.value.one_line()


def test_named_tables_and_an_unknown_one() -> None:
    plan = research(PETSTORE, "petstore", tables=["/orders", "pets"])
    assert [t.name for t in plan.tables] == ["orders", "pets"]
    with pytest.raises(InputError, match="--tables owners: not among the 3 list endpoints") as caught:
        research(PETSTORE, "petstore", tables=["owners"])
    # best first, never alphabetical
    assert "choose from (best first): pets, orders, categories" in caught.value.one_line()


def test_github_research_picks_repository_scoped_tables(inputs_dir: Path) -> None:
    plan = research(inputs_dir / "github" / "api.github.com.json", "github")
    assert plan.stats["operations"] == 1223 and plan.stats["get_operations"] == 639
    assert plan.stats["candidates"] >= 300  # path parameters no longer rule endpoints out
    assert len(plan.tables) == MAX_TABLES
    assert plan.base_url == "https://api.github.com"
    assert plan.auth.type == "bearer"
    tables = {t.path: t for t in plan.tables}
    issues = tables["/repos/{owner}/{repo}/issues"]
    pulls = tables["/repos/{owner}/{repo}/pulls"]
    commits = tables["/repos/{owner}/{repo}/commits"]
    assert "/repos/{owner}/{repo}/issues/comments" in tables
    for table in (issues, pulls, commits):
        assert [(p.name, p.source, p.in_) for p in table.params] == [
            ("owner", "table_option", "path"), ("repo", "table_option", "path")]
        assert table.pagination.style == "link_header" and table.pagination.size_param == "per_page"
    assert (issues.name, issues.ingestion_type, issues.cursor_field) == ("issues", "cdc", "updated_at")
    assert issues.query == {"state": "all"} and "hides records" in issues.evidence["query.state"]
    assert pulls.query == {"state": "all"} and pulls.ingestion_type == "cdc"
    assert issues.incremental is not None
    assert issues.incremental.since_param == "since" and issues.incremental.since_format == "iso8601"
    assert issues.incremental.sort_params == {"sort": "updated", "direction": "asc"}
    # commits are immutable: appended on the nested committer date the `since` filter reads
    assert (commits.primary_keys, commits.ingestion_type) == (["sha"], "append")
    assert commits.cursor_field == "commit.committer.date"
    assert commits.incremental is not None and commits.incremental.since_param == "since"
    # no firehose, admin- or app-only endpoint is chosen, and at most one table per resource
    assert not {"/repositories", "/users", "/events", "/organizations"} & set(tables)
    assert len({t.path.rsplit("/", 1)[-1] for t in plan.tables}) == MAX_TABLES
    assert "global firehose" in plan.skipped["GET /repositories"]
    assert "app-only" in plan.skipped["GET /app/installations"]
    assert "one object" in plan.skipped["GET /repos/{owner}/{repo}"]
    # every GET operation is either a table or listed with its reason
    assert len(plan.skipped) + len(plan.tables) == plan.stats["get_operations"]
    assert not [t for t in plan.tables if t.ingestion_type == "append" and not t.cursor_field]
    # the table options are allowed through the connection and documented
    allowlist = connector_spec(plan, complete=True)["external_options_allowlist"].split(",")
    assert {"owner", "repo", "max_records_per_batch"} <= set(allowlist)
    assert "The account owner of the repository" in table_options(plan)["owner"]


def test_github_named_tables_by_path_parent_and_monotonic_cursor(inputs_dir: Path) -> None:
    doc = inputs_dir / "github" / "api.github.com.json"
    plan = research(doc, "github", tables=["/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
                                           "/repositories", "branches"])
    tables = {t.path.rsplit("/", 1)[-1]: t for t in plan.tables}
    # the child's parent is planned with it, before it
    assert [t.name for t in plan.tables][:2] == ["pulls", "reviews"]
    assert list(tables) == ["pulls", "reviews", "repositories", "branches"]
    reviews = tables["reviews"]
    assert reviews.parent == "pulls"
    number = next(p for p in reviews.params if p.name == "pull_number")
    assert (number.source, number.parent_field, number.column) == ("parent", "number", "pull_number")
    assert reviews.primary_keys == ["pull_number", "id"]
    assert reviews.schema_["properties"]["pull_number"]["type"] == "integer"
    # /repositories?since=ID: a growing id, not a time: append on id
    repositories = tables["repositories"]
    assert repositories.ingestion_type == "append" and repositories.cursor_field == "id"
    assert repositories.incremental is not None
    assert repositories.incremental.cursor_kind == "monotonic"
    assert tables["branches"].primary_keys == ["name"]  # a natural key
    text = render_api_doc(plan)
    assert "each record of parent `pulls`: field `number`, carried as column `pull_number`" in text
    assert "table option `owner` (required)" in text
    assert parse_api_doc(text) == plan


def test_github_connector_imports_and_passes_static_checks(inputs_dir: Path, tmp_path: Path) -> None:
    plan = research(inputs_dir / "github" / "api.github.com.json", "github")
    layout = Layout(name="github", in_repo=False)
    writer = FileWriter(tmp_path, {})
    outputs = scaffold(plan, layout, writer)
    assert layout.module_file in outputs
    result = validate(tmp_path, layout)
    by_name = {c.name: c for c in result.checks}
    assert by_name["module imports"].status == "passed", by_name["module imports"].failures
    assert by_name["static checks (ruff)"].status == "passed", by_name["static checks (ruff)"].failures
    assert by_name["auth test"].status == "passed", by_name["auth test"].failures
    # the generated module really is importable Python with every table in it
    code = ("import sys; sys.path.insert(0, 'src');"
            "from databricks.labs.community_connector.sources.github.github import TABLES;"
            "print(len(TABLES))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == str(MAX_TABLES)


def test_jinja_in_an_example_value_is_generated_verbatim(tmp_path: Path) -> None:
    """The plan's literals reach the template as cookiecutter private variables, not rendered."""
    doc = tmp_path / "labels.yaml"
    doc.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n"
                   "  /labels:\n    get:\n      responses:\n        '200':\n"
                   "          description: labels\n          content:\n"
                   "            application/json:\n              schema:\n"
                   "                type: array\n                items:\n"
                   "                  type: object\n                  properties:\n"
                   "                    id: {type: integer}\n"
                   "                    label: {type: string, example: '{{ cookiecutter.name }}'}\n",
                   encoding="utf-8")
    plan = research(doc, "labels")
    layout = Layout(name="labels", in_repo=False)
    scaffold(plan, layout, FileWriter(tmp_path / "out", {}))
    module = (tmp_path / "out" / layout.module_file).read_text(encoding="utf-8")
    assert "'example': '{{ cookiecutter.name }}'" in module
