"""Roles: a role is a Markdown instructions file shipped next to a plugin's code.

A plugin keeps ``<package>/roles/<role>.md`` (force-included in its wheel like any package data)
and loads it with :func:`load_role`; the loop sends the text as the role part of the cached
system prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from connector_factory.errors import StepFailed


@dataclass(frozen=True)
class Role:
    """A role: its name (``connector-tester``) and its instructions (Markdown text)."""

    name: str
    instructions: str


def load_role(package: str, name: str, folder: str = "roles") -> Role:
    """Read role ``name`` from ``<package>/<folder>/<name>.md`` via :mod:`importlib.resources`.

    Raises:
        StepFailed: the package or the file is missing, or the file is empty.
    """
    try:
        source = resources.files(package).joinpath(folder).joinpath(f"{name}.md")
        text = source.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as exc:
        raise StepFailed(f"role {name!r} not found in {package}/{folder}/ ({exc})",
                         f"reinstall the plugin that ships {package}") from exc
    if not text.strip():
        raise StepFailed(f"role file {package}/{folder}/{name}.md is empty",
                         f"reinstall the plugin that ships {package}")
    return Role(name=name, instructions=text)
