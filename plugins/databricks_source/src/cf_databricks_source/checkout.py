"""Detect, don't assume: what a checkout of lakeflow-community-connectors offers (``--repo``).

The layout this plugin generates for is the repository's at commit f9c88869
(databrickslabs/lakeflow-community-connectors): the contract suite
``tests/unit/sources/test_suite.py`` whose ``LakeflowConnectTests`` takes ``connector_class``,
``simulator_source`` and ``replay_config`` (and optionally ``allow_empty_first_read`` and
``allow_null_columns``); the simulator package ``source_simulator/`` whose ``specs/<source>/``
folders hold ``endpoints.yaml`` + ``corpus/`` and whose pagination styles include the ones
:mod:`.simulator_spec` writes; ``tests/unit/sources/test_utils.py`` with ``load_config`` (the
auth test's credentials); the interface package exporting ``LakeflowConnect``; and the
``templates/`` the create-connector flow fills (``connector_spec_template.yaml``,
``source_api_doc_template.md``).

The checkout is read, never imported or run: class attributes are found with :mod:`ast`, the
rest by file and name. :func:`inspect_checkout` raises one :class:`InputError` naming everything
missing, before any file is written.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from connector_factory.errors import InputError

from cf_databricks_source.simulator_spec import SPECS_ROOT, STYLE

PKG = "src/databricks/labs/community_connector"
SUITE = "tests/unit/sources/test_suite.py"
TEST_UTILS = "tests/unit/sources/test_utils.py"
SIMULATOR = f"{PKG}/source_simulator"
INTERFACE = f"{PKG}/interface"
SPEC_TEMPLATE = "templates/connector_spec_template.yaml"
API_DOC_TEMPLATE = "templates/source_api_doc_template.md"
#: Suite attributes the generated test class sets.
REQUIRED_ATTRIBUTES = ("connector_class", "simulator_source", "replay_config")
#: Suite attributes used when the checkout has them.
OPTIONAL_ATTRIBUTES = ("allow_empty_first_read", "allow_null_columns")


@dataclass(frozen=True)
class Checkout:
    """What the checkout at ``root`` offers: the suite's class attributes (``attributes``)."""

    root: Path
    attributes: frozenset[str]

    def honours(self, attribute: str) -> bool:
        """Whether ``LakeflowConnectTests`` in this checkout has ``attribute``."""
        return attribute in self.attributes


def suite_attributes(suite: Path) -> frozenset[str] | None:
    """Names assigned in the body of ``class LakeflowConnectTests`` in ``suite`` (``None`` when
    the file does not parse or has no such class)."""
    try:
        tree = ast.parse(suite.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "LakeflowConnectTests":
            names: set[str] = set()
            for item in node.body:
                if isinstance(item, ast.Assign):
                    names.update(t.id for t in item.targets if isinstance(t, ast.Name))
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
            return frozenset(names)
    return None


def _defines(folder: Path, pattern: str) -> bool:
    """Whether some ``*.py`` file directly in ``folder`` contains ``pattern``."""
    if not folder.is_dir():
        return False
    return any(pattern in p.read_text(encoding="utf-8", errors="replace")
               for p in folder.glob("*.py"))


def missing_parts(root: Path) -> tuple[list[str], frozenset[str]]:
    """What the checkout at ``root`` lacks of what this plugin generates for, and the suite's
    attributes (empty when there is no suite)."""
    missing: list[str] = []
    attributes = suite_attributes(root / SUITE)
    if attributes is None:
        missing.append(f"{SUITE} with class LakeflowConnectTests")
        attributes = frozenset()
    else:
        lacking = [a for a in REQUIRED_ATTRIBUTES if a not in attributes]
        if lacking:
            missing.append(f"LakeflowConnectTests attribute(s) {', '.join(lacking)}")
    if not (root / SIMULATOR / "__init__.py").is_file():
        missing.append(f"the simulator package {SIMULATOR}/")
    else:
        if not (root / SPECS_ROOT).is_dir():
            missing.append(f"{SPECS_ROOT}/")
        styles = [s for s in sorted(set(STYLE.values())) if not _defines(root / SIMULATOR,
                                                                           f'"{s}"')]
        if styles:
            missing.append(f"simulator pagination style(s) {', '.join(styles)}")
    if not _defines(root / INTERFACE, "LakeflowConnect"):
        missing.append(f"the interface package {INTERFACE}/ with LakeflowConnect")
    if not _defines(root / "tests/unit/sources", "def load_config"):
        missing.append(f"load_config in {TEST_UTILS}")
    for template in (SPEC_TEMPLATE, API_DOC_TEMPLATE):
        if not (root / template).is_file():
            missing.append(template)
    return missing, attributes


def inspect_checkout(root: Path) -> Checkout:
    """The checkout at ``root`` when it has everything this plugin generates for.

    Raises:
        InputError: one line naming every missing part (the checkout is older or newer than the
            layout of commit f9c88869 this plugin knows), with the fix.
    """
    if not root.is_dir():
        raise InputError(f"--repo {root}: no such folder", "pass a checkout of "
                         "databrickslabs/lakeflow-community-connectors")
    missing, attributes = missing_parts(root)
    if missing:
        raise InputError(
            f"--repo {root} is not a lakeflow-community-connectors checkout this plugin knows "
            f"(it generates for the layout of commit f9c88869); missing: {'; '.join(missing)}",
            "use a checkout with that layout (`git checkout f9c88869` has it) or a "
            "cf-databricks-source that knows yours, or drop --repo to write a standalone project")
    return Checkout(root=root, attributes=attributes)
