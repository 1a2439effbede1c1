"""Credentials collected inside the pipeline (the create-connector flow's step 2b), not later.

``cf new … --config FILE`` names a JSON object of connection options (``{"token": "…"}``); without
it, the environment variables ``NAME_<OPTION>`` (``PETSTORE_TOKEN`` …, the prefix
``cf credentials`` uses for this target) are read. Whatever is found is written, as
``cf credentials`` writes it (core's ``write_private_json``: mode 0600), to the connector's
``configs/dev_config.json``, which is git-ignored first (inside a checkout whose ``.gitignore``
already ignores it, as the Lakeflow repository's does, nothing is added). Secret values are never
printed nor stored anywhere else.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from connector_factory.credentials import (  # core's value rules, shared with `cf credentials`
    _complete,
    _read_existing,
    _values_from_env,
    _values_from_file,
    ensure_gitignored,
    write_private_json,
)
from connector_factory.errors import InputError
from connector_factory.models import ConnectionForm


def _ignored_by_git(project_dir: Path, rel: str) -> bool:
    proc = subprocess.run(["git", "check-ignore", "-q", "--no-index", rel], cwd=project_dir,
                          capture_output=True, text=True, timeout=60)
    return proc.returncode == 0


def collect_inline(project_dir: Path, form: ConnectionForm, config: str | None) -> str | None:
    """Write the credentials given by ``config`` (a JSON file) or the environment into
    ``form.config_path``; returns a one-line note naming the source (never a value), or
    ``None`` when nothing was given.

    Raises:
        InputError: the file cannot be read, is not a JSON object of the form's options, or a
            required option has no value; the config file cannot be written.
    """
    if config:
        given = _values_from_file(Path(config), form)
        source = config
    else:
        given = _values_from_env(form, os.environ)
        source = f"environment variables {form.env_prefix}*"
        if not given:
            return None
    target = project_dir / form.config_path
    existing = _read_existing(target)
    values = _complete(form, given, existing, source)
    try:
        if not _ignored_by_git(project_dir, form.config_path):
            ensure_gitignored(project_dir, form.config_path)
        write_private_json(target, {**existing, **values})
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename or target}: {exc.strerror or exc}",
                         "check the folder's permissions and free space") from exc
    return (f"credentials from {source} written to {form.config_path} (mode 0600, git-ignored): "
            f"{', '.join(sorted(values))}")
