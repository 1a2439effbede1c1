"""The agent loop: a tool-use conversation on ``messages.create``, with limits and records.

The loop resends the whole history on every request (no server-side threads), marks the stable
prefix for prompt caching (tool definitions, then the core system prompt and the role
instructions, each ending in a ``cache_control`` ``ephemeral`` breakpoint) plus a moving
breakpoint on the newest user turn, runs the tools the model asks for inside the project
sandbox, sums token usage, checks the step's :class:`~connector_factory.agent.limits.Limits`
before every request, and writes every request, response and tool call to the step's transcript.
Retries of 429/529/5xx are the SDK's (``AnthropicLLM.max_retries``).

``anthropic`` is never imported here: the LLM handle imports it on its first request.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_factory.agent.limits import Limits, Usage, price_for
from connector_factory.agent.roles import Role
from connector_factory.agent.tools import Toolbox, ToolPolicy
from connector_factory.agent.transcript import Redactor, Transcript, collect_secrets
from connector_factory.errors import StepFailed
from connector_factory.llm import LLM
from connector_factory.models import StepResult

#: Cache marker for the stable prefix and the moving breakpoint.
EPHEMERAL: dict[str, str] = {"type": "ephemeral"}

#: The core's part of the system prompt, shared by every role (and so cached across roles).
CORE_SYSTEM = """\
You are an agent of Connector Factory, a tool that builds data connectors. You work inside one \
project folder through the tools you are given; every path is relative to that folder. Paths \
outside it, symlinks leading out of it, the .cf/ and .git/ folders and files holding secrets \
(dev_config.json, .env) are refused, as is any command that is not on the allow-list. A refused \
call returns an error that says why: adjust and go on, do not retry the same call. Test files \
the core marks as protected may not be weakened: you may add assertions, never delete, skip, \
xfail or loosen one. The core re-runs the tests itself after you finish; your word is not \
taken for it. When the task is done, answer with a short summary of what you did and stop \
calling tools."""


@dataclass
class AgentResult:
    """The outcome of one agent run.

    Attributes:
        step: the step name the transcript is filed under.
        role: the role name.
        ok: ``True`` when the model finished on its own within every limit.
        reason: ``"completed"``, or why the run stopped (a limit, an API error, a weakened
            protected test, the model's stop reason).
        final_text: the text of the model's last answer.
        turns: requests answered by the model.
        usage: summed token usage and estimated cost.
        transcript: the transcript file.
        written: project-relative paths the model wrote or edited.
        refusals: tool calls refused by the sandbox, the guard or the allow-list.
        model: the model the requests named.
    """

    step: str
    role: str
    ok: bool
    reason: str
    final_text: str
    turns: int
    usage: Usage
    transcript: Path
    written: list[str] = field(default_factory=list)
    refusals: int = 0
    model: str = ""

    def details(self, project_dir: Path | None = None) -> dict[str, Any]:
        """Small JSON facts for ``StepResult.details["agent"]``."""
        transcript = self.transcript
        root = project_dir.resolve() if project_dir is not None else None
        if root is not None and transcript.is_relative_to(root):
            transcript = transcript.relative_to(root)
        _price, known = price_for(self.model)
        return {"role": self.role, "ok": self.ok, "reason": self.reason, "turns": self.turns,
                "requests": self.usage.requests, "refusals": self.refusals,
                "transcript": transcript.as_posix(), "written": list(self.written),
                "model": self.model, "priced": known}

    def step_result(self, summary: str = "", outputs: Sequence[str] = (),
                    project_dir: Path | None = None) -> StepResult:
        """A :class:`~connector_factory.models.StepResult` for this run: ``failed`` with the
        reason as its first summary line when the run did not finish, usage filled in."""
        lines = [] if self.ok else [f"agent {self.role} stopped: {self.reason}"]
        if summary:
            lines.append(summary)
        elif self.final_text:
            lines.append(self.final_text.strip())
        return StepResult(summary="\n".join(lines), outputs=list(outputs),
                          details={"agent": self.details(project_dir)},
                          status="completed" if self.ok else "failed",
                          usage=self.usage.as_dict())

    def raise_if_failed(self) -> None:
        """Raise :class:`AgentStopped` unless :attr:`ok`."""
        if not self.ok:
            raise AgentStopped(self)


class AgentStopped(StepFailed):
    """An agent run stopped before finishing (a limit, an API error …); ``.result`` holds it."""

    def __init__(self, result: AgentResult) -> None:
        super().__init__(f"agent {result.role} in step {result.step} stopped: {result.reason}",
                         f"read {result.transcript}, then fix the cause or raise the limit and "
                         "run the step again")
        self.result = result


def blocked_without_llm(what: str) -> StepResult:
    """The result of a step that truly needs the model when no API key is configured: blocked,
    with one line saying so."""
    return StepResult(summary=f"{what} needs Claude: set ANTHROPIC_API_KEY and run the step again",
                      status="blocked")


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    dumped: dict[str, Any] = obj.model_dump(mode="json", exclude_none=True)
    return dumped


def _block_param(block: Any) -> dict[str, Any]:
    """A response content block as a request content block (what is resent as history)."""
    data = _as_dict(block)
    kind = data.get("type")
    if kind == "text":
        out: dict[str, Any] = {"type": "text", "text": data.get("text", "")}
        if data.get("citations"):
            out["citations"] = data["citations"]
        return out
    if kind == "tool_use":
        return {"type": "tool_use", "id": data["id"], "name": data["name"],
                "input": data.get("input", {})}
    if kind == "thinking":
        return {"type": "thinking", "thinking": data.get("thinking", ""),
                "signature": data.get("signature", "")}
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": data.get("data", "")}
    return data


def _with_breakpoint(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``messages`` whose newest user turn ends in a cache breakpoint."""
    out: list[dict[str, Any]] = [dict(m) for m in messages]
    for message in reversed(out):
        if message["role"] != "user":
            continue
        content = message["content"]
        blocks: list[dict[str, Any]] = (
            [{"type": "text", "text": content}] if isinstance(content, str)
            else [dict(b) for b in content])
        if blocks:
            blocks[-1]["cache_control"] = EPHEMERAL
        message["content"] = blocks
        break
    return out


def _tool_uses(message: dict[str, Any]) -> list[dict[str, Any]]:
    if message.get("role") != "assistant" or isinstance(message.get("content"), str):
        return []
    return [b for b in message["content"] if b.get("type") == "tool_use"]


def _api_error(exc: Exception) -> bool:
    module = sys.modules.get("anthropic")
    error_class = getattr(module, "APIError", None) if module is not None else None
    return isinstance(error_class, type) and isinstance(exc, error_class)


class AgentLoop:
    """One agent run; most callers use :func:`run_agent`. See there for the arguments."""

    def __init__(self, llm: LLM, project_dir: Path, *, step: str, role: Role, task: str,
                 policy: ToolPolicy, limits: Limits, secrets: Sequence[str],
                 system: str) -> None:
        self.llm = llm
        self.project_dir = project_dir.resolve()
        self.step = step
        self.role = role
        self.task = task
        self.limits = limits
        self.system = system
        extra = [*secrets]
        api_key = getattr(llm, "api_key", None)
        if isinstance(api_key, str):
            extra.append(api_key)
        self.redactor = Redactor(collect_secrets(self.project_dir, extra))
        self.tools = Toolbox(self.project_dir, policy, self.redactor.text)
        self.transcript = Transcript(self.project_dir, step, self.redactor)
        self.usage = Usage()
        self.turns = 0

    def request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The request parameters for the next turn (``model`` and ``max_tokens`` included)."""
        tools = self.tools.definitions()
        if tools:
            tools[-1] = {**tools[-1], "cache_control": EPHEMERAL}
        role_text = f"# Role: {self.role.name}\n\n{self.role.instructions.strip()}"
        left = self.limits.max_output_tokens - self.usage.output
        return {
            "model": self.llm.model,
            "max_tokens": max(1, min(self.llm.max_tokens, left)),
            "system": [{"type": "text", "text": self.system},
                       {"type": "text", "text": role_text, "cache_control": EPHEMERAL}],
            "tools": tools,
            "messages": _with_breakpoint(messages),
        }

    def _run_tools(self, uses: list[dict[str, Any]], deadline: float) -> list[dict[str, Any]]:
        results = []
        for use in uses:
            if time.monotonic() >= deadline:
                outcome_text, is_error = "not run: the step's wall time limit was reached", True
            else:
                outcome = self.tools.call(use["name"], use.get("input"), deadline)
                outcome_text, is_error = outcome.content, outcome.is_error
            self.transcript.write("tool", turn=self.turns, id=use["id"], name=use["name"],
                                  input=use.get("input"), is_error=is_error,
                                  result=outcome_text[:4000])
            results.append({"type": "tool_result", "tool_use_id": use["id"],
                            "content": outcome_text, "is_error": is_error})
        return results

    def run(self, history: list[dict[str, Any]] | None = None) -> AgentResult:
        """Run the conversation to its end or to a limit; see :func:`run_agent`."""
        began = time.monotonic()
        deadline = began + self.limits.max_wall_s
        messages: list[dict[str, Any]] = [dict(m) for m in history] if history else [
            {"role": "user", "content": self.redactor.text(self.task)}]
        self.transcript.write("start", step=self.step, role=self.role.name,
                              model=self.llm.model, limits=vars(self.limits),
                              tools=self.tools.names(), resumed=bool(history))
        pending = _tool_uses(messages[-1])
        final_text, ok, reason = "", False, "interrupted"
        try:
            while True:
                if pending:
                    messages.append({"role": "user",
                                     "content": self._run_tools(pending, deadline)})
                    pending = []
                elif messages[-1]["role"] == "assistant" and history and self.turns == 0:
                    ok, reason = True, "completed"  # resumed a finished conversation
                    break
                stop = self.limits.exceeded(self.usage, self.turns, time.monotonic() - began)
                if stop is None and self.usage.output >= self.limits.max_output_tokens:
                    stop = f"output token limit {self.limits.max_output_tokens} reached"
                if stop is not None:
                    reason = stop
                    break
                params = self.request(messages)
                self.transcript.write("request", turn=self.turns + 1, body=params)
                try:
                    response = self.llm.create_message(**params)
                except Exception as exc:
                    if not _api_error(exc):
                        raise
                    status = getattr(exc, "status_code", None)
                    reason = self.redactor.text(
                        f"API error{f' {status}' if status else ''}: {type(exc).__name__}: "
                        f"{exc}".splitlines()[0])
                    self.transcript.write("error", turn=self.turns + 1, message=reason)
                    break
                self.turns += 1
                body = _as_dict(response)
                model = str(body.get("model") or self.llm.model)
                self.usage.add_response(model, body.get("usage") or {})
                self.transcript.write("response", turn=self.turns, body=body)
                content = [_block_param(b) for b in body.get("content", [])]
                messages.append({"role": "assistant", "content": content})
                texts = [b["text"] for b in content if b.get("type") == "text"]
                final_text = "\n".join(texts) if texts else final_text
                pending = _tool_uses(messages[-1])
                stop_reason = body.get("stop_reason")
                if pending or stop_reason == "pause_turn":
                    continue
                if stop_reason in ("end_turn", "stop_sequence", None):
                    budget = self.limits.exceeded(self.usage, None, None)
                    ok, reason = (False, budget) if budget else (True, "completed")
                else:
                    reason = f"the model stopped with stop_reason {stop_reason!r}"
                break
            if ok:
                weakened = self.tools.verify_protected()
                if weakened:
                    ok, reason = False, weakened
        finally:
            self.transcript.write("end", ok=ok, reason=reason, turns=self.turns,
                                  usage=self.usage.as_dict(), written=self.tools.written,
                                  refusals=self.tools.refusals)
        return AgentResult(step=self.step, role=self.role.name, ok=ok, reason=reason,
                           final_text=final_text, turns=self.turns, usage=self.usage,
                           transcript=self.transcript.path, written=list(self.tools.written),
                           refusals=self.tools.refusals, model=self.llm.model)


def run_agent(llm: LLM, project_dir: Path, *, step: str, role: Role | str, task: str,
              policy: ToolPolicy | None = None, limits: Limits | None = None,
              secrets: Sequence[str] = (), history: list[dict[str, Any]] | None = None,
              system: str = CORE_SYSTEM) -> AgentResult:
    """Run one agent to completion or to a limit and return what happened (never silently).

    Args:
        llm: the LLM handle (``ctx.llm``); its ``model`` and ``max_tokens`` are used, and its
            ``api_key`` (if any) is masked in the transcript.
        project_dir: the project folder; the sandbox root and home of ``.cf/transcripts/``.
        step: the name the transcript is filed under (``research``, ``test_gate-tester`` …).
        role: the role (see :func:`~connector_factory.agent.roles.load_role`) or its
            instructions text.
        task: the first user message: what to do in this run (secrets in it are masked).
        policy: tool permissions (allow-listed commands, network, protected tests …).
        limits: turns, tokens, wall time and cost for the step.
        secrets: more values to mask in the transcript and in tool output.
        history: messages to resume from (see
            :func:`~connector_factory.agent.transcript.history_from_transcript`); tool calls
            left unanswered at its end are carried out first.
        system: the core system prompt (rarely changed).

    Returns:
        an :class:`AgentResult`; ``ok`` is ``False`` with the ``reason`` when a limit was
        reached, the API failed after the SDK's retries, the model stopped abnormally, or a
        protected test file ended up weaker than it began. Call
        :meth:`AgentResult.step_result` or :meth:`AgentResult.raise_if_failed`.

    Raises:
        Only what is not the model's doing (``KeyboardInterrupt``, bugs); the transcript gets
        its ``end`` record either way.
    """
    the_role = role if isinstance(role, Role) else Role(name=step, instructions=role)
    loop = AgentLoop(llm, project_dir, step=step, role=the_role, task=task,
                     policy=policy or ToolPolicy(), limits=limits or Limits(),
                     secrets=secrets, system=system)
    return loop.run(history)
