"""CDK conformance: every CDK name the generated Kotlin relies on exists in the pinned CDK.

Each Kotlin file is parsed with tree-sitter-kotlin (:func:`kotlin_check.parse_tree`) and checked
against the symbol table of the pinned CDK line (:func:`cdk.symbol_table`):

- every ``import io.airbyte.cdk.…`` / ``io.airbyte.protocol.…`` names a symbol of the table;
- every ``override fun`` of a class, object or object expression whose supertypes are CDK types
  matches a function of one of them (transitively through the table's ``supertypes``) by name
  *and* parameter types (table type parameters match any type); every ``override val`` names a
  property of one of them;
- every call of an imported CDK constructor (and every CDK supertype constructor invocation)
  passes no more positional arguments than it has parameters, only named arguments it declares,
  and at least its required count;
- every ``X.member`` / ``X.Nested`` on an imported CDK symbol names one of its members;
- every property chain on a value declared with a CDK type whose members the table lists in
  full (``properties`` as a mapping), e.g. ``stream.tableSchema.columnSchema.finalColumnSchema``,
  names members that exist, step by step (``stream.importType`` — gone in 1.0 — is reported).

A class that also extends a type outside the table (a JDK interface, the project's own class)
is not checked for overrides the table cannot see (reported as ``unchecked``). ``toString``,
``equals`` and ``hashCode`` are ``kotlin.Any``'s and always allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cf_airbyte_destination.kotlin_check import parse_tree

#: Package prefixes whose imports must be in the symbol table.
CHECKED_PREFIXES = ("io.airbyte.cdk.", "io.airbyte.protocol.")
_ANY_METHODS = frozenset({"toString", "equals", "hashCode"})
#: Names valid on any value: kotlin.Any's methods, scope functions, data-class ``copy``.
_ANY_MEMBERS = _ANY_METHODS | {"let", "also", "apply", "run", "takeIf", "takeUnless", "copy"}
_QUALIFIER = re.compile(r"\b[a-z][A-Za-z0-9_]*\.")


@dataclass(frozen=True)
class Finding:
    """One conformance problem: file (relative), 1-based line, kind, message.

    ``kind``: ``unknown-symbol``, ``mismatched-override``, ``bad-call``, ``unknown-member``.
    """

    path: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.message}"


@dataclass
class Report:
    """Counts and findings of a conformance run over some files."""

    files: int = 0
    imports: int = 0
    overrides: int = 0
    calls: int = 0
    members: int = 0
    unchecked: int = 0
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str) -> int:
        """Number of findings of ``kind``."""
        return sum(1 for f in self.findings if f.kind == kind)

    def summary(self) -> str:
        """One line: what was checked and how many problems of each kind."""
        return (f"{self.files} Kotlin files: {self.imports} CDK imports, {self.overrides} "
                f"overrides, {self.calls} CDK constructor calls, {self.members} CDK member "
                f"references checked; {self.count('unknown-symbol')} unknown symbols, "
                f"{self.count('mismatched-override')} mismatched overrides, "
                f"{self.count('bad-call')} bad calls, {self.count('unknown-member')} unknown "
                f"members ({self.unchecked} overrides of non-CDK types, e.g. JDK interfaces, "
                "not checked)")


def normalize_type(text: str) -> str:
    """A Kotlin type as the table writes it: no whitespace, no package qualifiers."""
    return _QUALIFIER.sub("", re.sub(r"\s+", "", text))


def _text(node: Any) -> str:
    return (node.text or b"").decode("utf-8")


def _children(node: Any, kind: str) -> list[Any]:
    return [c for c in node.children if c.type == kind]


def _child(node: Any, kind: str) -> Any | None:
    found = _children(node, kind)
    return found[0] if found else None


def _line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def _has_override(node: Any) -> bool:
    modifiers = _child(node, "modifiers")
    return modifiers is not None and any(
        _text(m) == "override" for m in _walk(modifiers) if m.child_count == 0)


def _walk(node: Any) -> list[Any]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


def _identifier(node: Any) -> str:
    ident = _child(node, "identifier")
    return _text(ident).strip("`") if ident is not None else ""


class _FileChecker:
    def __init__(self, rel: str, source: bytes, symbols: dict[str, Any], report: Report) -> None:
        self.rel, self.symbols, self.report = rel, symbols, report
        self.tree = parse_tree(source)
        self.imported: dict[str, str] = {}
        self.by_simple = {fqn.rsplit(".", 1)[1]: fqn for fqn in symbols}

    def find(self, line: int, kind: str, message: str) -> None:
        self.report.findings.append(Finding(self.rel, line, kind, message))

    # -- imports ------------------------------------------------------------------------------
    def check_imports(self) -> None:
        for node in _children(self.tree.root_node, "import"):
            qualified = _child(node, "qualified_identifier")
            if qualified is None:
                continue
            fqn = _text(qualified)
            alias_node = next((c for c in node.children if c.type in ("import_alias",
                                                                      "identifier")), None)
            if not fqn.startswith(CHECKED_PREFIXES):
                continue
            self.report.imports += 1
            if fqn not in self.symbols:
                self.find(_line(node), "unknown-symbol",
                          f"import {fqn} is not in the CDK symbol table")
                continue
            alias = _text(alias_node).split()[-1] if alias_node is not None else \
                fqn.rsplit(".", 1)[1]
            self.imported[alias] = fqn

    # -- helpers --------------------------------------------------------------------------------
    def resolve(self, simple: str) -> str | None:
        fqn = self.imported.get(simple)
        return fqn if fqn in self.symbols else None

    def ancestry(self, fqn: str) -> list[dict[str, Any]]:
        out, todo, seen = [], [fqn], set()
        while todo:
            name = todo.pop()
            if name in seen or name not in self.symbols:
                continue
            seen.add(name)
            entry = self.symbols[name]
            out.append(entry)
            todo.extend(entry.get("supertypes", []))
        return out

    def check_args(self, fqn: str, arguments: Any, line: int) -> None:
        ctor = self.symbols[fqn].get("constructor")
        if ctor is None or arguments is None:
            return
        self.report.calls += 1
        params: list[str] = list(ctor.get("params", []))
        required = int(ctor.get("required", len(params)))
        positional, named = 0, []
        for arg in _children(arguments, "value_argument"):
            if any(c.type == "=" for c in arg.children):
                named.append(_identifier(arg))
            else:
                positional += 1
        simple = fqn.rsplit(".", 1)[1]
        unknown = [n for n in named if n not in params]
        if unknown:
            self.find(line, "bad-call", f"{simple}(…) has no parameter "
                      + ", ".join(unknown) + f" (parameters: {', '.join(params) or 'none'})")
        if positional > len(params):
            self.find(line, "bad-call", f"{simple}(…) takes at most {len(params)} arguments, "
                      f"{positional} given")
        if positional + len(named) < required:
            self.find(line, "bad-call", f"{simple}(…) needs {required} arguments, "
                      f"{positional + len(named)} given")

    # -- declarations -----------------------------------------------------------------------
    def check_declarations(self) -> None:
        for node in _walk(self.tree.root_node):
            if node.type in ("class_declaration", "object_declaration", "object_literal"):
                self.check_type(node)

    def check_type(self, node: Any) -> None:
        cdk_supers: list[str] = []
        foreign = False
        specifiers = _child(node, "delegation_specifiers")
        for spec in _children(specifiers, "delegation_specifier") if specifiers else []:
            invocation = _child(spec, "constructor_invocation")
            user_type = _child(invocation or spec, "user_type")
            if user_type is None:
                foreign = True
                continue
            fqn = self.resolve(_identifier(user_type))
            if fqn is None:
                foreign = True
                continue
            cdk_supers.append(fqn)
            if invocation is not None:
                self.check_args(fqn, _child(invocation, "value_arguments"), _line(spec))
        members = self.override_members(node)
        if not cdk_supers:  # e.g. an object : javax.sql.DataSource — not the CDK's to check
            self.report.unchecked += len(members)
            return
        entries = [e for s in cdk_supers for e in self.ancestry(s)]
        functions: dict[str, list[tuple[list[str], set[str]]]] = {}
        properties: set[str] = set()
        for entry in entries:
            generic = set(entry.get("type_parameters", []))
            for name, overloads in (entry.get("functions") or {}).items():
                for params in overloads:
                    functions.setdefault(name, []).append((list(params), generic))
            properties.update(entry.get("properties", []))
        names = ", ".join(s.rsplit(".", 1)[1] for s in cdk_supers)
        for member in members:
            if member.type == "function_declaration":
                self.check_function(member, functions, names, foreign)
            else:
                self.check_property(member, properties, names, foreign)

    @staticmethod
    def override_members(node: Any) -> list[Any]:
        """The ``override`` constructor properties, functions and properties of a type."""
        members: list[Any] = []
        ctor = _child(node, "primary_constructor")
        params = _child(ctor, "class_parameters") if ctor is not None else None
        if params is not None:
            members += _children(params, "class_parameter")
        body = _child(node, "class_body")
        if body is not None:
            members += [c for c in body.children
                        if c.type in ("function_declaration", "property_declaration")]
        return [m for m in members if _has_override(m)]

    def check_function(self, node: Any, functions: dict[str, list[tuple[list[str], set[str]]]],
                       supers: str, foreign: bool) -> None:
        name = _identifier(node)
        if name in _ANY_METHODS:
            return
        params = _child(node, "function_value_parameters")
        types = []
        for param in _children(params, "parameter") if params else []:
            type_node = next((c for c in param.children
                              if c.type in ("user_type", "nullable_type", "function_type")), None)
            prefix = "vararg " if "vararg" in _text(param).split()[:1] else ""
            types.append(prefix + normalize_type(_text(type_node)) if type_node else "?")
        if name not in functions:
            if foreign:
                self.report.unchecked += 1
                return
            self.report.overrides += 1
            self.find(_line(node), "mismatched-override",
                      f"override fun {name}({', '.join(types)}) overrides nothing in {supers}")
            return
        self.report.overrides += 1
        for expected, generic in functions[name]:
            if len(expected) == len(types) and all(
                    e in generic or normalize_type(e) == t or e == t
                    for e, t in zip(expected, types, strict=True)):
                return
        if foreign:
            return
        shapes = "; ".join("(" + ", ".join(e) + ")" for e, _ in functions[name])
        self.find(_line(node), "mismatched-override",
                  f"override fun {name}({', '.join(types)}) matches no {supers}.{name} "
                  f"overload {shapes}")

    def check_property(self, node: Any, properties: set[str], supers: str, foreign: bool) -> None:
        declaration = _child(node, "variable_declaration") or node
        name = _identifier(declaration)
        if name not in properties:
            if foreign:
                self.report.unchecked += 1
                return
            self.report.overrides += 1
            self.find(_line(node), "mismatched-override",
                      f"override val {name} overrides no property of {supers}")
            return
        self.report.overrides += 1

    # -- calls and member references --------------------------------------------------------
    def check_uses(self) -> None:
        for node in _walk(self.tree.root_node):
            if node.type == "call_expression":
                callee = node.children[0]
                if callee.type == "identifier":
                    fqn = self.resolve(_text(callee))
                    if fqn is not None:
                        self.check_args(fqn, _child(node, "value_arguments"), _line(node))
            elif node.type in ("navigation_expression", "user_type"):
                idents = _children(node, "identifier")
                head = node.children[0]
                if head.type != "identifier" or (len(idents) < 2 and node.type == "user_type"):
                    continue
                fqn = self.resolve(_text(head))
                if fqn is None:
                    continue
                if node.type == "navigation_expression":
                    tail = next((c for c in node.children[1:] if c.type == "identifier"), None)
                else:
                    tail = idents[1]
                if tail is None:
                    continue
                self.check_member(fqn, _text(tail).strip("`"), _line(node))

    # -- property chains on CDK-typed values ------------------------------------------------
    def typed_names(self) -> dict[str, str]:
        """Parameter/property name -> CDK type (fully qualified) for names declared with one
        CDK type only in this file (a name declared with two types is left out)."""
        seen: dict[str, set[str]] = {}
        for node in _walk(self.tree.root_node):
            if node.type not in ("parameter", "class_parameter", "variable_declaration"):
                continue
            type_node = next((c for c in node.children
                              if c.type in ("user_type", "nullable_type")), None)
            if type_node is None:
                continue
            user = type_node if type_node.type == "user_type" else _child(type_node, "user_type")
            if user is None or len(_children(user, "identifier")) != 1 or \
                    _child(user, "type_arguments") is not None:
                continue
            fqn = self.resolve(_identifier(user))
            seen.setdefault(_identifier(node), set()).add(fqn or "")
        return {name: next(iter(types)) for name, types in seen.items()
                if len(types) == 1 and next(iter(types))}

    def property_type(self, fqn: str, name: str) -> str | None:
        props = self.symbols[fqn].get("properties")
        if not isinstance(props, dict) or name not in props:
            return None
        text = str(props[name]).rstrip("?")
        return self.by_simple.get(text) if text.isidentifier() else None

    def check_chains(self) -> None:
        typed = self.typed_names()
        for node in _walk(self.tree.root_node):
            if node.type != "navigation_expression" or node.children[0].type != "identifier":
                continue
            fqn = typed.get(_text(node.children[0]))
            current: Any = node
            while fqn is not None and current is not None and \
                    current.type == "navigation_expression":
                props = self.symbols[fqn].get("properties")
                tail = current.children[-1]
                if not isinstance(props, dict) or tail.type != "identifier":
                    break
                name = _text(tail).strip("`")
                entry = self.symbols[fqn]
                known = set(props) | set(entry.get("functions") or {}) | \
                    set(entry.get("members", [])) | _ANY_MEMBERS
                self.report.members += 1
                if name not in known:
                    listed = sorted(set(props) | set(entry.get("functions") or {}))
                    self.find(_line(current), "unknown-member",
                              f"{fqn.rsplit('.', 1)[1]} has no member {name} "
                              f"(known: {', '.join(listed)})")
                    break
                fqn = self.property_type(fqn, name)
                parent = current.parent
                while parent is not None and parent.type in ("postfix_expression",
                                                             "unary_expression"):
                    parent = parent.parent  # `!!`
                if parent is None or parent.type != "navigation_expression" or \
                        parent.children[0].id not in (current.id, current.parent.id):
                    break
                current = parent

    def check_member(self, fqn: str, member: str, line: int) -> None:
        entries = self.ancestry(fqn)
        known: set[str] = set()
        for entry in entries:
            known.update(entry.get("members", []))
            known.update(entry.get("properties", []))
            known.update((entry.get("functions") or {}).keys())
        self.report.members += 1
        if member not in known:
            self.find(line, "unknown-member",
                      f"{fqn.rsplit('.', 1)[1]}.{member} is not a member of {fqn} "
                      f"(known: {', '.join(sorted(known)) or 'none'})")


def check_source(rel: str, source: bytes, symbols: dict[str, Any],
                 report: Report | None = None) -> Report:
    """Check one Kotlin source (``rel`` names it in findings) against ``symbols`` (the
    ``symbols`` mapping of a symbol table); findings are added to ``report`` (or a new one)."""
    report = report if report is not None else Report()
    checker = _FileChecker(rel, source, symbols, report)
    checker.check_imports()
    checker.check_declarations()
    checker.check_uses()
    checker.check_chains()
    report.files += 1
    return report


def check_tree(root: Path, files: list[Path], symbols: dict[str, Any]) -> Report:
    """Check ``files`` (paths under ``root``; findings name them relative to it)."""
    report = Report()
    for path in files:
        check_source(str(path.relative_to(root)), path.read_bytes(), symbols, report)
    return report
