"""Research from an unstructured API doc (Markdown, HTML, text) by the ``source-api-researcher``
agent on Claude.

The agent writes ``NAME_api_doc.md`` through the core's sandboxed tools; the core then parses
its machine-readable block (:func:`~cf_databricks_source.api_doc.parse_api_doc`). A block that
does not validate is sent back to the agent once with the error; a second failure fails the
step. Without an LLM handle the step is an :class:`~connector_factory.errors.InputError` naming
what to do (the plan step already says so before any work is done).
"""

from __future__ import annotations

import json
import time

from connector_factory.agent import ToolPolicy, load_role, run_agent
from connector_factory.errors import InputError, StepFailed
from connector_factory.models import StepContext, StepResult

from cf_databricks_source.api_doc import parse_api_doc
from cf_databricks_source.connector_plan import ConnectorPlan
from cf_databricks_source.doc_input import local_copy
from cf_databricks_source.layout import Layout

ROLE = "source-api-researcher"
#: Longest documentation text put into the task, in characters (the rest is cut, and said so).
MAX_DOC_CHARS = 150_000


def research_task(doc_text: str, where: str, name: str, api_doc_file: str,
                  tables: list[str] | None, base_url: str | None) -> str:
    """The first user message of the researcher: the doc, the file to write, the plan shape."""
    cut = len(doc_text) > MAX_DOC_CHARS
    shape = json.dumps(ConnectorPlan.model_json_schema(by_alias=True), separators=(",", ":"))
    lines = [
        f"Connector name: {name}. Write the research file `{api_doc_file}`.",
        f"Tables to include: {', '.join(tables)}." if tables else
        "Choose up to 10 tables.",
        f"Base URL to use: {base_url}." if base_url else "",
        "Where the `probe_api` tool is offered, check each table against the live API with it "
        "and record its answers as `live:` evidence; the live answer wins over the prose.",
        "The YAML block must validate against this JSON Schema (ConnectorPlan; set "
        f"`source_kind: llm`, `source: {where}`, `name: {name}`):",
        shape,
        f"The API documentation ({where}"
        + (f", first {MAX_DOC_CHARS} characters" if cut else "") + "):",
        "<documentation>",
        doc_text[:MAX_DOC_CHARS],
        "</documentation>",
    ]
    return "\n".join(line for line in lines if line)


def research_with_llm(ctx: StepContext) -> StepResult:
    """Run the researcher on ``ctx.inputs["doc"]`` and return the research step's result.

    Raises:
        InputError: there is no LLM handle.
        StepFailed: the agent stopped (a limit, an API error) or its plan block is invalid twice.
    """
    if ctx.llm is None:
        raise InputError(f"--doc {ctx.inputs['doc']} is not an OpenAPI document; reading it "
                         "needs the LLM", "set ANTHROPIC_API_KEY, or pass an OpenAPI document")
    layout = Layout(name=ctx.name, in_repo=bool(ctx.inputs.get("repo")))
    doc = ctx.inputs["doc"]
    text = local_copy(doc).read_text(encoding="utf-8", errors="replace")
    task = research_task(text, doc, ctx.name, layout.api_doc_file, ctx.inputs.get("tables"),
                         ctx.inputs.get("base_url"))
    role = load_role("cf_databricks_source", ROLE)
    from cf_databricks_source.probe_step import credentials_for, probe_agent_tool

    probe = probe_agent_tool(ctx)
    policy = ToolPolicy(extra_tools=(probe,) if probe else ())
    secrets = credentials_for(ctx).values()
    began = time.monotonic()
    with ctx.reporter.progress(f"{ROLE} reading {doc}"):
        result = run_agent(ctx.llm, ctx.project_dir, step="research", role=role, task=task,
                           policy=policy, secrets=secrets)
    result.raise_if_failed()
    problem = _check(ctx, layout)
    if problem is not None:
        with ctx.reporter.progress(f"{ROLE} fixing the plan block"):
            again = run_agent(ctx.llm, ctx.project_dir, step="research", role=role,
                              task=f"The core could not use `{layout.api_doc_file}`: {problem}. "
                                   "Fix the file.", policy=policy, secrets=secrets)
        again.raise_if_failed()
        result.usage.add(again.usage)
        problem = _check(ctx, layout)
        if problem is not None:
            raise StepFailed(f"the researcher's plan is unusable: {problem}",
                             f"edit {layout.api_doc_file} by hand, then run `cf scaffold`")
    plan = parse_api_doc((ctx.project_dir / layout.api_doc_file).read_text(encoding="utf-8"),
                         where=layout.api_doc_file)
    lines = [f"{len(plan.tables)} tables researched by the LLM in "
             f"{time.monotonic() - began:.1f}s; base URL {plan.base_url or '(none)'}; "
             f"auth {plan.auth.type}"]
    lines += [f"  {t.name}: GET {t.path} · {t.ingestion_type} · keys {t.primary_keys} · "
              f"cursor {t.cursor_field or '-'} · {t.pagination.style}" for t in plan.tables]
    return result.step_result(summary="\n".join(lines), outputs=[layout.api_doc_file],
                              project_dir=ctx.project_dir)


def _check(ctx: StepContext, layout: Layout) -> str | None:
    path = ctx.project_dir / layout.api_doc_file
    if not path.is_file():
        return "the file was not written"
    try:
        parse_api_doc(path.read_text(encoding="utf-8"), where=layout.api_doc_file)
    except InputError as exc:
        return exc.problem
    return None
