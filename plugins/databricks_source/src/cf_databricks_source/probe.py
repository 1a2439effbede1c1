"""Probe the live API: a few bounded, read-only GETs per table and the evidence they yield.

For each table of a :class:`~cf_databricks_source.connector_plan.ConnectorPlan` the probe asks
for the first page with a small page size (first without credentials, to learn whether the table
needs one and which scheme the server wants), reads the records envelope and the record fields,
follows the next page the way the server offers it (``Link``, a ``*Next*``/``*Cursor*`` header,
a next URL or token in the body) to verify it, and asks again with the median cursor value to see
whether a since-style parameter really filters on it. :mod:`.probe_apply` turns the evidence into
plan decisions.

Limits and safety: only ``GET``, only on the origin of the base URL (redirects elsewhere are not
followed), at most :attr:`ProbeLimits.max_requests` requests per table and
:attr:`ProbeLimits.max_seconds` for the whole probe; retries of 429/5xx and connection errors by
urllib3's :class:`~urllib3.util.retry.Retry`. Credential values never appear in what this module
returns (:func:`strip_secrets` cleans URLs and headers).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from cf_databricks_source.api_names import (
    DIRECTION_NAMES,
    PAGE_NAMES,
    SINCE_NAMES,
    SIZE_NAMES,
    SORT_NAMES,
    TOKEN_PARAM_NAMES,
)
from cf_databricks_source.connector_plan import TablePlan
from cf_databricks_source.probe_findings import (
    AuthUse,
    Exchange,
    body_keys,
    body_next,
    cursor_order,
    declared_name,
    find_cursor,
    find_keys,
    find_records,
    find_tombstone,
    link_next,
    next_headers,
    parse_challenge,
    query_of,
    rate_limit_headers,
    total_fields,
)

if TYPE_CHECKING:
    import requests

__all__ = ["AuthUse", "Credentials", "Exchange", "ProbeLimits", "ProbeSession", "ProbeStopped",
           "TableEvidence", "probe_table", "strip_secrets"]

#: Query/header names that hold secrets; their values are replaced by ``***`` in evidence.
SECRET_NAME = re.compile(r"token|key|secret|password|passwd|signature|auth|session|sig\b",
                         re.IGNORECASE)


class ProbeStopped(Exception):
    """The probe cannot go on; ``str(exc)`` is the one-line reason for the user."""


@dataclass(frozen=True)
class ProbeLimits:
    """The probe's limits.

    Attributes:
        max_requests: HTTP requests per table at most (redirects count).
        max_seconds: seconds for the whole probe at most (wall time).
        page_size: records asked for per page when the API has a size parameter.
        timeout_s: seconds to wait for one response at most.
    """

    max_requests: int = 12
    max_seconds: float = 60.0
    page_size: int = 5
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Credentials:
    """What the probe may authenticate with (never logged, never returned in evidence)."""

    username: str = ""
    password: str = ""
    token: str = ""
    api_key: str = ""

    @classmethod
    def from_sources(cls, prefix: str, config: Mapping[str, Any] | None = None) -> Credentials:
        """From ``config`` (a connector's ``dev_config.json``) and, where it has no value, the
        environment variables ``{prefix}USERNAME``, ``{prefix}PASSWORD``, ``{prefix}TOKEN`` and
        ``{prefix}API_KEY`` (the names ``cf credentials`` reads)."""
        config = config or {}

        def pick(name: str) -> str:
            return str(config.get(name) or os.environ.get(f"{prefix}{name.upper()}") or "")

        return cls(pick("username"), pick("password"), pick("token"), pick("api_key"))

    def any(self) -> bool:
        """Whether any credential is known."""
        return bool(self.username or self.token or self.api_key)

    def values(self) -> list[str]:
        """The secret values, to mask."""
        return [v for v in (self.password, self.token, self.api_key) if v] + (
            [self.username] if self.username and self.password else [])

    def has(self, scheme: str) -> bool:
        """Whether credentials for ``scheme`` (``basic``, ``bearer``, ``api_key``) are known."""
        return {"basic": bool(self.username and self.password), "bearer": bool(self.token),
                "api_key": bool(self.api_key)}.get(scheme, scheme == "none")


@dataclass
class TableEvidence:
    """What the probe saw for one table. Every field is ``None``/empty when not established.

    ``pagination`` holds :class:`~cf_databricks_source.connector_plan.Pagination` fields
    (``style``, ``size_param``, ``page_param``, ``token_param`` …) with ``verified`` telling
    whether the second page was fetched and held other records. ``since`` holds ``param``,
    ``value``, ``filters`` (bool), ``sort_params`` and ``sorted`` (bool). ``notes`` are the
    ``live:`` evidence lines by decision name.
    """

    table: str
    exchanges: list[Exchange] = field(default_factory=list)
    challenge: str | None = None
    auth: AuthUse | None = None
    needs_credential: bool | None = None
    records_path: list[str] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    pagination: dict[str, Any] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    cursor: str | None = None
    cursor_kind: str | None = None
    since: dict[str, Any] = field(default_factory=dict)
    tombstone: tuple[str, list[Any]] | None = None
    rate_limits: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    stopped: str | None = None

    @property
    def requests(self) -> int:
        """Requests made for this table."""
        return len(self.exchanges)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (lower case)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def strip_secrets(url: str, secrets: Iterable[str] = ()) -> str:
    """``url`` with user info removed and the values of secret-named query parameters (and of
    any value in ``secrets``) replaced by ``***``."""
    parts = urlsplit(url)
    values = {s for s in secrets if s}
    query = [(k, "***" if SECRET_NAME.search(k) or v in values else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/:,*"),
                       parts.fragment))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ProbeSession:
    """Bounded, read-only HTTP for the probe: GETs on one origin, a request count per table and
    a deadline for all tables, urllib3 retries on 429/5xx.

    Args:
        base_url: the API base URL; only its origin is ever contacted.
        limits: see :class:`ProbeLimits`.
        credentials: what to authenticate with once the server asks.
    """

    def __init__(self, base_url: str, limits: ProbeLimits, credentials: Credentials) -> None:
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise ProbeStopped(f"base URL {base_url or '(none)'} is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.origin = origin(base_url)
        self.limits = limits
        self.credentials = credentials
        self.deadline = time.monotonic() + limits.max_seconds
        # imported here: research without a probe (no credentials) never loads requests
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.session = requests.Session()
        retry = Retry(total=2, connect=1, read=1, status=2, backoff_factor=0.2,
                      status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",),
                      respect_retry_after_header=False, raise_on_status=False, redirect=0)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._count = 0

    def start_table(self) -> None:
        """Reset the per-table request count."""
        self._count = 0

    def secrets(self) -> list[str]:
        """The credential values to keep out of everything."""
        return self.credentials.values()

    def get(self, url: str, params: Mapping[str, Any] | None = None,
            auth: AuthUse | None = None) -> Exchange:
        """One GET (following same-origin redirects, each counted).

        Raises:
            ProbeStopped: the budget is spent, the URL leaves the origin, or the server cannot
                be reached.
        """
        if params:
            joined = "&" if urlsplit(url).query else "?"
            url = url + joined + urlencode({k: str(v) for k, v in params.items()})
        headers = {"Accept": "application/json", "User-Agent": "connector-factory-probe"}
        basic: tuple[str, str] | None = None
        use = auth or AuthUse()
        if use.type == "basic":
            basic = (self.credentials.username, self.credentials.password)
        elif use.type == "bearer":
            headers[use.header] = f"{use.scheme} {self.credentials.token}".strip()
        elif use.type == "api_key" and use.location == "header":
            headers[use.key_name] = self.credentials.api_key
        elif use.type == "api_key":
            url += ("&" if urlsplit(url).query else "?") + urlencode(
                {use.key_name: self.credentials.api_key})
        import requests  # loaded by __init__

        for _ in range(4):  # the request and at most three same-origin redirects
            self._spend()
            if origin(url) != self.origin:
                raise ProbeStopped(f"{strip_secrets(url, self.secrets())} is not on "
                                   f"{self.origin}; the probe stays on the base URL's origin")
            timeout = max(0.5, min(self.limits.timeout_s, self.deadline - time.monotonic()))
            try:
                response = self.session.get(url, headers=headers, auth=basic, timeout=timeout,
                                            allow_redirects=False)
            except requests.RequestException as exc:
                raise ProbeStopped(f"cannot reach {self.origin}: {_reason(exc)}") from None
            location = response.headers.get("Location")
            if response.is_redirect and location:
                url = urljoin(url, location)
                continue
            return Exchange(url=strip_secrets(url, self.secrets()), status=response.status_code,
                            headers=dict(response.headers), body=_json(response), at=_now(),
                            authenticated=use.type != "none")
        raise ProbeStopped(f"{strip_secrets(url, self.secrets())} redirects more than 3 times")

    def _spend(self) -> None:
        if time.monotonic() >= self.deadline:
            raise ProbeStopped(f"the probe's time budget of {self.limits.max_seconds:g}s ran out")
        if self._count >= self.limits.max_requests:
            raise ProbeStopped(f"the budget of {self.limits.max_requests} request(s) per table "
                               "ran out")
        self._count += 1


def _reason(exc: Exception) -> str:
    text = str(exc)
    for pattern, short in (("Name or service not known", "host name not found"),
                           ("nodename nor servname", "host name not found"),
                           ("Temporary failure in name resolution", "no network (DNS)"),
                           ("Connection refused", "connection refused"),
                           ("Network is unreachable", "network unreachable"),
                           ("timed out", "timed out")):
        if pattern in text:
            return short
    return type(exc).__name__


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


# -- the probe of one table --------------------------------------------------------------------


def probe_table(session: ProbeSession, table: TablePlan, declared: Iterable[str],
                doc_auth: AuthUse) -> TableEvidence:
    """Probe ``table`` (see the module doc). ``declared`` are the query parameter names the
    document lists for its endpoint; ``doc_auth`` the document's scheme. Never raises: a stop
    (budget, unreachable, 401 without credentials) is in ``evidence.stopped`` with what was
    learnt until then."""
    evidence = TableEvidence(table=table.name)
    session.start_table()
    try:
        _probe(session, table, list(declared), doc_auth, evidence)
    except ProbeStopped as exc:
        evidence.stopped = str(exc)
    return evidence


def _first_params(table: TablePlan, declared: list[str], page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = dict(table.query)
    pagination = table.pagination
    size = pagination.size_param or declared_name(declared, SIZE_NAMES)
    if size:
        params[size] = page_size
    page = pagination.page_param or declared_name(declared, PAGE_NAMES)
    if page and pagination.style in ("page", "link_header", "none"):
        params[page] = pagination.start_page
    return params


def _probe(session: ProbeSession, table: TablePlan, declared: list[str], doc_auth: AuthUse,
           evidence: TableEvidence) -> None:
    url = session.base_url + table.path
    params = _first_params(table, declared, session.limits.page_size)
    first = session.get(url, params)
    evidence.exchanges.append(first)
    use = AuthUse()
    challenge = parse_challenge(first) if first.status in (401, 403) else None
    if first.status == 401 or challenge is not None:
        header = next((v for k, v in first.headers.items() if k.lower() == "www-authenticate"),
                      "")
        evidence.challenge = header or None
        evidence.needs_credential = True
        use = challenge or doc_auth
        evidence.auth = challenge
        said = f"WWW-Authenticate: {header}" if header else "no WWW-Authenticate header"
        evidence.notes["auth"] = (f"GET {table.path} without credentials answered "
                                  f"{first.status} ({said})")
        if use.type == "none":
            raise ProbeStopped(f"GET {table.path} answered {first.status} and names no scheme "
                               "the probe knows")
        if not session.credentials.has(use.type):
            raise ProbeStopped(f"GET {table.path} answered {first.status} (needs {use.type} "
                               "credentials) and none are set")
        first = session.get(url, params, use)
        evidence.exchanges.append(first)
        if first.status in (401, 403):
            raise ProbeStopped(f"GET {table.path} answered {first.status} with the {use.type} "
                               "credentials given: check them")
    elif 200 <= first.status < 300:
        evidence.needs_credential = False
        evidence.notes["auth"] = (f"GET {table.path} without credentials answered "
                                  f"{first.status}: the table needs no credential")
    if not 200 <= first.status < 300:
        why = {403: "the server refuses", 404: "the server has no such endpoint",
               405: "the server does not allow GET here"}.get(first.status, "an error")
        raise ProbeStopped(f"GET {table.path} answered {first.status}: {why}")
    evidence.rate_limits.update(rate_limit_headers(first.headers))
    path, records = find_records(first.body, table.records_path, table.name)
    if path is None:
        raise ProbeStopped(f"GET {table.path} returned no list of records")
    evidence.records_path = path
    evidence.records = list(records)
    where = ".".join(path) + "[]" if path else "the body (a JSON array)"
    evidence.notes["records"] = (f"GET {first.url} → {first.status}, {len(records)} records "
                                 f"at {where}")
    _pagination(session, table, declared, url, params, use, first, evidence)
    named = body_keys(first.body)
    evidence.keys = find_keys(evidence.records, table.name, named[:1] or table.primary_keys)
    if evidence.keys:
        evidence.notes["primary_keys"] = (
            f"{evidence.keys[0]} present and unique in {len(evidence.records)} sampled records"
            + (f"; the response names {named} as its key" if named == evidence.keys else ""))
    evidence.tombstone = find_tombstone(evidence.records)
    if evidence.tombstone:
        evidence.notes["deletes"] = f"records carry tombstone field {evidence.tombstone[0]}"
    cursor, kind = find_cursor(evidence.records, evidence.keys)
    evidence.cursor, evidence.cursor_kind = cursor, kind
    if cursor is not None:
        _since(session, table, declared, url, params, use, records, cursor, kind, evidence)
        if not evidence.since and kind == "monotonic":
            evidence.cursor = evidence.cursor_kind = None
    if evidence.rate_limits:
        evidence.notes["rate_limits"] = ", ".join(f"{k}: {v}"
                                                  for k, v in evidence.rate_limits.items())


def _pagination(session: ProbeSession, table: TablePlan, declared: list[str], url: str,
                params: dict[str, Any], use: AuthUse, first: Exchange,
                evidence: TableEvidence) -> None:
    found: dict[str, Any] = {}
    signals: list[str] = []
    total_header, total_path = total_fields(first)
    link = link_next(first)
    url_path, next_url, token_path, token = body_next(first.body)
    headers = next_headers(first.headers)
    if link:
        signals.append(f"Link rel=next {strip_secrets(link, session.secrets())}")
    if next_url:
        signals.append(f"body {'.'.join(url_path)} = next URL")
    if token is not None:
        signals.append(f"body {'.'.join(token_path)} = token {str(token)[:40]!r}")
    signals += [f"header {k}" for k in headers]
    given = {k: str(v) for k, v in params.items()}
    size = next((k for k, v in given.items() if k in (table.pagination.size_param,
                 declared_name(declared, SIZE_NAMES)) and k), None)
    next_query = query_of(link or (next_url if isinstance(next_url, str) else "") or "")
    token_param = None
    if token is not None:
        token_param = next((k for k, v in next_query.items() if v == str(token)), None) or \
            declared_name(declared, TOKEN_PARAM_NAMES)
    if token is not None and token_param:
        found = {"style": "next_token", "token_param": token_param, "token_path": token_path}
    elif link:
        page = next((k for k, v in next_query.items()
                     if v.isdigit() and given.get(k, "") != v and k.lower() in PAGE_NAMES), None)
        found = {"style": "link_header", "page_param": page or table.pagination.page_param}
        if page and page in given:
            found["start_page"] = int(given[page])
        size = size or next((k for k, v in next_query.items()
                             if k.lower() in SIZE_NAMES and v.isdigit()), None)
    elif next_url:
        found = {"style": "next_url", "next_path": url_path}
    elif headers:
        name = next(iter(headers))
        param = declared_name(declared, TOKEN_PARAM_NAMES)
        if param:
            found = {"style": "next_token", "token_header": name, "token_param": param}
    if size:
        found["size_param"] = size
    if total_header:
        found["total_header"] = total_header
        signals.append(f"header {total_header}: {first.headers[total_header]}")
    if total_path:
        found["total_path"] = total_path
        signals.append(f"body {'.'.join(total_path)} = {first.body[total_path[0]]}")
    if not found.get("style"):
        evidence.pagination = {**found, "style": "none", "verified": False}
        count = len(evidence.records)
        evidence.notes["pagination"] = ("no next-page link, header or token in the first "
                                        f"response ({count} records)" + (
                                            f"; {'; '.join(signals)}" if signals else ""))
        return
    second = _second_page(session, url, params, use, first, found, link, next_url, token)
    evidence.exchanges.append(second)
    _, records2 = find_records(second.body, evidence.records_path or [], table.name)
    seen = [repr(sorted(r.items())) for r in evidence.records]
    fresh = [r for r in records2 if repr(sorted(r.items())) not in seen]
    verified = 200 <= second.status < 300 and bool(records2) and len(fresh) == len(records2)
    evidence.records += fresh
    evidence.pagination = {**found, "verified": verified}
    evidence.notes["pagination"] = (
        f"{'; '.join(signals)}; page 2 ({second.url}) → {second.status}, {len(records2)} "
        f"records{', none seen on page 1' if verified else ', NOT new records'}")


def _second_page(session: ProbeSession, url: str, params: dict[str, Any], use: AuthUse,
                 first: Exchange, found: dict[str, Any], link: str | None, next_url: Any,
                 token: Any) -> Exchange:
    style = found["style"]
    if style == "next_token" and found.get("token_header"):
        value = next(v for k, v in first.headers.items() if k == found["token_header"])
        return session.get(url, {**params, found["token_param"]: value}, use)
    if style == "next_token":
        return session.get(url, {**params, found["token_param"]: token}, use)
    target = link if style == "link_header" else str(next_url)
    return session.get(urljoin(first.url, target), None, use)


def _since(session: ProbeSession, table: TablePlan, declared: list[str], url: str,
           params: dict[str, Any], use: AuthUse, page1: list[dict[str, Any]], cursor: str,
           kind: str | None, evidence: TableEvidence) -> None:
    """Ask with the median cursor value of page 1 through each since-style candidate (declared
    parameters first, then ``<cursor>_gte`` / ``<cursor>__gte``) and keep the first that
    returns only records at or after it."""
    values = sorted({str(r.get(cursor)) for r in page1 if r.get(cursor) is not None},
                    key=cursor_order)
    if len(values) < 2:
        evidence.notes["cursor_field"] = (f"{cursor} ({kind}) is in every record, but page 1 has "
                                          "fewer than 2 distinct values: filter not checked")
        return
    median = values[len(values) // 2]  # the upper median: at least one value is below it
    c = cursor.lower()
    names = [f"{c}_gte", f"{c}_gt", f"{c}[gte]", f"{c}[gt]", f"{c}__gte", f"min_{c}",
             f"{c}_after", f"{c}_from", f"{c}.gte", *SINCE_NAMES]
    candidates = [p for n in names for p in declared if p.lower() == n]
    guesses = [g for g in (f"{cursor}_gte", f"{cursor}__gte") if g not in candidates]
    sort_param = declared_name(declared, SORT_NAMES)
    direction = declared_name(declared, DIRECTION_NAMES)
    sort = ({sort_param: cursor} if sort_param else {}) | (
        {direction: "asc"} if sort_param and direction else {})
    base = {k: v for k, v in params.items()
            if k not in (table.pagination.page_param, declared_name(declared, PAGE_NAMES))}
    for name in [*dict.fromkeys(candidates), *guesses][:3]:
        answer = session.get(url, {**base, **sort, name: median}, use)
        evidence.exchanges.append(answer)
        _, got = find_records(answer.body, evidence.records_path or [], table.name)
        keys = [cursor_order(str(r.get(cursor))) for r in got]
        below = [k for k in keys if k < cursor_order(median)]
        if 200 <= answer.status < 300 and got and not below:
            ascending = keys == sorted(keys)
            evidence.since = {"param": name, "value": median, "filters": True,
                              "declared": name in candidates,
                              "sort_params": sort if sort and ascending else {},
                              "sorted": ascending}
            evidence.notes["cursor_field"] = (
                f"{cursor} is {'a time' if kind == 'time' else 'an increasing integer'} in every "
                "sampled record")
            evidence.notes["incremental"] = (
                f"{name}={median} (the median of page 1) returned {len(got)} records, none "
                f"earlier" + (f"; sorted by {sort}: ascending" if sort and ascending else
                              f"; sorted by {sort}: NOT ascending" if sort else ""))
            return
        evidence.notes.setdefault("incremental", "")
        evidence.notes["incremental"] += (
            f"{name}={median} → {answer.status}, {len(got)} records, {len(below)} earlier "
            "(does not filter); ")
    evidence.notes["cursor_field"] = (f"{cursor} ({kind}) is in every sampled record; no "
                                      "since-style parameter filters on it")
