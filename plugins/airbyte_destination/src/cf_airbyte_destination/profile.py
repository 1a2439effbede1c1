"""The destination profile: the preflight answers that drive every generated component.

A profile is a YAML file validated by :class:`Profile` (pydantic, ``extra="forbid"``). Any answer
may be the string ``unknown``: it is then an *open question* (:func:`open_questions`) that blocks
the phases depending on it (:data:`QUESTION_PHASES`) instead of failing validation. Shipped
profiles (postgres, duckdb, clickhouse, snowflake, mysql) live in the package data folder
``data/profiles`` and are read with :mod:`importlib.resources`.

Errors: :func:`load_profile` and :func:`parse_profile` raise
:class:`connector_factory.errors.InputError` with one line naming the file and the field.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from connector_factory.errors import InputError, first_invalid_field
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

#: The word that marks an answer as not known yet.
UNKNOWN = "unknown"
Unknown = Literal["unknown"]

#: The Airbyte types every profile maps, in the order the docs list them.
AIRBYTE_TYPES: tuple[str, ...] = (
    "string", "boolean", "integer", "number", "date", "time_with_timezone",
    "time_without_timezone", "timestamp_with_timezone", "timestamp_without_timezone",
    "object", "array", "union", "unknown_type",
)

#: Airbyte's meta columns, in table order.
META_COLUMNS: tuple[str, ...] = (
    "_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id",
)
#: The column whose non-null value marks a CDC delete.
CDC_DELETED_AT = "_ab_cdc_deleted_at"

Dialect = Literal["postgres", "duckdb", "clickhouse", "snowflake", "mysql"]
OptionalPhase = Literal["cdc", "optimisation"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigField(_Strict):
    """One field of the generated connector's specification (the Airbyte UI form)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: Literal["string", "integer", "boolean"] = "string"
    description: str
    secret: bool = False
    required: bool = True
    default: str | int | bool | None = None


class Connection(_Strict):
    """How the connector reaches the database: a JDBC driver or a native client."""

    client: Literal["jdbc", "native"] | Unknown
    #: Maven coordinates ``group:artifact:version`` of the JDBC driver or native client.
    driver: str = Field(pattern=r"^(unknown|[\w.\-]+:[\w.\-]+:[\w.\-]+)$")
    #: JDBC driver class (``org.postgresql.Driver``); for native clients the client class.
    driver_class: str | Unknown
    #: URL with ``{field}`` placeholders naming :attr:`config_fields`, e.g.
    #: ``jdbc:postgresql://{host}:{port}/{database}``.
    url_format: str | Unknown
    default_port: int | None = None
    config_fields: tuple[ConfigField, ...]
    #: Testcontainers module (Maven coordinates) and image for the component tests, if any.
    test_container: str | None = None
    test_image: str | None = None

    @field_validator("config_fields")
    @classmethod
    def _unique_fields(cls, value: tuple[ConfigField, ...]) -> tuple[ConfigField, ...]:
        names = [f.name for f in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate config field(s): {', '.join(dupes)}")
        return value


class Namespaces(_Strict):
    """Whether and how the database groups tables (schemas or databases)."""

    supported: bool | Unknown
    kind: Literal["schema", "database"] | Unknown
    #: Namespace used when a stream has none; a config field name in braces or a literal.
    default: str


class Identifiers(_Strict):
    """Quoting and case rules for table and column names."""

    quote: Literal['"', "`"] | Unknown
    case: Literal["preserve", "lower", "upper"] | Unknown
    max_length: int = Field(ge=8, le=1024)


class TypeMapping(_Strict):
    """Airbyte type → database type (from the real connector's code where one exists)."""

    string: str
    boolean: str
    integer: str
    number: str
    date: str
    time_with_timezone: str
    time_without_timezone: str
    timestamp_with_timezone: str
    timestamp_without_timezone: str
    object: str
    array: str
    union: str
    unknown_type: str


class MetaColumnTypes(_Strict):
    """Database types of Airbyte's meta columns."""

    raw_id: str
    extracted_at: str
    meta: str
    generation_id: str


class Upsert(_Strict):
    """How dedupe mode merges a deduplicated batch into the final table.

    ``merge``: ``MERGE INTO … USING (ROW_NUMBER() dedupe)``; ``insert_on_conflict``: dedupe then
    ``INSERT … ON CONFLICT (pk) DO UPDATE`` (a unique index on the primary key);
    ``window_delete_insert``: temp table with ``ROW_NUMBER()`` dedupe, delete the rows it
    supersedes, insert; ``replacing_merge_tree``: ClickHouse's engine-level dedupe.
    ``key_columns_not_null``: create the primary key and cursor columns of a dedupe table
    ``NOT NULL`` (required by ClickHouse's table definition).
    """

    mechanism: Literal[
        "merge", "insert_on_conflict", "window_delete_insert", "replacing_merge_tree"
    ] | Unknown
    #: Primary-key and cursor (version) columns of a dedupe table are created NOT NULL
    #: (ClickHouse: a sorting key or ReplacingMergeTree version column cannot be Nullable).
    key_columns_not_null: bool = False


class AlterTable(_Strict):
    """Which ``ALTER TABLE`` operations schema evolution may use."""

    add_column: bool | Unknown
    drop_column: bool | Unknown
    #: ``alter_type`` (``ALTER COLUMN … TYPE``), ``modify_column`` (``MODIFY COLUMN``),
    #: ``recreate_column`` (add, copy with CAST, drop, rename) or ``unsupported``.
    change_column: Literal[
        "alter_type", "modify_column", "recreate_column", "unsupported"
    ] | Unknown


class Overwrite(_Strict):
    """How a truncate refresh replaces the final table with the temp table."""

    strategy: Literal["rename", "swap", "exchange"] | Unknown


class BatchInsert(_Strict):
    """How the insert buffer loads records (phase 11 optimisation)."""

    strategy: Literal["multi_row_insert", "copy", "staged_files"] | Unknown
    batch_size: int = Field(default=1000, ge=1, le=1_000_000)


class Cdc(_Strict):
    """What a record with ``_ab_cdc_deleted_at`` set does in dedupe mode."""

    deletion_mode: Literal["hard_delete", "soft_delete"] | Unknown


class Profile(_Strict):
    """A validated destination profile (see the module docstring)."""

    profile_version: Literal[1] = 1
    database: str = Field(min_length=1, description="Display name, e.g. 'PostgreSQL'.")
    dialect: Dialect
    cdk_version: str = Field(pattern=r"^(unknown|\d+\.\d+\.\d+)$")
    connection: Connection
    namespaces: Namespaces
    identifiers: Identifiers
    types: TypeMapping
    meta_columns: MetaColumnTypes
    #: information_schema type names → the profile's type names (lower case, no precision),
    #: so schema evolution does not see a change where there is none.
    catalog_type_aliases: dict[str, str] = Field(default_factory=dict)
    #: Wrapper for nullable columns (ClickHouse ``Nullable({type})``); ``None``: NOT NULL style.
    nullable_wrapper: str | None = None
    window_functions: bool | Unknown
    upsert: Upsert
    alter_table: AlterTable
    overwrite: Overwrite
    batch_insert: BatchInsert
    cdc: Cdc
    #: Optional phases skipped, with the reason (recorded in the README as a limitation).
    skip_phases: dict[OptionalPhase, str] = Field(default_factory=dict)
    #: Where the answers come from (file in the real connector, guide, vendor docs).
    sources: dict[str, str] = Field(default_factory=dict)
    docker_base_image: str = (
        "docker.io/airbyte/java-connector-base:2.0.3@sha256:"
        "119b8506bca069bbc8357a275936c7e2b0994e6947b81f1bf8d6ce9e16db7d47"
    )

    @field_validator("skip_phases")
    @classmethod
    def _reasons(cls, value: dict[str, str]) -> dict[str, str]:
        for phase, why in value.items():
            if not why.strip():
                raise ValueError(f"skipping {phase} needs a reason")
        return value

    def type_for(self, airbyte_type: str) -> str:
        """The database type for ``airbyte_type`` (one of :data:`AIRBYTE_TYPES`)."""
        value: str = getattr(self.types, airbyte_type)
        return value

    def meta_type(self, column: str) -> str:
        """The database type of meta column ``column`` (one of :data:`META_COLUMNS`)."""
        key = column.removeprefix("_airbyte_")
        value: str = getattr(self.meta_columns, key)
        return value


#: Which phases an unknown answer blocks, by the first part of its dotted path.
QUESTION_PHASES: dict[str, int] = {
    "cdk_version": 0, "connection": 0, "namespaces": 2, "identifiers": 2, "types": 3,
    "meta_columns": 3, "nullable_wrapper": 3, "overwrite": 6, "alter_table": 8,
    "window_functions": 9, "upsert": 9, "cdc": 10, "batch_insert": 11,
}


def open_questions(profile: Profile) -> list[str]:
    """Dotted paths of every answer that is ``unknown`` (e.g. ``upsert.mechanism``)."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, str) and value.strip().lower() == UNKNOWN and path:
            found.append(path)

    walk(profile, "")
    return found


def blocked_phases(questions: list[str]) -> dict[int, list[str]]:
    """Phase number → the open questions that block it (a question blocks its phase and every
    later one, since phases build on each other)."""
    blocked: dict[int, list[str]] = {}
    for question in questions:
        first = QUESTION_PHASES.get(question.split(".")[0], 0)
        blocked.setdefault(first, []).append(question)
    return blocked


def parse_profile(data: Any, source: str = "profile") -> Profile:
    """Validate already-loaded YAML data.

    Raises:
        InputError: not a mapping, or a field is missing/invalid; the message names
            ``source`` and the dotted field path, on one line.
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: the profile must be a YAML mapping, got "
                         f"{type(data).__name__}", "start from a shipped profile (cf targets)")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        where, message = first_invalid_field(exc)
        message = re.sub(r"\s+", " ", message)
        value = exc.errors()[0].get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | bool) else ""
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(f"{source}: field {where}: {message}{shown}{more}",
                         f"fix {where} in {source} (or answer 'unknown' to leave it open)"
                         ) from None


def load_profile(path: Path) -> Profile:
    """Read and validate the YAML profile at ``path``.

    Raises:
        InputError: missing or unreadable file, invalid YAML (line named), or invalid fields.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read profile {path}: {exc.strerror or exc}",
                         "check the --profile path") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"profile {path} is not valid YAML{where}: {problem}",
                         "fix the YAML syntax") from None
    return parse_profile(data, str(path))


def shipped_profile_names() -> list[str]:
    """Names of the profiles shipped in the package (``postgres``, ``duckdb`` …)."""
    folder = resources.files("cf_airbyte_destination") / "data" / "profiles"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def shipped_profile_path(name: str) -> Path:
    """Filesystem path of the shipped profile ``name`` (the wheel installs it unzipped).

    Raises:
        InputError: no shipped profile of that name.
    """
    folder = resources.files("cf_airbyte_destination") / "data" / "profiles"
    candidate = folder / f"{name}.yaml"
    if not candidate.is_file():
        raise InputError(f"no shipped profile {name!r}",
                         f"use one of: {', '.join(shipped_profile_names())}")
    return Path(str(candidate))


def load_shipped_profile(name: str) -> Profile:
    """Load and validate the shipped profile ``name``."""
    return load_profile(shipped_profile_path(name))


def dump_profile(profile: Profile) -> str:
    """The profile as YAML (field order kept), as written to ``destination_profile.yaml``."""
    data = profile.model_dump(mode="json")
    header = ("# Destination profile validated by cf (target airbyte-destination).\n"
              "# Edit and re-run `cf scaffold`; 'unknown' marks an open question.\n")
    body: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return header + body
