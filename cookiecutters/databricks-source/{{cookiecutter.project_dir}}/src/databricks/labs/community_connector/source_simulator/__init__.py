"""Stand in for a source's HTTP API in tests: serve requests from an endpoint spec and a corpus.

Written by Connector Factory for a project that is not a checkout of the Lakeflow community
connectors repository, modelling that repository's ``source_simulator`` package (commit
f9c88869): the same spec location (``specs/<source>/endpoints.yaml`` + ``corpus/*.json``), the
same spec format, the same modes chosen by ``CONNECTOR_TEST_MODE``, and the same
``Simulator(mode=…, spec_path=…, corpus_dir=…)`` entry point. What it leaves out: cassettes
(``replay`` mode and the recording that the repository's ``live`` mode does) and the live-vs-spec
validation report; ``live`` here passes requests through to the real API untouched. Inside the
repository its own package is used instead.
"""

from databricks.labs.community_connector.source_simulator.modes import (
    MODE_ENV,
    MODE_LIVE,
    MODE_RECORD,
    MODE_REPLAY,
    MODE_SIMULATE,
    get_mode,
)
from databricks.labs.community_connector.source_simulator.simulator import (
    Simulator,
    UnknownEndpoint,
)

__all__ = ["MODE_ENV", "MODE_LIVE", "MODE_RECORD", "MODE_REPLAY", "MODE_SIMULATE", "Simulator",
           "UnknownEndpoint", "get_mode"]
