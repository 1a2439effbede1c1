"""Hook impls of the ``databricks-source`` target.

Each step is small here and delegates to a module with one job: research to
:mod:`.openapi_research`, scaffold to :mod:`.scaffold`, checks to :mod:`.checks`, documentation
to :mod:`.docs` and packaging to :mod:`.packaging`. Without an LLM handle every step runs for an
OpenAPI input; an unstructured doc needs the model and says so in one line.
"""

from __future__ import annotations

import time

from connector_factory import hookimpl
from connector_factory.errors import InputError
from connector_factory.models import (
    ConnectionForm,
    ConnectionParameter,
    StepContext,
    StepResult,
    Target,
)

from cf_databricks_source.checkout import Checkout
from cf_databricks_source.connector_plan import ConnectorPlan
from cf_databricks_source.layout import Layout
from cf_databricks_source.targets import TARGET


def _mine(ctx: StepContext) -> bool:
    return ctx.target == TARGET


def _layout(ctx: StepContext) -> Layout:
    return Layout(name=ctx.name, in_repo=bool(ctx.inputs.get("repo")))


def _check_checkout(ctx: StepContext) -> str:
    """With ``--repo``, stop before writing anything unless the checkout has every part this
    plugin generates for (see :mod:`.checkout`); returns a line saying what was found."""
    found = _checkout(ctx)
    if found is None:
        return ""
    from cf_databricks_source.checkout import OPTIONAL_ATTRIBUTES

    extra = [a for a in OPTIONAL_ATTRIBUTES if found.honours(a)]
    return (f"checkout {found.root}: suite with simulator_source and replay_config"
            f"{' (and ' + ', '.join(extra) + ')' if extra else ''}, simulator specs, templates, "
            "interface and load_config found")


def _checkout(ctx: StepContext) -> Checkout | None:
    """The ``--repo`` checkout, checked (``None`` standalone). Raises ``InputError`` naming what
    it lacks, or when it already has a connector of this name that cf did not write."""
    if not ctx.inputs.get("repo"):
        return None
    from pathlib import Path

    from cf_databricks_source.checkout import inspect_checkout

    found = inspect_checkout(Path(ctx.inputs["repo"]))
    for folder in _layout(ctx).own_dirs:
        mine = any(rel.startswith(folder + "/") for rel in ctx.state.generated)
        if (found.root / folder).exists() and not mine:
            raise InputError(f"--repo {found.root} already has {folder}/: the checkout has a "
                             f"connector named {ctx.name!r}",
                             f"choose another name (e.g. {ctx.name}_cf), or work on that "
                             "connector without cf")
    return found


def _committed(ctx: StepContext, result: StepResult) -> StepResult:
    """``result`` after committing what the step produced, with ``--commit`` and when no check
    failed (see :mod:`.step_commits`)."""
    if not ctx.inputs.get("commit") or any(c.status == "failed" for c in result.checks):
        return result
    from cf_databricks_source.step_commits import commit_step

    line = commit_step(ctx.project_dir, _layout(ctx), ctx.step.value, ctx.state.generated)
    if line is None:
        return result
    return result.model_copy(update={"summary": f"{result.summary}\n{line}"})


def _plan(ctx: StepContext) -> ConnectorPlan:
    """The plan from the api doc on disk (a person may have edited it since research)."""
    from cf_databricks_source.api_doc import parse_api_doc

    path = ctx.project_dir / _layout(ctx).api_doc_file
    if not path.is_file():
        raise InputError(f"{path} is missing", "run `cf research` first")
    plan = parse_api_doc(path.read_text(encoding="utf-8"), where=path.name)
    if ctx.inputs.get("base_url"):
        plan = plan.model_copy(update={"base_url": ctx.inputs["base_url"]})
    return plan


@hookimpl
def cf_targets() -> list[Target]:
    """The ``databricks-source`` target (described in :mod:`.targets`)."""
    from cf_databricks_source.targets import TARGETS

    return [Target.model_validate(target) for target in TARGETS]


@hookimpl
def cf_plan(ctx: StepContext) -> StepResult | None:
    """Check the inputs: the doc exists and is readable; say which path research will take."""
    if not _mine(ctx):
        return None
    from cf_databricks_source.doc_input import classify_doc

    kind, where = classify_doc(ctx.inputs["doc"])
    if kind != "openapi" and ctx.llm is None:
        raise InputError(
            f"--doc {where} is not an OpenAPI/Swagger document; reading an unstructured API doc "
            "needs the LLM",
            "set ANTHROPIC_API_KEY, or pass an OpenAPI document",
        )
    how = "deterministically from the OpenAPI document" if kind == "openapi" else "with the LLM"
    tables = ctx.inputs.get("tables")
    summary = (f"research will read {where} {how}; tables: "
               f"{', '.join(tables) if tables else 'up to 10 chosen by research'}")
    found = _check_checkout(ctx)
    if found:
        summary += f"\n{found}"
    return StepResult(summary=summary, details={"doc_kind": kind})


@hookimpl
def cf_research(ctx: StepContext) -> StepResult | None:
    """Read the API description and write ``NAME_api_doc.md`` (with the machine-readable plan)."""
    if not _mine(ctx):
        return None
    from cf_databricks_source.api_doc import render_api_doc
    from cf_databricks_source.doc_input import classify_doc, local_copy
    from cf_databricks_source.openapi_research import research

    kind, _ = classify_doc(ctx.inputs["doc"])
    if kind != "openapi":
        from cf_databricks_source.llm_research import research_with_llm

        return research_with_llm(ctx)
    from cf_databricks_source.probe_step import research_live

    began = time.monotonic()
    doc = local_copy(ctx.inputs["doc"])
    found: ConnectorPlan | None = None
    failure: InputError | None = None
    with ctx.reporter.progress("reading the OpenAPI document"):
        try:
            found = research(doc, ctx.name, tables=ctx.inputs.get("tables"))
        except InputError as exc:
            failure = exc
    plan, probe_lines = research_live(ctx, doc, found, failure)
    writer = ctx.writer()
    writer.write(_layout(ctx).api_doc_file, render_api_doc(plan))
    elapsed = time.monotonic() - began
    lines = [f"{len(plan.tables)} tables from {plan.stats.get('candidates', '?')} candidates "
             f"({plan.stats.get('operations', '?')} operations) in {elapsed:.1f}s; "
             f"base URL {plan.base_url or '(none: pass --base-url)'}; auth {plan.auth.type}"]
    lines += [f"  {t.name}: GET {t.path} · {t.ingestion_type} · keys {t.primary_keys} · "
              f"cursor {t.cursor_field or '-'} · {t.pagination.style}" for t in plan.tables]
    lines += probe_lines
    return _committed(ctx, StepResult(
        summary="\n".join(lines), outputs=writer.finish(),
        details={"tables": [t.name for t in plan.tables], "stats": plan.stats,
                 "research_s": round(elapsed, 3)}))


@hookimpl
def cf_scaffold(ctx: StepContext) -> StepResult | None:
    """Write connector_spec.yaml, the implementation, tests, simulate corpus and configs."""
    if not _mine(ctx):
        return None
    from cf_databricks_source.scaffold import scaffold

    checkout = _checkout(ctx)
    began = time.monotonic()
    plan = _plan(ctx)
    layout = _layout(ctx)
    writer = ctx.writer()
    with ctx.reporter.progress("rendering the connector"):
        outputs = scaffold(plan, layout, writer,
                           honoured=checkout.attributes if checkout else None)
    creds = _collect_credentials(ctx)
    if creds is None:
        creds = ("live credentials found" if (ctx.project_dir / layout.dev_config_file).is_file()
                 else "no credentials yet: `cf credentials` (or `cf new … --config FILE`) "
                      "collects them for live tests; until then validate and test-gate run in "
                      "simulate mode")
    summary = (f"{len(outputs)} files for {len(plan.tables)} tables in "
               f"{time.monotonic() - began:.1f}s; {creds}")
    if writer.kept:
        summary += f"\nkept your edits (the template did not change): {', '.join(writer.kept)}"
    result = StepResult(summary=summary, outputs=outputs,
                        details={"scaffold_s": round(time.monotonic() - began, 3)})
    from cf_databricks_source.agent_roles import review_module

    return _committed(ctx, review_module(ctx, plan, layout, result))


def _collect_credentials(ctx: StepContext) -> str | None:
    """The create-connector flow's step 2b inside the pipeline: credentials from ``--config
    FILE`` or the environment into ``dev_config.json`` (see :mod:`.inline_credentials`)."""
    from cf_databricks_source.inline_credentials import collect_inline

    form = _form(ctx)
    return collect_inline(ctx.project_dir, form, ctx.inputs.get("config")) if form else None


@hookimpl
def cf_connection_form(ctx: StepContext) -> ConnectionForm | None:
    """Credentials asked by ``cf credentials``: the auth secrets and the base URL."""
    if not _mine(ctx):
        return None
    return _form(ctx)


def _form(ctx: StepContext) -> ConnectionForm | None:
    from cf_databricks_source.scaffold import connector_spec

    layout = _layout(ctx)
    if not (ctx.project_dir / layout.api_doc_file).is_file():
        return None
    spec = connector_spec(_plan(ctx))
    parameters = [
        ConnectionParameter(name=p["name"], label=p["name"].replace("_", " "),
                            description=p["description"], secret=p["secret"],
                            required=p["required"], default=p.get("default"))
        for p in spec["connection"]["parameters"]
        if p["required"] or p["name"] == "base_url"
    ]
    return ConnectionForm(parameters=parameters, config_path=layout.dev_config_file,
                          env_prefix=f"{ctx.name.upper()}_")


@hookimpl
def cf_validate(ctx: StepContext) -> StepResult | None:
    """The module imports, static checks pass, and the auth test passes against the API."""
    if not _mine(ctx):
        return None
    from cf_databricks_source.checks import validate

    return _committed(ctx, validate(ctx.project_dir, _layout(ctx)))


@hookimpl
def cf_test_gate(ctx: StepContext) -> StepResult | None:
    """The contract suite passes on every table; with an LLM handle, the ``connector-tester``
    agent fixes the implementation of a failing connector and the suite is run again."""
    if not _mine(ctx):
        return None
    from cf_databricks_source.checks import test_gate
    from cf_databricks_source.record import recorded_before

    result = recorded_before(ctx, _plan, lambda: test_gate(ctx.project_dir, _layout(ctx)))
    if ctx.llm is None or all(c.status != "failed" for c in result.checks):
        return _committed(ctx, result)
    from cf_databricks_source.fix_loop import fix_until_green

    return _committed(ctx, fix_until_green(ctx, _layout(ctx), result))


@hookimpl
def cf_document(ctx: StepContext) -> StepResult | None:
    """README.md and the complete connector_spec.yaml (with external_options_allowlist)."""
    if not _mine(ctx):
        return None
    from cf_databricks_source.agent_roles import write_notes
    from cf_databricks_source.docs import document

    return _committed(ctx, write_notes(ctx, _layout(ctx),
                                       document(_plan(ctx), _layout(ctx), ctx.writer())))


@hookimpl
def cf_deploy(ctx: StepContext) -> StepResult | None:
    """pyproject.toml and a built wheel and sdist."""
    if not _mine(ctx):
        return None
    from cf_databricks_source.packaging import package

    return package(_plan(ctx), _layout(ctx), ctx.project_dir, ctx.writer())

