"""Tables that fit the terminal: ``cf status``, ``cf targets``, ``cf plugins``.

On a terminal the table is drawn for the console's width (the terminal's, or ``COLUMNS``):
identifier columns (names a user types: steps, targets, plugins) are never cut or wrapped,
the other columns wrap. When even the identifiers do not fit side by side, each row is printed
as a block of ``column: value`` lines instead. When the output is not a terminal (piped,
redirected) it is plain text: no colour, no box, one line per row, cells separated by two
spaces, so ``grep`` and ``cut`` work.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from rich.console import Console

#: Width kept for each wrapping column when deciding whether a table fits (narrower columns
#: fold words, which reads worse than one block per row).
MIN_WRAP_WIDTH = 16


class Column(NamedTuple):
    """A table column: its header, whether it holds identifiers (never cut), and the least
    width it may wrap to (``min_width``, characters)."""

    header: str
    identifier: bool = False
    min_width: int = MIN_WRAP_WIDTH


def _lines(cell: str) -> list[str]:
    return cell.splitlines() or [""]


def _plain(title: str, columns: list[Column], rows: list[list[str]]) -> str:
    cells = [[c.header for c in columns]] + [["; ".join(_lines(c)) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    out = [title] if title else []
    for row in cells:
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    return "\n".join(out)


def _records(title: str, columns: list[Column], rows: list[list[str]], width: int) -> str:
    label = max(len(c.header) for c in columns)
    out = [title] if title else []
    for row in rows:
        out.append("─" * min(width, 40))
        for column, cell in zip(columns, row, strict=False):
            head = f"{column.header.rjust(label)}: "
            room = max(width - len(head), MIN_WRAP_WIDTH)
            parts: list[str] = []
            for line in _lines(cell):
                parts += ([line] if column.identifier else
                          textwrap.wrap(line, room, break_on_hyphens=False) or [""])
            out.append(head + parts[0])
            out += [" " * len(head) + p for p in parts[1:]]
    return "\n".join(out)


def _plain_stdout() -> bool:
    """``True`` when stdout is certainly not a terminal: not a TTY, and none of the variables
    by which rich lets a user force terminal output (``FORCE_COLOR``, ``TTY_COMPATIBLE``,
    ``TTY_INTERACTIVE``) is set. Then a table is plain text and rich is never imported."""
    if any(os.environ.get(name) for name in ("FORCE_COLOR", "TTY_COMPATIBLE",
                                             "TTY_INTERACTIVE")):
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    return not (isatty and isatty())


def print_table(console: Console | None, title: str, columns: list[Column],
                rows: list[list[str]], styles: list[str] | None = None) -> None:
    """Print ``rows`` (one string per column; ``\\n`` starts a new line in a cell) on
    ``console`` (``None``: stdout, through rich only when it may be a terminal) as described in
    the module docstring. ``styles`` (one rich style per row) only colour a terminal's table."""
    if console is None:
        if _plain_stdout():
            sys.stdout.write(_plain(title, columns, rows) + "\n")
            sys.stdout.flush()
            return
        console = stdout_console()
    from rich.table import Table
    from rich.text import Text

    if not console.is_terminal:
        console.file.write(_plain(title, columns, rows) + "\n")
        console.file.flush()
        return
    width = console.width
    need = 1 + 3 * len(columns)
    for index, column in enumerate(columns):
        longest = max([len(column.header)] + [len(line) for row in rows
                                               for line in _lines(row[index])])
        need += longest if column.identifier else min(longest, column.min_width)
    if need > width:
        console.print(Text(_records(title, columns, rows, width)), soft_wrap=True)
        return
    table = Table(title=title or None)
    for index, column in enumerate(columns):
        if column.identifier:
            longest = max([len(column.header)] + [len(line) for row in rows
                                                   for line in _lines(row[index])])
            table.add_column(column.header, no_wrap=True, min_width=longest)
        else:
            table.add_column(column.header, overflow="fold")
    for index, row in enumerate(rows):
        style = styles[index] if styles else ""
        table.add_row(*[Text(cell) for cell in row], style=style or None)
    console.print(table)


def stdout_console() -> Console:
    """The console for tables: stdout, its width from the terminal or ``COLUMNS``."""
    from rich.console import Console

    return Console(highlight=False)
