"""Simulate mode: answer a connector's HTTP requests from ``endpoints.yaml`` and sample records.

``simulate(test_dir)`` intercepts ``requests`` (with the ``responses`` library) for the duration
of a ``with`` block. Every endpoint listed in ``<test_dir>/simulate/endpoints.yaml`` is served
from its corpus file (a JSON list of records), honouring the endpoint's pagination style, its
``since`` filter and ascending sort; a request to anything else fails, so nothing reaches the
network. Requests must carry the simulated credentials, so auth headers are exercised too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import responses
import yaml

#: Credentials the simulated API accepts.
SIMULATED_SECRET = "simulated-secret"


def _key(value: Any) -> Any:
    if isinstance(value, (int, float)) or value is None:
        return value
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _dig(record: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        record = record.get(key) if isinstance(record, dict) else None
    return record


def _wrap(records: list[Any], path: list[str], extra: dict[str, Any]) -> Any:
    if not path:
        return records
    body: dict[str, Any] = {}
    node = body
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = records
    for dotted, value in extra.items():
        parts = dotted.split(".")
        target = body
        for key in parts[:-1]:
            target = target.setdefault(key, {})
        target[parts[-1]] = value
    return body


class _Endpoint:
    def __init__(self, spec: dict[str, Any], folder: Path, auth: dict[str, Any]) -> None:
        self.spec = spec
        self.records = json.loads((folder / spec["corpus"]).read_text())
        self.auth = auth

    def authorised(self, request: Any) -> bool:
        kind = self.auth.get("type", "none")
        if kind == "bearer":
            expected = f"{self.auth.get('scheme', 'Bearer')} {SIMULATED_SECRET}".strip()
            return request.headers.get(self.auth.get("header", "Authorization")) == expected
        if kind == "api_key":
            if self.auth.get("location") == "query":
                query = parse_qs(urlsplit(request.url).query)
                return query.get(self.auth["key_name"], [None])[0] == SIMULATED_SECRET
            return request.headers.get(self.auth["key_name"]) == SIMULATED_SECRET
        if kind == "basic":
            return str(request.headers.get("Authorization", "")).startswith("Basic ")
        return True

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        if not self.authorised(request):
            body = json.dumps({"message": "Bad credentials"})
            return 401, {"Content-Type": "application/json"}, body
        spec = self.spec
        query = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
        records = list(self.records)
        cursor = spec.get("cursor_field")
        since = spec.get("since_param")
        if cursor and since and since in query:
            low = _key(query[since])
            records = [r for r in records if _key(_dig(r, cursor)) >= low]
        sort = spec.get("sort_params") or {}
        if cursor and sort and all(query.get(k) == v for k, v in sort.items()):
            records.sort(key=lambda r: (_key(_dig(r, cursor)), json.dumps(r, sort_keys=True)))
        page, headers, extra = self._paginate(records, query, request.url)
        body = _wrap(page, spec.get("records_path") or [], extra)
        headers["Content-Type"] = "application/json"
        return 200, headers, json.dumps(body)

    def _paginate(self, records: list[Any], query: dict[str, str], url: str
                  ) -> tuple[list[Any], dict[str, str], dict[str, Any]]:
        p = self.spec.get("pagination") or {"style": "none"}
        style = p.get("style", "none")
        size = int(query.get(p.get("size_param") or "", p.get("page_size", 100)))
        if style == "none":
            return records, {}, {}
        if style in ("page", "link_header"):
            page_param = p.get("page_param") or "page"
            start = int(p.get("start_page", 1))
            number = int(query.get(page_param, start))
            chunk = records[(number - start) * size:(number - start + 1) * size]
            more = (number - start + 1) * size < len(records)
            if style == "page" or not more:
                return chunk, {}, {}
            nxt = url.split("?")[0] + "?" + urlencode(dict(query, **{page_param: number + 1}))
            return chunk, {"Link": f'<{nxt}>; rel="next"'}, {}
        offset_name = p.get("offset_param") or p.get("token_param") or "offset"
        if style == "offset":
            start = int(query.get(offset_name, 0))
            return records[start:start + size], {}, {}
        if style == "next_url":
            start = int(query.get("cursor_offset", 0))
        else:
            start = int(query.get(p.get("token_param") or "", 0) or 0)
        chunk = records[start:start + size]
        more = start + size < len(records)
        if style == "next_token":
            token = str(start + size) if more else None
            if p.get("token_header"):
                return chunk, ({p["token_header"]: token} if token else {}), {}
            return chunk, {}, {".".join(p.get("token_path") or ["next"]): token}
        if style == "next_url":
            nxt = None
            if more:
                nxt = url.split("?")[0] + "?" + urlencode(dict(query, cursor_offset=start + size))
            return chunk, {}, {".".join(p.get("next_path") or ["next"]): nxt}
        return records, {}, {}


@contextmanager
def simulate(test_dir: Path) -> Iterator[dict[str, str]]:
    """Serve the connector's endpoints from its corpus; yields the options to build it with."""
    folder = test_dir / "simulate"
    spec = yaml.safe_load((folder / "endpoints.yaml").read_text())
    auth = spec.get("auth") or {"type": "none"}
    base = spec["base_url"].rstrip("/")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for endpoint in spec["endpoints"]:
            handler = _Endpoint(endpoint, folder, auth)
            for path in [endpoint["path"]] + ([endpoint["deletes_path"]]
                                              if endpoint.get("deletes_path") else []):
                pattern = re.compile(re.escape(base + path) + r"(\?.*)?$")
                mock.add_callback(responses.GET, pattern, callback=handler)
        options = {"base_url": base}
        for name in spec.get("secret_options", []):
            options[name] = SIMULATED_SECRET
        yield options
