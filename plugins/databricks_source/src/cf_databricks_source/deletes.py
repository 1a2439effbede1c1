"""Deleted records, for ``cdc_with_deletes``: tombstone fields in the records, query parameters
that make the API list deleted records too, and sibling endpoints that list deletions.

- Tombstones: ``deleted``/``is_deleted``/``isDeleted``/``_deleted`` (true), ``deleted_at``/
  ``deletedAt`` (any value), ``@removed`` (Microsoft Graph delta responses); ``archived`` /
  ``is_archived`` only together with a parameter that includes archived records.
- Parameters: ``include_deleted``, ``includeDeleted``, ``show_deleted``, ``with_deleted``,
  ``deleted``, ``include_archived``, ``archived`` set to ``true``.
- Siblings: ``/x/deleted``, ``/deleted_x``, ``/deleted-x`` listing records of ``/x``.

Only a ``cdc`` table (a key and a last-change cursor) can carry deletes.
"""

from __future__ import annotations

from typing import Any

from cf_databricks_source.connector_plan import Deletes, TablePlan
from cf_databricks_source.keys import snake
from cf_databricks_source.openapi_loader import Operation

DELETED_FLAGS = ("deleted", "is_deleted", "isdeleted", "_deleted", "removed", "is_removed")
DELETED_TIMES = ("deleted_at", "deletedat", "deleted_on", "deletion_time", "removed_at",
                 "@removed")
ARCHIVED_FLAGS = ("archived", "is_archived")
INCLUDE_PARAMS = ("include_deleted", "show_deleted", "with_deleted", "deleted", "with_trashed",
                  "include_removed")
INCLUDE_ARCHIVED = ("include_archived", "archived", "show_archived")


def tombstones(op: Operation, fields: dict[str, dict[str, Any]]) -> Deletes | None:
    """Deletes found in the table's own records (and the parameter that lists them), or None."""
    top = {k.lower(): k for k in fields if "." not in k}
    params = {snake(k): k for k in op.query_params}
    include = next((params[p] for p in INCLUDE_PARAMS if p in params), None)
    archived = next((params[p] for p in INCLUDE_ARCHIVED if p in params), None)
    query = {include: "true"} if include else {}
    for name in DELETED_FLAGS:
        if name in top and fields[top[name]].get("type") in ("boolean", None):
            return Deletes(tombstone_field=top[name], tombstone_values=[True], query=query,
                           evidence=f"records carry {top[name]} (boolean)"
                                    + (f"; query {include}=true lists them" if include else ""))
    for name in DELETED_TIMES:
        if name in top:
            return Deletes(tombstone_field=top[name], query=query,
                           evidence=f"records carry {top[name]} (set when deleted)"
                                    + (f"; query {include}=true lists them" if include else ""))
    if archived:
        for name in ARCHIVED_FLAGS:
            if name in top:
                return Deletes(tombstone_field=top[name], tombstone_values=[True],
                               query={archived: "true"},
                               evidence=f"records carry {top[name]}; query {archived}=true "
                                        "lists archived records")
    return None


def sibling(table: TablePlan, paths: set[str]) -> Deletes | None:
    """A sibling endpoint among ``paths`` that lists the deleted records of ``table``."""
    head, _, last = table.path.rstrip("/").rpartition("/")
    for deletes in (f"{table.path.rstrip('/')}/deleted", f"{head}/deleted_{last}",
                    f"{head}/deleted-{last}", f"{head}/{last}_deleted"):
        if deletes in paths:
            return Deletes(path=deletes, evidence=f"paths.{deletes}.get lists deleted records")
    return None


def apply(table: TablePlan, found: Deletes | None) -> bool:
    """Make ``table`` ``cdc_with_deletes`` with ``found``; False (and unchanged) unless it is a
    ``cdc`` table and something was found."""
    if found is None or table.ingestion_type != "cdc":
        return False
    table.ingestion_type = "cdc_with_deletes"
    table.deletes = found
    if found.path:
        table.deletes_path = found.path
    table.evidence["deletes"] = found.evidence
    return True
