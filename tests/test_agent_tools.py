"""The agent's building blocks without a model: sandbox, tools, test-protection guard, secret
redaction, limits and prices, roles, the parallel runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from connector_factory.agent import (
    PRICES,
    Limits,
    Redactor,
    Refused,
    Sandbox,
    Toolbox,
    ToolPolicy,
    Usage,
    collect_secrets,
    load_role,
    price_for,
    run_parallel,
    weakening,
)
from connector_factory.errors import StepFailed

TEST_SRC = '''\
import pytest
from calc import add


def helper(x):
    assert x is not None
    return x


def test_add():
    assert add(2, 3) == 5
    assert add(-1, 1) == 0


class TestMore:
    def test_raises(self):
        with pytest.raises(TypeError):
            add("a", 1)
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "mod.py").write_text("X = 1\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(TEST_SRC)
    (root / "dev_config.json").write_text(json.dumps({"token": "dapi-very-secret-1"}))
    (root / ".cf").mkdir()
    (root / ".cf" / "state.json").write_text("{}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside secret")
    os.symlink(outside, root / "link")
    os.symlink(outside / "secret.txt", root / "secret_link.txt")
    return root


# -- sandbox ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path, why", [
    ("../outside/secret.txt", "outside the project"),
    ("src/../../outside/secret.txt", "outside the project"),
    ("/etc/passwd", "absolute"),
    ("~/x", "absolute"),
    ("link/secret.txt", "symlink"),
    ("secret_link.txt", "symlink"),
    ("link", "symlink"),
    (".cf/state.json", "core owns"),
    (".git/config", "core owns"),
    ("dev_config.json", "holds secrets"),
    ("", "empty path"),
])
def test_sandbox_refuses(project: Path, path: str, why: str) -> None:
    with pytest.raises(Refused, match=why):
        Sandbox(project).resolve(path)


def test_sandbox_allows_inside_paths(project: Path) -> None:
    sandbox = Sandbox(project)
    assert sandbox.resolve("src/../src/mod.py") == (project / "src" / "mod.py").resolve()
    assert sandbox.resolve("new/dir/file.txt") == project.resolve() / "new" / "dir" / "file.txt"
    assert sandbox.resolve(".") == project.resolve()


def test_tools_refuse_escapes_and_never_touch_outside(project: Path) -> None:
    box = Toolbox(project)
    for name, args in [("read_file", {"path": "../outside/secret.txt"}),
                       ("read_file", {"path": "/etc/hostname"}),
                       ("read_file", {"path": "link/secret.txt"}),
                       ("write_file", {"path": "link/evil.txt", "content": "x"}),
                       ("write_file", {"path": "secret_link.txt", "content": "x"}),
                       ("edit_file", {"path": "secret_link.txt", "old_text": "outside",
                                      "new_text": "x"}),
                       ("list_files", {"path": ".."}),
                       ("read_file", {"path": "dev_config.json"})]:
        outcome = box.call(name, args)
        assert outcome.is_error and outcome.content.startswith("refused:"), (name, args, outcome)
    assert box.refusals == 8
    assert not (project.parent / "outside" / "evil.txt").exists()
    assert (project.parent / "outside" / "secret.txt").read_text() == "outside secret"


def test_list_read_write_edit(project: Path) -> None:
    box = Toolbox(project)
    listing = box.call("list_files", {}).content.splitlines()
    assert "src/mod.py" in listing and "tests/test_calc.py" in listing
    assert "link@" in listing and "dev_config.json" not in listing
    assert not any(p.startswith(".cf") for p in listing)
    assert box.call("read_file", {"path": "src/mod.py"}).content == "X = 1\n"
    assert not box.call("write_file", {"path": "pkg/new.py", "content": "Y = 2\n"}).is_error
    assert (project / "pkg" / "new.py").read_text() == "Y = 2\n"
    assert not box.call("edit_file", {"path": "pkg/new.py", "old_text": "2",
                                      "new_text": "3"}).is_error
    assert (project / "pkg" / "new.py").read_text() == "Y = 3\n"
    twice = box.call("edit_file", {"path": "pkg/new.py", "old_text": "Y", "new_text": "Z"})
    assert not twice.is_error
    missing = box.call("edit_file", {"path": "pkg/new.py", "old_text": "nope", "new_text": "Z"})
    assert missing.is_error and "occurs 0 times" in missing.content
    assert box.written == ["pkg/new.py"]
    unknown = box.call("delete_everything", {})
    assert unknown.is_error and "unknown or unavailable tool" in unknown.content
    bad = box.call("read_file", {})
    assert bad.is_error and "'path'" in bad.content


def test_hard_linked_files_are_not_written(project: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared.txt"
    shared.write_text("shared\n")
    os.link(shared, project / "src" / "alias.txt")
    outcome = Toolbox(project).call("write_file", {"path": "src/alias.txt", "content": "x"})
    assert outcome.is_error and "hard link" in outcome.content
    assert shared.read_text() == "shared\n"


def test_read_only_policy_offers_no_writing(project: Path) -> None:
    box = Toolbox(project, ToolPolicy(writable=False, commands=()))
    assert box.names() == ["list_files", "read_file"]
    assert box.call("write_file", {"path": "a.txt", "content": "x"}).is_error
    assert not (project / "a.txt").exists()


# -- commands --------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["rm", "-rf", "tests"],
    ["bash", "-c", "cat /etc/passwd"],
    ["python", "-c", "import os; os.remove('tests/test_calc.py')"],
    ["python", "tests/test_calc.py"],
    "pytest; rm -rf tests",
    ["python", "-m", "pytest", "/etc"],
    ["python", "-m", "pytest", "../outside"],
    ["python", "-m", "pytest", "--rootdir=/"],
])
def test_commands_off_the_list_are_refused(project: Path, argv: list[str] | str) -> None:
    box = Toolbox(project)
    outcome = box.call("run_command", {"command": argv})
    assert outcome.is_error and outcome.content.startswith("refused:"), outcome
    assert (project / "tests" / "test_calc.py").read_text() == TEST_SRC


def test_allowed_command_runs_in_project_without_secret_env(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_DEMO_TOKEN", "tok-env-secret-99")
    (project / "tests" / "test_env.py").write_text(
        "import os\n\ndef test_env():\n    assert 'CF_DEMO_TOKEN' not in os.environ\n")
    box = Toolbox(project, redact=Redactor(["tok-env-secret-99"]).text)
    outcome = box.call("run_command", {"command": ["python", "-m", "pytest", "-q",
                                                   "tests/test_env.py"]})
    assert not outcome.is_error
    assert outcome.content.startswith("exit code 0"), outcome.content
    assert "1 passed" in outcome.content


def test_command_timeout_is_reported(project: Path) -> None:
    (project / "tests" / "test_slow.py").write_text(
        "import time\n\ndef test_slow():\n    time.sleep(30)\n")
    box = Toolbox(project, ToolPolicy(command_timeout_s=1))
    outcome = box.call("run_command", {"command": ["python", "-m", "pytest", "-q",
                                                   "tests/test_slow.py"]})
    assert outcome.is_error and "timed out" in outcome.content


# -- fetch_url -------------------------------------------------------------------------------

@pytest.fixture
def doc_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"# Items API\nGET /v1/items\n"
            self.send_response(200)
            self.send_header("content-type", "text/markdown; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api.md"
    server.shutdown()
    server.server_close()


def test_fetch_url_only_with_network_and_listed_hosts(project: Path, doc_server: str) -> None:
    offline = Toolbox(project)
    assert "fetch_url" not in offline.names()
    assert offline.call("fetch_url", {"url": doc_server}).is_error
    online = Toolbox(project, ToolPolicy(network=True, hosts=("127.0.0.1",)))
    assert "fetch_url" in online.names()
    fetched = online.call("fetch_url", {"url": doc_server})
    assert not fetched.is_error and "GET /v1/items" in fetched.content
    other = Toolbox(project, ToolPolicy(network=True, hosts=("docs.example.com",)))
    refused = other.call("fetch_url", {"url": doc_server})
    assert refused.is_error and "not allowed" in refused.content
    scheme = online.call("fetch_url", {"url": "file:///etc/passwd"})
    assert scheme.is_error and "http(s)" in scheme.content


# -- test-protection guard -------------------------------------------------------------------

@pytest.mark.parametrize("new, why", [
    (None, "deletes"),
    ("", "removes or renames"),
    (TEST_SRC.replace("    assert add(-1, 1) == 0\n", ""), "removes or changes 1 assertion"),
    (TEST_SRC.replace("== 5", "== 5 or True"), "removes or changes"),
    (TEST_SRC.replace("== 5", "is not None"), "removes or changes"),
    (TEST_SRC.replace("def test_add", "def _test_add"), "removes or renames"),
    (TEST_SRC.replace("def test_add", "@pytest.mark.skip\ndef test_add"), "skip"),
    (TEST_SRC.replace("def test_add", "@pytest.mark.xfail(reason='x')\ndef test_add"), "skip"),
    (TEST_SRC.replace("def test_add():\n", "def test_add():\n    pytest.skip('later')\n"),
     "skip"),
    (TEST_SRC + "\npytestmark = pytest.mark.skipif(True, reason='x')\n", "skip"),
    (TEST_SRC.replace("def test_add():\n", "def test_add():\n    return\n"), "early return"),
    (TEST_SRC.replace("    assert add(2, 3) == 5\n",
                      "    try:\n        assert add(2, 3) == 5\n    except AssertionError:\n"
                      "        pass\n"), "catches assertion failures"),
    (TEST_SRC.replace("pytest.raises(TypeError)", "pytest.raises(Exception)"), "removes or"),
    (TEST_SRC.replace("    assert x is not None\n", ""), "in helper"),
    ("def test_add(:\n", "does not parse"),
])
def test_guard_rejects_weakening(new: str | None, why: str) -> None:
    reason = weakening(TEST_SRC, new)
    assert reason is not None and why in reason, reason


@pytest.mark.parametrize("new", [
    TEST_SRC,
    TEST_SRC.replace("    assert add(-1, 1) == 0\n",
                     "    assert add(-1, 1) == 0\n    assert add(0, 0) == 0\n"),
    TEST_SRC + "\n\ndef test_new():\n    assert add(1, 1) == 2\n",
    "# a comment\n" + TEST_SRC.replace("from calc import add", "from calc import add  # impl"),
])
def test_guard_allows_strengthening(new: str) -> None:
    assert weakening(TEST_SRC, new) is None


def test_protected_file_edits_are_refused_through_the_tools(project: Path) -> None:
    box = Toolbox(project, ToolPolicy(protected_tests=("tests/test_calc.py",)))
    weak = box.call("edit_file", {"path": "tests/test_calc.py", "old_text": "== 5",
                                  "new_text": "== 5 or True"})
    assert weak.is_error and "protected test file" in weak.content
    gone = box.call("write_file", {"path": "tests/test_calc.py", "content": "# nothing\n"})
    assert gone.is_error and "removes or renames" in gone.content
    assert (project / "tests" / "test_calc.py").read_text() == TEST_SRC
    stronger = box.call("edit_file", {"path": "tests/test_calc.py",
                                      "old_text": "    assert add(-1, 1) == 0\n",
                                      "new_text": "    assert add(-1, 1) == 0\n"
                                                  "    assert add(1, 1) == 2\n"})
    assert not stronger.is_error
    assert box.verify_protected() is None
    (project / "tests" / "test_calc.py").write_text(TEST_SRC.replace("== 5", "== 6"))
    assert "was weakened" in (box.verify_protected() or "")
    (project / "tests" / "test_calc.py").unlink()
    assert "deletes the test file" in (box.verify_protected() or "")


# -- secrets ---------------------------------------------------------------------------------

def test_collect_secrets_and_redact(project: Path) -> None:
    nested = project / "sub"
    nested.mkdir()
    (nested / "dev_config.json").write_text(json.dumps(
        {"conn": {"password": "p@ss\"word-2"}, "port": 443, "list": ["lst-secret-3"]}))
    env = {"MY_API_KEY": "key-env-4", "DB_PASSWORD": "pw-env-5", "GH_TOKEN": "tok-env-6",
           "APP_SECRET": "sec-env-7", "HOME": "/root", "SHORT_TOKEN": "ab"}
    secrets = collect_secrets(project, ["extra-secret-8"], environ=env)
    assert set(secrets) == {"dapi-very-secret-1", "p@ss\"word-2", "lst-secret-3", "key-env-4",
                            "pw-env-5", "tok-env-6", "sec-env-7", "extra-secret-8"}
    redactor = Redactor(secrets)
    data = {"a": "token dapi-very-secret-1!", "b": ["p@ss\"word-2"], "key-env-4": 1, "n": 443}
    assert redactor.data(data) == {"a": "token ***!", "b": ["***"], "***": 1, "n": 443}
    assert "p@ss" not in json.dumps(redactor.data(json.dumps(data)))


# -- limits and prices -----------------------------------------------------------------------

def test_price_table_and_usage() -> None:
    assert price_for("claude-sonnet-4-5-20250929") == (PRICES["claude-sonnet-4"], True)
    assert price_for("claude-opus-4-1")[0].input == 15.0
    assert price_for("claude-opus-4-5")[0].input == 5.0
    assert price_for("claude-opus-5-5")[0].output == 20.0
    price, known = price_for("claude-unknown-9")
    assert not known and price.output == max(p.output for p in PRICES.values())
    usage = Usage()
    usage.add_response("claude-sonnet-4-5", {"input_tokens": 1000, "output_tokens": 200,
                                             "cache_read_input_tokens": 10_000,
                                             "cache_creation_input_tokens": 2000})
    assert usage.total_input == 13_000
    assert usage.cost_usd == pytest.approx((1000 * 3 + 2000 * 3.75 + 10_000 * 0.3
                                            + 200 * 15) / 1e6)
    assert usage.as_dict()["cache_write"] == 2000.0
    limits = Limits(max_turns=2, max_output_tokens=100, max_cost_usd=1.0)
    assert limits.exceeded(usage, 1, 0.0) == "output token limit 100 exceeded (200)"
    assert Limits(max_turns=2).exceeded(usage, 2, 0.0) == "turn limit 2 reached"
    assert Limits(max_turns=2).exceeded(usage, 1, 0.0) is None
    assert "cost limit" in (Limits(max_cost_usd=0.001).exceeded(usage, 0, 0.0) or "")
    assert "wall time" in (Limits(max_wall_s=5).exceeded(usage, 0, 5.0) or "")
    assert "input token" in (Limits(max_input_tokens=100).exceeded(usage, 0, 0.0) or "")


# -- roles -----------------------------------------------------------------------------------

def test_load_role_from_a_plugin_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "site" / "cf_roleplug"
    (pkg / "roles").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "roles" / "connector-tester.md").write_text("# Tester\nFix the implementation.\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    role = load_role("cf_roleplug", "connector-tester")
    assert role.name == "connector-tester" and "Fix the implementation" in role.instructions
    with pytest.raises(StepFailed, match="role 'nope' not found"):
        load_role("cf_roleplug", "nope")


# -- parallel --------------------------------------------------------------------------------

def test_run_parallel_limits_concurrency_and_keeps_order() -> None:
    lock = threading.Lock()
    active = 0
    peak = 0
    barrier = threading.Barrier(2, timeout=10)

    def work(item: int) -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            if item < 2:
                barrier.wait()  # the first two really run at the same time
            if item == 3:
                raise ValueError("item 3 fails")
            return item * 10
        finally:
            with lock:
                active -= 1

    outcomes = run_parallel(list(range(6)), work, max_workers=2)
    assert [o.item for o in outcomes] == list(range(6))
    assert [o.result for o in outcomes if o.ok] == [0, 10, 20, 40, 50]
    assert isinstance(outcomes[3].error, ValueError)
    assert peak == 2
    with pytest.raises(ValueError):
        run_parallel([1], work, max_workers=0)


def test_importing_the_agent_package_does_not_import_anthropic() -> None:
    code = ("import sys, connector_factory.agent, connector_factory.testing.fake_messages_api\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'anthropic', 'httpx2'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
