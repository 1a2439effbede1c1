"""Parsing generated Kotlin with tree-sitter (PyPI ``tree-sitter`` + ``tree-sitter-kotlin``).

A file passes when its syntax tree has no ``ERROR`` node and no ``MISSING`` node. The grammar is
the compiled one shipped in the ``tree-sitter-kotlin`` wheel; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SyntaxProblem:
    """One ``ERROR``/``MISSING`` node: kind, 1-based line and column, the text around it."""

    kind: str
    line: int
    column: int
    text: str

    def __str__(self) -> str:
        return f"{self.kind} at {self.line}:{self.column}: {self.text!r}"


@lru_cache(maxsize=1)
def _parser() -> Any:
    try:
        import tree_sitter_kotlin
        from tree_sitter import Language, Parser
    except ImportError as exc:  # a dependency of the plugin: fail loudly, never skip
        raise RuntimeError("tree-sitter and tree-sitter-kotlin are required: "
                           "pip install tree-sitter tree-sitter-kotlin") from exc
    return Parser(Language(tree_sitter_kotlin.language()))


def parse_tree(source: bytes) -> Any:
    """The tree-sitter syntax tree of Kotlin ``source``."""
    return _parser().parse(source)


def kotlin_problems(source: bytes) -> list[SyntaxProblem]:
    """Every ``ERROR`` or ``MISSING`` node of ``source`` (empty list: the file parses)."""
    tree = parse_tree(source)
    problems: list[SyntaxProblem] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            kind = "MISSING " + node.type if node.is_missing else "ERROR"
            text = (node.text or b"").decode("utf-8", "replace")[:60]
            problems.append(SyntaxProblem(kind, node.start_point[0] + 1,
                                          node.start_point[1] + 1, text))
        stack.extend(node.children)
    if tree.root_node.has_error and not problems:
        problems.append(SyntaxProblem("ERROR", 1, 1, "tree reports an error"))
    return sorted(problems, key=lambda p: (p.line, p.column))


def check_kotlin_file(path: Path) -> list[SyntaxProblem]:
    """:func:`kotlin_problems` of the file at ``path``."""
    return kotlin_problems(path.read_bytes())


def kotlin_string_literals(source: bytes) -> list[str]:
    """The decoded contents of every plain ``"…"`` string literal without templates
    (escapes ``\\n``, ``\\"``, ``\\\\``, ``\\$``, ``\\t`` resolved)."""
    tree = parse_tree(source)
    out: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "string_literal":
            raw = (node.text or b"").decode("utf-8")
            if raw.startswith('"') and not raw.startswith('"""'):
                out.append(_unescape(raw[1:-1]))
            continue
        stack.extend(node.children)
    return out


def _unescape(body: str) -> str:
    table = {"n": "\n", '"': '"', "\\": "\\", "$": "$", "t": "\t", "'": "'", "r": "\r"}
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(table.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def kotlin_string(text: str) -> str:
    """``text`` as a Kotlin string literal (``"…"`` with ``\\``, ``"``, ``$``, newlines escaped)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
               .replace("\n", "\\n").replace("\t", "\\t"))
    return f'"{escaped}"'
