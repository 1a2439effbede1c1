"""A fixture checkout of lakeflow-community-connectors, assembled for a test (see
``fixtures/lakeflow_checkout/README.md`` for what models which file of the repository at commit
f9c88869).

``make_checkout(dest)`` copies the fixture's own files and, from the plugin's standalone template,
the parts of the repository that template models (suite, ``test_utils``, simulator, interface,
``parse_value`` and the package ``__init__`` files), then makes it a git repository with one
commit, like a fresh clone.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from connector_factory.templates import find_template

FIXTURE = Path(__file__).parent / "fixtures" / "lakeflow_checkout"
#: git identity of the fixture's first commit (never the person's).
GIT = ["git", "-c", "user.name=fixture", "-c", "user.email=fixture@localhost"]


def git(checkout: Path, *args: str) -> str:
    """``git ARGS`` in ``checkout``; its stdout. Raises ``CalledProcessError``."""
    return subprocess.run([*GIT, *args], cwd=checkout, check=True, capture_output=True,
                          text=True).stdout


def make_checkout(dest: Path) -> Path:
    """The checkout at ``dest`` (created), committed; returns ``dest``."""
    template = find_template("cf_databricks_source", "databricks-source")
    root = next(p for p in template.iterdir() if p.is_dir() and "{{" in p.name)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (path.is_dir() or "{{" in str(rel) or rel.name == ".gitignore"
                or {"__pycache__", ".ruff_cache"} & set(rel.parts)):
            continue  # the connector's own files are what cf writes
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dest / rel)
    (dest / "src/databricks/labs/community_connector/source_simulator/specs").mkdir()
    shutil.copytree(FIXTURE, dest, dirs_exist_ok=True)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "fixture checkout")
    return dest
