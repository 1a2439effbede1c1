"""Record mode: sampled live responses become the simulator corpus, so the offline suite checks
the real API's shapes rather than the document's examples.

For each table the first page (and the next one, when the table pages) is fetched with the
probe's bounded, read-only session (:class:`~cf_databricks_source.probe.ProbeSession`: GETs on
the base URL's origin, requests per table and a time budget). Each response keeps at most
:data:`SAMPLE_SIZE` records (as the Lakeflow repository's own recorder does,
``source_simulator/recorder.py`` at commit f9c88869); credential values, secret-named fields and
headers, and session cookies are stripped. :mod:`.simulator_spec` turns the responses into
``endpoints.yaml`` + ``corpus/``; ``recorded.yaml`` beside them says, per table, which URL each
sample came from, when, and how many records it gave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml
from connector_factory.models import StepContext, StepResult

from cf_databricks_source.connector_plan import ConnectorPlan, TablePlan
from cf_databricks_source.probe import (
    SECRET_NAME,
    AuthUse,
    Credentials,
    Exchange,
    ProbeLimits,
    ProbeSession,
    ProbeStopped,
)
from cf_databricks_source.probe_findings import link_next

#: Records kept per recorded response.
SAMPLE_SIZE = 5
#: Response headers kept in a recording (lower case); everything else (cookies …) is dropped.
KEPT_HEADERS = ("content-type", "link", "x-total-count")
#: The provenance file, beside ``endpoints.yaml``.
PROVENANCE = "recorded.yaml"


@dataclass
class Recording:
    """What record mode got: per table the responses (``simulator_spec.Response`` dicts), where
    each came from, and one-line messages for tables that could not be recorded."""

    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    provenance: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _auth(plan: ConnectorPlan) -> AuthUse:
    return AuthUse(type=plan.auth.type, header=plan.auth.header, scheme=plan.auth.scheme,
                   location=plan.auth.location, key_name=plan.auth.key_name)


def scrub(value: Any, secrets: list[str], depth: int = 0) -> Any:
    """``value`` with every credential value and every value under a secret-named key (token,
    password, api key …) replaced by ``"***"`` (strings only, so types are kept)."""
    if depth > 20:
        return value
    if isinstance(value, dict):
        return {k: ("***" if isinstance(v, str) and SECRET_NAME.search(str(k))
                    and not str(k).lower().endswith(("keys", "_key_fields")) else
                    scrub(v, secrets, depth + 1)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets, depth + 1) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret and secret in value:
                value = value.replace(secret, "***")
    return value


def _sampled(body: Any, table: TablePlan, size: int) -> tuple[Any, int]:
    """``body`` with the list at ``records_path`` cut to ``size`` records, and their count."""
    if not table.records_path:
        records = body if isinstance(body, list) else []
        return records[:size], len(records[:size])
    if not isinstance(body, dict):
        return body, 0
    head, rest = table.records_path[0], table.records_path[1:]
    inner, count = _sampled(body.get(head), table.model_copy(update={"records_path": rest}),
                            size)
    return {**body, head: inner}, count


def _response(plan: ConnectorPlan, table: TablePlan, exchange: Exchange, query: dict[str, Any],
              secrets: list[str], size: int) -> tuple[dict[str, Any], int]:
    body, count = _sampled(exchange.body, table, size)
    headers = {k: scrub(v, secrets) for k, v in exchange.headers.items()
               if k.lower() in KEPT_HEADERS}
    base = urlsplit(plan.base_url).path.rstrip("/")
    return {"path": base + table.path, "query": {k: str(v) for k, v in query.items()},
            "status": exchange.status, "headers": headers,
            "body": scrub(body, secrets)}, count


def _first_query(table: TablePlan, size: int) -> dict[str, Any]:
    query: dict[str, Any] = dict(table.query)
    pagination = table.pagination
    if pagination.size_param:
        query[pagination.size_param] = size
    if pagination.page_param and pagination.style in ("page", "link_header"):
        query[pagination.page_param] = pagination.start_page
    if pagination.offset_param and pagination.style == "offset":
        query[pagination.offset_param] = 0
    return query


def record(plan: ConnectorPlan, credentials: Credentials, limits: ProbeLimits | None = None,
           size: int = SAMPLE_SIZE) -> Recording:
    """Fetch and sample the first two pages of every table of ``plan`` (see the module doc).
    Never raises for the network: a table that cannot be recorded gets a one-line message
    (and keeps its synthesised corpus)."""
    recording = Recording()
    try:
        session = ProbeSession(plan.base_url, limits or ProbeLimits(max_requests=6),
                               credentials)
    except ProbeStopped as exc:
        recording.messages.append(f"record mode not run: {exc}")
        return recording
    auth = _auth(plan)
    if auth.type != "none" and not credentials.has(auth.type):
        recording.messages.append(f"record mode not run: the API wants {auth.type} "
                                  "credentials and none are set")
        return recording
    secrets = credentials.values()
    for table in plan.tables:
        session.start_table()
        url = session.base_url + table.path
        query = _first_query(table, size)
        try:
            exchanges = [(session.get(url, query, auth), query)]
            nxt = _next_query(table, exchanges[0][0], query)
            if nxt is not None:
                exchanges.append((session.get(url, nxt, auth), nxt))
        except ProbeStopped as exc:
            recording.messages.append(f"record of {table.name} not possible: {exc}; its corpus "
                                      "stays synthesised")
            if "cannot reach" in str(exc) or "time budget" in str(exc):
                break
            continue
        good = [(e, q) for e, q in exchanges if 200 <= e.status < 300]
        if not good:
            recording.messages.append(
                f"record of {table.name} not possible: GET {table.path} answered "
                f"{exchanges[0][0].status}; its corpus stays synthesised")
            continue
        responses, sources = [], []
        for exchange, sent in good:
            response, count = _response(plan, table, exchange, sent, secrets, size)
            responses.append(response)
            sources.append({"url": exchange.url, "status": exchange.status, "at": exchange.at,
                            "records": count})
        recording.responses[table.name] = responses
        recording.provenance[table.name] = sources
    return recording


def _next_query(table: TablePlan, first: Exchange, query: dict[str, Any]
                ) -> dict[str, Any] | None:
    """The second page's query for the table's pagination, or ``None`` when there is none."""
    pagination = table.pagination
    style = pagination.style
    if style == "next_token":
        token: Any = first.headers.get(pagination.token_header or "") if \
            pagination.token_header else _dig(first.body, pagination.token_path)
        return {**query, str(pagination.token_param): token} if token else None
    if style == "link_header" and link_next(first) and pagination.page_param:
        return {**query, pagination.page_param: pagination.start_page + 1}
    if style == "page" and pagination.page_param:
        return {**query, pagination.page_param: pagination.start_page + 1}
    if style == "offset" and pagination.offset_param:
        return {**query, pagination.offset_param: query.get(pagination.size_param or "", 0)}
    return None


def _dig(body: Any, path: list[str]) -> Any:
    node = body
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def provenance_text(plan: ConnectorPlan, recording: Recording) -> str:
    """``recorded.yaml``: per table, each sample's URL (secrets masked), status, UTC time and
    record count."""
    header = (f"# Live responses recorded by `cf` record mode for the {plan.name} connector;\n"
              f"# at most {SAMPLE_SIZE} records per response, credentials stripped.\n")
    return header + yaml.safe_dump({"base_url": plan.base_url, "tables": recording.provenance},
                                   sort_keys=False, width=100)


def recorded_before(ctx: StepContext, plan: Callable[[StepContext], ConnectorPlan],
                    gate: Callable[[], StepResult]) -> StepResult:
    """The test gate's result, record mode first when the ``record`` input is set: the
    recording's summary lines lead the gate's summary and its files join the outputs."""
    from cf_databricks_source.probe_step import flag

    if not flag(ctx.inputs.get("record")):
        return gate()
    lines, written = record_corpus(ctx, plan(ctx))
    result = gate()
    return result.model_copy(update={"summary": "\n".join([*lines, result.summary]),
                                     "outputs": [*written, *result.outputs]})


def record_corpus(ctx: StepContext, plan: ConnectorPlan) -> tuple[list[str], list[str]]:
    """Record mode for the test gate (target input ``record``): record the live API, write the
    simulator spec from the recordings (tables not recorded keep synthesised records) and
    ``recorded.yaml``. Returns the summary lines and the files written."""
    from cf_databricks_source.probe_step import credentials_for, limits_from
    from cf_databricks_source.simulator_spec import simulator_files, spec_dir

    limits = limits_from(ctx.inputs)
    with ctx.reporter.progress("recording the live API", total=len(plan.tables)):
        recording = record(plan, credentials_for(ctx), ProbeLimits(
            max_requests=min(limits.max_requests, 6), max_seconds=limits.max_seconds))
    if not recording.responses:
        return recording.messages or ["record mode: nothing recorded"], []
    writer = ctx.writer()
    for path, text in simulator_files(plan, recording.responses).items():
        writer.write(path, text)
    writer.write(f"{spec_dir(plan.name)}/{PROVENANCE}", provenance_text(plan, recording))
    outputs = writer.finish()
    count = sum(s["records"] for sources in recording.provenance.values() for s in sources)
    lines = [f"record mode: {count} live records from "
             f"{sum(len(s) for s in recording.provenance.values())} responses of "
             f"{len(recording.responses)} tables are the simulator corpus "
             f"({spec_dir(plan.name)}/{PROVENANCE} says where each came from)"]
    return lines + recording.messages, outputs
