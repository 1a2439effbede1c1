"""Turn an OpenAPI schema (refs resolved lazily by :mod:`jsonref`) into the plain JSON Schema a
table plan stores: ``type``, ``format``, ``enum``, ``example``, ``properties``, ``items`` only.

- ``allOf`` parts are merged; ``oneOf``/``anyOf`` of objects become one object with the union of
  their properties, a single non-null variant becomes that variant, anything else JSON text.
- A reference cycle, or nesting deeper than ``max_depth`` objects, becomes
  ``{"type": "string", "x-cf-json": true}``: the value is kept as JSON text.
- OpenAPI 3.1 type lists (``["string", "null"]``) become their first non-null type.
"""

from __future__ import annotations

from typing import Any

import jsonref

#: Objects nested deeper than this are kept as JSON text (the record itself is depth 0).
MAX_DEPTH = 3
#: The JSON-text placeholder for what is not expanded.
JSON_TEXT: dict[str, Any] = {"type": "string", "x-cf-json": True}
_SCALARS = (str, int, float, bool)


def flatten(node: Any, max_depth: int = MAX_DEPTH,
            known: dict[tuple[str, int], dict[str, Any]] | None = None) -> dict[str, Any]:
    """The plain schema of ``node`` (see the module doc). Never raises on a malformed schema:
    what cannot be read becomes JSON text.

    ``known`` (kept by the caller for one document) remembers the result for a ``node`` that is
    a reference: a schema many endpoints list (GitHub's ``minimal-repository``, 22 of them) is
    flattened once. Each call then gets its own top-level mapping and ``properties`` (a caller
    may add columns there); the schemas below are shared and never changed.
    """
    ref = _ref_of(node) if known is not None else None
    if ref is None or known is None:
        return _flatten(node, 0, (), max_depth)
    found = known.get((ref, max_depth))
    if found is None:
        found = known[(ref, max_depth)] = _flatten(node, 0, (), max_depth)
    fresh = dict(found)
    if isinstance(fresh.get("properties"), dict):
        fresh["properties"] = dict(fresh["properties"])
    return fresh


def _ref_of(node: Any) -> str | None:
    if isinstance(node, jsonref.JsonRef):
        return str(node.__reference__.get("$ref"))
    return None


def _flatten(node: Any, depth: int, seen: tuple[str, ...], max_depth: int) -> dict[str, Any]:
    ref = _ref_of(node)
    if ref is not None:
        if ref in seen:
            return dict(JSON_TEXT)
        seen = (*seen, ref)
        try:
            node = node.__subject__  # the target, read directly (not key by key through the proxy)
        except (jsonref.JsonRefError, RecursionError):
            return dict(JSON_TEXT)
    if not isinstance(node, dict):
        return dict(JSON_TEXT)
    schema = dict(node)
    if isinstance(schema.get("allOf"), list):
        parts = list(schema["allOf"])
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        if _has_shape(rest):
            parts.append(rest)
        return _merge([_flatten(p, depth, seen, max_depth) for p in parts])
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            variants = [_flatten(v, depth, seen, max_depth) for v in schema[key]]
            variants = [v for v in variants if v.get("type") != "null"]
            if len(variants) == 1:
                return variants[0]
            if variants and all(v.get("type") == "object" for v in variants):
                return _merge(variants)
            return dict(JSON_TEXT)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None:
        if isinstance(schema.get("properties"), dict):
            kind = "object"
        elif "items" in schema:
            kind = "array"
    out: dict[str, Any] = {}
    if kind == "object":
        properties = schema.get("properties")
        if not isinstance(properties, dict) or not properties:
            return {"type": "object"}
        if depth >= max_depth:
            return dict(JSON_TEXT)
        out["type"] = "object"
        out["properties"] = {str(name): _flatten(sub, depth + 1, seen, max_depth)
                             for name, sub in properties.items()}
        return out
    if kind == "array":
        return {"type": "array", "items": _flatten(schema.get("items"), depth, seen, max_depth)
                if schema.get("items") is not None else {"type": "string"}}
    if kind not in ("string", "integer", "number", "boolean"):
        return dict(JSON_TEXT)
    out["type"] = kind
    if isinstance(schema.get("format"), str):
        out["format"] = schema["format"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, _SCALARS) for v in enum):
        out["enum"] = list(enum)[:50]
    example = schema.get("example")
    if isinstance(example, _SCALARS):
        out["example"] = example
    return out


def _has_shape(schema: dict[str, Any]) -> bool:
    return any(k in schema for k in ("properties", "type", "items"))


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    objects = [p for p in parts if p.get("type") == "object"]
    if not objects:
        scalars = [p for p in parts if p != JSON_TEXT]
        return scalars[0] if scalars else dict(JSON_TEXT)
    properties: dict[str, Any] = {}
    for part in objects:
        for name, sub in (part.get("properties") or {}).items():
            known = properties.get(name)
            if known is None or _vaguer(known, sub):
                properties[name] = sub
            elif known.get("properties") and sub.get("properties"):
                properties[name] = _merge([known, sub])
    return {"type": "object", "properties": properties} if properties else {"type": "object"}


def _vaguer(known: dict[str, Any], sub: dict[str, Any]) -> bool:
    """Whether a later ``allOf`` part refines a field an earlier one only sketched (a generic
    wrapper's ``links: {type: object}`` or ``data: array of objects``)."""
    if known.get("type") == "object" and not known.get("properties"):
        return bool(sub.get("properties"))
    if known.get("type") == "array":
        return bool((sub.get("items") or {}).get("properties")) and not (
            (known.get("items") or {}).get("properties"))
    return False


def leaf_paths(schema: dict[str, Any],
               max_depth: int = MAX_DEPTH) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every scalar field of a flattened record schema by key path, in document order, outer
    fields first: ``{("id",): {...}, ("commit", "committer", "date"): {"type": "string"}}``.

    Arrays are not entered (a field inside a list of objects is not one value of the record);
    JSON-text placeholders count as scalars."""
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    level: list[tuple[tuple[str, ...], dict[str, Any]]] = [((), schema)]
    for _ in range(max_depth + 1):
        deeper: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        for prefix, node in level:
            for name, sub in (node.get("properties") or {}).items():
                if not isinstance(sub, dict):
                    continue
                path = (*prefix, str(name))
                if sub.get("type") == "object" and sub.get("properties"):
                    deeper.append((path, sub))
                elif sub.get("type") != "array":
                    out[path] = sub
        level = deeper
    return out


def leaf_fields(schema: dict[str, Any], max_depth: int = MAX_DEPTH) -> dict[str, dict[str, Any]]:
    """:func:`leaf_paths` keyed by dotted name (``commit.committer.date``); a path whose names
    hold a dot themselves (``@odata.etag``) is left out, as a dotted cursor could not name it."""
    return {".".join(path): sub for path, sub in leaf_paths(schema, max_depth).items()
            if not any("." in name for name in path)}
