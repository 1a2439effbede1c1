"""The Lakeflow source simulator's spec for one connector: ``endpoints.yaml`` and ``corpus/``.

The Lakeflow community connectors repository serves a connector's HTTP requests in its default
(simulate) test mode from ``src/databricks/labs/community_connector/source_simulator/specs/
<source>/``: ``endpoints.yaml`` lists the endpoints (path with ``{placeholders}``, method,
corpus name, ``response.pagination_style`` one of ``none``/``page_number``/
``page_number_with_link_header``/``offset_limit``, ``response.default_sort`` ``"field asc"``,
``response.wrapper.records_key`` (dotted) and ``extras``, and ``params`` with a ``role`` each:
``filter`` (``field``, ``op`` eq/ne/gt/gte/lt/lte/in), ``sort_by``, ``sort_order``, ``page``,
``per_page``/``limit`` (``default``, ``max``), ``offset``, ``ignore``); ``corpus/<name>.json``
holds each endpoint's records as a JSON array. Only the request *path* is matched (the host is
not), so paths carry the base URL's path prefix. (Source: ``source_simulator/endpoint_spec.py``,
``corpus.py``, ``pagination.py`` and ``handler.py`` of databrickslabs/lakeflow-community-connectors
at commit f9c88869.)

:func:`simulator_files` turns a plan and, per table, a list of HTTP responses into those files.
The responses are either synthesised from the table's schema (:func:`synthesised_responses`, via
:mod:`.sample_data`) or recorded from the live API (probe/record mode calls this module with what
it saw). Pagination styles the simulator has no renderer for (``next_url``, ``next_token``,
``cursor``) are served as one page without a next pointer, which the generated reader reads as the
last page; ``endpoints.yaml`` says so in a comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict
from urllib.parse import urlsplit

import yaml
from connector_factory.files import FileWriter

from cf_databricks_source.connector_plan import ConnectorPlan, TablePlan
from cf_databricks_source.sample_data import field_schema, fill_unpopulated, sample_records

#: Where the simulator specs live, relative to the repository (or standalone project) root.
SPECS_ROOT = "src/databricks/labs/community_connector/source_simulator/specs"

#: The simulator's pagination styles for the plan's styles (others: one page, see module doc).
STYLE = {"none": "none", "page": "page_number", "offset": "offset_limit",
         "link_header": "page_number_with_link_header"}


class Response(TypedDict, total=False):
    """One HTTP response the connector got (or would get) for a table.

    ``path``: the request path as sent, without scheme and host (``/v2/pet/findByStatus``;
    the base URL's path prefix included). ``query``: the query parameters sent, name -> value
    (strings). ``status``: the HTTP status (responses other than 2xx are not put in the corpus).
    ``headers``: response headers (names as sent). ``body``: the parsed JSON body.
    """

    path: str
    query: dict[str, str]
    status: int
    headers: dict[str, str]
    body: Any


def spec_dir(name: str) -> str:
    """``src/…/source_simulator/specs/NAME`` (relative to the project root)."""
    return f"{SPECS_ROOT}/{name}"


def base_path(plan: ConnectorPlan) -> str:
    """The path part of the plan's base URL (``/v2``; ``""`` at the root)."""
    return urlsplit(plan.base_url or "").path.rstrip("/")


def simulator_files(plan: ConnectorPlan, responses: Mapping[str, Sequence[Response]]
                    ) -> dict[str, str]:
    """The files of the connector's simulator spec, path (relative to the project root) -> text.

    ``responses`` maps table name -> that table's responses (the table's own endpoint and, for
    ``cdc_with_deletes``, its deletes endpoint: a response whose path matches
    ``deletes_path`` goes to the ``TABLE_deletes`` corpus). Records are taken from each body at
    the table's ``records_path``, in order, duplicates (same primary key) dropped; when some
    declared top-level column is null in every record, one record completing them is added
    (:func:`~cf_databricks_source.sample_data.fill_unpopulated`), so the suite's column-
    population rule holds. A table missing from ``responses`` gets synthesised records.

    Raises:
        ValueError: a table's responses hold no records at all (say which table and which
            paths were seen), or a body does not have a list at the table's ``records_path``.
    """
    folder = spec_dir(plan.name)
    files: dict[str, str] = {}
    endpoints: list[dict[str, Any]] = []
    notes: list[str] = []
    for table in plan.tables:
        seen = responses.get(table.name)
        if seen is None:
            seen = synthesised_responses(plan, table)
        main, deletes = _split(plan, table, seen)
        files[f"{folder}/corpus/{table.name}.json"] = _corpus_text(table, main)
        endpoints.append(_endpoint(plan, table, table.path, table.name, main))
        deletes_path = _deletes_path(table)
        if deletes_path:
            corpus = f"{table.name}_deletes"
            files[f"{folder}/corpus/{corpus}.json"] = _corpus_text(table, deletes or main,
                                                                   complete=False)
            endpoints.append(_endpoint(plan, table, deletes_path, corpus, deletes))
        if table.pagination.style not in STYLE:
            notes.append(f"{table.name}: {table.pagination.style} paging has no simulator "
                         "style; served as one page with no next pointer")
    header = [f"# Simulator spec for the {plan.title or plan.name} connector, written by "
              "Connector Factory.", "# One entry per HTTP path the connector reads; the corpus "
              "is in corpus/<name>.json."]
    header += [f"# {note}" for note in notes]
    files[f"{folder}/endpoints.yaml"] = ("\n".join(header) + "\n" + yaml.safe_dump(
        {"endpoints": endpoints}, sort_keys=False, allow_unicode=True, width=100))
    return files


def write_simulator_spec(plan: ConnectorPlan, responses: Mapping[str, Sequence[Response]],
                         writer: FileWriter) -> list[str]:
    """Write :func:`simulator_files` through ``writer`` (a person's edit of a file is kept, as
    everywhere in cf); returns the relative paths handed to it. Raises as
    :func:`simulator_files` does."""
    files = simulator_files(plan, responses)
    for rel, text in files.items():
        writer.write(rel, text)
    return list(files)


def synthesised_responses(plan: ConnectorPlan, table: TablePlan) -> list[Response]:
    """One response per endpoint of ``table`` holding its sample records (see
    :func:`~cf_databricks_source.sample_data.sample_records`), shaped by ``records_path``."""
    records = sample_records(table)
    paths = [table.path] + ([_deletes_path(table)] if _deletes_path(table) else [])
    return [Response(path=base_path(plan) + str(path), query={}, status=200,
                     headers={"Content-Type": "application/json"},
                     body=_wrap(records, table.records_path)) for path in paths]


# -- internals ------------------------------------------------------------------------------


def _deletes_path(table: TablePlan) -> str | None:
    return table.deletes_path or (table.deletes.path if table.deletes else None)


def _split(plan: ConnectorPlan, table: TablePlan, seen: Iterable[Response]
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records of the table's endpoint and of its deletes endpoint, in order, deduplicated."""
    deletes_path = _deletes_path(table)
    main: list[dict[str, Any]] = []
    deletes: list[dict[str, Any]] = []
    paths = []
    for response in seen:
        paths.append(response.get("path", "?"))
        if not 200 <= int(response.get("status", 200)) < 300:
            continue
        records = _records(response.get("body"), table)
        is_delete = bool(deletes_path) and _path_regex(
            base_path(plan) + str(deletes_path)).match(response.get("path", "")) is not None
        (deletes if is_delete else main).extend(records)
    if not main:
        raise ValueError(f"table {table.name}: no records in the {len(paths)} response(s) seen "
                         f"({', '.join(sorted(set(paths))[:5]) or 'none'})")
    return _unique(table, main), _unique(table, deletes)


def _path_regex(path: str) -> re.Pattern[str]:
    """``/users/{id}/repos`` -> a pattern matching the path with any value for ``{id}`` (as the
    simulator matches it)."""
    parts = re.split(r"\{[A-Za-z_][A-Za-z0-9_]*\}", path)
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "$")


def _records(body: Any, table: TablePlan) -> list[dict[str, Any]]:
    node = body
    for key in table.records_path:
        node = node.get(key) if isinstance(node, dict) else None
    if node is None:
        return []
    if not isinstance(node, list):
        where = ".".join(table.records_path) or "the body"
        raise ValueError(f"table {table.name}: expected a list at {where}, got "
                         f"{type(node).__name__}")
    return [r for r in node if isinstance(r, dict)]


def _unique(table: TablePlan, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not table.primary_keys:
        return records
    seen: set[str] = set()
    out = []
    for record in records:
        key = json.dumps([_dig(record, k) for k in table.primary_keys], sort_keys=True,
                         default=str)
        if key not in seen:
            seen.add(key)
            out.append(record)
    return out


def _dig(record: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        record = record.get(key) if isinstance(record, dict) else None
    return record


def _corpus_text(table: TablePlan, records: list[dict[str, Any]], complete: bool = True) -> str:
    if complete:
        records = fill_unpopulated(table, records)
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def _wrap(records: list[dict[str, Any]], path: Sequence[str]) -> Any:
    body: Any = records
    for key in reversed(list(path)):
        body = {key: body}
    return body


def _endpoint(plan: ConnectorPlan, table: TablePlan, path: str, corpus: str,
              records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One ``endpoints:`` entry (see the module doc for the format)."""
    p = table.pagination
    style = STYLE.get(p.style, "none")
    if style == "page_number_with_link_header" and (p.page_param or "page") != "page":
        style = "page_number"  # the simulator's Link header always names the page `page`
    response: dict[str, Any] = {"pagination_style": style}
    if table.cursor_field:
        response["default_sort"] = f"{table.cursor_field} asc"
    if table.records_path:
        response["wrapper"] = {"records_key": ".".join(table.records_path)}
    params: dict[str, dict[str, Any]] = {}
    size = {"default": p.page_size, "max": max(p.page_size, 100)}
    if style in ("page_number", "page_number_with_link_header"):
        params[p.page_param or "page"] = {"role": "page"}
        params[p.size_param or "per_page"] = {"role": "per_page", **size}
    elif style == "offset_limit":
        params[p.offset_param or "offset"] = {"role": "offset"}
        params[p.size_param or "limit"] = {"role": "limit", **size}
    incremental = table.incremental
    if incremental and incremental.since_param and table.cursor_field:
        params[incremental.since_param] = {"role": "filter", "field": table.cursor_field,
                                           "op": "gte"}
    for q in table.params:  # a child's requests name the parent record it reads under
        if q.source == "parent" and q.in_ == "path" and q.column:
            params[q.name] = {"role": "filter", "field": q.column, "op": "eq"}
    ignored = list(table.query) + list(incremental.sort_params if incremental else {})
    ignored += [q.name for q in table.params if q.in_ == "query"]
    ignored += [n for n in (p.token_param, p.cursor_param, p.size_param) if n]
    if table.deletes:
        ignored += list(table.deletes.query)
    if plan.auth.type == "api_key" and plan.auth.location == "query" and plan.auth.key_name:
        ignored.append(plan.auth.key_name)
    for name in ignored:
        params.setdefault(name, {"role": "ignore"})
    entry: dict[str, Any] = {"path": base_path(plan) + path, "method": "GET", "corpus": corpus,
                             "response": response}
    if params:
        entry["params"] = params
    if corpus == table.name and _time_cursor(table):
        # copies of the last record dated after "now": a reader that does not stop at its
        # start time never converges (the suite's termination check then fails)
        entry["synthesize_future_records"] = {"cursor_field": table.cursor_field, "count": 3}
    return entry


def _time_cursor(table: TablePlan) -> bool:
    """Whether ``table`` is incremental on a date-time cursor."""
    if table.ingestion_type == "snapshot" or not table.cursor_field:
        return False
    return field_schema(table.schema_, table.cursor_field).get("format") == "date-time"
