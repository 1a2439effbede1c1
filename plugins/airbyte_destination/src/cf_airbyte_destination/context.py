"""The template context: everything the cookiecutter template needs, derived from the profile.

:func:`template_context` returns the ``_cf`` dictionary for one phase (cookiecutter passes keys
starting with ``_`` through unrendered, so ints and nested dicts survive). Kotlin snippets are
built here with :func:`~cf_airbyte_destination.kotlin_check.kotlin_string`, so SQL texts reach
``SqlGenerator.kt`` byte for byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cf_airbyte_destination.cdk import CdkEra
from cf_airbyte_destination.kotlin_check import kotlin_string
from cf_airbyte_destination.phases import COMPONENT_TEST, INTEGRATION_TEST, PHASES
from cf_airbyte_destination.profile import AIRBYTE_TYPES, META_COLUMNS, Profile
from cf_airbyte_destination.repo_layout import definition_id
from cf_airbyte_destination.sqlgen import DEDUPED_TABLE, build_templates, json_types, strips_nul

_CAMEL = re.compile(r"_([a-z0-9])")


@dataclass(frozen=True)
class Layout:
    """Where the connector goes and what it is called.

    ``root``: folder relative to the project (``""``, or
    ``airbyte-integrations/connectors/destination-<name>`` inside an Airbyte checkout);
    ``slug``: ``destination-<name>``; ``pkg``: Kotlin package segment; ``prefix``: class prefix.
    """

    root: str
    slug: str
    pkg: str
    prefix: str

    @property
    def package(self) -> str:
        """The connector's Kotlin package."""
        return f"io.airbyte.integrations.destination.{self.pkg}"


def layout_for(name: str, in_repo: bool) -> Layout:
    """The layout of connector ``name`` (snake case), standalone or inside an Airbyte repo."""
    slug = "destination-" + name.replace("_", "-")
    prefix = "".join(part.capitalize() for part in name.split("_"))
    root = f"airbyte-integrations/connectors/{slug}" if in_repo else ""
    return Layout(root=root, slug=slug, pkg=name.replace("-", "_"), prefix=prefix)


def camel(name: str) -> str:
    """``database_path`` → ``databasePath``."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _kt_list(items: tuple[str, ...] | list[str]) -> str:
    if not items:
        return "emptyList<String>()"
    return "listOf(" + ", ".join(kotlin_string(i) for i in items) + ")"


def _kt_template(text: str) -> str:
    """A Kotlin string *template* body: ``{field}`` → ``${field}`` (camel case), the rest
    escaped."""
    out = []
    for piece in re.split(r"(\{[a-z_][a-z0-9_]*\})", text):
        if piece.startswith("{") and piece.endswith("}"):
            out.append("${" + camel(piece[1:-1]) + "}")
        else:
            out.append(kotlin_string(piece)[1:-1])
    return "".join(out)


def spec_fields(profile: Profile) -> list[dict[str, Any]]:
    """The specification fields with their Kotlin names, types and defaults."""
    fields = []
    for f in profile.connection.config_fields:
        base = {"string": "String", "integer": "Int", "boolean": "Boolean"}[f.type]
        optional = not f.required and f.default is None
        if f.default is not None:
            default = kotlin_string(str(f.default)) if f.type == "string" else \
                str(f.default).lower()
        elif optional:
            default = "null"
        else:
            default = {"String": '""', "Int": "0", "Boolean": "false"}[base]
        fields.append({
            "name": f.name, "kt_name": camel(f.name),
            "title": f.name.replace("_", " ").title(),
            "description_kt": kotlin_string(f.description)[1:-1],
            "secret": f.secret, "kt_type": base + ("?" if optional else ""),
            "kt_runtime_type": base + ("?" if optional else ""), "kt_default": default,
            "kt_convert": "",
        })
    return fields


def _default_test_config(profile: Profile) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in profile.connection.config_fields:
        if f.default is not None:
            values[f.name] = f.default
        elif f.name in ("host", "hostname"):
            values[f.name] = "localhost"
        elif f.name == "database_path":
            values[f.name] = "/tmp/airbyte-destination-test.duckdb"
        elif f.type == "integer":
            values[f.name] = profile.connection.default_port or 0
        elif f.type == "boolean":
            values[f.name] = False
        else:
            values[f.name] = "airbyte" if f.name in ("username", "database") else ""
    return values


def phase_rows(states: dict[int, dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """README rows of the phase table."""
    rows = []
    for phase in PHASES:
        state = states.get(phase.number, {})
        tests = ", ".join(f"`{m}`" for _, m in phase.tests) or "compile (`compileKotlin`)"
        rows.append({
            "number": phase.number, "title": phase.title, "optional": phase.optional,
            "components": ", ".join(c.format(P=prefix) for c in phase.components),
            "tests": tests, "state": state.get("label", "not generated"),
        })
    return rows


def template_context(profile: Profile, era: CdkEra, layout: Layout, name: str, phase: int,
                     states: dict[int, dict[str, Any]], limitations: list[str],
                     open_qs: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``_cf`` context for rendering up to ``phase`` (see the module docstring)."""
    templates = build_templates(profile)
    fields = spec_fields(profile)
    names = {f["name"] for f in fields}
    skipped = profile.skip_phases
    cdc_enabled = "cdc" not in skipped and profile.upsert.mechanism != "replacing_merge_tree"
    component_tests: list[str] = []
    integration_tests: list[str] = []
    for ph in PHASES[: phase + 1]:
        if ph.key in skipped:
            continue
        for cls, method in ph.tests:
            target = component_tests if cls == COMPONENT_TEST else integration_tests
            if cls in (COMPONENT_TEST, INTEGRATION_TEST) and method not in target:
                target.append(method)
    if phase >= 10 and cdc_enabled and profile.cdc.deletion_mode == "hard_delete":
        dedup = "DedupBehavior(DedupBehavior.CdcDeletionMode.HARD_DELETE)"
    elif phase >= 9:
        dedup = "DedupBehavior(DedupBehavior.CdcDeletionMode.SOFT_DELETE)"
    else:
        dedup = "null"
    aliases = _catalog_aliases(profile)
    has_user, has_password = "username" in names, "password" in names
    creds = ""
    if has_user:
        creds = ", config.username, " + ("config.password ?: \"\"" if has_password else '""')
    return {
        "p": phase, "name": name, "database": profile.database, "dialect": profile.dialect,
        "cdk_version": profile.cdk_version, "era": era.name, "toolkits": list(era.toolkits),
        "imp": era.imports, "profile": profile.model_dump(mode="json"),
        "definition_id": definition_id(name),
        "spec_fields": fields, "has_username": has_user, "has_password": has_password,
        "default_namespace_kt": '"' + _kt_template(profile.namespaces.default) + '"',
        "url_kt": _kt_template(profile.connection.url_format),
        "case": profile.identifiers.case, "max_length": profile.identifiers.max_length,
        "quote_kt": kotlin_string(profile.identifiers.quote),
        "quote_display": profile.identifiers.quote,
        "backslash_escapes": profile.dialect in ("mysql", "clickhouse"),
        "types_kt": {t: kotlin_string(profile.type_for(t)) for t in AIRBYTE_TYPES},
        "meta_kt": {c.removeprefix("_airbyte_"): kotlin_string(profile.meta_type(c))
                    for c in META_COLUMNS},
        "kt": {k: _kt_list(v) for k, v in templates.statements.items()},
        "kf": {k: kotlin_string(v) for k, v in templates.fragments.items()},
        "deduped_table": DEDUPED_TABLE,
        "mechanism": profile.upsert.mechanism, "batch_strategy": profile.batch_insert.strategy,
        "batch_size": profile.batch_insert.batch_size, "stage_name": "airbyte_stage",
        "change_column": profile.alter_table.change_column,
        "key_columns_not_null": profile.upsert.key_columns_not_null,
        "strip_nul": strips_nul(profile),
        "json_types_kt": "setOf(" + ", ".join(kotlin_string(t) for t in json_types(profile)) + ")",
        "json_types_display": ", ".join(json_types(profile)),
        "cdc_enabled": cdc_enabled,
        "cdc_default": "HARD_DELETE" if profile.cdc.deletion_mode == "hard_delete"
        else "SOFT_DELETE",
        "optimisation_enabled": "optimisation" not in skipped,
        "dedupe_supported": profile.upsert.mechanism != "unknown",
        "catalog_aliases_kt": ("mapOf(" + ", ".join(
            f"{kotlin_string(k)} to {kotlin_string(v)}" for k, v in aliases.items()) + ")")
        if aliases else "emptyMap()",
        "component_tests": component_tests, "integration_tests": integration_tests,
        "dedup_behavior_kt": dedup,
        "default_test_config_kt": kotlin_string(json.dumps(_default_test_config(profile))),
        "test_setup": "a database reachable with the values in secrets/config.json",
        "dumper_credentials": creds,
        "phases": phase_rows(states, layout.prefix),
        "limitations": limitations, "open_questions": open_qs,
        "type_rows": [{"airbyte": t.replace("unknown_type", "unknown"),
                       "db": profile.type_for(t)} for t in AIRBYTE_TYPES],
        "meta_rows": [{"name": c, "db": profile.meta_type(c)} for c in META_COLUMNS],
        "task_prefix": (":" + layout.root.replace("/", ":") + ":") if layout.root else "",
    }


def _catalog_aliases(profile: Profile) -> dict[str, str]:
    value: dict[str, str] = dict(profile.catalog_type_aliases)
    return value
