"""Bulk (Dataflow) CDK versions the generator knows: the version table and the symbol table.

:data:`VERSION_TABLE` says, per CDK version range, which package layout and API shapes it has,
each shape with the CDK source file it was read from (airbytehq/airbyte, read with a code search
tool; no CDK code is copied). Only the 1.0.x line — the one the real Dataflow destinations pin
(destination-postgres 1.0.9, destination-clickhouse and destination-snowflake 1.0.13) — is
generated; older ranges are listed so a profile pinning one gets a clear refusal naming what
changed.

The imports the templates use come from the symbol table ``data/cdk/symbols-<line>.yaml``
(:func:`symbol_table`), which is also what :mod:`cf_airbyte_destination.cdk_conformance` checks
the generated Kotlin against, so a template can only import a name the table knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from connector_factory.errors import InputError


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.0.13"`` → ``(1, 0, 13)``. Raises ``ValueError`` for other shapes."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text.strip())
    if not match:
        raise ValueError(f"not a version: {text!r}")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


@dataclass(frozen=True)
class ApiShape:
    """One fact about a CDK range's API: what it is and the CDK source file it was read from."""

    fact: str
    source: str


@dataclass(frozen=True)
class CdkRange:
    """A CDK version range ``[first, before)`` with one package layout.

    Attributes:
        name: layout id (``bulk-1.0`` …); ``generated`` says whether the templates target it.
        first / before: the range (inclusive / exclusive).
        toolkits: ``airbyteBulkConnector.toolkits`` the build needs.
        shapes: the API facts of the range, each with its source file.
        symbols: the symbol-table file (under ``data/cdk``) of a generated range.
    """

    name: str
    first: str
    before: str
    generated: bool
    toolkits: tuple[str, ...] = ()
    shapes: tuple[ApiShape, ...] = ()
    symbols: str = ""

    def contains(self, version: str) -> bool:
        """Whether ``version`` falls in this range."""
        v = parse_version(version)
        return parse_version(self.first) <= v < parse_version(self.before)


_LOAD = "airbyte-cdk/bulk/core/load/src/main/kotlin/io/airbyte/cdk/load/"
_FIX = "airbyte-cdk/bulk/core/load/src/testFixtures/kotlin/io/airbyte/cdk/load/"

#: Per CDK version range: layout and API shapes, each citing the CDK source it was read from.
VERSION_TABLE: tuple[CdkRange, ...] = (
    CdkRange(
        name="orchestration-db", first="0.1.52", before="0.1.84", generated=False,
        toolkits=("load-db",),
        shapes=(
            ApiShape("DB classes in io.airbyte.cdk.load.orchestration.db.* (toolkit load-db); "
                     "name generators FinalTableNameGenerator/ColumnNameGenerator",
                     "airbyte-cdk/bulk/changelog.md@111d9486 (0.1.52, 0.1.84)"),
            ApiShape("DatabaseInitialStatusGatherer.gatherInitialStatus(TableCatalog)",
                     "destination-postgres write/PostgresWriter.kt@6d588cce"),
        )),
    CdkRange(
        name="core-table-0.x", first="0.1.84", before="1.0.0", generated=False,
        shapes=(
            ApiShape("0.1.84: most DB packages moved into core; table schema interface "
                     "refactored into TableSchemaMapper",
                     "airbyte-cdk/bulk/changelog.md@111d9486 (0.1.84)"),
        )),
    CdkRange(
        name="bulk-1.0", first="1.0.0", before="1.1.0", generated=True,
        symbols="symbols-1.0.yaml",
        shapes=(
            ApiShape("TableName is io.airbyte.cdk.load.schema.model.TableName(namespace, name)",
                     _LOAD + "schema/model/TableName.kt@86832aab"),
            ApiShape("table classes in io.airbyte.cdk.load.table.* and .table.directload.* "
                     "(no orchestration.db, no load-db toolkit)",
                     _LOAD + "table/directload/DirectLoadTableStreamLoader.kt@01712e0a"),
            ApiShape("DatabaseInitialStatusGatherer.gatherInitialStatus() takes no argument; "
                     "BaseDirectLoadInitialStatusGatherer(tableOperationsClient, catalog)",
                     _LOAD + "table/DatabaseInitialStatusGatherer.kt@0c2b025d"),
            ApiShape("names and column types come from a TableSchemaMapper (toFinalTableName, "
                     "toTempTableName, toColumnName, toColumnType)",
                     _LOAD + "schema/TableSchemaMapper.kt@0c2b025d"),
            ApiShape("a stream's table names, column schema and import type are "
                     "stream.tableSchema.{tableNames, columnSchema, importType}",
                     _LOAD + "schema/model/StreamTableSchema.kt@0c2b025d"),
            ApiShape("ColumnSchema(rawSchema, rawToFinalColumnNames, finalColumnSchema)",
                     _LOAD + "schema/model/ColumnSchema.kt@00261a2b"),
            ApiShape("AggregatePublishingConfig is in io.airbyte.cdk.load.dataflow.config.model",
                     _LOAD + "dataflow/config/model/AggregatePublishingConfig.kt@5b177eac"),
            ApiShape("TableOperationsSuite needs client, testClient and schemaFactory "
                     "(TableSchemaFactory)", _FIX + "component/TableOperationsSuite.kt@cff90947"),
            ApiShape("BasicFunctionalityIntegrationTest's tests are testAppend, "
                     "testTruncateRefresh, testAppendSchemaEvolution, testDedup",
                     _FIX + "write/BasicFunctionalityIntegrationTest.kt"),
            ApiShape("OutputRecord(rawId, extractedAt, loadedAt, generationId, data, "
                     "airbyteMeta: OutputRecord.Meta?)",
                     _FIX + "test/util/OutputRecord.kt@150c88fa"),
        )),
)

#: The version a profile pins when it does not say (what destination-clickhouse/-snowflake pin).
DEFAULT_CDK_VERSION = "1.0.13"


@dataclass(frozen=True)
class CdkEra:
    """A generated CDK range with the imports its templates need.

    Attributes:
        name: short id used by the templates (``bulk-1.0``).
        first / before: the range.
        toolkits: the ``airbyteBulkConnector.toolkits`` the build needs.
        imports: simple class name → fully-qualified name (from the symbol table).
        evidence: where the layout was read.
    """

    name: str
    first: str
    before: str
    toolkits: tuple[str, ...]
    imports: dict[str, str] = field(default_factory=dict)
    evidence: str = ""

    def contains(self, version: str) -> bool:
        """Whether ``version`` falls in this range."""
        v = parse_version(version)
        return parse_version(self.first) <= v < parse_version(self.before)


@lru_cache(maxsize=4)
def symbol_table(file_name: str) -> dict[str, Any]:
    """The symbol table ``data/cdk/<file_name>``: ``{"cdk", "versions", "symbols"}`` where
    ``symbols`` maps a fully-qualified CDK name to its entry (kind, source, functions,
    properties, members, constructor, supertypes)."""
    text = resources.files("cf_airbyte_destination").joinpath(f"data/cdk/{file_name}") \
        .read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _era(rng: CdkRange) -> CdkEra:
    symbols = symbol_table(rng.symbols)["symbols"]
    imports = {fqn.rsplit(".", 1)[1]: fqn for fqn in symbols}
    return CdkEra(name=rng.name, first=rng.first, before=rng.before, toolkits=rng.toolkits,
                  imports=imports, evidence="; ".join(s.source for s in rng.shapes))


def range_for(version: str) -> CdkRange | None:
    """The version-table range containing ``version`` (generated or not), or ``None``."""
    for rng in VERSION_TABLE:
        if rng.contains(version):
            return rng
    return None


def era_for(version: str) -> CdkEra:
    """The generated era containing ``version``.

    Raises:
        InputError: the version is malformed, or in a range the generator does not target
            (the message names what changed), or outside every known range.
    """
    try:
        parse_version(version)
    except ValueError:
        raise InputError(f"cdk_version {version!r} is not a version like {DEFAULT_CDK_VERSION}",
                         "set cdk_version in the profile") from None
    rng = range_for(version)
    supported = [r for r in VERSION_TABLE if r.generated]
    ranges = ", ".join(f"[{r.first}, {r.before})" for r in supported)
    if rng is None:
        raise InputError(f"cdk_version {version} is outside the CDK versions this generator "
                         f"knows (generated: {ranges})",
                         f"pin cdk_version: \"{DEFAULT_CDK_VERSION}\" in the profile")
    if not rng.generated:
        raise InputError(f"cdk_version {version} has the '{rng.name}' layout "
                         f"({rng.shapes[0].fact}), which is no longer generated",
                         f"pin cdk_version: \"{DEFAULT_CDK_VERSION}\" (generated: {ranges})")
    return _era(rng)
