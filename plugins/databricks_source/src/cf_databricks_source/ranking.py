"""Choosing tables when the user names none, and naming them.

A candidate's score adds what makes a table worth syncing — a key, an incremental read, paging,
wide records — and how central its resource is to the API: how many of the document's paths name
the resource (``issues`` appears in dozens of GitHub paths), whether it lives under the scope
most paths share (``/repos/{owner}/{repo}``), and whether the connector's name mentions it. It
subtracts for global firehoses ("Lists all public repositories"), admin-only and app-only
endpoints, API-discovery endpoints, deep fan-outs, deprecation and a credential the connector
would not have. At most one table per resource is chosen unprompted (the best-scored scope);
ties keep the document's order, never the alphabet. A child table's parent is always chosen
with it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connector_factory.errors import InputError

from cf_databricks_source.api_names import VERSION_SEGMENT
from cf_databricks_source.connector_plan import ConnectionOption, TablePlan
from cf_databricks_source.openapi_loader import Operation

#: Tables chosen when the user names none.
MAX_TABLES = 10
_FIREHOSE = re.compile(r"\b(lists? all|all public|every public|in the order that they|"
                       r"public timeline|firehose|global feed)\b", re.IGNORECASE)
_ADMIN = re.compile(r"\b(site administrators?|enterprise (owners?|administrators?)|"
                    r"must be an? (site |enterprise )?admin|admin(istrator)? (only|access)|"
                    r"stafftools)\b", re.IGNORECASE)
_APP_ONLY = re.compile(r"\b(JWT|as an? (github )?app\b|app installation token|"
                       r"installation access token)", re.IGNORECASE)
ADMIN_SEGMENTS = ("admin", "enterprise", "enterprises", "stafftools", "manage", "internal")
FIREHOSE_SEGMENTS = ("public", "firehose", "feeds", "feed")


@dataclass(eq=False)  # candidates are told apart by identity (each is one operation)
class Candidate:
    """A list endpoint that can be a table: its plan, facts for ranking and the score."""

    table: TablePlan
    op: Operation
    index: int
    resource: str
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    score: int = 0
    why: list[str] = field(default_factory=list)
    #: Why the endpoint should not be chosen unprompted ("" when nothing against it).
    flag: str = ""
    #: How many of the document's paths name the resource (the tie-break after the score).
    frequency: int = 0
    #: The candidate whose records fill this one's parent parameters.
    parent: Candidate | None = None
    #: Why the connector's credential cannot read it ("" when it can).
    credential_gap: str = ""
    #: Connection options its parameters need.
    connection: list[ConnectionOption] = field(default_factory=list)


def segments(path: str) -> list[str]:
    """The path's literal segments, without ``{params}`` and version prefixes."""
    return [s for s in path.strip("/").split("/")
            if s and not s.startswith("{") and not VERSION_SEGMENT.match(s)]


def scope(path: str) -> str:
    """The path up to its first run of parameters (``/repos/{owner}/{repo}``), or ``""``."""
    parts = path.strip("/").split("/")
    for i, part in enumerate(parts):
        if part.startswith("{"):
            j = i
            while j < len(parts) and parts[j].startswith("{"):
                j += 1
            return "/" + "/".join(parts[:j])
    return ""


@dataclass
class RankContext:
    """Document-wide counts: paths naming each resource, paths under each scope."""

    nouns: Counter[str]
    scopes: Counter[str]
    total: int
    name_words: set[str]

    @classmethod
    def of(cls, paths: list[str], name: str) -> RankContext:
        """The counts over every path of the document; ``name`` is the connector's name."""
        nouns: Counter[str] = Counter()
        for path in paths:
            nouns.update(set(segments(path)))
        scopes = Counter(s for s in (scope(p) for p in paths) if s)
        words = {w for w in name.lower().split("_") if len(w) >= 3}
        return cls(nouns=nouns, scopes=scopes, total=max(1, len(paths)), name_words=words)

    @property
    def core_scope(self) -> str:
        """The scope a fifth or more of the paths share (GitHub's ``/repos/{owner}/{repo}``)."""
        if not self.scopes:
            return ""
        top, count = self.scopes.most_common(1)[0]
        return top if count * 5 >= self.total else ""


def flag(op: Operation, text: str, has_params: bool, monotonic_since: bool) -> str:
    """Why ``op`` should not be chosen unprompted: firehose, admin- or app-only; else ``""``."""
    parts = [s.lower() for s in segments(op.path)]
    raw = op.path.rstrip("/").rsplit("/", 1)[-1]
    if op.path.endswith("/") or VERSION_SEGMENT.match(raw) or not parts:
        return "an API-discovery endpoint (lists the API's own resources)"
    if any(s in ADMIN_SEGMENTS for s in parts) or _ADMIN.search(text):
        return "admin-only"
    if _APP_ONLY.search(text) or (parts and parts[0] in ("app", "installation")):
        return "app-only (needs an app's credential)"
    if "search" in parts or "query" in parts:
        return "a search: its records depend on a query, not a collection"
    if not has_params and (any(s in FIREHOSE_SEGMENTS for s in parts) or _FIREHOSE.search(text)
                           or monotonic_since):
        return "a global firehose of every account's records"
    return ""


def score(c: Candidate, ctx: RankContext) -> None:
    """Set ``c.score`` and ``c.why``."""
    t = c.table
    points = 0
    why = [f"GET {t.path} lists {len(t.schema_.get('properties') or {})}-field records"]
    if t.primary_keys:
        points += 2
        why.append(f"keyed by {', '.join(t.primary_keys)}")
    else:
        points -= 3
        why.append("no key")
    if t.ingestion_type in ("cdc", "cdc_with_deletes"):
        server_side = bool(t.incremental and t.incremental.since_param)
        points += 4 if server_side else 2
        why.append(f"incremental on {t.cursor_field}"
                   + (f" via {t.incremental.since_param}" if server_side and t.incremental
                      else " (client-side)"))
    elif t.ingestion_type == "append":
        points += 3
        why.append(f"append on {t.cursor_field}")
    if t.pagination.style != "none":
        points += 1
        why.append(f"paginated ({t.pagination.style})")
    width = len(t.schema_.get("properties") or {})
    points += (width >= 5) + (width >= 12)
    frequency = c.frequency = ctx.nouns.get(c.resource, 0)
    if frequency >= 2:
        points += min(3, int(math.log2(frequency)))
        why.append(f"{c.resource} appears in {frequency} paths")
    if ctx.core_scope and scope(t.path) == ctx.core_scope:
        points += 2
        why.append(f"under the API's core scope {ctx.core_scope}")
    if ctx.name_words & {s.lower() for s in segments(t.path)}:
        points += 2
        why.append("named like the connector")
    points -= max(0, len(segments(t.path)) - 2)
    if c.parent is not None:
        points -= 1
        why.append(f"fans out over GET {c.parent.table.path}")
    if c.op.op.get("deprecated"):
        points -= 3
        why.append("deprecated")
    if c.flag:
        points -= 6
        why.append(c.flag)
    if c.credential_gap:
        points -= 4
        why.append(c.credential_gap)
    c.score, c.why = points, why


def assign_names(candidates: list[Candidate]) -> None:
    """Name every candidate: the shortest run of its path's last literal segments not taken by a
    better-scored candidate (``/repos/{owner}/{repo}/issues`` → ``issues``, then
    ``/issues/{issue_number}/comments`` → ``issues_comments``), suffixed ``_2`` … when all are."""
    used: set[str] = set()
    for c in sorted(candidates, key=lambda c: (-c.score, c.index)):
        parts = [_snake(s) for s in segments(c.table.path)] or ["records"]
        name = ""
        for n in range(1, len(parts) + 1):
            option = "_".join(parts[-n:]).strip("_")
            if option and option not in used:
                name = option
                break
        if not name:
            base, k = "_".join(parts), 2
            while f"{base}_{k}" in used:
                k += 1
            name = f"{base}_{k}"
        if not name[0].isalpha():
            name = f"t_{name}"
        used.add(name)
        c.table.name = name


def choose(candidates: list[Candidate], wanted: list[str] | None,
           skipped: dict[str, str]) -> list[Candidate]:
    """The chosen candidates (named ones, or the best :data:`MAX_TABLES`), parents included;
    the reason each other candidate was not chosen goes into ``skipped``.

    Raises:
        InputError: a name in ``wanted`` is neither a table name nor an endpoint path.
    """
    by_name = {c.table.name: c for c in candidates}
    by_key = by_name | {c.table.path: c for c in candidates}
    if wanted:
        missing = [w for w in wanted if w not in by_key]
        if missing:
            ranked = sorted(candidates, key=lambda c: (-c.score, c.index))
            names = ", ".join(c.table.name for c in ranked[:30])
            raise InputError(
                f"--tables {', '.join(missing)}: not among the {len(candidates)} list endpoints "
                "of the document",
                f"choose from (best first): {names}{' …' if len(candidates) > 30 else ''}")
        named = [by_key[w] for w in dict.fromkeys(wanted)]
        for c in named:
            c.table.reason = "named with --tables"
        named = _with_parents(named)
        for c in candidates:
            if c not in named:
                skipped[f"GET {c.table.path}"] = f"table {c.table.name}: not named with --tables"
        return named
    ranked = sorted(candidates, key=lambda c: (-c.score, -c.frequency, c.index))
    chosen: list[Candidate] = []
    resources: dict[str, str] = {}
    for c in ranked:
        if c in chosen:
            continue
        if c.flag or c.credential_gap:
            reason = f"{c.flag or c.credential_gap} (score {c.score})"
        elif len(chosen) >= MAX_TABLES:
            reason = f"lower score {c.score} ({'; '.join(c.why)})"
        elif c.resource in resources:
            reason = f"{resources[c.resource]} already lists {c.resource} (score {c.score})"
        else:
            family = _with_parents([c])
            extra = [f for f in family if f not in chosen]
            if len(chosen) + len(extra) > MAX_TABLES:
                reason = f"no room for it and its parent (score {c.score})"
            else:
                for f in extra:
                    chosen.append(f)
                    resources.setdefault(f.resource, f.table.name)
                    f.table.reason = ("" if f is c else f"parent of {c.table.name}; ") + (
                        "; ".join(f.why) + f" (score {f.score})")
                continue
        skipped[f"GET {c.table.path}"] = f"table {c.table.name}: {reason}"
    return chosen


def _with_parents(chosen: list[Candidate]) -> list[Candidate]:
    """``chosen`` with each one's parents (and theirs) placed before it."""
    out: list[Candidate] = []
    for c in chosen:
        line = [c]
        while line[-1].parent is not None and line[-1].parent not in line:
            line.append(line[-1].parent)
        for member in reversed(line):
            if member not in out:
                out.append(member)
                if member is not c and not member.table.reason:
                    member.table.reason = f"parent of {c.table.name}"
    return out


def _snake(text: str) -> str:
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
