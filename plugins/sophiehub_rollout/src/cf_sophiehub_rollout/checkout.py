"""What a Sophie Hub checkout already holds, read from its files (no database needed).

- :func:`sql_sources` / :func:`checkout_sources`: every ``entity_external_ids.source`` value the
  migrations use in statements (constraints, inserts, indexes, checks, deletes) and the code
  uses in queries and upserts (``.eq('source', 'x')``, ``source: 'x'``) — never values that only
  appear in comments.
- :func:`env_reads`: env vars read as ``process.env.X``, ``process.env['X']``, destructured from
  ``process.env``, through ``process.env[CONST]`` with ``CONST = 'X'``, and through helpers such as
  ``requireEnv(name)`` that read ``process.env[name]`` (then ``requireEnv('X')`` reads ``X``), in
  ``src/`` and in the root config files (``next.config.mjs`` …). Test files are not reads.
- :func:`routes`: Next.js route handlers ``src/app/api/**/route.ts`` with their HTTP methods.
- :func:`connector_env`: the env vars a connector's own code requires (its file under
  ``src/lib/connectors/``, ``src/lib/<name>/``, ``src/app/api/<name>/`` and what they import).

Source: ``Tophie726/Sophie-Hub2`` branch ``staging`` at 1ec4e980eb974d0df3926797de6988eebccae88b
(``supabase/migrations/*.sql``, ``src/lib/connectors/suptask.ts``, ``src/lib/suptask/client.ts``,
``src/lib/automation/slack-clickup-sync.ts``, ``next.config.mjs``, ``src/app/api/**/route.ts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MIGRATIONS_DIR = "supabase/migrations"
CODE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_SKIP_DIRS = {"node_modules", ".next", ".git", "dist", "build", "__tests__", "coverage", ".cf"}


@dataclass(frozen=True)
class Where:
    """A place in the checkout: ``path`` (relative) and 1-based ``line``."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class CheckoutFacts:
    """Everything :func:`read_checkout` finds; see the module doc for each part."""

    root: Path
    migrations: list[str] = field(default_factory=list)
    sources: dict[str, list[Where]] = field(default_factory=dict)
    env: dict[str, list[Where]] = field(default_factory=dict)
    routes: dict[str, set[str]] = field(default_factory=dict)
    connectors: list[str] = field(default_factory=list)


def strip_sql_comments(sql: str) -> str:
    """``sql`` with ``--`` and ``/* */`` comments blanked (newlines kept, so line numbers hold),
    string literals, quoted identifiers and dollar-quoted bodies left intact."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", sql[i:end]))
            i = end
        elif ch in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == ch and sql.startswith(ch * 2, j):
                    j += 2
                    continue
                if sql[j] == ch:
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif ch == "$":
            match = re.match(r"\$[A-Za-z_]*\$", sql[i:])
            if match:
                tag = match.group(0)
                end = sql.find(tag, i + len(tag))
                end = n if end < 0 else end + len(tag)
                out.append(sql[i:end])
                i = end
            else:
                out.append(ch)
                i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _statements(sql: str) -> list[tuple[int, str]]:
    """Top-level statements of comment-free ``sql`` with the line each starts on."""
    parts: list[tuple[int, str]] = []
    start, depth_quote, i, n = 0, "", 0, len(sql)
    while i < n:
        ch = sql[i]
        if depth_quote:
            if sql.startswith(depth_quote, i):
                i += len(depth_quote)
                depth_quote = ""
                continue
            i += 1
            continue
        if ch in ("'", '"'):
            depth_quote = ch
        elif ch == "$":
            match = re.match(r"\$[A-Za-z_]*\$", sql[i:])
            if match:
                depth_quote = match.group(0)
                i += len(depth_quote)
                continue
        elif ch == ";":
            parts.append((start, sql[start:i]))
            start = i + 1
        i += 1
    parts.append((start, sql[start:]))
    return [(sql.count("\n", 0, s + len(t) - len(t.lstrip())) + 1, t.strip())
            for s, t in parts if t.strip()]


_SOURCE_EQ = re.compile(r"\bsource\s*(?:=|<>|!=)\s*'([a-z][a-z0-9_]*)'", re.I)
_SOURCE_IN = re.compile(r"\bsource\s+(?:not\s+)?in\s*\(([^)]*)\)", re.I)
_LITERAL = re.compile(r"'([a-z][a-z0-9_]*)'")
_INSERT = re.compile(r"insert\s+into\s+(?:public\.)?entity_external_ids\s*\(([^)]*)\)\s*values\s*"
                     r"(.*)", re.I | re.S)


def _tuples(values: str) -> list[list[str]]:
    """The top-level ``( … )`` tuples of a ``VALUES`` list, each split into its cells at
    top-level commas (nested calls such as ``gen_random_uuid()`` stay whole)."""
    rows: list[list[str]] = []
    depth, cell, quote = 0, "", False
    cells: list[str] = []
    for ch in values:
        if ch == "'":
            quote = not quote
        if quote:
            cell += ch
            continue
        if ch == "(":
            depth += 1
            if depth == 1:
                cell, cells = "", []
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                rows.append([*cells, cell.strip()])
                continue
        elif ch == "," and depth == 1:
            cells.append(cell.strip())
            cell = ""
            continue
        if depth >= 1:
            cell += ch
    return rows


def sql_sources(sql: str) -> dict[str, list[int]]:
    """``source`` values of ``entity_external_ids`` used in the statements of ``sql`` (index
    predicates, checks, ``where``/``delete`` filters, inserted rows), with their line numbers.
    Comments are ignored; statements that do not name ``entity_external_ids`` are ignored."""
    found: dict[str, list[int]] = {}
    clean = strip_sql_comments(sql)
    for line, stmt in _statements(clean):
        if "entity_external_ids" not in stmt.lower():
            continue
        values: list[tuple[str, int]] = []
        for match in _SOURCE_EQ.finditer(stmt):
            values.append((match.group(1), match.start()))
        for match in _SOURCE_IN.finditer(stmt):
            values += [(v, match.start()) for v in _LITERAL.findall(match.group(1))]
        insert = _INSERT.search(stmt)
        if insert:
            columns = [c.strip().strip('"').lower() for c in insert.group(1).split(",")]
            if "source" in columns:
                index = columns.index("source")
                for cells in _tuples(insert.group(2)):
                    if index < len(cells) and _LITERAL.fullmatch(cells[index]):
                        values.append((cells[index].strip("'"), insert.start()))
        for value, offset in values:
            found.setdefault(value, []).append(line + stmt.count("\n", 0, offset))
    return found


_CODE_SOURCE = re.compile(r"""(?:\.eq\(\s*['"]source['"]\s*,\s*|\bsource\s*:\s*)['"]"""
                          r"""([a-z][a-z0-9_]*)['"]""")
_CODE_SOURCE_IN = re.compile(r"""\.in\(\s*['"]source['"]\s*,\s*\[([^\]]*)\]""")


def code_sources(text: str) -> dict[str, list[int]]:
    """``source`` values a TypeScript file uses with ``entity_external_ids`` (only files that
    name the table count): ``.eq('source', 'x')``, ``.in('source', ['x'])``, ``source: 'x'``;
    ``//`` and ``/* */`` comments ignored."""
    if "entity_external_ids" not in text:
        return {}
    clean = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    clean = re.sub(r"(^|[^:])//[^\n]*", r"\1", clean)
    found: dict[str, list[int]] = {}
    for match in _CODE_SOURCE.finditer(clean):
        found.setdefault(match.group(1), []).append(clean.count("\n", 0, match.start()) + 1)
    for match in _CODE_SOURCE_IN.finditer(clean):
        for value in re.findall(r"""['"]([a-z][a-z0-9_]*)['"]""", match.group(1)):
            found.setdefault(value, []).append(clean.count("\n", 0, match.start()) + 1)
    return found


def code_files(root: Path, folder: str = "src") -> list[Path]:
    """Code files under ``root/folder`` (build output, dependencies and tests left out)."""
    base = root / folder
    if not base.is_dir():
        return []
    files = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(root).parts
        if (path.suffix in CODE_SUFFIXES and path.is_file()
                and not _SKIP_DIRS.intersection(rel) and ".test." not in path.name
                and ".spec." not in path.name):
            files.append(path)
    return files


def existing_migrations(root: Path) -> list[str]:
    """File names in the checkout's ``supabase/migrations`` (sorted by name)."""
    folder = root / MIGRATIONS_DIR
    return sorted(p.name for p in folder.glob("*.sql")) if folder.is_dir() else []


def checkout_sources(root: Path, skip: tuple[str, ...] = ()) -> dict[str, list[Where]]:
    """Every ``source`` value the checkout's migrations and code use (see the module doc);
    migration file names in ``skip`` (a rollout's own) are left out."""
    found: dict[str, list[Where]] = {}
    for name in existing_migrations(root):
        if name in skip:
            continue
        rel = f"{MIGRATIONS_DIR}/{name}"
        text = (root / rel).read_text(encoding="utf-8", errors="replace")
        for value, lines in sql_sources(text).items():
            found.setdefault(value, []).extend(Where(rel, n) for n in lines)
    for path in code_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(root).as_posix()
        for value, lines in code_sources(text).items():
            found.setdefault(value, []).extend(Where(rel, n) for n in lines)
    return found


_ENV_DOT = re.compile(r"process\.env\??\.([A-Z][A-Z0-9_]*)")
_ENV_INDEX_LIT = re.compile(r"""process\.env\??\.?\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]""")
_ENV_INDEX_VAR = re.compile(r"process\.env\??\.?\[\s*([A-Za-z_$][\w$]*)\s*\]")
_ENV_DESTRUCTURE = re.compile(r"\{([^{}]*)\}\s*=\s*process\.env\b")
_CONST_STRING = re.compile(r"""\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*string\s*)?="""
                           r"""\s*['"`]([A-Z][A-Z0-9_]*)['"`]""")
_FUNC_HEAD = re.compile(r"(?:function\s+([A-Za-z_$][\w$]*)\s*\(\s*([A-Za-z_$][\w$]*)"
                        r"|(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?\(\s*"
                        r"([A-Za-z_$][\w$]*))")


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _env_in_text(text: str) -> tuple[dict[str, list[int]], set[str]]:
    """Direct env reads of one file, and the names of its helpers ``f(name)`` that read
    ``process.env[name]``."""
    found: dict[str, list[int]] = {}
    for pattern in (_ENV_DOT, _ENV_INDEX_LIT):
        for match in pattern.finditer(text):
            found.setdefault(match.group(1), []).append(_line(text, match.start()))
    for match in _ENV_DESTRUCTURE.finditer(text):
        for part in match.group(1).split(","):
            name = part.split(":")[0].split("=")[0].strip().lstrip(".")
            if re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                found.setdefault(name, []).append(_line(text, match.start()))
    constants = {m.group(1): m.group(2) for m in _CONST_STRING.finditer(text)}
    heads = [(m.start(), m.group(1) or m.group(3), m.group(2) or m.group(4))
             for m in _FUNC_HEAD.finditer(text)]
    helpers: set[str] = set()
    for match in _ENV_INDEX_VAR.finditer(text):
        var = match.group(1)
        if var in constants:
            found.setdefault(constants[var], []).append(_line(text, match.start()))
            continue
        enclosing = [h for h in heads if h[0] < match.start()]
        if enclosing and enclosing[-1][2] == var:
            helpers.add(enclosing[-1][1])
    return found, helpers


def env_reads(root: Path) -> dict[str, list[Where]]:
    """Env vars the checkout's code reads, each with where (see the module doc)."""
    files = code_files(root) + [p for p in sorted(root.glob("*")) if p.is_file()
                                and p.suffix in CODE_SUFFIXES]
    return env_reads_in(root, files)


def env_reads_in(root: Path, files: list[Path]) -> dict[str, list[Where]]:
    """Env reads of ``files`` only; helpers defined in any of them count in all of them."""
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in files}
    found: dict[str, list[Where]] = {}
    helpers: set[str] = set()
    for path, text in texts.items():
        direct, own = _env_in_text(text)
        helpers |= own
        rel = path.relative_to(root).as_posix()
        for name, lines in direct.items():
            found.setdefault(name, []).extend(Where(rel, n) for n in lines)
    if helpers:
        call = re.compile(r"\b(" + "|".join(map(re.escape, sorted(helpers))) +
                          r""")\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]""")
        for path, text in texts.items():
            rel = path.relative_to(root).as_posix()
            for match in call.finditer(text):
                found.setdefault(match.group(2), []).append(Where(rel, _line(text,
                                                                             match.start())))
    return found


_EXPORT_FN = re.compile(r"export\s+(?:async\s+)?(?:function\s+|const\s+|let\s+)(" +
                        "|".join(HTTP_METHODS) + r")\b")
_EXPORT_LIST = re.compile(r"export\s*\{([^}]*)\}")


def route_methods(text: str) -> set[str]:
    """HTTP methods a Next.js route handler file exports (``export async function GET``,
    ``export const POST =``, ``export { handler as GET }``)."""
    methods = set(_EXPORT_FN.findall(text))
    for match in _EXPORT_LIST.finditer(text):
        for part in match.group(1).split(","):
            name = part.split(" as ")[-1].strip()
            if name in HTTP_METHODS:
                methods.add(name)
    return methods


def routes(root: Path) -> dict[str, set[str]]:
    """``/api/...`` path -> methods, for every ``src/app/api/**/route.{ts,js}``."""
    base = root / "src" / "app"
    found: dict[str, set[str]] = {}
    if not base.is_dir():
        return found
    for path in sorted(base.rglob("route.*")):
        if path.suffix in CODE_SUFFIXES and "node_modules" not in path.parts:
            rel = path.parent.relative_to(base).as_posix()
            segments = [s for s in rel.split("/") if not (s.startswith("(") and s.endswith(")"))]
            found["/" + "/".join(segments)] = route_methods(path.read_text(encoding="utf-8",
                                                                           errors="replace"))
    return found


def connectors(root: Path) -> list[str]:
    """Connector modules under ``src/lib/connectors/`` (file stems, without the framework's
    ``base``, ``index``, ``registry``, ``types`` and ``*-cache`` files)."""
    folder = root / "src" / "lib" / "connectors"
    framework = {"base", "index", "registry", "types"}
    return sorted(p.stem for p in folder.glob("*.ts")
                  if p.stem not in framework and not p.stem.endswith("-cache")) \
        if folder.is_dir() else []


_IMPORT = re.compile(r"""(?:from|import)\s*\(?\s*['"]([^'"]+)['"]""")


def _resolve_import(root: Path, importer: Path, spec: str) -> Path | None:
    if spec.startswith("@/"):
        base = root / "src" / spec[2:]
    elif spec.startswith("."):
        base = (importer.parent / spec).resolve()
    else:
        return None
    for candidate in (base, *(base.with_name(base.name + s) for s in CODE_SUFFIXES),
                      *(base / f"index{s}" for s in CODE_SUFFIXES)):
        if candidate.is_file():
            return candidate
    return None


def connector_files(root: Path, name: str) -> list[Path]:
    """The code of connector ``name``: ``src/lib/connectors/<name>.ts`` (``_`` or ``-``),
    ``src/lib/<name>/**``, ``src/app/api/<name>/**``, files under ``src/lib`` whose name starts
    with the connector's (``src/lib/automation/slack-clickup-sync.ts``), and the files they import
    whose path names the connector, followed transitively (app-wide modules such as auth are not
    its code)."""
    spellings = {name, name.replace("_", "-")}
    named = re.compile("^(" + "|".join(map(re.escape, sorted(spellings))) + r")([-_.]|$)")
    start: list[Path] = [p for p in code_files(root, "src/lib") if named.match(p.name)]
    for spelling in spellings:
        start += [p for p in (root / "src" / "lib" / "connectors").glob(f"{spelling}.*")
                  if p.suffix in CODE_SUFFIXES]
        for folder in (root / "src" / "lib" / spelling, root / "src" / "app" / "api" / spelling):
            start += [p for p in code_files(root, folder.relative_to(root).as_posix())]
    seen: dict[Path, None] = {}
    queue = list(start)
    framework = (root / "src" / "lib" / "connectors").resolve()
    root = root.resolve()
    while queue and len(seen) < 200:
        path = queue.pop(0).resolve()
        if path in seen:
            continue
        seen[path] = None
        text = path.read_text(encoding="utf-8", errors="replace")
        for spec in _IMPORT.findall(text):
            target = _resolve_import(root, path, spec)
            parts = target.relative_to(root).parts if target is not None else ()
            if target is not None and target.parent != framework and any(
                    named.match(part) for part in parts):
                queue.append(target)
    return list(seen)


def connector_env(root: Path, name: str) -> dict[str, list[Where]]:
    """Env vars connector ``name``'s code reads (see :func:`connector_files`)."""
    files = connector_files(root.resolve(), name)
    return env_reads_in(root.resolve(), files)


def read_checkout(root: Path, skip_migrations: tuple[str, ...] = ()) -> CheckoutFacts:
    """All static facts of the checkout at ``root``."""
    return CheckoutFacts(root=root, migrations=existing_migrations(root),
                         sources=checkout_sources(root, skip_migrations), env=env_reads(root),
                         routes=routes(root), connectors=connectors(root))
