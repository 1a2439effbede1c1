"""Connector Factory: a pluggy-based framework that builds data connectors step by step.

Plugins implement targets through the hook specs in :mod:`connector_factory.hookspecs` and mark
their implementations with :data:`hookimpl`. This module stays import-light: importing it loads
pluggy only, never a plugin, ``anthropic`` or cookiecutter.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Project name shared by the hook specs, the hook impl marker and the entry-point group.
PROJECT_NAME = "connector_factory"

#: Decorator that marks a plugin function as a hook impl, e.g. ``@hookimpl def cf_targets(): ...``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "__version__", "hookimpl"]
