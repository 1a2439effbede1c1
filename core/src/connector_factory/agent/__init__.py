"""Agents on Claude: the tool-use loop, its sandboxed tools, limits, transcripts and roles.

A plugin step calls :func:`run_agent` with ``ctx.llm``, ``ctx.project_dir``, a role loaded with
:func:`load_role` and a task, and turns the :class:`AgentResult` into its ``StepResult`` with
:meth:`AgentResult.step_result`. Importing this package does not import ``anthropic``.
"""

from __future__ import annotations

from connector_factory.agent.guard import weakening
from connector_factory.agent.limits import PRICES, Limits, Price, Usage, price_for
from connector_factory.agent.loop import (
    CORE_SYSTEM,
    AgentResult,
    AgentStopped,
    blocked_without_llm,
    run_agent,
)
from connector_factory.agent.parallel import WorkOutcome, run_parallel
from connector_factory.agent.roles import Role, load_role
from connector_factory.agent.sandbox import Refused, Sandbox
from connector_factory.agent.tools import (
    DEFAULT_COMMANDS,
    ExtraTool,
    Toolbox,
    ToolOutcome,
    ToolPolicy,
)
from connector_factory.agent.transcript import (
    Redactor,
    Transcript,
    collect_secrets,
    history_from_transcript,
    latest_transcript,
)

__all__ = [
    "CORE_SYSTEM",
    "DEFAULT_COMMANDS",
    "PRICES",
    "AgentResult",
    "AgentStopped",
    "ExtraTool",
    "Limits",
    "Price",
    "Redactor",
    "Refused",
    "Role",
    "Sandbox",
    "ToolOutcome",
    "ToolPolicy",
    "Toolbox",
    "Transcript",
    "Usage",
    "WorkOutcome",
    "blocked_without_llm",
    "collect_secrets",
    "history_from_transcript",
    "latest_transcript",
    "load_role",
    "price_for",
    "run_agent",
    "run_parallel",
    "weakening",
]
