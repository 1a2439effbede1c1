"""``Simulator``: answers ``requests`` calls from ``endpoints.yaml`` and ``corpus/*.json``.

The spec format (as the Lakeflow repository's simulator reads it, commit f9c88869)::

    endpoints:
      - path: /v1/items/{owner}          # matched against the request path only (not the host)
        method: GET
        corpus: items                    # corpus/items.json: a JSON array (or an object when
        response:                        #   single_entity: true)
          pagination_style: offset_limit # none | page_number | page_number_with_link_header |
          default_sort: updated_at asc   #   offset_limit
          wrapper: {records_key: data, extras: {has_more: false}}   # records_key may be dotted
        params:                          # role: filter (field, op eq/ne/gt/gte/lt/lte/in),
          since: {role: filter, field: updated_at, op: gte}   # sort_by, sort_order, page,
          skip: {role: offset}           # per_page / limit (default, max), offset, ignore
          take: {role: limit, default: 30, max: 100}
        strict_params: false             # true: an undeclared query parameter is a 400
        synthesize_future_records: {cursor_field: updated_at, count: 3}

A request is filtered (every filter parameter present), sorted (``default_sort``, then
``sort_by``/``sort_order``), paged and wrapped, in that order. ``synthesize_future_records``
adds copies of the last record with the cursor set past the current time, so a reader that does
not stop at its start time never converges. A request matching no endpoint raises
:class:`UnknownEndpoint`, so nothing reaches the network in simulate mode.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import requests
import yaml
from requests.structures import CaseInsensitiveDict

from databricks.labs.community_connector.source_simulator.modes import (
    MODE_LIVE,
    MODE_RECORD,
    MODE_REPLAY,
    MODE_SIMULATE,
    MODES,
)

_ROLES = ("filter", "sort_by", "sort_order", "page", "per_page", "offset", "limit", "ignore")
_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in")
_STYLES = ("none", "page_number", "page_number_with_link_header", "offset_limit")


class UnknownEndpoint(LookupError):
    """A request in simulate mode that no endpoint of the spec matches."""


@dataclass
class Endpoint:
    """One ``endpoints:`` entry, checked."""

    method: str
    path: str
    pattern: re.Pattern[str]
    corpus: str | None
    style: str = "none"
    default_sort: tuple[str, str] | None = None
    records_key: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    single_entity: bool = False
    strict_params: bool = False
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    future: dict[str, Any] | None = None
    #: The ``{placeholder}`` names of ``path``; a placeholder declared under ``params`` (a
    #: ``filter``, e.g. a child table's parent key) filters the corpus like a query parameter.
    path_names: tuple[str, ...] = ()

    def named(self, role: str) -> tuple[str, dict[str, Any]] | None:
        """The (first) parameter with ``role`` and its settings."""
        return next(((n, p) for n, p in self.params.items() if p["role"] == role), None)


def load_endpoints(path: Path) -> list[Endpoint]:
    """The endpoints of ``endpoints.yaml`` at ``path``. Raises ``ValueError`` naming the entry
    and what is wrong with it."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
        raise ValueError(f"{path}: the top level must be a mapping with an 'endpoints' list")
    endpoints = []
    for index, raw in enumerate(data["endpoints"]):
        try:
            endpoints.append(_endpoint(raw))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: endpoint #{index}: {exc}") from exc
    return endpoints


def _endpoint(raw: dict[str, Any]) -> Endpoint:
    response = raw.get("response") or {}
    style = str(response.get("pagination_style", "none"))
    if style not in _STYLES:
        raise ValueError(f"pagination_style {style!r} is not one of {', '.join(_STYLES)}")
    sort = None
    if response.get("default_sort"):
        words = str(response["default_sort"]).split()
        if len(words) not in (1, 2) or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ValueError(f"default_sort {response['default_sort']!r}: 'field [asc|desc]'")
        sort = (words[0], words[1] if len(words) == 2 else "asc")
    wrapper = response.get("wrapper") or {}
    params = {}
    for name, info in (raw.get("params") or {}).items():
        if not isinstance(info, dict) or info.get("role") not in _ROLES:
            raise ValueError(f"param {name!r}: role must be one of {', '.join(_ROLES)}")
        if info["role"] == "filter" and (info.get("op") not in _OPS or "field" not in info):
            raise ValueError(f"param {name!r}: a filter needs a field and an op in {_OPS}")
        params[str(name)] = dict(info)
    parts = re.split(r"\{[A-Za-z_][A-Za-z0-9_]*\}", str(raw["path"]))
    return Endpoint(
        method=str(raw["method"]).upper(), path=str(raw["path"]),
        pattern=re.compile("^" + "([^/]+)".join(re.escape(p) for p in parts) + "$"),
        path_names=tuple(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", str(raw["path"]))),
        corpus=raw.get("corpus"), style=style, default_sort=sort,
        records_key=wrapper.get("records_key"), extras=dict(wrapper.get("extras") or {}),
        single_entity=bool(response.get("single_entity")),
        strict_params=bool(raw.get("strict_params")), params=params,
        future=raw.get("synthesize_future_records"))


def load_corpus(folder: Path) -> dict[str, Any]:
    """Every ``*.json`` in ``folder`` keyed by its stem. Raises ``FileNotFoundError``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {folder}")
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.json"))}


def get_field(record: Any, dotted: str) -> Any:
    """The value at the dotted path ``dotted`` of ``record`` (``None`` where a part is missing)."""
    for key in dotted.split("."):
        if not isinstance(record, dict) or key not in record:
            return None
        record = record[key]
    return record


def _add_future_records(endpoints: list[Endpoint], corpus: dict[str, Any]) -> None:
    now = datetime.now(timezone.utc)
    for endpoint in endpoints:
        records = corpus.get(endpoint.corpus or "")
        if not endpoint.future or not isinstance(records, list) or not records:
            continue
        cursor = str(endpoint.future["cursor_field"])
        for hours in range(1, int(endpoint.future.get("count", 3)) + 1):
            clone = copy.deepcopy(records[-1])
            node = clone
            *parents, last = cursor.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = (now + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
            records.append(clone)


def _compare(value: Any, raw: str, op: str) -> bool:
    if value is None:
        return op == "ne"
    if op == "in":
        return str(value) in [c.strip() for c in raw.split(",")]
    wanted: Any = raw
    if isinstance(value, bool):
        wanted = raw.lower() in ("true", "1", "yes")
    elif isinstance(value, (int, float)):
        try:
            wanted = type(value)(raw)
        except ValueError:
            return False
    try:
        return {"eq": value == wanted, "ne": value != wanted, "gt": value > wanted,
                "gte": value >= wanted, "lt": value < wanted, "lte": value <= wanted}[op]
    except TypeError:
        return False


def _int(query: dict[str, str], name: str | None, default: int) -> int:
    try:
        return int(query.get(name or "", default))
    except ValueError:
        return default


def serve(endpoint: Endpoint, corpus: dict[str, Any], query: dict[str, str], url: str
          ) -> tuple[int, dict[str, str], Any]:
    """``(status, headers, body)`` for a request to ``endpoint`` with ``query``."""
    if endpoint.strict_params:
        unknown = sorted(set(query) - set(endpoint.params))
        if unknown:
            return 400, {}, {"error": f"unknown query parameter(s): {unknown}", "status": 400}
    data = corpus.get(endpoint.corpus or "")
    if endpoint.single_entity:
        return 200, {}, data if data is not None else {}
    records = list(data or [])
    for name, info in endpoint.params.items():
        if info["role"] == "filter" and name in query:
            records = [r for r in records
                       if _compare(get_field(r, info["field"]), query[name], info["op"])]
    sort_field, order = endpoint.default_sort or (None, "asc")
    by, direction = endpoint.named("sort_by"), endpoint.named("sort_order")
    if by and by[0] in query and (not by[1].get("options") or query[by[0]] in by[1]["options"]):
        sort_field = query[by[0]]
    if direction and query.get(direction[0], "").lower() in ("asc", "desc"):
        order = query[direction[0]].lower()
    if sort_field:
        present = [r for r in records if get_field(r, sort_field) is not None]
        absent = [r for r in records if get_field(r, sort_field) is None]
        present.sort(key=lambda r: get_field(r, sort_field), reverse=order == "desc")
        records = present + absent if order == "asc" else absent + present
    headers: dict[str, str] = {}
    total = len(records)
    if endpoint.style == "offset_limit":
        off, lim = endpoint.named("offset"), endpoint.named("limit")
        limit = _size(query, lim)
        start = max(0, _int(query, off[0] if off else "offset", 0))
        records = records[start:start + limit]
    elif endpoint.style in ("page_number", "page_number_with_link_header"):
        page_param = (endpoint.named("page") or ("page", {}))[0]
        size = _size(query, endpoint.named("per_page"))
        page = max(1, _int(query, page_param, 1))
        records = records[(page - 1) * size:page * size]
        last = max(1, -(-total // size))
        if endpoint.style == "page_number_with_link_header" and page < last:
            headers["Link"] = ", ".join(
                f'<{_with(url, page_param, n)}>; rel="{rel}"'
                for n, rel in ((page + 1, "next"), (last, "last")))
    body: Any = records
    if endpoint.records_key:
        *outer, inner = endpoint.records_key.split(".")
        body = {inner: records, **endpoint.extras}
        for key in reversed(outer):
            body = {key: body}
    return 200, headers, body


def _size(query: dict[str, str], param: tuple[str, dict[str, Any]] | None) -> int:
    if param is None:
        return 30
    name, info = param
    default, most = int(info.get("default", 30)), int(info.get("max", 100))
    return max(1, min(_int(query, name, default), most))


def _with(url: str, name: str, value: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True), **{name: str(value)})
    return urlunsplit(parts._replace(query=urlencode(query)))


class Simulator:
    """Install the simulator on ``requests.Session.send`` for the duration of a ``with`` block.

    ``mode`` is ``simulate`` (needs ``spec_path`` and ``corpus_dir``; answers every request from
    them) or ``live``/``record`` (requests go to the real API unchanged). ``replay`` needs a
    cassette, which this model does not keep: it raises ``ValueError`` saying so. The other
    keyword arguments of the repository's ``Simulator`` (``cassette_path``, ``source``,
    ``ignore_query_params``, ``sample_size``, ``synthesize_count``, ``record``) are accepted and
    not used.
    """

    def __init__(self, mode: str, spec_path: Path | None = None,
                 corpus_dir: Path | None = None, **_unused: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
        if mode == MODE_REPLAY:
            raise ValueError("replay mode needs a recorded cassette, which this project does "
                             "not keep: set simulator_source on the test class (simulate mode)")
        if mode == MODE_SIMULATE and (spec_path is None or corpus_dir is None):
            raise ValueError("simulate mode needs spec_path and corpus_dir")
        self.mode = MODE_LIVE if mode == MODE_RECORD else mode
        self.spec_path, self.corpus_dir = spec_path, corpus_dir
        self.requests: list[str] = []
        self._original: Any = None

    def __enter__(self) -> Simulator:
        if self.mode != MODE_SIMULATE:
            return self
        assert self.spec_path is not None and self.corpus_dir is not None
        endpoints = load_endpoints(self.spec_path)
        corpus = load_corpus(self.corpus_dir)
        _add_future_records(endpoints, corpus)
        original = requests.sessions.Session.send
        log = self.requests

        def send(session: requests.Session, prepared: requests.PreparedRequest,
                 **kwargs: Any) -> requests.Response:
            url = prepared.url or ""
            method = (prepared.method or "GET").upper()
            log.append(f"{method} {url}")
            path = urlsplit(url).path
            endpoint = next((e for e in endpoints
                             if e.method == method and e.pattern.match(path)), None)
            if endpoint is None:
                raise UnknownEndpoint(f"no endpoint of {self.spec_path} matches {method} {url}"
                                      "\n  Fix: add it under 'endpoints:' in the spec")
            query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
            match = endpoint.pattern.match(path)
            if match is not None:
                values = zip(endpoint.path_names, match.groups(), strict=True)
                query.update({n: unquote(v) for n, v in values if n in endpoint.params})
            status, headers, body = serve(endpoint, corpus, query, url)
            response = requests.Response()
            response.status_code = status
            response._content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            response.headers = CaseInsensitiveDict({"Content-Type": "application/json",
                                                    **headers})
            response.encoding = "utf-8"
            response.url = url
            response.request = prepared
            return response

        self._original = original
        requests.sessions.Session.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._original is not None:
            requests.sessions.Session.send = self._original  # type: ignore[method-assign]
            self._original = None
