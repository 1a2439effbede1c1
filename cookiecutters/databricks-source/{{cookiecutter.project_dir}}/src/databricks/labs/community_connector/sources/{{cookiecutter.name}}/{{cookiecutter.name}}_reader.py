"""Reading the {{ cookiecutter.title }} tables: requests, pages, snapshots and incremental batches.

**The guarantee.** Every record that existed before the connector's start time is emitted at
least once, in the version current at that time or a later one, across any sequence of calls,
restarts and faults; a record is never emitted twice within one batch; a read that cannot keep
this raises :class:`ReadError` naming the table, the URL and the reason, and never returns
partial data as complete. How:

- *Incremental tables* keep a frontier as their offset: ``{"cursor": c, "keys": [...]}`` — the
  last cursor value emitted and the primary keys emitted at exactly that value, so a group of
  records sharing one cursor value larger than a batch is read across batches (plus ``pos``, a
  position hint, when the API cannot filter by the cursor). A record is new when its cursor is
  past ``c``, or equal to ``c`` with a key not in ``keys``.
- When the API sorts by the cursor (``sort_params``), each page is a fresh query from the
  frontier (keyset: ``since = c``) or, without a ``since`` filter, a page chosen from the
  position hint; a page that starts past the frontier (records before it moved or vanished)
  makes the reader step back a page, so nothing is skipped. Pages must come in ascending cursor
  order; a page out of order is an error. When the API cannot sort, one batch reads the whole
  window (every page after the frontier) and the window is re-read when its total changed.
- Reads stop below an upper bound: the last completed second before the start time, minus the
  ``lookback_seconds`` table option (default 1), so a record written at that moment, or
  committed late by up to the lookback, is read by the next run; every read terminates.
- *Snapshots* are de-duplicated by primary key and re-read (up to 3 times) when the total the
  server reports (``X-Total-Count``, a body count) changed while they were paged, or when
  fewer distinct records than that total arrived; then they fail.
- *Child tables* fan out over their parent's records (read in full, once per run), carry the
  parent's key columns, and keep one frontier per parent in ``{"parents": {...}}``.
- Loop guards: the same page requested twice, the same records on two consecutive pages, an
  offset past the total, or more than ``max_pages_per_read`` pages is an error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urljoin

from databricks.labs.community_connector.sources.{{ cookiecutter.name }}.{{ cookiecutter.name }}_http import (
    HttpClient,
    ReadError,
)

#: Re-reads of a snapshot (or an unsorted window) whose total changed while it was paged.
CHANGED_ATTEMPTS = 3
#: Most keys kept for one tie group (records sharing one cursor value).
MAX_TIE_KEYS = 50_000
#: Most step-backs (a page found past the frontier) in one batch.
MAX_STEP_BACKS = 200


@dataclass
class Request:
    """One list request: absolute URL, query parameters, headers, and the columns its records
    carry from the parent record (``{}`` for a top-level table)."""

    url: str
    params: dict[str, Any]
    headers: dict[str, str]
    carried: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """One page: its records, the position of the first one in the query's order, whether the
    server says another page follows, and the total it reports (``None`` if it does not)."""

    records: list[dict[str, Any]]
    start: int
    has_next: bool
    total: int | None
    url: str


class Frontier:
    """The offset of an incremental table: the last cursor value emitted (``raw`` as the API
    wrote it, ``key`` comparable), the primary keys emitted at exactly that value, and a
    position hint."""

    def __init__(self, raw: Any = None, keys: list[str] | None = None, pos: int = 0,
                 kind: str = "time") -> None:
        self.kind = kind
        self.raw = raw
        self.key = cursor_key(raw, kind) if raw is not None else None
        self.keys = set(keys or [])
        self.pos = pos

    @classmethod
    def from_offset(cls, offset: dict[str, Any] | None, start_date: str | None,
                    kind: str) -> Frontier:
        if offset and "cursor" in offset:
            return cls(offset["cursor"], list(offset.get("keys") or []),
                       int(offset.get("pos") or 0), kind)
        return cls(start_date, [], 0, kind) if start_date else cls(kind=kind)

    def seen(self, key: tuple[int, Any], pk: str) -> bool:
        """Whether a record with cursor ``key`` and primary key ``pk`` is behind the frontier."""
        if self.key is None:
            return False
        return key < self.key or (key == self.key and pk in self.keys)

    def advance(self, key: tuple[int, Any], raw: Any, pk: str, table: str) -> None:
        """Move the frontier over one emitted record (records come in ascending order)."""
        if self.key is None or key > self.key:
            self.key, self.raw, self.keys = key, raw, {pk}
            return
        self.keys.add(pk)
        if len(self.keys) > MAX_TIE_KEYS:
            raise ReadError(f"table {table}: more than {MAX_TIE_KEYS} records share the cursor "
                            f"value {self.raw!r}; the reader cannot page through them safely")

    def offset(self, with_pos: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"cursor": self.raw, "keys": sorted(self.keys)}
        if with_pos:
            data["pos"] = self.pos
        return data


class Reader:
    """Reads the tables of ``tables`` (name -> runtime plan) through ``client``.

    ``options`` are the connection options (connection-option parameters, batch defaults);
    ``started_at`` the connector's start time (the upper bound of every incremental read).
    """

    def __init__(self, client: HttpClient, tables: dict[str, dict[str, Any]],
                 options: dict[str, str], started_at: datetime) -> None:
        self.client = client
        self.tables = tables
        self.options = options
        self.started_at = started_at
        self._parents: dict[tuple[str, str], list[dict[str, Any]]] = {}

    # -- options -------------------------------------------------------------------------

    def _int(self, name: str, table_options: dict[str, str], default: int) -> int:
        raw = table_options.get(name, self.options.get(name))
        if raw in (None, ""):
            return default
        try:
            return max(1, int(float(str(raw))))
        except ValueError:
            raise ValueError(f"option {name!r} must be a whole number, got {raw!r}") from None

    def upper_bound(self, table_options: dict[str, str]) -> float:
        """Epoch seconds: reads keep cursor values below this (last completed second minus
        ``lookback_seconds``)."""
        raw = table_options.get("lookback_seconds", self.options.get("lookback_seconds", "1"))
        try:
            lookback = max(float(raw), 0.0)
        except ValueError:
            raise ValueError(f"option 'lookback_seconds' must be a number, got {raw!r}") from None
        return math.floor(self.started_at.timestamp()) - lookback

    # -- requests ------------------------------------------------------------------------

    def requests_for(self, name: str, table_options: dict[str, str]
                     ) -> list[tuple[str, Request]]:
        """``(parent key, request)`` for each request a full read of ``name`` makes: one for a
        top-level table, one per parent record for a child table (parents in key order)."""
        table = self.tables[name]
        parent = table.get("parent")
        if not parent or not any(p["source"] == "parent" for p in table.get("params") or []):
            return [("", self.request(name, table_options, None))]
        rows = self.parent_rows(parent, table_options)
        parent_keys = self.tables[parent]["primary_keys"]
        out = []
        for row in rows:
            out.append((record_key(row, parent_keys), self.request(name, table_options, row)))
        out.sort(key=lambda item: item[0])
        return out

    def parent_rows(self, parent: str, table_options: dict[str, str]) -> list[dict[str, Any]]:
        """Every current record of the parent table, read in full once per connector run."""
        cache_key = (parent, json.dumps(sorted(table_options.items())))
        if cache_key not in self._parents:
            self._parents[cache_key] = self.snapshot(parent, table_options)
        return self._parents[cache_key]

    def request(self, name: str, table_options: dict[str, str],
                parent_row: dict[str, Any] | None, path: str | None = None) -> Request:
        """The request for ``name`` with its parameters filled in: table options, connection
        options, or ``parent_row``'s fields. Raises ``ValueError`` naming a missing option."""
        table = self.tables[name]
        path = path or table["path"]
        params = dict(table.get("query") or {})
        headers = dict(table.get("headers") or {})
        carried: dict[str, Any] = {}
        for param in table.get("params") or []:
            value = self._param_value(name, table, param, table_options, parent_row)
            if value is None:
                continue
            if param["source"] == "parent":
                carried[param["column"]] = value
            where = param.get("in") or param.get("in_") or "path"
            if where == "path":
                path = path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
            elif where == "query":
                params[param["name"]] = value
            else:
                headers[param["name"]] = str(value)
        if "{" in path:
            raise ValueError(f"table {name}: path {path} still has a placeholder; describe it "
                             "in the table's params")
        return Request(self.client.base_url + path, params, headers, carried)

    def _param_value(self, name: str, table: dict[str, Any], param: dict[str, Any],
                     table_options: dict[str, str], parent_row: dict[str, Any] | None) -> Any:
        source = param["source"]
        option = param.get("option") or param["name"]
        if source == "parent":
            value = dig(parent_row, param["parent_field"]) if parent_row is not None else None
            if value is None:
                raise ReadError(f"table {name}: parent {table.get('parent')} record has no "
                                f"{param['parent_field']!r} for parameter {param['name']}")
            return value
        values = table_options if source == "table_option" else self.options
        value = values.get(option)
        if value in (None, ""):
            value = param.get("default")
        if value in (None, "") and param.get("required", True):
            kind = "table option" if source == "table_option" else "connection option"
            raise ValueError(
                f"table {name}: {kind} {option!r} is required ({param.get('in', 'path')} "
                f"parameter {param['name']} of {table['path']}); set it, e.g. "
                + json.dumps({option: "..."}))
        return value

    # -- pages ---------------------------------------------------------------------------

    def walk(self, name: str, table: dict[str, Any], req: Request, start: int,
             table_options: dict[str, str]) -> Iterator[Page]:
        """Pages of ``req`` in order, from position ``start`` (rounded down to a page when the
        API pages by number; only 0 for APIs that page by link or token)."""
        pag = table["pagination"]
        style = pag.get("style", "none")
        size = int(table_options.get("page_size") or pag.get("page_size") or 100)
        params = dict(req.params)
        seek = seek_kind(pag)
        if pag.get("size_param") and style != "none":
            params[pag["size_param"]] = size
        pos = 0
        if seek == "page" and start and pag.get("size_param"):
            # a page size (at most the planned one) whose page holding ``start`` also holds the
            # record after it, so a page asked from the last record read always reaches further
            size = next((s for s in range(size, max(size - 8, 1), -1) if start % s <= s - 2),
                        size)
            params[pag["size_param"]] = size
        if seek == "page":
            number = int(pag.get("start_page", 1)) + start // size
            pos = (number - int(pag.get("start_page", 1))) * size
            params[pag["page_param"]] = number
        elif seek == "offset":
            params[pag["offset_param"]] = pos = start
        elif start:
            raise AssertionError("only page- and offset-paged APIs can start mid-list")
        url: str | None = req.url
        asked: set[str] = set()
        previous: list[str] | None = None
        limit = self._int("max_pages_per_read", table_options, 100_000)
        for _ in range(limit):
            assert url is not None
            signature = url + "?" + json.dumps(sorted((k, str(v)) for k, v in params.items()))
            if signature in asked:
                raise ReadError(f"table {name}: {url} asked for the same page twice ({params}); "
                                "the pagination does not advance")
            asked.add(signature)
            body, response = self.client.get_json(url, params, req.headers, f"table {name}")
            records = extract_records(body, table.get("records_path") or [],
                                      f"table {name}: {url}", response)
            for record in records:
                record.update(req.carried)
            total = page_total(pag, response, body)
            if total is not None and records and pos >= total:
                raise ReadError(f"table {name}: {url} returned records at position {pos}, past "
                                f"the total of {total} the server reports")
            identity = [record_key(r, table.get("primary_keys") or []) for r in records]
            if records and identity == previous:
                raise ReadError(f"table {name}: {url} returned the same records on two pages in "
                                f"a row ({params}); the pagination does not advance")
            previous = identity
            url, params = self._next(pag, seek, response, body, url, params, records, pos,
                                     total, size)
            yield Page(records, pos, url is not None, total, response.url or req.url)
            if url is None:
                return
            pos += len(records)
        raise ReadError(f"table {name}: more than {limit} pages (max_pages_per_read); "
                        f"stopped at {url}")

    def _next(self, pag: dict[str, Any], seek: str | None, response: Any, body: Any, url: str,
              params: dict[str, Any], records: list[dict[str, Any]], pos: int,
              total: int | None, size: int) -> tuple[str | None, dict[str, Any]]:
        style = pag.get("style", "none")
        if not records:
            return None, params
        after = pos + len(records)
        if total is not None and after >= total:
            return None, params
        if style == "link_header":
            if "next" not in response.links:
                return None, params
            if seek != "page":
                return urljoin(url, response.links["next"]["url"]), {}
        if seek == "page":
            return url, dict(params, **{pag["page_param"]: int(params[pag["page_param"]]) + 1})
        if seek == "offset":
            return url, dict(params, **{pag["offset_param"]: after})
        if style == "next_url":
            nxt = dig_path(body, pag.get("next_path") or ["next"])
            return (urljoin(url, str(nxt)), {}) if nxt else (None, params)
        if style == "next_token":
            token = (response.headers.get(pag["token_header"]) if pag.get("token_header")
                     else dig_path(body, pag.get("token_path") or ["next"]))
            return (url, dict(params, **{pag["token_param"]: token})) if token else (None, params)
        if style == "cursor":
            more_path = pag.get("has_more_path") or []
            more = bool(dig_path(body, more_path)) if more_path else len(records) >= size
            last = dig(records[-1], pag.get("cursor_from") or "id")
            if not more or last is None:
                return None, params
            return url, dict(params, **{pag["cursor_param"]: last})
        return None, params

    # -- snapshots -----------------------------------------------------------------------

    def snapshot(self, name: str, table_options: dict[str, str]) -> list[dict[str, Any]]:
        """Every current record of ``name`` (all parents for a child), each once."""
        table = self.tables[name]
        keys = table.get("primary_keys") or []
        out: dict[str, dict[str, Any]] = {}
        for _, req in self.requests_for(name, table_options):
            for record in self._snapshot_one(name, table, req, table_options):
                out[record_key(record, keys)] = record
        return list(out.values())

    def _snapshot_one(self, name: str, table: dict[str, Any], req: Request,
                      table_options: dict[str, str]) -> list[dict[str, Any]]:
        keys = table.get("primary_keys") or []
        reason = ""
        for _ in range(CHANGED_ATTEMPTS):
            got: dict[str, dict[str, Any]] = {}
            totals: list[int] = []
            for page in self.walk(name, table, req, 0, table_options):
                if page.total is not None:
                    totals.append(page.total)
                for record in page.records:
                    got[record_key(record, keys)] = record
            if len(set(totals)) > 1:
                reason = f"the total changed from {totals[0]} to {totals[-1]} while paging"
                continue
            if totals and len(got) < totals[-1]:
                reason = f"{len(got)} distinct records arrived but the server reports {totals[-1]}"
                continue
            return list(got.values())
        raise ReadError(f"table {name}: {req.url}: {reason} in {CHANGED_ATTEMPTS} attempts; "
                        "the collection keeps changing, run again later")

    # -- incremental ---------------------------------------------------------------------

    def incremental(self, name: str, start_offset: dict[str, Any] | None,
                    table_options: dict[str, str], deletes: bool = False
                    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One batch of ``name`` after ``start_offset``; returns ``(records, end offset)``.
        The same offset back means nothing new (before the upper bound)."""
        table = self.tables[name]
        if table.get("parent") and any(p["source"] == "parent" for p in table.get("params") or []):
            return self._incremental_children(name, start_offset, table_options, deletes)
        req = self._deletes_request(name, table_options, None) if deletes else \
            self.request(name, table_options, None)
        return self._incremental_one(name, table, req, start_offset, table_options,
                                     self._int("max_records_per_batch", table_options, 1000),
                                     deletes)

    def _deletes_request(self, name: str, table_options: dict[str, str],
                         parent_row: dict[str, Any] | None) -> Request:
        table = self.tables[name]
        spec = table.get("deletes") or {}
        path = spec.get("path") or table.get("deletes_path")
        req = self.request(name, table_options, parent_row, path=path)
        req.params.update(spec.get("query") or {})
        return req

    def _incremental_children(self, name: str, start_offset: dict[str, Any] | None,
                              table_options: dict[str, str], deletes: bool
                              ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        table = self.tables[name]
        state = dict((start_offset or {}).get("parents") or {})
        limit = self._int("max_records_per_batch", table_options, 1000)
        out: list[dict[str, Any]] = []
        parent = table["parent"]
        moved = False
        for parent_key, req in self.requests_for(name, table_options):
            if len(out) >= limit:
                break
            if deletes:
                row = next(r for r in self.parent_rows(parent, table_options)
                           if record_key(r, self.tables[parent]["primary_keys"]) == parent_key)
                req = self._deletes_request(name, table_options, row)
            before = state.get(parent_key)
            while len(out) < limit:
                records, end = self._incremental_one(name, table, req, before, table_options,
                                                     limit - len(out), deletes)
                out += records
                if end == (before or {}):
                    break
                state[parent_key] = before = end
                moved = True
        if not moved:
            return [], dict(start_offset or {})
        return out, {"parents": dict(sorted(state.items()))}

    def _incremental_one(self, name: str, table: dict[str, Any], req: Request,
                         start_offset: dict[str, Any] | None, table_options: dict[str, str],
                         limit: int, deletes: bool
                         ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        incremental = table.get("incremental") or {}
        kind = incremental.get("cursor_kind", "time")
        frontier = Frontier.from_offset(start_offset, table_options.get("start_date"), kind)
        upper = self.upper_bound(table_options)
        sort = incremental.get("sort_params") or {}
        with_pos = bool(sort) and not incremental.get("since_param") and seek_kind(
            table["pagination"]) is not None
        if sort:
            batch = self._read_sorted(name, table, req, frontier, limit, upper, table_options)
        else:
            batch = self._read_window(name, table, req, frontier, upper, table_options)
        batch = [r for r in batch if self._keep(table, r, deletes)]
        begin = Frontier.from_offset(start_offset, table_options.get("start_date"), kind)
        end = frontier.offset(with_pos)
        if (frontier.raw, frontier.keys) == (begin.raw, begin.keys):
            # nothing new: the same offset back ends the read
            return [], dict(start_offset or {})
        return batch, end

    def _keep(self, table: dict[str, Any], record: dict[str, Any], deletes: bool) -> bool:
        spec = table.get("deletes") or {}
        tomb = spec.get("tombstone_field")
        if not tomb or (deletes and (spec.get("path") or table.get("deletes_path"))):
            return True
        value = dig(record, tomb)
        values = spec.get("tombstone_values") or []
        dead = value in values if values else value not in (None, False, "", 0)
        return dead if deletes else not dead

    def _params_from(self, table: dict[str, Any], req: Request, frontier: Frontier
                     ) -> dict[str, Any]:
        incremental = table.get("incremental") or {}
        params = dict(req.params)
        params.update(incremental.get("sort_params") or {})
        since = incremental.get("since_param")
        if since and frontier.raw is not None:
            params[since] = since_value(frontier.raw, incremental.get("since_format", "raw"),
                                        frontier.kind)
        return params

    def _read_sorted(self, name: str, table: dict[str, Any], req: Request, frontier: Frontier,
                     limit: int, upper: float, table_options: dict[str, str]
                     ) -> list[dict[str, Any]]:
        cursor_field = table["cursor_field"]
        keys = table.get("primary_keys") or []
        since = (table.get("incremental") or {}).get("since_param")
        seekable = seek_kind(table["pagination"]) is not None
        size = int(table_options.get("page_size") or table["pagination"].get("page_size") or 100)
        batch: dict[str, dict[str, Any]] = {}
        hint = (len(frontier.keys) if since else frontier.pos) if seekable else 0
        start = max(hint - 1, 0)
        step_backs = walks = 0
        max_walks = self._int("max_pages_per_read", table_options, 100_000)
        while True:
            at_walk_start = frontier.raw
            restart = False
            finished = False
            last: tuple[int, Any] | None = None
            walk_req = Request(req.url, self._params_from(table, req, frontier), req.headers,
                               req.carried)
            first = True
            batch_before = len(batch)
            walks += 1
            if walks > max_walks:
                raise ReadError(f"table {name}: {req.url}: more than {max_walks} page requests "
                                "in one batch (max_pages_per_read)")
            for page in self.walk(name, table, walk_req, start, table_options):
                if first and page.start > 0 and page.records and not frontier.seen(
                        cursor_key_of(page.records[0], cursor_field, frontier.kind, name,
                                      page.url), record_key(page.records[0], keys)):
                    # records before this page moved or vanished: step back so none is skipped
                    step_backs += 1
                    if step_backs > MAX_STEP_BACKS:
                        raise ReadError(f"table {name}: {page.url}: the list keeps shifting "
                                        f"under the reader ({MAX_STEP_BACKS} step-backs)")
                    start = max(page.start - size, 0)
                    restart = True
                    break
                first = False
                consumed = 0
                for record in page.records:
                    consumed += 1
                    key = cursor_key_of(record, cursor_field, frontier.kind, name, page.url)
                    if last is not None and key < last:
                        raise ReadError(
                            f"table {name}: {page.url} did not return records in ascending "
                            f"{cursor_field} order as the plan's sort parameters promise")
                    last = key
                    pk = record_key(record, keys)
                    if frontier.seen(key, pk):
                        continue
                    if beyond(key, upper):
                        finished = True
                        break
                    batch.pop(pk, None)
                    batch[pk] = record
                    frontier.advance(key, dig(record, cursor_field), pk, name)
                frontier.pos = page.start + consumed
                if finished or not page.has_next:
                    finished = True
                    break
                if len(batch) >= limit:
                    break
                if seekable or (since and frontier.raw != at_walk_start):
                    # a fresh query for every page: from the new frontier (keyset), or the page
                    # holding the last record read, so records that moved meanwhile show
                    moved = since and frontier.raw != at_walk_start
                    hint = len(frontier.keys) if moved else frontier.pos
                    following = max(hint - 1, 0) if seekable else 0
                    if not moved and following == start and batch_before == len(batch):
                        finished = True  # the same request again: nothing lies further on
                        break
                    restart, start = True, following
                    break
            if finished or len(batch) >= limit or not restart:
                return list(batch.values())

    def _read_window(self, name: str, table: dict[str, Any], req: Request, frontier: Frontier,
                     upper: float, table_options: dict[str, str]) -> list[dict[str, Any]]:
        cursor_field = table["cursor_field"]
        keys = table.get("primary_keys") or []
        walk_req = Request(req.url, self._params_from(table, req, frontier), req.headers,
                           req.carried)
        reason = ""
        for _ in range(CHANGED_ATTEMPTS):
            got: dict[str, tuple[tuple[int, Any], dict[str, Any]]] = {}
            totals: list[int] = []
            for page in self.walk(name, table, walk_req, 0, table_options):
                if page.total is not None:
                    totals.append(page.total)
                for record in page.records:
                    key = cursor_key_of(record, cursor_field, frontier.kind, name, page.url)
                    pk = record_key(record, keys)
                    if frontier.seen(key, pk) or beyond(key, upper):
                        continue
                    if pk not in got or got[pk][0] <= key:
                        got[pk] = (key, record)
            if len(set(totals)) > 1:
                reason = f"the total changed from {totals[0]} to {totals[-1]} while paging"
                continue
            ordered = sorted(got.items(), key=lambda item: (item[1][0], item[0]))
            for pk, (key, record) in ordered:
                frontier.advance(key, dig(record, cursor_field), pk, name)
            return [record for _, (_, record) in ordered]
        raise ReadError(f"table {name}: {req.url}: {reason} in {CHANGED_ATTEMPTS} attempts; "
                        "the collection keeps changing, run again later")


# -- helpers ---------------------------------------------------------------------------------


def seek_kind(pag: dict[str, Any]) -> str | None:
    """``"page"`` or ``"offset"`` when the API can start a list at a position, else ``None``."""
    style = pag.get("style", "none")
    if style in ("page", "link_header") and pag.get("page_param"):
        return "page"
    if style == "offset" and pag.get("offset_param"):
        return "offset"
    return None


def extract_records(body: Any, path: list[str], url: str, response: Any) -> list[dict[str, Any]]:
    """The list of records at ``path`` in ``body``; anything else (an error object where the
    list belongs, a missing key, items that are not objects) raises :class:`ReadError` whose
    message starts with ``url`` (which may be prefixed with the table)."""
    node = body
    kind = response.headers.get("Content-Type", "(none)")
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise ReadError(f"{url}: HTTP {response.status_code} ({kind}) has no list at "
                            f"{'.'.join(path)}: {json.dumps(body, default=str)[:160]}")
        node = node[key]
    if node is None and path:
        return []
    if not isinstance(node, list):
        raise ReadError(f"{url}: HTTP {response.status_code} ({kind}): expected a list at "
                        f"{'.'.join(path) or 'the body'}, got {type(node).__name__}: "
                        f"{json.dumps(node, default=str)[:160]}")
    if not all(isinstance(r, dict) for r in node):
        raise ReadError(f"{url}: HTTP {response.status_code} ({kind}): the list at "
                        f"{'.'.join(path) or 'the body'} holds items that are not objects")
    return node


def page_total(pag: dict[str, Any], response: Any, body: Any) -> int | None:
    """The collection size the server reports (``total_header`` or ``total_path``)."""
    raw: Any = None
    if pag.get("total_header"):
        raw = response.headers.get(pag["total_header"])
    elif pag.get("total_path"):
        raw = dig_path(body, pag["total_path"])
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def dig(record: Any, dotted: str) -> Any:
    """``record["a"]["b"]`` for ``"a.b"``; ``None`` when a step is missing."""
    return dig_path(record, dotted.split(".") if dotted else [])


def dig_path(node: Any, path: list[str]) -> Any:
    """``node[path[0]][path[1]]…`` (keys may hold dots: ``@odata.nextLink``); ``None`` when a
    step is missing."""
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def record_key(record: dict[str, Any], keys: list[str]) -> str:
    """The record's identity as text: its primary key values (the whole record without keys)."""
    if not keys:
        return json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    return json.dumps([dig(record, k) for k in keys], default=str, separators=(",", ":"))


def cursor_key(value: Any, kind: str = "time") -> tuple[int, Any]:
    """A comparable form of a cursor value. Time cursors compare as epoch seconds (ISO 8601
    text, or numbers of seconds or milliseconds since the epoch); monotonic numbers as numbers;
    anything else as text."""
    if isinstance(value, bool) or value is None:
        return (3, str(value))
    if isinstance(value, (int, float)):
        if kind == "time":
            return (0, value / 1000 if value > 1e11 else float(value))
        return (1, value)
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return (2, text)
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return (0, parsed.timestamp())


def cursor_key_of(record: dict[str, Any], field_name: str, kind: str, table: str,
                  url: str) -> tuple[int, Any]:
    """``cursor_key`` of a record's cursor; a record without one raises :class:`ReadError`."""
    value = dig(record, field_name)
    if value is None:
        raise ReadError(f"table {table}: {url} returned a record without its cursor "
                        f"{field_name!r}; the table cannot be read incrementally")
    return cursor_key(value, kind)


def beyond(key: tuple[int, Any], upper: float) -> bool:
    """Whether a time cursor is at or past the upper bound (epoch seconds)."""
    return key[0] == 0 and key[1] >= upper


def since_value(raw: Any, fmt: str, kind: str) -> Any:
    """The frontier as the API's ``since`` parameter wants it."""
    key = cursor_key(raw, kind)
    if fmt == "epoch_seconds" and key[0] == 0:
        return int(key[1])
    if fmt == "iso8601" and key[0] == 0:
        return datetime.fromtimestamp(key[1], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return raw


def conform(value: Any, schema: dict[str, Any]) -> Any:
    """``value`` shaped for its JSON Schema node: objects with properties keep their shape
    (recursively), arrays map their items, and a dict or list where the schema holds JSON text
    (a free-form object, or anything read as ``StringType``) becomes ``json.dumps`` text, never a
    Python ``repr``."""
    if value is None:
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" and schema.get("properties"):
        if not isinstance(value, dict):
            return value
        props = schema["properties"]
        return {k: (conform(v, props[k]) if k in props else v) for k, v in value.items()}
    if kind == "array":
        items = schema.get("items") or {"type": "string"}
        return [conform(v, items) for v in value] if isinstance(value, list) else value
    if kind in ("integer", "number", "boolean"):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return value
