"""`connector_factory.testing.inputs.real_inputs`: where fetched inputs are, and a clear miss."""

from __future__ import annotations

from pathlib import Path

import pytest
from connector_factory.testing.inputs import InputsMissing, real_inputs


def test_the_repo_cache_is_used_and_checked(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CF_INPUTS_DIR", raising=False)
    (tmp_path / ".cache" / "inputs" / "github").mkdir(parents=True)
    (tmp_path / ".cache" / "inputs" / "github" / "spec.json").write_text("{}")
    assert real_inputs(tmp_path, "github/spec.json") == tmp_path / ".cache" / "inputs"
    with pytest.raises(InputsMissing, match=r"node/tsc is missing .*bash \.ci/fetch-inputs"):
        real_inputs(tmp_path, "github/spec.json", "node/tsc")


def test_the_environment_overrides_the_repo(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_INPUTS_DIR", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    assert real_inputs(tmp_path / "repo") == tmp_path / "elsewhere"
