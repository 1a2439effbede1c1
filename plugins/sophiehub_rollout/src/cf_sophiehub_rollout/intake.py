"""The intake: at most five blocking questions, read from ``--intake FILE`` (YAML) or asked.

Blocking questions: linking points (``links``), the cardinality of each link, the most urgent
phase, the source plan's limits, and what success looks like in the first 2–4 weeks. Anything
unanswered becomes an explicit :class:`Assumption`, so the plan always completes and lists it
under open questions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from connector_factory.errors import InputError, first_invalid_field
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Cardinality = Literal["1:1", "1:N"]
Phase = Literal["mapping", "sync", "analytics", "ops"]


class Link(BaseModel):
    """One linking point: an external identity field mapped to an internal entity.

    ``source`` is the value stored in ``entity_external_ids.source``; a ``1:1`` link allows one
    row per entity and source (enforced by a partial unique index), ``1:N`` many.
    """

    model_config = ConfigDict(extra="forbid")

    external_field: str
    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    entity: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    key: str = ""
    cardinality: Cardinality | None = None
    purpose: str = ""
    #: ``true``: the source already exists in the checkout and this link reuses it as it is
    #: (no index is added or changed); an existing source without it is refused.
    reuse: bool = False


class Limits(BaseModel):
    """The source plan's limits."""

    model_config = ConfigDict(extra="forbid")

    rate_limit: str = ""
    retention: str = ""
    scopes: list[str] = Field(default_factory=list)


class Task(BaseModel):
    """An agent-team task; ``depends_on`` names other task ids."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    agent: Literal["schema-sync", "api-integration", "analytics", "ui-ops", "review"]
    title: str
    depends_on: list[str] = Field(default_factory=list)


class Intake(BaseModel):
    """The answers (``None``/empty = not answered)."""

    model_config = ConfigDict(extra="forbid")

    connector: str = Field(default="", pattern=r"^([a-z][a-z0-9_]*)?$")
    display_name: str = ""
    links: list[Link] = Field(default_factory=list)
    urgent_phase: Phase | None = None
    limits: Limits | None = None
    success: str = ""
    auth_model: str = ""
    pull_mode: Literal["incremental", "snapshot", "hybrid"] | None = None
    env: list[str] = Field(default_factory=list)
    api_routes: list[str] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    #: Whether the rollout has UI work; unanswered, UI is in scope when a ``ui-ops`` task is.
    ui: bool | None = None
    #: Scale estimate (records, users, requests per day) for the agent-team prompt.
    scale: str = ""


class Assumption(BaseModel):
    """An unanswered question and what the plan assumes instead."""

    question: str
    assumed: str


def load_intake(path: Path) -> Intake:
    """Read and validate an intake file.

    Raises:
        InputError: the file is not YAML or does not fit :class:`Intake` (the first bad field
            is named).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"--intake {path.name}: cannot read it as YAML ({type(exc).__name__})",
                         "fix the file's syntax") from None
    try:
        return Intake.model_validate(data)
    except ValidationError as exc:
        field, message = first_invalid_field(exc)
        raise InputError(f"--intake {path.name}: {field}: {message}",
                         "correct that answer (see the shipped example intake)") from None


def complete(intake: Intake, name: str) -> tuple[Intake, list[Assumption]]:
    """``intake`` with every unanswered blocking question filled by an explicit assumption."""
    assumptions: list[Assumption] = []
    links = list(intake.links)
    if not links:
        links = [Link(external_field=f"{name} user id", source=f"{name}_user", entity="staff",
                      key="staff.email")]
        assumptions.append(Assumption(
            question="Which external fields link to which internal entities?",
            assumed=f"one link: the {name} user id to staff, matched by email "
                    f"(source `{name}_user`)"))
    fixed = []
    for link in links:
        if link.cardinality is None:
            assumptions.append(Assumption(
                question=f"Is `{link.source}` 1:1 or 1:N per {link.entity}?",
                assumed="1:N (no database constraint; tighten to 1:1 once confirmed)"))
            link = link.model_copy(update={"cardinality": "1:N"})
        fixed.append(link)
    phase = intake.urgent_phase
    if phase is None:
        phase = "mapping"
        assumptions.append(Assumption(question="Which phase is most urgent?",
                                      assumed="mapping (phase 1) first"))
    limits = intake.limits
    if limits is None or not (limits.rate_limit or limits.retention or limits.scopes):
        limits = Limits(rate_limit="unknown: sync at most 1 request per second",
                        retention="unknown: assume 90 days of history",
                        scopes=["read-only scopes only"])
        assumptions.append(Assumption(question="What are the source plan's limits?",
                                      assumed="1 request/second, 90 days of history, "
                                              "read-only scopes"))
    success = intake.success
    if not success:
        success = "every linkable entity is mapped and the first sync runs daily without errors"
        assumptions.append(Assumption(question="What is success in the first 2–4 weeks?",
                                      assumed=success))
    return intake.model_copy(update={
        "connector": intake.connector or name, "display_name": intake.display_name or
        name.replace("_", " ").title(), "links": fixed, "urgent_phase": phase,
        "limits": limits, "success": success, "pull_mode": intake.pull_mode or "incremental",
        "env": intake.env or [f"{name.upper()}_API_TOKEN"],
        "api_routes": intake.api_routes or [f"/api/{name}/sync"],
    }), assumptions
