"""Finding and loading plugins through the entry-point group ``connector_factory``.

Built-in plugins are registered through the same group as third-party ones. A plugin that fails
to import is kept as a :class:`BrokenPlugin` with its error, reported by ``cf plugins``, and does
not stop commands that do not need it.

**Loaded only when needed.** A plugin may also describe its targets in light metadata: an entry
of the same name in the group ``connector_factory.targets`` naming a module that imports nothing
heavy and holds

- ``TARGETS``: a list of mappings in the shape of :class:`~connector_factory.models.Target`
  (``name``, ``summary``, ``inputs`` as mappings in the shape of
  :class:`~connector_factory.models.TargetInput`, ``steps`` as step names), which the plugin's
  own ``cf_targets`` returns validated;
- optionally ``CHECKS_EVERY_TARGET = True`` when its collecting hooks (``cf_validate``,
  ``cf_test_gate``) add checks to projects of other targets.

``cf targets`` reads that metadata (:func:`target_catalog`) without importing any plugin, and a
step of a project loads (:func:`load_plugins` with ``target=``) only the plugin of its target,
the plugins that check every target, and every plugin without metadata (it may do either).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import pluggy

from connector_factory import PROJECT_NAME
from connector_factory.entry_points import Entry, entries
from connector_factory.errors import CfError, InputError, StepFailed

if TYPE_CHECKING:  # pydantic stays off the import path of `cf targets`
    from connector_factory.models import Target

#: The entry-point group plugins register under.
ENTRY_POINT_GROUP = PROJECT_NAME
#: The entry-point group of light target metadata (same entry names as the plugins').
TARGETS_GROUP = f"{PROJECT_NAME}.targets"


# The records below are NamedTuples, not dataclasses: `cf targets` imports this module, and
# making a dataclass costs 1.1 ms against 0.2 ms (measured on the 2-core CI machine).


class InputInfo(NamedTuple):
    """A target input as light metadata describes it; the fields and defaults of
    :class:`~connector_factory.models.TargetInput` that ``cf targets`` shows."""

    name: str
    help: str = ""
    required: bool = False
    type: str = "str"
    secret: bool = False
    project_folder: bool = False


class TargetInfo(NamedTuple):
    """A target as ``cf targets`` shows it, read without importing its plugin (or, for a plugin
    without light metadata, from its ``cf_targets``)."""

    name: str
    summary: str
    plugin: str
    inputs: tuple[InputInfo, ...] = ()

    @classmethod
    def from_data(cls, plugin: str, data: Any) -> TargetInfo:
        """From a mapping of light metadata (or a ``Target``'s ``model_dump()``); keys this
        class does not show are ignored.

        Raises:
            TypeError, KeyError, AttributeError: ``data`` is not in the shape of a ``Target``.
        """
        names = set(InputInfo._fields)
        inputs = tuple(InputInfo(**{k: v for k, v in dict(i).items() if k in names})
                       for i in data.get("inputs") or ())
        return cls(name=str(data["name"]), summary=str(data.get("summary", "")), plugin=plugin,
                   inputs=inputs)


class TargetCatalog:
    """Every installed target (light) by name in ``targets``, and in ``broken`` the plugins
    that failed to describe theirs."""

    def __init__(self) -> None:
        self.targets: dict[str, TargetInfo] = {}
        self.broken: list[BrokenPlugin] = []


class PluginInfo(NamedTuple):
    """A loaded plugin: entry-point name, distribution and version, hook impls it provides."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


class BrokenPlugin(NamedTuple):
    """A plugin whose entry point failed to load, with the error as one line."""

    name: str
    distribution: str
    version: str
    error: str


class PluginSet:
    """The plugin manager (``manager``) with every plugin that loaded (``loaded``), those that
    did not (``broken``) and the entry names of installed plugins the command did not need
    (``not_loaded``: not imported)."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self.loaded: list[PluginInfo] = []
        self.broken: list[BrokenPlugin] = []
        self.not_loaded: list[str] = []

    def targets(self) -> dict[str, Target]:
        """All targets by name, each stamped with the plugin that contributed it.

        Raises:
            StepFailed: a plugin's ``cf_targets`` raised or returned something that is not a
                list of ``Target``, or two plugins claim the same target name.
        """
        from connector_factory.models import Target

        found: dict[str, Target] = {}
        for impl in self.manager.hook.cf_targets.get_hookimpls():
            plugin = impl.plugin_name
            try:
                result = impl.function()
            except Exception as exc:  # a plugin's bug must not become a traceback
                raise StepFailed(
                    f"plugin {plugin!r} raised {type(exc).__name__} in cf_targets: {exc}",
                    f"fix or uninstall the plugin {plugin!r}",
                ) from exc
            if not isinstance(result, list) or not all(isinstance(t, Target) for t in result):
                raise StepFailed(
                    f"plugin {plugin!r} returned {type(result).__name__} from cf_targets",
                    "cf_targets must return a list of connector_factory.models.Target",
                )
            for target in result:
                if target.name in found:
                    raise StepFailed(
                        f"target {target.name!r} is defined by both "
                        f"{found[target.name].plugin!r} and {plugin!r}",
                        "uninstall one of the two plugins",
                    )
                found[target.name] = target.model_copy(update={"plugin": plugin})
        return found

    def target(self, name: str) -> Target:
        """The target called ``name``.

        Raises:
            InputError: no plugin provides it; the message lists the known targets and any
                plugin that failed to load (it may be the one that provides it).
        """
        targets = self.targets()
        if name in targets:
            return targets[name]
        known = ", ".join(sorted(targets)) or "none"
        broken = "".join(f"; plugin {b.name!r} failed to load: {b.error}" for b in self.broken)
        raise InputError(
            f"unknown target {name!r} (known: {known}){broken}",
            "pick a target from `cf targets`, or install the plugin that provides it",
        )


def new_manager() -> pluggy.PluginManager:
    """A plugin manager with the hook specs added and no plugin registered."""
    from connector_factory import hookspecs

    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _entry_points() -> tuple[list[Entry], list[Entry]]:
    """``(plugins, light metadata)``: the entry points of both groups, sorted by name (read once
    per command, through the cache of :mod:`connector_factory.entry_points`)."""
    found = entries(ENTRY_POINT_GROUP, TARGETS_GROUP)
    return found[ENTRY_POINT_GROUP], found[TARGETS_GROUP]


def _light_metadata(light_eps: list[Entry]) -> dict[str, ModuleType | BaseException]:
    """Each plugin's light metadata module by entry-point name (or the error loading it)."""
    found: dict[str, ModuleType | BaseException] = {}
    for ep in light_eps:
        try:
            module = ep.load()
            if not isinstance(module, ModuleType) or not isinstance(
                    getattr(module, "TARGETS", None), list):
                raise TypeError(f"{ep.value} is not a module with a TARGETS list")
            found[ep.name] = module
        except Exception as exc:  # a plugin's bug is reported, never a traceback
            found[ep.name] = exc
    return found


def target_catalog() -> TargetCatalog:
    """Every installed target, from light metadata where a plugin has it (no plugin module is
    imported), else by loading that plugin and calling its ``cf_targets``.

    Never raises for a plugin's fault: it is listed in ``broken``.
    """
    catalog = TargetCatalog()
    plugin_eps, light_eps = _entry_points()
    light = _light_metadata(light_eps)
    heavy: list[str] = []
    for ep in plugin_eps:
        module = light.get(ep.name)
        if isinstance(module, ModuleType):
            try:
                infos = [TargetInfo.from_data(ep.name, data) for data in module.TARGETS]
            except Exception:  # a malformed description: fall back to the plugin itself
                heavy.append(ep.name)
                continue
            catalog.targets.update((info.name, info) for info in infos)
        else:
            heavy.append(ep.name)
    if heavy:
        plugins = load_plugins(only=set(heavy), _eps=(plugin_eps, light_eps))
        catalog.broken += plugins.broken
        for target in plugins.targets().values():
            catalog.targets[target.name] = TargetInfo.from_data(target.plugin,
                                                                target.model_dump())
    return catalog


def _needed(target: str | None, plugin_eps: list[Entry],
            light_eps: list[Entry]) -> set[str] | None:
    """The plugin entry names a project of ``target`` needs, or ``None`` for all of them: the
    plugin whose light metadata names the target, those that check every target, and those
    without (readable) metadata. ``None`` when no metadata names the target (its plugin may be
    any, or none: the error then lists every target)."""
    if target is None:
        return None
    light = _light_metadata(light_eps)
    names = {ep.name for ep in plugin_eps}
    needed: set[str] = set()
    owner = False
    for name in names:
        module = light.get(name)
        if not isinstance(module, ModuleType):
            needed.add(name)
            continue
        try:
            mine = any(data.get("name") == target for data in module.TARGETS)
        except Exception:  # a malformed description: load the plugin to be sure
            needed.add(name)
            continue
        owner = owner or mine
        if mine or getattr(module, "CHECKS_EVERY_TARGET", False):
            needed.add(name)
    return needed if owner else None


def project_target(project_dir: Path) -> str | None:
    """The target recorded in ``project_dir``'s state, read without validating the state
    (the pipeline validates it); ``None`` when there is no readable state."""
    from connector_factory.state import StateStore

    try:
        data = json.loads(StateStore.at(project_dir).path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    target = data.get("target") if isinstance(data, dict) else None
    return target if isinstance(target, str) else None


def load_plugins(extra: dict[str, Any] | None = None, target: str | None = None,
                 only: set[str] | None = None,
                 _eps: tuple[list[Entry], list[Entry]] | None = None) -> PluginSet:
    """Load the plugins of the entry-point group, plus ``extra`` objects (name -> plugin).

    With ``target``, only those a project of that target needs (see the module doc); the others
    are listed in ``PluginSet.not_loaded``. With ``only``, just the plugins of those entry names.
    Without either, every plugin.

    Returns a :class:`PluginSet`; never raises for a plugin that fails to import or register —
    it is listed in ``broken`` with its error.
    """
    manager = new_manager()
    plugins = PluginSet(manager)
    plugin_eps, light_eps = _eps or _entry_points()
    wanted = only if only is not None else _needed(target, plugin_eps, light_eps)
    for ep in plugin_eps:
        if wanted is not None and ep.name not in wanted:
            plugins.not_loaded.append(ep.name)
            continue
        dist_name, version = ep.distribution, ep.version
        try:
            module = ep.load()
            manager.register(module, name=ep.name)
        except Exception as exc:  # any import-time error of a plugin is reported, not raised
            plugins.broken.append(BrokenPlugin(ep.name, dist_name, version, _one_line(exc)))
            continue
        plugins.loaded.append(PluginInfo(ep.name, dist_name, version, _hooks_of(manager, ep.name)))
    for name, obj in (extra or {}).items():
        manager.register(obj, name=name)
        plugins.loaded.append(PluginInfo(name, "(in process)", "-", _hooks_of(manager, name)))
    return plugins


def _hooks_of(manager: pluggy.PluginManager, name: str) -> tuple[str, ...]:
    plugin = manager.get_plugin(name)
    callers = manager.get_hookcallers(plugin) or []
    return tuple(sorted(caller.name for caller in callers))


def call_step_hook(manager: pluggy.PluginManager, hook_name: str, first_result: bool,
                   **kwargs: Any) -> list[tuple[str, Any]]:
    """Call a step hook impl by impl, in pluggy's order, keeping who returned what.

    Returns ``(plugin name, result)`` pairs for every non-``None`` result; with
    ``first_result`` it stops at the first. Hook wrappers are not supported on step hooks.

    Raises:
        StepFailed: an impl raised something other than a :class:`CfError`; the message names
            the plugin, the hook and the error.
        CfError: re-raised as is when a plugin raises one (it already names problem and fix).
    """
    caller = getattr(manager.hook, hook_name)
    results: list[tuple[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last registered first
        args = {name: kwargs[name] for name in impl.argnames}
        try:
            result = impl.function(**args)
        except CfError:
            raise
        except Exception as exc:  # a plugin's bug must become one line, not a traceback
            raise StepFailed(
                f"plugin {impl.plugin_name!r} raised {type(exc).__name__} in {hook_name}: "
                f"{exc}",
                f"fix or report the plugin {impl.plugin_name!r}; the project state is kept",
            ) from exc
        if result is not None:
            results.append((impl.plugin_name, result))
            if first_result:
                break
    return results
