"""The field and parameter names real APIs use, shared by research (from the description) and the
probe (from live responses). Names are lower-case as APIs spell them; :func:`norm` compares them
without case and punctuation (``page[size]`` = ``pageSize`` = ``page_size``).

Sources: the names come from the APIs modelled in ``tests/data/research/`` and GitHub's, Stripe's,
Slack's, Microsoft Graph's, JSON:API's and json-server's documented conventions.
"""

from __future__ import annotations

import re
from functools import lru_cache

PK_NAMES = ("id", "uuid", "guid", "key", "sha", "slug", "number", "code")
UPDATED_NAMES = ("updated_at", "updatedat", "updated", "modified_at", "modifiedat", "modified",
                 "last_modified", "lastmodified", "last_modified_at", "lastmodifiedat",
                 "date_modified", "date_updated", "updated_time", "update_time", "updatetime",
                 "last_updated", "lastupdated", "changed_at")
CREATED_NAMES = ("created_at", "createdat", "created", "created_time", "create_time",
                 "date_created", "timestamp", "time", "occurred_at", "event_time")
#: Lower bounds on the last change, whatever the field is called.
SINCE_NAMES = ("since", "updated_since", "updatedsince", "modified_since", "modifiedsince",
               "updated_after", "updatedafter", "modified_after", "since_updated",
               "last_modified_since", "changed_since", "updated_at_gte", "updated_at[gte]",
               "updated_at_from", "min_updated_at", "start_time", "from_date", "changed_after",
               "since_modified", "updated_from", "min_updated", "start_date",
               "if_modified_since", "since_time", "sync_from")
SORT_NAMES = ("sort", "_sort", "sort_by", "sortby", "order_by", "orderby", "sort_field",
              "$orderby")
DIRECTION_NAMES = ("direction", "_order", "order", "sort_order", "sortorder", "sort_direction",
                   "sortdirection", "dir")
SIZE_NAMES = ("per_page", "perpage", "page_size", "pagesize", "limit", "_limit", "size",
              "count", "max_results", "maxresults", "page[size]", "$top", "top", "results",
              "max", "max_items", "maxitems", "max_page_size", "maxpagesize", "take", "first")
PAGE_NAMES = ("page", "_page", "page_number", "pagenumber", "page[number]", "p", "page_no")
OFFSET_NAMES = ("offset", "skip", "$skip", "_start", "start", "start_index", "startindex",
                "page[offset]", "from")
TOKEN_PARAM_NAMES = ("cursor", "page_token", "pagetoken", "next_token", "nexttoken",
                     "starting_after", "after", "continuation", "continuation_token",
                     "continuationtoken", "marker", "page[cursor]", "pagination_token",
                     "next_page_token", "nextpagetoken", "page[after]", "next_cursor",
                     "continue", "$skiptoken", "skiptoken", "skip_token", "next", "page_key",
                     "scroll_id", "offset_token", "starting_token")
#: Parameters that take the last record's key (Stripe's ``starting_after``), not a token.
RECORD_CURSOR_PARAMS = ("starting_after", "after_id", "since_id")
TOKEN_BODY_NAMES = ("next_cursor", "nextcursor", "next_page_token", "nextpagetoken",
                    "next_token", "nexttoken", "cursor", "continuation", "continuation_token",
                    "continuationtoken", "next_marker", "nextmarker", "marker", "after",
                    "end_cursor", "endcursor", "pagination_token", "nexttokenvalue", "continue",
                    "skiptoken", "next_page_cursor", "scroll_id", "next_key")
NEXT_URL_NAMES = ("next", "next_url", "nexturl", "next_link", "nextlink", "@odata.nextlink",
                  "next_page_url", "nextpageurl", "next_page", "nextpage")
HAS_MORE_NAMES = ("has_more", "hasmore", "has_next", "hasnext", "has_next_page", "more",
                  "more_results", "is_truncated")
WRAPPER_NAMES = ("meta", "pagination", "paging", "response_metadata", "links", "_links",
                 "page_info", "pageinfo", "metadata", "cursor")
RECORD_ARRAY_NAMES = ("data", "items", "results", "records", "values", "entries", "list",
                      "content", "elements", "rows", "objects", "resources", "value", "nodes",
                      "edges", "hits")
VERSION_SEGMENT = re.compile(r"^(v\d+(\.\d+)*[a-z0-9]*|api|apis|rest)$", re.IGNORECASE)


@lru_cache(maxsize=8192)
def norm(name: str) -> str:
    """``page[size]``/``pageSize``/``page_size`` → ``pagesize``; ``@odata.nextLink`` →
    ``odatanextlink`` (remembered: research asks for the same names tens of thousands of
    times)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def pick(names: tuple[str, ...], present: dict[str, str]) -> str | None:
    """The first of ``names`` among ``present`` (keyed by :func:`norm`), as spelled there."""
    for name in names:
        if norm(name) in present:
            return present[norm(name)]
    return None


def table_name(path: str) -> str:
    """A table name from an endpoint path: its literal segments (no ``{params}``, no version
    prefix) in snake case joined by ``_``; ``/v1/customerOrders`` → ``customer_orders``."""
    segments = [s for s in path.strip("/").split("/")
                if s and not s.startswith("{") and not VERSION_SEGMENT.match(s)]
    raw = "_".join(segments) or "records"
    name = re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z])([A-Z])", r"\1_\2", raw).lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"t_{name}".rstrip("_")
    return name
