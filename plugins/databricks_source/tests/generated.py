"""Build a generated connector from a hand-written :class:`ConnectorPlan` and import it.

``build(plan, folder)`` renders the ``databricks-source`` template the way ``cf scaffold`` does
(standalone layout) into ``folder`` and returns the project folder; ``load(project, name)``
imports its connector module in this process (a fresh import each time, so several generated
projects can be loaded one after the other in one test session).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from cf_databricks_source.connector_plan import ConnectorPlan
from cf_databricks_source.layout import Layout
from cf_databricks_source.scaffold import class_name, scaffold
from connector_factory.files import FileWriter

#: The project source folders this module put on ``sys.path`` (removed on the next load).
_INSERTED: list[str] = []


def build(plan: ConnectorPlan, folder: Path) -> Path:
    """Write the connector for ``plan`` under ``folder / plan.name``; returns that folder."""
    project = folder / plan.name
    project.mkdir(parents=True, exist_ok=True)
    writer = FileWriter(project_dir=project, generated={})
    scaffold(plan, Layout(name=plan.name), writer)
    return project


def load(project: Path, name: str) -> ModuleType:
    """Import ``databricks.labs.community_connector.sources.NAME.NAME`` from ``project/src``."""
    for module in [m for m in sys.modules if m == "databricks" or m.startswith("databricks.")]:
        del sys.modules[module]
    src = str(project / "src")
    while _INSERTED:
        old = _INSERTED.pop()
        if old in sys.path:
            sys.path.remove(old)
    sys.path.insert(0, src)
    _INSERTED.append(src)
    importlib.invalidate_caches()
    return importlib.import_module(f"databricks.labs.community_connector.sources.{name}.{name}")


def connector(project: Path, name: str, options: dict[str, str]) -> object:
    """An instance of the generated connector class built with ``options``."""
    return getattr(load(project, name), class_name(name))(options)
