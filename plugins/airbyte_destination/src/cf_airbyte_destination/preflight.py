"""The preflight questions, asked on the terminal when no ``--profile`` is given.

The person picks a shipped profile to start from (or types a file path), then confirms or
changes the answers that differ most between databases. Answering ``?`` or ``unknown`` records
an open question that blocks the phases depending on it. The result is validated like a file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from cf_airbyte_destination.profile import (
    Profile,
    load_shipped_profile,
    parse_profile,
    shipped_profile_names,
)

#: (dotted field, question) asked after the starting profile is chosen.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("database", "Database display name"),
    ("cdk_version", "Bulk CDK version to pin (cdkVersion)"),
    ("connection.driver", "JDBC driver Maven coordinates (group:artifact:version)"),
    ("connection.driver_class", "JDBC driver class"),
    ("connection.url_format", "JDBC URL with {field} placeholders"),
    ("namespaces.kind", "Namespaces are a 'schema' or a 'database'"),
    ("identifiers.quote", "Identifier quote character (\" or `)"),
    ("identifiers.case", "Unquoted identifier case: lower, upper or preserve"),
    ("types.string", "Type for Airbyte string"),
    ("types.integer", "Type for Airbyte integer"),
    ("types.number", "Type for Airbyte number"),
    ("types.timestamp_with_timezone", "Type for timestamp with time zone"),
    ("types.object", "Type for Airbyte object"),
    ("window_functions", "Window functions (ROW_NUMBER) supported? (true/false)"),
    ("upsert.mechanism",
     "Upsert: merge, insert_on_conflict, window_delete_insert or replacing_merge_tree"),
    ("alter_table.change_column",
     "Column type change: alter_type, modify_column, recreate_column or unsupported"),
    ("overwrite.strategy", "Overwrite (table swap): rename, swap or exchange"),
    ("batch_insert.strategy", "Batch insert: multi_row_insert, copy or staged_files"),
    ("cdc.deletion_mode", "CDC deletes: hard_delete or soft_delete"),
)

Ask = Callable[[str, str], str]


def _get(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value[part]
    return value


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


def ask_profile(ask: Ask) -> Profile:
    """Ask the preflight questions through ``ask(question, default) -> answer``.

    Raises:
        InputError: the answers do not make a valid profile (the field is named).
    """
    names = shipped_profile_names()
    base = ask(f"Start from which profile ({', '.join(names)})", names[0]).strip()
    if base not in names:
        base = names[0]
    data = load_shipped_profile(base).model_dump(mode="json")
    for path, question in QUESTIONS:
        current = _get(data, path)
        answer = ask(question, str(current)).strip()
        if answer in ("?", "unknown", ""):
            value: Any = "unknown" if answer else current
        else:
            value = yaml.safe_load(answer) if path == "window_functions" else answer
        _set(data, path, value)
    return parse_profile(data, "preflight answers")


def typer_ask(question: str, default: str) -> str:
    """Ask on the terminal with typer (``?`` = unknown)."""
    import typer

    return str(typer.prompt(f"{question} [? = unknown]", default=default))
