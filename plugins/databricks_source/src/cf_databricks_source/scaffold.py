"""Scaffold: turn a :class:`ConnectorPlan` into the connector's files.

Renders the ``databricks-source`` cookiecutter template (connector module, Lakeflow interface and
contract suite when standalone, test module, auth test), then writes the simulate-mode endpoint
list and sample records, the per-table options file and ``connector_spec.yaml``. Everything goes
through the core's :class:`~connector_factory.files.FileWriter`, so a person's edits are kept.
"""

from __future__ import annotations

import json
import pprint
from typing import Any

import yaml
from connector_factory.files import FileWriter
from connector_factory.templates import find_template, render_template

from cf_databricks_source.connector_plan import ConnectorPlan, TablePlan, table_options
from cf_databricks_source.layout import Layout
from cf_databricks_source.sample_data import sample_records

TARGET = "databricks-source"

#: Options every generated connector understands besides its credentials (name -> description).
COMMON_OPTIONS = {
    "base_url": "API base URL (default: the server named in the API description)",
    "max_records_per_batch": "records returned by one read_table call at most (default 1000)",
    "max_pages_per_batch": "pages fetched by one read_table call at most (default 50)",
    "max_retries": "retries on 429 and 5xx responses (default 5)",
}

#: Options a pipeline may set per table (Lakeflow ``external_options_allowlist``).
TABLE_OPTIONS = ("max_records_per_batch", "max_pages_per_batch")


def class_name(name: str) -> str:
    """``github_issues`` -> ``GithubIssuesLakeflowConnect``."""
    return "".join(part.capitalize() for part in name.split("_")) + "LakeflowConnect"


def secret_options(plan: ConnectorPlan) -> list[str]:
    """Option names holding secrets for the plan's auth type."""
    return {"bearer": ["token"], "basic": ["username", "password"],
            "api_key": ["api_key"]}.get(plan.auth.type, [])


def table_runtime(table: TablePlan) -> dict[str, Any]:
    """The part of a table's plan the generated connector needs at run time."""
    data = table.model_dump(by_alias=True, exclude={"evidence", "reason", "description",
                                                    "operation_id", "method"})
    return data


def _literal(value: Any) -> str:
    return pprint.pformat(value, indent=1, width=96, sort_dicts=False)


def template_context(plan: ConnectorPlan) -> dict[str, Any]:
    """The cookiecutter context for ``plan``."""
    tables = {t.name: table_runtime(t) for t in plan.tables}
    options = secret_options(plan) + list(COMMON_OPTIONS)
    return {
        "project_dir": "project",
        "name": plan.name,
        "class_name": class_name(plan.name),
        "title": plan.title or plan.name,
        "source_description": plan.source or "an API description",
        "option_names": ", ".join(options),
        "base_url_literal": repr(plan.base_url),
        "auth_literal": _literal(plan.auth.model_dump(exclude={"evidence", "alternatives"})),
        "tables_literal": _literal(tables),
    }


def endpoints_document(plan: ConnectorPlan) -> dict[str, Any]:
    """The simulate-mode ``endpoints.yaml``: base URL, auth, and per table how it answers."""
    endpoints = []
    for table in plan.tables:
        incremental = table.incremental
        endpoints.append({
            "table": table.name,
            "path": table.path,
            "corpus": f"corpus/{table.name}.json",
            "records_path": table.records_path,
            "pagination": table.pagination.model_dump(exclude={"evidence"}),
            "cursor_field": table.cursor_field,
            "since_param": incremental.since_param if incremental else None,
            "sort_params": incremental.sort_params if incremental else {},
            **({"deletes_path": table.deletes_path} if table.deletes_path else {}),
        })
    return {
        "base_url": plan.base_url or "https://api.invalid",
        "auth": plan.auth.model_dump(exclude={"evidence", "alternatives"}),
        "secret_options": secret_options(plan),
        "endpoints": endpoints,
    }


def connector_spec(plan: ConnectorPlan, complete: bool = False) -> dict[str, Any]:
    """``connector_spec.yaml``: connection parameters (secrets marked); with ``complete``, also
    the ``external_options_allowlist`` of per-table options and the tables."""
    parameters = []
    for name in secret_options(plan):
        parameters.append({
            "name": name, "type": "string", "required": True,
            "secret": name != "username",
            "description": _auth_description(plan, name),
        })
    for name, text in COMMON_OPTIONS.items():
        entry: dict[str, Any] = {"name": name, "type": "string", "required": False,
                                 "secret": False, "description": text}
        if name == "base_url" and plan.base_url:
            entry["default"] = plan.base_url
        parameters.append(entry)
    spec: dict[str, Any] = {
        "name": plan.name,
        "display_name": plan.title or plan.name,
        "connection": {"parameters": parameters},
    }
    if complete:
        spec["external_options_allowlist"] = ",".join([*TABLE_OPTIONS, *table_options(plan)])
        spec["tables"] = [
            {"name": t.name, "ingestion_type": t.ingestion_type,
             "primary_keys": t.primary_keys,
             **({"cursor_field": t.cursor_field} if t.cursor_field else {})}
            for t in plan.tables
        ]
    return spec


def _auth_description(plan: ConnectorPlan, name: str) -> str:
    auth = plan.auth
    if auth.type == "bearer":
        return f"token sent as '{auth.header}: {auth.scheme} <token>'".replace("  ", " ")
    if auth.type == "api_key":
        return f"API key sent in the {auth.location} as '{auth.key_name}'"
    return f"HTTP basic auth {name}"


def dump_yaml(data: Any) -> str:
    """YAML text for ``data``, keys in insertion order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_connector_spec(plan: ConnectorPlan, layout: Layout, writer: FileWriter,
                         complete: bool) -> None:
    """Write ``connector_spec.yaml`` beside the connector module."""
    writer.write(layout.spec_file, dump_yaml(connector_spec(plan, complete)))


def scaffold(plan: ConnectorPlan, layout: Layout, writer: FileWriter) -> list[str]:
    """Write every file of the connector for ``plan``; returns the paths written."""
    template = find_template("cf_databricks_source", TARGET)
    render_template(template, template_context(plan), writer, dest=layout.root_prefix,
                    include=layout.include)
    writer.write(f"{layout.tests_dir}/simulate/endpoints.yaml", dump_yaml(endpoints_document(plan)))
    for table in plan.tables:
        writer.write(f"{layout.tests_dir}/simulate/corpus/{table.name}.json",
                     json.dumps(sample_records(table), indent=2) + "\n")
    table_config = {t.name: {"max_records_per_batch": "10"} for t in plan.tables}
    writer.write(f"{layout.tests_dir}/configs/dev_table_config.json",
                 json.dumps(table_config, indent=2) + "\n")
    write_connector_spec(plan, layout, writer, complete=True)
    return writer.finish()
