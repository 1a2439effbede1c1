"""``templates.generate`` renders as ``cookiecutter.main.cookiecutter`` does: the shipped
templates with their defaults (or fail the same way where they need a run's context: the
plugins' suites render those with real plans) and a template using every feature they use
come out byte for byte the same, without importing requests."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from connector_factory.templates import generate

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(p for p in (ROOT / "cookiecutters").iterdir() if p.is_dir())


def _tree(folder: Path) -> dict[str, tuple[bytes, bool]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), bool(p.stat().st_mode & 0o100))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _by_cookiecutter(template: Path, context: dict[str, object], out: Path) -> Path:
    from cookiecutter.main import cookiecutter

    config = {"replay_dir": str(out / "replay"), "cookiecutters_dir": str(out / "cache"),
              "default_context": {}, "abbreviations": {}}
    return Path(cookiecutter(str(template), no_input=True, extra_context=context,
                             output_dir=str(out / "main"), default_config=config,
                             accept_hooks=False))


#: A template using what the shipped ones use: private literals copied as they are, a derived
#: default, a list and a mapping, jinja environment options, a templated file name, a file not
#: rendered, an executable file.
FEATURES = {
    "cookiecutter.json": json.dumps({
        "name": "Demo Thing", "slug": "{{ cookiecutter.name|lower|replace(' ', '_') }}",
        "fruits": ["a", "b"], "meta": {"k": "v"}, "_literal": "{'x': '{{ not jinja }}'}",
        "_copy_without_render": ["raw/*"], "_jinja2_env_vars": {"trim_blocks": True}}),
    "{{cookiecutter.slug}}/README.md": "# {{ cookiecutter.name }}\n{% for i in "
    "cookiecutter.fruits %}\n- {{ i }}\n{% endfor %}\n{{ cookiecutter.meta.k }} "
    "{{ cookiecutter._literal }}\n{{ cookiecutter._template|length > 0 }}\n",
    "{{cookiecutter.slug}}/{{cookiecutter.slug}}.py": "NAME = {{ cookiecutter.slug|tojson }}\n",
    "{{cookiecutter.slug}}/raw/keep.txt": "{{ left as is }}\n",
    "{{cookiecutter.slug}}/run.sh": "#!/bin/sh\necho {{ cookiecutter.slug }}\n",
}


def _features(root: Path) -> Path:
    for rel, text in FEATURES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "{{cookiecutter.slug}}" / "run.sh").chmod(0o755)
    return root


def _same(template: Path, context: dict[str, object], out: Path) -> None:
    try:
        theirs: Path | Exception = _by_cookiecutter(template, context, out / "cc")
    except Exception as exc:  # a template that needs a run's context fails both ways
        theirs = exc
    if isinstance(theirs, Exception):
        with pytest.raises(type(theirs)):
            generate(template, context, out / "gen")
        return
    mine = generate(template, context, out / "gen")
    assert mine.name == theirs.name
    assert _tree(mine) == _tree(theirs), f"{template.name} with {context}"


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_each_shipped_template_renders_as_cookiecutter_does(template: Path,
                                                            tmp_path: Path) -> None:
    _same(template, {}, tmp_path)


@pytest.mark.parametrize("context", [{}, {"name": "Other One", "fruits": "a",
                                          "_literal": "{{ raw }}"}])
def test_what_the_templates_use_renders_as_cookiecutter_does(context: dict[str, object],
                                                              tmp_path: Path) -> None:
    template = _features(tmp_path / "template")
    _same(template, context, tmp_path)
    rendered = next((tmp_path / "gen").iterdir())  # it rendered (not failed both ways)
    assert (rendered / "raw" / "keep.txt").read_text() == "{{ left as is }}\n"
    assert (rendered / "run.sh").stat().st_mode & 0o100


def test_generate_imports_no_requests(tmp_path: Path) -> None:
    template = _features(tmp_path / "template")
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from connector_factory.templates import generate
        generate(Path({str(template)!r}), {{}}, Path({str(tmp_path / "out")!r}))
        print("requests" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "False", done.stderr
