"""The ``databricks-source`` target as light metadata (plain data, no imports): ``cf targets``
reads it through the ``connector_factory.targets`` entry point without importing the plugin, and
:func:`cf_databricks_source.plugin.cf_targets` returns it validated as
:class:`connector_factory.models.Target`."""

from __future__ import annotations

from typing import Any

TARGET = "databricks-source"

TARGETS: list[dict[str, Any]] = [{
    "name": TARGET,
    "summary": "Databricks Lakeflow community source connector (Python, LakeflowConnect)",
    "inputs": [
        {"name": "doc", "required": True, "type": "url_or_path",
         "help": "API description: an OpenAPI/Swagger file or URL (Markdown/HTML needs "
                 "ANTHROPIC_API_KEY)"},
        {"name": "tables", "type": "list",
         "help": "comma-separated tables (default: up to 10 chosen)"},
        {"name": "base_url", "type": "url", "help": "override the API base URL"},
        {"name": "repo", "type": "path", "project_folder": True,
         "help": "a checkout of lakeflow-community-connectors to write into"},
        {"name": "config", "type": "path",
         "help": "a JSON file of connection options (credentials), collected at scaffold so "
                 "validate and the test gate also run live"},
        {"name": "commit", "type": "bool",
         "help": "git-commit each step's files after its gate (`feat(NAME): step N - …`), as "
                 "the repository's flow does"},
    ],
}]
