"""Where a connector's files go, named as in the Lakeflow community connectors repository.

Standalone (a new folder) the whole layout is written, including a Lakeflow interface module and
contract suite so the folder tests itself; inside a checkout of the repository (``--repo``) only
the connector's own folders are written and the repository's interface and suite are used.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """Relative paths of one connector's files inside the project folder."""

    name: str
    in_repo: bool = False
    root_prefix: str = ""

    @property
    def src_dir(self) -> str:
        """The connector's package folder."""
        return f"src/databricks/labs/community_connector/sources/{self.name}"

    @property
    def tests_dir(self) -> str:
        """The connector's test folder."""
        return f"tests/unit/sources/{self.name}"

    @property
    def module_file(self) -> str:
        """The implementation, ``NAME.py``."""
        return f"{self.src_dir}/{self.name}.py"

    @property
    def api_doc_file(self) -> str:
        """The research result, ``NAME_api_doc.md``."""
        return f"{self.src_dir}/{self.name}_api_doc.md"

    @property
    def spec_file(self) -> str:
        """``connector_spec.yaml``."""
        return f"{self.src_dir}/connector_spec.yaml"

    @property
    def readme_file(self) -> str:
        """The connector's README."""
        return f"{self.src_dir}/README.md"

    @property
    def test_file(self) -> str:
        """The contract test module."""
        return f"{self.tests_dir}/test_{self.name}_lakeflow_connect.py"

    @property
    def auth_test_file(self) -> str:
        """The auth test."""
        return f"{self.tests_dir}/auth_test.py"

    @property
    def dev_config_file(self) -> str:
        """Live credentials (mode 0600, git-ignored)."""
        return f"{self.tests_dir}/configs/dev_config.json"

    @property
    def module_name(self) -> str:
        """The import path of the implementation module."""
        return f"databricks.labs.community_connector.sources.{self.name}.{self.name}"

    def include(self, rel: str) -> bool:
        """Whether a rendered template file belongs in this layout (``--repo`` writes only the
        connector's own folders)."""
        if not self.in_repo:
            return True
        return rel.startswith((self.src_dir + "/", self.tests_dir + "/"))
