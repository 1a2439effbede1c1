"""The ``--doc`` input: what it is (OpenAPI, prose, or refused with the reason), the fast JSON/YAML
parse (the same values as ``json.loads``/``yaml.safe_load``, syntax errors with line and column)
and one parse per document per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonref
import pytest
import yaml
from cf_databricks_source import doc_input, doc_parse
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_research import research
from connector_factory.errors import InputError

from tests.conftest import ROOT, RunCf

PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"

#: YAML features a hand-written description may use; ``doc_parse.load_yaml`` must give what
#: ``yaml.safe_load`` gives for each.
TRICKY_YAML = """\
openapi: 3.0.3
plain: text
quoted: '2025-01-01T00:00:00Z'
stamp: 2025-01-01T00:00:00Z
day: 2021-03-04
ints: [1, -2, 0x1F, 0o17, 1_000, +3]
floats: [1.5, -.inf, .NaN, 1e3, 6.8523015e+5, 0.16001e0]
bools: [yes, No, true, FALSE, on, off]
nulls: [~, null, Null, '']
empty:
binary: !!binary aGVsbG8=
forced: !!str 123
200: int key
'201': str key
base: &base {type: object, nullable: true}
copy: *base
merged:
  <<: *base
  type: string
merged_list:
  <<: [*base, {extra: 1}]
  own: 2
omap: !!omap [{a: 1}, {b: 2}]
set: !!set {a, b}
folded: >
  one
  two
literal: |
  keep
   indent
"""


def _where(path: Path) -> str:
    return f"--doc {path}"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    doc_input.forget_parsed()


def test_load_cf_yaml_gives_what_safe_load_gives() -> None:
    expected = yaml.safe_load(TRICKY_YAML)
    got = doc_parse.load_cf_yaml(TRICKY_YAML)
    assert repr(got) == repr(expected)  # repr: NaN != NaN, and key order counts
    assert got["copy"] is got["base"]  # an alias is the same object, as with PyYAML
    assert doc_parse.load_api_yaml("") is None and doc_parse.load_api_yaml("# only a comment\n") is None


def test_load_yaml_and_json_agree_on_real_documents(inputs_dir: Path) -> None:
    root = inputs_dir / "oas-examples"
    pairs = 0
    for spec in sorted((root / "3.0" / "yaml").glob("*.yaml")):
        twin = root / "3.0" / "json" / f"{spec.stem}.json"
        text = spec.read_text(encoding="utf-8")
        assert repr(doc_parse.load_api_yaml(text)) == repr(doc_parse.load_api_yaml_exact(text)), spec
        if twin.is_file():
            assert doc_parse.load_json(twin.read_text(encoding="utf-8")) == json.loads(
                twin.read_text(encoding="utf-8")), twin
            pairs += 1
    assert pairs >= 20


def test_a_mapping_hook_sees_each_mapping_once_bottom_up() -> None:
    seen: list[list[str]] = []

    def hook(mapping: dict[str, object]) -> object:
        seen.append(sorted(mapping))
        return mapping

    doc_parse.load_api_yaml("a: {b: {c: 1}}\nd: [{e: 2}]\n", hook)
    assert seen == [["c"], ["b"], ["e"], ["a", "d"]]
    seen.clear()
    doc_parse.load_json('{"a": {"b": {"c": 1}}, "d": [{"e": 2}]}', hook)
    assert seen == [["c"], ["b"], ["e"], ["a", "d"]]


def test_refs_are_lazy_proxies_resolved_on_first_read(tmp_path: Path) -> None:
    spec = tmp_path / "refs.yaml"
    spec.write_text("openapi: 3.0.0\npaths: {}\ncomponents:\n  schemas:\n"
                    "    A: {type: object, properties: {b: {$ref: '#/components/schemas/B'}}}\n"
                    "    B: {type: array, items: {$ref: '#/components/schemas/A'}}\n"
                    "    Far: {$ref: 'other.yaml#/X'}\n", encoding="utf-8")
    data = doc_input.parsed_document(spec)
    schemas = data["components"]["schemas"]
    link = schemas["A"]["properties"]["b"]
    assert isinstance(link, jsonref.JsonRef)
    assert link.__reference__ == {"$ref": "#/components/schemas/B"}
    assert link["type"] == "array" and link["items"]["type"] == "object"  # a cycle, tolerated
    with pytest.raises(jsonref.JsonRefError, match=r"other\.yaml"):
        dict(schemas["Far"])  # another file is never fetched


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.json", '{\n  "openapi": "3.0.0",\n  "paths": {,}\n}\n',
     "is not valid JSON: line 3, column 13: Expecting property name enclosed in double quotes"),
    ("broken.yaml", "openapi: 3.0.0\npaths:\n  /a: [1\n  /b: 2\n",
     "is not valid YAML: line 4, column 5: "),
    ("noext", "openapi: 3.0.0\ninfo:\n  title: x\n   bad: indent\n",
     "is not valid YAML: line 4, column 7: mapping values are not allowed"),
    ("tagged.yaml", "openapi: 3.0.0\npaths: !include other.yaml\n",
     "is not valid YAML: line 2, column 8: could not determine a constructor for the tag"),
    ("empty.yaml", "", "is empty"),
    ("blank.md", "  \n\n\t\n", "is empty"),
    ("comments.yaml", "# nothing here\n", "is empty (no value)"),
    ("config.json", '{"name": "not an api"}', "is JSON/YAML but not an OpenAPI 3.x or Swagger"),
    ("list.yaml", "- a\n- b\n", "is JSON/YAML but not an OpenAPI 3.x or Swagger"),
])
def test_a_bad_doc_is_refused_naming_the_problem(tmp_path: Path, name: str, content: str,
                                                 message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        doc_input.classify_doc(str(path))
    line = caught.value.one_line()
    assert f"{_where(path)} {message}" in line, line
    assert "\n" not in line and "fix:" in line


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    bytes(range(1, 32)) * 40 + b"\xff\xfe\xfd",
])
def test_a_binary_doc_is_refused_and_never_reaches_the_model(tmp_path: Path,
                                                             content: bytes) -> None:
    path = tmp_path / "api.md"
    path.write_bytes(content)
    with pytest.raises(InputError, match="is a binary file"):
        doc_input.classify_doc(str(path))


PROSE = ("The Widgets API lists widgets with GET /widgets and returns them one page at a time; "
         "authenticate with a bearer token in the Authorization header, and pass since to read "
         "only the widgets updated after a time.")


@pytest.mark.parametrize(("name", "content"), [
    ("api.md", f"# Widgets API\n\nopenapi: is mentioned here\n\n{PROSE}\n"),
    ("api.html", f"<html><body><h1>Widgets</h1><p>{PROSE}</p></body></html>"),
    ("notes", f"Authentication: a bearer token.\nBase URL: https://api.example.com\n{PROSE}\n"),
    ("readme.txt", f"{{curly}} braces in prose are fine in a .txt file. {PROSE}"),
    ("latin1.md", f"Caf\xe9 API. {PROSE}"),
])
def test_prose_goes_to_the_model(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1" if name.startswith("latin1") else "utf-8"))
    assert doc_input.classify_doc(str(path)) == ("text", str(path))


@pytest.mark.parametrize(("name", "content"), [
    ("notes", "Authentication: a bearer token.\nBase URL: https://api.example.com\n"),
    ("numbers.txt", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25\n"),
])
def test_what_does_not_read_as_prose_never_reaches_the_model(tmp_path: Path, name: str,
                                                            content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="does not read as an API description"):
        doc_input.classify_doc(str(path))


def test_descriptions_in_every_spelling_are_openapi(tmp_path: Path) -> None:
    text = PETSTORE.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    spellings = {"a.yaml": text, "a.yml": text, "a": text, "a.txt.json": json.dumps(data),
                 "bom.yaml": "\ufeff" + text}
    for name, content in spellings.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert doc_input.classify_doc(str(path)) == ("openapi", str(path)), name
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(json.dumps(data).encode("utf-16"))
    assert doc_input.classify_doc(str(utf16))[0] == "openapi"


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the one parse function, by ``where`` (instrumented, still the real one)."""
    calls: list[str] = []
    real = doc_input.parse_text

    def counting(text: str, base_uri: str, where: str) -> object:
        calls.append(where)
        return real(text, base_uri, where)

    monkeypatch.setattr(doc_input, "parse_text", counting)
    return calls


def test_classify_then_research_parse_once_and_a_change_parses_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_parses(monkeypatch)
    spec = tmp_path / "petstore.yaml"
    spec.write_text(PETSTORE.read_text(encoding="utf-8"), encoding="utf-8")
    assert doc_input.classify_doc(str(spec))[0] == "openapi"
    first = research(spec, "pet")
    assert research(spec, "pet") == first
    assert len(calls) == 1
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: Petstore", "title: Shop"),
                    encoding="utf-8")
    os.utime(spec, ns=(spec.stat().st_atime_ns, spec.stat().st_mtime_ns + 10**9))
    assert research(spec, "pet").title != first.title
    assert len(calls) == 2


def test_plan_and_research_steps_share_one_parse_and_scaffold_reads_the_plan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cf: RunCf) -> None:
    calls = _count_parses(monkeypatch)
    spec = tmp_path / "petstore.yaml"
    spec.write_text(PETSTORE.read_text(encoding="utf-8"), encoding="utf-8")
    project = tmp_path / "pet"
    run_cf("new", "--target", "databricks-source", "pet", "--doc", str(spec),
           "--out", str(tmp_path), expect=1)  # plan runs, its gate waits
    run_cf("research", "--project", str(project), "--yes")
    assert len(calls) == 1, calls
    spec.unlink()  # later steps read the plan in the api doc, not the document
    run_cf("scaffold", "--project", str(project), "--yes")
    api_doc = Layout(name="pet", in_repo=False).api_doc_file
    assert (project / api_doc).is_file() and len(calls) == 1


def test_research_imports_no_http_client() -> None:
    code = ("import sys; from pathlib import Path\n"
            "from cf_databricks_source.openapi_research import research\n"
            f"research(Path({str(PETSTORE)!r}), 'pet')\n"
            "print(sorted(m for m in ('requests', 'urllib3', 'jsonref') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stdout.strip() == "['jsonref']", done.stdout + done.stderr


def _parse_file(path: Path) -> object:
    return doc_input.parse_text(doc_input.read_doc(path, path.name), path.as_uri(), path.name)


@pytest.mark.parametrize(("name", "content"), [
    ("plain.yaml", "openapi: 3.0.0\ninfo: {title: Caf\u00e9 \U0001f600}\npaths: {}\n".encode()),
    ("bom.yaml", b"\xef\xbb\xbfopenapi: 3.0.0\ninfo: {title: x}\npaths: {}\n"),
    ("comment.yaml", b"openapi: 3.0.0 # caf\xe9 in Latin-1\ninfo: {title: x}\npaths: {}\n"),
    ("scalar.yaml", b"openapi: 3.0.0\ninfo: {title: caf\xe9}\npaths: {}\n"),
    ("key.yaml", b"openapi: 3.0.0\ninfo: {caf\xe9: 1}\npaths: {}\n"),
    ("cut.yaml", "openapi: 3.0.0\ninfo: {title: \u00e9".encode()[:-1] + b"}\npaths: {}\n"),
])
def test_yaml_read_off_the_bytes_equals_the_decoded_text(tmp_path: Path, name: str,
                                                         content: bytes) -> None:
    """Research parses a UTF-8 YAML document from its bytes; the value is the exact reader's
    of the text as read_doc decodes it (a BOM dropped, bytes that are not UTF-8 as U+FFFD)."""
    path = tmp_path / name
    path.write_bytes(content)
    expected = doc_parse.load_api_yaml_exact(content.decode("utf-8-sig", errors="replace"))
    assert _parse_file(path) == expected
    assert doc_input.classify_doc(str(path))[0] == "openapi"


def test_a_large_yaml_document_is_parsed_without_decoding_its_text(tmp_path: Path) -> None:
    path = tmp_path / "petstore.yaml"
    path.write_bytes(PETSTORE.read_bytes())
    content = doc_input.read_doc(path, path.name)
    data = doc_input.parse_text(content, path.as_uri(), path.name)
    refs = doc_parse.LazyRefs(path.as_uri(), doc_input._no_remote)
    text = PETSTORE.read_text(encoding="utf-8")
    assert data == refs.bind(doc_parse.load_api_yaml_exact(text, refs))
    assert content._text is None  # the text was never made


@pytest.mark.parametrize("content", [
    b"  \n\topenapi: 1", b"\xef\xbb\xbf {", b"\x1c\x1d[1]", "\u3000<p>".encode(),
    "\u00a0x".encode(), b"\xff\xfe" + " [".encode("utf-16-le"), b"\n\n# c\n", b"\xe9abc",
])
def test_the_first_character_is_the_texts(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "doc"
    path.write_bytes(content)
    from_bytes = doc_input.read_doc(path, "doc").first()
    assert from_bytes == doc_input.read_doc(path, "doc").text.lstrip()[:1]


def test_an_empty_document_is_refused_when_its_first_character_is_asked(tmp_path: Path) -> None:
    path = tmp_path / "blank.yaml"
    path.write_bytes(" \n\u3000\n".encode())
    with pytest.raises(InputError, match="is empty"):
        doc_input.read_doc(path, "blank.yaml").first()


def test_a_json_syntax_error_after_non_ascii_text_names_the_texts_column(tmp_path: Path) -> None:
    path = tmp_path / "api.json"
    text = '{"openapi": "3.0.0", "info": {"title": "Caf\u00e9 \U0001f600"}, "paths": {,}}\n'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(InputError) as caught:
        doc_input.classify_doc(str(path))
    assert f"line 1, column {expected.value.colno}:" in caught.value.one_line()
