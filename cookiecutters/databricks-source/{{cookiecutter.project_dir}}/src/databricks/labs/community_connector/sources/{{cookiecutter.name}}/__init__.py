"""{{ cookiecutter.title }} source connector (Lakeflow Connect)."""

from databricks.labs.community_connector.sources.{{ cookiecutter.name }}.{{ cookiecutter.name }} import (
    {{ cookiecutter.class_name }},
)

__all__ = ["{{ cookiecutter.class_name }}"]
