"""Data shapes exchanged between the core and plugins.

Everything a hook spec receives or returns is defined here, so a plugin author reads one module to
learn the contract. Paths in results are relative to the project folder unless stated otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connector_factory.files import FileWriter
from connector_factory.steps import COLLECTING_STEPS as COLLECTING_STEPS
from connector_factory.steps import GATED_STEPS as GATED_STEPS
from connector_factory.steps import STEPS as STEPS
from connector_factory.steps import Step as Step

if TYPE_CHECKING:
    from connector_factory.llm import LLM
    from connector_factory.reporter import Reporter
    from connector_factory.state import State


#: The value types a target input can declare (see :mod:`connector_factory.inputs`).
InputType = Literal["str", "path", "bool", "int", "url", "url_or_path", "list"]


class TargetInput(BaseModel):
    """One input a target accepts on ``cf new`` (``--input NAME=VALUE`` or ``--NAME VALUE``).

    Attributes:
        name: snake-case name; the option is its kebab case (``base_url`` → ``--base-url``).
        help: one line shown by ``cf targets`` and in errors.
        required: ``cf new`` refuses to start without it.
        type: how the value is converted and checked: ``path`` (made absolute, must exist),
            ``url`` (http/https with a host), ``url_or_path``, ``list`` (comma separated →
            ``list[str]``), ``int``, ``bool``, ``str``.
        secret: the value is a credential: never taken from the command line nor stored in the
            state; read from ``CF_INPUT_<NAME>`` at every run and masked/scanned like every
            secret. ``False`` (the default) declares a secret-free value.
        project_folder: a ``path`` input naming an existing folder the project is made in
            (a checkout), instead of ``--out/NAME``.
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="e.g. 'doc', 'base_url'.")
    help: str = Field(description="One line shown by `cf targets`.")
    required: bool = False
    type: InputType = "str"
    secret: bool = False
    project_folder: bool = False


class Target(BaseModel):
    """A target a plugin contributes, returned by ``cf_targets``."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    summary: str
    inputs: tuple[TargetInput, ...] = ()
    steps: tuple[Step, ...] = STEPS
    #: Filled in by the core with the plugin that returned the target.
    plugin: str = ""


CheckStatus = Literal["passed", "failed", "blocked", "skipped"]


class CheckResult(BaseModel):
    """One check of a collecting step (``cf_validate``, ``cf_test_gate``).

    ``blocked`` means the check could not run here (a missing tool, no credentials); in every
    target it stops the gate with exit 1 and its ``message`` should say what would unblock it,
    unless the user skips that check with a reason (``cf skip CHECK --why …``), after which it
    counts as ``skipped``. It is never reported as a pass.
    """

    name: str
    status: CheckStatus
    message: str = ""
    #: Names of failing tests (for test gates), shown by the CLI when the gate fails.
    failures: list[str] = Field(default_factory=list)
    #: Filled in by the core with the plugin that returned the check.
    plugin: str = ""


class StepResult(BaseModel):
    """What a step hook impl returns.

    Attributes:
        summary: one or more lines shown at the gate.
        outputs: files the step wrote, relative to the project folder; the core scans them for
            secrets (archives too) and records their sha256: a later edit is kept and redoes
            every later step, and a re-run whose outputs changed does the same.
        details: small JSON-serialisable facts kept in state (tables found, phase reached …).
        checks: for collecting steps, the checks this plugin ran.
        status: ``failed`` stops the pipeline with exit 1; ``blocked`` stops it and says why
            (like a blocked check).
        usage: token usage of LLM calls made in the step (input, cache_read, cache_write, output,
            cost_usd), summed into the state.
    """

    summary: str = ""
    outputs: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    checks: list[CheckResult] = Field(default_factory=list)
    status: Literal["completed", "failed", "blocked"] = "completed"
    usage: dict[str, float] = Field(default_factory=dict)


class ConnectionParameter(BaseModel):
    """One connection parameter a connector needs (a token, a host …)."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    label: str = ""
    description: str = ""
    secret: bool = False
    required: bool = True
    default: str | None = None


class ConnectionForm(BaseModel):
    """What ``cf credentials`` asks for and where it writes the answers.

    ``config_path`` is relative to the project folder; the file is written with mode 0600 and
    added to the project's ``.gitignore``.
    """

    parameters: list[ConnectionParameter]
    config_path: str
    #: Prefix of environment variables that supply values when nobody is at the keyboard:
    #: ``{env_prefix}{NAME.upper()}``.
    env_prefix: str = Field(default="CF_", pattern=r"^[A-Z][A-Z0-9_]*$")

    @field_validator("config_path")
    @classmethod
    def _inside_project(cls, value: str) -> str:
        parts = value.replace("\\", "/").split("/")
        if not value or value.startswith("/") or ".." in parts:
            raise ValueError("config_path must be a relative path inside the project")
        return value


@dataclass
class StepContext:
    """What every step hook impl is given.

    Attributes:
        target: the target name the project was created for.
        step: the step being run.
        project_dir: absolute path of the project folder (holds ``.cf/``).
        state: the project state as it is before this step (read it, do not write it).
        inputs: the target's inputs by name (as its ``TargetInput``s declare them), converted
            by type; secret inputs come from their environment variable and are never stored.
            The core records which names a step reads, so a changed input redoes that step.
        llm: an LLM handle, or ``None`` when no API key is configured.
        reporter: where progress and messages go.
        interactive: ``True`` when a person can answer questions on the terminal.
    """

    target: str
    step: Step
    project_dir: Path
    state: State
    inputs: dict[str, Any]
    llm: LLM | None
    reporter: Reporter
    interactive: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    #: Every writer :meth:`writer` handed out, so the core can record their conflicts.
    writers: list[FileWriter] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The connector name given to ``cf new``."""
        return self.state.name

    def writer(self) -> FileWriter:
        """A :class:`~connector_factory.files.FileWriter` for this project that records what it
        writes in the state, so later runs never overwrite a person's edit silently."""
        writer = FileWriter(self.project_dir, self.state.generated)
        self.writers.append(writer)
        return writer
