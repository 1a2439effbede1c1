"""Parsing JSON or YAML text fast, with a syntax error's line and column.

JSON goes through the standard library's C decoder (``orjson`` was measured: 0.05 s against
0.07 s for GitHub's 13 MB description, not worth a dependency, and it has no per-object hook).
YAML goes through libyaml — PyYAML's ``CSafeLoader`` parser and composer where PyYAML was built
with it, else its pure-Python ``SafeLoader`` — and :class:`_Builder`, which makes the values
``yaml.safe_load`` makes (same tags, merge keys, anchors) in one tight recursive pass instead of
PyYAML's per-node generators. The cyclic garbage collector is paused while a tree is built: a
13 MB description allocates about 500,000 containers and each automatic collection would walk
them all again (GitHub's description as YAML, measured on the 2-core CI machine: ``CSafeLoader``
7.8 s with the collector running, 1.9 s paused, 1.1 s with :class:`_Builder`).

``mapping_hook`` is called on every mapping once it is complete, bottom-up, and returns the value
kept in its place: research turns ``{"$ref": …}`` objects into lazy references there, so no pass
over the whole document is needed afterwards.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: Replaces a finished mapping by what the document keeps (e.g. a lazy ``$ref``).
MappingHook = Callable[[dict[Any, Any]], Any]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"

#: PyYAML's libyaml-backed safe loader when it was built with libyaml, else the Python one.
BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(BASE_LOADER):  # type: ignore[misc, valid-type]
    """:data:`BASE_LOADER` with a shorter implicit-tag resolver for scalars (same tags as
    ``Resolver.resolve`` for the safe schema; path resolvers are not used): 12% of composing
    GitHub's description."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode:
            return str(super().resolve(kind, value, implicit))
        if not implicit[0]:
            return _STR
        resolvers = self.yaml_implicit_resolvers.get(value[0] if value else "")
        if resolvers:
            for tag, regexp in resolvers:
                if regexp.match(value):
                    return str(tag)
        for tag, regexp in self.yaml_implicit_resolvers.get(None, ()):
            if regexp.match(value):
                return str(tag)
        return _STR



class DocSyntaxError(ValueError):
    """Text that is not valid JSON/YAML: ``line`` and ``column`` (1-based) and the parser's
    ``message``; ``str()`` is ``"line L, column C: message"``."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting goes on) for the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(text: str, mapping_hook: MappingHook | None = None) -> Any:
    """The value of the JSON ``text``.

    Raises:
        DocSyntaxError: the text is not JSON (position of the first error).
    """
    try:
        with gc_paused():
            return json.loads(text, object_hook=mapping_hook)
    except json.JSONDecodeError as exc:
        raise DocSyntaxError(exc.lineno, exc.colno, exc.msg) from None
    except RecursionError:
        raise DocSyntaxError(1, 1, "nested too deeply") from None


def safe_load(text: str, mapping_hook: MappingHook | None = None) -> Any:
    """``yaml.safe_load(text)``, the same values made faster (libyaml, :class:`_Builder`, the
    collector paused); ``mapping_hook`` as in the module doc.

    Raises:
        yaml.YAMLError: as ``yaml.safe_load`` does (a ``MarkedYAMLError`` carries the position).
        RecursionError: the document nests deeper than Python's recursion limit.
    """
    with gc_paused():
        loader = Loader(text)
        try:
            node = loader.get_single_node()
            data = None if node is None else _Builder(loader, mapping_hook).build(node)
        finally:
            loader.dispose()
        # Free the node graph (a million objects for GitHub's description) before the collector
        # runs again: its first pass would walk all of it (1.4 s measured), not just the values.
        del loader
        node = None
    return data


def load_yaml(text: str, mapping_hook: MappingHook | None = None) -> Any:
    """The value of the YAML ``text`` (one document), as ``yaml.safe_load`` makes it: ``None``
    for an empty document.

    Raises:
        DocSyntaxError: the text is not YAML, holds several documents, or uses a tag the safe
            loader does not know (position of the problem).
    """
    try:
        return safe_load(text, mapping_hook)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise DocSyntaxError(1, 1, problem) from None
        raise DocSyntaxError(mark.line + 1, mark.column + 1, problem) from None
    except yaml.YAMLError as exc:
        raise DocSyntaxError(1, 1, " ".join(str(exc).split())) from None
    except RecursionError:
        raise DocSyntaxError(1, 1, "nested too deeply") from None


def import_jsonref() -> ModuleType:
    """:mod:`jsonref`, imported without :mod:`requests` when nothing imported that yet: jsonref
    imports it (0.1 s of a research process) only to fetch remote references, which research
    never does (its loader refuses them), and falls back to ``urllib`` without it."""
    if "jsonref" in sys.modules:
        return sys.modules["jsonref"]
    block = "requests" not in sys.modules
    if block:
        sys.modules["requests"] = None  # type: ignore[assignment]  # `import requests` fails
    try:
        import jsonref
    finally:
        if block:
            del sys.modules["requests"]
    return jsonref


class LazyRefs:
    """A mapping hook that turns every ``{"$ref": "…"}`` object into a :class:`jsonref.JsonRef`
    proxy, resolved on first access (and then kept) against the document given to :meth:`bind`.

    Semantics are those of ``jsonref.replace_refs(doc, base_uri, loader, proxies=True,
    lazy_load=True)`` (siblings of ``$ref`` are ignored; a reference to another file or URL calls
    ``loader``), without its pass over every node of the document.

    Args:
        base_uri: the document's own URI (``file:///…``), against which references resolve.
        loader: called with the URI of a reference to another document; may raise.
    """

    def __init__(self, base_uri: str, loader: Callable[[str], Any]) -> None:
        jsonref = import_jsonref()  # only documents need it, not the plan read back
        self.base_uri = base_uri
        self.loader = loader
        self.store = jsonref.URIDict()
        self.proxy = jsonref.JsonRef

    def __call__(self, mapping: dict[Any, Any]) -> Any:
        if mapping.get("$ref").__class__ is not str:
            return mapping
        return self.proxy(mapping, base_uri=self.base_uri, loader=self.loader, _store=self.store)

    def bind(self, document: Any) -> Any:
        """Make ``document`` (the parsed root) what references resolve against; returns it."""
        self.store[self.base_uri] = document
        return document


class _Builder:
    """Python values from a composed YAML node graph; aliases share one value (like PyYAML)."""

    def __init__(self, constructor: SafeConstructor, mapping_hook: MappingHook | None) -> None:
        self.constructor = constructor
        self.hook = mapping_hook
        self.scalars = {tag: ctor for tag, ctor in SafeConstructor.yaml_constructors.items()
                        if tag is not None and tag not in (_MAP, _SEQ)}
        self.memo: dict[int, Any] = {}

    def build(self, node: Node) -> Any:
        if node.__class__ is ScalarNode:
            tag = node.tag
            if tag == _STR:
                return node.value
            scalar = self.scalars.get(tag)
            if scalar is not None:
                return scalar(self.constructor, node)
            return self.constructor.construct_object(node, deep=True)  # raises for unknown tags
        known = self.memo.get(id(node))
        if known is not None:
            return known
        if node.__class__ is MappingNode and node.tag == _MAP:
            return self._mapping(node)
        if node.__class__ is SequenceNode and node.tag == _SEQ:
            items: list[Any] = []
            self.memo[id(node)] = items
            build = self.build
            items.extend([build(child) for child in node.value])
            return items
        value = self.constructor.construct_object(node, deep=True)  # !!omap, !!set, …
        self.memo[id(node)] = value
        return value

    def _mapping(self, node: MappingNode) -> Any:
        data: dict[Any, Any] = {}
        self.memo[id(node)] = data
        build = self.build
        merged = False
        pairs = node.value
        index = 0
        while index < len(pairs):
            key_node, value_node = pairs[index]
            index += 1
            if key_node.tag == _MERGE and not merged:  # `<<: *base`, as SafeConstructor does
                self.constructor.flatten_mapping(node)
                pairs, index, merged = node.value, 0, True
                data.clear()
                continue
            key = build(key_node)
            value = build(value_node)
            try:
                data[key] = value
            except TypeError:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found unhashable key", key_node.start_mark) from None
        if self.hook is None:
            return data
        kept = self.hook(data)
        self.memo[id(node)] = kept
        return kept
