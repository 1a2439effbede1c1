"""Writing generated files without ever silently overwriting a person's edits.

The state remembers, per generated file, the sha256 of what the core last generated for it
(``State.generated``). Writing a file again is a three-way decision:

- the file is missing, or still holds what was last generated: it is (over)written;
- the new content equals what was last generated: the generator has nothing new, so a person's
  edit on disk is kept as it is (``kept``);
- both the person and the generator changed it: the new content goes beside it as
  ``<name>.cf-new`` and the step fails naming the files to merge. The state then remembers the
  new content as generated, so once the person has merged (and removed the ``.cf-new`` file) the
  next run keeps their file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from connector_factory.errors import StepFailed

#: Suffix of the file that holds new content beside an edited one.
CONFLICT_SUFFIX = ".cf-new"


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileWriter:
    """Writes files under ``project_dir``, keeping people's edits.

    Args:
        project_dir: the project folder; every path given is relative to it and must stay in it.
        generated: relative path -> sha256 of what the core wrote last time (from the state).

    The writer updates ``generated`` in place. ``written`` lists every path handled without
    conflict (written, unchanged or kept) and ``conflicts`` those needing a merge.
    """

    project_dir: Path
    generated: dict[str, str]
    written: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    #: Paths a person edited whose generated content did not change: their edit stays.
    kept: list[str] = field(default_factory=list)

    def write(self, relpath: str, content: str | bytes, mode: int | None = None) -> str:
        """Write ``content`` to ``relpath``; returns ``written``, ``unchanged``, ``kept`` or
        ``conflict``.

        ``mode`` (e.g. ``0o600``) is applied to the file when given. Raises ``StepFailed`` when
        ``relpath`` leaves the project folder.
        """
        data = content.encode("utf-8") if isinstance(content, str) else content
        target = (self.project_dir / relpath).resolve()
        root = self.project_dir.resolve()
        if root != target and root not in target.parents:
            raise StepFailed(f"refusing to write {relpath}: it is outside {root}",
                             "report the plugin that asked for it")
        new_hash = sha256_bytes(data)
        last_hash = self.generated.get(relpath)
        outcome = "written"
        if target.is_file():
            current_hash = sha256_bytes(target.read_bytes())
            if current_hash == new_hash:
                outcome = "unchanged"
            elif current_hash != last_hash and new_hash == last_hash:
                outcome = "kept"
            elif current_hash != last_hash:
                conflict = target.with_name(target.name + CONFLICT_SUFFIX)
                conflict.write_bytes(data)
                self.generated[relpath] = new_hash
                self.conflicts.append(relpath)
                return "conflict"
        if outcome == "written":
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.cf-tmp")
            tmp.write_bytes(data)
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, target)
        elif mode is not None:
            os.chmod(target, mode)
        self.generated[relpath] = new_hash
        self.written.append(relpath)
        if outcome == "kept":
            self.kept.append(relpath)
        return outcome

    def finish(self) -> list[str]:
        """Return ``written``; raise ``StepFailed`` naming the conflicts when there are any."""
        if self.conflicts:
            names = ", ".join(self.conflicts)
            raise StepFailed(
                f"{len(self.conflicts)} file(s) you edited were not overwritten: {names}; "
                f"the new versions are beside them as *{CONFLICT_SUFFIX}",
                "merge the new versions into your files (or delete yours) and re-run the step",
            )
        return list(self.written)
