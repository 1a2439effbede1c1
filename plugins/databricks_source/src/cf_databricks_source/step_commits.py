"""``--commit``: one git commit after each gate, as the Lakeflow create-connector flow makes them.

The repository's ``.claude/commands/create-connector.md`` (commit f9c88869) commits the new and
changed files under the connector's folders after each of its steps 1–5 with a message
``feat(NAME): step N - <short description>``. Here the same happens after each cf step that
passed: research (step 1), scaffold (2: spec, auth test, implementation, simulator spec, tests),
validate (3), test gate (4), document (5); deploy (6) has no gate and no commit. A step that
changed nothing makes no commit.

Never on a tree the person changed: if any changed or untracked file is neither one cf wrote
(recorded in the project state with the same content) nor cf's own (``.cf/``, a live test run's
``cassettes/`` reports, the git-ignored credentials), nothing is committed and the step stops
with one line naming those files.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from connector_factory.errors import InputError
from connector_factory.state import sha256_file

from cf_databricks_source.layout import Layout

#: Step -> (the flow's step number, what it produced).
MESSAGES = {
    "research": (1, "API research"),
    "scaffold": (2, "connector spec, auth test, implementation, simulator spec and tests"),
    "validate": (3, "module imports, static checks and auth test pass"),
    "test_gate": (4, "tests pass in default (simulate) mode"),
    "document": (5, "README and complete connector_spec.yaml"),
}
_IDENTITY = ("-c", "user.name=Connector Factory", "-c", "user.email=cf@localhost")


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _changed(root: Path) -> list[str]:
    proc = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    if proc.returncode != 0:
        raise InputError(f"--commit: git status failed in {root}: {proc.stderr.strip()}",
                         "fix the git repository, or drop --commit")
    entries = proc.stdout.split("\0")
    paths, skip = [], False
    for entry in entries:
        if skip or not entry:
            skip = False
            continue
        if entry[0] in "RC":
            skip = True  # the next entry is the rename's source
        paths.append(entry[3:])
    return paths


def _made_by_cf(rel: str, root: Path, prefix: str, layout: Layout,
                generated: Mapping[str, str]) -> bool:
    inside = rel[len(prefix):] if rel.startswith(prefix) else None
    if inside is None:
        return False
    if inside.startswith(".cf/") or inside == layout.dev_config_file:
        return True
    if inside.startswith(f"{layout.tests_dir}/cassettes/"):
        return True
    path = root / rel
    return inside in generated and path.is_file() and sha256_file(path) == generated[inside]


def commit_step(project_dir: Path, layout: Layout, step: str,
                generated: Mapping[str, str]) -> str | None:
    """Commit what ``step`` produced; returns the commit line (``feat(NAME): step N - …`` and the
    short hash), or ``None`` when nothing changed. Standalone a project that is not a git
    repository yet is made one (cf made the folder).

    Raises:
        InputError: the project is a checkout that is not a git work tree; the tree has changes
            cf did not make (named); git fails.
    """
    if step not in MESSAGES:
        return None
    top = _git(project_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        if layout.in_repo:
            raise InputError(f"--commit: {project_dir} is not a git work tree",
                             "run cf inside a git checkout, or drop --commit")
        _git(project_dir, "init", "-q")
        top = _git(project_dir, "rev-parse", "--show-toplevel")
    root = Path(top.stdout.strip())
    rel_project = project_dir.resolve().relative_to(root.resolve()).as_posix()
    prefix = "" if rel_project == "." else rel_project + "/"
    changed = _changed(root)
    foreign = [p for p in changed if not _made_by_cf(p, root, prefix, layout, generated)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" (+{len(foreign) - 5} more)" if len(foreign) > 5
                                          else "")
        raise InputError(f"--commit: not committing, the tree has changes cf did not make: "
                         f"{shown}", "commit or stash them and run the step again, or drop "
                         "--commit")
    mine = [p for p in changed if not p[len(prefix):].startswith(".cf/")
            and p[len(prefix):] != layout.dev_config_file]
    if not mine:
        return None
    number, what = MESSAGES[step]
    message = f"feat({layout.name}): step {number} - {what}"
    identity = () if _git(root, "config", "user.email").stdout.strip() else _IDENTITY
    for args in (("add", "--", *mine), (*identity, "commit", "-q", "-m", message, "--", *mine)):
        proc = _git(root, *args)
        if proc.returncode != 0:
            raise InputError(f"--commit: git {args[0] if not identity else 'commit'} failed: "
                             f"{(proc.stderr or proc.stdout).strip()[:200]}",
                             "fix the git repository, or drop --commit")
    short = _git(root, "rev-parse", "--short", "HEAD").stdout.strip()
    return f"committed {short}: {message}"
