"""A plugin's check that quotes a credential (a test failure printing the options, say) never
puts it in the output, the state or the event log: the pipeline masks it first."""

from __future__ import annotations

import json
from pathlib import Path

from connector_factory.cli import app
from typer.testing import CliRunner

from tests.conftest import MakeDist

LEAKY = '''
import json
from pathlib import Path

from connector_factory import hookimpl
from connector_factory.models import CheckResult, Step, StepResult, Target


@hookimpl
def cf_targets():
    return [Target(name="leaky", summary="quotes its credentials", steps=(Step.validate,))]


@hookimpl
def cf_validate(ctx):
    if ctx.target != "leaky":
        return None
    options = json.loads((ctx.project_dir / "configs" / "dev_config.json").read_text())
    return StepResult(summary=f"options were {options}", details={"options": options},
                      checks=[CheckResult(name="auth", status="failed",
                                          failures=[f"401 with token {options['token']}"])])
'''
TOKEN = "ghp_very-secret-token-123"


def test_a_quoted_credential_is_masked_everywhere(make_dist: MakeDist, tmp_path: Path) -> None:
    make_dist("cf-leaky", {"cf_leaky": LEAKY}, {"leaky": "cf_leaky"})
    project = tmp_path / "demo"
    (project / "configs").mkdir(parents=True)
    (project / "configs" / "dev_config.json").write_text(json.dumps({"token": TOKEN}))
    result = CliRunner().invoke(app, ["new", "--target", "leaky", "demo", "--out", str(tmp_path),
                                      "--yes"], env={"CF_INTERACTIVE": "0"})
    assert result.exit_code == 1, result.output
    assert "401 with token ***" in result.output
    for text in (result.output, (project / ".cf" / "state.json").read_text(),
                 (project / ".cf" / "events.jsonl").read_text()):
        assert TOKEN not in text
