"""The twelve phases (0–11) of building a Dataflow CDK destination, and their checkpoints.

Each :class:`Phase` names the components it writes or extends and the checkpoint tests that
must pass before the next phase starts. Airbyte's bulk connector Gradle plugin defines only the
``test``, ``integrationTestNonDocker`` and ``integrationTestJava`` tasks, so a checkpoint runs
``integrationTestNonDocker`` filtered (``--tests``) to the test methods of that phase and of every
earlier phase (the regression check); phase 0's checkpoint is the compile itself.

The integration test methods are the suite's own (``BasicFunctionalityIntegrationTest`` in the
CDK's testFixtures: ``testAppend``, ``testTruncateRefresh``, ``testAppendSchemaEvolution``,
``testDedup`` — not the step-by-step guide's ``testTruncate``/``testDedupe``); the CDK
conformance check proves each override exists in the pinned CDK.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Test classes (relative to the connector's package) holding the checkpoint tests.
COMPONENT_TEST = "component.{P}TableOperationsTest"
INTEGRATION_TEST = "{P}WriteTest"


@dataclass(frozen=True)
class Phase:
    """One phase: number, key, title, components, checkpoint tests, whether it is optional.

    ``tests`` are ``(test class template, method name)`` pairs; ``{P}`` is the class prefix.
    ``components`` name the generated classes the phase writes or extends (the debugger
    points failures at them).
    """

    number: int
    key: str
    title: str
    components: tuple[str, ...]
    tests: tuple[tuple[str, str], ...]
    optional: bool = False
    compile_only: bool = False


PHASES: tuple[Phase, ...] = (
    Phase(0, "scaffolding", "Scaffolding",
          ("build.gradle.kts", "gradle.properties", "metadata.yaml", "{P}Destination",
           "{P}Specification", "{P}Configuration", "{P}SpecificationExtension",
           "{P}BeanFactory"), (), compile_only=True),
    Phase(1, "connectivity", "Connectivity",
          ("{P}BeanFactory", "{P}TestConfigFactory", "{P}TestTableOperationsClient",
           "{P}TableOperationsTest"),
          ((COMPONENT_TEST, "connect to database"),)),
    Phase(2, "namespaces", "Namespaces",
          ("{P}NamingUtils", "{P}SqlGenerator", "{P}AirbyteClient",
           "{P}TestTableOperationsClient"),
          ((COMPONENT_TEST, "create and drop namespaces"),)),
    Phase(3, "table_operations", "Table operations and type mapping",
          ("{P}ColumnUtils", "{P}SqlGenerator", "{P}AirbyteClient",
           "{P}TestTableOperationsClient"),
          ((COMPONENT_TEST, "create and drop tables"), (COMPONENT_TEST, "insert records"),
           (COMPONENT_TEST, "count table rows"))),
    Phase(4, "generation_ids", "Generation IDs",
          ("{P}SqlGenerator", "{P}AirbyteClient"),
          ((COMPONENT_TEST, "get generation id"),)),
    Phase(5, "append", "Append (first working sync)",
          ("{P}NameGenerators", "{P}InsertBuffer", "{P}Aggregate", "{P}AggregateFactory",
           "{P}DirectLoadDatabaseInitialStatusGatherer", "{P}Writer", "{P}Checker",
           "WriteOperationV2", "{P}BeanFactory", "{P}WriteTest"),
          ((INTEGRATION_TEST, "testAppend"),)),
    Phase(6, "overwrite", "Overwrite (truncate refresh, table swap)",
          ("{P}SqlGenerator", "{P}AirbyteClient", "{P}Writer"),
          ((COMPONENT_TEST, "overwrite tables"), (INTEGRATION_TEST, "testTruncateRefresh"))),
    Phase(7, "copy", "Copy",
          ("{P}SqlGenerator", "{P}AirbyteClient"),
          ((COMPONENT_TEST, "copy tables"),)),
    Phase(8, "schema_evolution", "Schema evolution",
          ("{P}SqlGenerator", "{P}AirbyteClient"),
          ((INTEGRATION_TEST, "testAppendSchemaEvolution"),)),
    Phase(9, "dedupe", "Dedupe (upsert)",
          ("{P}SqlGenerator", "{P}AirbyteClient", "{P}Writer"),
          ((COMPONENT_TEST, "upsert tables"), (INTEGRATION_TEST, "testDedup"))),
    Phase(10, "cdc", "CDC deletes",
          ("{P}Specification", "{P}Configuration", "{P}SqlGenerator", "{P}WriteTest"),
          ((INTEGRATION_TEST, "testDedup"),), optional=True),
    Phase(11, "optimisation", "Optimisation (batch strategy)",
          ("{P}InsertBuffer", "{P}SqlGenerator"),
          ((INTEGRATION_TEST, "testAppend"), (INTEGRATION_TEST, "testDedup")), optional=True),
)

#: Optional phases by key (what ``skip_phases`` may name).
OPTIONAL_KEYS: dict[str, int] = {p.key: p.number for p in PHASES if p.optional}


def phase_tests(number: int, prefix: str, package: str) -> list[str]:
    """``--tests`` filters for phase ``number`` and every earlier phase (regression), as
    ``<package>.<Class>.<method>``, without duplicates, in phase order."""
    out: list[str] = []
    for phase in PHASES[: number + 1]:
        for cls, method in phase.tests:
            name = f"{package}.{cls.format(P=prefix)}.{method}"
            if name not in out:
                out.append(name)
    return out


def components(phase: Phase, prefix: str) -> list[str]:
    """The phase's component names with the class prefix filled in."""
    return [c.format(P=prefix) for c in phase.components]
