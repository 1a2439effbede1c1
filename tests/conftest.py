"""Fixtures for the core's tests: fake plugin distributions found through real entry points."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

#: Makes a distribution on sys.path: (dist name, {module name: source}, {entry name: module}).
MakeDist = Callable[[str, dict[str, str], dict[str, str]], Path]


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's cf processes keep their caches (the entry-point cache) in a folder of
    their own, not in the user's ``~/.cache``."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeDist:
    """Write a real installed distribution (``*.dist-info`` with ``entry_points.txt``) and its
    modules into a folder on ``sys.path``, as pip would, so ``importlib.metadata`` finds it."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(dist: str, modules: dict[str, str], entries: dict[str, str]) -> Path:
        for module, source in modules.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        lines = "".join(f"{name} = {module}\n" for name, module in entries.items())
        (info / "entry_points.txt").write_text(f"[connector_factory]\n{lines}")
        return site

    return make


#: A plugin with target ``toy``: every step implemented; scaffold writes toy.txt; the test gate
#: fails while the project holds a file named FAIL.
TOY_PLUGIN = '''
from connector_factory import hookimpl
from connector_factory.models import CheckResult, StepResult, Target, TargetInput

def _mine(ctx):
    return ctx.target == "toy"

@hookimpl
def cf_targets():
    return [Target(name="toy", summary="a toy target",
                   inputs=(TargetInput(name="doc", help="a doc", type="url_or_path"),))]

@hookimpl
def cf_plan(ctx):
    return StepResult(summary="planned", details={"doc": ctx.inputs.get("doc")}) if _mine(ctx) else None

@hookimpl
def cf_research(ctx):
    return StepResult(summary="2 tables found", details={"tables": ["a", "b"]}) if _mine(ctx) else None

@hookimpl
def cf_scaffold(ctx):
    if not _mine(ctx):
        return None
    writer = ctx.writer()
    writer.write("toy.txt", "generated\\n")
    return StepResult(summary="scaffolded", outputs=writer.finish())

@hookimpl
def cf_validate(ctx):
    return StepResult(checks=[CheckResult(name="toy-lint", status="passed")]) if _mine(ctx) else None

@hookimpl
def cf_test_gate(ctx):
    if not _mine(ctx):
        return None
    failing = (ctx.project_dir / "FAIL").exists()
    return StepResult(checks=[CheckResult(name="toy-tests", status="failed" if failing else "passed",
                                          failures=["test_toy_reads"] if failing else [])])

@hookimpl
def cf_document(ctx):
    return StepResult(summary="documented") if _mine(ctx) else None

@hookimpl
def cf_deploy(ctx):
    return StepResult(summary="deployed") if _mine(ctx) else None
'''


@pytest.fixture
def toy_plugin(make_dist: MakeDist) -> Path:
    """The ``toy`` plugin installed as distribution ``cf-toy``."""
    return make_dist("cf-toy", {"cf_toy": TOY_PLUGIN}, {"toy": "cf_toy"})
