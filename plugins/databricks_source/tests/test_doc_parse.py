"""API documents in YAML: the YAML 1.2 core schema with text keys (``doc_parse.load_api_yaml``),
the rapidyaml fast path taken only when it equals the exact libyaml path, on an edge-case corpus,
every core spelling of up to four characters, the real ``oas-examples`` documents and GitHub's
description written as YAML."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cf_databricks_source import doc_input, doc_parse
from cf_databricks_source.openapi_research import research

#: (YAML text, the value the core schema gives, whether the fast path must be taken).
CASES: list[tuple[str, Any, bool]] = [
    ("a: 1\nb: -2\nc: 1.5\nd: 1e3\ne: true\nf: false\ng: null\nh:\n",
     {"a": 1, "b": -2, "c": 1.5, "d": 1000.0, "e": True, "f": False, "g": None, "h": None}, True),
    ("a: '1'\nb: \"true\"\nc: 'null'\nd: '1.5'\n",
     {"a": "1", "b": "true", "c": "null", "d": "1.5"}, True),
    ("a: ~\n", {"a": None}, False),
    ("a: [Null, NULL, True, TRUE, False, FALSE]\n", {"a": [None, None, True, True, False, False]},
     False),
    ("a: [.inf, -.inf, +.inf, .Inf, .INF, .nan, .NaN, .NAN]\n",
     {"a": [math.inf, -math.inf, math.inf, math.inf, math.inf, math.nan, math.nan, math.nan]},
     False),
    ("a: [inf, infinity, nan, Infinity, INF, -inf, +.nan, -.nan]\n",
     {"a": ["inf", "infinity", "nan", "Infinity", "INF", "-inf", "+.nan", "-.nan"]}, False),
    ("infinity: 1\nb: 2\n", {"infinity": 1, "b": 2}, True),  # ryml's ".inf" key repaired
    ("a: {infinity: 1, x: y}\nb:\n  infinity: [2]\n  c: 3\n",
     {"a": {"infinity": 1, "x": "y"}, "b": {"infinity": [2], "c": 3}}, True),  # both repaired
    ("inf: 1\ninfinity: 2\n", {"inf": 1, "infinity": 2}, False),
    ("a: [0x1F, 0o17, 012, -012, 00, 0e0, 01E3, +1, 1., .5, -.5, 01.5, 1_000, 0b101]\n",
     {"a": [31, 15, 12, -12, 0, 0.0, 1000.0, 1, 1.0, 0.5, -0.5, 1.5, "1_000", "0b101"]}, False),
    ("a: ['012', \"0x1F\", '00']\n", {"a": ["012", "0x1F", "00"]}, True),
    ("a: '012'\nb: 012\n", {"a": "012", "b": 12}, False),
    ("a: Null support\nb: 'Null'\n", {"a": "Null support", "b": "Null"}, True),
    ("a: 'Null'\nb: Null # c\n", {"a": "Null", "b": None}, False),
    ("a: 'Null'\nb: [Null , x]\n", {"a": "Null", "b": [None, "x"]}, False),
    ("a: 'Null'\nb: &x Null\n", {"a": "Null", "b": None}, False),
    ("a: [yes, No, on, off, y, n]\n", {"a": ["yes", "No", "on", "off", "y", "n"]}, True),
    ("a: [2021-03-04, 2025-01-01T00:00:00Z, 190:20:30]\n",
     {"a": ["2021-03-04", "2025-01-01T00:00:00Z", "190:20:30"]}, True),
    ("200: ok\n'201': made\n1.5: x\nnull: y\ntrue: z\n~: w\n",
     {"200": "ok", "201": "made", "1.5": "x", "null": "y", "true": "z", "~": "w"}, False),
    ("200: ok\n'201': made\n1.5: x\nnull: y\ntrue: z\n",
     {"200": "ok", "201": "made", "1.5": "x", "null": "y", "true": "z"}, True),
    ("base: &b {type: object, n: 1}\ncopy: *b\nlist: &l [1, 2]\nagain: *l\n",
     {"base": {"type": "object", "n": 1}, "copy": {"type": "object", "n": 1}, "list": [1, 2],
      "again": [1, 2]}, True),
    ("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n",
     {"a": {"x": 1, "y": 1}, "b": {"y": 2, "z": 2}, "c": {"x": 1, "y": 1, "z": 2, "w": 0}},
     False),
    ("a: &a {x: 1}\nd:\n  w: 0\n  <<: *a\n  x: 5\n", {"a": {"x": 1}, "d": {"x": 5, "w": 0}},
     False),
    ("'<<': {x: 1}\n", {"<<": {"x": 1}}, True),
    ("a: |\n  one\n  two\nb: >\n  f1\n  f2\n\n  f3\nc: |-\n  x\nd: |+\n  y\n\ne: x\n",
     {"a": "one\ntwo\n", "b": "f1 f2\nf3\n", "c": "x", "d": "y\n\n", "e": "x"}, True),
    ("a: 'it''s'\nb: \"tab\\there\"\nc: \"\\u00e9\\U0001F600\\N\\_\\L\\P\\/\"\nd: ü\n",
     {"a": "it's", "b": "tab\there", "c": "é😀\x85\xa0\u2028\u2029/", "d": "ü"}, True),
    ('a: "\\0\\a\\b\\e"\n', {"a": "\0\a\b\x1b"}, False),  # ryml's JSON: raw control characters
    ("a: plain\n  folded line\nb: 'multi\n  line'\n",
     {"a": "plain folded line", "b": "multi line"}, True),
    ("x: 1\nx: 2\ny: 3\n", {"x": 2, "y": 3}, True),  # duplicate keys: the last value wins
    ("a: !!str 123\n", {"a": "123"}, False),
    ("a: !!int 0x1F\nb: !!float 1\n", {"a": 31, "b": 1.0}, False),
    ("note: '> [!NOTE]'\n", {"note": "> [!NOTE]"}, True),
    ("a: 1 # a comment!\n", {"a": 1}, False),
    ("---\na: 1\n", {"a": 1}, True),
    ("%YAML 1.2\n---\na: 1\n...\n", {"a": 1}, True),
    ("\ufeffa: 1\n", {"a": 1}, True),
    ("a: " + "x" * 3000 + "\n", {"a": "x" * 3000}, True),  # long lines, no long key
    ("a: 1\r\nb: |\r\n  x\r\n  y\r\nc: >\r\n  p\r\n  q\r\nd: 'm\r\n  n'\r\n",
     {"a": 1, "b": "x\ny\n", "c": "p q\n", "d": "m n"}, True),
    # libyaml reads U+0085 as a (YAML 1.1) line break, rapidyaml as a character: exact path
    ("a: 'x\u0085y'\n", {"a": "x y"}, False),
    ("[1, {b: 2}]\n", [1, {"b": 2}], True),
    ("", None, False),
    ("# only a comment\n", None, False),
    ("? a\n: b\n", {"a": "b"}, False),
    ("url: https://x/search?q={query}{&page,per_page}\nwhy: what? now\n",
     {"url": "https://x/search?q={query}{&page,per_page}", "why": "what? now"}, True),
]


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types, mapping keys in the same order, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def fast_or_none(text: str) -> tuple[bool, Any]:
    """``(taken, value)`` of the fast path."""
    try:
        return True, doc_parse.load_api_yaml_fast(text)
    except doc_parse.FastPathDeclined:
        return False, None


@pytest.mark.parametrize(("text", "expected", "fast"), CASES)
def test_both_paths_give_the_core_schema_value(text: str, expected: Any, fast: bool,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    assert same(doc_parse.load_api_yaml_exact(text), expected)
    assert same(doc_parse.load_api_yaml(text), expected)
    taken, value = fast_or_none(text)
    assert taken == fast
    if taken:
        assert same(value, expected)
    assert capfd.readouterr().err == ""  # ryml's C++ error lines never reach the user


@pytest.mark.parametrize("text", ["a: [1, {b: 2}\n", "a: b\n- c\n", "- a\n---\n- b\n",
                                  "a: !custom x\n", "? [a]\n: b\n", "a: b\u2028c\n",
                                  "a: '\x7f'\n", "k" * 1100 + ": v\n", "- {" + "k" * 1100 + ": 1}\n"])
def test_what_is_not_one_api_document_is_a_syntax_error_with_its_position(
        text: str, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(doc_parse.DocSyntaxError) as exact:
        doc_parse.load_api_yaml_exact(text)
    with pytest.raises(doc_parse.DocSyntaxError) as both:
        doc_parse.load_api_yaml(text)
    assert str(both.value) == str(exact.value) and both.value.line >= 1
    assert capfd.readouterr().err == ""


def test_every_short_core_spelling_reads_the_same_both_ways() -> None:
    taken = 0
    for size in range(1, 5):
        for chars in itertools.product("0.e+-x1o", repeat=size):
            word = "".join(chars)
            for text in (f"- {word}\n", f"{word}: v\n", f"- '{word}'\n"):
                try:
                    exact = doc_parse.load_api_yaml_exact(text)
                except doc_parse.DocSyntaxError:
                    continue
                ok, fast = fast_or_none(text)
                taken += ok
                assert not ok or same(fast, exact), text
    assert taken > 3000


def test_cf_yaml_keeps_pyyaml_semantics() -> None:
    assert doc_parse.load_cf_yaml("a: yes\n200: x\nb: 012\n") == {"a": True, 200: "x", "b": 10}
    assert doc_parse.load_api_yaml("a: yes\n200: x\nb: 012\n") == {"a": "yes", "200": "x",
                                                                  "b": 12}


def test_every_oas_example_in_yaml_reads_the_same_both_ways(inputs_dir: Path) -> None:
    reasons: Counter[str] = Counter()
    specs = sorted(p for p in (inputs_dir / "oas-examples").rglob("*")
                   if p.suffix in (".yaml", ".yml"))
    for spec in specs:
        text = spec.read_text(encoding="utf-8")
        try:
            exact = doc_parse.load_api_yaml_exact(text)
        except doc_parse.DocSyntaxError:
            reasons["not one document"] += 1
            continue
        try:
            fast = doc_parse.load_api_yaml_fast(text)
        except doc_parse.FastPathDeclined as declined:
            reasons[str(declined)] += 1
            continue
        reasons["fast"] += 1
        assert same(fast, exact), spec
    print(f"\n{len(specs)} oas-examples YAML documents: {dict(reasons)}")
    assert reasons["fast"] >= len(specs) // 2


@pytest.fixture(scope="session")
def github_yaml(inputs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GitHub's description written as YAML (once a session: about 7 s)."""
    data = json.loads((inputs_dir / "github" / "api.github.com.json").read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("github") / "api.github.com.yaml"
    path.write_text(doc_parse.dump_api_yaml(data), encoding="utf-8")
    return path


def test_github_as_yaml_is_the_json_and_takes_the_fast_path(inputs_dir: Path,
                                                            github_yaml: Path) -> None:
    spec = inputs_dir / "github" / "api.github.com.json"
    expected = json.loads(spec.read_text(encoding="utf-8"))
    got = doc_parse.load_api_yaml_fast(github_yaml.read_text(encoding="utf-8"))
    assert same(got, expected)
    doc_input.forget_parsed()
    from_json, from_yaml = research(spec, "gh"), research(github_yaml, "gh")
    doc_input.forget_parsed()
    assert [t.model_dump() for t in from_yaml.tables] == [t.model_dump() for t in from_json.tables]
    assert from_yaml.skipped == from_json.skipped and from_yaml.base_url == from_json.base_url


@pytest.mark.parametrize("value", [
    {"caf\u00e9": "na\u00efve \u2014 \U0001f600\U0001f601", "n": [1, "\u00e9\u00e9", "x\u00e9"]},
    ["\u4e2d\u6587", "\\\\ \u00e9", "a\\"], "\u00e9", {"\U0001f600": {"\u2028": "\u00ff"}},
])
def test_ascii_json_reads_to_the_same_value(value: Any) -> None:
    value = [value, "x" * 50_000]  # mostly ASCII, as the descriptions it is for
    data = json.dumps(value, ensure_ascii=False).encode()
    text = doc_parse.ascii_json(data)
    assert text is not None and text.isascii()
    assert json.loads(text) == value
    assert doc_parse.ascii_json(bytearray(data)) == text


@pytest.mark.parametrize("data", [
    b'["\x80"]', b'["\xc3"]', b'["\xc3x"]', b'["\xc0\x80"]', b'["\xf5\x80\x80\x80"]',
    b'["\xed\xa0\x80"]', b'["\\\xc3\xa9"]', ('["' + "\u00e9" * 10 + '"]').encode(),
])
def test_ascii_json_declines_what_it_cannot_keep(data: bytes) -> None:
    """Bytes that are not UTF-8, a character after a backslash (an invalid escape must stay one),
    and text with many non-ASCII characters (the plain decode is faster) are left to the
    decoder."""
    if b"\xc3\xa9" * 10 not in data:
        data = data[:-1] + b', "' + b"x" * 50_000 + b'"]'
    assert doc_parse.ascii_json(data) is None
