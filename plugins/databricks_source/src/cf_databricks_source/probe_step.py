"""The research step's live check: decide whether to probe, probe every table within the limits
with progress shown, apply the evidence, and say in one line when the probe could not run.

Target inputs read here (declared in :func:`~cf_databricks_source.plugin.cf_targets`):
``probe`` (``true``/``false``; unset = on when credentials exist or the plan needs none),
``offline`` (never probe), ``probe_requests`` (requests per table, default
:attr:`ProbeLimits.max_requests`), ``probe_seconds`` (the whole probe's time budget, default
:attr:`ProbeLimits.max_seconds`). Credentials come from the connector's ``dev_config.json`` or
the ``NAME_USERNAME``/``NAME_PASSWORD``/``NAME_TOKEN``/``NAME_API_KEY`` environment variables
and are never written anywhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from connector_factory.errors import InputError
from connector_factory.models import StepContext

from cf_databricks_source import pagination_detect
from cf_databricks_source.connector_plan import ConnectorPlan, TablePlan
from cf_databricks_source.keys import snake
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_loader import OpenAPIDocument
from cf_databricks_source.probe import (
    AuthUse,
    Credentials,
    ProbeLimits,
    ProbeSession,
    ProbeStopped,
    TableEvidence,
    probe_table,
)
from cf_databricks_source.probe_apply import apply_evidence
from cf_databricks_source.ranking import segments

if TYPE_CHECKING:
    from connector_factory.agent import ExtraTool

#: Host names reserved for examples and tests (RFC 2606/6761): a placeholder, never probed
#: unless the probe was asked for.
_RESERVED = re.compile(r"(^|\.)(example(\.com|\.org|\.net)?|invalid|test|localhost\.test)$")


def flag(value: Any) -> bool | None:
    """A target input's boolean: ``True``/``False``, or ``None`` when unset."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def limits_from(inputs: dict[str, Any]) -> ProbeLimits:
    """The probe's limits from the ``probe_requests``/``probe_seconds`` inputs.

    Raises:
        InputError: a limit is not a positive number.
    """
    default = ProbeLimits()
    values: dict[str, Any] = {}
    for name, attr, kind in (("probe_requests", "max_requests", int),
                             ("probe_seconds", "max_seconds", float)):
        raw = inputs.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            value = 0
        if value <= 0:
            raise InputError(f"--{name.replace('_', '-')} {raw!r} is not a positive number",
                             f"pass e.g. --{name.replace('_', '-')} {getattr(default, attr):g}")
        values[attr] = value
    return ProbeLimits(**values)


def credentials_for(ctx: StepContext) -> Credentials:
    """The credentials the probe may use (``dev_config.json``, then environment variables)."""
    config_file = ctx.project_dir / Layout(name=ctx.name,
                                           in_repo=bool(ctx.inputs.get("repo"))).dev_config_file
    config: dict[str, Any] = {}
    if config_file.is_file():
        try:
            loaded = json.loads(config_file.read_text(encoding="utf-8"))
            config = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            config = {}
    return Credentials.from_sources(f"{ctx.name.upper()}_", config)


def should_probe(inputs: dict[str, Any], plan: ConnectorPlan, credentials: Credentials
                 ) -> tuple[bool, str]:
    """``(probe?, why)``: ``offline`` wins, then an explicit ``probe``, else on when
    credentials exist or the plan needs none and the base URL is not a placeholder host."""
    if flag(inputs.get("offline")):
        return False, "offline: research used the document only (--offline false to probe)"
    asked = flag(inputs.get("probe"))
    if asked is not None:
        return asked, "" if asked else "probe off: research used the document only"
    host = (urlsplit(plan.base_url).hostname or "") if plan.base_url else ""
    if not host:
        return False, "probe skipped: no base URL (pass --base-url); research used the document"
    if _RESERVED.search(host):
        return False, (f"probe skipped: {host} is a placeholder host; pass --base-url and "
                       "--probe true to check the live API")
    if credentials.any() or plan.auth.type == "none":
        return True, ""
    return False, (f"probe skipped: the API wants {plan.auth.type} credentials and none are "
                   f"set (set {plan.name.upper()}_* variables, or --probe true to learn the "
                   "scheme anyway)")


def declared_params(document: OpenAPIDocument | None) -> dict[str, list[str]]:
    """Query parameter names the document lists per GET path."""
    if document is None:
        return {}
    return {op.path: list(op.query_params) for op in document.operations()
            if op.method == "GET"}


def path_table_name(path: str) -> str:
    """A table name from an endpoint path: its last literal segment without a file extension
    (``/shop/customers.jsono`` → ``customers``), snake case."""
    parts = [re.sub(r"\.[A-Za-z]+$", "", s) for s in segments(path)] or ["records"]
    name = snake(parts[-1]) or "records"
    return name if name[0].isalpha() else f"t_{name}"


def skeleton_plan(document: OpenAPIDocument, source: str, name: str,
                  tables: list[str] | None) -> ConnectorPlan:
    """A plan from a document whose GET endpoints declare no record fields (only the paths, or
    free-form objects): one ``snapshot`` table per GET path without path parameters, with the
    pagination research reads from its parameters, for the probe to fill in.

    Raises:
        InputError: the document has no such path, or a named table is not one of them.
    """
    used: set[str] = set()
    found: list[TablePlan] = []
    for op in document.operations():
        if op.method != "GET" or "{" in op.path:
            continue
        table = path_table_name(op.path)
        while table in used:
            table += "_2"
        used.add(table)
        response, body, _ = document.response(op)
        pagination = pagination_detect.detect(op, response, body or {}, [])
        found.append(TablePlan(
            name=table, path=op.path, ingestion_type="snapshot",
            operation_id=str(op.op.get("operationId") or "") or None,
            schema_={"type": "object"}, pagination=pagination,
            evidence={"endpoint": f"paths.{op.path}.get",
                      "records": "the document declares no record fields: left to the probe",
                      "pagination": pagination.evidence or "no paging parameters: one request"},
            reason="a GET path of the document"))
    if tables:
        wanted = {t for t in tables}
        found = [t for t in found if t.name in wanted or t.path in wanted]
    if not found:
        raise InputError(f"{source}: no GET path without path parameters to probe",
                         "pass a document with list endpoints")
    base_url, _ = document.base_url()
    return ConnectorPlan(name=name, title=document.title or name, source=source,
                         source_kind="openapi", base_url=base_url, auth=document.security(),
                         tables=found[:10], stats={"candidates": 0})


def fill_placeholders(template: str, values: dict[str, Any]) -> tuple[str, str | None]:
    """``template`` with its ``{name}`` placeholders filled from ``values``, and the first
    placeholder without a value (``None`` when all were filled)."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values and values[name] is not None:
            return str(values[name])
        missing.append(name)
        return match.group(0)

    return re.sub(r"\{([^{}]+)\}", fill, template), (missing[0] if missing else None)


@dataclass
class ProbeReport:
    """What the probe did: per-table evidence, conflicts, and one-line messages."""

    ran: bool = False
    evidence: list[TableEvidence] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        """Lines for the step summary."""
        if not self.ran:
            return self.messages
        requests = sum(e.requests for e in self.evidence)
        lines = [f"probe: {len(self.evidence)} tables checked against the live API with "
                 f"{requests} GETs; {len(self.conflicts)} document decisions corrected"]
        lines += [f"  corrected {c}" for c in self.conflicts]
        return lines + self.messages


def probe_plan(plan: ConnectorPlan, declared: dict[str, list[str]], limits: ProbeLimits,
               credentials: Credentials, progress: Any = None) -> tuple[ConnectorPlan,
                                                                     ProbeReport]:
    """Probe every table of ``plan`` and apply the evidence. Never raises for the network:
    a probe that cannot run leaves the plan as it was with a one-line message."""
    report = ProbeReport()
    defaults = {o.name: o.default for o in plan.connection_options if o.default}
    base_url, missing = fill_placeholders(plan.base_url, defaults)
    if missing:
        report.messages.append(f"probe not run: the base URL needs {{{missing}}} (no default); "
                               "pass --base-url; research used the document only")
        return plan, report
    try:
        session = ProbeSession(base_url, limits, credentials)
    except ProbeStopped as exc:
        report.messages.append(f"probe not run: {exc}; research used the document only")
        return plan, report
    doc_auth = AuthUse(type=plan.auth.type, header=plan.auth.header, scheme=plan.auth.scheme,
                       location=plan.auth.location, key_name=plan.auth.key_name)
    for table in plan.tables:
        if progress is not None:
            progress.update(f"probing GET {table.path}")
        values = defaults | {p.name: p.default for p in table.params if p.default}
        path, missing = fill_placeholders(table.path, values)
        if missing:
            report.messages.append(f"probe of {table.name} skipped: path parameter {{{missing}}} "
                                   "has no value yet; research used the document")
            continue
        evidence = probe_table(session, table.model_copy(update={"path": path}),
                               declared.get(table.path, []), doc_auth)
        if progress is not None:
            progress.advance()
        if evidence.stopped and evidence.records_path is None:
            report.messages.append(f"probe of {table.name} not possible: {evidence.stopped}; "
                                   "research used the document")
            if "cannot reach" in evidence.stopped or "time budget" in evidence.stopped:
                break
            if evidence.auth is not None or evidence.needs_credential is False:
                report.evidence.append(evidence)
            continue
        if evidence.stopped:
            report.messages.append(f"probe of {table.name} cut short: {evidence.stopped}; "
                                   "the rest is from the document")
        report.evidence.append(evidence)
    if report.evidence:
        report.ran = True
        plan, report.conflicts = apply_evidence(plan, report.evidence)
    return plan, report


def research_live(ctx: StepContext, doc: Path, plan: ConnectorPlan | None,
                  failure: InputError | None) -> tuple[ConnectorPlan, list[str]]:
    """The research step after reading the document: ``plan`` (or, when the document alone gave
    none and the probe may run, a :func:`skeleton_plan`) checked against the live API.
    Returns the plan and the summary lines.

    Raises:
        InputError: ``failure`` when the document gave no plan and no probe can fill one in.
    """
    document = OpenAPIDocument(doc)
    if plan is None:
        assert failure is not None
        if flag(ctx.inputs.get("offline")) or flag(ctx.inputs.get("probe")) is False:
            raise failure
        plan = skeleton_plan(document, doc.name, ctx.name, ctx.inputs.get("tables"))
    if ctx.inputs.get("base_url"):
        plan = plan.model_copy(update={"base_url": ctx.inputs["base_url"]})
    credentials = credentials_for(ctx)
    wanted, why = should_probe(ctx.inputs, plan, credentials)
    if not wanted:
        if failure is not None:
            raise failure
        return plan, [why] if why else []
    limits = limits_from(ctx.inputs)
    with ctx.reporter.progress("probing the live API", total=len(plan.tables)) as progress:
        probed, report = probe_plan(plan, declared_params(document), limits, credentials,
                                    progress)
    if failure is not None and not report.ran:
        raise failure
    return probed, report.summary()


#: Tables the researcher agent may probe in one research step.
AGENT_MAX_TABLES = 10


def probe_agent_tool(ctx: StepContext) -> ExtraTool | None:
    """The ``probe_api`` tool for the researcher agent: the same bounded probe of one list
    endpoint, returning the live evidence as JSON. ``None`` when probing is off (``offline`` or
    ``probe false``). The first call fixes the origin (``--base-url`` when given); every call
    shares the time budget; at most :data:`AGENT_MAX_TABLES` endpoints are probed."""
    if flag(ctx.inputs.get("offline")) or flag(ctx.inputs.get("probe")) is False:
        return None
    from connector_factory.agent import ExtraTool  # the agent's machinery: only with an LLM

    limits = limits_from(ctx.inputs)
    credentials = credentials_for(ctx)
    sessions: list[ProbeSession] = []
    probed: list[str] = []

    def run(args: dict[str, Any]) -> str:
        path = args.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("argument 'path' (an endpoint path starting with /) is required")
        base_url = str(ctx.inputs.get("base_url") or args.get("base_url") or "")
        if not sessions:
            try:
                sessions.append(ProbeSession(base_url, limits, credentials))
            except ProbeStopped as exc:
                raise ValueError(f"probe not run: {exc}") from None
        session = sessions[0]
        if base_url and base_url.rstrip("/") != session.base_url:
            raise ValueError(f"the probe stays on {session.base_url}; pass that base_url")
        if len(probed) >= AGENT_MAX_TABLES:
            raise ValueError(f"the probe's limit of {AGENT_MAX_TABLES} endpoints is reached")
        probed.append(path)
        query = args.get("query") if isinstance(args.get("query"), dict) else {}
        table = TablePlan(name=path_table_name(path), path=path, ingestion_type="snapshot",
                          query={str(k): str(v) for k, v in (query or {}).items()})
        params = [str(p) for p in args.get("query_params") or [] if isinstance(p, str)]
        evidence = probe_table(session, table, params, AuthUse())
        return json.dumps(evidence_summary(evidence), indent=1, default=str)

    return ExtraTool(
        name="probe_api",
        description=(
            "Check one list endpoint against the live API with a few read-only GETs (small "
            "pages, at most "
            f"{limits.max_requests} requests, the base URL's origin only): which auth scheme a "
            "401 asks for, where the records are, their fields and types, the primary key, "
            "the pagination (verified on page 2), a time cursor and whether a since-style "
            "parameter filters on it, rate-limit headers. Prefer its answers to the prose."),
        input_schema={"type": "object", "properties": {
            "path": {"type": "string", "description": "endpoint path, e.g. /widgets"},
            "base_url": {"type": "string", "description": "the API base URL (first call)"},
            "query_params": {"type": "array", "items": {"type": "string"},
                             "description": "query parameters the docs list for it"},
            "query": {"type": "object", "description": "fixed query parameters to send"}},
            "required": ["path"]},
        run=run)


def evidence_summary(evidence: TableEvidence) -> dict[str, Any]:
    """The evidence of one probe as plain data for the agent (no credentials, two samples)."""
    from cf_databricks_source.probe_apply import sample_schema

    return {
        "requests": evidence.requests, "stopped": evidence.stopped,
        "needs_credential": evidence.needs_credential,
        "auth": vars(evidence.auth) if evidence.auth else None,
        "records_path": evidence.records_path,
        "fields": (sample_schema(evidence.records).get("properties") or {}),
        "primary_keys": evidence.keys, "cursor_field": evidence.cursor,
        "incremental": evidence.since or None, "pagination": evidence.pagination or None,
        "tombstone": evidence.tombstone, "rate_limits": evidence.rate_limits,
        "evidence": evidence.notes, "samples": evidence.records[:2],
    }
