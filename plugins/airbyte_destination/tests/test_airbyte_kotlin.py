"""Every generated Kotlin file parses (tree-sitter-kotlin, zero ERROR/MISSING nodes) for every
shipped profile (bulk CDK 1.0.x); Gradle files pin the profile's CDK version; the SQL the
Python generator produces is embedded verbatim in the generated SqlGenerator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cf_airbyte_destination.kotlin_check import check_kotlin_file, kotlin_string_literals
from cf_airbyte_destination.profile import (
    load_profile,
    shipped_profile_names,
    shipped_profile_path,
)
from cf_airbyte_destination.scaffold import EMBED_PHASE
from cf_airbyte_destination.sqlgen import build_templates
from conftest import KOTLIN_PARSED, generate_project


def variant(tmp_path: Path, base: str, **changes: object) -> Path:
    """A copy of a shipped profile with top-level ``changes``."""
    data = yaml.safe_load(shipped_profile_path(base).read_text())
    data.update(changes)
    path = tmp_path / f"{base}-variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("name", shipped_profile_names())
def test_generated_kotlin_parses_and_embeds_the_sql(shipped_projects: dict[str, Path],
                                                    name: str) -> None:
    from connector_factory.state import StateStore

    project = shipped_projects[name]
    details = StateStore(project).load().step("scaffold").details
    assert details["last_phase"] == 11
    kotlin = sorted(project.rglob("*.kt"))
    assert len(kotlin) >= 21
    for path in kotlin:
        assert check_kotlin_file(path) == [], path
    KOTLIN_PARSED[name] = len(kotlin)

    profile = load_profile(project / "destination_profile.yaml")
    assert profile.cdk_version.startswith("1.0.")
    props = (project / "gradle.properties").read_text()
    assert f"cdkVersion={profile.cdk_version}\n" in props
    assert profile.cdk_version in (project / "build.gradle.kts").read_text()

    generator = next(project.rglob("*SqlGenerator.kt"))
    literals = set(kotlin_string_literals(generator.read_bytes()))
    templates = build_templates(profile)
    for key, statements in templates.statements.items():
        if EMBED_PHASE[key] <= 11:
            for sql in statements:
                assert sql in literals, (key, sql)
    for key, fragment in templates.fragments.items():
        if key.startswith("engine_") and profile.dialect != "clickhouse":
            continue
        assert fragment in literals, key

    sources = "\n".join(p.read_text() for p in kotlin)
    assert "io.airbyte.cdk.load.schema.model.TableName" in sources
    assert "io.airbyte.cdk.load.dataflow.config.model.AggregatePublishingConfig" in sources
    assert "orchestration.db" not in sources and "TableSchemaMapper" in sources
    assert "gatherInitialStatus()" in sources and "stream.importType" not in sources
    assert "override fun testTruncateRefresh()" in sources
    assert "override fun testDedup()" in sources and "testDedupe" not in sources
    assert "override val schemaFactory: TableSchemaFactory" in sources
    assert 'toolkits = listOf()' in (project / "build.gradle.kts").read_text()
    readme = (project / "README.md").read_text()
    assert "only inside Airbyte's monorepo" in readme and "Java 21" in readme
    assert "JDK 17" not in readme


def test_skipped_optional_phase_is_a_readme_limitation(tmp_path: Path) -> None:
    project, state = generate_project(tmp_path, shipped_profile_path("clickhouse"), "ch")
    phases = state.step("scaffold").details["phases"]
    assert phases["10"]["status"] == "skipped"
    readme = (project / "README.md").read_text()
    assert "cdc phase skipped: ReplacingMergeTree" in readme
    tracker = state.step("scaffold").details["tracker"]
    assert any(line.startswith("– 10 cdc: skipped — ReplacingMergeTree") for line in tracker)


def fixture_checkout(root: Path) -> Path:
    """A minimal Airbyte checkout of our own: ``airbyte-integrations/connectors/`` with one
    real-looking connector, modelled on airbytehq/airbyte's
    ``airbyte-integrations/connectors/destination-postgres/metadata.yaml`` (fields
    ``dockerRepository``, ``githubIssueLabel``, ``definitionId``), and one connector whose
    ``githubIssueLabel`` is ``destination-taken``."""
    connectors = root / "airbyte-integrations" / "connectors"
    for folder, docker, label in (("destination-postgres", "airbyte/destination-postgres",
                                   "destination-postgres"),
                                  ("destination-other", "airbyte/destination-other",
                                   "destination-taken")):
        (connectors / folder).mkdir(parents=True)
        (connectors / folder / "metadata.yaml").write_text(
            "data:\n  connectorType: destination\n"
            "  definitionId: 25c5221d-dce2-4163-ade9-739ef790f503\n"
            f"  dockerRepository: {docker}\n  githubIssueLabel: {label}\n")
    return root


def run_in_checkout(repo: Path, name: str) -> Any:
    from connector_factory.models import Step
    from connector_factory.pipeline import Pipeline
    from connector_factory.plugins import load_plugins
    from connector_factory.reporter import RecordingReporter

    plugins = load_plugins()
    pipeline = Pipeline(project_dir=repo, plugins=plugins, reporter=RecordingReporter(),
                        assume_yes=True)
    target = plugins.target("airbyte-destination")
    pipeline.select(name, target, shared=True)  # what `cf new … --repo` does
    pipeline.create(name, target,
                    {"profile": str(shipped_profile_path("postgres")), "repo": str(repo)})
    pipeline.run(only=Step.plan)
    return pipeline.run(only=Step.scaffold)


def test_connector_goes_into_an_airbyte_checkout(tmp_path: Path) -> None:
    repo = fixture_checkout(tmp_path / "airbyte")
    run_in_checkout(repo, "pg")
    root = repo / "airbyte-integrations/connectors/destination-pg"
    assert (root / "build.gradle.kts").is_file()
    assert (root / "src/main/kotlin/io/airbyte/integrations/destination/pg/PgDestination.kt"
            ).is_file()
    readme = (root / "README.md").read_text()
    assert ":airbyte-integrations:connectors:destination-pg:compileKotlin" in readme
    metadata = (root / "metadata.yaml").read_text()
    assert "dockerRepository: airbyte/destination-pg\n" in metadata
    assert "githubIssueLabel: destination-pg\n" in metadata
    others = [p.read_text() for p in root.parent.glob("*/metadata.yaml") if p.parent != root]
    assert all("airbyte/destination-pg\n" not in text for text in others)
    # the real connector's folder is untouched
    assert (root.parent / "destination-postgres" / "metadata.yaml").read_text().count("\n") == 5
    run_in_checkout(repo, "pg")  # our own folder is not a conflict on a re-run
    assert (root / "destination_profile.yaml").is_file()
    assert not (repo / "destination_profile.yaml").exists()


def test_two_projects_share_one_checkout(tmp_path: Path) -> None:
    """Each keeps its profile in its own connector folder; the core keeps the second one's
    state in .cf/projects/NAME."""
    repo = fixture_checkout(tmp_path / "airbyte")
    run_in_checkout(repo, "pg")
    state = run_in_checkout(repo, "pg_two")
    assert state.step("scaffold").status == "completed"
    connectors = repo / "airbyte-integrations/connectors"
    for slug in ("destination-pg", "destination-pg-two"):
        assert (connectors / slug / "destination_profile.yaml").is_file()
        assert (connectors / slug / "metadata.yaml").is_file()
    assert "githubIssueLabel: destination-pg-two\n" in \
        (connectors / "destination-pg-two" / "metadata.yaml").read_text()
    assert (repo / ".cf" / "projects" / "pg_two" / "state.json").is_file()


@pytest.mark.parametrize(("name", "problem"), [
    ("postgres", "airbyte-integrations/connectors/destination-postgres already exists"),
    ("taken", "already uses githubIssueLabel: destination-taken"),
])
def test_checkout_refuses_a_taken_name(tmp_path: Path, name: str, problem: str) -> None:
    from connector_factory.errors import InputError

    repo = fixture_checkout(tmp_path / "airbyte")
    with pytest.raises(InputError) as info:
        run_in_checkout(repo, name)
    assert problem in info.value.problem and "pick another NAME" in info.value.fix
    assert not (repo / f"airbyte-integrations/connectors/destination-{name}" / "src").exists()


def test_repo_that_is_not_an_airbyte_checkout_is_refused(tmp_path: Path) -> None:
    from connector_factory.errors import InputError

    with pytest.raises(InputError, match="is not an Airbyte checkout"):
        run_in_checkout(tmp_path, "pg")
