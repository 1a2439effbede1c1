"""The ``cf`` command (typer, rich output).

Start-up stays light: this module imports typer only; plugins, pydantic models, rich tables,
cookiecutter and ``anthropic`` are imported inside the commands that need them, so ``cf --help``
loads none of them. Exit codes: 0 success, 1 a gate, step or test failed, 2 bad usage or input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from connector_factory.models import Step, StepResult
    from connector_factory.pipeline import Pipeline

app = typer.Typer(
    name="cf",
    help="Connector Factory: build data connectors end to end "
    "(plan → research → scaffold → validate → test gate → document → deploy).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Project folder (holds .cf/).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Approve every gate without asking.")]


def _interactive() -> bool:
    """Whether a person can answer: stdin is a TTY, or ``CF_INTERACTIVE=1`` says so."""
    forced = os.environ.get("CF_INTERACTIVE")
    if forced is not None:
        return forced == "1"
    return sys.stdin.isatty()


def _fail(exc: Exception) -> typer.Exit:
    from connector_factory.errors import EXIT_GATE, CfError

    if isinstance(exc, CfError):
        typer.echo(f"error: {exc.one_line()}", err=True)
        return typer.Exit(exc.exit_code)
    typer.echo(f"error: internal error {type(exc).__name__}: {exc} — fix: report this bug "
               "(set CF_DEBUG=1 for the traceback)", err=True)
    return typer.Exit(EXIT_GATE)


def _guarded(work: Callable[[], None]) -> None:
    """Run ``work``; turn errors into one line and the right exit code."""
    from connector_factory.errors import CfError

    try:
        work()
    except (CfError, OSError) as exc:
        if os.environ.get("CF_DEBUG") == "1":
            raise
        raise _fail(exc) from None
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        typer.echo("error: interrupted — fix: run `cf resume` to continue; the state is kept",
                   err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # never a traceback for the user unless CF_DEBUG=1
        if os.environ.get("CF_DEBUG") == "1":
            raise
        raise _fail(exc) from None


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


def _flag(name: str) -> str:
    """The ``cf new`` option for the target input ``name``: ``base_url`` → ``--base-url``."""
    return "--" + name.replace("_", "-")


def _split_tables(tables: str | None) -> list[str] | None:
    if tables is None:
        return None
    names = [t.strip() for t in tables.split(",") if t.strip()]
    return names or None


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Connector name, e.g. 'github' (lower case).")],
    target: Annotated[str, typer.Option("--target", "-t", help="Target, see `cf targets`.")],
    tables: Annotated[Optional[str], typer.Option(help="Comma-separated tables to build.")] = None,
    doc: Annotated[Optional[str], typer.Option(help="API description: URL or file.")] = None,
    repo: Annotated[Optional[Path], typer.Option(help="Write into this existing checkout.")] = None,
    profile: Annotated[Optional[Path], typer.Option(help="Profile file (YAML).")] = None,
    intake: Annotated[Optional[Path], typer.Option(help="Intake answers file (YAML).")] = None,
    base_url: Annotated[Optional[str], typer.Option(help="Override the API base URL.")] = None,
    out: Annotated[Path, typer.Option(help="Folder to make the project folder in.")] = Path("."),
    from_step: Annotated[Optional[str], typer.Option("--from", help="Resume from STEP.")] = None,
    yes: YesOpt = False,
) -> None:
    """Create a project for TARGET and run the pipeline (resumes if the project exists)."""

    def work() -> None:
        import re

        from connector_factory.errors import InputError
        from connector_factory.pipeline import parse_step

        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise InputError(f"connector name {name!r} is not lower-case snake case",
                             "use letters, digits and underscores, starting with a letter")
        given: dict[str, Any] = {
            "tables": _split_tables(tables), "doc": doc,
            "repo": str(repo.resolve()) if repo else None,
            "profile": str(profile.resolve()) if profile else None,
            "intake": str(intake.resolve()) if intake else None,
            "base_url": base_url,
        }
        inputs = {k: v for k, v in given.items() if v is not None}
        if doc and "://" not in doc:
            inputs["doc"] = str(Path(doc).resolve())
        start = parse_step(from_step) if from_step else None
        project = repo if repo else out / name
        pipeline = _pipeline(project, yes, target)
        chosen = pipeline.plugins.target(target)
        accepted = {i.name for i in chosen.inputs}
        for key in inputs:
            if key not in accepted:
                raise InputError(f"target {target!r} does not take {_flag(key)}",
                                 "it takes: " + ", ".join(_flag(a) for a in sorted(accepted)))
        for spec in chosen.inputs:
            if spec.required and spec.name not in inputs:
                raise InputError(f"target {target!r} needs {_flag(spec.name)}", spec.help)
        for key in ("doc", "profile", "intake", "repo"):
            value = inputs.get(key)
            if value and "://" not in value and not Path(value).exists():
                raise InputError(f"{_flag(key)} {value}: no such file or folder",
                                 "check the path")
        pipeline.create(name, chosen, inputs)
        typer.echo(f"project: {pipeline.project_dir}")
        pipeline.run(from_step=start)
        typer.echo(f"done: {name} ({target}) — `cf status --project {pipeline.project_dir}`")

    _guarded(work)


def _step_command(step_name: str, help_text: str) -> None:
    def command(project: ProjectOpt = Path("."), yes: YesOpt = False) -> None:
        def work() -> None:
            from connector_factory.pipeline import parse_step

            _pipeline(project, yes).run(only=parse_step(step_name))

        _guarded(work)

    command.__doc__ = help_text
    app.command(name=step_name.replace("_", "-"))(command)


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


@app.command()
def resume(project: ProjectOpt = Path("."), yes: YesOpt = False) -> None:
    """Continue from the first step that is not done."""

    def work() -> None:
        _pipeline(project, yes).run()

    _guarded(work)


@app.command()
def skip(
    step: Annotated[str, typer.Argument(
        help="Step to skip (e.g. deploy), or a part the target allows skipping (e.g. cdc).")],
    why: Annotated[str, typer.Option(help="Why it is skipped (recorded).")],
    project: ProjectOpt = Path("."),
) -> None:
    """Record STEP (or an optional part of the target) as skipped, with the reason."""

    def work() -> None:
        typer.echo(_pipeline(project, False).skip_part(step, why))

    _guarded(work)


@app.command()
def status(project: ProjectOpt = Path(".")) -> None:
    """Show the progress tracker: step, status, duration, outputs, tokens."""

    def work() -> None:
        from connector_factory.status_view import render_status

        render_status(project)

    _guarded(work)


@app.command()
def targets() -> None:
    """List the targets the installed plugins provide."""

    def work() -> None:
        from rich.console import Console
        from rich.table import Table

        from connector_factory.plugins import target_catalog

        plugins = target_catalog()
        table = Table(title="targets")
        for column in ("target", "plugin", "summary", "inputs"):
            table.add_column(column)
        for target in sorted(plugins.targets.values(), key=lambda t: t.name):
            inputs = ", ".join(_flag(i.name) + ("*" if i.required else "") for i in target.inputs)
            table.add_row(target.name, target.plugin, target.summary, inputs)
        Console().print(table)
        for broken in plugins.broken:
            typer.echo(f"warning: plugin {broken.name!r} failed to load: {broken.error}", err=True)

    _guarded(work)


@app.command()
def plugins() -> None:
    """List plugins: name, version, distribution, targets, hook impls (and broken ones)."""

    def work() -> None:
        from rich.console import Console
        from rich.table import Table

        from connector_factory.plugins import load_plugins

        found = load_plugins()
        by_plugin: dict[str, list[str]] = {}
        for target in found.targets().values():
            by_plugin.setdefault(target.plugin, []).append(target.name)
        table = Table(title="plugins")
        for column in ("plugin", "version", "distribution", "targets", "hook impls"):
            table.add_column(column, overflow="fold")
        for info in found.loaded:
            table.add_row(info.name, info.version, info.distribution,
                          ", ".join(sorted(by_plugin.get(info.name, []))) or "-",
                          ", ".join(info.hooks))
        for broken in found.broken:
            table.add_row(f"[red]{broken.name}[/]", broken.version, broken.distribution,
                          "-", f"[red]failed to load: {broken.error}[/]")
        Console(width=200).print(table)

    _guarded(work)


@app.command()
def credentials(
    project: ProjectOpt = Path("."),
    config: Annotated[Optional[Path], typer.Option(help="JSON file with the values.")] = None,
    port: Annotated[int, typer.Option(help="Port of the form on 127.0.0.1 (0: any).")] = 0,
    serve: Annotated[bool, typer.Option(help="Serve the form even without a terminal.")] = False,
) -> None:
    """Collect the connector's credentials into its git-ignored config file (mode 0600).

    Values come from --config FILE, else from environment variables (the prefix is shown),
    else from a small form served on 127.0.0.1.
    """

    def work() -> None:
        from connector_factory.credentials import collect_credentials

        pipeline = _pipeline(project, False)
        path = collect_credentials(pipeline, config_file=config, port=port,
                                   serve=serve or _interactive())
        typer.echo(f"credentials written to {path} (mode 0600, git-ignored)")

    _guarded(work)


def main() -> None:
    """Console-script entry point."""
    app()
