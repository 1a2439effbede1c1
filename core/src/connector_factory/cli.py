"""The ``cf`` command (typer, rich output).

Start-up stays light: this module imports typer only; plugins, pydantic models, rich tables,
cookiecutter and ``anthropic`` are imported inside the commands that need them, so ``cf --help``
loads none of them. Exit codes: 0 success, 1 a gate, step or test failed, 2 bad usage or input.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from connector_factory.models import Step, StepResult
    from connector_factory.pipeline import Pipeline


def _bool_help(option: Any) -> Any:
    """``option`` (a ``--help`` option) defaulting to ``False`` instead of ``None``: typer 0.29
    coerces a ``None`` flag value through a pydantic ``TypeAdapter`` (``typer._coercion.
    build_runtime_param``), importing pydantic — 0.13 s CPU — in a command that needs none."""
    if option is not None:
        option.default = False
    return option


class _Group(TyperGroup):
    """The ``cf`` group, its ``--help`` a plain bool (see :func:`_bool_help`)."""

    def get_help_option(self, ctx: Any) -> Any:
        return _bool_help(super().get_help_option(ctx))


#: Option types :func:`_plain_coercion` coerces itself: type -> how a parsed value becomes it.
_PLAIN_TYPES: dict[Any, Callable[[Any], Any]] = {
    str: str, Path: Path, list[str]: lambda items: [str(item) for item in items],
}


@functools.cache
def _plain_param_class() -> type | None:
    """The one ``RuntimeParam`` subclass :func:`_plain_coercion` uses (it coerces through
    :data:`_PLAIN_TYPES`), or ``None`` for a typer without ``typer._coercion``."""
    try:
        from typer._coercion import RuntimeParam
    except ImportError:  # another typer: its own coercion runs
        return None

    class _Plain(RuntimeParam):  # a frozen dataclass of typer's
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            return _PLAIN_TYPES[self.annotation](value)

    return _Plain


def _plain_coercion(param: Any) -> None:
    """Give a ``str``, ``Path`` or ``list[str]`` option (``Optional`` ones included: typer
    strips ``Optional``) of ``param`` the coercion typer's pydantic ``TypeAdapter`` gives an
    option without constraints, without importing typer's adapters (30–40 ms even once pydantic
    is loaded; typer 0.29 ``typer/core.py`` ``_TyperParameter.get_runtime_param`` builds them
    lazily). An option with constraints, of another type, or another typer keeps typer's own."""
    plain = _plain_param_class()
    descriptor: Any = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    info = getattr(descriptor, "parameter_info", None)
    if plain is None or getattr(param, "_runtime_param", False) is not None \
            or annotation not in _PLAIN_TYPES \
            or getattr(descriptor, "file_annotation", None) is not None \
            or any(getattr(info, name, None) for name in ("parser", "exists", "resolve_path",
                                                          "callback", "min", "max")):
        return
    param._runtime_param = plain(parameter_info=info, annotation=annotation)


class _Command(TyperCommand):
    """Every ``cf`` command: its ``--help`` is a plain bool (see :func:`_bool_help`) and its
    ``str``/``Path``/``list[str]`` options are coerced without typer's pydantic adapters (see
    :func:`_plain_coercion`), so ``cf targets`` and ``cf status`` import no pydantic at all."""

    def get_help_option(self, ctx: Any) -> Any:
        return _bool_help(super().get_help_option(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for param in self.params:
            _plain_coercion(param)
        return list(super().parse_args(ctx, args))


app = typer.Typer(
    cls=_Group,
    name="cf",
    help="Connector Factory: build data connectors end to end "
    "(plan → research → scaffold → validate → test gate → document → deploy).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: no `<bool>` metavar on flags, fits any width
)

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", metavar="DIR",
                                          help="Project folder (holds .cf/).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Approve every gate without asking.")]


def _interactive() -> bool:
    """Whether a person can answer: stdin is a TTY, or ``CF_INTERACTIVE=1`` says so."""
    forced = os.environ.get("CF_INTERACTIVE")
    if forced is not None:
        return forced == "1"
    return sys.stdin.isatty()


#: The project folder of the running command, once known: fix lines name it.
_PROJECT: list[Path] = []
#: Set by :func:`main` (a real ``cf`` process): locked commands start the child reaper.
_REAL_PROCESS: list[bool] = []
#: Commands that act on a project (their fix lines need ``--project DIR`` elsewhere).
_PROJECT_COMMANDS = ("plan", "research", "scaffold", "validate", "test-gate", "document",
                     "deploy", "resume", "skip", "status", "credentials", "merge", "discard")


def with_project(text: str, project: Path | None, cwd: Path | None = None) -> str:
    """``text`` with ``--project DIR`` added to every quoted `` `cf COMMAND …` `` that acts on
    a project and does not name one, when the project is not the working folder, so a fix line
    can be pasted where the user stands. ``DIR`` is relative to ``cwd`` when inside it."""
    import re
    import shlex

    if project is None:
        return text
    here = (cwd or Path.cwd()).resolve()
    where = project.resolve()
    if where == here:
        return text
    shown = where.relative_to(here).as_posix() if here in where.parents else str(where)

    def add(match: re.Match[str]) -> str:
        command, rest = match.group(1), match.group(2)
        if command not in _PROJECT_COMMANDS or re.search(r"(^|\s)(--project|-p)\b", rest):
            return match.group(0)
        return f"`cf {command}{rest} --project {shlex.quote(shown)}`"

    return re.sub(r"`cf ([a-z-]+)([^`]*)`", add, text)


def _fail(exc: Exception) -> typer.Exit:
    from connector_factory.errors import EXIT_GATE, CfError, os_error

    if isinstance(exc, OSError):
        exc = os_error(exc)
    project = _PROJECT[-1] if _PROJECT else None
    if isinstance(exc, CfError):
        typer.echo(f"error: {with_project(exc.one_line(), project)}", err=True)
        return typer.Exit(exc.exit_code)
    typer.echo(f"error: internal error {type(exc).__name__}: {exc} — fix: report this bug "
               "(set CF_DEBUG=1 for the traceback)", err=True)
    return typer.Exit(EXIT_GATE)


def _guarded(work: Callable[[], None], project: Path | None = None) -> None:
    """Run ``work`` (on ``project`` when known); turn errors into one line and the right exit
    code: a :class:`CfError`'s own, 2 for an operating-system error, 1 for a bug."""
    from connector_factory.errors import CfError

    _PROJECT[:] = [project] if project is not None else []
    try:
        work()
    except BrokenPipeError:  # `cf targets | head`: the reader is gone, nothing more to say
        # as the Python docs advise (library/signal, "Note on SIGPIPE"): no flush error at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(1) from None
    except (CfError, OSError) as exc:
        if os.environ.get("CF_DEBUG") == "1":
            raise
        raise _fail(exc) from None
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        fix = with_project("`cf resume`", _PROJECT[-1] if _PROJECT else None)
        typer.echo(f"error: interrupted — fix: run {fix} to continue; the state is kept",
                   err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # never a traceback for the user unless CF_DEBUG=1
        if os.environ.get("CF_DEBUG") == "1":
            raise
        raise _fail(exc) from None


@contextmanager
def _locked(project: Path) -> Iterator[None]:
    """Hold the project's lock (exit 2 naming the holder's PID when another run has it),
    remove what a killed run left, and in a real process start the child reaper."""
    from connector_factory.lock import clean_leftovers, project_lock
    from connector_factory.state import StateStore

    store = StateStore.at(project.resolve())
    _PROJECT[:] = [store.ref]
    with project_lock(store.dir):
        generated = list(store.load().generated) if store.exists() else []
        clean_leftovers(store.project_dir, store.dir, generated)
        stop: Callable[[], None] = lambda: None  # noqa: E731
        if _REAL_PROCESS:
            from connector_factory.reaper import start_reaper

            stop = start_reaper()
        try:
            yield
        finally:
            stop()


def _existing(project: Path) -> Path:
    """``project`` if it holds a project (else the state's one-line error, exit 2)."""
    from connector_factory.state import StateStore

    StateStore.at(project.resolve()).load()
    return project


def _show_summary(step: Step, result: StepResult) -> None:
    from rich.console import Console
    from rich.panel import Panel

    console = Console()
    lines = [result.summary.strip()] if result.summary.strip() else []
    if result.outputs:
        shown = result.outputs[:12]
        more = f" (+{len(result.outputs) - 12} more)" if len(result.outputs) > 12 else ""
        lines.append(f"files: {', '.join(shown)}{more}")
    marks = {"passed": "[green]✔[/]", "failed": "[red]✘[/]", "blocked": "[yellow]■[/]",
             "skipped": "[dim]-[/]"}
    for check in result.checks:
        text = f"{marks[check.status]} {check.name}: {check.status}"
        if check.message:
            text += f" — {check.message}"
        lines.append(text)
        lines.extend(f"    failing: {name}" for name in check.failures[:20])
    console.print(Panel("\n".join(lines) or "(no summary)", title=f"{step.command}",
                        expand=False))


def _confirm(step: Step, result: StepResult) -> bool:
    try:
        return typer.confirm(f"Approve {step.command} and continue?", default=False)
    except typer.Abort:
        return False


def _pipeline(project: Path, yes: bool, target: str | None = None) -> Pipeline:
    from connector_factory.llm import llm_from_env
    from connector_factory.pipeline import Pipeline
    from connector_factory.plugins import load_plugins, project_target
    from connector_factory.rich_reporter import RichReporter

    plugins = load_plugins(target=target or project_target(project))
    return Pipeline(project_dir=project, plugins=plugins, reporter=RichReporter(),
                    llm=llm_from_env(), interactive=_interactive(), assume_yes=yes,
                    confirm=_confirm, show_summary=_show_summary)


#: Longest connector name: it becomes a package, folder and file-name prefix.
MAX_NAME_LENGTH = 40

_NEW_EPILOG = (
    "Target inputs (`cf targets` lists each target's, with their types) are given as "
    "--input NAME=VALUE or as --NAME VALUE. Re-running `cf new` on an existing project "
    "updates the inputs that changed and redoes the steps that read them."
)


def check_name(name: str) -> str:
    """``name`` when it can be a connector name: lower-case snake case, not a Python keyword,
    at most :data:`MAX_NAME_LENGTH` characters.

    Raises:
        InputError: the name breaks one of those rules (the message says which).
    """
    import keyword
    import re

    from connector_factory.errors import InputError

    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise InputError(f"connector name {name!r} is not lower-case snake case",
                         "use letters, digits and underscores, starting with a letter")
    if keyword.iskeyword(name):
        raise InputError(f"connector name {name!r} is a Python keyword",
                         f"pick another name, e.g. {name}_api")
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"connector name is {len(name)} characters long; the limit is "
                         f"{MAX_NAME_LENGTH}", "pick a shorter name")
    return name


@app.command(cls=_Command,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
             epilog=_NEW_EPILOG)
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME",
                                        help="Connector name, e.g. 'github' (lower case).")],
    target: Annotated[str, typer.Option("--target", "-t", metavar="TARGET",
                                        help="Target, see `cf targets`.")],
    input_: Annotated[Optional[list[str]], typer.Option(
        "--input", "-i", metavar="NAME=VALUE",
        help="A target input (repeatable); also --NAME VALUE.")] = None,
    out: Annotated[Path, typer.Option(metavar="DIR",
                                      help="Folder to make the project folder in.")] = Path("."),
    from_step: Annotated[Optional[str], typer.Option("--from", metavar="STEP",
                                                     help="Redo from STEP.")] = None,
    yes: YesOpt = False,
) -> None:
    """Create a project for TARGET and run the pipeline (resumes if the project exists)."""

    def work() -> None:
        from connector_factory.errors import InputError
        from connector_factory.inputs import (
            convert_inputs,
            project_folder_input,
            require_inputs,
            split_args,
        )
        from connector_factory.pipeline import parse_step
        from connector_factory.plugins import load_plugins

        chosen = load_plugins(target=target).target(target)
        tokens = [name, *ctx.args]
        for pair in input_ or []:
            tokens += ["--input", pair]
        words, raw = split_args(tokens, chosen)
        if len(words) != 1:
            raise InputError(f"cf new takes one NAME, got {len(words)}: {' '.join(words)}",
                             f"run e.g. `cf new --target {target} NAME`")
        connector = check_name(words[0])
        start = parse_step(from_step) if from_step else None
        cwd = Path.cwd()
        given = convert_inputs(chosen, raw, cwd)
        folder = project_folder_input(chosen, given)
        project = folder if folder else (out if out.is_absolute() else cwd / out) / connector
        _PROJECT[:] = [project]
        pipeline = _pipeline(project, yes, target)
        store = pipeline.select(connector, chosen, shared=folder is not None)
        _PROJECT[:] = [store.ref]
        previous = store.load().inputs if store.exists() else None
        require_inputs(chosen, given, previous)
        with _locked(store.ref):
            pipeline.create(connector, chosen, given)
            typer.echo(f"project: {store.ref}")
            pipeline.run(from_step=start)
        typer.echo(f"done: {connector} ({target}) — " + with_project("`cf status`", store.ref))

    _guarded(work)


def _take_inputs(pipeline: Pipeline, command: str, tokens: list[str]) -> None:
    """Inputs given to a step command (``cf research --probe``): validated against the
    project's target like ``cf new``'s, then taken as a re-run's inputs are (see
    :meth:`~connector_factory.pipeline.Pipeline.update_inputs`).

    Raises:
        InputError: a word that is not an input, or an input the target does not take.
    """
    from connector_factory.errors import InputError
    from connector_factory.inputs import convert_inputs, split_args

    state = pipeline.store.load()
    chosen = pipeline.plugins.target(state.target)
    words, raw = split_args(tokens, chosen)
    if words:
        raise InputError(f"cf {command} takes no NAME, got: {' '.join(words)}",
                         f"pass inputs as --NAME VALUE, e.g. `cf {command} --project DIR "
                         "--input NAME=VALUE`")
    pipeline.update_inputs(state, convert_inputs(chosen, raw, Path.cwd()))


def _step_command(step_name: str, help_text: str) -> None:
    name = step_name.replace("_", "-")

    def command(
        ctx: typer.Context,
        project: ProjectOpt = Path("."),
        input_: Annotated[Optional[list[str]], typer.Option(
            "--input", "-i", metavar="NAME=VALUE",
            help="A target input to change first (repeatable); also --NAME VALUE.")] = None,
        yes: YesOpt = False,
    ) -> None:
        def work() -> None:
            from connector_factory.pipeline import parse_step

            step = parse_step(step_name)
            with _locked(_existing(project)):
                pipeline = _pipeline(project, yes)
                tokens = list(ctx.args)
                for pair in input_ or []:
                    tokens += ["--input", pair]
                if tokens:
                    _take_inputs(pipeline, name, tokens)
                pipeline.run(only=step)

        _guarded(work, project)

    command.__doc__ = help_text
    app.command(name=name, cls=_Command, context_settings={"allow_extra_args": True,
                                             "ignore_unknown_options": True})(command)


for _name, _help in (
    ("plan", "Run the plan step: ask or read what the target needs to know."),
    ("research", "Run the research step: find tables, auth and limits."),
    ("scaffold", "Run the scaffold step: write the connector's files."),
    ("validate", "Run the validate step: static checks and the auth test."),
    ("test_gate", "Run the test gate: the connector's tests must pass."),
    ("document", "Run the document step: write the connector's docs."),
    ("deploy", "Run the deploy step: package the connector."),
):
    _step_command(_name, _help)


@app.command(cls=_Command)
def resume(project: ProjectOpt = Path("."), yes: YesOpt = False) -> None:
    """Continue from the first step that is not done."""

    def work() -> None:
        with _locked(_existing(project)):
            _pipeline(project, yes).run()

    _guarded(work, project)


@app.command(cls=_Command)
def skip(
    step: Annotated[str, typer.Argument(
        metavar="NAME", help="Step to skip (e.g. deploy), a blocked check, or a part the "
                             "target allows skipping (e.g. cdc).")],
    why: Annotated[str, typer.Option(metavar="REASON", help="Why it is skipped (recorded).")],
    project: ProjectOpt = Path("."),
) -> None:
    """Record STEP (or an optional part of the target) as skipped, with the reason."""

    def work() -> None:
        with _locked(_existing(project)):
            typer.echo(_pipeline(project, False).skip_part(step, why))

    _guarded(work, project)


@app.command(cls=_Command)
def status(project: ProjectOpt = Path(".")) -> None:
    """Show the progress tracker: step, status, duration, outputs, tokens."""

    def work() -> None:
        from connector_factory.status_view import render_status

        render_status(project)

    _guarded(work, project)


@app.command(cls=_Command)
def targets() -> None:
    """List the targets the installed plugins provide."""

    def work() -> None:
        from connector_factory.inputs import describe
        from connector_factory.plugins import target_catalog
        from connector_factory.tables import Column, print_table

        plugins = target_catalog()  # light metadata: no plugin is imported
        rows = []
        for target in sorted(plugins.targets.values(), key=lambda t: t.name):
            inputs = "\n".join(f"{describe(i)}: {i.help}" for i in target.inputs) or "-"
            rows.append([target.name, target.plugin, target.summary, inputs])
        columns = [Column("target", identifier=True), Column("plugin", identifier=True),
                   Column("summary"), Column("inputs")]
        print_table(None, "targets", columns, rows)
        typer.echo("cf new takes them as --NAME VALUE or --input NAME=VALUE")
        for broken in plugins.broken:
            typer.echo(f"warning: plugin {broken.name!r} failed to load: {broken.error}", err=True)

    _guarded(work)


@app.command(cls=_Command)
def plugins() -> None:
    """List plugins: name, version, distribution, targets, hook impls (and broken ones)."""

    def work() -> None:
        from connector_factory.plugins import load_plugins
        from connector_factory.tables import Column, print_table

        found = load_plugins()
        by_plugin: dict[str, list[str]] = {}
        for target in found.targets().values():
            by_plugin.setdefault(target.plugin, []).append(target.name)
        rows, styles = [], []
        for info in found.loaded:
            rows.append([info.name, info.version, info.distribution,
                         "\n".join(sorted(by_plugin.get(info.name, []))) or "-",
                         ", ".join(info.hooks)])
            styles.append("")
        for broken in found.broken:
            rows.append([broken.name, broken.version, broken.distribution, "-",
                         f"failed to load: {broken.error}"])
            styles.append("red")
        columns = [Column("plugin", identifier=True), Column("version", identifier=True),
                   Column("distribution", identifier=True), Column("targets", identifier=True),
                   Column("hook impls")]
        print_table(None, "plugins", columns, rows, styles)

    _guarded(work)


@app.command(cls=_Command)
def credentials(
    project: ProjectOpt = Path("."),
    config: Annotated[Optional[Path], typer.Option(metavar="FILE",
                                                   help="JSON file with the values.")] = None,
    port: Annotated[int, typer.Option(metavar="PORT",
                                      help="Port of the form on 127.0.0.1 (0: any).")] = 0,
    serve: Annotated[bool, typer.Option(help="Serve the form even without a terminal.")] = False,
) -> None:
    """Collect the connector's credentials into its git-ignored config file (mode 0600).

    Values come from --config FILE, else from environment variables (the prefix is shown),
    else from a small form served on 127.0.0.1.
    """

    def work() -> None:
        from connector_factory.credentials import collect_credentials

        with _locked(_existing(project)):
            pipeline = _pipeline(project, False)
            path = collect_credentials(pipeline, config_file=config, port=port,
                                       serve=serve or _interactive())
        typer.echo(f"credentials written to {path} (mode 0600, git-ignored)")

    _guarded(work, project)


def _resolve_merges(project: Path, files: list[str] | None, take_new: bool) -> None:
    def work() -> None:
        with _locked(_existing(project)):
            for line in _pipeline(project, False).resolve_conflicts(files or None, take_new):
                typer.echo(line)

    _guarded(work, project)


FilesArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="[FILE]...",
    help="Files to resolve (relative to the project); default: every unresolved one.")]


@app.command(cls=_Command)
def merge(files: FilesArg = None, project: ProjectOpt = Path(".")) -> None:
    """Take the new versions (*.cf-new) of generated files you had edited: each replaces your
    file. Merge by hand instead? Edit your file, then `cf discard`."""
    _resolve_merges(project, files, take_new=True)


@app.command(cls=_Command)
def discard(files: FilesArg = None, project: ProjectOpt = Path(".")) -> None:
    """Keep your edited files and delete the new versions (*.cf-new) beside them."""
    _resolve_merges(project, files, take_new=False)


def _version(value: bool) -> None:
    if value:
        from connector_factory import __version__

        typer.echo(f"cf {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Connector Factory: build data connectors end to end (plan → research → scaffold →
    validate → test gate → document → deploy)."""


def main() -> None:
    """Console-script entry point: runs the command, then ends the process at once.

    A normal interpreter exit frees every object one by one — after ``cf research`` on GitHub's
    description, the parsed 13 MB document and every module: 0.26–0.37 s of the command,
    measured on the 2-core CI machine — which the operating system does in one go. So once the
    command returned, the exit handlers run (:mod:`atexit`: logging's flush, finalizers of
    temporary folders), threads still running are waited for, stdout and stderr are flushed,
    and :func:`os._exit` ends the process with the command's exit code. Every file cf writes is
    closed (and fsynced where it matters) before its command returns. An exception that escapes
    the command (``CF_DEBUG=1``) takes the normal way out, with its traceback.
    """
    _REAL_PROCESS[:] = [True]
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    _end_process(code)


def _exit_code(value: object) -> int:
    """The process exit code of ``SystemExit(value)``, as the interpreter makes it (a message
    is printed to stderr and gives 1)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def _end_process(code: int) -> None:
    import atexit
    import contextlib
    import threading

    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None:  # an interpreter without it: exit the normal way
        raise SystemExit(code)
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)
