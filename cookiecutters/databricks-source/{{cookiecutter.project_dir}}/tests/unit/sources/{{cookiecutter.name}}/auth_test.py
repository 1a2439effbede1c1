"""Checks that the configured credentials are accepted by the {{ cookiecutter.title }} API.

Run ``python -m pytest tests/unit/sources/{{ cookiecutter.name }}/auth_test.py``. It makes one
small request (the first page of the first table) with the options of
``configs/dev_config.json`` (or ``CONNECTOR_TEST_CONFIG_PATH``/``_JSON``); without credentials it
runs against the simulated API.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from databricks.labs.community_connector.sources.{{ cookiecutter.name }}.{{ cookiecutter.name }} import (
    TABLES,
    {{ cookiecutter.class_name }},
)
from tests.unit.sources.test_suite import load_options

HERE = Path(__file__).resolve().parent


def test_credentials_are_accepted() -> None:
    options, _ = load_options(HERE)
    with ExitStack() as stack:
        if options is None:
            from tests.unit.sources.simulator import simulate

            options = stack.enter_context(simulate(HERE))
        connector = {{ cookiecutter.class_name }}({k: str(v) for k, v in options.items()})
        table = TABLES[connector.list_tables()[0]]
        small = dict(table, pagination=dict(table["pagination"], page_size=1))
        records, _ = next(connector._pages(small, dict(table["query"]), max_pages=1))
        assert isinstance(records, list)

