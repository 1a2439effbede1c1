"""Fixtures: the shipped intake, a `cf` runner and a small Sophie Hub fixture checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from connector_factory.cli import app
from connector_factory.testing.inputs import InputsMissing, real_inputs
from typer.testing import CliRunner, Result

RunCf = Callable[..., Result]
#: The repository checkout (tests run from plugins/sophiehub_rollout).
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def example_intake(tmp_path: Path) -> Path:
    """The shipped SupTask intake, copied out of the installed package."""
    text = (resources.files("cf_sophiehub_rollout") / "data" / "intake-suptask.yaml").read_text()
    path = tmp_path / "intake-suptask.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def run_cf(monkeypatch: pytest.MonkeyPatch) -> RunCf:
    """Run `cf ARGS…` in-process without a terminal; assert the exit code."""
    monkeypatch.setenv("CF_INTERACTIVE", "0")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    runner = CliRunner()

    def run(*args: str, expect: int = 0) -> Result:
        result = runner.invoke(app, list(args))
        assert result.exit_code == expect, f"exit {result.exit_code}:\n{result.output}"
        return result

    return run


#: The fixture Sophie Hub checkout (see fixtures/README.md for what it models).
FIXTURE = Path(__file__).parent / "fixtures" / "sophie-hub"


def git_commit(root: Path, message: str) -> None:
    """Commit everything in ``root`` (a git repository is made first if needed)."""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "PATH": os.environ.get("PATH", ""), "HOME": str(root)}
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "staging", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "--allow-empty", "-m", message],
                   check=True, env=env)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the fixture Sophie Hub checkout, committed on branch ``staging``."""
    root = tmp_path / "sophie-hub"
    shutil.copytree(FIXTURE, root)
    git_commit(root, "staging")
    return root


#: A small real linter for the node checkout: every ``console.log(`` under ``src/`` is an error.
LINT = """import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
let errors = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    readFileSync(path, 'utf8').split('\\n').forEach((line, i) => {
      if (line.includes('console.log(')) {
        console.error(`error: console.log in ${path}:${i + 1}`);
        errors += 1;
      }
    });
  }
};
walk('src');
process.exit(errors ? 1 : 0);
"""


@pytest.fixture
def node_checkout(checkout: Path) -> Path:
    """The fixture checkout made a TypeScript project with ``node_modules``: the real
    TypeScript compiler and Node types that ``.ci/fetch-inputs`` installs, linked in, and
    ``lint``/``test``/``build`` scripts, so the gate's ``npm`` checks run for real; committed,
    so the unmodified branch is there for the baseline."""
    try:
        inputs = real_inputs(ROOT, "node/node_modules/.bin/tsc", "node/node_modules/@types/node")
    except InputsMissing as exc:
        pytest.fail(str(exc))
    (checkout / "node_modules").symlink_to(inputs / "node" / "node_modules",
                                           target_is_directory=True)
    (checkout / "package.json").write_text(json.dumps({
        "name": "sophie-hub", "private": True, "type": "module",
        "scripts": {"lint": "node tests/lint.mjs",
                    "test": "node --test tests/", "build": "tsc -p ."}}))
    (checkout / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "target": "ES2022", "module": "ES2022",
                            "moduleResolution": "bundler", "lib": ["ES2022", "DOM"],
                            "types": ["node"], "outDir": "dist", "rootDir": "src",
                            "skipLibCheck": True, "baseUrl": ".",
                            "paths": {"@/*": ["src/*"]}},
        "include": ["src"]}))
    test = checkout / "tests" / "route.test.mjs"
    test.parent.mkdir()
    test.write_text("import { test } from 'node:test';\n"
                    "import assert from 'node:assert/strict';\n"
                    "import { readFileSync } from 'node:fs';\n"
                    "test('the client reads its token from the environment', () => {\n"
                    "  const client = readFileSync('src/lib/suptask/client.ts', 'utf8');\n"
                    "  assert.match(client, /process\\.env\\.SUPTASK_API_TOKEN/);\n});\n")
    (checkout / "tests" / "lint.mjs").write_text(LINT)
    (checkout / ".gitignore").write_text("node_modules\ndist\n")
    git_commit(checkout, "a TypeScript checkout")
    return checkout
