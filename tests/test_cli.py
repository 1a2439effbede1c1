"""The `cf` command: light start-up, help on every command, and a plugin installed from its own
distribution (the README's example) running end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from connector_factory.cli import app
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["new", "plan", "research", "scaffold", "validate", "test-gate", "document", "deploy",
            "status", "resume", "skip", "targets", "plugins", "credentials", "merge", "discard"]


def test_help_imports_no_plugin_no_anthropic_no_cookiecutter() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from connector_factory.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'anthropic', 'cookiecutter', 'httpx', 'cf_databricks_source', 'cf_airbyte_destination',"
        " 'cf_sophiehub_rollout', 'pydantic'})\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_readme_plugin_example_is_the_tested_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    source = (ROOT / "examples/cf-hello-plugin/src/cf_hello/__init__.py").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert source in blocks, "README's plugin example differs from examples/cf-hello-plugin"


def test_plugin_from_a_separate_distribution_runs_end_to_end(tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(ROOT / "examples/cf-hello-plugin")],
        check=True, capture_output=True,
    )
    assert list(site.glob("cf_hello-0.1.0.dist-info/entry_points.txt"))
    env_code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from connector_factory.cli import main; sys.argv = ['cf'] + sys.argv[2:]; main()"
    )

    def cf(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", env_code, str(site), *args],
                              capture_output=True, text=True, cwd=tmp_path)

    plugins = cf("plugins")
    assert plugins.returncode == 0 and "cf-hello" in plugins.stdout
    assert "hello" in cf("targets").stdout
    run = cf("new", "--target", "hello", "demo", "--yes")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "demo" / "hello.txt").read_text() == "hello from demo\n"
    assert "--greeting TEXT" in cf("targets").stdout
    again = cf("new", "--target", "hello", "demo", "--greeting", "hi", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "input --greeting set: hi" in again.stderr
    assert (tmp_path / "demo" / "hello.txt").read_text() == "hi from demo\n"
    # a step command takes the target's inputs too, and redoes what read the changed one
    step = cf("scaffold", "--project", "demo", "--greeting", "hey", "--yes")
    assert step.returncode == 0, step.stdout + step.stderr
    assert "input --greeting changed: hi → hey" in step.stderr
    assert (tmp_path / "demo" / "hello.txt").read_text() == "hey from demo\n"
    wrong = cf("scaffold", "--project", "demo", "--colour", "red")
    assert wrong.returncode == 2 and "--colour" in wrong.stderr, wrong.stdout + wrong.stderr


def test_readme_test_command_installs_tox_first() -> None:
    """The README's test command works on a fresh machine: it installs the tox that tox.ini
    requires, then runs the label `.ci/run` runs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tests (one command)", 1)[1]
    command = re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)[0].strip()
    tox_ini = (ROOT / "tox.ini").read_text(encoding="utf-8")
    required = re.search(r"^requires = (tox\S*)", tox_ini, flags=re.M)
    assert required is not None
    assert command == f'python3 -m pip install "{required.group(1)}" && python3 -m tox -m ci'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'pip install --quiet "{required.group(1)}"' in ci and "python3 -m tox -m ci" in ci


MAIN = """
import atexit, sys, threading, time
from pathlib import Path
marks = Path(sys.argv[1])
atexit.register(lambda: (marks / "atexit").write_text("ran"))
def late():
    time.sleep(0.3)
    (marks / "thread").write_text("done")
threading.Thread(target=late).start()
sys.argv = ["cf", *sys.argv[2:]]
from connector_factory.cli import main
main()
"""


@pytest.mark.parametrize(("args", "code"), [(["targets"], 0), (["status", "--project", "."], 2),
                                            (["no-such-command"], 2)])
def test_main_ends_the_process_with_the_commands_code_after_handlers_and_threads(
        tmp_path: Path, args: list[str], code: int) -> None:
    """``main`` ends with ``os._exit`` (no freeing of every object): the exit code is the
    command's, exit handlers ran, a running thread finished, and piped output is complete."""
    done = subprocess.run([sys.executable, "-c", MAIN, str(tmp_path), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == code, done.stderr
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "thread").read_text() == "done"
    if code == 0:
        assert done.stdout.rstrip().endswith("cf new takes them as --NAME VALUE or --input "
                                             "NAME=VALUE")
    else:
        assert done.stderr.strip() and "Traceback" not in done.stderr


def test_a_reader_that_stops_early_gets_no_error(tmp_path: Path) -> None:
    """``cf targets | head -0``: the pipe closed before cf writes is not reported as an
    error."""
    cf = subprocess.Popen([sys.executable, "-c", MAIN, str(tmp_path), "targets"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert cf.stdout is not None and cf.stderr is not None
    cf.stdout.close()  # before cf is started up: its first write meets a closed pipe
    errors = cf.stderr.read().decode()
    cf.wait(timeout=60)
    assert "error" not in errors.lower() and "Traceback" not in errors, errors
