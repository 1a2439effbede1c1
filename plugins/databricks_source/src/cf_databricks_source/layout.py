"""Where a connector's files go, named as in the Lakeflow community connectors repository.

The repository (databrickslabs/lakeflow-community-connectors at commit f9c88869) keeps a
connector in three folders: its package ``src/databricks/labs/community_connector/sources/NAME/``,
its tests ``tests/unit/sources/NAME/`` (test class, auth test, ``configs/dev_table_config.json``)
and its simulator spec ``src/databricks/labs/community_connector/source_simulator/specs/NAME/``
(``endpoints.yaml`` + ``corpus/``). Inside a checkout (``--repo``) only those three are written and
the repository's interface, simulator and suite are used; standalone (a new folder) the parts the
repository would provide are written too, by this project (the template's models of them), so
the folder tests itself the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from cf_databricks_source.simulator_spec import spec_dir


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
    def spec_dir(self) -> str:
        """The simulator spec folder (``endpoints.yaml`` + ``corpus/``)."""
        return spec_dir(self.name)

    @property
    def table_config_file(self) -> str:
        """Per-table options the suite reads, ``configs/dev_table_config.json``."""
        return f"{self.tests_dir}/configs/dev_table_config.json"

    @property
    def own_dirs(self) -> tuple[str, str, str]:
        """The connector's own folders: package, tests, simulator spec."""
        return self.src_dir, self.tests_dir, self.spec_dir

    @property
    def dev_config_file(self) -> str:
        """Live credentials (mode 0600, git-ignored); tests get them as
        ``CONNECTOR_TEST_CONFIG_PATH`` (the repository's suite reads no config file itself)."""
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
        return rel.startswith(tuple(d + "/" for d in self.own_dirs))
