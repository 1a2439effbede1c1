"""Deterministic research on an OpenAPI/Swagger document: which list endpoints can be tables, and
for each its records, primary key, cursor, ingestion type and pagination, with the evidence.

A candidate table is a ``GET`` operation without path parameters whose success response is a list
of records (the body itself, or one array property of it). Decisions follow the names real APIs
use (``id``; ``updated_at``; ``since``; ``page``/``per_page`` with a ``Link`` header; ``cursor``
tokens; ``offset``/``limit``) and each is recorded with the document path it came from. When the
user names no tables, up to :data:`MAX_TABLES` are chosen by a score that favours incremental,
paginated, keyed, shallow endpoints; the reason is written into the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_factory.errors import InputError

from cf_databricks_source.connector_plan import (
    ConnectorPlan,
    Incremental,
    IngestionType,
    Pagination,
    TablePlan,
)
from cf_databricks_source.openapi_loader import OpenAPIDocument, Operation, safe_dict
from cf_databricks_source.schema_flatten import flatten

#: Tables chosen when the user names none.
MAX_TABLES = 10
#: Page size asked for when the API allows it.
PAGE_SIZE = 100

PK_NAMES = ("id", "uuid", "guid", "key", "sha", "slug", "number", "code")
UPDATED_NAMES = ("updated_at", "updatedat", "updated", "modified_at", "modifiedat", "modified",
                 "last_modified", "lastmodified", "last_modified_at", "lastmodifiedat",
                 "date_modified", "date_updated", "updated_time", "update_time", "updatetime",
                 "last_updated", "lastupdated", "changed_at")
CREATED_NAMES = ("created_at", "createdat", "created", "created_time", "create_time",
                 "date_created", "timestamp", "time", "occurred_at", "event_time")
SINCE_NAMES = ("since", "updated_since", "updatedsince", "modified_since", "modifiedsince",
               "updated_after", "updatedafter", "modified_after", "since_updated",
               "last_modified_since", "changed_since", "updated_at_gte", "updated_at[gte]",
               "updated_at_from", "min_updated_at", "start_time", "from_date")
SORT_NAMES = ("sort", "_sort", "sort_by", "sortby", "order_by", "orderby", "sort_field")
DIRECTION_NAMES = ("direction", "_order", "order", "sort_order", "sortorder", "sort_direction",
                   "sortdirection", "dir")
SIZE_NAMES = ("per_page", "perpage", "page_size", "pagesize", "limit", "_limit", "size",
              "count", "max_results", "maxresults", "page[size]", "$top", "top", "results")
PAGE_NAMES = ("page", "_page", "page_number", "pagenumber", "page[number]", "p")
OFFSET_NAMES = ("offset", "skip", "$skip", "_start", "start", "start_index", "startindex",
                "page[offset]")
TOKEN_PARAM_NAMES = ("cursor", "page_token", "pagetoken", "next_token", "nexttoken",
                     "starting_after", "after", "continuation", "continuation_token",
                     "continuationtoken", "marker", "page[cursor]", "pagination_token",
                     "next_page_token", "nextpagetoken", "page[after]", "next_cursor")
TOKEN_BODY_NAMES = ("next_cursor", "nextcursor", "next_page_token", "nextpagetoken",
                    "next_token", "nexttoken", "cursor", "continuation", "continuation_token",
                    "continuationtoken", "next_marker", "nextmarker", "marker", "after",
                    "end_cursor", "endcursor", "pagination_token", "nexttokenvalue")
NEXT_URL_NAMES = ("next", "next_url", "nexturl", "next_link", "nextlink", "@odata.nextlink",
                  "next_page_url", "nextpageurl", "next_page", "nextpage")
WRAPPER_NAMES = ("meta", "pagination", "paging", "response_metadata", "links", "_links",
                 "page_info", "pageinfo", "metadata", "cursor")
RECORD_ARRAY_NAMES = ("data", "items", "results", "records", "values", "entries", "list",
                      "content", "elements", "rows", "objects", "resources", "value")
VERSION_SEGMENT = re.compile(r"^(v\d+(\.\d+)*|api|rest)$", re.IGNORECASE)


@dataclass
class Candidate:
    """A list endpoint that can be a table, with its decisions and score."""

    table: TablePlan
    score: int
    depth: int
    deprecated: bool
    why: list[str] = field(default_factory=list)


def research(path: Path, name: str, tables: list[str] | None = None) -> ConnectorPlan:
    """The connector plan for the OpenAPI/Swagger document at ``path``.

    Args:
        path: a local OpenAPI 3.x or Swagger 2.0 document (JSON or YAML).
        name: the connector name (``^[a-z][a-z0-9_]*$``).
        tables: table names (or endpoint paths such as ``/issues``) to include; ``None`` chooses
            up to :data:`MAX_TABLES`.

    Raises:
        InputError: the document cannot be read, has no list endpoint usable as a table, or a
            named table is not among the candidates.
    """
    document = OpenAPIDocument(path)
    operations = list(document.operations())
    gets = [op for op in operations if op.method == "GET"]
    candidates: list[Candidate] = []
    skipped: dict[str, str] = {}
    used: set[str] = set()
    for op in gets:
        outcome = _candidate(document, op, used)
        if isinstance(outcome, Candidate):
            candidates.append(outcome)
            used.add(outcome.table.name)
    if not candidates:
        raise InputError(
            f"{path.name}: none of its {len(gets)} GET operations lists records without path "
            "parameters",
            "pass a document with list endpoints, or write the plan in the api doc by hand")
    _link_deletes(candidates)
    chosen = _choose(candidates, tables, skipped)
    base_url, _ = document.base_url()
    return ConnectorPlan(
        name=name,
        title=document.title or name,
        source=path.name,
        source_kind="openapi",
        base_url=base_url,
        auth=document.security(),
        rate_limits=_rate_limits(document, gets),
        tables=[c.table for c in chosen],
        skipped=skipped,
        stats={"operations": len(operations), "get_operations": len(gets),
               "candidates": len(candidates)},
    )


def _choose(candidates: list[Candidate], wanted: list[str] | None,
            skipped: dict[str, str]) -> list[Candidate]:
    if wanted:
        by_key = {c.table.name: c for c in candidates} | {c.table.path: c for c in candidates}
        missing = [w for w in wanted if w not in by_key]
        if missing:
            names = ", ".join(sorted(c.table.name for c in candidates)[:30])
            raise InputError(
                f"--tables {', '.join(missing)}: not among the {len(candidates)} list endpoints "
                "of the document",
                f"choose from: {names}{' …' if len(candidates) > 30 else ''}")
        chosen = [by_key[w] for w in dict.fromkeys(wanted)]
        for c in chosen:
            c.table.reason = "named with --tables"
        for c in candidates:
            if c not in chosen:
                skipped[c.table.name] = "not named with --tables"
        return chosen
    ranked = sorted(candidates, key=lambda c: (-c.score, c.depth, c.table.name))
    chosen = ranked[:MAX_TABLES]
    for c in chosen:
        c.table.reason = "; ".join(c.why) + f" (score {c.score})"
    for c in ranked[MAX_TABLES:]:
        skipped[c.table.name] = f"GET {c.table.path}: lower score {c.score} ({'; '.join(c.why)})"
    return chosen


def _candidate(document: OpenAPIDocument, op: Operation, used: set[str]) -> Candidate | str:
    if "{" in op.path:
        return "has path parameters"
    required = [p["name"] for p in op.parameters
                if p.get("required") and p.get("in") in ("query", "header")]
    if any(p.get("in") == "header" and p.get("required") for p in op.parameters):
        return "needs a header parameter"
    response, body, where = document.response(op)
    if not body:
        return "no JSON success response"
    records_path, item = _records(body, op.path)
    if records_path is None:
        return "the response is not a list"
    schema = flatten(item)
    if schema.get("type") != "object":
        return "records are not objects"
    properties = {k.lower(): k for k in (schema.get("properties") or {})}
    name = _unique(_table_name(op.path), used)
    evidence: dict[str, str] = {
        "endpoint": f"paths.{op.path}.get",
        "records": f"{where}" + (f" → {'.'.join(records_path)}[]" if records_path else "[]"),
    }
    why: list[str] = []
    score = 0
    primary_keys = _primary_key(properties, name)
    if primary_keys:
        evidence["primary_keys"] = f"{where} item property {primary_keys[0]}"
        why.append(f"keyed by {primary_keys[0]}")
        score += 2
    params = op.query_params
    lower_params = {k.lower(): k for k in params}
    updated = _first(properties, UPDATED_NAMES)
    created = _first(properties, CREATED_NAMES)
    since = _since_param(lower_params, updated or created)
    if since and not _is_time_filter(op, since):
        evidence["incremental"] = f"query parameter {since} does not filter by time"
        since = None
    incremental: Incremental | None = None
    cursor: str | None = None
    ingestion: IngestionType = "snapshot"
    if since and (updated or created):
        cursor = updated if updated and primary_keys else (created or updated)
        assert cursor is not None
        since_schema = op.param_schema(params[since])
        fmt = ("iso8601" if since_schema.get("format") in ("date-time", "date")
               else "epoch_seconds" if since_schema.get("type") == "integer" else "raw")
        incremental = Incremental(since_param=since, since_format=fmt,
                                  sort_params=_sort_params(op, lower_params, cursor))
        ingestion = "cdc" if primary_keys and cursor == updated else "append"
        evidence["cursor_field"] = f"{where} item property {cursor}"
        evidence["incremental"] = (f"query parameter {since} ({fmt})"
                                   + (f", sorted by {incremental.sort_params}"
                                      if incremental.sort_params else ""))
        why.append(f"incremental on {cursor} via {since}")
        score += 4 if incremental.sort_params else 3
    elif not primary_keys:
        ingestion = "append"
        cursor = created
        evidence["ingestion"] = "no identifier field: records are appended"
    else:
        evidence["ingestion"] = ("no query parameter filters by "
                                 f"{updated or 'an updated timestamp'}: full snapshot each read")
    pagination = _pagination(op, response, body, lower_params)
    if pagination.style != "none":
        why.append(f"paginated ({pagination.style})")
        evidence["pagination"] = pagination.evidence
        score += 1
    else:
        evidence["pagination"] = pagination.evidence or "no paging parameters: one request"
    if required:
        query = {n: _default(op.param_schema(params[n])) for n in required if n in params}
        if any(v is None for v in query.values()):
            return "needs a query parameter without a default"
    else:
        query = {}
    width = len(properties)
    if width >= 5:
        score += 1
    depth = len([s for s in op.path.strip("/").split("/") if s])
    score -= max(0, depth - 1)
    deprecated = bool(op.op.get("deprecated"))
    if deprecated:
        score -= 3
        why.append("deprecated")
    why.insert(0, f"GET {op.path} lists {width}-field records")
    table = TablePlan(
        name=name, path=op.path, operation_id=str(op.op.get("operationId") or "") or None,
        description=_one_line(str(op.op.get("summary") or op.op.get("description") or "")),
        records_path=records_path, query={k: str(v) for k, v in query.items()},
        primary_keys=primary_keys, cursor_field=cursor, ingestion_type=ingestion,
        incremental=incremental, pagination=pagination, schema=schema, evidence=evidence)
    return Candidate(table=table, score=score, depth=depth, deprecated=deprecated, why=why)


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
    last = _table_name(path).split("_")[-1]
    for key in [*arrays]:
        if key.lower() in RECORD_ARRAY_NAMES or key.lower() in (last, _table_name(path)):
            return [key], arrays[key]["items"]
    if len(arrays) == 1:
        key = next(iter(arrays))
        return [key], arrays[key]["items"]
    for key in ("data", "result", "response"):
        inner = safe_dict(properties.get(key))
        if inner.get("type") == "object" or inner.get("properties"):
            sub_path, item = _records(inner, path)
            if sub_path is not None:
                return [key, *sub_path], item
    return None, None


def _shallow_properties(node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A schema's own properties together with those of its ``allOf`` parts (recursively)."""
    properties = dict(safe_dict(node.get("properties")))
    if depth < 8 and isinstance(node.get("allOf"), list):
        for part in node["allOf"]:
            for key, sub in _shallow_properties(safe_dict(part), depth + 1).items():
                properties.setdefault(key, sub)
    return properties


def _table_name(path: str) -> str:
    segments = [s for s in path.strip("/").split("/") if s and not VERSION_SEGMENT.match(s)]
    raw = "_".join(segments) or "records"
    name = re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z])([A-Z])", r"\1_\2", raw).lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"t_{name}".rstrip("_")
    return name


def _unique(name: str, used: set[str]) -> str:
    if name not in used:
        return name
    n = 2
    while f"{name}_{n}" in used:
        n += 1
    return f"{name}_{n}"


def _first(properties: dict[str, str], names: tuple[str, ...]) -> str | None:
    for candidate in names:
        if candidate in properties:
            return properties[candidate]
    return None


def _primary_key(properties: dict[str, str], table: str) -> list[str]:
    singular = table.split("_")[-1].rstrip("s")
    for candidate in ("id", f"{singular}_id", f"{singular}id", f"{table}_id", *PK_NAMES[1:]):
        if candidate in properties:
            return [properties[candidate]]
    return []


def _is_time_filter(op: Operation, name: str) -> bool:
    """Whether query parameter ``name`` filters by a time (a date/date-time, or a value its
    description calls a time), not by an ID as GitHub's ``/repositories?since=ID`` does."""
    param = op.query_params[name]
    schema = op.param_schema(param)
    if schema.get("format") in ("date-time", "date"):
        return True
    text = f"{param.get('description') or ''} {schema.get('description') or ''}".lower()
    if re.search(r"\bids?\b", text) and not re.search(r"time|date", text):
        return False
    return schema.get("type") in ("string", None) or bool(
        re.search(r"time|date|epoch|unix", text))


def _since_param(params: dict[str, str], cursor: str | None) -> str | None:
    names = list(SINCE_NAMES)
    if cursor:
        c = cursor.lower()
        names = [f"{c}_gte", f"{c}_gt", f"{c}[gte]", f"{c}[gt]", f"min_{c}", f"{c}_after",
                 f"{c}_from", f"{c}.gte", *names]
    for candidate in names:
        if candidate in params:
            return params[candidate]
    return None


def _sort_params(op: Operation, params: dict[str, str], cursor: str) -> dict[str, str]:
    sort_name = next((params[n] for n in SORT_NAMES if n in params), None)
    if sort_name is None:
        return {}
    schema = op.param_schema(op.query_params[sort_name])
    enum = [str(v) for v in schema.get("enum") or []]
    stem = re.sub(r"_?(at|time|date)$", "", cursor.lower())
    value: str | None
    if enum:
        value = next((v for v in enum if v.lower() == cursor.lower()), None) or next(
            (v for v in enum if stem and stem in v.lower()), None)
    else:
        value = cursor
    if value is None:
        return {}
    sort = {sort_name: value}
    direction = next((params[n] for n in DIRECTION_NAMES if n in params), None)
    if direction is None:
        return sort
    options = [str(v) for v in op.param_schema(op.query_params[direction]).get("enum") or []]
    asc = next((v for v in options if v.lower() in ("asc", "ascending")), None)
    if options and asc is None:
        return {}
    sort[direction] = asc or "asc"
    return sort


def _pagination(op: Operation, response: dict[str, Any], body: dict[str, Any],
                params: dict[str, str]) -> Pagination:
    size = next((params[n] for n in SIZE_NAMES if n in params), None)
    page_size = PAGE_SIZE
    if size:
        maximum = op.param_schema(op.query_params[size]).get("maximum")
        if isinstance(maximum, int) and 0 < maximum < page_size:
            page_size = maximum
    token_param = next((params[n] for n in TOKEN_PARAM_NAMES if n in params), None)
    token_path = _find_body_field(body, TOKEN_BODY_NAMES)
    if token_param and token_path:
        return Pagination(style="next_token", token_param=token_param, token_path=token_path,
                          size_param=size, page_size=page_size,
                          evidence=f"query parameter {token_param}; body {'.'.join(token_path)}")
    next_path = _find_body_field(body, NEXT_URL_NAMES)
    if next_path:
        return Pagination(style="next_url", next_path=next_path, size_param=size,
                          page_size=page_size, evidence=f"body {'.'.join(next_path)}")
    headers = {str(k).lower(): k for k in safe_dict(response.get("headers"))}
    page = next((params[n] for n in PAGE_NAMES if n in params), None)
    start = op.param_schema(op.query_params[page]).get("minimum") if page else None
    start_page = start if isinstance(start, int) and start in (0, 1) else 1
    if "link" in headers and (page or size):
        return Pagination(style="link_header", size_param=size, page_size=page_size,
                          page_param=page, start_page=start_page,
                          evidence=f"response header {headers['link']}"
                                   + (f"; query parameter {size}" if size else ""))
    if page:
        return Pagination(style="page", page_param=page, size_param=size, page_size=page_size,
                          start_page=start_page,
                          evidence=f"query parameters {page}" + (f", {size}" if size else ""))
    offset = next((params[n] for n in OFFSET_NAMES if n in params), None)
    if offset and size:
        return Pagination(style="offset", offset_param=offset, size_param=size,
                          page_size=page_size, evidence=f"query parameters {offset}, {size}")
    return Pagination(style="none")


def _find_body_field(body: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """Key path to a scalar body property named like one of ``names`` (top level or one level
    under a wrapper such as ``meta``)."""
    properties = safe_dict(body.get("properties"))
    lowered = {str(k).lower(): str(k) for k in properties}
    for candidate in names:
        if candidate in lowered:
            sub = safe_dict(properties[lowered[candidate]])
            if sub.get("type") in ("string", "integer", None) and "properties" not in sub:
                return [lowered[candidate]]
    for wrapper in WRAPPER_NAMES:
        if wrapper in lowered:
            inner = _find_body_field(safe_dict(properties[lowered[wrapper]]), names)
            if inner:
                return [lowered[wrapper], *inner]
    return []


def _default(schema: dict[str, Any]) -> Any:
    """A value for a required query parameter: its default, else its first enum value (for an
    array parameter, those of its items); ``None`` when there is neither."""
    if "default" in schema:
        value = schema["default"]
        return ",".join(map(str, value)) if isinstance(value, list) else value
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    items = safe_dict(schema.get("items"))
    return _default(items) if items else None


def _link_deletes(candidates: list[Candidate]) -> None:
    """Mark ``cdc`` tables whose deletions are listed by a sibling endpoint (``/x/deleted``,
    ``/deleted_x``) as ``cdc_with_deletes``."""
    by_path = {c.table.path.rstrip("/"): c for c in candidates}
    for c in candidates:
        table = c.table
        if table.ingestion_type != "cdc":
            continue
        head, _, last = table.path.rstrip("/").rpartition("/")
        for deletes in (f"{table.path.rstrip('/')}/deleted", f"{head}/deleted_{last}",
                        f"{head}/deleted-{last}"):
            if deletes in by_path:
                table.ingestion_type = "cdc_with_deletes"
                table.deletes_path = deletes
                table.evidence["deletes"] = f"paths.{deletes}.get lists deleted records"
                c.why.append("deletes listed")
                c.score += 1
                break


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
