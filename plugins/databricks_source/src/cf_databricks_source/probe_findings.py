"""What the probe's responses say, as pure functions over them: the auth scheme a 401/403
asks for, where the records are, key, cursor and tombstone fields, next-page links, headers and
tokens, totals and rate-limit headers. :mod:`.probe` makes the requests and calls these.

Names follow the ones real APIs use (the lists of :mod:`.openapi_research`; ``Link`` per RFC
8288, ``WWW-Authenticate`` per RFC 9110 §11.6.1, ``X-Total-Count`` as json-server sends it,
``primary_keys`` in the body as Datasette sends it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cf_databricks_source.api_names import NEXT_URL_NAMES, RECORD_ARRAY_NAMES, TOKEN_BODY_NAMES
from cf_databricks_source.deletes import ARCHIVED_FLAGS, DELETED_FLAGS, DELETED_TIMES
from cf_databricks_source.incremental import change_rank
from cf_databricks_source.keys import ID_NAMES, NATURAL_NAMES, singular
from cf_databricks_source.pagination_detect import TOTAL_BODY_NAMES, TOTAL_HEADERS

#: Field names that mark a record as deleted (a tombstone), as research reads them.
TOMBSTONE_NAMES = (*DELETED_FLAGS, *DELETED_TIMES, *ARCHIVED_FLAGS)
#: Body fields that count the collection (``X-Total-Count`` is the header form); Datasette's
#: ``filtered_table_rows_count`` besides research's names.
TOTAL_NAMES = (*TOTAL_BODY_NAMES, "filtered_table_rows_count")
#: Envelope objects a next link or token may sit in (``{"meta": {"next_cursor": …}}``).
WRAPPER_NAMES = ("meta", "pagination", "paging", "response_metadata", "links", "_links",
                 "page_info", "pageinfo", "metadata", "cursor")
#: Records needed before the first unique field counts as the key without a key-like name.
MIN_UNIQUE_SAMPLES = 10


@dataclass(frozen=True)
class AuthUse:
    """How to authenticate one request: the scheme and its placement."""

    type: str = "none"
    header: str = "Authorization"
    scheme: str = "Bearer"
    location: str = "header"
    key_name: str = ""


@dataclass
class Exchange:
    """One request and its response, with secrets removed.

    ``url`` is the request URL with its query (secret values masked); ``headers`` the response
    headers; ``body`` the decoded JSON (``None`` when not JSON); ``at`` the UTC time (ISO 8601).
    """

    url: str
    status: int
    headers: dict[str, str]
    body: Any
    at: str
    authenticated: bool = False



def parse_challenge(exchange: Exchange) -> AuthUse | None:
    """The scheme a 401/403 asks for: ``WWW-Authenticate`` (Basic, Bearer, realm) or an error
    body naming an API key (``X-API-Key`` header, ``api_key`` parameter); ``None`` if unclear."""
    header = next((v for k, v in exchange.headers.items() if k.lower() == "www-authenticate"),
                  "")
    word = header.split(" ", 1)[0].strip().lower()
    if word == "basic":
        return AuthUse(type="basic")
    if word in ("bearer", "token"):
        return AuthUse(type="bearer", scheme=header.split(" ", 1)[0].strip())
    text = repr(exchange.body).lower() if exchange.body is not None else ""
    if re.search(r"api[ _-]?key|apikey", text) or re.search(r"apikey|api-key", header.lower()):
        name = re.search(r"(x-[a-z0-9-]*api[-_]?key|api[-_]?key)", text)
        key_name = name.group(1) if name else "X-API-Key"
        location = "query" if key_name.replace("-", "_") in ("api_key", "apikey") else "header"
        return AuthUse(type="api_key", location=location, key_name=key_name)
    return None


def find_records(body: Any, hint: list[str], table: str) -> tuple[list[str] | None,
                                                                   list[dict[str, Any]]]:
    """``(records_path, records)``: where the list of record objects is in ``body``. ``hint``
    (the document's path) is tried first; then the body itself, then an array of objects at
    the top level (named like ``data``/``items``/``rows`` or after the table), then one level
    under ``data``/``result``. ``(None, [])`` when no list of objects is found."""
    def at(path: list[str]) -> Any:
        node = body
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return node

    def objects(node: Any) -> bool:
        return isinstance(node, list) and all(isinstance(r, dict) for r in node)

    tried: list[list[str]] = [hint, []]
    if isinstance(body, dict):
        arrays = [k for k, v in body.items() if isinstance(v, list) and v and objects(v)]
        last = table.split("_")[-1]
        arrays.sort(key=lambda k: (k.lower() not in RECORD_ARRAY_NAMES
                                   and k.lower() not in (table, last), k))
        tried += [[k] for k in arrays]
        for outer in ("data", "result", "response"):
            inner = body.get(outer)
            if isinstance(inner, dict):
                tried += [[outer, k] for k, v in inner.items() if objects(v) and v]
    for path in tried:
        node = at(path)
        if objects(node) and (node or path == hint):
            return path, list(node)
    return None, []


def is_time(value: Any) -> bool:
    """Whether ``value`` is ISO 8601 date or date-time text."""
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def find_keys(records: list[dict[str, Any]], table: str, preferred: list[str]) -> list[str]:
    """Fields present in every record with scalar values unique across them: ``preferred`` (the
    document's key, or the key fields the response itself names) when it qualifies, else the
    first of ``id``, ``<singular>_id`` and the usual key names, else any field ending in
    ``id``, else (with at least :data:`MIN_UNIQUE_SAMPLES` records) the first field in record
    order that qualifies. ``[]`` with fewer than two records."""
    if len(records) < 2:
        return []

    def unique(name: str) -> bool:
        values = [r.get(name) for r in records]
        return (all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values)
                and len(set(values)) == len(values))

    names = {k.lower(): k for k in records[0]}
    one = singular(table.split("_")[-1])
    order = [*(p.lower() for p in preferred), "id", f"{one}_id", f"{one}id", f"{table}_id",
             *ID_NAMES, *NATURAL_NAMES]
    order += sorted(n for n in names if n.endswith("id"))
    if len(records) >= MIN_UNIQUE_SAMPLES:
        order += list(names)
    for candidate in order:
        if candidate in names and unique(names[candidate]):
            return [names[candidate]]
    return []


def body_keys(body: Any) -> list[str]:
    """Key fields the response names itself (``primary_keys``/``primary_key``/``key_fields`` in
    the envelope, as Datasette sends), ``[]`` when it names none."""
    if not isinstance(body, dict):
        return []
    for name in ("primary_keys", "primary_key", "primarykeys", "key_fields", "keys"):
        value = body.get(name)
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return list(value)
    return []


def find_cursor(records: list[dict[str, Any]], keys: list[str]) -> tuple[str | None, str | None]:
    """``(field, kind)``: a time field present in every record (the one research ranks the
    most likely last-change time, :func:`~cf_databricks_source.incremental.change_rank`) with
    kind ``time``; else the key when its values are integers, as
    a ``monotonic`` cursor (ids that only grow; :mod:`.probe` keeps it only when a since-style
    parameter is shown to filter on it); else ``(None, None)``."""
    if not records:
        return None, None
    times = [k for k in records[0] if all(is_time(r.get(k)) for r in records)]
    if times:  # the last-change time first (research's ranking), then record order
        return max(times, key=lambda k: (change_rank(k), -times.index(k))), "time"
    if keys and all(isinstance(r.get(keys[0]), int) and not isinstance(r.get(keys[0]), bool)
                    for r in records):
        return keys[0], "monotonic"
    return None, None


def find_tombstone(records: list[dict[str, Any]]) -> tuple[str, list[Any]] | None:
    """A field marking deleted records (``deleted``, ``is_deleted``, ``deleted_at`` …) with the
    values that mean deleted (``[True]`` for a flag, ``[]`` = any non-null for a timestamp)."""
    if not records:
        return None
    names = {k.lower(): k for r in records for k in r}
    for candidate in TOMBSTONE_NAMES:
        if candidate in names:
            values = [r.get(names[candidate]) for r in records]
            if all(isinstance(v, bool) or v is None for v in values):
                return names[candidate], [True]
            if all(v is None or is_time(v) for v in values):
                return names[candidate], []
    return None


def rate_limit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The rate-limit headers of a response (``X-RateLimit-*``, ``RateLimit-*``,
    ``Retry-After``)."""
    return {k: v for k, v in headers.items()
            if re.match(r"(x-)?ratelimit|retry-after", k.lower())}


def total_fields(exchange: Exchange) -> tuple[str | None, list[str]]:
    header = next((k for k in exchange.headers if k.lower() in TOTAL_HEADERS), None)
    if isinstance(exchange.body, dict):
        for key, value in exchange.body.items():
            if key.lower() in TOTAL_NAMES and isinstance(value, int) and not isinstance(
                    value, bool):
                return header, [key]
    return header, []


def body_next(body: Any) -> tuple[list[str], Any, list[str], Any]:
    """``(url_path, url, token_path, token)`` of a next-page URL and a next-page token in the
    body (top level or one level under a wrapper such as ``meta``/``pagination``)."""
    url_path: list[str] = []
    url: Any = None
    token_path: list[str] = []
    token: Any = None
    scopes: list[tuple[list[str], Any]] = [([], body)]
    if isinstance(body, dict):
        scopes += [([k], v) for k, v in body.items()
                   if k.lower() in WRAPPER_NAMES and isinstance(v, dict)]
    for prefix, scope in scopes:
        if not isinstance(scope, dict):
            continue
        for key, value in scope.items():
            low = key.lower()
            if isinstance(value, str) and (value.startswith(("http://", "https://", "/", "?"))):
                if low in NEXT_URL_NAMES and not url_path:
                    url_path, url = [*prefix, key], value
            elif isinstance(value, (str, int)) and not isinstance(value, bool) and (
                    low in TOKEN_BODY_NAMES or low == "next") and not token_path:
                token_path, token = [*prefix, key], value
    return url_path, url, token_path, token


def next_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items()
            if k.lower() != "link" and re.search(r"next|cursor", k, re.IGNORECASE)}


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def link_next(exchange: Exchange) -> str | None:
    link = next((v for k, v in exchange.headers.items() if k.lower() == "link"), "")
    for part in link.split(","):
        match = re.match(r'\s*<([^>]*)>\s*;(.*)', part)
        if match and re.search(r'rel="?next"?', match.group(2)):
            return match.group(1)
    return None


def cursor_order(value: str) -> tuple[float, str]:
    """A sort key for cursor values: the number for integer text, the time for ISO 8601 text,
    else the text itself."""
    if value.lstrip("-").isdigit():
        return (float(value), "")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return (0.0, value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return (moment.timestamp(), "")


def declared_name(params: Iterable[str], names: Iterable[str]) -> str | None:
    lowered = {p.lower(): p for p in params}
    return next((lowered[n] for n in names if n in lowered), None)
