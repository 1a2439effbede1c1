"""The connector rollout playbook a plan follows: the checkout's own when it has one.

Read from ``skills/connector-rollout-playbook/`` in the checkout (else the copy shipped in
``data/playbook/``, written for this plugin in the same layout):

- ``references/rollout-template.md``: the plan's title and headings (``##`` sections lettered
  ``A)``…, ``###`` phases and waves) and each section's ``- Label:`` items, used verbatim;
- ``SKILL.md``: the numbered ``## Required Outputs``, the loop files named under
  ``## Collaboration Loop Requirements``, and the minimum UI quality checks;
- ``references/claude-agent-team-prompt.md``: the Claude handoff prompt, whose ``{PLACEHOLDER}``
  fields the rollout fills.

Source: ``Tophie726/Sophie-Hub2`` branch ``staging`` at 1ec4e980eb974d0df3926797de6988eebccae88b,
``skills/connector-rollout-playbook/SKILL.md`` and ``references/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

SKILL_DIR = "skills/connector-rollout-playbook"
TEMPLATE = "references/rollout-template.md"
PROMPT = "references/claude-agent-team-prompt.md"


@dataclass
class Block:
    """A heading with the ``- Label:`` items and other lines under it."""

    heading: str
    labels: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)


@dataclass
class Playbook:
    """A parsed playbook (see the module doc); ``origin`` says where it was read."""

    origin: str
    title: str
    sections: list[Block]
    required_outputs: list[str]
    loop_files: list[str]
    ui_checks: list[str]
    prompt: str

    def section(self, letter: str) -> Block | None:
        """The section whose heading starts ``## <letter>)``."""
        for block in self.sections:
            if re.match(rf"^##\s+{letter}\)", block.heading):
                return block
        return None

    def headings(self) -> list[str]:
        """Every heading of the template, in order (title first)."""
        out = [self.title]
        for block in self.sections:
            out.append(block.heading)
            out += [child.heading for child in block.children]
        return out


def parse_template(text: str) -> tuple[str, list[Block]]:
    """The title line and the ``##`` blocks (with ``###`` children) of a rollout template."""
    title, sections = "", []
    current: Block | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("# ") and not title:
            title = line
        elif line.startswith("## "):
            sections.append(Block(line))
            current = sections[-1]
        elif line.startswith("### ") and sections:
            sections[-1].children.append(Block(line))
            current = sections[-1].children[-1]
        elif current is not None and line.strip():
            label = re.match(r"^- ([^\[].*?:)(\s.*)?$", line)
            if label:
                tail = (label.group(2) or "").strip()
                current.labels.append(label.group(1) + (f" {tail}" if tail and "{" not in tail
                                                        else ""))
            else:
                current.lines.append(line)
    return title, sections


def _section_lines(text: str, heading: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().lower() == heading.lower()
            continue
        if inside:
            lines.append(line)
    return lines


def parse_skill(text: str) -> tuple[list[str], list[str], list[str]]:
    """Required outputs, loop file names and minimum UI checks of a ``SKILL.md``."""
    outputs = [re.sub(r"^\d+\.\s+", "", line).strip()
               for line in _section_lines(text, "Required Outputs")
               if re.match(r"^\d+\.\s+", line)]
    loop = [name for line in _section_lines(text, "Collaboration Loop Requirements")
            for name in re.findall(r"`([^`/]+\.md)`", line)]
    ui, inside = [], False
    for line in text.splitlines():
        if re.match(r"^Minimum UI quality checks", line):
            inside = True
            continue
        if inside:
            if line.startswith("- "):
                ui.append(line[2:].strip())
            elif line.startswith("#"):
                break
    return outputs, list(dict.fromkeys(loop)), ui


def _read(root: Path | None, rel: str) -> tuple[str, str] | None:
    if root is not None and (root / SKILL_DIR / rel).is_file():
        return (root / SKILL_DIR / rel).read_text(encoding="utf-8"), f"{SKILL_DIR}/{rel}"
    return None


def _shipped(rel: str) -> str:
    return (resources.files("cf_sophiehub_rollout") / "data" / "playbook" / rel).read_text(
        encoding="utf-8")


def load_playbook(root: Path | None) -> Playbook:
    """The checkout's playbook files where present, the shipped copy for those missing."""
    parts = {}
    origins = []
    for rel in ("SKILL.md", TEMPLATE, PROMPT):
        found = _read(root, rel)
        if found:
            parts[rel] = found[0]
            origins.append(found[1])
        else:
            parts[rel] = _shipped(rel)
    title, sections = parse_template(parts[TEMPLATE])
    outputs, loop, ui = parse_skill(parts["SKILL.md"])
    origin = ("the checkout's " + ", ".join(origins)) if origins else "the shipped playbook"
    if origins and len(origins) < 3:
        origin += " (the shipped copy for the rest)"
    return Playbook(origin=origin, title=title, sections=sections, required_outputs=outputs,
                    loop_files=loop, ui_checks=ui, prompt=parts[PROMPT])


def fill_prompt(prompt: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """``prompt`` with its ``{NAME}`` fields filled from ``values``; returns the text and the
    fields it had no value for (left as ``to confirm``)."""
    missing: list[str] = []

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if values.get(key):
            return values[key]
        missing.append(key)
        return "to confirm"

    return re.sub(r"\{([A-Z][A-Z_]*)\}", sub, prompt), missing
