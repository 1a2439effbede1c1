"""Path confinement for agent tools: every path a model names must stay inside the project folder.

A path is refused (:class:`Refused`, whose message the model reads as an ``is_error`` tool result)
when it is absolute, climbs out with ``..``, resolves outside the project through a symlink, lies
in the core's own folders (``.cf``, ``.git``), or names a file that holds secrets
(``dev_config.json``, ``.env``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

#: Top-level folders the model may neither read nor write (state, transcripts, history).
HIDDEN_DIRS: frozenset[str] = frozenset({".cf", ".git"})
#: File names that hold secrets; never read or written by a tool.
SECRET_FILES: frozenset[str] = frozenset({"dev_config.json", ".env"})
#: Folders skipped when listing files.
SKIP_LISTING: frozenset[str] = frozenset(
    {".cf", ".git", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", ".tox"}
)


class Refused(Exception):
    """A tool call the sandbox will not carry out; ``str(exc)`` is the message for the model."""


class Sandbox:
    """Resolves model-supplied paths inside ``root``.

    Args:
        root: the project folder (resolved here, so a symlinked project root is fine).
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, path: str) -> Path:
        """The absolute, symlink-free path of the project-relative ``path``.

        Raises:
            Refused: empty, absolute, escaping (``..`` or a symlink), hidden or secret paths.
        """
        text = (path or "").strip()
        if not text:
            raise Refused("refused: empty path; give a path relative to the project folder")
        if "\x00" in text:
            raise Refused("refused: the path contains a NUL byte")
        pure = PurePosixPath(text.replace("\\", "/"))
        if pure.is_absolute() or text.startswith("~") or (len(text) > 1 and text[1] == ":"):
            raise Refused(f"refused: {path!r} is absolute; only paths relative to the project "
                          "folder are allowed (e.g. 'src/module.py')")
        parts = [p for p in pure.parts if p not in ("", ".")]
        depth = 0
        for part in parts:
            depth = depth - 1 if part == ".." else depth + 1
            if depth < 0:
                raise Refused(f"refused: {path!r} leads outside the project folder")
        candidate = self.root.joinpath(*parts) if parts else self.root
        resolved = Path(os.path.realpath(candidate))
        if resolved != self.root and not resolved.is_relative_to(self.root):
            raise Refused(f"refused: {path!r} is a symlink (or under one) that leads outside "
                          "the project folder")
        rel_parts = resolved.relative_to(self.root).parts
        if rel_parts and rel_parts[0] in HIDDEN_DIRS:
            raise Refused(f"refused: {path!r} is inside {rel_parts[0]}/, which the core owns")
        if rel_parts and rel_parts[-1] in SECRET_FILES:
            raise Refused(f"refused: {path!r} holds secrets and is not available to tools")
        return resolved

    def rel(self, path: Path) -> str:
        """``path`` (inside the root) as a POSIX path relative to the root, ``.`` for the root."""
        rel = path.relative_to(self.root).as_posix()
        return rel or "."

    def walk(self, start: Path, limit: int) -> tuple[list[str], bool]:
        """Files under ``start`` (relative to the root, sorted, symlinks listed but not
        followed), at most ``limit`` of them, and whether the list was cut short."""
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_LISTING)
            here = Path(dirpath)
            entries: Iterable[str] = sorted(filenames)
            for name in entries:
                if name in SECRET_FILES:
                    continue
                found.append(self.rel(here / name))
                if len(found) >= limit:
                    return found, True
            for name in dirnames:
                if (here / name).is_symlink():
                    found.append(self.rel(here / name) + "@")
        return found, False
