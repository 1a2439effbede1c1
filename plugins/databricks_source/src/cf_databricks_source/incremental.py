"""Incremental reads: the query parameter that filters by a time or a growing value, the record
field it filters on (nested fields too: ``commit.committer.date``), the sort that returns records
in cursor order, and the ingestion type that follows.

Parameter names recognised (case-insensitive, ``[``/``]``/``.`` read as ``_``): ``since``,
``updated_since``, ``modified_since``, ``changed_since``, ``since_<field>``, ``<field>_after``,
``<field>_gte``/``_gt``/``_from``/``_since``, ``min_<field>``, ``start_time``/``from_date``; the
OData ``$filter`` (``lastModifiedDateTime ge …``, read client-side). A parameter counts only when
its schema or description is a time (``format: date-time``, "timestamp", "ISO 8601"), or when the
description says it is an ID/sequence the results follow ("an ID greater than this ID", GitHub's
``/repositories?since``): a monotonic, non-time cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cf_databricks_source.api_names import DIRECTION_NAMES, SINCE_NAMES, SORT_NAMES, norm, pick
from cf_databricks_source.connector_plan import Incremental, IngestionType
from cf_databricks_source.keys import snake
from cf_databricks_source.openapi_loader import Operation

_SINCE = {norm(n) for n in SINCE_NAMES}
#: Stems of the field a bound names, prefix or suffix.
_PREFIXES = ("since_", "min_", "from_", "start_")
_SUFFIXES = ("_gte", "_gt", "_after", "_from", "_since", "_min", "_start")
#: Words in a field's name (or its parent's) that mark the time of its last change.
CHANGE_WORDS = ("updat", "modif", "chang", "edited", "last_activity", "synced")
#: Words marking the time a record entered a history that is never rewritten (a commit).
ENTERED_WORDS = ("committ", "pushed", "merged")
CREATED_WORDS = ("creat", "insert", "added", "occurred", "published", "posted", "sent",
                 "received", "timestamp", "logged", "recorded", "event_time")
GENERIC_TIMES = ("date", "time", "timestamp", "at", "datetime", "when")
TIME_NAME = re.compile(r"(_at|At|_on|On|date|Date|time|Time|timestamp|Timestamp)$")
ODATA_FILTER = "$filter"


@dataclass
class IncrementalPlan:
    """What :func:`detect` found: ``incremental`` is ``None`` for a snapshot."""

    ingestion: IngestionType = "snapshot"
    cursor_field: str | None = None
    incremental: Incremental | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    #: Query parameters consumed (so they are not offered as table options).
    used: set[str] = field(default_factory=set)
    note: str = ""


def time_fields(fields: dict[str, dict[str, Any]]) -> list[str]:
    """Fields holding a time: ``format: date-time``/``date`` or a time-like name."""
    out = []
    for name, schema in fields.items():
        last = name.rsplit(".", 1)[-1]
        if schema.get("type") not in ("string", "integer", "number", None):
            continue
        if schema.get("format") in ("date-time", "date") or TIME_NAME.search(last) or snake(
                last) in ("updated", "modified", "created", "timestamp", "date", "time"):
            out.append(name)
    return out


def change_rank(name: str) -> int:
    """4 for a last-change time (``updated_at``), 3 for the time a record entered an immutable
    history (``commit.committer.date``), 2 for another time, 1 for a creation or authoring time;
    the highest is the cursor a bare ``since`` filters. Only rank 4 makes a table ``cdc``. The
    field's own name decides; a generic one (``date``, ``time``) is read with its parent's
    (``committer.date``)."""
    parts = [snake(p) for p in name.split(".")]
    own = parts[-1]
    if own in GENERIC_TIMES and len(parts) > 1:
        own = f"{parts[-2]}_{own}"
    if any(w in own for w in CHANGE_WORDS):
        return 4
    if any(w in own for w in ENTERED_WORDS):
        return 3
    if any(w in own for w in CREATED_WORDS) or "author" in own:
        return 1
    return 2


def detect(op: Operation, fields: dict[str, dict[str, Any]], keys: list[str]) -> IncrementalPlan:
    """The incremental plan for ``op`` whose records have scalar ``fields`` and key ``keys``."""
    params = op.query_params
    times = time_fields(fields)
    ranged = _range_filter(op, times)
    if ranged is not None:
        name, cursor, fmt = ranged
        sort = sort_params(op, cursor)
        return _plan(cursor, keys, Incremental(since_param=name, since_format=fmt,
                                               sort_params=sort),
                     f"query parameter {name.split('[')[0]} is a range filter on {cursor} "
                     f"(deepObject): sent as {name}", {name.split("[")[0], *sort})
    for name, param in params.items():
        target = _bound_target(name, times)
        if target is None:
            continue
        kind = _filter_kind(op, param)
        if kind == "monotonic":
            growing = _monotonic_field(param, fields, keys)
            if growing is None:
                continue
            return IncrementalPlan(
                ingestion="append", cursor_field=growing,
                incremental=Incremental(since_param=name, since_format="raw",
                                        cursor_kind="monotonic"),
                evidence={"cursor_field": f"{growing}: {_one(param)}",
                          "incremental": f"query parameter {name} returns records whose {growing} "
                                         "is greater than the value (a growing id, not a time)"},
                used={name})
        if kind != "time":
            continue
        found = target or _best_change_field(times, param)
        if found is None:
            continue
        cursor = found
        schema = op.param_schema(param)
        fmt = ("epoch_seconds" if schema.get("type") in ("integer", "number")
               else "iso8601" if schema.get("format") in ("date-time", "date") or
               re.search(r"iso ?8601|yyyy", _one(param), re.IGNORECASE) else "raw")
        sort = sort_params(op, cursor)
        return _plan(cursor, keys, Incremental(since_param=name, since_format=fmt,
                                               sort_params=sort),
                     f"query parameter {name} ({fmt}) filters {cursor}"
                     + (f", sorted by {sort}" if sort else ""), {name, *sort})
    if ODATA_FILTER in params and times:
        cursor = max(times, key=change_rank)
        if change_rank(cursor) == 4 and keys:
            sort = sort_params(op, cursor)
            return _plan(cursor, keys, Incremental(since_param=None, sort_params=sort),
                         f"OData {ODATA_FILTER} can filter {cursor}; the connector reads the "
                         "collection and keeps records changed after the cursor", set(sort))
    changed = [t for t in times if change_rank(t) == 4 and "." not in t]
    if keys and changed:
        sort = sort_params(op, changed[0])
        if sort:
            return _plan(changed[0], keys, Incremental(since_param=None, sort_params=sort),
                         f"no filter parameter, but the list sorts by {changed[0]} ({sort}): the "
                         "connector reads it and keeps records changed after the cursor",
                         set(sort))
    return IncrementalPlan(note=(
        f"no query parameter filters by {changed[0]}" if changed
        else "no query parameter filters by a time field"))


def _plan(cursor: str, keys: list[str], incremental: Incremental, how: str,
          used: set[str]) -> IncrementalPlan:
    changed = change_rank(cursor) == 4 and bool(keys)
    # a creation time only grows: new records are appended, none changes
    ingestion: IngestionType = "cdc" if changed else "append"
    return IncrementalPlan(
        ingestion=ingestion, cursor_field=cursor, incremental=incremental,
        evidence={"cursor_field": f"{cursor} ({'last change' if changed else 'creation'} time)",
                  "incremental": how,
                  "ingestion": ("records change: upserted by key" if ingestion == "cdc" else
                                "records are only added: the cursor is the time each entered")},
        used=used)


def _range_filter(op: Operation, times: list[str]) -> tuple[str, str, str] | None:
    """A parameter named like a time field whose schema is a range object (Stripe's
    ``created`` with ``gt``/``gte``, ``style: deepObject``): ``(created[gte], created, format)``."""
    by_name = {t.lower(): t for t in times if "." not in t}
    for name, param in op.query_params.items():
        field_name = by_name.get(name.lower())
        if field_name is None:
            continue
        schema = op.param_schema(param)
        variants = [schema, *(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
        for variant in variants:
            bounds = (variant.get("properties") or {}) if isinstance(variant, dict) else {}
            bound = next((b for b in ("gte", "gt") if b in bounds), None)
            if bound is None:
                continue
            kind = (bounds[bound] or {}).get("type") if isinstance(bounds[bound], dict) else None
            fmt = "epoch_seconds" if kind in ("integer", "number") else "iso8601"
            return f"{name}[{bound}]", field_name, fmt
    return None


def _bound_target(name: str, times: list[str]) -> str | None:
    """``""`` for a bound on the last change (``since``), a field for ``<field>_gte`` etc.,
    ``None`` when ``name`` is no lower bound."""
    key = snake(name.lstrip("$"))
    if norm(name) in _SINCE:
        return ""
    stem = None
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            stem = key[len(prefix):]
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            stem = key[: -len(suffix)]
    if stem is None:
        return None
    by_snake = {snake(t.replace(".", "__")): t for t in times}
    for candidate in (stem, f"{stem}_at", f"{stem}_time", f"{stem}_date", f"date_{stem}"):
        if candidate in by_snake:
            return by_snake[candidate]
    if stem in ("updated", "modified", "changed", "last_modified"):
        return ""
    return None


def _filter_kind(op: Operation, param: dict[str, Any]) -> str:
    """``time``, ``monotonic`` (the document says it is an id the results follow) or ``""``."""
    schema = op.param_schema(param)
    text = _one(param).lower()
    if schema.get("format") in ("date-time", "date"):
        return "time"
    if re.search(r"\b(ids?|sequence|serial)\b", text) and not re.search(r"time|date", text):
        if re.search(r"greater than|after|larger than|higher than|since", text):
            return "monotonic"
        return ""
    if schema.get("type") in ("string", None) or re.search(r"time|date|epoch|unix", text):
        return "time"
    return ""


def _monotonic_field(param: dict[str, Any], fields: dict[str, dict[str, Any]],
                     keys: list[str]) -> str | None:
    if len(keys) == 1 and fields.get(keys[0], {}).get("type") in ("integer", "number"):
        return keys[0]
    return None


def _best_change_field(times: list[str], param: dict[str, Any]) -> str | None:
    """The time field a bare ``since`` filters: one named in its description, else the best
    last-change field, else a creation time."""
    text = _one(param).lower()
    for name in times:
        if f"`{name.lower()}`" in text or ("_" in name and name.lower() in text.split()):
            return name
    if not times:
        return None
    return max(times, key=lambda t: (change_rank(t), -t.count(".")))


def sort_params(op: Operation, cursor: str) -> dict[str, str]:
    """Fixed query parameters that sort ascending by ``cursor`` (``sort=updated&direction=asc``),
    or ``{}`` when the API cannot."""
    params = {norm(k): k for k in op.query_params}
    sort_name = pick(SORT_NAMES, params)
    if sort_name is None:
        return {}
    schema = op.param_schema(op.query_params[sort_name])
    enum = [str(v) for v in schema.get("enum") or []]
    last = cursor.rsplit(".", 1)[-1].lower()
    stem = re.sub(r"_?(at|time|date)$", "", last)
    value: str | None
    if enum:
        value = next((v for v in enum if v.lower() == last), None) or next(
            (v for v in enum if stem and stem in v.lower()), None)
    else:
        value = cursor if "." not in cursor else None
    if value is None:
        return {}
    sort = {sort_name: value}
    direction = pick(DIRECTION_NAMES, params)
    if direction is None:
        return sort
    options = [str(v) for v in op.param_schema(op.query_params[direction]).get("enum") or []]
    asc = next((v for v in options if v.lower() in ("asc", "ascending")), None)
    if options and asc is None:
        return {}
    sort[direction] = asc or "asc"
    return sort


def _one(param: dict[str, Any]) -> str:
    schema = param.get("schema") if isinstance(param.get("schema"), dict) else {}
    text = f"{param.get('description') or ''} {(schema or {}).get('description') or ''}"
    return " ".join(text.split())[:300]
