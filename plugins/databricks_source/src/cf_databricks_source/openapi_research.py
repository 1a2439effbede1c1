"""Deterministic research on an OpenAPI/Swagger document: which list endpoints can be tables, and
for each its records, parameters, primary key, cursor, ingestion type and pagination, with the
evidence.

A candidate table is a ``GET`` operation whose success response is a list of records (the body
itself, or an array in it, also inside ``allOf`` parts or a ``data``/``result`` envelope). Each
decision is made by a module with one job — :mod:`.params` (table options, connection options,
parent tables, fixed values), :mod:`.keys`, :mod:`.incremental`, :mod:`.pagination_detect`,
:mod:`.deletes`, :mod:`.auth_detect` — and recorded with the document path it came from;
:mod:`.ranking` names the tables and chooses them when the user names none. Every ``GET`` that is
not a table is listed in ``skipped`` with the reason.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from connector_factory.errors import InputError

from cf_databricks_source import deletes, incremental, pagination_detect
from cf_databricks_source.api_names import (
    CREATED_NAMES,
    DIRECTION_NAMES,
    NEXT_URL_NAMES,
    PAGE_NAMES,
    PK_NAMES,
    RECORD_ARRAY_NAMES,
    SINCE_NAMES,
    SIZE_NAMES,
    SORT_NAMES,
    TOKEN_BODY_NAMES,
    TOKEN_PARAM_NAMES,
    UPDATED_NAMES,
    WRAPPER_NAMES,
    table_name,
)
from cf_databricks_source.auth_detect import auth_for, credential_gaps, server
from cf_databricks_source.connector_plan import ConnectionOption, ConnectorPlan, TablePlan
from cf_databricks_source.keys import primary_key
from cf_databricks_source.openapi_loader import OpenAPIDocument, Operation, safe_dict
from cf_databricks_source.params import (
    parent_column,
    parent_field,
    path_param_names,
    plan_params,
)
from cf_databricks_source.ranking import (
    MAX_TABLES,
    Candidate,
    RankContext,
    assign_names,
    choose,
    flag,
    score,
    segments,
)
from cf_databricks_source.schema_flatten import flatten, leaf_fields

# The name lists live in api_names; the probe imports them from here too.
_table_name = table_name
__all__ = ["CREATED_NAMES", "DIRECTION_NAMES", "MAX_TABLES", "NEXT_URL_NAMES", "PAGE_NAMES",
           "PK_NAMES", "RECORD_ARRAY_NAMES", "SINCE_NAMES", "SIZE_NAMES", "SORT_NAMES",
           "TOKEN_BODY_NAMES", "TOKEN_PARAM_NAMES", "UPDATED_NAMES", "WRAPPER_NAMES", "research"]


def research(path: Path, name: str, tables: list[str] | None = None) -> ConnectorPlan:
    """The connector plan for the OpenAPI/Swagger document at ``path``.

    Args:
        path: a local OpenAPI 3.x or Swagger 2.0 document (JSON or YAML).
        name: the connector name (``^[a-z][a-z0-9_]*$``).
        tables: table names or endpoint paths (``/repos/{owner}/{repo}/issues``) to include;
            ``None`` chooses up to :data:`MAX_TABLES`.

    Raises:
        InputError: the document cannot be read, has no list endpoint usable as a table (the
            message counts the reasons), or a named table is not among the candidates.
    """
    document = OpenAPIDocument(path)
    operations = list(document.operations())
    gets = [op for op in operations if op.method == "GET"]
    candidates: list[Candidate] = []
    rejected: dict[str, str] = {}
    flattened: dict[tuple[str, int], dict[str, Any]] = {}  # record schemas by reference
    for index, op in enumerate(gets):
        outcome = _candidate(document, op, index, flattened)
        if isinstance(outcome, Candidate):
            candidates.append(outcome)
        else:
            rejected[f"GET {op.path}"] = outcome
    if not candidates:
        counts = Counter(rejected.values()).most_common(3)
        reasons = "; ".join(f"{n} {why}" for why, n in counts) or "there are none"
        raise InputError(
            f"{path.name}: none of its {len(gets)} GET operations lists records ({reasons})",
            "pass a document with list endpoints, or write the plan in the api doc by hand")
    _link_parents(candidates)
    for i, gap in credential_gaps(document, [c.op for c in candidates]).items():
        candidates[i].credential_gap = gap
    context = RankContext.of([str(p) for p in safe_dict(document.doc.get("paths"))], name)
    for c in candidates:
        score(c, context)
    assign_names(candidates)
    for c in candidates:
        if c.parent is not None:
            c.table.parent = c.parent.table.name
    _link_sibling_deletes(candidates)
    skipped: dict[str, str] = {}
    chosen = choose(candidates, tables, skipped)
    skipped.update(rejected)
    base_url, server_options, _ = server(document)
    return ConnectorPlan(
        name=name,
        title=document.title or name,
        source=path.name,
        source_kind="openapi",
        base_url=base_url,
        connection_options=_connection_options(server_options, chosen),
        auth=auth_for(document, [c.op for c in chosen], base_url),
        rate_limits=_rate_limits(document, gets),
        tables=[c.table for c in chosen],
        skipped=skipped,
        stats={"operations": len(operations), "get_operations": len(gets),
               "candidates": len(candidates)},
    )


def _candidate(document: OpenAPIDocument, op: Operation, index: int,
               flattened: dict[tuple[str, int], dict[str, Any]]) -> Candidate | str:
    """The candidate for ``op``, or why it is not a table (one line); ``flattened`` remembers
    the record schemas flattened so far (see :func:`.schema_flatten.flatten`)."""
    response, body, where = document.response(op)
    if not body:
        return "no JSON success response"
    records_path, item = _records(body, op.path)
    if records_path is None:
        return ("returns one object, not a list" if _is_object(body)
                else "the response is not a list of records")
    schema = flatten(item, known=flattened)
    if schema.get("type") != "object":
        return "its records are not objects"
    fields = leaf_fields(schema)
    resource = (segments(op.path) or ["records"])[-1]
    keys, key_why = primary_key(fields, segments(op.path))
    evidence: dict[str, str] = {
        "endpoint": f"paths.{op.path}.get",
        "records": f"{where}" + (f" → {'.'.join(records_path)}[]" if records_path else "[]"),
    }
    if keys:
        evidence["primary_keys"] = f"{where} item: {key_why}"
    found = incremental.detect(op, fields, keys)
    evidence.update(found.evidence)
    if found.note:
        evidence["ingestion"] = (f"{found.note}: full snapshot each read" if keys else
                                 f"{found.note} and no key: full snapshot each read")
    pagination = pagination_detect.detect(op, response, body, keys)
    evidence["pagination"] = pagination.evidence
    consumed = found.used | pagination_detect.paging_params(pagination)
    tombstones = deletes.tombstones(op, fields)
    if tombstones:
        consumed |= set(tombstones.query)
    params = plan_params(op, consumed)
    evidence.update(params.evidence)
    for p in params.params:
        evidence[f"param.{p.name}"] = p.evidence
    table = TablePlan(
        name="t", path=op.path, operation_id=str(op.op.get("operationId") or "") or None,
        description=_one_line(str(op.op.get("summary") or op.op.get("description") or "")),
        records_path=records_path, query=params.query, headers=params.headers,
        params=params.params, primary_keys=keys, cursor_field=found.cursor_field,
        ingestion_type=found.ingestion, incremental=found.incremental, pagination=pagination,
        schema_=schema, evidence=evidence)
    deletes.apply(table, tombstones)
    text = " ".join(str(op.op.get(k) or "") for k in ("summary", "description"))
    monotonic = bool(found.incremental and found.incremental.cursor_kind == "monotonic")
    return Candidate(table=table, op=op, index=index, resource=resource, fields=fields,
                     flag=flag(op, text, bool(path_param_names(op.path)), monotonic),
                     connection=params.connection)


def _link_parents(candidates: list[Candidate]) -> None:
    """Fill path parameters from a parent table where the path below the parameter is itself a
    list endpoint (``/lists/{list_id}/members`` ← ``/lists``): the parameter's source becomes
    ``parent``, the child carries the value in a column that leads its primary key. A firehose
    is never a parent. Parameters the parent itself takes keep their source (the parent's
    records carry parent columns, so a grandparent's value is read from them)."""
    by_path = {c.op.path.rstrip("/"): c for c in candidates}
    for c in candidates:
        table = c.table
        path_params = [p for p in table.params if p.in_ == "path"]
        for param in reversed(path_params):
            if param.source != "table_option":
                continue
            head = table.path.split("{" + param.name + "}", 1)[0].rstrip("/")
            parent = by_path.get(head)
            if parent is None or parent is c or parent.flag:
                continue
            value_from = parent_field(param.name, parent.resource, list(parent.fields),
                                      parent.table.primary_keys)
            if value_from is None:
                continue
            column = parent_column(param.name, parent.resource)
            param.source, param.parent_field, param.column = "parent", value_from, column
            param.evidence = (f"paths.{head}.get lists the records whose {value_from} fills "
                              f"{{{param.name}}}; carried as column {column}")
            table.evidence[f"param.{param.name}"] = param.evidence
            kind = parent.fields.get(value_from, {"type": "string"})
            table.schema_.setdefault("properties", {})[column] = {
                k: v for k, v in kind.items() if k in ("type", "format")}
            own = [k for k in table.primary_keys if k != column]
            if table.primary_keys:
                table.primary_keys = [column, *own]
                table.evidence["primary_keys"] = (
                    f"the parent's {column}, then {table.evidence.get('primary_keys', 'its key')}"
                    " (unique within one parent record)")
            c.fields[column] = kind
            # the parent's own parameters reach the child through the parent's columns
            for inherited in path_params:
                match = next((q for q in parent.table.params if q.name == inherited.name
                              and q.source == "parent"), None)
                if match is not None and inherited is not param and match.column:
                    inherited.source = "parent"
                    inherited.parent_field = match.column
                    inherited.column = match.column
                    table.primary_keys = [match.column, *[k for k in table.primary_keys
                                                          if k != match.column]]
            c.parent = parent
            break


def _link_sibling_deletes(candidates: list[Candidate]) -> None:
    """A ``cdc`` table whose deletions a sibling endpoint lists becomes ``cdc_with_deletes``;
    the sibling is then not offered as a table of its own."""
    by_path = {c.table.path.rstrip("/"): c for c in candidates}
    for c in candidates:
        found = deletes.sibling(c.table, set(by_path))
        if deletes.apply(c.table, found) and found is not None and found.path:
            c.why.append("deletes listed")
            by_path[found.path].flag = f"lists the deleted records of {c.table.name}"


def _connection_options(server_options: list[ConnectionOption],
                        chosen: list[Candidate]) -> list[ConnectionOption]:
    out = {o.name: o for o in server_options}
    for c in chosen:
        for option in c.connection:
            out.setdefault(option.name, option)
    return list(out.values())


def _is_object(body: dict[str, Any]) -> bool:
    return body.get("type") == "object" or bool(_shallow_properties(body))


def _records(body: dict[str, Any], path: str) -> tuple[list[str] | None, Any]:
    """``(records_path, item schema)`` or ``(None, None)`` when the body is not a list."""
    kind = body.get("type")
    if kind == "array" or (kind is None and "items" in body):
        return [], body.get("items")
    properties = _shallow_properties(body)
    arrays = {}
    for key, sub in properties.items():
        sub = safe_dict(sub)
        if sub.get("type") == "array" and safe_dict(sub.get("items")):
            arrays[str(key)] = sub
    names = [s.lower() for s in segments(path)]
    last = names[-1] if names else ""
    for key in [*arrays]:
        if key.lower() in RECORD_ARRAY_NAMES or key.lower() in (last, "_".join(names)):
            return [key], arrays[key]["items"]
    if len(arrays) == 1 and _envelope(properties):
        key = next(iter(arrays))
        return [key], arrays[key]["items"]
    for key in ("data", "result", "response", "_embedded"):
        inner = safe_dict(properties.get(key))
        if inner.get("type") == "object" or inner.get("properties") or inner.get("allOf"):
            sub_path, item = _records(inner, path)
            if sub_path is not None:
                return [key, *sub_path], item
    return None, None


def _envelope(properties: dict[str, Any]) -> bool:
    """Whether a body with one array also holds only paging/meta fields (few, and no ``id``):
    a list envelope, not one record that happens to have a list field."""
    lowered = {str(k).lower() for k in properties}
    return len(lowered) <= 8 and not lowered & {"id", "uuid", "name", "sha", "node_id"}


def _shallow_properties(node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A schema's own properties together with those of its ``allOf`` parts (recursively)."""
    properties = dict(safe_dict(node.get("properties")))
    if depth < 8 and isinstance(node.get("allOf"), list):
        for part in node["allOf"]:
            for key, sub in _shallow_properties(safe_dict(part), depth + 1).items():
                if key not in properties or _vaguer(properties[key], sub):
                    properties[key] = sub
    return properties


def _vaguer(old: Any, new: Any) -> bool:
    """Whether ``new`` (a later ``allOf`` part) declares an array's items where ``old`` only
    says "array" (a generic collection wrapper refined by the endpoint)."""
    old_items, new_items = safe_dict(safe_dict(old).get("items")), safe_dict(
        safe_dict(new).get("items"))
    return bool(new_items) and not (old_items.get("properties") or old_items.get("allOf"))


def _rate_limits(document: OpenAPIDocument, gets: list[Operation]) -> str:
    found: list[str] = []
    text = document.description
    match = re.search(r"[^.\n]*(rate[ -]?limit|requests are limited|requests per)[^.\n]*[.\n]",
                      text, re.IGNORECASE)
    if match:
        found.append(_one_line(match.group(0)))
    headers: set[str] = set()
    for op in gets[:200]:
        for response in safe_dict(op.op.get("responses")).values():
            for header in safe_dict(safe_dict(response).get("headers")):
                if "ratelimit" in str(header).lower().replace("-", ""):
                    headers.add(str(header))
    if headers:
        found.append(f"response headers {', '.join(sorted(headers))}")
    return "; ".join(found) or "not stated in the document; the connector retries 429 and 5xx"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
