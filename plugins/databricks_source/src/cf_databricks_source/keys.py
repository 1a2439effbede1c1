"""Primary keys of a table's records, and the singular form of resource names.

Tried in order: ``id``; ``<singular>_id`` / ``<singular>Id`` (``/lists`` → ``list_id``, singular
from :mod:`inflect`, not a trailing-``s`` cut: ``categories`` → ``category``); ``uuid``/``guid``;
natural keys (``sha``, ``slug``, ``login``, ``key``, ``code``, ``number``, ``name``, ``email``);
then the same names one level down in a metadata object (Kubernetes' ``metadata.uid``,
Contentful's ``sys.id``). Keys of a child table's parent are prepended by the caller.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import inflect

#: Identifier names, most specific last; ``id`` and ``<singular>_id`` are tried before them.
ID_NAMES = ("uuid", "guid", "_id", "uid")
#: Natural keys: unique within the collection when no identifier exists.
NATURAL_NAMES = ("sha", "slug", "handle", "login", "key", "code", "number", "name", "email",
                 "username")
#: Objects that carry a record's identity one level down.
IDENTITY_OBJECTS = ("metadata", "meta", "sys", "identity", "attributes")
_ENGINE = inflect.engine()


@lru_cache(maxsize=4096)
def singular(word: str) -> str:
    """``issues`` → ``issue``, ``categories`` → ``category``, ``people`` → ``person``;
    a word already singular (or not a noun inflect knows) is returned unchanged, as is one
    ending in ``ss`` (``address``, ``access``): inflect 7.6 treats those as singular, the 7.0/7.1
    pinned here (for its import time) cut them to ``addres`` (jaraco/inflect 7.6.0,
    ``engine._sinoun``: "WORDS ENDING IN -ss ARE ALREADY SINGULAR")."""
    if not word or word.endswith("ss"):
        return word
    result = _ENGINE.singular_noun(word)
    return str(result) if result else word


@lru_cache(maxsize=8192)
def snake(name: str) -> str:
    """``customerId`` → ``customer_id``; ``page[size]`` → ``page_size`` (remembered, as
    :func:`singular`: research asks for the same field names tens of thousands of times)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def primary_key(fields: dict[str, dict[str, Any]],
                resources: list[str]) -> tuple[list[str], str]:
    """``(key fields, why)`` for records whose scalar fields (dotted paths, see
    :func:`~cf_databricks_source.schema_flatten.leaf_fields`) are ``fields``; ``resources`` are
    the endpoint's literal path segments (``["repos", "issues"]``; the last is tried first for
    ``<singular>_id``, ``/deals/deleted`` then finds ``deal_id``). ``([], "")`` when no field can
    be the key."""
    top = {k.lower(): k for k in fields if "." not in k}
    names = ["id"]
    for resource in reversed(resources):
        one = singular(snake(resource).split("_")[-1])
        names += [f"{one}_id", f"{one}id"]
    names += list(ID_NAMES)
    for candidate in names:
        if candidate in top:
            return [top[candidate]], f"identifier field {top[candidate]}"
    for candidate in NATURAL_NAMES:
        if candidate in top:
            return [top[candidate]], f"natural key {top[candidate]} (no identifier field)"
    nested = {k.lower(): k for k in fields if k.count(".") == 1}
    for parent in IDENTITY_OBJECTS:
        for candidate in ("uid", "id", *ID_NAMES[:2]):
            if f"{parent}.{candidate}" in nested:
                found = nested[f"{parent}.{candidate}"]
                return [found], f"nested identifier {found}"
    return [], ""
