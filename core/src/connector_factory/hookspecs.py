"""Hook specs: the contract between the core and plugins.

A plugin is a module (or object) whose functions carry :data:`connector_factory.hookimpl` and whose
names match the specs below. It is found through the entry-point group ``connector_factory``::

    [project.entry-points.connector_factory]
    my_target = "my_package.plugin"

Step hooks are called for every project, whatever its target: an impl that does not own
``ctx.target`` must return ``None``. The single-artifact steps (``cf_plan``, ``cf_research``,
``cf_scaffold``, ``cf_document``, ``cf_deploy``) are *first result wins*: the first non-``None``
result is used and the rest are not called. ``cf_validate`` and ``cf_test_gate`` *collect*: every
plugin is called and every returned check counts, so a plugin can add a check (a lint, a secret
scan) to every target by ignoring ``ctx.target``.
"""

from __future__ import annotations

import pluggy

from connector_factory import PROJECT_NAME
from connector_factory.models import ConnectionForm, StepContext, StepResult, Target

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def cf_targets() -> list[Target]:
    """Return the targets this plugin contributes.

    Given nothing. Returns a list of :class:`~connector_factory.models.Target` (possibly empty).
    All results are collected; two plugins returning the same target name is an error reported
    by ``cf targets``.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def cf_plan(ctx: StepContext) -> StepResult | None:
    """Plan the connector: ask or read the questions the target needs answered.

    Given the :class:`~connector_factory.models.StepContext`. Returns a
    :class:`~connector_factory.models.StepResult`, or ``None`` when ``ctx.target`` is not this
    plugin's. First result wins.
    """


@hookspec(firstresult=True)
def cf_research(ctx: StepContext) -> StepResult | None:
    """Research the source or destination: endpoints, tables, auth, limits.

    Given the step context. Returns a step result or ``None`` when the target is not this
    plugin's. First result wins.
    """


@hookspec(firstresult=True)
def cf_scaffold(ctx: StepContext) -> StepResult | None:
    """Write the connector's files, usually by rendering the target's cookiecutter template.

    Given the step context. Returns a step result listing the files written, or ``None`` when the
    target is not this plugin's. First result wins.
    """


@hookspec
def cf_validate(ctx: StepContext) -> StepResult | None:
    """Check the generated connector statically and against its API (auth, import, lint).

    Given the step context. Returns a step result whose ``checks`` are added to the gate, or
    ``None`` to add nothing. Every plugin is called (collecting); the gate fails if any check
    failed.
    """


@hookspec
def cf_test_gate(ctx: StepContext) -> StepResult | None:
    """Run the connector's tests; the hard gate of the pipeline.

    Given the step context. Returns a step result whose ``checks`` carry the failing test names,
    or ``None`` to add nothing. Every plugin is called (collecting); any failed check stops the
    pipeline with exit 1 and nothing after it runs.
    """


@hookspec(firstresult=True)
def cf_document(ctx: StepContext) -> StepResult | None:
    """Write the connector's user documentation.

    Given the step context. Returns a step result or ``None`` when the target is not this
    plugin's. First result wins.
    """


@hookspec(firstresult=True)
def cf_deploy(ctx: StepContext) -> StepResult | None:
    """Package the connector for delivery (a wheel, a build, a handoff).

    Given the step context. Returns a step result or ``None`` when the target is not this
    plugin's. First result wins.
    """


@hookspec(firstresult=True)
def cf_connection_form(ctx: StepContext) -> ConnectionForm | None:
    """Describe the credentials ``cf credentials`` collects for this project.

    Given the step context (``ctx.step`` is the step the project is at). Returns a
    :class:`~connector_factory.models.ConnectionForm` or ``None`` when the target is not this
    plugin's or has nothing to ask yet. First result wins.
    """


@hookspec(firstresult=True)
def cf_skip_part(ctx: StepContext, name: str, why: str) -> StepResult | None:
    """Skip a part of a target that is not a pipeline step (``cf skip NAME --why …``), such as
    an optional build phase.

    Given the step context (``ctx.step`` is the step the project is at), the part's ``name`` as
    the user typed it and the reason ``why`` (never empty). Returns a
    :class:`~connector_factory.models.StepResult` whose summary says what was recorded, or
    ``None`` when ``name`` is not a part of this plugin's target. The plugin records the skip in
    its own files and raises :class:`~connector_factory.errors.InputError` for a part that must
    not be skipped. First result wins; called only when ``name`` is not a step.
    """
