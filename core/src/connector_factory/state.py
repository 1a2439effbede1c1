"""Project state: ``<project>/.cf/state.json`` and the event log ``<project>/.cf/events.jsonl``.

The state is a schema-versioned :mod:`msgspec` struct (validated when read; msgspec imports in
about 10 ms, where pydantic and the models cost ``cf status`` 0.17 s), written atomically (temp
file in the same folder, fsync, rename, fsync of the folder), so a run killed mid-write leaves
the previous state readable.
Every status change is also appended, one JSON object per line, to the event log, which is never
rewritten.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import msgspec

from connector_factory.errors import InputError
from connector_factory.steps import STEPS, Step

#: Version of the state file layout; bumped on incompatible changes.
SCHEMA_VERSION = 1
STATE_DIR = ".cf"
STATE_FILE = "state.json"
#: Folder in ``.cf/`` holding the state of further projects that share a folder (a checkout):
#: ``<folder>/.cf/projects/<name>/state.json``.
PROJECTS_DIR = "projects"


def locate(project: Path) -> tuple[Path, Path]:
    """``(work folder, state folder)`` for what ``--project`` names: a project folder (state in
    its ``.cf/``), or the state folder ``<folder>/.cf/projects/<name>`` of a further project in
    a shared folder (its files are written into ``<folder>``)."""
    if (project / STATE_FILE).is_file() and project.parent.name == PROJECTS_DIR \
            and project.parent.parent.name == STATE_DIR:
        return project.parent.parent.parent, project
    return project, project / STATE_DIR
EVENTS_FILE = "events.jsonl"

StepStatus = Literal["pending", "in_progress", "completed", "failed", "skipped"]
GateStatus = Literal["approved", "declined", "pending"]


def utc_now() -> str:
    """The current time as ISO 8601 UTC with seconds, e.g. ``2026-11-22T10:00:00Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes. Raises ``OSError`` when it cannot be read."""
    import hashlib  # here: its OpenSSL binding costs `cf status` 5 ms when no output is checked

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


class OutputRecord(msgspec.Struct):
    """A file a step wrote: path relative to the project, and its sha256 when written."""

    path: str
    sha256: str


class StepState(msgspec.Struct, kw_only=True):
    """What the state knows of one step.

    ``duration_s`` is wall time in seconds of the last run. ``gate`` is ``None`` for ungated
    steps. ``usage`` sums LLM token counts (input, cache_read, cache_write, output) and
    ``cost_usd``.
    """

    status: StepStatus = "pending"
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    outputs: list[OutputRecord] = msgspec.field(default_factory=list)
    summary: str = ""
    message: str = ""
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    checks: list[dict[str, Any]] = msgspec.field(default_factory=list)
    gate: GateStatus | None = None
    skip_reason: str | None = None
    usage: dict[str, float] = msgspec.field(default_factory=dict)
    #: Names of the inputs the step read when it last ran; ``None`` when unknown (a state
    #: written before reads were tracked), which counts as having read every input.
    inputs_read: list[str] | None = None


class State(msgspec.Struct, kw_only=True):
    """The whole state of one project.

    ``inputs`` are the options the run was started with (never secrets). ``generated`` maps each
    file the core wrote for a plugin (relative path) to the sha256 it had then, so a later render
    can tell a user's edit from its own output.
    """

    schema_version: int = SCHEMA_VERSION
    name: str
    target: str
    created_at: str = msgspec.field(default_factory=utc_now)
    inputs: dict[str, Any] = msgspec.field(default_factory=dict)
    steps: dict[Step, StepState] = msgspec.field(
        default_factory=lambda: {step: StepState() for step in STEPS}
    )
    generated: dict[str, str] = msgspec.field(default_factory=dict)
    #: Unresolved merges: relative path of a generated file whose new version waits beside it
    #: as ``<path>.cf-new`` -> the step that wrote it. The step is blocked until each is merged
    #: or discarded (``cf merge``, ``cf discard``, or deleting the ``.cf-new`` file).
    conflicts: dict[str, Step] = msgspec.field(default_factory=dict)
    #: Blocked checks the user chose to skip (``cf skip CHECK --why …``): check name -> reason.
    skipped_checks: dict[str, str] = msgspec.field(default_factory=dict)

    def open_conflicts(self, project_dir: Path, step: Step | None = None) -> list[str]:
        """Relative paths whose ``.cf-new`` file still exists (of ``step``, or of any step)."""
        from connector_factory.files import CONFLICT_SUFFIX

        return [path for path, owner in self.conflicts.items()
                if (step is None or owner == step)
                and (project_dir / (path + CONFLICT_SUFFIX)).is_file()]

    def step(self, step: Step) -> StepState:
        """The state of ``step`` (created pending if the file predates it)."""
        return self.steps.setdefault(step, StepState())

    def stale_outputs(self, step: Step, project_dir: Path) -> list[str]:
        """Outputs of a completed ``step`` whose content changed or vanished since it ran."""
        stale = []
        for record in self.step(step).outputs:
            path = project_dir / record.path
            try:
                changed = sha256_file(path) != record.sha256
            except OSError:
                changed = True
            if changed:
                stale.append(record.path)
        return stale


def _as_json(value: Any) -> Any:
    """What a plugin's value in ``details``/``inputs`` that JSON has no type for is stored as:
    a path as its text, a pydantic model as its JSON dump (as pydantic's ``model_dump_json``
    wrote them before the state moved to msgspec).

    Raises:
        TypeError: any other type (msgspec's own cover str, numbers, lists, dicts, tuples, sets,
            dates, enums, dataclasses).
    """
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"a {type(value).__name__} cannot be kept in the project state")


def _invalid_field(exc: msgspec.ValidationError) -> tuple[str, str]:
    """``(where, message)`` of msgspec's error, whose text reads ``"Expected `str`, got `int` -
    at `$.steps[...].status`"`` → ``("steps[...].status", "Expected `str`, got `int`")``
    (``(top level)`` when it names no field)."""
    message, _, where = str(exc).partition(" - at ")
    return where.replace("`", "").replace("$.", "").replace("$", "") or "(top level)", message


class StateStore:
    """Reads and writes one project's state and event log.

    Args:
        project_dir: the project folder (where its files are written).
        state_dir: where its state lives; default ``project_dir/.cf/``.
    """

    def __init__(self, project_dir: Path, state_dir: Path | None = None) -> None:
        self.project_dir = project_dir
        self.dir = state_dir if state_dir is not None else project_dir / STATE_DIR
        self.path = self.dir / STATE_FILE
        self.events_path = self.dir / EVENTS_FILE

    @classmethod
    def at(cls, project: Path) -> StateStore:
        """The store of what ``--project`` names (see :func:`locate`)."""
        return cls(*locate(project))

    @property
    def ref(self) -> Path:
        """What to pass as ``--project`` for this project: its folder, or its state folder
        for a further project in a shared folder."""
        return self.project_dir if self.dir == self.project_dir / STATE_DIR else self.dir

    def further(self, name: str) -> StateStore:
        """The store of the further project ``name`` sharing this folder."""
        return StateStore(self.project_dir, self.project_dir / STATE_DIR / PROJECTS_DIR / name)

    def exists(self) -> bool:
        """Whether the project has a state file."""
        return self.path.is_file()

    def load(self) -> State:
        """Read the state.

        Raises:
            InputError: no state file (not a project), unreadable JSON, or a schema version this
                core does not know.
        """
        if not self.path.is_file():
            raise InputError(
                f"{self.project_dir} is not a Connector Factory project "
                f"(no {STATE_DIR}/{STATE_FILE})",
                "run `cf new --target TARGET NAME` first, or pass --project DIR",
            )
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(
                f"cannot read {self.path}: {exc}",
                "restore it from version control or remove .cf/ and start again",
            ) from exc
        version = raw.get("schema_version") if isinstance(raw, dict) else None
        if version != SCHEMA_VERSION:
            raise InputError(
                f"{self.path} has schema version {version!r}; this cf reads {SCHEMA_VERSION}",
                "use the cf version that created the project",
            )
        try:
            return msgspec.convert(raw, State)
        except msgspec.ValidationError as exc:
            where, message = _invalid_field(exc)
            raise InputError(
                f"{self.path} is invalid at {where}: {message}",
                "restore it from version control or remove .cf/ and start again",
            ) from exc

    def save(self, state: State) -> None:
        """Write the state atomically: temp file + fsync + rename + fsync of the folder."""
        self.dir.mkdir(parents=True, exist_ok=True)
        data = msgspec.json.format(msgspec.json.encode(state, enc_hook=_as_json), indent=2)
        import tempfile

        fd, tmp_name = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def event(self, kind: str, **fields: Any) -> None:
        """Append one event ``{"at": …, "event": kind, **fields}`` to the event log."""
        self.dir.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": utc_now(), "event": kind, **fields}, sort_keys=True, default=str)
        with self.events_path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def events(self) -> list[dict[str, Any]]:
        """All events, oldest first (an empty list when there is no log yet)."""
        if not self.events_path.is_file():
            return []
        lines = self.events_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
