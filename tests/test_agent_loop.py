"""The agent loop against a scripted Messages API server on 127.0.0.1, through the real
``anthropic`` client: researcher, tester, sandbox escapes, test weakening, limits, retries, prompt
caching and usage, transcripts without secrets, resume, parallel agents."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from connector_factory.agent import (
    PRICES,
    AgentStopped,
    Limits,
    ToolPolicy,
    history_from_transcript,
    latest_transcript,
    load_role,
    run_agent,
    run_parallel,
)
from connector_factory.errors import StepFailed
from connector_factory.llm import AnthropicLLM
from connector_factory.testing.fake_messages_api import (
    Fail,
    FakeMessagesAPI,
    Reply,
    Turn,
    text,
    tool_use,
)

API_KEY = "sk-ant-test-key-000111222333"
MODEL = "claude-sonnet-4-6"

API_MD = """\
# Items API

Base URL: https://api.example.com/v1
Auth: header `Authorization: Bearer <token>`

## GET /items
Lists items. Paginated with `cursor` and `limit`; the response carries `next_cursor`.

## GET /items/{id}
One item by id.
"""

CALC_TEST = """\
from calc import add


def test_add():
    assert add(2, 3) == 5
"""


def llm_for(api: FakeMessagesAPI, max_retries: int = 2) -> AnthropicLLM:
    return AnthropicLLM(api_key=API_KEY, model=MODEL, max_tokens=4096, base_url=api.base_url,
                        max_retries=max_retries)


def last_tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of the newest user message of a request body."""
    content = body["messages"][-1]["content"]
    return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


def result_text(block: dict[str, Any]) -> str:
    content = block["content"]
    return content if isinstance(content, str) else "".join(c.get("text", "") for c in content)


def cache_marks(body: dict[str, Any]) -> list[str]:
    """Where the request carries cache_control breakpoints."""
    marks = [f"tool:{t['name']}" for t in body.get("tools", []) if "cache_control" in t]
    marks += [f"system:{i}" for i, b in enumerate(body.get("system", [])) if "cache_control" in b]
    for i, message in enumerate(body["messages"]):
        if isinstance(message["content"], list):
            marks += [f"message:{i}" for b in message["content"] if "cache_control" in b]
    return marks


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


@pytest.fixture
def role_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A plugin package shipping its roles as Markdown files next to its code."""
    pkg = tmp_path / "site" / "cf_agentroles"
    (pkg / "roles").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "roles" / "source-api-researcher.md").write_text(
        "# Source API researcher\n\nRead the API description and write docs/api_doc.md with a "
        "table of endpoints, auth and pagination.\n")
    (pkg / "roles" / "connector-tester.md").write_text(
        "# Connector tester\n\nRun the tests, read the failure, fix the implementation. Never "
        "change a test.\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return "cf_agentroles"


# -- researcher ------------------------------------------------------------------------------

def _write_api_doc(body: dict[str, Any]) -> Reply:
    """The scripted researcher: turns the doc it was given into a table of endpoints."""
    doc = result_text(last_tool_results(body)[0])
    endpoints = re.findall(r"^## (GET|POST) (\S+)", doc, flags=re.M)
    rows = "\n".join(f"| {verb} | {path} |" for verb, path in endpoints)
    pagination = "cursor" if "next_cursor" in doc else "none"
    content = (f"# API doc\n\n| method | path |\n|---|---|\n{rows}\n\n"
               f"Auth: bearer token\nPagination: {pagination}\nEvidence: docs/source/api.md\n")
    return Reply([tool_use("write_file", path="docs/api_doc.md", content=content)])


def test_researcher_reads_a_markdown_doc_and_writes_the_api_doc(
        project: Path, role_package: str) -> None:
    (project / "docs" / "source").mkdir(parents=True)
    (project / "docs" / "source" / "api.md").write_text(API_MD)
    script: list[Turn] = [
        Reply([text("Let me look around."), tool_use("list_files", path=".")]),
        Reply([tool_use("read_file", path="docs/source/api.md")]),
        _write_api_doc,
        Reply([text("Wrote docs/api_doc.md: 2 endpoints, bearer auth, cursor pagination.")]),
    ]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="research",
                           role=load_role(role_package, "source-api-researcher"),
                           task="Research the API described in docs/source/api.md.",
                           policy=ToolPolicy(commands=()))
    assert result.ok, result.reason
    assert result.turns == 4 and result.written == ["docs/api_doc.md"]
    assert result.final_text.startswith("Wrote docs/api_doc.md")
    doc = (project / "docs" / "api_doc.md").read_text()
    assert "| GET | /items |" in doc and "| GET | /items/{id} |" in doc
    assert "Pagination: cursor" in doc
    bodies = [r.body for r in api.message_requests]
    assert all(b is not None for b in bodies)
    # the loop resent the whole history itself, and the model read what the tool returned
    assert [len(b["messages"]) for b in bodies if b] == [1, 3, 5, 7]
    assert "docs/source/api.md" in result_text(last_tool_results(bodies[1] or {})[0])
    assert "## GET /items" in result_text(last_tool_results(bodies[2] or {})[0])
    first = bodies[0] or {}
    assert "Source API researcher" in first["system"][1]["text"]
    assert [t["name"] for t in first["tools"]] == ["list_files", "read_file", "write_file",
                                                   "edit_file"]
    step = result.step_result(outputs=["docs/api_doc.md"], project_dir=project)
    assert step.status == "completed" and step.outputs == ["docs/api_doc.md"]
    assert step.details["agent"]["transcript"].startswith(".cf/transcripts/research-")


# -- tester ----------------------------------------------------------------------------------

def test_tester_fixes_the_implementation_and_the_core_reruns_the_test(
        project: Path, role_package: str) -> None:
    (project / "calc").mkdir()
    (project / "calc" / "__init__.py").write_text("def add(a, b):\n    return a - b\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_calc.py").write_text(CALC_TEST)
    pytest_cmd = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
    script = [
        Reply([tool_use("run_command", command=pytest_cmd)]),
        Reply([tool_use("read_file", path="calc/__init__.py")]),
        Reply([tool_use("edit_file", path="calc/__init__.py", old_text="a - b",
                        new_text="a + b")]),
        Reply([tool_use("run_command", command=pytest_cmd)]),
        Reply([text("Fixed add(): it subtracted. The test passes.")]),
    ]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="test_gate-tester",
                           role=load_role(role_package, "connector-tester"),
                           task="tests/test_calc.py fails; make it pass.",
                           policy=ToolPolicy(protected_tests=("tests/test_calc.py",)))
    assert result.ok, result.reason
    assert result.written == ["calc/__init__.py"]
    outputs = [result_text(last_tool_results(r.body or {})[0]) for r in api.message_requests[1:]]
    assert outputs[0].startswith("exit code 1") and "1 failed" in outputs[0]
    assert outputs[3].startswith("exit code 0") and "1 passed" in outputs[3]
    assert (project / "tests" / "test_calc.py").read_text() == CALC_TEST
    # the gate is re-run by the core, not taken from the model's word
    rerun = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests"], cwd=project, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


# -- refusals --------------------------------------------------------------------------------

def test_escapes_forbidden_commands_and_weakened_tests_are_refused(project: Path,
                                                                    tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside")
    (project / "link").symlink_to(outside)
    (project / "tests").mkdir()
    (project / "tests" / "test_calc.py").write_text(CALC_TEST)
    attempts = [
        tool_use("read_file", path="../outside/secret.txt"),
        tool_use("read_file", path=str(outside / "secret.txt")),
        tool_use("read_file", path="link/secret.txt"),
        tool_use("write_file", path="link/planted.py", content="x = 1\n"),
        tool_use("run_command", command=["rm", "-rf", "tests"]),
        tool_use("run_command", command=["python", "-c", "print(open('/etc/passwd').read())"]),
        tool_use("edit_file", path="tests/test_calc.py", old_text="== 5", new_text="== 5 or True"),
        tool_use("edit_file", path="tests/test_calc.py", old_text="def test_add",
                 new_text="import pytest\n\n\n@pytest.mark.skip\ndef test_add"),
        tool_use("write_file", path="tests/test_calc.py", content="def test_add():\n    pass\n"),
    ]
    script = [Reply([attempt]) for attempt in attempts] + [Reply([text("I could not.")])]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="test_gate-tester", role="Fix tests.",
                           task="Make the tests pass.",
                           policy=ToolPolicy(protected_tests=("tests/test_calc.py",)))
    assert result.ok and result.refusals == len(attempts)
    replies = [last_tool_results(r.body or {})[0] for r in api.message_requests[1:]]
    assert all(r["is_error"] is True for r in replies)
    messages = [result_text(r) for r in replies]
    for message, expected in zip(messages, [
            "leads outside the project", "is absolute", "symlink", "symlink",
            "not on the allow-list", "not on the allow-list", "protected test file",
            "adds skip/xfail markers", "removes or changes"], strict=True):
        assert message.startswith("refused:") and expected in message, message
    assert not (outside / "planted.py").exists()
    assert (project / "tests" / "test_calc.py").read_text() == CALC_TEST
    assert not result.written


def test_a_test_weakened_by_an_allowed_command_fails_the_step(project: Path) -> None:
    (project / "tests").mkdir()
    (project / "tests" / "test_calc.py").write_text(CALC_TEST)
    (project / "tools").mkdir()
    (project / "tools" / "fmt.py").write_text(
        "from pathlib import Path\n"
        "p = Path('tests/test_calc.py')\n"
        "p.write_text(p.read_text().replace('== 5', '!= 5'))\n")
    script = [Reply([tool_use("run_command", command=["python", "tools/fmt.py"])]),
              Reply([text("Formatted.")])]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="test_gate-tester", role="Fix tests.",
                           task="Format the code.",
                           policy=ToolPolicy(commands=(("python", "tools/fmt.py"),),
                                             protected_tests=("tests/test_calc.py",)))
    assert not result.ok
    assert "tests/test_calc.py was weakened" in result.reason
    assert result.step_result().status == "failed"


# -- limits ----------------------------------------------------------------------------------

def test_turn_limit_stops_the_step_as_failed(project: Path) -> None:
    script = [Reply([tool_use("list_files", path=".")]) for _ in range(10)]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="research", role="Look around.",
                           task="Look.", limits=Limits(max_turns=3))
    assert not result.ok and result.reason == "turn limit 3 reached"
    assert result.turns == 3 and len(api.message_requests) == 3 and api.remaining == 7
    step = result.step_result(summary="research not done")
    assert step.status == "failed"
    assert step.summary.splitlines()[0] == "agent research stopped: turn limit 3 reached"
    assert step.usage["input"] + step.usage["cache_read"] + step.usage["cache_write"] > 0
    with pytest.raises(AgentStopped) as caught:
        result.raise_if_failed()
    assert isinstance(caught.value, StepFailed)
    assert "turn limit 3 reached" in caught.value.one_line()


@pytest.mark.parametrize("limits, usage, reason", [
    (Limits(max_cost_usd=0.01), {"input_tokens": 10_000}, "cost limit $0.01 exceeded"),
    (Limits(max_output_tokens=50), {"output_tokens": 60}, "output token limit 50 exceeded"),
    (Limits(max_input_tokens=5000), {"input_tokens": 6000}, "input token limit 5000 exceeded"),
])
def test_token_and_cost_limits_stop_the_step(project: Path, limits: Limits,
                                             usage: dict[str, int], reason: str) -> None:
    script = [Reply([tool_use("list_files")], usage=usage), Reply([text("never sent")])]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="research", role="r", task="t",
                           limits=limits)
    assert not result.ok and result.reason.startswith(reason), result.reason
    assert result.turns == 1 and api.remaining == 1


def test_wall_time_limit_stops_before_any_request(project: Path) -> None:
    with FakeMessagesAPI([Reply([text("never sent")])]) as api:
        result = run_agent(llm_for(api), project, step="research", role="r", task="t",
                           limits=Limits(max_wall_s=0))
    assert not result.ok and result.reason.startswith("wall time limit 0s reached")
    assert api.requests == []


def test_max_tokens_of_each_request_is_capped_by_the_output_budget(project: Path) -> None:
    script = [Reply([tool_use("list_files")], usage={"output_tokens": 70}), Reply([text("ok")])]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="research", role="r", task="t",
                           limits=Limits(max_output_tokens=100))
    assert result.ok
    assert [(r.body or {})["max_tokens"] for r in api.message_requests] == [100, 30]


# -- retries ---------------------------------------------------------------------------------

def test_529_then_success_is_retried_by_the_sdk(project: Path) -> None:
    script: list[Turn] = [Fail(529), Fail(429, "rate_limit_error", "slow down"),
              Reply([text("done after retries")])]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api, max_retries=2), project, step="research", role="r",
                           task="t")
    assert result.ok and result.final_text == "done after retries"
    assert [r.status for r in api.requests] == [529, 429, 200]
    assert [r.headers.get("x-stainless-retry-count") for r in api.requests] == ["0", "1", "2"]
    assert result.turns == 1 and result.usage.requests == 1


def test_api_errors_after_retries_fail_the_step(project: Path) -> None:
    with FakeMessagesAPI([Fail(529), Fail(529)]) as api:
        result = run_agent(llm_for(api, max_retries=1), project, step="research", role="r",
                           task="t")
    assert not result.ok and result.reason.startswith("API error 529"), result.reason
    assert result.turns == 0 and len(api.requests) == 2
    assert API_KEY not in result.reason


# -- prompt caching and usage ----------------------------------------------------------------

def test_cache_breakpoints_and_usage_accounting(project: Path) -> None:
    (project / "a.txt").write_text("alpha\n")
    script = [Reply([tool_use("read_file", path="a.txt")]),
              Reply([tool_use("list_files")]),
              Reply([text("done")])]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="research", role="Role text.", task="t")
    assert result.ok
    bodies = [r.body or {} for r in api.message_requests]
    for r in api.message_requests:
        assert r.headers["anthropic-version"] == "2026-10-21"
        assert r.headers["authorization"] == f"Bearer {API_KEY}"
        assert (r.body or {})["model"] == MODEL
    # stable prefix: tools, then core system + role, each ending in an ephemeral breakpoint,
    # plus one moving breakpoint on the newest user turn
    for i, body in enumerate(bodies):
        assert cache_marks(body) == ["tool:run_command", "system:1", f"message:{2 * i}"]
        assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
        assert body["system"][1]["cache_control"] == {"type": "ephemeral"}
        assert json.dumps(body["tools"]) == json.dumps(bodies[0]["tools"])
        assert json.dumps(body["system"]) == json.dumps(bodies[0]["system"])
    # the server's usage, summed by the loop
    usages = [r.response["usage"] for r in api.message_requests]
    assert usages[0]["cache_read_input_tokens"] == 0 < usages[0]["cache_creation_input_tokens"]
    assert all(u["cache_read_input_tokens"] > 0 for u in usages[1:])  # the prefix is re-used
    total = result.usage.as_dict()
    for key, field in [("input", "input_tokens"), ("cache_read", "cache_read_input_tokens"),
                       ("cache_write", "cache_creation_input_tokens"),
                       ("output", "output_tokens")]:
        assert total[key] == sum(u[field] for u in usages)
    price = PRICES["claude-sonnet-4"]
    expected = sum(u["input_tokens"] * price.input + u["output_tokens"] * price.output
                   + u["cache_read_input_tokens"] * price.cache_read
                   + u["cache_creation_input_tokens"] * price.cache_write for u in usages) / 1e6
    assert total["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert result.step_result().usage == total


# -- transcripts -----------------------------------------------------------------------------

def test_transcript_records_everything_and_no_secret(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    conf_secret = "dapi-0123456789abcdef-conf"
    env_secret = "ghp_envSECRETvalue987"
    pw_secret = "hunter2-db-password"
    (project / "sub").mkdir()
    (project / "sub" / "dev_config.json").write_text(json.dumps(
        {"host": "adb-1.azuredatabricks.net", "token": conf_secret}))
    (project / "notes.txt").write_text(f"the token is {conf_secret} and pw {pw_secret}\n")
    monkeypatch.setenv("CF_GITHUB_TOKEN", env_secret)
    monkeypatch.setenv("WAREHOUSE_PASSWORD", pw_secret)
    script = [
        Reply([tool_use("read_file", path="notes.txt")]),
        Reply([tool_use("read_file", path="sub/dev_config.json")]),
        Reply([tool_use("write_file", path="out.txt", content=f"copied {env_secret}")]),
        Reply([text(f"I saw {conf_secret} and {env_secret}.")]),
    ]
    with FakeMessagesAPI(script) as api:
        result = run_agent(llm_for(api), project, step="research", role="r",
                           task=f"Use the token {env_secret} if needed.")
    assert result.ok
    raw = result.transcript.read_text()
    records = [json.loads(line) for line in raw.splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("request") == kinds.count("response") == 4 and kinds.count("tool") == 3
    for secret in (conf_secret, env_secret, pw_secret, API_KEY):
        assert secret not in raw
    assert "***" in raw
    assert result.transcript.parent == project / ".cf" / "transcripts"
    assert result.transcript.name.startswith("research-")
    assert oct(result.transcript.stat().st_mode & 0o777) == "0o600"
    # tool output is masked before the model sees it, and secret files are refused
    first_body = json.dumps(api.message_requests[0].body)
    assert env_secret not in first_body and "Use the token ***" in first_body
    seen = [result_text(last_tool_results(r.body or {})[0]) for r in api.message_requests[1:3]]
    assert seen[0] == "the token is *** and pw ***\n"
    assert seen[1].startswith("refused:") and "holds secrets" in seen[1]


# -- resume ----------------------------------------------------------------------------------

def test_an_interrupted_step_resumes_from_its_transcript(project: Path) -> None:
    with FakeMessagesAPI([Reply([tool_use("write_file", path="a.txt", content="A")])]) as api:
        first = run_agent(llm_for(api), project, step="research", role="r", task="write a.txt",
                          limits=Limits(max_turns=1))
    assert not first.ok and first.reason == "turn limit 1 reached"
    assert latest_transcript(project, "research") == first.transcript
    history = history_from_transcript(first.transcript)
    assert [m["role"] for m in history] == ["user", "assistant"]
    with FakeMessagesAPI([Reply([text("resumed and done")])]) as api:
        second = run_agent(llm_for(api), project, step="research", role="r",
                           task="write a.txt", history=history)
    assert second.ok and second.final_text == "resumed and done"
    body = api.message_requests[0].body or {}
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][0]["content"][0]["text"] == "write a.txt"
    assert result_text(last_tool_results(body)[0]).startswith("wrote a.txt")
    assert (project / "a.txt").read_text() == "A"


# -- parallel agents -------------------------------------------------------------------------

def _item_model(body: dict[str, Any]) -> Reply:
    """A scripted model for any work item: write the file the task names, then stop."""
    first = body["messages"][0]["content"]
    task = first if isinstance(first, str) else first[0]["text"]
    if len(body["messages"]) == 1:
        name = task.split()[-1]
        return Reply([tool_use("write_file", path=f"out/{name}", content=task)])
    return Reply([text("done")])


def test_independent_work_items_run_in_parallel(project: Path) -> None:
    items = ["one.txt", "two.txt", "three.txt", "four.txt"]
    script: list[Turn] = [_item_model] * (2 * len(items))
    with FakeMessagesAPI(script) as api:
        llm = llm_for(api)

        def work(item: str) -> Any:
            return run_agent(llm, project, step=f"scaffold-{item}", role="r",
                             task=f"write {item}")

        outcomes = run_parallel(items, work, max_workers=2)
    assert all(o.ok and o.result is not None and o.result.ok for o in outcomes)
    for item in items:
        assert (project / "out" / item).read_text() == f"write {item}"
    transcripts = {o.result.transcript for o in outcomes if o.result is not None}
    assert len(transcripts) == len(items)
    assert len(api.message_requests) == 2 * len(items)
