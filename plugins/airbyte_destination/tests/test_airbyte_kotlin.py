"""Every generated Kotlin file parses (tree-sitter-kotlin, zero ERROR/MISSING nodes) for every
shipped profile and both CDK layouts; Gradle files pin the profile's CDK version; the SQL the
Python generator produces is embedded verbatim in the generated SqlGenerator."""

from __future__ import annotations

from pathlib import Path

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


CASES = [(n, None) for n in shipped_profile_names()] + [("postgres", "0.1.91"),
                                                        ("snowflake", "0.1.91")]


@pytest.mark.parametrize(("name", "cdk"), CASES)
def test_generated_kotlin_parses_and_embeds_the_sql(tmp_path: Path, name: str,
                                                    cdk: str | None) -> None:
    profile_path = variant(tmp_path, name, cdk_version=cdk) if cdk else \
        shipped_profile_path(name)
    project, state = generate_project(tmp_path, profile_path, f"dest_{name}")
    details = state.step("scaffold").details
    assert details["last_phase"] == 11
    kotlin = sorted(project.rglob("*.kt"))
    assert len(kotlin) >= 21
    for path in kotlin:
        assert check_kotlin_file(path) == [], path
    KOTLIN_PARSED[f"{name}@{cdk or 'shipped'}"] = len(kotlin)

    profile = load_profile(project / "destination_profile.yaml")
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
    if cdk == "0.1.91":
        assert "io.airbyte.cdk.load.schema.model.TableName" in sources
        assert "orchestration.db" not in sources and "TableSchemaMapper" in sources
        assert not list(project.rglob("*ColumnNameMapper.kt"))
        assert 'toolkits = listOf()' in (project / "build.gradle.kts").read_text()
    else:
        assert "io.airbyte.cdk.load.orchestration.db.direct_load_table." in sources
        assert 'toolkits = listOf("load-db")' in (project / "build.gradle.kts").read_text()


def test_skipped_optional_phase_is_a_readme_limitation(tmp_path: Path) -> None:
    project, state = generate_project(tmp_path, shipped_profile_path("clickhouse"), "ch")
    phases = state.step("scaffold").details["phases"]
    assert phases["10"]["status"] == "skipped"
    readme = (project / "README.md").read_text()
    assert "cdc phase skipped: ReplacingMergeTree" in readme
    tracker = state.step("scaffold").details["tracker"]
    assert any(line.startswith("– 10 cdc: skipped — ReplacingMergeTree") for line in tracker)


def test_connector_goes_into_an_airbyte_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "airbyte"
    repo.mkdir()
    from connector_factory.models import Step
    from connector_factory.pipeline import Pipeline
    from connector_factory.plugins import load_plugins
    from connector_factory.reporter import RecordingReporter

    plugins = load_plugins()
    pipeline = Pipeline(project_dir=repo, plugins=plugins, reporter=RecordingReporter(),
                        assume_yes=True)
    pipeline.create("pg", plugins.target("airbyte-destination"),
                    {"profile": str(shipped_profile_path("postgres")), "repo": str(repo)})
    pipeline.run(only=Step.plan)
    pipeline.run(only=Step.scaffold)
    root = repo / "airbyte-integrations/connectors/destination-pg"
    assert (root / "build.gradle.kts").is_file()
    assert (root / "src/main/kotlin/io/airbyte/integrations/destination/pg/PgDestination.kt"
            ).is_file()
    assert ":airbyte-integrations:connectors:destination-pg:compileKotlin" in \
        (root / "README.md").read_text()
