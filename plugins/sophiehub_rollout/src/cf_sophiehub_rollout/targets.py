"""The ``sophiehub-rollout`` target as light metadata (plain data, no imports): ``cf targets``
reads it through the ``connector_factory.targets`` entry point without importing the plugin, and
:func:`cf_sophiehub_rollout.plugin.cf_targets` returns it validated as
:class:`connector_factory.models.Target`."""

from __future__ import annotations

from typing import Any

TARGET = "sophiehub-rollout"

TARGETS: list[dict[str, Any]] = [{
    "name": TARGET,
    "summary": "Sophie Hub connector rollout plan (mapping, migration, waves)",
    "inputs": [
        {"name": "intake", "type": "path",
         "help": "intake answers (YAML); unanswered questions become assumptions"},
        {"name": "repo", "type": "path", "project_folder": True,
         "help": "a Sophie Hub checkout to write into"},
    ],
    "steps": ["plan", "scaffold", "validate", "test_gate", "document"],
}]
