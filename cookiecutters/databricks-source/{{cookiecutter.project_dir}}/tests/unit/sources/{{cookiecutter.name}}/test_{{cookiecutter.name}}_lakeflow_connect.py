"""Lakeflow contract tests for the {{ cookiecutter.title }} connector.

Default (no environment variables): simulate mode, answered from
``src/databricks/labs/community_connector/source_simulator/specs/{{ cookiecutter.name }}/``
(``endpoints.yaml`` + ``corpus/``) with the stand-in ``replay_config`` below. Live:
``CONNECTOR_TEST_MODE=live CONNECTOR_TEST_CONFIG_PATH=<credentials JSON>``.
Per-table options are in ``configs/dev_table_config.json``.
"""

from databricks.labs.community_connector.sources.{{ cookiecutter.name }}.{{ cookiecutter.name }} import (
    {{ cookiecutter.class_name }},
)
from tests.unit.sources.test_suite import LakeflowConnectTests


class Test{{ cookiecutter.class_name }}(LakeflowConnectTests):
    connector_class = {{ cookiecutter.class_name }}
    simulator_source = "{{ cookiecutter.name }}"
    # Stand-in credentials for simulate mode: the simulator does not check them.
    replay_config = {{ cookiecutter._replay_config_literal }}
{{ cookiecutter._test_class_extras }}
