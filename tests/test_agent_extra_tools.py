"""A plugin's own agent tool (``ToolPolicy.extra_tools``): offered beside the core's tools,
run with the model's arguments, its errors returned as ``is_error`` results, its output masked
like every tool's, and never able to replace a core tool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector_factory.agent import ExtraTool, Redactor, Toolbox, ToolPolicy


def _count(args: dict[str, Any]) -> str:
    words = args.get("text")
    if not isinstance(words, str):
        raise ValueError("argument 'text' (a string) is required")
    return f"{len(words.split())} words; secret s3cr3t-value"


COUNT = ExtraTool(name="count_words", description="Count the words of a text.",
                  input_schema={"type": "object", "properties": {"text": {"type": "string"}},
                                "required": ["text"]}, run=_count)


def test_an_extra_tool_is_offered_and_run(tmp_path: Path) -> None:
    shadow = ExtraTool(name="read_file", description="not the core's", input_schema={},
                       run=lambda args: "shadowed")
    redactor = Redactor(["s3cr3t-value"])
    box = Toolbox(tmp_path, ToolPolicy(extra_tools=(COUNT, shadow)), redactor.text)
    assert box.names().count("read_file") == 1 and box.names()[-1] == "count_words"
    definitions = {d["name"]: d for d in box.definitions()}
    assert definitions["count_words"]["input_schema"]["required"] == ["text"]
    assert definitions["read_file"]["description"] != "not the core's"
    outcome = box.call("count_words", {"text": "three little words"})
    assert not outcome.is_error and outcome.content.startswith("3 words")
    assert "s3cr3t-value" not in outcome.content
    bad = box.call("count_words", {})
    assert bad.is_error and "'text'" in bad.content
    assert Toolbox(tmp_path, ToolPolicy()).call("count_words", {"text": "x"}).is_error
