"""Bulk (Dataflow) CDK versions the generator knows, and the imports each one needs.

The load CDK moved its database classes between releases (its changelog: 0.1.84 "Move most DB
packages into core", 0.1.86 table-schema refactor, 0.2.7 removed ``DestinationStream.importType``).
Each :class:`CdkEra` covers a version range whose package layout was read from connectors of
airbytehq/airbyte that pinned a version in it (destination-postgres, -clickhouse, -snowflake,
-mysql sources: ``io.airbyte.cdk.load.orchestration.db.*`` before the move, ``io.airbyte.cdk.load
.table.*`` / ``schema.model.TableName`` after). Versions outside every range are refused with a
clear error rather than guessed. The Phase 0 checkpoint (``compileKotlin``) is what proves an
import table against the real CDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from connector_factory.errors import InputError

_COMMON: dict[str, str] = {
    "AirbyteDestinationRunner": "io.airbyte.cdk.AirbyteDestinationRunner",
    "Operation": "io.airbyte.cdk.Operation",
    "SystemErrorException": "io.airbyte.cdk.SystemErrorException",
    "ConfigErrorException": "io.airbyte.cdk.ConfigErrorException",
    "ConfigurationSpecification": "io.airbyte.cdk.command.ConfigurationSpecification",
    "ConfigurationSpecificationSupplier":
        "io.airbyte.cdk.command.ConfigurationSpecificationSupplier",
    "DestinationConfiguration": "io.airbyte.cdk.load.command.DestinationConfiguration",
    "DestinationConfigurationFactory":
        "io.airbyte.cdk.load.command.DestinationConfigurationFactory",
    "DestinationSpecificationExtension":
        "io.airbyte.cdk.load.spec.DestinationSpecificationExtension",
    "DestinationSyncMode": "io.airbyte.protocol.models.v0.DestinationSyncMode",
    "DestinationCheckerV2": "io.airbyte.cdk.load.check.DestinationCheckerV2",
    "CheckOperationV2": "io.airbyte.cdk.load.check.CheckOperationV2",
    "OutputConsumer": "io.airbyte.cdk.output.OutputConsumer",
    "AggregatePublishingConfig": "io.airbyte.cdk.load.dataflow.config.AggregatePublishingConfig",
    "DestinationLifecycle": "io.airbyte.cdk.load.dataflow.DestinationLifecycle",
    "Aggregate": "io.airbyte.cdk.load.dataflow.aggregate.Aggregate",
    "AggregateFactory": "io.airbyte.cdk.load.dataflow.aggregate.AggregateFactory",
    "StoreKey": "io.airbyte.cdk.load.dataflow.aggregate.StoreKey",
    "RecordDTO": "io.airbyte.cdk.load.dataflow.transform.RecordDTO",
    "DestinationStream": "io.airbyte.cdk.load.command.DestinationStream",
    "DestinationCatalog": "io.airbyte.cdk.load.command.DestinationCatalog",
    "Dedupe": "io.airbyte.cdk.load.command.Dedupe",
    "Append": "io.airbyte.cdk.load.command.Append",
    "NamespaceMapper": "io.airbyte.cdk.load.command.NamespaceMapper",
    "Meta": "io.airbyte.cdk.load.message.Meta",
    "TableOperationsClient": "io.airbyte.cdk.load.component.TableOperationsClient",
    "TableSchemaEvolutionClient": "io.airbyte.cdk.load.component.TableSchemaEvolutionClient",
    "ColumnChangeset": "io.airbyte.cdk.load.component.ColumnChangeset",
    "ColumnType": "io.airbyte.cdk.load.component.ColumnType",
    "TableColumns": "io.airbyte.cdk.load.component.TableColumns",
    "TableSchema": "io.airbyte.cdk.load.component.TableSchema",
    "TestTableOperationsClient": "io.airbyte.cdk.load.component.TestTableOperationsClient",
    "TableOperationsSuite": "io.airbyte.cdk.load.component.TableOperationsSuite",
    "StreamStateStore": "io.airbyte.cdk.load.write.StreamStateStore",
    "DestinationWriter": "io.airbyte.cdk.load.write.DestinationWriter",
    "StreamLoader": "io.airbyte.cdk.load.write.StreamLoader",
    "BasicFunctionalityIntegrationTest":
        "io.airbyte.cdk.load.write.BasicFunctionalityIntegrationTest",
    "DedupBehavior": "io.airbyte.cdk.load.write.DedupBehavior",
    "SchematizedNestedValueBehavior": "io.airbyte.cdk.load.write.SchematizedNestedValueBehavior",
    "UnionBehavior": "io.airbyte.cdk.load.write.UnionBehavior",
    "StronglyTyped": "io.airbyte.cdk.load.write.StronglyTyped",
    "DestinationDataDumper": "io.airbyte.cdk.load.test.util.DestinationDataDumper",
    "DestinationCleaner": "io.airbyte.cdk.load.test.util.DestinationCleaner",
    "OutputRecord": "io.airbyte.cdk.load.test.util.OutputRecord",
}

_ORCHESTRATION_DB: dict[str, str] = {
    "TableName": "io.airbyte.cdk.load.table.TableName",
    "ColumnNameMapping": "io.airbyte.cdk.load.table.ColumnNameMapping",
    "TempTableNameGenerator": "io.airbyte.cdk.load.orchestration.db.TempTableNameGenerator",
    "DefaultTempTableNameGenerator":
        "io.airbyte.cdk.load.orchestration.db.DefaultTempTableNameGenerator",
    "DatabaseInitialStatusGatherer":
        "io.airbyte.cdk.load.orchestration.db.DatabaseInitialStatusGatherer",
    "BaseDirectLoadInitialStatusGatherer":
        "io.airbyte.cdk.load.orchestration.db.BaseDirectLoadInitialStatusGatherer",
    "FinalTableNameGenerator": "io.airbyte.cdk.load.orchestration.db.FinalTableNameGenerator",
    "ColumnNameGenerator": "io.airbyte.cdk.load.orchestration.db.ColumnNameGenerator",
    "TableCatalog": "io.airbyte.cdk.load.orchestration.db.legacy_typing_deduping.TableCatalog",
    "ColumnNameMapper": "io.airbyte.cdk.load.dataflow.transform.ColumnNameMapper",
    "DirectLoadInitialStatus":
        "io.airbyte.cdk.load.orchestration.db.direct_load_table.DirectLoadInitialStatus",
    "DirectLoadTableExecutionConfig":
        "io.airbyte.cdk.load.orchestration.db.direct_load_table.DirectLoadTableExecutionConfig",
    "DirectLoadTableAppendStreamLoader":
        "io.airbyte.cdk.load.orchestration.db.direct_load_table.DirectLoadTableAppendStreamLoader",
    "DirectLoadTableAppendTruncateStreamLoader":
        "io.airbyte.cdk.load.orchestration.db.direct_load_table."
        "DirectLoadTableAppendTruncateStreamLoader",
    "DirectLoadTableDedupStreamLoader":
        "io.airbyte.cdk.load.orchestration.db.direct_load_table.DirectLoadTableDedupStreamLoader",
    "DirectLoadTableDedupTruncateStreamLoader":
        "io.airbyte.cdk.load.orchestration.db.direct_load_table."
        "DirectLoadTableDedupTruncateStreamLoader",
}

_CORE_TABLE: dict[str, str] = {
    "TableName": "io.airbyte.cdk.load.schema.model.TableName",
    "ColumnNameMapping": "io.airbyte.cdk.load.table.ColumnNameMapping",
    "TempTableNameGenerator": "io.airbyte.cdk.load.table.TempTableNameGenerator",
    "DefaultTempTableNameGenerator": "io.airbyte.cdk.load.table.DefaultTempTableNameGenerator",
    "DatabaseInitialStatusGatherer": "io.airbyte.cdk.load.table.DatabaseInitialStatusGatherer",
    "BaseDirectLoadInitialStatusGatherer":
        "io.airbyte.cdk.load.table.BaseDirectLoadInitialStatusGatherer",
    "TableSchemaMapper": "io.airbyte.cdk.load.schema.TableSchemaMapper",
    "FieldType": "io.airbyte.cdk.load.data.FieldType",
    "DirectLoadInitialStatus": "io.airbyte.cdk.load.table.directload.DirectLoadInitialStatus",
    "DirectLoadTableExecutionConfig":
        "io.airbyte.cdk.load.table.directload.DirectLoadTableExecutionConfig",
    "DirectLoadTableAppendStreamLoader":
        "io.airbyte.cdk.load.table.directload.DirectLoadTableAppendStreamLoader",
    "DirectLoadTableAppendTruncateStreamLoader":
        "io.airbyte.cdk.load.table.directload.DirectLoadTableAppendTruncateStreamLoader",
    "DirectLoadTableDedupStreamLoader":
        "io.airbyte.cdk.load.table.directload.DirectLoadTableDedupStreamLoader",
    "DirectLoadTableDedupTruncateStreamLoader":
        "io.airbyte.cdk.load.table.directload.DirectLoadTableDedupTruncateStreamLoader",
}


def parse_version(text: str) -> tuple[int, int, int]:
    """``"0.1.76"`` → ``(0, 1, 76)``. Raises ``ValueError`` for other shapes."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text.strip())
    if not match:
        raise ValueError(f"not a version: {text!r}")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


@dataclass(frozen=True)
class CdkEra:
    """A CDK version range ``[first, before)`` with one package layout.

    Attributes:
        name: short id used by the templates (``orchestration-db`` or ``core-table``).
        first: first version in the range (inclusive).
        before: first version after it (exclusive).
        toolkits: the ``airbyteBulkConnector.toolkits`` the build needs.
        imports: simple class name → fully-qualified name.
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


ERAS: tuple[CdkEra, ...] = (
    CdkEra(
        name="orchestration-db", first="0.1.60", before="0.1.84", toolkits=("load-db",),
        imports={**_COMMON, **_ORCHESTRATION_DB},
        evidence="destination-postgres/-mysql/-snowflake dataflow sources importing "
                 "io.airbyte.cdk.load.orchestration.db.* with io.airbyte.cdk.load.table.TableName; "
                 "Dataflow CDK guide pinned at cdkVersion=0.1.76",
    ),
    CdkEra(
        name="core-table", first="0.1.86", before="0.2.7", toolkits=(),
        imports={**_COMMON, **_CORE_TABLE},
        evidence="destination-postgres/-clickhouse/-snowflake sources importing "
                 "io.airbyte.cdk.load.table.* and io.airbyte.cdk.load.schema.model.TableName "
                 "with TableSchemaMapper; CDK changelog 0.1.84/0.1.86/0.2.7",
    ),
)


def era_for(version: str) -> CdkEra:
    """The era containing ``version``.

    Raises:
        InputError: the version is malformed or outside every known range.
    """
    try:
        parse_version(version)
    except ValueError:
        raise InputError(f"cdk_version {version!r} is not a version like 0.1.76",
                         "set cdk_version in the profile") from None
    for era in ERAS:
        if era.contains(version):
            return era
    ranges = ", ".join(f"[{e.first}, {e.before})" for e in ERAS)
    raise InputError(f"cdk_version {version} is outside the CDK versions this generator knows "
                     f"({ranges})", "pin cdk_version to a version in one of those ranges")
