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
        {"name": "probe", "type": "bool",
         "help": "research checks the document against the live API with a few read-only GETs "
                 "per table (default: on when credentials are set or the API needs none)"},
        {"name": "offline", "type": "bool",
         "help": "never contact the API during research (the document alone decides)"},
        {"name": "probe_requests", "type": "int",
         "help": "requests per table the probe may make (default 12)"},
        {"name": "probe_seconds", "type": "int",
         "help": "seconds the whole probe may take (default 60)"},
        {"name": "record", "type": "bool",
         "help": "the test gate first records sampled live responses as the simulator corpus "
                 "(credentials stripped), so the offline suite checks the real shapes"},
        {"name": "commit", "type": "bool",
         "help": "git-commit each step's files after its gate (`feat(NAME): step N - …`), as "
                 "the repository's flow does"},
    ],
}]
