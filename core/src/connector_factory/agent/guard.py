"""The test-protection guard: an edit may not delete, skip or loosen a protected test.

The tester role may change the implementation but never weaken a test. For a protected test
file, the old and new sources are parsed with :mod:`ast` and compared:

* every test function (``test_*``, also in ``Test*`` classes) must still exist;
* every assertion (``assert`` statements, ``self.assert*``/``mock.assert_*`` calls and
  ``pytest.raises``/``pytest.warns``) of every function must still be there, unchanged, in the same
  function — new assertions may be added, none removed or rewritten;
* skip/xfail markers and calls (``pytest.skip``, ``@pytest.mark.skip``/``skipif``/``xfail``,
  ``unittest.skip*``, ``skipTest``, ``importorskip``, ``SkipTest``) may not grow in number;
* a test function may not gain ``return`` statements or handlers catching ``AssertionError``,
  ``Exception``, ``BaseException`` or everything.

An edit that breaks this is rejected with the reason; an unparsable new version is rejected too.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

SKIP_NAMES: frozenset[str] = frozenset(
    {"skip", "skipif", "xfail", "skipIf", "skipUnless", "skipTest", "SkipTest",
     "expectedFailure", "importorskip"}
)
_ASSERT_CALLS = frozenset({"raises", "warns", "deprecated_call", "fail"})
_BROAD = frozenset({"AssertionError", "Exception", "BaseException"})


@dataclass
class GuardFacts:
    """What the guard compares in one test module.

    Attributes:
        assertions: function qualname (``<module>`` for module level) → multiset of
            ``ast.dump`` texts of its assertions.
        tests: qualnames of test functions.
        skips: number of skip/xfail markers and calls anywhere in the module.
        returns: test qualname → number of ``return`` statements.
        broad_handlers: test qualname → number of handlers catching assertion failures.
    """

    assertions: dict[str, Counter[str]] = field(default_factory=dict)
    tests: set[str] = field(default_factory=set)
    skips: int = 0
    returns: Counter[str] = field(default_factory=Counter)
    broad_handlers: Counter[str] = field(default_factory=Counter)


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_assert_call(node: ast.Call) -> bool:
    name = _name_of(node.func)
    if name.startswith("assert"):
        return True
    return (name in _ASSERT_CALLS and isinstance(node.func, ast.Attribute)
            and _name_of(node.func.value) == "pytest")


def _catches_assertions(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(_name_of(t) in _BROAD for t in types)


class _Collector(ast.NodeVisitor):
    def __init__(self, facts: GuardFacts) -> None:
        self.facts = facts
        self.scope: list[str] = []
        self.test_scope: list[bool] = []

    def _qual(self) -> str:
        return ".".join(self.scope) or "<module>"

    def _in_test(self) -> bool:
        return bool(self.test_scope) and self.test_scope[-1]

    def _record(self, text: str) -> None:
        self.facts.assertions.setdefault(self._qual(), Counter())[text] += 1

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.test_scope.append(False)
        self.generic_visit(node)
        self.scope.pop()
        self.test_scope.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer_classes = self.scope
        is_test = node.name.startswith("test") and all(
            part.startswith("Test") for part in outer_classes)
        self.scope.append(node.name)
        self.test_scope.append(is_test or self._in_test())
        if is_test:
            self.facts.tests.add(self._qual())
        self.generic_visit(node)
        self.scope.pop()
        self.test_scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self._record("assert " + ast.dump(node.test))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _is_assert_call(node):
            self._record("call " + ast.dump(node))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in SKIP_NAMES:
            self.facts.skips += 1
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in SKIP_NAMES:
            self.facts.skips += 1

    def visit_Return(self, node: ast.Return) -> None:
        if self._in_test():
            self.facts.returns[self._qual()] += 1
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if self._in_test() and _catches_assertions(node):
            self.facts.broad_handlers[self._qual()] += 1
        self.generic_visit(node)


def collect_facts(source: str) -> GuardFacts:
    """Parse ``source`` and collect its :class:`GuardFacts`.

    Raises:
        SyntaxError: ``source`` is not valid Python.
    """
    facts = GuardFacts()
    _Collector(facts).visit(ast.parse(source))
    return facts


def weakening(old: str, new: str | None) -> str | None:
    """Why replacing test source ``old`` by ``new`` weakens it, or ``None`` when it does not.

    ``new`` ``None`` means the file is deleted. An ``old`` that does not parse imposes nothing
    beyond ``new`` parsing.
    """
    if new is None:
        return "it deletes the test file"
    try:
        after = collect_facts(new)
    except SyntaxError as exc:
        return f"the new version does not parse ({exc.msg}, line {exc.lineno})"
    try:
        before = collect_facts(old)
    except SyntaxError:
        return None
    missing_tests = sorted(before.tests - after.tests)
    if missing_tests:
        return "it removes or renames test(s): " + ", ".join(missing_tests[:5])
    for qual, wanted in before.assertions.items():
        have = after.assertions.get(qual, Counter())
        lost = wanted - have
        if lost:
            return (f"it removes or changes {sum(lost.values())} assertion(s) in {qual} "
                    f"(had {sum(wanted.values())}, {sum((wanted & have).values())} kept as they "
                    "were)")
    if after.skips > before.skips:
        return f"it adds skip/xfail markers ({before.skips} → {after.skips})"
    for qual, count in after.returns.items():
        if count > before.returns.get(qual, 0):
            return f"it adds an early return to {qual}"
    for qual, count in after.broad_handlers.items():
        if count > before.broad_handlers.get(qual, 0):
            return f"it catches assertion failures in {qual}"
    return None
