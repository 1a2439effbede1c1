"""The pipeline's steps, their order and which are gated or collecting.

A module of its own, importing nothing heavy, so commands that only read a project's state
(``cf status``) do not import the models; :mod:`connector_factory.models` re-exports every name.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["COLLECTING_STEPS", "GATED_STEPS", "STEPS", "Step"]


class Step(str, Enum):
    """The pipeline steps, in the order the pipeline runs them."""

    plan = "plan"
    research = "research"
    scaffold = "scaffold"
    validate = "validate"
    test_gate = "test_gate"
    document = "document"
    deploy = "deploy"

    @property
    def command(self) -> str:
        """The CLI command that runs this step alone, e.g. ``test-gate``."""
        return self.value.replace("_", "-")

    @property
    def hook_name(self) -> str:
        """The hook spec that implements this step, e.g. ``cf_test_gate``."""
        return f"cf_{self.value}"


#: Steps in pipeline order.
STEPS: tuple[Step, ...] = tuple(Step)

#: Steps whose result is collected from every plugin instead of taken from the first one.
COLLECTING_STEPS: frozenset[Step] = frozenset({Step.validate, Step.test_gate})

#: Steps after which the user approves a summary before the pipeline goes on.
GATED_STEPS: frozenset[Step] = frozenset(
    {Step.plan, Step.research, Step.scaffold, Step.validate, Step.test_gate}
)
