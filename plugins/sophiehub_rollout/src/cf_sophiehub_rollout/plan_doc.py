"""The rollout plan as Markdown, in the playbook template's own headings and items.

Every heading of the template appears verbatim (the title with ``{ConnectorName}`` filled);
each ``- Label:`` item of a section is kept verbatim and filled below it from the plan; an
item the plan cannot fill says ``to confirm`` and becomes an open question. Phases follow the
template's ``### Phase N`` headings, waves its ``### Wave N`` heading form (one per wave of the
task graph). Section J always lists open questions and at least the assumptions made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cf_sophiehub_rollout.playbook import Block, Playbook

Plan = dict[str, Any]
Filler = Callable[[Plan], list[str]]


def _links(p: Plan) -> list[str]:
    return [f"Link {i}: {link['external_field']} -> {link['entity']}"
            f"{' + ' + link['key'] if link['key'] else ''} (source `{link['source']}`)"
            for i, link in enumerate(p["links"], 1)]


def _enforced(link: dict[str, Any]) -> str:
    if link.get("reuse"):
        return "as the checkout has it (reused source)"
    if link["cardinality"] == "1:1":
        return f"DB: partial unique index `entity_external_ids_one_{link['source']}_per_entity`"
    return "app (many rows allowed)"


def _env_lines(p: Plan) -> list[str]:
    lines = []
    for var in p["env"]:
        where = p["env_where"].get(var)
        lines.append(f"`{var}` — " + (f"read by {where}" if where else "still to build"))
    return lines


def _smoke(p: Plan) -> list[str]:
    first = p["api_routes"][0] if p["api_routes"] else f"/api/{p['name']}/sync"
    return [f"1. call `{first}` once with a page size of 1: it answers 200 and writes one row "
            f"to `{p['sync_table']}`",
            "2. link one test entity per source ("
            + ", ".join(link["source"] for link in p["links"]) + ") and check the rows in "
            "`entity_external_ids`",
            "3. for each 1:1 source, try a second link for the same entity: it must be refused",
            "4. run the sync twice: the second run reads only what changed since the watermark"]


#: Per section letter: (keyword regex on the lower-cased label, filler) in order of preference.
FILLERS: dict[str, list[tuple[str, Filler]]] = {
    "A": [(r"why", lambda p: [link["purpose"] or f"link {link['external_field']} to "
                              f"{link['entity']}" for link in p["links"]]),
          (r"decision|metric|unlock", lambda p: p["phases"][2]["deliverables"]
           + [f"scope: {p['phases'][2]['scope']}"]),
          (r"success", lambda p: [p["success"]])],
    "B": [(r"external system", lambda p: [p["display_name"] + (
        f" (base URL from `{p['base_url_env']}`)" if p["base_url_env"] else "")]),
          (r"auth", lambda p: [p["auth_model"]]),
          (r"plan|tier|constraint|limit", lambda p: [
              f"rate limit: {p['limits']['rate_limit']}",
              f"retention: {p['limits']['retention']}",
              "scopes: " + ", ".join(p["limits"]["scopes"])]),
          (r"pull", lambda p: [f"{p['pull_mode']}: {p['pull_mode_note']}"])],
    "C": [(r"^link", _links)],
    "D": [(r"onconflict", lambda p: [
        'mutation routes upsert `entity_external_ids` with `onConflict: "source,external_id"`: '
        "a re-sent link updates its row",
        "a 1:1 link that meets its unique index for another external ID is returned as 409, "
        "never silently replaced; a 1:N link adds a row"]),
          (r"metadata", lambda p: ["`linked_by` (user or `sync`), `linked_at`, `match_rule` ("
                                   + (", ".join(k for k in (link["key"] for link in p["links"])
                                                if k) or "match rule") + ")"])],
    "H": [(r"external app", lambda p: [f"create the {p['display_name']} app / token "
                                       f"({p['auth_model']}); see `{p['handoff']}`"]),
          (r"permission|scope", lambda p: p["limits"]["scopes"] or ["to confirm"]),
          (r"secret|env", _env_lines),
          (r"migration", lambda p: [f"`supabase/migrations/{p['migration']}` (re-running it is "
                                    "harmless)"]),
          (r"smoke", _smoke)],
}


def _fill_block(block: Block, letter: str, p: Plan, unfilled: list[str]) -> list[str]:
    out: list[str] = []
    done_link = False
    for label in block.labels:
        key = label.lower()
        if letter == "C" and key.startswith("link"):
            if not done_link:
                out += [f"- {line}" for line in _links(p)]
                done_link = True
            continue
        filler = next((f for pattern, f in FILLERS.get(letter, []) if re.search(pattern, key)),
                      None)
        out.append(f"- {label}")
        if filler is None:
            out.append("  - to confirm (see open questions)")
            unfilled.append(f"{block.heading.lstrip('# ')} — {label}")
        else:
            out += [f"  - {line}" for line in filler(p)]
    return out


def _phase(block: Block, phase: dict[str, Any], p: Plan, unfilled: list[str]) -> list[str]:
    out = [block.heading + (" (most urgent)" if phase["key"] == p["urgent_phase"] else ""), ""]
    for label in block.labels:
        key = label.lower()
        out.append(f"- {label}")
        if key.startswith("scope"):
            out.append(f"  - {phase['scope']}")
        elif key.startswith("deliverable"):
            out += [f"  - {d}" for d in phase["deliverables"]]
        elif key.startswith("validation"):
            out += [f"  - [ ] {t} — evidence: {e}" for t, e in phase["tests"]]
        elif key.startswith("ui"):
            if p["ui"]:
                out += [f"  - [ ] {check} — evidence: ui-ops review of {phase['ui_surface']}"
                        for check in p["ui_checks"]]
            else:
                out.append("  - UI is not in scope for this rollout")
        else:
            out.append("  - to confirm (see open questions)")
            unfilled.append(f"{block.heading.lstrip('# ')} — {label}")
    return [*out, ""]


def _waves(section: Block, p: Plan) -> list[str]:
    form = section.children[0].heading if section.children else "### Wave 1"
    labels = section.children[0].labels if section.children else ["Agent:", "Tasks:",
                                                                    "Blocks/unblocks:"]
    out = ["```mermaid", p["mermaid"], "```", ""]
    ids = {t["id"]: t for wave in p["waves"] for t in wave}
    for number, wave in enumerate(p["waves"], 1):
        out += [re.sub(r"\d+", str(number), form, count=1), ""]
        later = [t for w in p["waves"][number:] for t in w
                 if any(d in {x["id"] for x in wave} for d in t["depends_on"])]
        for label in labels:
            key = label.lower()
            out.append(f"- {label}")
            if key.startswith("agent"):
                out += [f"  - `{a}`" for a in dict.fromkeys(t["agent"] for t in wave)]
            elif key.startswith("task"):
                out += [f"  - `{t['id']}` ({t['agent']}): {t['title']}" for t in wave]
            else:
                deps = sorted({d for t in wave for d in t["depends_on"]})
                after = ", ".join(f"`{d}` ({ids[d]['agent']})" for d in deps)
                out += [f"  - depends on {after}" if deps
                        else "  - depends on nothing: starts at once"]
                unblocked = ", ".join(sorted({"`" + t["id"] + "`" for t in later}))
                out += [f"  - unblocks {unblocked}" if later
                        else "  - unblocks nothing: last wave"]
        out.append("")
    out.append(f"Each agent's handoff prompt is in `{p['docs']}/agents/`; the Claude team "
               f"prompt is `{p['docs']}/{p['prompt_file']}`.")
    return out


def render_plan(playbook: Playbook, p: Plan) -> str:
    """The plan Markdown for the plan context ``p`` (see :mod:`.plan_context`)."""
    unfilled: list[str] = []
    out = [playbook.title.replace("{ConnectorName}", p["display_name"]), "",
           f"Generated by Connector Factory (`sophiehub-rollout`) from {p['intake_source']}, "
           f"following {playbook.origin}.",
           f"Most urgent phase: **{p['urgent_phase']}**. Migration: "
           f"`supabase/migrations/{p['migration']}`.", ""]
    j_at = None
    for section in playbook.sections:
        letter_match = re.match(r"^##\s+([A-Z])\)", section.heading)
        letter = letter_match.group(1) if letter_match else ""
        out += [section.heading, ""]
        if letter == "D":
            table = [line for line in section.lines if line.startswith("|")][:2]
            out += table or ["| purpose | source | external ID | internal entity | cardinality |"
                             " enforced in |", "|---|---|---|---|---|---|"]
            out += [f"| {link['purpose'] or '—'} | `{link['source']}` | {link['external_field']}"
                    f" | {link['entity']} | {link['cardinality']} | {_enforced(link)} |"
                    for link in p["links"]]
            out.append("")
            out += _fill_block(section, letter, p, unfilled)
        elif letter == "E":
            for i, child in enumerate(section.children):
                if i < len(p["phases"]):
                    out += _phase(child, p["phases"][i], p, unfilled)
            continue
        elif letter == "F":
            out += _waves(section, p)
        elif letter == "G":
            for i, (risk, mitigation) in enumerate(p["risks"], 1):
                out += [f"- Risk {i}:", f"  - {risk}", f"  - Mitigation: {mitigation}"]
        elif letter == "I":
            boxes = [line for line in section.lines if line.startswith("- [")]
            out += boxes + [f"- [ ] {item}" for item in p["go_no_go"]]
        elif letter == "J":
            j_at = len(out)
            continue
        else:
            out += _fill_block(section, letter, p, unfilled)
        for child in section.children if letter not in ("E", "F") else []:
            out += ["", child.heading, "", *_fill_block(child, letter, p, unfilled)]
        out.append("")
    questions = [a["question"] for a in p["assumptions"]] + [
        f"template item not filled by the rollout: {u}" for u in unfilled] + p["questions"]
    assumed = [f"{a['question']} → {a['assumed']}" for a in p["assumptions"]] + p["notes"]
    j_lines = [f"- Q{i}: {q}" for i, q in enumerate(questions, 1)]
    j_lines += ["- Assumptions made:"] + [f"  - {a}" for a in assumed]
    if p["to_build"]:
        j_lines += ["", "Still to build (not yet in the checkout): "
                    + ", ".join(p["to_build"]) + "."]
    j_lines.append("")
    if j_at is None:
        out += ["## Open questions and assumptions", "", *j_lines]
    else:
        out[j_at:j_at] = j_lines
    return "\n".join(out)
