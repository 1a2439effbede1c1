"""The core's secret scan: every step's output files, archives included, are scanned for the
project's secret values before the result is shown or stored; a hit fails the step naming file
and line, never the value."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from connector_factory.cli import app
from connector_factory.errors import StepFailed
from connector_factory.secret_scan import require_clean, scan_files
from typer.testing import CliRunner

from tests.conftest import MakeDist

runner = CliRunner()
TOKEN = "canary-tok-5b1e9f"

#: Target ``leak``: document writes README.md quoting whatever ``LEAK.txt`` in the project holds
#: (a model's reply, a pasted example); deploy packs ``notes.md`` (from ``NOTES.txt``) into a
#: wheel-like zip and a tar.gz under dist/.
LEAK_PLUGIN = '''
import io, tarfile, zipfile
from connector_factory import hookimpl
from connector_factory.models import StepResult, Step, Target, TargetInput

@hookimpl
def cf_targets():
    return [Target(name="leak", summary="quotes things",
                   inputs=(TargetInput(name="api_key", secret=True, help="a key"),),
                   steps=(Step.document, Step.deploy))]

@hookimpl
def cf_document(ctx):
    if ctx.target != "leak":
        return None
    pasted = (ctx.project_dir / "LEAK.txt").read_text() if (ctx.project_dir / "LEAK.txt").exists() else ""
    (ctx.project_dir / "README.md").write_text("# leak\\n" + pasted + "\\nend\\n")
    return StepResult(summary="documented", outputs=["README.md"])

@hookimpl
def cf_deploy(ctx):
    if ctx.target != "leak":
        return None
    notes = (ctx.project_dir / "NOTES.txt").read_text() if (ctx.project_dir / "NOTES.txt").exists() else "none"
    dist = ctx.project_dir / "dist"
    dist.mkdir(exist_ok=True)
    with zipfile.ZipFile(dist / "leak-0.1-py3-none-any.whl", "w") as whl:
        whl.writestr("leak/__init__.py", "x = 1\\n")
        whl.writestr("leak-0.1.dist-info/METADATA", "Name: leak\\n\\n" + notes)
    data = notes.encode()
    with tarfile.open(dist / "leak-0.1.tar.gz", "w:gz") as sdist:
        info = tarfile.TarInfo("leak-0.1/PKG-INFO")
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    return StepResult(summary="deployed", outputs=["dist/leak-0.1-py3-none-any.whl",
                                                   "dist/leak-0.1.tar.gz"])
'''


@pytest.fixture
def leak(make_dist: MakeDist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_dist("cf-leak", {"cf_leak": LEAK_PLUGIN}, {"leak": "cf_leak"})
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "demo"
    project.mkdir()
    return project


def _never_stored(project: Path, output: str) -> None:
    for text in (output, (project / ".cf/state.json").read_text(),
                 (project / ".cf/events.jsonl").read_text()):
        assert TOKEN not in text


def test_a_secret_in_a_generated_doc_fails_the_step(
        leak: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_API_TOKEN", TOKEN)
    (leak / "LEAK.txt").write_text(f"curl -H 'Authorization: Bearer {TOKEN}' …")
    result = runner.invoke(app, ["new", "--target", "leak", "demo", "--yes"])
    assert result.exit_code == 1, result.output
    assert "secret scan: document's outputs hold a secret's value" in result.output
    assert "at README.md:2" in result.output
    _never_stored(leak, result.output)
    state = json.loads((leak / ".cf/state.json").read_text())
    assert state["steps"]["document"]["status"] == "failed"
    assert state["steps"]["deploy"]["status"] == "pending"


def test_a_secret_inside_the_packages_fails_deploy(
        leak: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (leak / "configs").mkdir()
    (leak / "configs" / "dev_config.json").write_text(json.dumps(
        {"token": TOKEN, "base_url": "https://api.example.com"}))
    (leak / "LEAK.txt").write_text("see https://api.example.com")  # not a secret: no hit
    (leak / "NOTES.txt").write_text(f"line one\ntoken={TOKEN}\n")
    result = runner.invoke(app, ["new", "--target", "leak", "demo", "--yes"])
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert "secret scan: deploy's outputs" in flat
    assert "dist/leak-0.1-py3-none-any.whl!leak-0.1.dist-info/METADATA:4" in flat
    assert "dist/leak-0.1.tar.gz!leak-0.1/PKG-INFO:2" in flat
    _never_stored(leak, result.output)
    (leak / "NOTES.txt").write_text("clean\n")
    again = runner.invoke(app, ["resume", "--project", "demo", "--yes"])
    assert again.exit_code == 0, again.output


def test_a_secret_input_is_scanned_for_too(leak: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_INPUT_API_KEY", TOKEN)
    (leak / "LEAK.txt").write_text(TOKEN)
    result = runner.invoke(app, ["new", "--target", "leak", "demo", "--yes"])
    assert result.exit_code == 1 and "README.md:2" in result.output, result.output
    _never_stored(leak, result.output)


def test_scan_api_names_file_line_and_nested_archives(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("deep/config.txt", f"a\nb\n{json.dumps(TOKEN)}\n")
    outer = tmp_path / "bundle.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("inner.whl", inner.getvalue())
    plain = tmp_path / "plain.txt"
    plain.write_text(f"x\n{TOKEN} and {TOKEN}\n")
    (tmp_path / "dev_config.json").write_text(json.dumps({"token": TOKEN}))
    hits = scan_files(tmp_path, [outer, plain, tmp_path / "dev_config.json", tmp_path / "gone"])
    assert [h.text() for h in hits] == ["bundle.zip!inner.whl!deep/config.txt:3", "plain.txt:2"]
    with pytest.raises(StepFailed, match=r"plain\.txt:2") as caught:
        require_clean(tmp_path, [plain])
    assert TOKEN not in caught.value.one_line()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tar")
    with pytest.raises(StepFailed, match=r"cannot open broken\.tar\.gz"):
        require_clean(tmp_path, [broken])
    tar = tmp_path / "ok.tar.gz"
    with tarfile.open(tar, "w:gz") as archive:
        data = b"nothing here\n"
        info = tarfile.TarInfo("pkg/README")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    require_clean(tmp_path, [tar])
