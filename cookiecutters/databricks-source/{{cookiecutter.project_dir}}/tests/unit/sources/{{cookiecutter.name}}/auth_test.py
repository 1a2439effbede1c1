"""Checks that the {{ cookiecutter.title }} API accepts the configured credentials.

Live: ``CONNECTOR_TEST_CONFIG_PATH=<credentials JSON> python -m pytest
tests/unit/sources/{{ cookiecutter.name }}/auth_test.py`` (or ``CONNECTOR_TEST_CONFIG_JSON``)
makes one small request (the first page of the first table whose path needs no parameter) and
fails on 401/403. Without
credentials it makes the same request against the simulator spec in
``source_simulator/specs/{{ cookiecutter.name }}/``, with the test class's stand-in
``replay_config``, so the request itself is still exercised.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from databricks.labs.community_connector import source_simulator
from databricks.labs.community_connector.source_simulator import MODE_SIMULATE, Simulator
from databricks.labs.community_connector.sources.{{ cookiecutter.name }}.{{ cookiecutter.name }} import (
    TABLES,
    {{ cookiecutter.class_name }},
)
# the module, not the class: a test class imported here would be collected a second time
from tests.unit.sources.{{ cookiecutter.name }} import test_{{ cookiecutter.name }}_lakeflow_connect as suite
from tests.unit.sources.test_utils import load_config

SPECS = Path(source_simulator.__file__).parent / "specs" / "{{ cookiecutter.name }}"


def _live() -> bool:
    return any(os.environ.get(v, "").strip()
               for v in ("CONNECTOR_TEST_CONFIG_JSON", "CONNECTOR_TEST_CONFIG_PATH"))


def test_credentials_are_accepted() -> None:
    with ExitStack() as stack:
        if _live():
            options = load_config()
        else:
            stack.enter_context(Simulator(mode=MODE_SIMULATE, spec_path=SPECS / "endpoints.yaml",
                                          corpus_dir=SPECS / "corpus"))
            options = dict(suite.Test{{ cookiecutter.class_name }}.replay_config)
        connector = {{ cookiecutter.class_name }}({k: str(v) for k, v in options.items()})
        # the first table whose path needs no parameter (else the first table)
        names = connector.list_tables()
        table = TABLES[next((n for n in names if "{" not in TABLES[n]["path"]), names[0])]
        small = dict(table, pagination=dict(table["pagination"], page_size=1))
        records, _ = next(connector._pages(small, dict(table["query"]), max_pages=1))
        assert isinstance(records, list)
