"""Lakeflow contract tests for the {{ cookiecutter.title }} connector.

Live: put options in ``configs/dev_config.json`` (``cf credentials`` writes it) or point
``CONNECTOR_TEST_CONFIG_PATH`` at a JSON file. Without credentials the suite runs in simulate
mode from ``simulate/endpoints.yaml`` and the sample records beside it.
"""

from databricks.labs.community_connector.sources.{{ cookiecutter.name }}.{{ cookiecutter.name }} import (
    {{ cookiecutter.class_name }},
)
from tests.unit.sources.test_suite import LakeflowConnectTests


class Test{{ cookiecutter.class_name }}(LakeflowConnectTests):
    connector_class = {{ cookiecutter.class_name }}
