"""Profile validation: shipped profiles are valid; malformed ones fail with one line naming the
field; 'unknown' answers become open questions that block phases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cf_airbyte_destination.cdk import era_for
from cf_airbyte_destination.profile import (
    blocked_phases,
    load_profile,
    load_shipped_profile,
    open_questions,
    shipped_profile_names,
    shipped_profile_path,
)
from connector_factory.errors import InputError


def test_five_profiles_ship_and_validate() -> None:
    assert shipped_profile_names() == ["clickhouse", "duckdb", "mysql", "postgres", "snowflake"]
    for name in shipped_profile_names():
        profile = load_shipped_profile(name)
        assert open_questions(profile) == []
        era_for(profile.cdk_version)


def test_type_mappings_follow_the_real_connectors() -> None:
    pg, sf, ch = (load_shipped_profile(n) for n in ("postgres", "snowflake", "clickhouse"))
    assert pg.types.object == pg.types.array == pg.types.union == "jsonb"
    assert sf.types.integer == "NUMBER(38,0)" and sf.types.union == "VARIANT"
    assert sf.meta_columns.meta == "VARIANT"
    assert (ch.types.integer, ch.types.number, ch.types.timestamp_with_timezone) == (
        "Int64", "Decimal(38, 9)", "DateTime64(3)")
    assert ch.nullable_wrapper == "Nullable({type})"


def _broken(tmp_path: Path, change: dict[str, object] | None = None, text: str | None = None,
            drop: str | None = None) -> Path:
    data = yaml.safe_load(shipped_profile_path("postgres").read_text())
    for path, value in (change or {}).items():
        target = data
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value
    if drop:
        del data[drop]
    path = tmp_path / "profile.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("change", "drop", "field"), [
    ({"upsert.mechanism": "upsert_magic"}, None, "upsert.mechanism"),
    ({"cdk_version": "latest"}, None, "cdk_version"),
    ({"identifiers.quote": "'"}, None, "identifiers.quote"),
    ({"connection.driver": "not-maven"}, None, "connection.driver"),
    ({"surprise": 1}, None, "surprise"),
    ({"skip_phases": {"dedupe": "no"}}, None, "skip_phases.dedupe"),
    (None, "types", "types"),
])
def test_malformed_profile_is_one_line_naming_the_field(
        tmp_path: Path, change: dict[str, object] | None, drop: str | None, field: str) -> None:
    with pytest.raises(InputError) as err:
        load_profile(_broken(tmp_path, change=change, drop=drop))
    line = err.value.one_line()
    assert "\n" not in line
    assert f"field {field}" in line and "profile.yaml" in line


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_profile(_broken(tmp_path, text="database: [unclosed\ndialect: postgres\n"))
    assert "not valid YAML at line" in err.value.one_line()


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be a YAML mapping"):
        load_profile(_broken(tmp_path, text="- a\n- b\n"))
    with pytest.raises(InputError, match="cannot read profile"):
        load_profile(tmp_path / "nope.yaml")


def test_unknown_answers_are_open_questions_blocking_their_phases(tmp_path: Path) -> None:
    profile = load_profile(_broken(tmp_path, change={"upsert.mechanism": "unknown",
                                                     "types.number": "unknown"}))
    assert open_questions(profile) == ["types.number", "upsert.mechanism"]
    assert blocked_phases(open_questions(profile)) == {3: ["types.number"],
                                                       9: ["upsert.mechanism"]}


def test_only_the_1_0_line_is_generated_and_older_layouts_are_refused_by_name() -> None:
    assert era_for("1.0.9").name == era_for("1.0.13").name == "bulk-1.0"
    for old, layout in (("0.1.76", "orchestration-db"), ("0.1.91", "core-table-0.x"),
                        ("0.2.9", "core-table-0.x")):
        with pytest.raises(InputError, match=f"'{layout}' layout") as info:
            era_for(old)
        assert 'pin cdk_version: "1.0.13"' in info.value.fix
    for bad in ("1.1.0", "2.0.0", "0.1.10"):
        with pytest.raises(InputError, match="outside the CDK versions"):
            era_for(bad)


def test_every_version_table_entry_cites_the_cdk_source_it_was_read_from() -> None:
    from cf_airbyte_destination.cdk import VERSION_TABLE, symbol_table

    for rng in VERSION_TABLE:
        assert rng.shapes, rng.name
        for shape in rng.shapes:
            assert shape.source.startswith(("airbyte-cdk/bulk/", "destination-")), shape
    symbols = symbol_table("symbols-1.0.yaml")["symbols"]
    assert len(symbols) > 90
    for fqn, entry in symbols.items():
        assert fqn.startswith(("io.airbyte.cdk.", "io.airbyte.protocol.")), fqn
        assert entry["source"] and entry["kind"], fqn


def test_shipped_profiles_pin_the_cdk_real_destinations_pin() -> None:
    pins = {n: load_shipped_profile(n).cdk_version for n in shipped_profile_names()}
    assert pins["postgres"] == "1.0.9"  # destination-postgres gradle.properties
    assert pins["clickhouse"] == pins["snowflake"] == "1.0.13"
    assert {era_for(v).name for v in pins.values()} == {"bulk-1.0"}
