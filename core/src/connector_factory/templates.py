"""Finding a target's cookiecutter template and rendering it into a project.

A plugin's wheel carries its template as the folder ``cookiecutter/`` inside its package; in a
source checkout the template lives in ``cookiecutters/<target>/`` at the repository root. A
template renders one top folder (any name) whose contents are copied into the project through
:class:`~connector_factory.files.FileWriter`, so a person's edits are never overwritten silently.
``cookiecutter`` is imported only here, and only when rendering.
"""

from __future__ import annotations

import stat
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
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    before = len(writer.written)
    with tempfile.TemporaryDirectory(prefix="cf-render-") as tmp:
        config = {"replay_dir": str(Path(tmp, "replay")),
                  "cookiecutters_dir": str(Path(tmp, "cache")),
                  "default_context": {}, "abbreviations": {}}
        try:
            out = Path(cookiecutter(
                str(template), no_input=True, extra_context=context,
                output_dir=str(Path(tmp, "out")), default_config=config, accept_hooks=False,
            ))
        except (CookiecutterException, Exception) as exc:  # jinja errors are not Cookiecutter's
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


def _byte_code(rel: str) -> bool:
    """Whether ``rel`` is Python byte code (``__pycache__/…``, ``*.pyc``)."""
    return "__pycache__" in rel.split("/") or rel.endswith((".pyc", ".pyo"))
