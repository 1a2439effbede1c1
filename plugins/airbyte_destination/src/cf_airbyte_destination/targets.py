"""The ``airbyte-destination`` target as light metadata (plain data, no imports): ``cf targets``
reads it through the ``connector_factory.targets`` entry point without importing the plugin, and
:func:`cf_airbyte_destination.plugin.cf_targets` returns it validated as
:class:`connector_factory.models.Target`."""

from __future__ import annotations

from typing import Any

from cf_airbyte_destination import TARGET

TARGETS: list[dict[str, Any]] = [{
    "name": TARGET,
    "summary": "Kotlin Airbyte destination on the Dataflow CDK, phase by phase (0–11), gated by "
               "checkpoint tests",
    "inputs": [
        {"name": "profile", "type": "path",
         "help": "Destination profile (YAML); without it the preflight questions are asked in a "
                 "terminal"},
        {"name": "repo", "type": "path", "project_folder": True,
         "help": "An Airbyte checkout to write the connector into"},
    ],
    "steps": ["plan", "scaffold", "validate", "test_gate", "document", "deploy"],
}]
