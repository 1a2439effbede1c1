"""Skipping an optional phase (CDC deletes, optimisation) of a project, with the reason.

The skip is recorded in ``<project>/phase_skips.yaml`` (``{phase key: reason}``) and merged
over the profile's ``skip_phases`` when the project's profile is read, so the next scaffold run
marks the phase skipped in the tracker and lists it under "Limitations" in the generated README.
Only optional phases can be skipped: every other phase is a hard checkpoint.

``cf skip`` in the core accepts pipeline steps only; :func:`skip_phase` is what a
``cf skip PHASE --why`` for this target calls once the core routes phase names to plugins.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from connector_factory.errors import InputError

from cf_airbyte_destination.phases import OPTIONAL_KEYS, PHASES

#: The project file holding phase skips recorded after planning.
PHASE_SKIPS_FILE = "phase_skips.yaml"


def resolve_phase(name: str) -> int:
    """The phase number for ``name`` (a key such as ``cdc`` or a number ``0``–``11``).

    Raises:
        InputError: no such phase; the message lists the keys.
    """
    key = name.strip().lower().replace("-", "_")
    for phase in PHASES:
        if key in (phase.key, str(phase.number)):
            return phase.number
    raise InputError(f"unknown phase {name!r}",
                     "use one of: " + ", ".join(f"{p.number} {p.key}" for p in PHASES))


def read_phase_skips(project_dir: Path) -> dict[str, str]:
    """Skips recorded in the project (``{}`` when none).

    Raises:
        InputError: the file is not a mapping of optional phase keys to reasons.
    """
    path = project_dir / PHASE_SKIPS_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}",
                         "fix or delete the file") from exc
    if not isinstance(data, dict) or not all(
            k in OPTIONAL_KEYS and isinstance(v, str) and v.strip() for k, v in data.items()):
        raise InputError(f"{path} must map optional phases ({', '.join(OPTIONAL_KEYS)}) to "
                         "reasons", "fix or delete the file")
    return {str(k): str(v) for k, v in data.items()}


def skip_phase(project_dir: Path, name: str, why: str) -> str:
    """Record optional phase ``name`` as skipped because ``why``; returns the phase key.

    Raises:
        InputError: unknown phase, a phase that is not optional, or an empty reason.
    """
    number = resolve_phase(name)
    phase = PHASES[number]
    if not phase.optional:
        raise InputError(f"phase {number} ({phase.key}) is not optional and cannot be skipped",
                         "only " + " and ".join(f"{k} ({n})" for k, n in OPTIONAL_KEYS.items())
                         + " can be skipped; make its checkpoint pass")
    if not why.strip():
        raise InputError(f"skipping phase {phase.key} needs a reason", 'pass --why "…"')
    skips = read_phase_skips(project_dir)
    skips[phase.key] = " ".join(why.split())
    (project_dir / PHASE_SKIPS_FILE).write_text(yaml.safe_dump(skips, sort_keys=True),
                                                encoding="utf-8")
    return phase.key
