"""With an LLM handle, a failing checkpoint gets the tester role's proposed fix: the real
`anthropic` client against a scripted Messages API on 127.0.0.1. The gate's verdict stands
whatever the model says, and an API failure leaves only a note."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from cf_airbyte_destination.plugin import propose_fix
from connector_factory.llm import AnthropicLLM
from connector_factory.testing.fake_messages_api import Fail, FakeMessagesAPI, Reply, text

FINDING = ("testUpsert (UpsertTest) — SQL syntax: syntax error at or near \"MERGE\" — fix "
           "client/PostgresSqlGenerator.kt")


def test_the_tester_role_proposes_a_fix(tmp_path: Path) -> None:
    advice = "Use INSERT … ON CONFLICT (pk) DO UPDATE in upsertTable; PostgreSQL 14 has no MERGE."
    with FakeMessagesAPI([Reply([text(advice)])]) as api:
        ctx = SimpleNamespace(llm=AnthropicLLM(api_key="sk-ant-x-1", base_url=api.base_url,
                                               model="claude-sonnet-4-6", max_retries=0))
        proposal = propose_fix(ctx, FINDING, tmp_path / "destination-postgres")
        body = json.dumps(api.requests[0].body)
    assert proposal == advice
    assert "MERGE" in body and "destination-postgres" in body and "tester" in body


def test_an_api_failure_is_only_a_note(tmp_path: Path) -> None:
    with FakeMessagesAPI([Fail(529, "overloaded")]) as api:
        ctx = SimpleNamespace(llm=AnthropicLLM(api_key="sk-ant-x-1", base_url=api.base_url,
                                               model="claude-sonnet-4-6", max_retries=0))
        proposal = propose_fix(ctx, FINDING, tmp_path / "destination-postgres")
    assert proposal.startswith("(no proposal:")
