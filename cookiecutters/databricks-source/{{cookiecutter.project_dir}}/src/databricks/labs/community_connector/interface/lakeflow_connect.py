"""The Lakeflow Connect source interface, ``LakeflowConnect``.

Written by Connector Factory for a project that is not a checkout of the Lakeflow community
connectors repository, modelling that repository's
``src/databricks/labs/community_connector/interface/lakeflow_connect.py`` (commit f9c88869):
the same class name, method names and offset protocol. Inside the repository its own module is
used instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from pyspark.sql.types import StructType


class LakeflowConnect(ABC):
    """A source connector: tables, their schemas and metadata, and offset-based reads.

    ``read_table`` is called repeatedly, each time with the offset the previous call returned
    (``None`` or ``{}`` the first time); reading stops when the returned offset equals the one
    passed in. A snapshot table may return ``None`` as its offset (read whole every time); every
    other table must return a dict.
    """

    def __init__(self, options: dict[str, str]) -> None:
        self.options = options

    @abstractmethod
    def list_tables(self) -> list[str]:
        """The names of the tables this connector reads."""

    @abstractmethod
    def get_table_schema(self, table_name: str, table_options: dict[str, str]) -> StructType:
        """The Spark schema of ``table_name``."""

    @abstractmethod
    def read_table_metadata(self, table_name: str, table_options: dict[str, str]
                            ) -> dict[str, Any]:
        """``ingestion_type`` and, as it requires, ``primary_keys`` and ``cursor_field``."""

    @abstractmethod
    def read_table(self, table_name: str, start_offset: dict[str, Any] | None,
                   table_options: dict[str, str]
                   ) -> tuple[Iterator[dict[str, Any]], dict[str, Any] | None]:
        """One batch of records after ``start_offset`` and the offset after it."""

    def read_table_deletes(self, table_name: str, start_offset: dict[str, Any] | None,
                           table_options: dict[str, str]
                           ) -> tuple[Iterator[dict[str, Any]], dict[str, Any] | None]:
        """Deleted records of a ``cdc_with_deletes`` table (same offset protocol)."""
        raise NotImplementedError(f"{type(self).__name__} does not read deletes")
