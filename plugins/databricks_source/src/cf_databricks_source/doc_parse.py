r"""Parsing JSON or YAML text fast, with a syntax error's line and column.

JSON goes through the standard library's C decoder (``orjson`` was measured: 0.05 s against
0.07 s for GitHub's 13 MB description, not worth a dependency, and it has no per-object hook),
given ASCII text where :func:`ascii_json` can make it from the UTF-8 bytes (a text with one
emoji otherwise decodes to 4 bytes a character: in a fresh process GitHub's JSON parses 0.02 s
faster, rapidyaml's JSON of its YAML 0.1 s faster).
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

Two YAML readers, one per job:

- :func:`load_api_yaml` reads **API documents** as the OpenAPI Specification asks (OAS 3.1.0,
  "Format": YAML 1.2, keys scalar strings): values by the YAML 1.2 *core* schema — null ``null``,
  ``Null``, ``NULL``, ``~`` or empty; bool ``true|True|TRUE|false|False|FALSE``; int
  ``[-+]?[0-9]+``, ``0o[0-7]+``, ``0x[0-9a-fA-F]+``; float
  ``[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?``, ``[-+]?\.(inf|Inf|INF)``,
  ``\.(nan|NaN|NAN)``; every other plain scalar a str (no dates, no ``yes``/``no``, no
  sexagesimals, no ``1_000``) — and every mapping key the key's text as a str (``200:`` is
  ``"200"``, as in the same document written as JSON). Explicit tags: ``!!str``, ``!!int``,
  ``!!float``, ``!!bool``, ``!!null`` by the same schema, PyYAML's other safe tags (``!!binary``,
  ``!!timestamp``, ``!!set``, …) as PyYAML makes them, an unknown tag is an error.
  The fast path is rapidyaml (``ryml``: parse, resolve aliases, emit JSON, ``json.loads`` with the
  same ``mapping_hook`` as JSON), given the file's bytes: GitHub's description as YAML in about
  0.45-0.55 s against the exact path's 2-2.8 s (a fresh process on the 2-core machine; the JSON:
  0.2 s). Its
  JSON emitter is not the core schema (it quotes ``~``, ``True``, ``0x1F``, ``012``, ``0e0``; it
  rewrites ``inf``/``infinity``/``nan`` to ``.inf``/``.nan``; it drops tags; it lets the later
  mapping win in ``<<: [*a, *b]``; it emits ``+1``, ``01.5`` and raw control characters as
  invalid JSON; it reads YAML 1.1's line breaks U+0085, U+2028, U+2029 as characters and takes
  implicit keys of 1024 characters and more, which libyaml refuses), so its result is used only
  when it provably equals the exact path's (:func:`load_api_yaml_fast` names why it declined);
  otherwise :func:`load_api_yaml_exact` runs — libyaml's composer with a core-schema resolver
  and :class:`_Builder`. A fast result is repaired in one case: keys ``infinity`` etc. that
  rapidyaml wrote as ``.inf`` (GitHub's emoji list has one), when the text proves which.
- :func:`load_cf_yaml` reads **cf's own YAML** (the plan block of the api doc, written by PyYAML's
  dumper) with ``yaml.safe_load``'s semantics (YAML 1.1), so what PyYAML wrote reads back the
  same.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
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
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

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



_CORE_NULL = re.compile(r"null|Null|NULL|~|")
_CORE_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def core_tag(text: str) -> str:
    """The YAML 1.2 core schema's tag of the plain scalar ``text`` (null, bool, int, float or
    str; ``<<`` is the merge key). Source: YAML 1.2.2 spec, 10.3.2 "Tag Resolution"."""
    if text == "<<":
        return _MERGE
    first = text[:1]
    if first in "0123456789+-.":  # "" too: empty is null
        if _CORE_INT.fullmatch(text):
            return _INT
        if _CORE_FLOAT.fullmatch(text):
            return _FLOAT
        return _NULL if text == "" else _STR
    if first in "nN~":
        return _NULL if _CORE_NULL.fullmatch(text) else _STR
    if first in "tTfF":
        return _BOOL if _CORE_BOOL.fullmatch(text) else _STR
    return _STR


def _core_scalar(pattern: re.Pattern[str],
                 tag: str) -> Callable[[SafeConstructor, ScalarNode], str]:
    """The text of a scalar that must match ``pattern`` (an explicit ``!!int`` etc.)."""
    def text_of(constructor: SafeConstructor, node: ScalarNode) -> str:
        if not pattern.fullmatch(node.value):
            raise ConstructorError(None, None, f"{node.value!r} is not a YAML 1.2 core {tag}",
                                   node.start_mark)
        return str(node.value)
    return text_of


_null_text = _core_scalar(_CORE_NULL, "null")
_bool_text = _core_scalar(_CORE_BOOL, "bool")
_int_text = _core_scalar(_CORE_INT, "int")
_float_text = _core_scalar(_CORE_FLOAT, "float")


def _construct_null(constructor: SafeConstructor, node: ScalarNode) -> None:
    _null_text(constructor, node)


def _construct_bool(constructor: SafeConstructor, node: ScalarNode) -> bool:
    return _bool_text(constructor, node) in ("true", "True", "TRUE")


def _construct_int(constructor: SafeConstructor, node: ScalarNode) -> int:
    text = _int_text(constructor, node)
    if text[:2] == "0o":
        return int(text[2:], 8)
    if text[:2] == "0x":
        return int(text[2:], 16)
    return int(text)


def _construct_float(constructor: SafeConstructor, node: ScalarNode) -> float:
    text = _float_text(constructor, node)
    bare = text.lstrip("+-")
    if bare in (".inf", ".Inf", ".INF"):
        return -math.inf if text[0] == "-" else math.inf
    if bare in (".nan", ".NaN", ".NAN"):
        return math.nan
    return float(text)


class CoreLoader(BASE_LOADER):  # type: ignore[misc, valid-type]
    """:data:`BASE_LOADER` resolving plain scalars by the YAML 1.2 core schema (:func:`core_tag`),
    quoted ones as str, and constructing ``!!null``/``!!bool``/``!!int``/``!!float`` by it too
    (also inside ``!!omap``, ``!!set``, …, which PyYAML's constructors build)."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode:
            return str(super().resolve(kind, value, implicit))
        return core_tag(value) if implicit[0] else _STR


CoreLoader.yaml_constructors = {**CoreLoader.yaml_constructors, _NULL: _construct_null,
                                _BOOL: _construct_bool, _INT: _construct_int,
                                _FLOAT: _construct_float}


class CoreDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's safe dumper writing plain only what :func:`core_tag` reads back as the same type
    (the string ``"012"`` is quoted: YAML 1.2 reads plain ``012`` as an int, YAML 1.1 did not)."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode:
            return str(super().resolve(kind, value, implicit))
        return core_tag(value) if implicit[0] else _STR


def dump_api_yaml(data: Any) -> str:
    """``data`` (JSON values) as YAML text that :func:`load_api_yaml` reads back to an equal
    value, keys in order, non-ASCII written as is (tests and benchmarks make YAML twins of JSON
    documents with it)."""
    return str(yaml.dump(data, Dumper=CoreDumper, sort_keys=False, allow_unicode=True))


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


_ASCII = bytes(range(128))
#: The length of a UTF-8 sequence by its lead byte (C0, C1 and F5-FF lead none).
_SEQUENCE_LENGTH = {lead: 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
                    for lead in range(0xC2, 0xF5)}


def ascii_json(data: bytes | bytearray) -> str | None:
    r"""The UTF-8 JSON text ``data`` as an ASCII ``str``, each non-ASCII character in it written
    as its ``\uXXXX`` escape (a surrogate pair past U+FFFF), which ``json.loads`` reads to the
    same value; ``None`` when it cannot be (the bytes are not UTF-8, a non-ASCII character
    follows a ``\``) or is not worth it (more than one byte in 1024 is not ASCII).

    Why: ``json.loads`` of UTF-8 first decodes it, and one character past U+00FF (an emoji) makes
    the whole text 4 bytes a character (GitHub's description: 13 MB, 140 non-ASCII bytes, 52 MB
    decoded). Parsing it in a fresh process took 0.217 s against 0.239 s (medians of 7), and
    rapidyaml's JSON of it as YAML 0.1 s less. A text that is not JSON stays one: no character of
    JSON's syntax outside strings is non-ASCII, but error positions may move, so callers report
    errors from the text itself.
    """
    if data.isascii():
        return data.decode("ascii")
    high = data.translate(None, _ASCII)
    if len(high) * 1024 > len(data):
        return None
    starts = []
    for lead in set(high):
        if lead < 0xC2:
            continue  # a continuation byte: counted by `covered` below
        if lead > 0xF4:
            return None
        needle = bytes((lead,))
        index = data.find(needle)
        while index >= 0:
            starts.append(index)
            index = data.find(needle, index + 1)
    starts.sort()
    view = memoryview(data)
    pieces: list[bytes | memoryview] = []
    done = covered = 0
    for start in starts:
        if start < done or data[start - 1:start] == b"\\":
            return None  # inside the sequence before it; or after a backslash (maybe an escape)
        end = start + _SEQUENCE_LENGTH[data[start]]
        try:
            escaped = json.dumps(data[start:end].decode("utf-8"))[1:-1].encode("ascii")
        except UnicodeDecodeError:
            return None
        pieces += (view[done:start], escaped)
        covered += end - start
        done = end
    if covered != len(high):
        return None  # a continuation byte no lead byte begins
    pieces.append(view[done:])
    return b"".join(pieces).decode("ascii")


def _compose_and_build(loader_class: type[yaml.SafeLoader], text: str,
                       mapping_hook: MappingHook | None, text_keys: bool) -> Any:
    """The value of the one YAML document in ``text``, composed by ``loader_class`` and built by
    :class:`_Builder` with the collector paused; ``None`` for an empty document.

    Raises:
        yaml.YAMLError: as ``yaml.safe_load`` does (a ``MarkedYAMLError`` carries the position).
        RecursionError: the document nests deeper than Python's recursion limit.
    """
    with gc_paused():
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            data = (None if node is None
                    else _Builder(loader, mapping_hook, text_keys).build(node))
        finally:
            loader.dispose()
        # Free the node graph (a million objects for GitHub's description) before the collector
        # runs again: its first pass would walk all of it (1.4 s measured), not just the values.
        del loader
        node = None
    return data


def load_cf_yaml(text: str) -> Any:
    """cf's own YAML (e.g. the api doc's plan block, written by PyYAML's dumper):
    ``yaml.safe_load(text)``, the same values (YAML 1.1 safe schema) made faster (libyaml,
    :class:`_Builder`, the collector paused).

    Raises:
        yaml.YAMLError: as ``yaml.safe_load`` does (a ``MarkedYAMLError`` carries the position).
        RecursionError: the document nests deeper than Python's recursion limit.
    """
    return _compose_and_build(Loader, text, None, text_keys=False)


def _syntax_error(exc: yaml.YAMLError) -> DocSyntaxError:
    """The :class:`DocSyntaxError` of a PyYAML error (its position when it has one)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            return DocSyntaxError(1, 1, problem)
        return DocSyntaxError(mark.line + 1, mark.column + 1, problem)
    return DocSyntaxError(1, 1, " ".join(str(exc).split()))


def load_api_yaml_exact(text: str, mapping_hook: MappingHook | None = None) -> Any:
    """An API document's value by the module doc's semantics (YAML 1.2 core schema, text keys),
    through libyaml's composer and :class:`_Builder`: ``None`` for an empty document.

    Raises:
        DocSyntaxError: the text is not YAML, holds several documents, has a key that is not a
            scalar, or uses a tag the reader does not know (position of the problem).
    """
    try:
        return _compose_and_build(CoreLoader, text, mapping_hook, text_keys=True)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from None
    except RecursionError:
        raise DocSyntaxError(1, 1, "nested too deeply") from None


class FastPathDeclined(Exception):
    """:func:`load_api_yaml_fast` cannot show its result equals the exact path's; ``str()`` is
    why (one of :data:`DECLINE_REASONS`' values)."""


#: Why the fast path declines, by short name (tests and the benchmark count them).
DECLINE_REASONS = {
    "chars": "the text holds a character libyaml reads otherwise (U+0085, U+2028, U+2029 are "
             "YAML 1.1 line breaks; it refuses control characters)",
    "marks": "the text may hold a complex key, a merge key, or a tag and an alias",
    "long key": "a line may hold a key of 1024 characters or more (libyaml refuses it, as YAML "
                "1.2 asks of implicit keys; rapidyaml takes it)",
    "ryml": "rapidyaml did not parse it (a syntax error, or YAML it does not take)",
    "root": "the text is empty or holds several documents",
    "bangs": "the JSON holds fewer '!' than the text (a tag, or a '!' in a comment)",
    "spelling": "the JSON holds a string rapidyaml may have quoted or rewritten",
    "json": "rapidyaml's JSON is not valid JSON",
}

#: A character libyaml (a YAML 1.1 reader) takes otherwise than rapidyaml: the 1.1 line breaks
#: U+0085, U+2028, U+2029, and what it refuses as not printable (C0 but tab, LF, CR; DEL; C1;
#: U+FEFF past the start; U+FFFE, U+FFFF; surrogates cannot be encoded). Searched in the UTF-8
#: bytes: ``bytes.translate`` keeps only the bytes that may start one (7 ms for 10 MB, a str
#: character class takes 50 ms), and the lead bytes found are then looked at.
_SINGLE_BAD = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_NOT_LEADS = bytes(c for c in range(256) if c not in _SINGLE_BAD + b"\xc2\xe2\xef")
_MULTI_BAD = {0xC2: re.compile(rb"\xc2[\x80-\x9f]"), 0xE2: re.compile(rb"\xe2\x80[\xa8\xa9]"),
              0xEF: re.compile(rb"\xef(?:\xbb\xbf|\xbf[\xbe\xbf])")}


def _other_chars(data: bytes) -> bool:
    """Whether the UTF-8 text ``data`` holds a character libyaml reads otherwise than rapidyaml
    (a byte-order mark at the very start is fine)."""
    leads = data.translate(None, _NOT_LEADS)
    if not leads:
        return False
    if leads.translate(None, b"\xc2\xe2\xef"):
        return True
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    return any(pattern.search(data, start) for lead, pattern in _MULTI_BAD.items()
               if lead in leads)


#: A ``:`` that may end an implicit key: before a space, a flow indicator or the line's end, or
#: after a quote (``"key":value`` in flow).
_KEY_COLON = re.compile(rb":(?=[ \t\r,\]}]|\Z)|['\"]:")


def _long_key(data: bytes) -> bool:
    """Whether a line of the UTF-8 text ``data`` may hold an implicit key of 1024 characters or
    more: a key ``:`` at or past its 1024th byte (YAML 1.2.2, 7.4.2: implicit keys are restricted
    to 1024 Unicode characters; a character is one byte or more). GitHub's description has 19
    such lines, none with such a ``:``.

    A line of 1024 bytes or more holds a whole 512-byte block of the text (blocks start at
    multiples of 512) with no newline, so only the lines around such blocks are looked at: 1 ms
    for GitHub's 9.4 MiB, against 18 ms for a regular expression trying every line."""
    find = data.find
    done = 0  # the lines before this offset were looked at
    for start in range(0, len(data) - 511, 512):
        if start < done or find(b"\n", start, start + 512) >= 0:
            continue
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = find(b"\n", start + 512)
        done = len(data) if line_end < 0 else line_end
        if done - line_start >= 1024 and _KEY_COLON.search(data, line_start + 1023, done):
            return True
    return False


#: A merge key: rapidyaml lets the later mapping win in ``<<: [*a, *b]`` (YAML's merge key type
#: lets the earlier one win, as PyYAML does).
_MERGE_KEY = re.compile(rb"<<[ \t]*:")
#: What may be an anchor's name after its ``&``, or an alias's after its ``*``.
_NAME = re.compile(rb"[^\s\[\]{},]+")
#: An anchor ``&name`` in the text, for :func:`_marked`.
_ANCHOR = re.compile(rb"&" + _NAME.pattern)
#: A double-quoted escape that makes a ``!`` (it would offset a dropped tag in the count).
_BANG_ESCAPE = re.compile(rb"\\(?:x21|u0021|U00000021)")


def _after_node_start(data: bytes, index: int, before: bytes) -> bool:
    """Whether ``data[index]`` follows, past spaces and tabs, the start of the text or one of
    ``before``."""
    index -= 1
    while index >= 0 and data[index] in b" \t":
        index -= 1
    return index < 0 or data[index] in before


def _names_after(data: bytes, mark: bytes) -> set[bytes]:
    """Every name (:data:`_NAME`) right after a ``mark`` byte in ``data``, overlapping ones too
    (``&a&b`` gives ``a&b`` and ``b``). ``bytes.find`` goes from mark to mark at memchr speed: a
    regular expression takes six times as long for GitHub's 2,199 ``*``."""
    names = set()
    match = _NAME.match
    index = data.find(mark)
    while index >= 0:
        found = match(data, index + 1)
        if found:
            names.add(found.group(0))
        index = data.find(mark, index + 1)
    return names


def _aliased(data: bytes) -> bool:
    """Whether the UTF-8 text ``data`` may use an alias: an ``&name`` and a ``*name…`` both
    occur."""
    anchors = _names_after(data, b"&")
    aliases = _names_after(data, b"*") if anchors else set()
    return any(alias.startswith(anchor) for alias in aliases for anchor in anchors)


def _complex_key(data: bytes) -> bool:
    """Whether the UTF-8 text ``data`` may hold a complex key: a ``?`` at a node's start, then a
    space, a tab, a newline or the end (rapidyaml refuses container keys)."""
    index = data.find(b"?")
    while index >= 0:
        if data[index + 1:index + 2] in b" \t\n" and _after_node_start(data, index, b"\n[{,"):
            return True
        index = data.find(b"?", index + 1)
    return False


def _marked(data: bytes, aliased: bool) -> bool:
    """Whether the UTF-8 text ``data`` may hold what the ``!`` count cannot vouch for: a complex
    key, a merge key, or a tag where an alias may repeat a ``!`` (``aliased``: :func:`_aliased`
    of ``data``; then any ``!`` at a node's start counts, ``'> [!NOTE]'`` in a quoted scalar
    too).
    Conservative on purpose: a false match only costs the exact path's time."""
    if _complex_key(data) or _MERGE_KEY.search(data):
        return True
    if not aliased:
        return False
    index = data.find(b"!")
    while index >= 0:
        if _after_node_start(data, index, b"\n:,[{?-") or _ANCHOR.search(
                data, data.rfind(b"\n", 0, index) + 1, index):
            return True
        index = data.find(b"!", index + 1)
    return False

#: A JSON string rapidyaml's emitter may have made of a plain scalar the core schema reads as
#: null, bool, int or float: it quotes ``~``, ``Null``, ``True``, ``0x1F``, ``0o17``, ``012``,
#: ``0e0``, … as they are written (group 1), and rewrites ``inf``, ``infinity``, ``nan``, ``.Inf``
#: … to ``.inf``/``.nan`` (group 2). Found by emitting every core spelling of up to six
#: characters with ryml 0.15.2 (the tests do it again). The lookahead on the first character
#: makes the search three times faster (most strings start with a letter).
_SPELLINGS = re.compile(
    rb'"(?=[~NTF0+\-.])(?:(~|Null|NULL|True|TRUE|False|FALSE|0x[0-9a-fA-F]*|0o[0-7]*|[-+]?0[0-9]+'
    rb'|[-+]?0[0-9]*(?:\.[0-9]*)?[eE][-+]?[0-9]+)|([-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)))"')


#: A ``\x``/``\u``/``\U`` escape that makes an ASCII character.
_ASCII_ESCAPE = re.compile(rb"\\(?:x[0-7]|u00[0-7]|U000000[0-7])")
_BEFORE_BYTES = b" \t\r\n[{,:-?'\""
_AFTER_BYTES = b" \t\r\n,]}:#'\""
_SPACED_BYTES = b"\r\n,]}:#"
#: What may follow a whole scalar (a lookahead: literal-first patterns search at C speed).
_AFTER_PATTERN = rb"(?=[ \t\r\n,\]}:#'\"]|\Z)"
#: The end of what rapidyaml may rewrite to ``.inf`` (``inf``, ``infinity``, ``.Inf`` … in any
#: case) or ``.nan``, by what it writes (less the sign); searched in the lower-cased text,
#: literal first for C speed.
_REWRITE_ENDS = {b".inf": re.compile(rb"inf(?:inity)?" + _AFTER_PATTERN),
                 b".nan": re.compile(b"nan" + _AFTER_PATTERN)}


def _bordered(data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` (UTF-8 text) may be a whole scalar (plain or quoted): what is
    before it may border one, and after it comes a border, or spaces then the line's end, a
    comment, a key's ``:`` or a flow indicator (``Null support`` is one plain scalar, not
    ``Null``). No byte of a multi-byte character is ASCII, so bytes read as characters here."""
    if start and data[start - 1] not in _BEFORE_BYTES:
        return False
    index = end
    while index < len(data) and data[index] in b" \t":
        index += 1
    if index == len(data):
        return True
    return data[index] in (_SPACED_BYTES if index > end else _AFTER_BYTES)


def _spelling_repairs(data: bytes, out: bytearray,
                      aliased: bool) -> list[tuple[int, int, bytes]] | None:
    """The keys to rename in rapidyaml's JSON ``out`` of the UTF-8 text ``data`` (``aliased``:
    :func:`_aliased` of ``data``), as ``(start, end, key)``: ``out[start:end]`` (``".inf"``)
    is the key ``key`` (``"infinity"``, quotes included), in ascending offsets; or
    ``None`` when ``out`` may hold a string that was a plain scalar read otherwise by the core
    schema (see :data:`_SPELLINGS`).

    A spelling quoted as is (group 1) is a str in the text when no occurrence of it there may be
    a whole plain scalar: a plain scalar is never bordered by a quote, a backtick or a letter, and
    one spelled so is in the text as is (no space, so no line folding made it). A rewrite (group
    2) is repaired only in keys (a key is its text; the caller replaces ``"target":`` in ``out``),
    when every token of the text rapidyaml could have rewritten is one spelling and their count
    is the number of rewritten keys."""
    seen: set[bytes] = set()
    rewritten: set[bytes] = set()
    for match in _SPELLINGS.finditer(out):
        spelled = match.group(1)
        if spelled is None:
            rewritten.add(match.group(2))
            continue
        if spelled in seen:
            continue
        seen.add(spelled)
        if spelled not in data:
            return None  # made by escapes: take the exact path
        # literal first (C speed), the border after in the pattern, the one before checked here
        for found in re.finditer(re.escape(spelled) + _AFTER_PATTERN, data):
            index, end = found.span()
            quote = data[index - 1:index] if index else b""
            if _bordered(data, index, end) and not (
                    quote in (b"'", b'"') and data[end:end + 1] == quote):
                return None
    if not rewritten:
        return []
    if len(rewritten) > 1 or aliased or _ASCII_ESCAPE.search(data):
        return None
    (target,) = rewritten
    keys = []
    for found in re.finditer(re.escape(b'"' + target + b'"'), out):
        start, end = found.span()
        if out[end:end + 1] != b":" or out[start - 1:start] == b"\\":
            return None  # a rewritten value, or a string ending in '"target'
        keys.append((start, end))
    tokens = _rewrite_sources(data, _REWRITE_ENDS[target.lstrip(b"+-")])
    if len(set(tokens)) != 1 or len(tokens) != len(keys):
        return None
    return [(start, end, b'"' + tokens[0] + b'"') for start, end in keys]


def _rewrite_sources(data: bytes, pattern: re.Pattern[bytes]) -> list[bytes]:
    r"""Every token of the UTF-8 text ``data`` that may be a whole scalar rapidyaml rewrites to
    the same value: ``[-+]?\.?`` then what ``pattern`` (one of :data:`_REWRITE_ENDS`) finds,
    ``inf`` or ``infinity``, or ``nan``, in any case. In bytes: ``bytes.lower`` changes ASCII
    only (positions stay; ``str.lower`` may not keep them) and no byte of a multi-byte character
    is ASCII, so the borders read the same."""
    tokens = []
    for match in pattern.finditer(data.lower()):
        start = match.start()
        if start and data[start - 1] == 0x2E:  # "."
            start -= 1
        if start and data[start - 1] in b"+-":
            start -= 1
        if _bordered(data, start, match.end()):
            tokens.append(data[start:match.end()])
    return tokens


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """File descriptor 2 sent to ``/dev/null`` for the block: rapidyaml's C++ prints
    ``ERROR: [parse] …`` lines there before it raises (the exact path then reports the error).
    Process-wide: another thread's stderr is lost for the block too."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_api_yaml_fast(text: str | bytes, mapping_hook: MappingHook | None = None) -> Any:
    """:func:`load_api_yaml_exact`'s value through rapidyaml, or a refusal. ``text`` is the
    text, or its UTF-8 bytes (no byte-order mark; bytes that are not UTF-8 make rapidyaml's JSON
    fail to decode, or lie in a comment, which is dropped either way).

    Aliases are expanded (each use is its own copy; the exact path shares one value), so
    ``mapping_hook`` sees an aliased mapping once per use.

    Raises:
        FastPathDeclined: the result could differ from the exact path's, or the text does not
            parse (the message says which: a :data:`DECLINE_REASONS` value).
    """
    if isinstance(text, bytes):
        data = text
    else:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which libyaml refuses too
            raise FastPathDeclined(DECLINE_REASONS["chars"]) from None
    if _other_chars(data):
        raise FastPathDeclined(DECLINE_REASONS["chars"])
    aliased = _aliased(data)
    if _marked(data, aliased):
        raise FastPathDeclined(DECLINE_REASONS["marks"])
    if _long_key(data):
        raise FastPathDeclined(DECLINE_REASONS["long key"])
    out = _ryml_json(data)
    # rapidyaml drops tags. Without aliases (_marked looked for tags where there are) every
    # scalar is emitted once, with its text's '!' (JSON escapes none), so the same count proves
    # there was no tag (nor a '!' in a comment or a directive), unless an escape made a '!'.
    if out.count(b"!") != data.count(b"!") or _BANG_ESCAPE.search(data):
        raise FastPathDeclined(DECLINE_REASONS["bangs"])
    renames = _spelling_repairs(data, out, aliased)
    del data
    if renames is None:
        raise FastPathDeclined(DECLINE_REASONS["spelling"])
    for start, end, key in reversed(renames):  # from the end: the offsets before stay right
        out[start:end] = key
    ascii_text = ascii_json(out)
    try:
        with gc_paused():
            return json.loads(out if ascii_text is None else ascii_text, object_hook=mapping_hook,
                              parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise FastPathDeclined(DECLINE_REASONS["json"]) from None


def _ryml_json(data: bytes) -> bytearray:
    """rapidyaml's JSON of the one YAML document in the UTF-8 text ``data``, aliases expanded.

    Raises:
        FastPathDeclined: rapidyaml raised (its C++ error lines are kept from stderr), or the
            text holds no document or several.
    """
    import ryml  # rapidyaml: 0.03 s to import, only YAML documents need it

    with _stderr_silenced():
        try:
            tree = ryml.Tree()
            # a node per line, about (GitHub: 258,000 nodes, 272,000 lines): growing the node
            # array as it fills took 20 ms more
            tree.reserve(data.count(b"\n") + 16)
            ryml.parse_in_arena(data, tree=tree)
            tree.resolve()
            root = tree.root_id()
            if tree.is_stream(root):
                if tree.num_children(root) != 1:
                    raise FastPathDeclined(DECLINE_REASONS["root"])
                root = tree.first_child(root)
            if tree.is_stream(root) or not (tree.has_val(root) or tree.is_container(root)):
                raise FastPathDeclined(DECLINE_REASONS["root"])
            return _emit_json(ryml, tree, root, 2 * len(data) + 65536)
        except FastPathDeclined:
            raise
        except Exception:  # ryml.ExceptionParse, with an empty message
            raise FastPathDeclined(DECLINE_REASONS["ryml"]) from None


def _emit_json(ryml: ModuleType, tree: Any, root: int, size: int) -> bytearray:
    """The JSON of ``tree``'s node ``root`` as UTF-8 bytes, emitted into a buffer of ``size``
    bytes (2.5 times faster than ``emit_json_malloc``'s str), emitted again at the size rapidyaml
    asks for when that is short, then cut to its length in place (no copy)."""
    buffer = bytearray(size)
    try:
        emitted = ryml.emit_json_in_place(tree, buffer, root)
    except IndexError:
        buffer = bytearray(ryml.compute_json_length(tree, root))
        emitted = ryml.emit_json_in_place(tree, buffer, root)
    length = len(emitted)
    emitted.release()
    del buffer[length:]
    return buffer


def load_api_yaml(text: str, mapping_hook: MappingHook | None = None) -> Any:
    """The value of the YAML API document ``text`` (one document) by the module doc's semantics:
    rapidyaml's result when it provably equals the exact path's, else the exact path's; ``None``
    for an empty document.

    Raises:
        DocSyntaxError: as :func:`load_api_yaml_exact` (position from libyaml).
    """
    try:
        return load_api_yaml_fast(text, mapping_hook)
    except FastPathDeclined:
        return load_api_yaml_exact(text, mapping_hook)


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
    ``loader``), without its pass over every node of the document. Objects with the same
    ``$ref`` share one proxy, resolved once (GitHub's description: 3,072 references to 766
    targets; research reads nothing of a reference but its ``$ref`` and its target).

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
        self.proxies: dict[str, Any] = {}

    def __call__(self, mapping: dict[Any, Any]) -> Any:
        ref = mapping.get("$ref")
        if ref.__class__ is not str:
            return mapping
        proxy = self.proxies.get(ref)
        if proxy is None:
            proxy = self.proxies[ref] = self.proxy(mapping, base_uri=self.base_uri,
                                                   loader=self.loader, _store=self.store)
        return proxy

    def bind(self, document: Any) -> Any:
        """Make ``document`` (the parsed root) what references resolve against; returns it."""
        self.store[self.base_uri] = document
        return document


class _Builder:
    """Python values from a composed YAML node graph; aliases share one value (like PyYAML).

    Scalars are built by ``constructor``'s class's constructors; with ``text_keys`` every mapping
    key is its scalar's text (a key that is not a scalar raises ``ConstructorError``), else the
    key's value as PyYAML makes it.
    """

    def __init__(self, constructor: SafeConstructor, mapping_hook: MappingHook | None,
                 text_keys: bool = False) -> None:
        self.constructor = constructor
        self.hook = mapping_hook
        self.text_keys = text_keys
        self.scalars = {tag: ctor for tag, ctor in type(constructor).yaml_constructors.items()
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
            if not self.text_keys:
                key = build(key_node)
            elif key_node.__class__ is ScalarNode:
                key = key_node.value
            else:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found a key that is not a scalar (API documents take "
                                       "string keys, as JSON does)", key_node.start_mark)
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
