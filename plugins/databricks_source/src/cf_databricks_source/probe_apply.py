"""Merge the probe's live evidence into a connector plan: the live answer wins, conflicts listed.

Each decision the probe confirms or corrects gets a ``live:<decision>`` entry in the table's
``evidence`` next to the document's; each correction also gets ``conflict:<decision>`` saying
what the document implied and what the server did. Plan-level findings (the auth scheme, rate
limit headers) go into ``auth.evidence`` and ``rate_limits`` the same way. The record schema is
the document's merged with one inferred from the samples (GenSON): fields the document leaves
free-form get the sampled types, fields the samples never carry are marked ``x-cf-unseen``.
"""

from __future__ import annotations

from typing import Any

from genson import SchemaBuilder

from cf_databricks_source.connector_plan import (
    Auth,
    ConnectorPlan,
    Deletes,
    Incremental,
    IngestionType,
    Pagination,
    TablePlan,
)
from cf_databricks_source.incremental import change_rank
from cf_databricks_source.probe import TableEvidence
from cf_databricks_source.probe_findings import is_time

#: Marker on a schema property the sampled records never carried.
UNSEEN = "x-cf-unseen"


def sample_schema(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON Schema of ``records`` (GenSON), ``format: date-time`` on string fields whose
    every sampled value is an ISO 8601 time; ``{}`` without records."""
    if not records:
        return {}
    builder = SchemaBuilder()
    for record in records:
        builder.add_object(record)
    schema = builder.to_schema()
    schema.pop("$schema", None)
    _formats(schema, records)
    cleaned: dict[str, Any] = _clean(schema)
    return cleaned


def _clean(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def _formats(schema: dict[str, Any], records: list[Any]) -> None:
    for name, sub in (schema.get("properties") or {}).items():
        values = [r.get(name) for r in records if isinstance(r, dict) and r.get(name) is not None]
        if not values:
            continue
        if sub.get("type") == "string" and all(is_time(v) for v in values):
            sub["format"] = "date-time"
        elif sub.get("type") == "object":
            _formats(sub, values)


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    kinds.discard("null")
    if kinds == {"integer", "number"}:
        return {"number"}
    return kinds


def _free_form(schema: dict[str, Any]) -> bool:
    kinds = _types(schema)
    return (not kinds or schema.get("x-cf-json") is True
            or (kinds == {"object"} and not schema.get("properties")))


def merge_schema(document: dict[str, Any], live: dict[str, Any]) -> tuple[
        dict[str, Any], list[str], list[str], list[str]]:
    """``(schema, typed, unseen, conflicts)``: the document's record schema with the sampled
    one merged in. ``typed`` are fields the document left free-form or did not name (now typed
    from the samples), ``unseen`` fields no sample carried (kept, marked), ``conflicts``
    ``"field: document T, live U"`` where the sampled type differs (the live type is kept)."""
    if not live.get("properties"):
        return document, [], [], []
    doc_props = dict(document.get("properties") or {}) if not _free_form(document) or \
        document.get("properties") else {}
    live_props = live["properties"]
    merged: dict[str, Any] = {}
    typed: list[str] = []
    unseen: list[str] = []
    conflicts: list[str] = []
    for name in [*doc_props, *(k for k in live_props if k not in doc_props)]:
        doc, got = doc_props.get(name), live_props.get(name)
        if got is None:
            merged[name] = {**doc, UNSEEN: True} if isinstance(doc, dict) else {UNSEEN: True}
            unseen.append(name)
        elif doc is None or _free_form(doc):
            merged[name] = got
            typed.append(name)
        elif _types(got) and _types(doc) != _types(got) and not (
                _types(got) == {"integer"} and _types(doc) == {"number"}):
            merged[name] = got
            conflicts.append(f"{name}: document {'/'.join(sorted(_types(doc)))}, "
                             f"live {'/'.join(sorted(_types(got)))}")
        else:
            merged[name] = doc
    return {"type": "object", "properties": merged}, typed, unseen, conflicts


def _auth_of(evidence: list[TableEvidence]) -> tuple[Auth | None, str]:
    challenged = [e for e in evidence if e.auth is not None]
    if challenged:
        use = challenged[0].auth
        assert use is not None
        auth = Auth(type=use.type, scheme=use.scheme, header=use.header,
                    location=use.location, key_name=use.key_name)
        return auth, (f"live: {challenged[0].notes.get('auth', '')}; "
                      f"{len(challenged)} of {len(evidence)} probed tables need it")
    open_ = [e for e in evidence if e.needs_credential is False]
    if open_ and len(open_) == len(evidence):
        return Auth(type="none"), (f"live: all {len(evidence)} probed tables answered without "
                                   "credentials")
    return None, ""


def apply_evidence(plan: ConnectorPlan, evidence: list[TableEvidence]) -> tuple[
        ConnectorPlan, list[str]]:
    """The plan with the live evidence applied, and the conflicts (``"table: decision: the
    document … ; live …"``), live answer kept. Tables without evidence are unchanged."""
    by_name = {e.table: e for e in evidence}
    conflicts: list[str] = []
    tables = [_apply_table(t, by_name[t.name], conflicts) if t.name in by_name else t
              for t in plan.tables]
    update: dict[str, Any] = {"tables": tables}
    live_auth, why = _auth_of([by_name[t.name] for t in plan.tables if t.name in by_name])
    if live_auth is not None:
        same = live_auth.type == plan.auth.type
        if same:
            auth = plan.auth.model_copy(update={"evidence": "; ".join(
                x for x in (plan.auth.evidence, why) if x)})
        else:
            conflicts.append(f"auth: the document says {plan.auth.type}; live {live_auth.type}")
            auth = live_auth.model_copy(update={
                "evidence": f"{why} (conflict: the document says {plan.auth.type}"
                            + (f" — {plan.auth.evidence}" if plan.auth.evidence else "") + ")",
                "alternatives": plan.auth.alternatives})
        update["auth"] = auth
    limits = {k: v for e in evidence for k, v in e.rate_limits.items()}
    if limits:
        live = "live: response headers " + ", ".join(f"{k}: {v}" for k, v in limits.items())
        update["rate_limits"] = "; ".join(x for x in (plan.rate_limits, live) if x)
    return plan.model_copy(update=update), conflicts


def _apply_table(table: TablePlan, ev: TableEvidence, conflicts: list[str]) -> TablePlan:
    evidence = dict(table.evidence)
    for key, note in ev.notes.items():
        if note:
            evidence[f"live:{key}"] = note.rstrip("; ")
    if ev.stopped:
        evidence["live:probe"] = f"stopped: {ev.stopped}; the rest is from the document"

    def conflict(decision: str, document: Any, live: Any) -> None:
        text = f"the document implies {document}; live {live} (live kept)"
        evidence[f"conflict:{decision}"] = text
        conflicts.append(f"{table.name}: {decision}: {text}")

    data: dict[str, Any] = {}
    if ev.records_path is not None:
        if ev.records_path != table.records_path:
            conflict("records", ".".join(table.records_path) or "the body",
                     ".".join(ev.records_path) or "the body")
        data["records_path"] = ev.records_path
    if ev.records:
        schema, typed, unseen, clashes = merge_schema(table.schema_, sample_schema(ev.records))
        data["schema_"] = schema
        notes = []
        if typed:
            notes.append(f"typed from {len(ev.records)} samples: {', '.join(typed)}")
        if unseen:
            notes.append(f"never in the samples (marked {UNSEEN}): {', '.join(unseen)}")
        if notes:
            evidence["live:schema"] = "; ".join(notes)
        before = len(table.schema_.get("properties") or {})
        if typed and (before == 0 or len(typed) > before):
            conflict("schema", f"{before} typed fields",
                     f"{len(schema['properties'])} fields, {len(typed)} typed from the samples")
        for clash in clashes:
            conflict(f"schema.{clash.split(':')[0]}", clash.split(": ", 1)[1].split(",")[0],
                     clash.split(", ", 1)[1])
    keys = ev.keys or table.primary_keys
    if ev.keys and ev.keys != table.primary_keys:
        conflict("primary_keys", table.primary_keys or "no key", ev.keys)
    data["primary_keys"] = keys
    pagination = _pagination(table, ev, conflict)
    if pagination is not None:
        data["pagination"] = pagination
    cursor, incremental, ingestion = table.cursor_field, table.incremental, table.ingestion_type
    since = ev.since
    if since.get("filters") and ev.cursor:
        cursor = ev.cursor
        incremental = Incremental(since_param=since["param"],
                                  since_format="iso8601" if ev.cursor_kind == "time" else "raw",
                                  sort_params=since.get("sort_params") or {},
                                  cursor_kind="time" if ev.cursor_kind == "time" else "monotonic")
        updated = change_rank(cursor) == 4  # a last-change time: records are updated
        ingestion = "cdc" if keys and updated else "append"
    elif ev.cursor is not None and table.incremental and table.incremental.since_param and \
            f"{table.incremental.since_param}=" in ev.notes.get("incremental", ""):
        cursor, incremental = None, None
        ingestion = "snapshot"
    if cursor != table.cursor_field:
        conflict("cursor_field", table.cursor_field or "no cursor", cursor or "no cursor")
    if incremental and (not table.incremental or
                        incremental.since_param != table.incremental.since_param):
        conflict("incremental", table.incremental.since_param if table.incremental else
                 "no since-style filter", f"{incremental.since_param} filters on {cursor}")
    elif table.incremental and not incremental:
        conflict("incremental", table.incremental.since_param, "it does not filter")
    if ingestion == "append" and not cursor:
        ingestion = "snapshot"
    deletes = table.deletes
    if ev.tombstone and ingestion == "cdc":
        ingestion = "cdc_with_deletes"
        deletes = Deletes(tombstone_field=ev.tombstone[0], tombstone_values=ev.tombstone[1],
                          evidence=f"live: {ev.notes.get('deletes', '')}")
    if ingestion != table.ingestion_type:
        conflict("ingestion", table.ingestion_type, ingestion)
    final: IngestionType = ingestion
    data.update(cursor_field=cursor, incremental=incremental, ingestion_type=final,
                deletes=deletes, evidence=evidence)
    return TablePlan.model_validate({**table.model_dump(by_alias=True),
                                     **{("schema" if k == "schema_" else k): v
                                        for k, v in data.items()}})


def _pagination(table: TablePlan, ev: TableEvidence, conflict: Any) -> Pagination | None:
    found = dict(ev.pagination)
    if not found or not found.pop("verified", False):
        return None
    style = found.pop("style")
    doc = table.pagination
    keep = {"page_size": doc.page_size}
    if style == "link_header" and not found.get("page_param"):
        found.pop("page_param", None)
    live = Pagination(style=style, **keep, **{k: v for k, v in found.items() if v},
                      evidence=f"live: {ev.notes.get('pagination', '')}")
    if style != doc.style:
        conflict("pagination", doc.style, style)
    return live
