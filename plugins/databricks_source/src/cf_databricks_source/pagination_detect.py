"""How a list endpoint pages, from its parameters, its response headers and its body schema.

The body is read flattened (``allOf`` merged, ``oneOf``/``anyOf`` of objects unioned, see
:mod:`.schema_flatten`), so next links and tokens declared in envelopes are found at any depth up
to three objects: ``result.nextPage``, ``@odata.nextLink``, ``links.next``, ``meta.next_cursor``,
``paging.next.after``. Stripe-style cursor paging (``starting_after`` = the last record's ``id``,
body ``has_more``; stripe/openapi ``spec3.json``) is style ``cursor``. The first page number is
the page parameter's ``default`` (else its ``minimum``, else 1); the size is capped by the size
parameter's ``maximum`` or a "(max N)" in its description. Totals (``X-Total-Count``, a body
``total_count``) are recorded for the reader's loop guard.
"""

from __future__ import annotations

import re
from typing import Any

from cf_databricks_source.api_names import (
    HAS_MORE_NAMES,
    NEXT_URL_NAMES,
    OFFSET_NAMES,
    PAGE_NAMES,
    RECORD_CURSOR_PARAMS,
    SIZE_NAMES,
    TOKEN_BODY_NAMES,
    TOKEN_PARAM_NAMES,
    norm,
    pick,
)
from cf_databricks_source.connector_plan import Pagination
from cf_databricks_source.openapi_loader import Operation, safe_dict
from cf_databricks_source.schema_flatten import flatten, leaf_paths

#: Page size asked for when the API allows it.
PAGE_SIZE = 100
TOTAL_BODY_NAMES = ("total", "total_count", "totalcount", "total_results", "totalresults",
                    "total_items", "totalitems", "total_size", "totalsize", "count",
                    "odata_count", "total_records", "totalrecords", "total_elements",
                    "totalelements")
TOTAL_HEADERS = ("x-total-count", "x-total", "total-count", "x-total-results", "x-pagination-total")
#: Names that hold a next page's URL only as the ``href`` of a ``next`` object.
_HREF = ("href",)


def detect(op: Operation, response: dict[str, Any], body: dict[str, Any],
           keys: list[str]) -> Pagination:
    """The pagination of ``op`` whose success ``response`` has JSON ``body`` (a schema) and whose
    records are keyed by ``keys``."""
    params = {norm(k): k for k in op.query_params}
    size = pick(SIZE_NAMES, params)
    page_size = _page_size(op, size)
    flat = flatten(body) if body.get("type") != "array" else {}
    fields = leaf_paths(flat) if flat else {}
    headers = {str(k).lower(): str(k) for k in safe_dict(response.get("headers"))}
    totals = _totals(headers, fields)
    common: dict[str, Any] = {"size_param": size, "page_size": page_size, **totals}
    has_more = _find(fields, HAS_MORE_NAMES, kinds=("boolean",))
    record_cursor = pick(RECORD_CURSOR_PARAMS, params)
    if record_cursor and len(keys) == 1:
        return Pagination(style="cursor", cursor_param=record_cursor, cursor_from=keys[0],
                          has_more_path=has_more, **common,
                          evidence=f"query parameter {record_cursor} takes the last record's "
                                   f"{keys[0]}" + (f"; body {'.'.join(has_more)}"
                                                   if has_more else ""))
    token_param = pick(TOKEN_PARAM_NAMES, params)
    token_path = _find(fields, TOKEN_BODY_NAMES, kinds=("string", "integer"))
    if not token_path and token_param:
        token_path = _find(fields, (token_param,), kinds=("string", "integer"))
    if token_param and token_path:
        return Pagination(style="next_token", token_param=token_param, token_path=token_path,
                          **common,
                          evidence=f"query parameter {token_param}; body {'.'.join(token_path)}")
    if token_param and (header := _token_header(headers)):
        return Pagination(style="next_token", token_param=token_param, token_header=header,
                          **common, evidence=f"query parameter {token_param}; header {header}")
    next_path = _find(fields, (*NEXT_URL_NAMES, *_HREF), kinds=("string",), url=True)
    if next_path:
        return Pagination(style="next_url", next_path=next_path, **common,
                          evidence=f"body {'.'.join(next_path)}")
    page = pick(PAGE_NAMES, params)
    start_page = _start_page(op, page)
    if "link" in headers and (page or size):
        return Pagination(style="link_header", page_param=page, start_page=start_page, **common,
                          evidence=f"response header {headers['link']}"
                                   + (f"; query parameter {size}" if size else ""))
    if page:
        return Pagination(style="page", page_param=page, start_page=start_page, **common,
                          evidence=f"query parameters {page} (first page {start_page})"
                                   + (f", {size}" if size else ""))
    offset = pick(OFFSET_NAMES, params)
    if offset and size:
        return Pagination(style="offset", offset_param=offset, **common,
                          evidence=f"query parameters {offset}, {size}")
    return Pagination(style="none", evidence="no paging parameters: one request")


def paging_params(pagination: Pagination) -> set[str]:
    """The query parameters the pagination sets (not offered as table options)."""
    return {p for p in (pagination.size_param, pagination.page_param, pagination.offset_param,
                        pagination.token_param, pagination.cursor_param) if p}


def _page_size(op: Operation, size: str | None) -> int:
    if not size:
        return PAGE_SIZE
    param = op.query_params[size]
    schema = op.param_schema(param)
    maximum = schema.get("maximum")
    if not isinstance(maximum, int):
        match = re.search(r"max(?:imum)?\.?\s*(?:of\s*|is\s*|:\s*)?(\d+)",
                          str(param.get("description") or ""), re.IGNORECASE)
        maximum = int(match.group(1)) if match else None
    if isinstance(maximum, int) and 0 < maximum < PAGE_SIZE:
        return maximum
    return PAGE_SIZE


def _start_page(op: Operation, page: str | None) -> int:
    if not page:
        return 1
    schema = op.param_schema(op.query_params[page])
    for key in ("default", "minimum"):
        value = schema.get(key)
        if isinstance(value, int) and value in (0, 1):
            return value
    return 1


def _find(fields: dict[tuple[str, ...], dict[str, Any]], names: tuple[str, ...],
          kinds: tuple[str, ...], url: bool = False) -> list[str]:
    """The key path of the body field whose last name is one of ``names`` (compared without
    case and punctuation: ``@odata.nextLink`` is ``odatanextlink``), shallowest first; ``href``
    counts only under a ``next`` object (JSON:API / HAL ``links.next.href``)."""
    ordered = sorted(fields, key=len)
    for wanted in map(norm, names):
        for path in ordered:
            if norm(path[-1]) != wanted:
                continue
            if wanted == "href" and (len(path) < 2 or norm(path[-2]) != "next"):
                continue
            if fields[path].get("type") not in (*kinds, None):
                continue
            if url and fields[path].get("x-cf-json"):
                continue
            return list(path)
    return []


def _token_header(headers: dict[str, str]) -> str | None:
    for lowered, name in headers.items():
        if re.search(r"(next|continuation).*(token|cursor)|cursor", lowered):
            return name
    return None


def _totals(headers: dict[str, str],
            fields: dict[tuple[str, ...], dict[str, Any]]) -> dict[str, Any]:
    header = next((headers[h] for h in TOTAL_HEADERS if h in headers), None)
    if header:
        return {"total_header": header}
    path = _find(fields, TOTAL_BODY_NAMES, kinds=("integer", "number"))
    return {"total_path": path} if path else {}
