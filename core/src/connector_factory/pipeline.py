"""The resumable, gated pipeline: plan → research → scaffold → validate → test_gate → document →
deploy.

Each step runs through its hook spec, and the state records its status, outputs (with sha256),
timings and checks after every transition; the event log gets one line per transition. After a
gated step the user approves a summary before the next step runs. A failed step, a failed check
or a declined gate stops the pipeline; running again continues from the first step that is not
done.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_factory.errors import CfError, GateDeclined, InputError, StepFailed
from connector_factory.inputs import ReadTracker
from connector_factory.llm import LLM
from connector_factory.models import (
    COLLECTING_STEPS,
    GATED_STEPS,
    STEPS,
    CheckResult,
    Step,
    StepContext,
    StepResult,
    Target,
)
from connector_factory.plugins import PluginSet, call_step_hook
from connector_factory.reporter import Reporter
from connector_factory.state import OutputRecord, State, StateStore, sha256_file, utc_now

#: Steps shown with a spinner while they run (they probe, test or build; none asks questions).
WAITING_STEPS = frozenset({Step.validate, Step.test_gate, Step.deploy})
#: Asked at a gate with the summary already shown; returns ``True`` to go on.
Confirm = Callable[[Step, StepResult], bool]
#: Shows a step's summary (at a gate, or after an ungated step).
ShowSummary = Callable[[Step, StepResult], None]


def parse_step(name: str) -> Step:
    """The step called ``name`` (``test-gate`` and ``test_gate`` both work).

    Raises:
        InputError: no such step; the message lists the steps.
    """
    key = name.strip().replace("-", "_")
    for step in STEPS:
        if step.value == key:
            return step
    names = ", ".join(s.command for s in STEPS)
    raise InputError(f"unknown step {name!r}", f"use one of: {names}")


@dataclass
class Pipeline:
    """Runs a project's steps.

    Args:
        project_dir: the project folder.
        plugins: loaded plugins.
        reporter: progress and messages.
        llm: the LLM handle or ``None``.
        interactive: whether a person can answer gate questions.
        assume_yes: approve every gate (``--yes``).
        confirm: asks the person at a gate (only called when interactive and not assume_yes).
        show_summary: displays a step's result.
    """

    project_dir: Path
    plugins: PluginSet
    reporter: Reporter
    llm: LLM | None = None
    interactive: bool = False
    assume_yes: bool = False
    confirm: Confirm = lambda step, result: False
    show_summary: ShowSummary = lambda step, result: None
    store: StateStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = StateStore.at(self.project_dir.resolve())
        self.project_dir = self.store.project_dir

    def select(self, name: str, target: Target, shared: bool = False) -> StateStore:
        """Pick the store of project ``name`` before :meth:`create`: the folder's own, or —
        when the folder is ``shared`` (a checkout named by a project-folder input) and already
        holds another project — the further project's under ``.cf/projects/NAME``.

        Raises:
            InputError: the folder holds another project and is not shared.
        """
        if self.store.exists():
            state = self.store.load()
            if state.target != target.name or state.name != name:
                if not shared:
                    raise InputError(
                        f"{self.project_dir} already holds project {state.name!r} of target "
                        f"{state.target!r}",
                        "choose another NAME or --out folder",
                    )
                self.store = self.store.further(name)
        return self.store

    # -- project ---------------------------------------------------------------------------

    def create(self, name: str, target: Target, inputs: dict[str, Any]) -> State:
        """Create the project folder and its state for ``target``.

        Raises:
            InputError: the folder already holds a project of another target or name.
        """
        if self.store.exists():
            state = self.store.load()
            if state.target != target.name or state.name != name:
                raise InputError(
                    f"{self.store.ref} already holds project {state.name!r} of target "
                    f"{state.target!r}",
                    "choose another NAME or --out folder",
                )
            self.update_inputs(state, inputs)
            return state
        self.project_dir.mkdir(parents=True, exist_ok=True)
        state = State(name=name, target=target.name, inputs=inputs)
        for step in STEPS:
            if step not in target.steps:
                state.step(step).status = "skipped"
                state.step(step).skip_reason = f"target {target.name} has no {step.value} step"
        self.store.save(state)
        self.store.event("project_created", name=name, target=target.name, inputs=inputs)
        return state

    def update_inputs(self, state: State, inputs: dict[str, Any]) -> list[str]:
        """Take the inputs of a re-run: those given that differ from the state's replace them,
        and the earliest step that read a changed input when it ran goes back to pending with
        every later step (an input no step read yet is simply replaced). Inputs not given are
        kept. Says what changed through the reporter and returns those lines.
        """
        from connector_factory.inputs import flag

        changed = [key for key, value in inputs.items() if state.inputs.get(key) != value]
        if not changed:
            return []
        lines = []
        for key in changed:
            old = state.inputs.get(key)
            lines.append(f"input {flag(key)} changed: {_shown(old)} → {_shown(inputs[key])}"
                         if old is not None else f"input {flag(key)} set: {_shown(inputs[key])}")
        state.inputs.update({key: inputs[key] for key in changed})
        redo = self._first_reader(state, set(changed))
        if redo is None:
            lines.append("no step has read it yet; nothing to redo")
        else:
            step, keys = redo
            names = ", ".join(flag(k) for k in keys)
            lines.append(f"{step.command} read {names}: it and every later step go back to "
                         "pending")
            for later in STEPS[STEPS.index(step):]:
                info = state.step(later)
                if info.status != "skipped":
                    info.status, info.gate = "pending", None
                    info.message = f"to redo: {names} changed"
        self.store.save(state)
        self.store.event("inputs_changed", changed=changed,
                         redo=redo[0].value if redo else None)
        for line in lines:
            self.reporter.info(line)
        return lines

    @staticmethod
    def _first_reader(state: State, changed: set[str]) -> tuple[Step, list[str]] | None:
        for step in STEPS:
            info = state.step(step)
            if info.status in ("pending", "skipped"):
                continue
            read = set(info.inputs_read) if info.inputs_read is not None else changed
            if read & changed:
                return step, sorted(read & changed)
        return None

    def load(self) -> State:
        """The project's state (see :meth:`StateStore.load` for errors)."""
        return self.store.load()

    def stale_steps(self, state: State) -> dict[Step, list[str]]:
        """Completed steps whose outputs changed on disk since they ran, with those paths."""
        stale: dict[Step, list[str]] = {}
        for step in STEPS:
            if state.step(step).status == "completed":
                paths = state.stale_outputs(step, self.project_dir)
                if paths:
                    stale[step] = paths
        return stale

    def next_step(self, state: State) -> Step | None:
        """The first step that is neither skipped nor completed with its gate approved."""
        for step in STEPS:
            info = state.step(step)
            if info.status == "skipped":
                continue
            if info.status == "completed" and info.gate in (None, "approved"):
                continue
            return step
        return None

    # -- running ---------------------------------------------------------------------------

    def run(self, from_step: Step | None = None, only: Step | None = None) -> State:
        """Run the pipeline and return the final state.

        Without arguments, continues from :meth:`next_step` to the end. ``from_step`` marks that
        step and every later one pending first (``cf new --from``). ``only`` runs that one step
        (and its gate), after checking every earlier step is done.

        Raises:
            StepFailed: a step failed or a check failed (exit 1).
            GateDeclined: a gate was not approved (exit 1).
            InputError: bad usage, e.g. running a step whose predecessors are not done.
        """
        state = self.load()
        self._accept_edits(state)
        if only is not None:
            start = self._require_done_before(state, only, redo=True)
            return self._run_from(state, start, stop_after=only)
        if from_step is not None:
            self._require_done_before(state, from_step)
            for step in STEPS[STEPS.index(from_step):]:
                if state.step(step).status != "skipped":
                    state.step(step).status = "pending"
                    state.step(step).gate = None
            self.store.save(state)
        first = self.next_step(state)
        if first is None:
            self.reporter.info("every step is done; nothing to run")
            return state
        return self._run_from(state, first, stop_after=None)

    def skip(self, step: Step, why: str) -> State:
        """Record ``step`` as skipped with the reason ``why`` (``cf skip``).

        Raises:
            InputError: ``why`` is empty, or the step is the test gate (a hard gate is never
                skipped).
        """
        if not why.strip():
            raise InputError(f"skipping {step.command} needs a reason", 'pass --why "…"')
        if step is Step.test_gate:
            raise InputError("the test gate cannot be skipped",
                             "make the tests pass, or fix the step before it")
        state = self.load()
        info = state.step(step)
        info.status = "skipped"
        info.skip_reason = why.strip()
        info.gate = None
        self.store.save(state)
        self.store.event("step_skipped", step=step.value, why=why.strip())
        return state

    def resolve_conflicts(self, files: list[str] | None, take_new: bool) -> list[str]:
        """Resolve unresolved merges (``cf merge`` with ``take_new``, ``cf discard`` without):
        each ``<file>.cf-new`` replaces ``<file>``, or is deleted. ``files`` (relative to the
        project, with or without the suffix) pick some; ``None`` takes all. Returns one line
        per file.

        Raises:
            InputError: nothing to resolve, or a file that has no unresolved merge.
        """
        from connector_factory.files import CONFLICT_SUFFIX

        state = self.load()
        open_ = state.open_conflicts(self.project_dir)
        if not open_:
            raise InputError(f"{self.project_dir} has no unresolved merge (*{CONFLICT_SUFFIX})",
                             "nothing to do; `cf status` shows the steps")
        chosen = open_
        if files:
            wanted = [f.removesuffix(CONFLICT_SUFFIX).replace("\\", "/") for f in files]
            unknown = [f for f in wanted if f not in open_]
            if unknown:
                raise InputError(f"{unknown[0]} has no unresolved merge",
                                 "pick from: " + ", ".join(open_))
            chosen = wanted
        lines = []
        for rel in chosen:
            new = self.project_dir / (rel + CONFLICT_SUFFIX)
            if take_new:
                os.replace(new, self.project_dir / rel)
                lines.append(f"merged: {rel} now holds the new version")
            else:
                new.unlink()
                lines.append(f"discarded: the new version of {rel}; yours is kept")
            state.conflicts.pop(rel, None)
        self.store.save(state)
        self.store.event("conflicts_resolved", paths=chosen, how="merge" if take_new
                         else "discard")
        lines.append("run `cf resume` to go on")
        return lines

    def skip_part(self, name: str, why: str) -> str:
        """Skip ``name``: a step (see :meth:`skip`), else a blocked check of this project (it
        counts as skipped, with the reason, from the next run on), else a part of the target
        that its plugin knows (``cf_skip_part``, e.g. an optional phase). Returns what was
        recorded.

        Raises:
            InputError: ``why`` is empty; or ``name`` is neither a step, a blocked check nor a
                part any plugin knows (the message lists the steps).
        """
        if not why.strip():
            raise InputError(f"skipping {name} needs a reason", 'pass --why "…"')
        try:
            step = parse_step(name)
        except InputError as unknown:
            state = self.load()
            blocked = {c.get("name") for s in STEPS for c in state.step(s).checks
                       if c.get("status") == "blocked"}
            if name in blocked:
                state.skipped_checks[name] = why.strip()
                self.store.save(state)
                self.store.event("check_skipped", check=name, why=why.strip())
                return (f"skipped check {name}: {why.strip()} (run `cf resume` to go on)")
            ctx = self.context(state, self.next_step(state) or STEPS[-1])
            pairs = call_step_hook(self.plugins.manager, "cf_skip_part", True, ctx=ctx,
                                   name=name, why=why.strip())
            if not pairs:
                raise unknown
            plugin, result = pairs[0]
            summary = result.summary if isinstance(result, StepResult) else str(result)
            self.store.event("part_skipped", part=name, why=why.strip(), plugin=plugin)
            return summary or f"skipped {name}: {why.strip()}"
        self.skip(step, why)
        return f"skipped {step.command}: {why.strip()}"

    def _accept_edits(self, state: State) -> None:
        """Completed steps whose outputs a person edited since they ran: the edit is kept and
        recorded as the step's output, and every later step goes back to pending, so the edited
        files are validated and tested again."""
        for step, paths in self.stale_steps(state).items():
            shown = ", ".join(paths[:5]) + (" …" if len(paths) > 5 else "")
            info = state.step(step)
            records = []
            for record in info.outputs:
                path = self.project_dir / record.path
                if path.is_file():
                    records.append(OutputRecord(path=record.path, sha256=sha256_file(path)))
            info.outputs = records
            redo = self._invalidate_after(state, step, f"{step.command}'s outputs were edited")
            self.reporter.warn(
                f"{step.command}'s outputs changed since it ran: {shown} (kept as they are; "
                + (f"{', '.join(s.command for s in redo)} will run again)" if redo
                   else "nothing after it had run)"))
            self.store.save(state)
            self.store.event("outputs_edited", step=step.value, paths=paths,
                             redo=[s.value for s in redo])

    def _require_done_before(self, state: State, step: Step, redo: bool = False) -> Step:
        """Every step before ``step`` is skipped, or completed with its gate approved; a gate
        still pending (or declined) is asked now (``--yes`` approves it and says so).

        With ``redo``, earlier steps that ran before but are pending or failed again (an edit or
        a changed input invalidated them) are not an error: the first of them is returned, to
        run from there up to ``step``. Otherwise returns ``step``.

        Raises:
            InputError: an earlier step never ran (or, without ``redo``, is not completed).
            GateDeclined: an earlier gate is not approved.
        """
        for earlier in STEPS[: STEPS.index(step)]:
            info = state.step(earlier)
            if info.status == "skipped":
                continue
            if info.status != "completed":
                if redo and info.started_at is not None:
                    why = info.message or info.status
                    self.reporter.info(f"{earlier.command} is out of date ({why}); running it "
                                       "first")
                    return earlier
                raise InputError(
                    f"step {earlier.command} is {info.status}; {step.command} needs it done "
                    "first", f"run `cf {earlier.command}` or `cf resume`",
                )
            if info.gate in ("pending", "declined"):
                self._gate(state, earlier, _result_from_state(info))
        return step

    def _require_unblocked(self, state: State, step: Step) -> None:
        """Raise :class:`StepFailed` when ``step`` wrote files whose new version still waits
        beside a person's edit (``*.cf-new``); forget the merges already resolved."""
        resolved = [path for path, owner in state.conflicts.items()
                    if path not in state.open_conflicts(self.project_dir, owner)]
        for path in resolved:
            del state.conflicts[path]
        if resolved:
            self.store.save(state)
            self.store.event("conflicts_resolved", paths=resolved)
        open_ = state.open_conflicts(self.project_dir, step)
        if open_:
            from connector_factory.files import CONFLICT_SUFFIX

            shown = ", ".join(p + CONFLICT_SUFFIX for p in open_[:5])
            more = f" (+{len(open_) - 5} more)" if len(open_) > 5 else ""
            raise StepFailed(
                f"{step.command} is blocked: {len(open_)} unresolved merge(s): {shown}{more}",
                "take the new versions with `cf merge`, keep yours with `cf discard` (or merge "
                "by hand and delete the .cf-new files), then run `cf resume`",
            )

    def _run_from(self, state: State, start: Step, stop_after: Step | None) -> State:
        for step in STEPS[STEPS.index(start):]:
            info = state.step(step)
            if info.status == "skipped" and step is not stop_after:
                continue
            done = info.status == "completed" and info.gate in (None, "approved")
            if done and step not in (start, stop_after):
                continue
            self._require_unblocked(state, step)
            if not (info.status == "completed" and info.gate in ("pending", "declined")):
                result = self._run_step(state, step)
            else:
                result = _result_from_state(info)
            if step in GATED_STEPS:
                self._gate(state, step, result)
            else:
                self.show_summary(step, result)
            if step is stop_after:
                break
        return state

    def context(self, state: State, step: Step) -> StepContext:
        """The :class:`StepContext` handed to hook impls for ``step`` of this project."""
        from connector_factory.inputs import secret_inputs

        try:
            target = self.plugins.target(state.target)
        except CfError:
            target = None
        return StepContext(
            target=state.target, step=step, project_dir=self.project_dir, state=state,
            inputs=ReadTracker({**state.inputs, **secret_inputs(target)}), llm=self.llm,
            reporter=self.reporter, interactive=self.interactive,
        )

    def _run_step(self, state: State, step: Step) -> StepResult:
        info = state.step(step)
        before = {o.path: o.sha256 for o in info.outputs}
        ran_before = info.status in ("completed", "failed")
        info.status = "in_progress"
        info.started_at = utc_now()
        info.finished_at = None
        info.message = ""
        info.skip_reason = None
        self.store.save(state)
        self.store.event("step_started", step=step.value)
        began = time.monotonic()
        ctx = self.context(state, step)
        try:
            try:
                with self._waiting(step):
                    result = self._call(ctx)
            finally:
                self._note_conflicts(state, step, ctx)
            result = self._scanned(ctx, result)
        except CfError as exc:
            info.inputs_read = list(ctx.inputs.read) if isinstance(ctx.inputs, ReadTracker) \
                else None
            message = _redactor(self.project_dir).text(exc.one_line())
            self._finish(state, step, began, "failed", message)
            self._invalidate_after(state, step, f"{step.command} failed")
            raise
        except KeyboardInterrupt:
            self._finish(state, step, began, "failed", "interrupted")
            raise
        info.inputs_read = list(ctx.inputs.read) if isinstance(ctx.inputs, ReadTracker) else None
        result = self._apply_check_skips(state, result)
        self._record(state, step, result)
        failed = [c for c in result.checks if c.status == "failed"]
        blocked = [c for c in result.checks if c.status == "blocked"]
        if result.status != "completed" or failed or blocked:
            message = _failure_line(step, result, failed, blocked)
            self._finish(state, step, began, "failed", message)
            self._invalidate_after(state, step, f"{step.command} failed")
            self.show_summary(step, result)
            raise StepFailed(message, _failure_fix(step, result, blocked))
        self._finish(state, step, began, "completed", "")
        after = {o.path: o.sha256 for o in info.outputs}
        if ran_before and after != before:
            changed = sorted(p for p in before.keys() | after.keys()
                             if before.get(p) != after.get(p))
            redo = self._invalidate_after(state, step, f"{step.command}'s outputs changed")
            if redo:
                self.reporter.info(
                    f"{step.command} changed {', '.join(changed[:5])}"
                    f"{' …' if len(changed) > 5 else ''}: "
                    f"{', '.join(s.command for s in redo)} will run again")
        return result

    def _waiting(self, step: Step) -> AbstractContextManager[object]:
        """A spinner (a plain line after a second without a terminal) while a step that runs
        checks, tests or builds works; steps that may ask questions get none (a live display
        would garble the prompt)."""
        if step in WAITING_STEPS:
            return self.reporter.progress(f"{step.command}: running")
        return nullcontext()

    def _note_conflicts(self, state: State, step: Step, ctx: StepContext) -> None:
        """Remember the ``*.cf-new`` files the step's writers left, so the step stays blocked
        until each is merged or discarded (even if the step is run again)."""
        found = [path for writer in ctx.writers for path in writer.conflicts]
        for path in found:
            state.conflicts[path] = step
        if found:
            self.store.save(state)
            self.store.event("conflicts", step=step.value, paths=found)

    def _scanned(self, ctx: StepContext, result: StepResult) -> StepResult:
        """``result`` with secrets masked in its text, after the secret scan of its output
        files (see :mod:`connector_factory.secret_scan`); a hit fails the step."""
        from connector_factory.secret_scan import require_clean

        masked = _redacted(result, _redactor(self.project_dir))
        require_clean(self.project_dir, [self.project_dir / p for p in result.outputs],
                      what=f"{ctx.step.command}'s outputs", secrets=self.secrets(ctx))
        return masked

    def secrets(self, ctx: StepContext) -> list[str]:
        """The values the secret scan looks for in this project (see
        :func:`~connector_factory.agent.transcript.scan_secrets`): its ``dev_config.json``
        secrets (secret-looking keys and the connection form's secret parameters), secret-named
        environment variables and the target's secret inputs."""
        from connector_factory.agent.transcript import scan_secrets
        from connector_factory.models import ConnectionForm

        names: list[str] = []
        try:  # a context of its own: what the form reads is not what the step read
            pairs = call_step_hook(self.plugins.manager, "cf_connection_form", True,
                                   ctx=self.context(ctx.state, ctx.step))
        except CfError:
            pairs = []
        for _, form in pairs:
            if isinstance(form, ConnectionForm):
                names += [p.name for p in form.parameters if p.secret]
        extra = [v for k, v in dict.items(ctx.inputs)  # not a read: bypass ReadTracker
                 if k not in ctx.state.inputs and isinstance(v, str)]
        return scan_secrets(self.project_dir, extra=extra, secret_names=names)

    def _apply_check_skips(self, state: State, result: StepResult) -> StepResult:
        """Blocked checks the user skipped with a reason become ``skipped`` (with it)."""
        if not state.skipped_checks:
            return result
        checks = []
        for check in result.checks:
            why = state.skipped_checks.get(check.name)
            if check.status == "blocked" and why is not None:
                check = check.model_copy(update={"status": "skipped",
                                                 "message": f"skipped: {why} ({check.message})"})
            checks.append(check)
        update: dict[str, Any] = {"checks": checks}
        if result.status == "blocked" and not any(c.status == "blocked" for c in checks) \
                and any(c.status == "skipped" for c in checks):
            update["status"] = "completed"
        return result.model_copy(update=update)

    def _invalidate_after(self, state: State, step: Step, why: str) -> list[Step]:
        """Later steps that ran (completed or failed) rest on a result that no longer holds:
        they go back to pending (``cf resume`` redoes them). Returns those steps."""
        redo = []
        for later in STEPS[STEPS.index(step) + 1:]:
            info = state.step(later)
            if info.status in ("completed", "failed"):
                info.status = "pending"
                info.gate = None
                info.message = f"to redo: {why}"
                redo.append(later)
                self.store.event("step_invalidated", step=later.value, by=step.value, why=why)
        if redo:
            self.store.save(state)
        return redo

    def _call(self, ctx: StepContext) -> StepResult:
        state, step = ctx.state, ctx.step
        collecting = step in COLLECTING_STEPS
        pairs = call_step_hook(self.plugins.manager, step.hook_name, not collecting, ctx=ctx)
        for plugin, result in pairs:
            if not isinstance(result, StepResult):
                raise StepFailed(
                    f"plugin {plugin!r} returned {type(result).__name__} from {step.hook_name}",
                    "a step hook must return connector_factory.models.StepResult or None",
                )
        if not pairs:
            raise StepFailed(
                f"no plugin implements {step.hook_name} for target {state.target!r}",
                f"install the plugin of {state.target!r} or `cf skip {step.command} --why …`",
            )
        if not collecting:
            first: StepResult = pairs[0][1]
            return first
        merged = StepResult(summary="\n".join(r.summary for _, r in pairs if r.summary))
        for plugin, result in pairs:
            merged.outputs.extend(result.outputs)
            merged.details.update(result.details)
            merged.checks.extend(c.model_copy(update={"plugin": c.plugin or plugin})
                                 for c in result.checks)
            for key, value in result.usage.items():
                merged.usage[key] = merged.usage.get(key, 0.0) + value
            if result.status != "completed" and merged.status == "completed":
                merged.status = result.status
        return merged

    def _record(self, state: State, step: Step, result: StepResult) -> None:
        info = state.step(step)
        outputs = []
        for rel in dict.fromkeys(result.outputs):
            path = self.project_dir / rel
            if not path.is_file():
                raise StepFailed(f"{step.hook_name} reported output {rel} but it does not exist",
                                 "report the plugin that implements the step")
            outputs.append(OutputRecord(path=rel, sha256=sha256_file(path)))
        info.outputs = outputs
        info.summary = result.summary
        info.details = result.details
        info.checks = [c.model_dump() for c in result.checks]
        for key, value in result.usage.items():
            info.usage[key] = info.usage.get(key, 0.0) + value

    def _finish(self, state: State, step: Step, began: float, status: str, message: str) -> None:
        info = state.step(step)
        info.status = "completed" if status == "completed" else "failed"
        info.finished_at = utc_now()
        info.duration_s = round(time.monotonic() - began, 3)
        info.message = message
        info.gate = "pending" if status == "completed" and step in GATED_STEPS else None
        self.store.save(state)
        self.store.event(f"step_{info.status}", step=step.value, duration_s=info.duration_s,
                         message=message, outputs=[o.path for o in info.outputs])

    def _gate(self, state: State, step: Step, result: StepResult) -> None:
        self.show_summary(step, result)
        info = state.step(step)
        if self.assume_yes:
            approved, how = True, "--yes"
            self.reporter.info(f"gate after {step.command} approved by --yes")
        elif not self.interactive:
            self.store.event("gate_waiting", step=step.value)
            raise GateDeclined(
                f"the gate after {step.command} needs approval and there is no terminal to ask",
                "re-run with --yes to approve, or run `cf resume` in a terminal",
            )
        else:
            approved, how = self.confirm(step, result), "prompt"
        info.gate = "approved" if approved else "declined"
        self.store.save(state)
        self.store.event(f"gate_{info.gate}", step=step.value, how=how)
        if not approved:
            raise GateDeclined(f"stopped at the gate after {step.command}",
                               "run `cf resume` when ready to go on")


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _result_from_state(info: Any) -> StepResult:
    return StepResult(summary=info.summary, outputs=[o.path for o in info.outputs],
                      details=info.details,
                      checks=[CheckResult.model_validate(c) for c in info.checks])


def _redactor(project_dir: Path) -> Any:
    from connector_factory.agent.transcript import Redactor, collect_secrets

    return Redactor(collect_secrets(project_dir))


def _redacted(result: StepResult, redactor: Any) -> StepResult:
    """``result`` with the project's secrets (its ``dev_config.json`` values, secret-named
    environment variables) masked in the summary, details and checks, before anything shows or
    stores it; plugins may quote a test's failure, and that may quote a credential."""
    return result.model_copy(update={
        "summary": redactor.text(result.summary),
        "details": redactor.data(result.details),
        "checks": [CheckResult.model_validate(redactor.data(c.model_dump()))
                   for c in result.checks],
    })


def _failure_line(step: Step, result: StepResult, failed: list[CheckResult],
                  blocked: list[CheckResult]) -> str:
    if failed:
        names = [name for c in failed for name in (c.failures or [c.name])]
        shown = ", ".join(names[:10]) + (f" (+{len(names) - 10} more)" if len(names) > 10 else "")
        return f"{step.command} failed: {shown}"
    if blocked:
        return f"{step.command} blocked: " + "; ".join(
            f"{c.name}: {c.message}" if c.message else c.name for c in blocked)
    first = result.summary.strip().splitlines()[0] if result.summary.strip() else ""
    return f"{step.command} {result.status}: {first}".rstrip(": ")


def _failure_fix(step: Step, result: StepResult, blocked: list[CheckResult]) -> str:
    if blocked:
        names = " ".join(f'`cf skip "{c.name}" --why "…"`' for c in blocked)
        return (f"do what the message says to unblock it, then run `cf {step.command}`; or "
                f"skip the check with a reason: {names}")
    if result.status == "blocked":
        return f"resolve what blocks it, then run `cf {step.command}` again"
    return f"fix what failed, then run `cf {step.command}` or `cf resume`"
