"""The installed entry points of cf's groups, read once per change of the installation.

``importlib.metadata`` costs a ``cf`` process about 35 ms (measured on the 2-core CI machine:
23 ms to import it — it imports ``email``, ``zipfile``, ``csv`` and ``importlib.resources`` —
and 9 ms to scan every installed distribution's ``entry_points.txt``), a fifth of ``cf --help``.
What it finds changes only when a distribution is installed, removed or edited, so the entry
points of the asked groups are kept in a cache file and reused while the **fingerprint** of the
installation is unchanged: the interpreter, ``sys.path``, and the size, modification time and
inode of every ``*.dist-info``/``*.egg-info`` ``entry_points.txt`` (and of every zip file) on
``sys.path`` — one ``scandir`` per folder and one ``stat`` per distribution, about 2 ms.

The cache lives in ``$XDG_CACHE_HOME/connector-factory/`` (default ``~/.cache``); a cache that
cannot be read or written is ignored (the scan runs). Distributions that only a custom
``sys.meta_path`` finder reports, without a metadata folder on ``sys.path``, are not
fingerprinted: after changing one of those, delete the cache folder.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from importlib import import_module
from pathlib import Path
from typing import Any, NamedTuple

#: Bumped when the cache file's layout changes.
_LAYOUT = 1


class Entry(NamedTuple):
    """One entry point: ``name = value`` in ``group`` of the distribution ``distribution``
    (its ``Name``) at ``version``; ``value`` is ``module`` or ``module:attribute.path``."""

    group: str
    name: str
    value: str
    distribution: str = "?"
    version: str = "?"

    def load(self) -> Any:
        """The object ``value`` names (as ``importlib.metadata.EntryPoint.load``).

        Raises:
            Exception: whatever importing the module raises; ``AttributeError`` for a missing
                attribute.
        """
        module, _, attribute = self.value.partition(":")
        found: Any = import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found


def cache_dir() -> Path:
    """Where the cache files are: ``$XDG_CACHE_HOME/connector-factory`` or
    ``~/.cache/connector-factory``."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "connector-factory"


def fingerprint() -> str:
    """What ``importlib.metadata`` would read for entry points, as one string (see the module
    doc): compared whole, so no digest module is imported (``hashlib`` costs 10 ms)."""
    parts = [f"{_LAYOUT} {sys.executable} {sys.version}"]
    for folder in sys.path:
        parts.append(f"path {folder}")
        try:
            with os.scandir(folder or ".") as found:
                names = sorted(e.name for e in found
                               if e.name.endswith((".dist-info", ".egg-info")))
        except NotADirectoryError:  # a zip file on sys.path
            names = [""]
        except OSError:  # missing or unreadable: nothing found there
            continue
        for name in names:
            path = os.path.join(folder or ".", name, "entry_points.txt") if name else folder
            try:
                info = os.stat(path)
            except OSError:
                parts.append(f"{name} -")
                continue
            parts.append(f"{name} {info.st_size} {info.st_mtime_ns} {info.st_ino}")
    return "\n".join(parts)


def _scan(groups: tuple[str, ...]) -> dict[str, list[Entry]]:
    from importlib.metadata import entry_points

    found = entry_points()  # one scan of the installed distributions for every group
    result: dict[str, list[Entry]] = {}
    for group in groups:
        entries = []
        for ep in found.select(group=group):
            dist = ep.dist
            name = (dist.metadata["Name"] or "?") if dist is not None else "?"
            version = (dist.version or "?") if dist is not None else "?"
            entries.append(Entry(group, ep.name, ep.value, name, version))
        result[group] = sorted(entries, key=lambda e: e.name)
    return result


def entries(*groups: str) -> dict[str, list[Entry]]:
    """The entry points of each of ``groups``, sorted by name: from the cache when the
    installation's fingerprint matches, else from ``importlib.metadata`` (then cached).

    Never raises for the cache: one that cannot be read or written is ignored.
    """
    key = fingerprint()
    where = f"{sys.executable}\0{sys.path}\0{groups}".encode()
    path = cache_dir() / f"entry-points-{zlib.crc32(where):08x}.json"  # one file per environment
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("fingerprint") == key:
            return {group: [Entry(**e) for e in data["groups"][group]] for group in groups}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    result = _scan(groups)
    payload = {"fingerprint": key,
               "groups": {g: [e._asdict() for e in found] for g, found in result.items()}}
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".entry-points-", dir=path.parent)
    except OSError:
        return result
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
    return result

