"""Scaffold: turn a :class:`ConnectorPlan` into the connector's files.

Renders the ``databricks-source`` cookiecutter template (connector module, test class, auth test,
and standalone the models of the repository's interface, simulator and suite), then writes the
simulator spec and corpus, the per-table options file and ``connector_spec.yaml``. Everything goes
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

TARGET = "databricks-source"

#: Options every generated connector understands besides its credentials (name -> description).
COMMON_OPTIONS = {
    "base_url": "API base URL (default: the server named in the API description)",
    "max_records_per_batch": "one read_table call returns whole pages until it has this many "
                             "records (default 1000)",
    "lookback_seconds": "incremental reads stop this long before the connector's start "
                        "(default 1), so records committed late are read by the next run",
    "max_retries": "retries of a request after a transport error, 429 or 5xx (default 5)",
    "max_wait_seconds": "most seconds one request waits for rate limits (default 300)",
    "request_deadline_seconds": "most seconds one response may take in all (default 120)",
}

#: Options a pipeline may set per table (Lakeflow ``external_options_allowlist``).
TABLE_OPTIONS = ("max_records_per_batch", "start_date", "lookback_seconds", "page_size")


def class_name(name: str) -> str:
    """``github_issues`` -> ``GithubIssuesLakeflowConnect``."""
    return "".join(part.capitalize() for part in name.split("_")) + "LakeflowConnect"


def secret_options(plan: ConnectorPlan) -> list[str]:
    """Option names holding secrets for the plan's auth type."""
    return {"bearer": ["token"], "basic": ["username", "password"], "api_key": ["api_key"],
            "oauth2_client_credentials": ["client_id", "client_secret"],
            "oauth2_refresh_token": ["client_id", "client_secret", "refresh_token"],
            }.get(plan.auth.type, [])


def table_runtime(table: TablePlan, plan: ConnectorPlan | None = None) -> dict[str, Any]:
    """The part of a table's plan the generated connector needs at run time.

    The schema is completed so every primary key, the cursor field and every column a child
    carries from its parent are columns (a dotted name becomes nested object properties), as
    Lakeflow's suite requires (``tests/unit/sources/test_suite.py``,
    ``test_read_table_metadata``); a carried column takes the parent field's type, any other
    column the API's schema does not describe is declared as a string.
    """
    data = table.model_dump(by_alias=True, exclude={"evidence", "reason", "description",
                                                    "operation_id", "method"})
    for param in data["params"]:
        param.pop("evidence", None)
        param.pop("description", None)
    if data.get("deletes"):
        data["deletes"].pop("evidence", None)
    data["pagination"].pop("evidence", None)
    schema = data["schema"] or {"type": "object", "properties": {}}
    parent = next((t for t in plan.tables if t.name == table.parent), None) if plan else None
    for param in table.params:
        if param.source == "parent" and param.column and param.parent_field:
            kind = _field_schema(parent.schema_ if parent else {}, param.parent_field)
            schema = _with_column(schema, [param.column], kind)
    for name in [*table.primary_keys, *([table.cursor_field] if table.cursor_field else [])]:
        schema = _with_column(schema, name.split("."))
    data["schema"] = schema
    return data


def _field_schema(schema: dict[str, Any], dotted: str) -> dict[str, Any]:
    node: Any = schema
    for part in dotted.split("."):
        node = (node.get("properties") or {}).get(part) if isinstance(node, dict) else None
    return dict(node) if isinstance(node, dict) and node.get("type") else {"type": "string"}


def _with_column(schema: dict[str, Any], parts: list[str],
                 kind: dict[str, Any] | None = None) -> dict[str, Any]:
    """``schema`` (an object schema) with the dotted column ``parts`` present (of ``kind``,
    default a string, when it is added)."""
    props = dict(schema.get("properties") or {})
    head, rest = parts[0], parts[1:]
    node = props.get(head)
    if node is None:
        node = {"type": "object", "properties": {}} if rest else (kind or {"type": "string"})
    if rest:
        node = _with_column(node, rest, kind) if node.get("type") == "object" else node
    props[head] = node
    return dict(schema, type="object", properties=props)


class _OnceReprPrinter(pprint.PrettyPrinter):
    """:mod:`pprint`'s layout, each container's one-line repr computed once per call: the stock
    printer, descending a value too wide for a line, computes every subtree's repr again at each
    level (GitHub's tables literal: 0.13 s, 0.07 s with this)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._reprs: dict[int, tuple[str, bool, bool]] = {}

    def format(self, object: Any, context: dict[int, int], maxlevels: int,
               level: int) -> tuple[str, bool, bool]:
        """:meth:`pprint.PrettyPrinter.format`, remembered for containers (by identity: they
        live as long as the one :meth:`pformat` call; a recursive one is not remembered)."""
        if not isinstance(object, (dict, list, tuple)):
            return super().format(object, context, maxlevels, level)
        found = self._reprs.get(id(object))
        if found is None:
            found = super().format(object, context, maxlevels, level)
            if not found[2]:
                self._reprs[id(object)] = found
        return found


def _literal(value: Any) -> str:
    """``value`` as the Python literal :func:`pprint.pformat` writes (indent 1, width 96, keys
    in insertion order)."""
    return _OnceReprPrinter(indent=1, width=96, sort_dicts=False).pformat(value)


def template_context(plan: ConnectorPlan) -> dict[str, Any]:
    """The cookiecutter context for ``plan``. The Python literals are private variables
    (``_``-prefixed): cookiecutter passes those through as they are, where it would compile
    every other value as a Jinja template (GitHub's 0.5 MB ``_tables_literal``: 0.1 s, and a
    ``{{`` in an API's example value would be read as Jinja)."""
    tables = {t.name: table_runtime(t, plan) for t in plan.tables}
    connection = [o.model_dump(exclude={"evidence"}) for o in plan.connection_options]
    options = secret_options(plan) + list(COMMON_OPTIONS)
    return {
        "project_dir": "project",
        "name": plan.name,
        "class_name": class_name(plan.name),
        "title": plan.title or plan.name,
        "source_description": plan.source or "an API description",
        "option_names": ", ".join(options),
        "_base_url_literal": repr(plan.base_url),
        "_auth_literal": _literal(plan.auth.model_dump(exclude={"evidence", "alternatives"})),
        "_connection_options_literal": _literal(connection),
        "_tables_literal": _literal(tables),
    }


def connector_spec(plan: ConnectorPlan, complete: bool = False) -> dict[str, Any]:
    """``connector_spec.yaml``: connection parameters (secrets marked); with ``complete``, also
    the ``external_options_allowlist`` of per-table options and the tables."""
    parameters = []
    for name in secret_options(plan):
        parameters.append({
            "name": name, "type": "string", "required": True,
            "secret": name not in ("username", "client_id"),
            "description": _auth_description(plan, name),
        })
    for option in plan.connection_options:  # server variables, shared path parameters
        parameters.append({
            "name": option.name, "type": "string",
            "required": option.required and option.default is None, "secret": option.secret,
            "description": option.description or "a connection option",
            **({"default": option.default} if option.default is not None else {})})
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
    if auth.type.startswith("oauth2"):
        return {"client_id": f"OAuth2 client id (token URL {auth.token_url or 'option token_url'})",
                "client_secret": "OAuth2 client secret",
                "refresh_token": "OAuth2 refresh token (refreshed on 401)"}[name]
    return f"HTTP basic auth {name}"


def dump_yaml(data: Any) -> str:
    """YAML text for ``data``, keys in insertion order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_connector_spec(plan: ConnectorPlan, layout: Layout, writer: FileWriter,
                         complete: bool) -> None:
    """Write ``connector_spec.yaml`` beside the connector module."""
    writer.write(layout.spec_file, dump_yaml(connector_spec(plan, complete)))


def replay_config(plan: ConnectorPlan) -> dict[str, str]:
    """Stand-in options for simulate mode (the test class's ``replay_config``): every secret a
    fake value, the base URL (a stand-in host when the plan names none; the simulator matches
    paths only), and each required connection option its default or a stand-in."""
    config = {"base_url": plan.base_url or "https://simulator.invalid"}
    for name in secret_options(plan):
        config[name] = f"simulator-fake-{name.replace('_', '-')}"
    for option in plan.connection_options:
        if option.required or option.default:
            config.setdefault(option.name, option.default or f"simulator-{option.name}")
    return config


def table_configs(plan: ConnectorPlan) -> dict[str, dict[str, str]]:
    """``configs/dev_table_config.json``: per table, a small batch (so reads take several calls)
    and a value for each table option the table needs (its default, else a stand-in to replace
    with a real value before a live run)."""
    configs: dict[str, dict[str, str]] = {}
    for table in plan.tables:
        options = {"max_records_per_batch": "10"}
        for param in table.params:
            if param.source == "table_option" and (param.required or param.default):
                options.setdefault(param.option or param.name,
                                   param.default or f"simulator-{param.name}")
        configs[table.name] = options
    return configs


#: Calls ``test_read_terminates`` may make before it calls a read non-terminating. The suite's
#: default (50, ``tests/unit/sources/test_suite.py`` at commit f9c88869) fits the corpus but not
#: a live source read in batches of ``max_records_per_batch`` = 10 (3,000 records: 300 calls).
TERMINATION_CALLS = 1000


def test_class_extras(honoured: frozenset[str] | None) -> str:
    """Lines added to the generated test class for the suite attributes it ``honoured``
    (``None``: the standalone model, which honours them all)."""
    lines = []
    if honoured is None or "read_termination_max_iterations" in honoured:
        lines += ["    # a live source holds more than the corpus, read 10 at a time",
                  f"    read_termination_max_iterations = {TERMINATION_CALLS}"]
    return "\n".join(lines)


def scaffold(plan: ConnectorPlan, layout: Layout, writer: FileWriter,
             honoured: frozenset[str] | None = None) -> list[str]:
    """Write every file of the connector for ``plan``; returns the paths written.

    ``honoured`` names the class attributes the checkout's ``LakeflowConnectTests`` has (see
    :mod:`.checkout`; ``None`` standalone).

    The template gives the connector module, its test class (``simulator_source`` and the
    stand-in ``replay_config``), the auth test and, standalone, the models of the repository's
    own parts; then come the simulator spec (:mod:`.simulator_spec`, synthesised from the
    schemas), the per-table options and ``connector_spec.yaml``.
    """
    from cf_databricks_source.simulator_spec import write_simulator_spec

    template = find_template("cf_databricks_source", TARGET)
    context = dict(template_context(plan), _replay_config_literal=_literal(replay_config(plan)),
                   _test_class_extras=test_class_extras(honoured))
    render_template(template, context, writer, dest=layout.root_prefix, include=layout.include)
    write_simulator_spec(plan, {}, writer)
    writer.write(layout.table_config_file, json.dumps(table_configs(plan), indent=2) + "\n")
    write_connector_spec(plan, layout, writer, complete=True)
    return writer.finish()
