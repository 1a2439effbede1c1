"""The Lakeflow Connect source interface (see :mod:`.lakeflow_connect`).

Written by Connector Factory for a project that is not a checkout of the Lakeflow community
connectors repository; inside the repository its own package is used instead.
"""

from databricks.labs.community_connector.interface.lakeflow_connect import LakeflowConnect

__all__ = ["LakeflowConnect"]
