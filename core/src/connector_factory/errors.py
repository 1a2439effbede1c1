"""Errors that reach the user as one line naming the problem and the fix.

The CLI prints ``error: <problem> — fix: <fix>`` and exits with :attr:`CfError.exit_code`;
it never shows a traceback for these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic stays off the import path of `cf --help`
    from pydantic import ValidationError

#: Exit code when every step asked for succeeded.
EXIT_OK = 0
#: Exit code when a gate or a test failed, or a step failed.
EXIT_GATE = 1
#: Exit code for bad usage or bad input.
EXIT_USAGE = 2


class CfError(Exception):
    """Base error: a problem the user can fix.

    Args:
        problem: what is wrong, one line, naming the file/option/plugin concerned.
        fix: what to do about it, one line.
    """

    exit_code = EXIT_GATE

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def one_line(self) -> str:
        """The message the CLI prints: ``<problem> — fix: <fix>`` on one line."""
        text = self.problem if not self.fix else f"{self.problem} — fix: {self.fix}"
        return " ".join(text.split())


class InputError(CfError):
    """Bad usage or bad input (unknown target, malformed spec, missing file); exit 2."""

    exit_code = EXIT_USAGE


class StepFailed(CfError):
    """A step, gate or test failed, or a plugin raised; exit 1."""

    exit_code = EXIT_GATE


class GateDeclined(CfError):
    """The user (or the lack of a terminal) did not approve a gate; exit 1."""

    exit_code = EXIT_GATE


def first_invalid_field(exc: ValidationError) -> tuple[str, str]:
    """The first error pydantic reports in ``exc``, as (dotted field path — ``(top level)``
    when the whole document is wrong —, pydantic's message), for a one-line :class:`InputError`.
    """
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]) or "(top level)", str(first["msg"])


def os_error(exc: OSError) -> InputError:
    """An operating-system error (a file where a folder is needed, a read-only folder, a name
    too long, a full disk …) as a one-line :class:`InputError` (exit 2) naming the path and the
    fix."""
    import errno

    path = exc.filename if exc.filename is not None else "?"
    if exc.filename2 is not None:
        path = f"{path} → {exc.filename2}"
    reason = exc.strerror or str(exc)
    fixes = {
        errno.EACCES: "check the permissions of that path, or pick a folder you can write to "
                      "(--out DIR / --project DIR)",
        errno.EPERM: "check the permissions of that path, or pick a folder you can write to "
                     "(--out DIR / --project DIR)",
        errno.EROFS: "that file system is read-only: pick another folder (--out DIR)",
        errno.ENOTDIR: "a part of that path is a file, not a folder: pick another folder "
                       "(--out DIR / --project DIR)",
        errno.EEXIST: "a file is in the way: move it, or pick another folder (--out DIR)",
        errno.EISDIR: "that path is a folder where a file is needed: pass a file",
        errno.ENAMETOOLONG: "use a shorter name or a shorter folder path",
        errno.ENOSPC: "free some disk space, then run the command again",
        errno.ENOENT: "check that the path exists",
    }
    fix = fixes.get(exc.errno or 0, "check that path, then run the command again")
    return InputError(f"{path}: {reason}", fix)
