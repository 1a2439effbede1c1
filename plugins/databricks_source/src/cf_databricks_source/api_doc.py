"""``NAME_api_doc.md``: the research result as a person reads it, with the machine-readable plan.

The Markdown part (base URL, auth, rate limits, one section per table with its evidence, the
candidates not chosen) is for review. The fenced YAML block under :data:`PLAN_HEADING` is the
:class:`~cf_databricks_source.connector_plan.ConnectorPlan` that scaffold reads back, so an edit to
it changes what is generated.
"""

from __future__ import annotations

import re

import yaml
from connector_factory.errors import InputError, first_invalid_field
from pydantic import ValidationError

from cf_databricks_source import doc_parse
from cf_databricks_source.connector_plan import ConnectorPlan, TablePlan

#: libyaml's emitter where PyYAML was built with it (7× the pure-Python one on GitHub's plan);
#: the block it writes reads back to the same plan either way.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

PLAN_HEADING = "## Connector plan (machine-readable)"
_BLOCK = re.compile(r"```ya?ml\n(.*?)\n```", re.DOTALL)
#: The last api doc text this process rendered or parsed -> its plan (kept unchanged: callers
#: get copies). A step reads the api doc up to three times (the plan, the credentials form, the
#: secrets scan), research reads back the one it wrote: each text is parsed once.
_KNOWN: dict[str, ConnectorPlan] = {}


def render_api_doc(plan: ConnectorPlan) -> str:
    """The Markdown text of the api doc for ``plan``."""
    how = ("read deterministically from the OpenAPI document" if plan.source_kind == "openapi"
           else "researched by the LLM from the API documentation")
    lines = [
        f"# {plan.title or plan.name} API — research for the `{plan.name}` connector",
        "",
        f"Source: `{plan.source}` ({how}).",
        "",
        "## Connection",
        "",
        f"- Base URL: `{plan.base_url}`" if plan.base_url else
        "- Base URL: not named by the source; pass `--base-url` or set option `base_url`",
        f"- Authentication: **{plan.auth.type}**{_auth_detail(plan)}"
        + (f" — evidence: {plan.auth.evidence}" if plan.auth.evidence else ""),
    ]
    if plan.auth.alternatives:
        lines.append(f"- Other schemes offered: {', '.join(plan.auth.alternatives)}")
    lines += [f"- Rate limits: {plan.rate_limits or 'not stated'}"]
    lines += _connection_options(plan)
    lines.append("")
    if plan.stats:
        lines += [
            f"The document has {plan.stats.get('operations', '?')} operations, "
            f"{plan.stats.get('get_operations', '?')} of them GETs; "
            f"{plan.stats.get('candidates', '?')} list records and can be tables; "
            f"{len(plan.tables)} were chosen.", ""]
    lines += ["## Tables", "",
              "| table | endpoint | ingestion | primary key | cursor | pagination |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| `{t.name}` | `{t.method} {t.path}` | {t.ingestion_type} | "
              f"{', '.join(t.primary_keys) or '—'} | {t.cursor_field or '—'} | "
              f"{t.pagination.style} |" for t in plan.tables]
    lines.append("")
    lines += live_section(plan)
    for table in plan.tables:
        lines += _table_section(table)
    lines += _rejections(plan)
    data = plan.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    lines += [
        PLAN_HEADING, "",
        "Scaffold reads this block; edit it to change a table's keys, cursor, pagination or "
        "schema, then run `cf scaffold`.", "",
        "```yaml",
        yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True,
                  width=100).rstrip(),
        "```", "",
    ]
    text = "\n".join(lines)
    _remember(text, plan.model_copy(deep=True))  # the block reads back to this plan
    return text


def _remember(text: str, plan: ConnectorPlan) -> None:
    _KNOWN.clear()
    _KNOWN[text] = plan


def _connection_options(plan: ConnectorPlan) -> list[str]:
    """One line per connection option (server variables, path parameters shared by every
    table), with its default and evidence."""
    return [f"- Connection option `{o.name}`"
            + (f" (default `{o.default}`)" if o.default is not None else
               " (required)" if o.required else "")
            + (f": {o.description}" if o.description else "")
            + (f" — evidence: {o.evidence}" if o.evidence else "")
            for o in plan.connection_options]


def _rejections(plan: ConnectorPlan) -> list[str]:
    """Every endpoint not used, with its reason: candidates not chosen first, then the GET
    operations that cannot be tables."""
    if not plan.skipped:
        return []
    lines = ["## Endpoints not used", "",
             "Every GET operation of the document that is not a table here, and why. Name one "
             "with `--tables` (table name or endpoint path) to include it.", ""]
    candidates = [(k, v) for k, v in plan.skipped.items() if v.startswith("table ")]
    others = [(k, v) for k, v in plan.skipped.items() if not v.startswith("table ")]
    lines += [f"- `{endpoint}` — {why}" for endpoint, why in candidates + others]
    lines.append("")
    return lines


def _param_lines(table: TablePlan) -> list[str]:
    """How each parameter of the table gets its value, with the evidence."""
    lines = []
    for p in table.params:
        option = p.option or p.name
        if p.source == "table_option":
            how = (f"table option `{option}`" + (" (required)" if p.required else " (optional)")
                   + (f", default `{p.default}`" if p.default is not None else ""))
        elif p.source == "connection_option":
            how = f"connection option `{option}`" + (
                f", default `{p.default}`" if p.default is not None else "")
        else:
            how = (f"each record of parent `{table.parent}`: field `{p.parent_field}`, "
                   f"carried as column `{p.column}`")
        lines.append(f"  - {p.in_} `{p.name}`: {how}" + (f" — {p.evidence}" if p.evidence else ""))
    if lines:
        lines.insert(0, "- Parameters:")
    if table.query:
        lines.append("- Fixed query: " + ", ".join(f"`{k}={v}`" for k, v in table.query.items()))
    if table.headers:
        lines.append("- Fixed headers: " + ", ".join(f"`{k}: {v}`"
                                                     for k, v in table.headers.items()))
    return lines


def _auth_detail(plan: ConnectorPlan) -> str:
    auth = plan.auth
    if auth.type in ("oauth2_client_credentials", "oauth2_refresh_token"):
        return (f" (token URL `{auth.token_url}`"
                + (f", scopes {', '.join(auth.scopes)}" if auth.scopes else "") + ")")
    if auth.type == "bearer":
        return f" (header `{auth.header}: {auth.scheme} <token>`, option `token`)"
    if auth.type == "basic":
        return " (options `username`, `password`)"
    if auth.type == "api_key":
        return f" ({auth.location} `{auth.key_name}`, option `api_key`)"
    return ""


def _table_section(table: TablePlan) -> list[str]:
    lines = [f"### `{table.name}`", ""]
    if table.description:
        lines += [table.description, ""]
    records = ".".join(table.records_path) if table.records_path else "the response body"
    lines += [
        f"- Endpoint: `{table.method} {table.path}`"
        + (f" (operation `{table.operation_id}`)" if table.operation_id else ""),
        f"- Records: the list at {records}; "
        f"{len(table.schema_.get('properties') or {})} top-level fields",
        f"- Ingestion: {table.ingestion_type}; primary key "
        f"{', '.join(table.primary_keys) or '—'}; cursor {table.cursor_field or '—'}",
        f"- Pagination: {table.pagination.style}",
    ]
    if table.incremental and table.incremental.since_param:
        lines.append(f"- Incremental filter: `{table.incremental.since_param}` "
                     f"({table.incremental.since_format})"
                     + (f", sort {table.incremental.sort_params}"
                        if table.incremental.sort_params else ""))
    if table.parent:
        lines.append(f"- Parent table: `{table.parent}` (one request per parent record)")
    lines += _param_lines(table)
    if table.deletes is not None:
        d = table.deletes
        lines.append("- Deletes: " + "; ".join(x for x in (
            f"`GET {d.path}`" if d.path else "",
            f"tombstone field `{d.tombstone_field}`" if d.tombstone_field else "",
            ", ".join(f"`{k}={v}`" for k, v in d.query.items())) if x))
    elif table.deletes_path:
        lines.append(f"- Deletes: `GET {table.deletes_path}`")
    if table.reason:
        lines.append(f"- Chosen because: {table.reason}")
    lines += evidence_lines(table.evidence)
    lines.append("")
    return lines


def evidence_lines(evidence: dict[str, str]) -> list[str]:
    """The ``- Evidence:`` list: each document decision followed by the live probe's
    ``live:`` evidence for it and, where the live answer corrected the document, the
    ``conflict:`` line; live findings the document had no entry for come last."""
    if not evidence:
        return []
    lines = ["- Evidence:"]
    plain = [k for k in evidence if not k.startswith(("live:", "conflict:"))]
    live = [k.split(":", 1)[1] for k in evidence if k.startswith(("live:", "conflict:"))]
    for key in [*plain, *(k for k in dict.fromkeys(live) if k not in plain)]:
        if key in evidence:
            lines.append(f"  - {key}: {evidence[key]}")
        if f"live:{key}" in evidence:
            lines.append(f"  - {key} (live): {evidence[f'live:{key}']}")
        if f"conflict:{key}" in evidence:
            lines.append(f"  - {key} (**corrected by the live API**): "
                         f"{evidence[f'conflict:{key}']}")
    return lines


def live_section(plan: ConnectorPlan) -> list[str]:
    """``## Checked against the live API``: every document decision the probe corrected (the
    live answer is the one in the plan), or nothing when the plan was not probed."""
    corrected = [(t.name, k.split(":", 1)[1], v) for t in plan.tables
                 for k, v in t.evidence.items() if k.startswith("conflict:")]
    auth_conflict = "conflict:" in plan.auth.evidence or "(conflict" in plan.auth.evidence
    probed = [t.name for t in plan.tables
              if any(k.startswith("live:") for k in t.evidence)]
    if not probed and not auth_conflict:
        return []
    lines = ["## Checked against the live API", "",
             f"{len(probed)} tables were probed with read-only GETs; where the server "
             "contradicted the document, the live answer is in the plan below.", ""]
    if auth_conflict:
        lines.append(f"- auth: {plan.auth.evidence}")
    lines += [f"- `{table}` {decision}: {text}" for table, decision, text in corrected]
    if not corrected and not auth_conflict:
        lines.append("- the live API confirmed every decision of the document")
    return [*lines, ""]


def parse_api_doc(text: str, where: str = "the api doc") -> ConnectorPlan:
    """The plan in the api doc's machine-readable block.

    Raises:
        InputError: the heading or the YAML block is missing, the YAML does not parse, or the plan
            is invalid (the message names the first invalid field).
    """
    known = _KNOWN.get(text)
    if known is None:
        known = _parse(text, where)
        _remember(text, known)
    return known.model_copy(deep=True)


def _parse(text: str, where: str) -> ConnectorPlan:
    _, heading, rest = text.partition(PLAN_HEADING)
    match = _BLOCK.search(rest) if heading else None
    if match is None:
        raise InputError(f"{where} has no YAML block under '{PLAN_HEADING}'",
                         "restore the block or re-run `cf research`")
    try:
        data = doc_parse.load_cf_yaml(match.group(1))  # PyYAML wrote it: its semantics, C loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1} of the block)" if mark is not None else ""
        raise InputError(f"the plan block in {where} is not valid YAML{line}",
                         "fix the YAML or re-run `cf research`") from None
    try:
        return ConnectorPlan.model_validate(data)
    except ValidationError as exc:
        field, message = first_invalid_field(exc)
        raise InputError(f"the plan in {where} is invalid: {field}: {message}",
                         "correct that field or re-run `cf research`") from None
