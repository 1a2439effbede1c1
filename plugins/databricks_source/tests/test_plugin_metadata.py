"""The target's light metadata (:mod:`cf_databricks_source.targets`): ``cf targets`` shows it
without importing the plugin, and it is what the plugin's ``cf_targets`` returns."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from cf_databricks_source import plugin, targets
from connector_factory.plugins import TargetInfo, load_plugins, target_catalog

#: Modules ``cf targets`` must not import: the plugin's hook module, its heavy helpers, and the
#: libraries behind them.
HEAVY = ("cf_databricks_source.plugin", "cf_databricks_source.openapi_research",
         "cf_databricks_source.scaffold", "cf_databricks_source.connector_plan", "jsonref", "yaml",
         "cookiecutter", "requests", "connector_factory.models")


def test_cf_targets_imports_nothing_heavy() -> None:
    code = textwrap.dedent("""
        import json, sys
        from connector_factory.cli import app
        try:
            app(["targets"])
        except SystemExit:
            pass
        print("MODULES=" + json.dumps(sorted(sys.modules)))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    output, _, modules = done.stdout.rpartition("MODULES=")
    assert "databricks-source" in output and "--doc" in output, done.stdout + done.stderr
    imported = set(json.loads(modules))
    assert "cf_databricks_source.targets" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_the_light_metadata_is_what_cf_targets_returns() -> None:
    [declared] = plugin.cf_targets()
    assert declared.name == targets.TARGET == "databricks-source"
    [light] = targets.TARGETS
    assert TargetInfo.from_data("databricks_source", light) == TargetInfo.from_data(
        "databricks_source", declared.model_dump())
    assert target_catalog().targets["databricks-source"].inputs[0].name == "doc"


def test_a_project_of_this_target_loads_this_plugin() -> None:
    plugins = load_plugins(target="databricks-source")
    assert "databricks_source" in {p.name for p in plugins.loaded}
    assert plugins.target("databricks-source").plugin == "databricks_source"
    assert {"airbyte_destination", "sophiehub_rollout"}.isdisjoint(p.name for p in plugins.loaded)
