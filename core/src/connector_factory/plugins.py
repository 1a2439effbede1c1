"""Finding and loading plugins through the entry-point group ``connector_factory``.

Built-in plugins are registered through the same group as third-party ones. A plugin that fails
to import is kept as a :class:`BrokenPlugin` with its error, reported by ``cf plugins``, and does
not stop commands that do not need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from connector_factory import PROJECT_NAME, hookspecs
from connector_factory.errors import CfError, InputError, StepFailed
from connector_factory.models import Target

#: The entry-point group plugins register under.
ENTRY_POINT_GROUP = PROJECT_NAME


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: entry-point name, distribution and version, hook impls it provides."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin whose entry point failed to load, with the error as one line."""

    name: str
    distribution: str
    version: str
    error: str


@dataclass
class PluginSet:
    """The plugin manager with every plugin that loaded, and those that did not."""

    manager: pluggy.PluginManager
    loaded: list[PluginInfo] = field(default_factory=list)
    broken: list[BrokenPlugin] = field(default_factory=list)

    def targets(self) -> dict[str, Target]:
        """All targets by name, each stamped with the plugin that contributed it.

        Raises:
            StepFailed: a plugin's ``cf_targets`` raised or returned something that is not a
                list of ``Target``, or two plugins claim the same target name.
        """
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


def _dist_of(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return ("?", "?")
    return (dist.metadata["Name"] or "?", dist.version or "?")


def new_manager() -> pluggy.PluginManager:
    """A plugin manager with the hook specs added and no plugin registered."""
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def load_plugins(extra: dict[str, Any] | None = None) -> PluginSet:
    """Load every plugin of the entry-point group, plus ``extra`` objects (name -> plugin).

    Returns a :class:`PluginSet`; never raises for a plugin that fails to import or register —
    it is listed in ``broken`` with its error.
    """
    manager = new_manager()
    plugins = PluginSet(manager)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist_name, version = _dist_of(ep)
        try:
            module = ep.load()
            manager.register(module, name=ep.name)
        except Exception as exc:  # any import-time error of a plugin is reported, not raised
            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            plugins.broken.append(BrokenPlugin(ep.name, dist_name, version, message))
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
