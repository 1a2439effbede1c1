"""The ``databricks-source`` target: Databricks Lakeflow community source connectors."""

__version__ = "0.1.0"
