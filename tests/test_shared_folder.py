"""One folder (a checkout) holding several projects of one target, each with its own state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from connector_factory.errors import InputError
from connector_factory.models import Target
from connector_factory.pipeline import Pipeline
from connector_factory.plugins import load_plugins
from connector_factory.reporter import RecordingReporter
from connector_factory.state import StateStore, locate


def _pipeline(path: Path) -> Pipeline:
    return Pipeline(project_dir=path, plugins=load_plugins(), reporter=RecordingReporter())


def test_a_second_name_is_a_further_project_with_its_own_state(tmp_path: Path) -> None:
    toy = Target(name="toy", summary="t")
    first = _pipeline(tmp_path)
    first.create("alpha", toy, {})
    assert first.address == tmp_path
    second = _pipeline(tmp_path)
    second.create("beta", toy, {"doc": "x"})
    further = tmp_path / ".cf" / "projects" / "beta"
    assert second.address == further and second.project_dir == tmp_path
    assert json.loads((tmp_path / ".cf" / "state.json").read_text())["name"] == "alpha"
    assert json.loads((further / "state.json").read_text())["name"] == "beta"
    # the further project is addressed by its state folder; its files go in the folder
    assert locate(further) == (tmp_path, further)
    again = _pipeline(further)
    assert again.project_dir == tmp_path and again.load().name == "beta"
    assert StateStore(further).load().inputs == {"doc": "x"}
    # re-creating either resumes it
    assert _pipeline(tmp_path).create("beta", toy, {}).name == "beta"
    assert _pipeline(tmp_path).create("alpha", toy, {}).name == "alpha"


def test_another_target_in_the_folder_is_still_refused(tmp_path: Path) -> None:
    _pipeline(tmp_path).create("alpha", Target(name="toy", summary="t"), {})
    with pytest.raises(InputError, match="already holds project 'alpha' of target 'toy'"):
        _pipeline(tmp_path).create("beta", Target(name="other", summary="o"), {})
