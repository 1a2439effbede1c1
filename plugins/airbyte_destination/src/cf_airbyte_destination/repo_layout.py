"""``--repo`` mode: where the connector goes inside an Airbyte checkout, and what is refused.

The connector is written to ``airbyte-integrations/connectors/destination-NAME/`` of the
checkout (the only place the monorepo's ``airbyte-bulk-connector`` Gradle plugin and the
``destination-*`` integration-test source sets exist). A name whose folder already exists there
— a real connector, or another project — is refused, and so is a ``dockerRepository`` or
``githubIssueLabel`` another connector's ``metadata.yaml`` already uses, so the generated
``metadata.yaml`` is fresh in that checkout. A folder this project generated itself (its
``metadata.yaml`` carries this project's ``definitionId``, or it holds only the profile its
plan wrote) is not a conflict. Several projects may share one checkout (the core keeps a further
project's state in ``.cf/projects/NAME``); each keeps its profile in its connector folder.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from connector_factory.errors import InputError

#: Where connectors live in an Airbyte checkout.
CONNECTORS_DIR = "airbyte-integrations/connectors"


def definition_id(name: str) -> str:
    """The connector's ``definitionId``: a UUID derived from ``name`` (stable across runs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cf:airbyte-destination:{name}"))


def check_repo_target(repo: Path, slug: str, name: str) -> Path:
    """The folder the connector ``slug`` goes to in checkout ``repo``.

    Raises:
        InputError: ``repo`` has no ``airbyte-integrations/connectors``; the folder exists and
            was not generated for ``name``; or another connector's ``metadata.yaml`` uses the
            same ``dockerRepository``/``githubIssueLabel``.
    """
    connectors = repo / CONNECTORS_DIR
    if not connectors.is_dir():
        raise InputError(f"{repo} is not an Airbyte checkout (no {CONNECTORS_DIR}/)",
                         "pass --repo the root of an airbytehq/airbyte clone")
    folder = connectors / slug
    ours = f"definitionId: {definition_id(name)}"
    if folder.exists():
        metadata = folder / "metadata.yaml"
        if metadata.is_file() and ours in metadata.read_text(encoding="utf-8"):
            return folder
        if not metadata.exists() and (folder / "destination_profile.yaml").is_file():
            return folder  # planned by this project, not scaffolded yet
        raise InputError(f"{CONNECTORS_DIR}/{slug} already exists in {repo}: that connector name "
                         "is taken", "pick another NAME, e.g. "
                         f"`cf new --target airbyte-destination {name}_cf --repo {repo} …`")
    for other in sorted(connectors.glob("*/metadata.yaml")):
        text = other.read_text(encoding="utf-8")
        for key, value in (("dockerRepository", f"airbyte/{slug}"), ("githubIssueLabel", slug)):
            if any(line.strip() == f"{key}: {value}" for line in text.splitlines()):
                raise InputError(f"{other.relative_to(repo)} already uses {key}: {value}",
                                 f"pick another NAME so {key} is fresh in this checkout")
    return folder

