"""Fixtures: the shipped intake, a `cf` runner and a small Sophie Hub fixture checkout."""

from __future__ import annotations

import json
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


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A small Sophie Hub checkout: one SupTask route reading the token, and the migration that
    created the existing 1:1 sources."""
    root = tmp_path / "sophie-hub"
    route = root / "src" / "app" / "api" / "suptask" / "sync" / "route.ts"
    route.parent.mkdir(parents=True)
    route.write_text("export async function POST() {\n"
                     "  const token = process.env.SUPTASK_API_TOKEN;\n"
                     "  return Response.json({ ok: Boolean(token) });\n}\n")
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20250101_entity_external_ids.sql").write_text(
        "create unique index on entity_external_ids (entity_type, entity_id) "
        "where source = 'slack_user';\n")
    (root / "package.json").write_text('{"name": "sophie-hub", "private": true}\n')
    return root


@pytest.fixture
def node_checkout(checkout: Path) -> Path:
    """The fixture checkout made a TypeScript project with ``node_modules``: the real
    TypeScript compiler and Node types that ``.ci/fetch-inputs`` installs, linked in, and
    ``lint``/``test``/``build`` scripts, so the gate's ``npm`` checks run for real."""
    try:
        inputs = real_inputs(ROOT, "node/node_modules/.bin/tsc", "node/node_modules/@types/node")
    except InputsMissing as exc:
        pytest.fail(str(exc))
    (checkout / "node_modules").symlink_to(inputs / "node" / "node_modules",
                                           target_is_directory=True)
    (checkout / "package.json").write_text(json.dumps({
        "name": "sophie-hub", "private": True, "type": "module",
        "scripts": {"lint": "tsc --noEmit --noUnusedLocals -p .",
                    "test": "node --test tests/", "build": "tsc -p ."}}))
    (checkout / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "target": "ES2022", "module": "ES2022",
                            "moduleResolution": "bundler", "lib": ["ES2022", "DOM"],
                            "types": ["node"], "outDir": "dist", "rootDir": "src",
                            "skipLibCheck": True},
        "include": ["src"]}))
    test = checkout / "tests" / "route.test.mjs"
    test.parent.mkdir()
    test.write_text("import { test } from 'node:test';\n"
                    "import assert from 'node:assert/strict';\n"
                    "import { readFileSync } from 'node:fs';\n"
                    "test('the sync route reads its token', () => {\n"
                    "  const route = readFileSync('src/app/api/suptask/sync/route.ts', 'utf8');\n"
                    "  assert.match(route, /process\\.env\\.SUPTASK_API_TOKEN/);\n});\n")
    return checkout
