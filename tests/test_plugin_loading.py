"""Plugins loaded only when needed: ``cf targets`` reads light target metadata (the entry-point
group ``connector_factory.targets``) without importing any plugin; a project's step loads only
its target's plugin, the plugins that check every target and those without metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from connector_factory.errors import InputError
from connector_factory.models import Target, TargetInput
from connector_factory.plugins import InputInfo, TargetInfo, load_plugins, target_catalog

#: Makes a distribution whose entry points are (group, name, value) triples; returns the
#: unique suffix of its module names.
MakeLight = Callable[..., str]

PLUGIN = '''
from connector_factory import hookimpl
from connector_factory.models import CheckResult, StepResult, Target
from {targets} import TARGETS

@hookimpl
def cf_targets():
    return [Target.model_validate(t) for t in TARGETS]

@hookimpl
def cf_plan(ctx):
    return StepResult(summary="planned by {name}") if ctx.target == "{target}" else None

@hookimpl
def cf_validate(ctx):
    if ctx.target == "{target}" or {every}:
        return StepResult(checks=[CheckResult(name="{name}-check", status="passed")])
    return None
'''

TARGETS = '''
TARGETS = [{{"name": "{target}", "summary": "the {target} target",
            "inputs": [{{"name": "doc", "help": "a doc", "required": True}}],
            "steps": ["plan", "validate"]}}]
CHECKS_EVERY_TARGET = {every}
'''


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``sys.path`` (and ``PYTHONPATH`` for subprocesses) holding fake
    distributions, found by ``importlib.metadata`` as pip-installed ones are."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), *sys.path]))
    return folder


@pytest.fixture
def make_light(site: Path) -> MakeLight:
    def make(name: str, target: str, *, light: bool = True, every: bool = False,
             broken_metadata: bool = False) -> str:
        suffix = uuid.uuid4().hex[:8]
        targets_module, plugin_module = f"cf_{name}_targets_{suffix}", f"cf_{name}_{suffix}"
        fill = {"name": name, "target": target, "every": every, "targets": targets_module}
        (site / f"{targets_module}.py").write_text(
            "raise RuntimeError('metadata bug')\n" if broken_metadata else
            textwrap.dedent(TARGETS.format(**fill)), encoding="utf-8")
        plugin = PLUGIN.format(**fill)
        if broken_metadata:  # the plugin must not need its broken metadata module
            plugin = plugin.replace(f"from {targets_module} import TARGETS",
                                    textwrap.dedent(TARGETS.format(**fill)))
        (site / f"{plugin_module}.py").write_text(plugin, encoding="utf-8")
        info = site / f"cf_{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: cf-{name}\nVersion: 1.0\n")
        lines = f"[connector_factory]\n{name} = {plugin_module}\n"
        if light:
            lines += f"[connector_factory.targets]\n{name} = {targets_module}\n"
        (info / "entry_points.txt").write_text(lines, encoding="utf-8")
        return suffix

    return make


def _run_cf_in_subprocess(*args: str) -> tuple[str, list[str]]:
    """``cf ARGS`` in a fresh interpreter: its output and the modules it imported."""
    code = textwrap.dedent(f"""
        import json, sys
        from connector_factory.cli import app
        try:
            app({list(args)!r})
        except SystemExit:
            pass
        print("MODULES=" + json.dumps(sorted(sys.modules)))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200"}, check=False)
    out, _, modules = done.stdout.rpartition("MODULES=")
    assert modules, done.stderr
    return out + done.stderr, json.loads(modules)


def test_cf_targets_imports_no_plugin(make_light: MakeLight) -> None:
    a = make_light("alpha", "alpha-t")
    b = make_light("beta", "beta-t", every=True)
    output, modules = _run_cf_in_subprocess("targets")
    assert "alpha-t" in output and "beta-t" in output and "--doc" in output
    assert f"cf_alpha_targets_{a}" in modules and f"cf_beta_targets_{b}" in modules
    assert f"cf_alpha_{a}" not in modules and f"cf_beta_{b}" not in modules
    assert "connector_factory.models" not in modules and "connector_factory.hookspecs" not in modules


def test_a_plugin_without_metadata_is_loaded_for_its_targets(make_light: MakeLight) -> None:
    old = make_light("old", "old-t", light=False)
    make_light("alpha", "alpha-t")
    catalog = target_catalog()
    assert {"old-t", "alpha-t"} <= set(catalog.targets)
    assert catalog.targets["old-t"] == TargetInfo(
        name="old-t", summary="the old-t target", plugin="old",
        inputs=(InputInfo(name="doc", help="a doc", required=True),))
    _, modules = _run_cf_in_subprocess("targets")
    assert f"cf_old_{old}" in modules


def test_broken_metadata_falls_back_to_the_plugin(make_light: MakeLight) -> None:
    make_light("shaky", "shaky-t", broken_metadata=True)
    catalog = target_catalog()
    assert catalog.targets["shaky-t"].plugin == "shaky" and not catalog.broken


def test_a_step_loads_its_targets_plugin_and_those_that_check_every_target(
        make_light: MakeLight) -> None:
    make_light("alpha", "alpha-t")
    make_light("beta", "beta-t")
    make_light("checker", "checker-t", every=True)
    make_light("old", "old-t", light=False)
    mine = {"alpha", "beta", "checker", "old"}
    plugins = load_plugins(target="alpha-t")
    assert {p.name for p in plugins.loaded} & mine == {"alpha", "checker", "old"}
    assert set(plugins.not_loaded) & mine == {"beta"}
    assert plugins.target("alpha-t").plugin == "alpha"
    assert {p.name for p in load_plugins().loaded} & mine == mine


def test_an_unknown_target_loads_everything_and_lists_every_target(
        make_light: MakeLight) -> None:
    make_light("alpha", "alpha-t")
    make_light("beta", "beta-t")
    with pytest.raises(InputError) as caught:
        load_plugins(target="gamma-t").target("gamma-t")
    assert "alpha-t" in caught.value.one_line() and "beta-t" in caught.value.one_line()


def test_a_project_run_loads_only_what_it_needs(make_light: MakeLight, tmp_path: Path) -> None:
    a = make_light("alpha", "alpha-t")
    b = make_light("beta", "beta-t")
    c = make_light("checker", "checker-t", every=True)
    output, modules = _run_cf_in_subprocess("new", "--target", "alpha-t", "demo", "--doc",
                                            str(tmp_path), "--out", str(tmp_path), "--yes")
    assert "planned by alpha" in output, output
    assert f"cf_alpha_{a}" in modules and f"cf_checker_{c}" in modules
    assert f"cf_beta_{b}" not in modules
    state = json.loads((tmp_path / "demo" / ".cf" / "state.json").read_text(encoding="utf-8"))
    checks = {c["name"] for c in state["steps"]["validate"]["checks"]}
    assert checks == {"alpha-check", "checker-check"}
    _, modules = _run_cf_in_subprocess("validate", "--project", str(tmp_path / "demo"), "--yes")
    assert f"cf_alpha_{a}" in modules and f"cf_beta_{b}" not in modules


def test_light_inputs_show_the_same_defaults_as_target_inputs() -> None:
    declared = TargetInput.model_fields
    for name in InputInfo._fields:
        assert name in declared, name
        if not declared[name].is_required():
            assert declared[name].default == InputInfo._field_defaults[name], name
    target = Target(name="x", summary="s", inputs=(TargetInput(name="doc", help="h"),))
    assert TargetInfo.from_data("p", target.model_dump()) == TargetInfo.from_data(
        "p", {"name": "x", "summary": "s", "inputs": [{"name": "doc", "help": "h"}]})
