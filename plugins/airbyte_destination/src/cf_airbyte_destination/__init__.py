"""Connector Factory plugin: the ``airbyte-destination`` target (Kotlin, Airbyte Dataflow CDK).

Importing this package is cheap: the hook impls live in :mod:`cf_airbyte_destination.plugin`,
which the core loads through the ``connector_factory`` entry point.
"""

from __future__ import annotations

#: The target this plugin contributes.
TARGET = "airbyte-destination"

__all__ = ["TARGET"]
