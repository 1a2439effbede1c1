"""The Lakeflow Connect source interface, as this connector implements it.

(Written by Connector Factory for a folder that is not a checkout of the Lakeflow community
connectors repository; inside that repository its own interface module is used instead.)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from pyspark.sql.types import StructType


class LakeflowConnect(ABC):
    """A source connector: tables, their schemas and metadata, and offset-based reads.

    ``read_table`` is called repeatedly, each time with the offset the previous call returned
    (``None`` the first time); reading stops when the returned offset equals the one passed in.
    """

    @abstractmethod
    def __init__(self, options: dict[str, str]) -> None: ...

    @abstractmethod
    def list_tables(self) -> list[str]: ...

    @abstractmethod
    def get_table_schema(self, table_name: str, table_options: dict[str, str]) -> StructType: ...

    @abstractmethod
    def read_table_metadata(self, table_name: str, table_options: dict[str, str]
                            ) -> dict[str, Any]: ...

    @abstractmethod
    def read_table(self, table_name: str, start_offset: dict[str, Any] | None,
                   table_options: dict[str, str]
                   ) -> tuple[Iterator[dict[str, Any]], dict[str, Any] | None]: ...

    def read_table_deletes(self, table_name: str, start_offset: dict[str, Any] | None,
                           table_options: dict[str, str]
                           ) -> tuple[Iterator[dict[str, Any]], dict[str, Any] | None]:
        """Deleted records of a ``cdc_with_deletes`` table (same offset protocol)."""
        raise NotImplementedError(f"{type(self).__name__} does not read deletes")
