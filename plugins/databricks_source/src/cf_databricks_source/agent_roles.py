"""The optional agent passes of scaffold and document, when an LLM handle is present.

- ``connector-dev`` reviews the rendered module's configuration against the research file when
  that research came from unstructured docs (an OpenAPI plan needs no second guess).
- ``connector-doc-writer`` adds notes from the research file to the README; the generated
  sections must survive (checked line by line; if not, the generated README is restored and the
  step fails).

The gates after them (validate, the test gate) are what decides; the agents' word is not taken.
"""

from __future__ import annotations

from connector_factory.agent import Limits, ToolPolicy, load_role, run_agent
from connector_factory.errors import StepFailed
from connector_factory.models import StepContext, StepResult

from cf_databricks_source.connector_plan import ConnectorPlan
from cf_databricks_source.fix_loop import protected_tests
from cf_databricks_source.layout import Layout


def review_module(ctx: StepContext, plan: ConnectorPlan, layout: Layout,
                  result: StepResult) -> StepResult:
    """Run ``connector-dev`` after scaffold for an LLM-researched plan; ``result`` otherwise."""
    if ctx.llm is None or plan.source_kind != "llm":
        return result
    agent = run_agent(
        ctx.llm, ctx.project_dir, step="scaffold-dev",
        role=load_role("cf_databricks_source", "connector-dev"),
        task=(f"Connector `{plan.name}`. Module: `{layout.module_file}`. Research file: "
              f"`{layout.api_doc_file}`. Auth test: `{layout.auth_test_file}`."),
        policy=ToolPolicy(protected_tests=protected_tests(layout, ctx.project_dir)),
        limits=Limits(max_turns=20))
    agent.raise_if_failed()
    edits = ", ".join(agent.written) or "nothing"
    return result.model_copy(update={
        "summary": f"{result.summary}\nconnector-dev edited {edits}",
        "usage": agent.usage.as_dict(),
        "details": {**result.details, "agent": agent.details(ctx.project_dir)}})


def write_notes(ctx: StepContext, layout: Layout, result: StepResult) -> StepResult:
    """Run ``connector-doc-writer`` on the generated README.

    Raises:
        StepFailed: the agent stopped, or it removed generated lines (the README is restored).
    """
    if ctx.llm is None:
        return result.model_copy(update={"summary": f"{result.summary}\nnotes from the API "
                                                    "documentation need Claude: skipped"})
    path = ctx.project_dir / layout.readme_file
    generated = path.read_text(encoding="utf-8")
    agent = run_agent(
        ctx.llm, ctx.project_dir, step="document-writer",
        role=load_role("cf_databricks_source", "connector-doc-writer"),
        task=f"README: `{layout.readme_file}`. Research file: `{layout.api_doc_file}`.",
        policy=ToolPolicy(commands=()), limits=Limits(max_turns=12))
    now = path.read_text(encoding="utf-8")
    lost = [line for line in generated.splitlines() if line.strip() and line not in now]
    if lost:
        path.write_text(generated, encoding="utf-8")
        raise StepFailed(f"the doc writer removed {len(lost)} generated README line(s), e.g. "
                         f"{lost[0]!r}; the generated README was restored",
                         "run `cf document` again")
    agent.raise_if_failed()
    return result.model_copy(update={
        "summary": f"{result.summary}\nconnector-doc-writer added notes to {layout.readme_file}",
        "usage": agent.usage.as_dict(),
        "details": {**result.details, "agent": agent.details(ctx.project_dir)}})
