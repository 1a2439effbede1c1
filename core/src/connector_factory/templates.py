"""Finding a target's cookiecutter template and rendering it into a project.

A plugin's wheel carries its template as the folder ``cookiecutter/`` inside its package; in a
source checkout the template lives in ``cookiecutters/<target>/`` at the repository root. A
template renders one top folder (any name) whose contents are copied into the project through
:class:`~connector_factory.files.FileWriter`, so a person's edits are never overwritten silently.
``cookiecutter`` is imported only here, and only when rendering.
"""

from __future__ import annotations

import stat
import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from connector_factory.errors import StepFailed
from connector_factory.files import FileWriter

#: Name of the template folder inside a plugin's package (wheel installs).
PACKAGED_TEMPLATE_DIR = "cookiecutter"


def find_template(package: str, target: str) -> Path:
    """The template folder of ``target`` for the plugin package ``package``.

    Looks first inside the installed package (``<package>/cookiecutter``), then for
    ``cookiecutters/<target>`` in the folders above the package (a source checkout).

    Raises:
        StepFailed: neither holds a ``cookiecutter.json``.
    """
    root = resources.files(package)
    packaged = Path(str(root)) / PACKAGED_TEMPLATE_DIR
    if (packaged / "cookiecutter.json").is_file():
        return packaged
    for parent in Path(str(root)).resolve().parents:
        candidate = parent / "cookiecutters" / target
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise StepFailed(
        f"the template of target {target!r} is missing from package {package!r}",
        "reinstall the plugin from a wheel built with its template",
    )


def render_template(template: Path, context: dict[str, Any], writer: FileWriter,
                    dest: str = "", include: Callable[[str], bool] | None = None) -> list[str]:
    """Render ``template`` with ``context`` and write its files under ``dest`` in the project.

    ``context`` fills the template's ``cookiecutter.json`` variables (values may be strings,
    lists or dicts). ``include`` (given the rendered relative path) picks the files to write;
    by default all. Files keep their executable bit. Returns the relative paths handled by
    ``writer`` for this template (written, unchanged or kept); conflicts are left in
    ``writer.conflicts`` for the caller's ``writer.finish()``.

    Raises:
        StepFailed: the template does not render (a Jinja error names the file).
    """
    before = len(writer.written)
    with tempfile.TemporaryDirectory(prefix="cf-render-") as tmp:
        try:
            out = generate(template, context, Path(tmp, "out"))
        except Exception as exc:  # CookiecutterException, and jinja errors (not Cookiecutter's)
            raise StepFailed(
                f"template {template.name!r} failed to render: {type(exc).__name__}: {exc}",
                "fix the template or the inputs it was given",
            ) from exc
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            rel = path.relative_to(out).as_posix()
            if _byte_code(rel):
                continue  # pip byte-compiles an installed template's .py files; never copy those
            if include is not None and not include(rel):
                continue
            mode = path.stat().st_mode
            executable = bool(mode & stat.S_IXUSR)
            writer.write(f"{dest}/{rel}" if dest else rel, path.read_bytes(),
                         mode=0o755 if executable else None)
    return writer.written[before:]


def generate(template: Path, context: dict[str, Any], output_dir: Path) -> Path:
    """Render the local ``template`` with ``context`` (no prompts, no hooks) into a new folder in
    ``output_dir``; returns that folder.

    The steps of ``cookiecutter.main.cookiecutter`` (cookiecutter 2.7.1 ``cookiecutter/main.py``)
    for a local template without replay, called through cookiecutter's own
    ``generate_context``, ``prompt_for_config`` and ``generate_files``, the same context keys
    included (``_cookiecutter``, ``_template``, ``_output_dir``, ``_repo_dir``, ``_checkout``):
    ``cookiecutter.main`` imports :mod:`requests` (``cookiecutter/zipfile.py``, for zipped
    templates cf never renders) — 0.1 s of every scaffold. A template that nests templates
    (``template``/``templates`` keys) goes through ``cookiecutter.main`` itself.

    Raises:
        Exception: what cookiecutter or jinja raise for a template that does not render.
    """
    from cookiecutter.generate import generate_context, generate_files

    full = generate_context(context_file=str(template / "cookiecutter.json"),
                            default_context={}, extra_context=context)
    if {"template", "templates"} & set(full["cookiecutter"]):
        from cookiecutter.main import cookiecutter

        return Path(cookiecutter(str(template), no_input=True, extra_context=context,
                                 output_dir=str(output_dir), accept_hooks=False, default_config={
                                     "replay_dir": str(output_dir / ".replay"),
                                     "cookiecutters_dir": str(output_dir / ".cache"),
                                     "default_context": {}, "abbreviations": {}}))
    from cookiecutter.prompt import prompt_for_config

    full["_cookiecutter"] = {k: v for k, v in full["cookiecutter"].items()
                             if not k.startswith("_")}
    if full["cookiecutter"]:
        full["cookiecutter"].update(prompt_for_config(full, True))
    full["cookiecutter"].update(_template=str(template), _output_dir=str(output_dir.resolve()),
                                _repo_dir=str(template), _checkout=None)
    saved = list(sys.path)
    sys.path.append(str(template))  # local jinja extensions, as cookiecutter does
    try:
        return Path(generate_files(repo_dir=str(template), context=full,
                                   output_dir=str(output_dir), accept_hooks=False))
    finally:
        sys.path[:] = saved


def _byte_code(rel: str) -> bool:
    """Whether ``rel`` is Python byte code (``__pycache__/…``, ``*.pyc``)."""
    return "__pycache__" in rel.split("/") or rel.endswith((".pyc", ".pyo"))
