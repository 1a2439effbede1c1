"""Test modes, read from ``CONNECTOR_TEST_MODE`` (default ``live``; ``record`` means ``live``)."""

from __future__ import annotations

import os

MODE_ENV = "CONNECTOR_TEST_MODE"
MODE_LIVE = "live"
MODE_RECORD = "record"
MODE_REPLAY = "replay"
MODE_SIMULATE = "simulate"
MODES = (MODE_LIVE, MODE_RECORD, MODE_REPLAY, MODE_SIMULATE)


def get_mode() -> str:
    """The mode ``CONNECTOR_TEST_MODE`` names (``live`` when unset). Raises ``ValueError`` for
    any other value."""
    mode = os.environ.get(MODE_ENV, MODE_LIVE).strip().lower() or MODE_LIVE
    if mode not in MODES:
        raise ValueError(f"{MODE_ENV}={mode!r} is not one of {', '.join(MODES)}")
    return mode
