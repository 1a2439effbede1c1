"""The entry-point cache: a hit gives what ``importlib.metadata`` gives without importing it;
any change to the installation (a distribution added, an ``entry_points.txt`` edited, even to
the same size) is seen at once; a broken or unwritable cache is ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from connector_factory.entry_points import Entry, cache_dir, entries

from tests.conftest import MakeDist

GROUP = "connector_factory"

#: Prints the entries of GROUP and whether importlib.metadata was imported to find them.
PROBE = textwrap.dedent(f"""
    import json, sys
    from connector_factory.entry_points import entries
    found = entries({GROUP!r})[{GROUP!r}]
    print(json.dumps({{"entries": [e._asdict() for e in found],
                      "scanned": "importlib.metadata" in sys.modules}}))
""")


def _probe(site: Path) -> Any:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    return json.loads(done.stdout)


def _names(result: Any) -> list[tuple[str, str]]:
    return [(e["name"], e["value"]) for e in result["entries"]
            if e["distribution"].startswith("cf-cache")]


def test_a_hit_reads_no_metadata_and_gives_the_scans_result(make_dist: MakeDist) -> None:
    site = make_dist("cf-cache-a", {}, {"alpha": "cf_alpha_mod"})
    first, second = _probe(site), _probe(site)
    assert first["scanned"] is True and second["scanned"] is False
    assert first["entries"] == second["entries"]
    assert _names(second) == [("alpha", "cf_alpha_mod")]
    alpha = next(e for e in second["entries"] if e["name"] == "alpha")
    assert (alpha["distribution"], alpha["version"]) == ("cf-cache-a", "1.0")


def test_any_change_to_the_installation_is_seen(make_dist: MakeDist) -> None:
    site = make_dist("cf-cache-a", {}, {"alpha": "cf_alpha_mod"})
    assert _names(_probe(site)) == [("alpha", "cf_alpha_mod")]
    points = next(site.glob("cf_cache_a-*.dist-info")) / "entry_points.txt"
    points.write_text(f"[{GROUP}]\nomega = cf_omega_mod\n")  # the same size as before
    edited = _probe(site)
    assert edited["scanned"] is True and _names(edited) == [("omega", "cf_omega_mod")]
    make_dist("cf-cache-b", {}, {"beta": "cf_beta_mod"})  # a distribution installed
    added = _probe(site)
    assert added["scanned"] is True
    assert _names(added) == [("beta", "cf_beta_mod"), ("omega", "cf_omega_mod")]
    assert _probe(site)["scanned"] is False


def test_a_broken_cache_file_is_ignored_and_replaced(make_dist: MakeDist) -> None:
    site = make_dist("cf-cache-a", {}, {"alpha": "cf_alpha_mod"})
    _probe(site)
    for path in cache_dir().glob("entry-points-*.json"):
        path.write_text('{"fingerprint": ', encoding="utf-8")
    again = _probe(site)
    assert again["scanned"] is True and _names(again) == [("alpha", "cf_alpha_mod")]
    assert _probe(site)["scanned"] is False


def test_an_unwritable_cache_folder_only_costs_the_scan(
        make_dist: MakeDist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    site = make_dist("cf-cache-a", {}, {"alpha": "cf_alpha_mod"})
    for _ in range(2):
        result = _probe(site)
        assert result["scanned"] is True and _names(result) == [("alpha", "cf_alpha_mod")]


def test_an_entry_loads_the_object_it_names(make_dist: MakeDist) -> None:
    make_dist("cf-cache-c", {"cf_cache_mod": "class Thing:\n    class Inner:\n        x = 1\n"},
              {"thing": "cf_cache_mod:Thing.Inner"})
    found = {e.name: e for e in entries(GROUP)[GROUP]}
    assert found["thing"].load().x == 1
    assert Entry(GROUP, "m", "cf_cache_mod").load().Thing.Inner.x == 1
