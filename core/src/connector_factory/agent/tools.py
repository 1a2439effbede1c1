"""The tools an agent may call, all confined to the project folder.

``list_files``, ``read_file``, ``write_file``, ``edit_file`` and ``run_command`` are always
offered (the two writing tools unless the policy is read-only); ``fetch_url`` only when the user
allowed network and the plan names hosts; a plugin's :class:`ExtraTool` entries when the policy
carries them. Anything the policy forbids comes back to the model as
an ``is_error`` tool result naming the reason, so it can correct course; nothing is raised to the
loop.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_factory.agent.guard import weakening
from connector_factory.agent.sandbox import Refused, Sandbox
from connector_factory.agent.transcript import is_secret_env_name

#: Commands allowed by default: the project's tests.
DEFAULT_COMMANDS: tuple[tuple[str, ...], ...] = (("python", "-m", "pytest"), ("pytest",))
_PYTHONS = frozenset({"python", "python3", Path(sys.executable).name})


@dataclass(frozen=True)
class ExtraTool:
    """A tool a plugin offers the model for one step, beside the core's.

    Attributes:
        name: the tool name (``^[a-z][a-z0-9_]*$``, not one of the core's).
        description: what it does, for the model.
        input_schema: the JSON Schema of its arguments (an object).
        run: carries it out: given the model's arguments, returns the text for the model. It
            raises ``ValueError`` (or ``OSError``) for a bad argument or a failure the model
            should read; that becomes an ``is_error`` result. The plugin keeps its own limits.
    """

    name: str
    description: str
    input_schema: dict[str, Any]
    run: Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class ToolPolicy:
    """What the tools of one step may do.

    Attributes:
        commands: allowed command prefixes (argv lists); a command is allowed when its argv
            starts with one of them. ``python``/``python3`` run the interpreter running ``cf``.
        command_timeout_s: seconds a command may run (also capped by the step's wall time).
        network: whether the user allowed network access (``fetch_url`` is offered only then).
        hosts: host names ``fetch_url`` may reach (exact match, or a subdomain of an entry
            given as ``.example.com``).
        protected_tests: project-relative paths of test files the model may not weaken.
        writable: whether ``write_file``/``edit_file`` are offered.
        max_read_chars: longest text returned by ``read_file``/``fetch_url``.
        max_output_chars: longest command output returned (the tail is kept).
        max_list: most paths ``list_files`` returns.
        extra_tools: tools a plugin adds for this step (see :class:`ExtraTool`); their output
            is masked like every tool's.
    """

    commands: tuple[tuple[str, ...], ...] = DEFAULT_COMMANDS
    command_timeout_s: float = 300.0
    network: bool = False
    hosts: tuple[str, ...] = ()
    protected_tests: tuple[str, ...] = ()
    writable: bool = True
    max_read_chars: int = 100_000
    max_output_chars: int = 20_000
    max_list: int = 2_000
    extra_tools: tuple[ExtraTool, ...] = ()


@dataclass(frozen=True)
class ToolOutcome:
    """A tool result for the model: text and whether it is an error (``is_error``)."""

    content: str
    is_error: bool = False


_PATH = {"type": "string", "description": "Path relative to the project folder."}

_DEFINITIONS: dict[str, dict[str, Any]] = {
    "list_files": {
        "description": "List files under a folder of the project (recursively, sorted). "
                       "Symlinked folders end with '@' and are not followed.",
        "input_schema": {"type": "object", "properties": {
            "path": {"type": "string", "description": "Folder relative to the project; "
                     "default '.'."}}},
    },
    "read_file": {
        "description": "Read a UTF-8 text file of the project.",
        "input_schema": {"type": "object", "properties": {"path": _PATH},
                         "required": ["path"]},
    },
    "write_file": {
        "description": "Create or replace a text file of the project with the given content.",
        "input_schema": {"type": "object", "properties": {
            "path": _PATH, "content": {"type": "string"}}, "required": ["path", "content"]},
    },
    "edit_file": {
        "description": "Replace one exact occurrence of old_text by new_text in a file of the "
                       "project. old_text must occur exactly once.",
        "input_schema": {"type": "object", "properties": {
            "path": _PATH, "old_text": {"type": "string"}, "new_text": {"type": "string"}},
            "required": ["path", "old_text", "new_text"]},
    },
    "run_command": {
        "description": "Run an allow-listed command (argv list, no shell) in the project folder "
                       "and return its exit code and output. Allowed command prefixes: {allowed}.",
        "input_schema": {"type": "object", "properties": {
            "command": {"type": "array", "items": {"type": "string"},
                        "description": "argv, e.g. [\"python\", \"-m\", \"pytest\", \"-q\"]"}},
            "required": ["command"]},
    },
    "fetch_url": {
        "description": "Fetch a web page over HTTP(S) and return its text. Allowed hosts: "
                       "{hosts}.",
        "input_schema": {"type": "object", "properties": {"url": {"type": "string"}},
                         "required": ["url"]},
    },
}


def _host_allowed(host: str, hosts: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in hosts:
        entry = entry.lower()
        if entry.startswith(".") and (host.endswith(entry) or host == entry[1:]):
            return True
        if host == entry:
            return True
    return False


@dataclass
class Toolbox:
    """Carries out tool calls for one step.

    Args:
        project_dir: the project folder (the sandbox root).
        policy: what the tools may do.
        redact: masks secrets in text returned to the model.
    """

    project_dir: Path
    policy: ToolPolicy = field(default_factory=ToolPolicy)
    redact: Callable[[str], str] = lambda text: text
    #: Project-relative paths written or edited, in first-write order.
    written: list[str] = field(default_factory=list)
    #: How many calls were refused.
    refusals: int = 0

    def __post_init__(self) -> None:
        self.sandbox = Sandbox(self.project_dir)
        self._protected: set[Path] = set()
        for rel in self.policy.protected_tests:
            self._protected.add(Path(os.path.realpath(self.sandbox.root / rel)))
        self.snapshot: dict[Path, str | None] = {
            path: (path.read_text(encoding="utf-8") if path.is_file() else None)
            for path in self._protected
        }

    # -- definitions ---------------------------------------------------------------------

    def names(self) -> list[str]:
        """The tool names offered under this policy."""
        names = ["list_files", "read_file"]
        if self.policy.writable:
            names += ["write_file", "edit_file"]
        if self.policy.commands:
            names.append("run_command")
        if self.policy.network and self.policy.hosts:
            names.append("fetch_url")
        names += [t.name for t in self.policy.extra_tools if t.name not in _DEFINITIONS]
        return names

    def definitions(self) -> list[dict[str, Any]]:
        """Tool definitions for the Messages API ``tools`` parameter (no cache marker)."""
        allowed = ", ".join(" ".join(c) for c in self.policy.commands) or "none"
        hosts = ", ".join(self.policy.hosts) or "none"
        defs = []
        extra = {t.name: t for t in self.policy.extra_tools}
        for name in self.names():
            if name in extra and name not in _DEFINITIONS:
                defs.append({"name": name, "description": extra[name].description,
                             "input_schema": extra[name].input_schema})
                continue
            spec = _DEFINITIONS[name]
            description = str(spec["description"]).format(allowed=allowed, hosts=hosts)
            defs.append({"name": name, "description": description,
                         "input_schema": spec["input_schema"]})
        return defs

    # -- dispatch ------------------------------------------------------------------------

    def call(self, name: str, arguments: Any, deadline: float | None = None) -> ToolOutcome:
        """Run tool ``name`` with the model's ``arguments``; never raises for the model's
        mistakes (unknown tool, bad arguments, refusals): those become error outcomes.
        ``deadline`` is a :func:`time.monotonic` value capping command run time."""
        if name not in self.names():
            self.refusals += 1
            return ToolOutcome(f"refused: unknown or unavailable tool {name!r}; available: "
                               + ", ".join(self.names()), True)
        args = arguments if isinstance(arguments, dict) else {}
        try:
            if name == "list_files":
                text = self._list(str(args.get("path") or "."))
            elif name == "read_file":
                text = self._read(self._arg(args, "path"))
            elif name == "write_file":
                text = self._write(self._arg(args, "path"), self._arg(args, "content", True))
            elif name == "edit_file":
                text = self._edit(self._arg(args, "path"), self._arg(args, "old_text", True),
                                  self._arg(args, "new_text", True))
            elif name == "run_command":
                return self._run(args.get("command"), deadline)
            elif name == "fetch_url":
                text = self._fetch(self._arg(args, "url"))
            else:
                tool = next(t for t in self.policy.extra_tools if t.name == name)
                text = tool.run(args)
        except Refused as exc:
            self.refusals += 1
            return ToolOutcome(self.redact(str(exc)), True)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return ToolOutcome(self.redact(f"error: {exc}"), True)
        return ToolOutcome(self.redact(text))

    @staticmethod
    def _arg(args: dict[str, Any], key: str, empty_ok: bool = False) -> str:
        value = args.get(key)
        if not isinstance(value, str) or (not value and not empty_ok):
            raise ValueError(f"argument {key!r} (a string) is required")
        return value

    # -- file tools ----------------------------------------------------------------------

    def _list(self, path: str) -> str:
        start = self.sandbox.resolve(path)
        if not start.is_dir():
            raise ValueError(f"{path!r} is not a folder")
        files, cut = self.sandbox.walk(start, self.policy.max_list)
        text = "\n".join(files) or "(no files)"
        return text + (f"\n… (first {len(files)} shown)" if cut else "")

    def _read(self, path: str) -> str:
        target = self.sandbox.resolve(path)
        if not target.is_file():
            raise ValueError(f"{path!r} is not a file")
        text = target.read_text(encoding="utf-8")
        limit = self.policy.max_read_chars
        if len(text) > limit:
            return text[:limit] + f"\n… (truncated: {len(text)} characters, first {limit} shown)"
        return text

    def _check_protected(self, target: Path, new: str | None) -> None:
        if target not in self._protected:
            return
        old = self.snapshot.get(target)
        if old is None:
            old = target.read_text(encoding="utf-8") if target.is_file() else ""
        reason = weakening(old, new)
        if reason:
            raise Refused(f"refused: {self.sandbox.rel(target)} is a protected test file and "
                          f"this edit weakens it: {reason}. Change the implementation, not the "
                          "test.")

    def _writable(self, path: str) -> Path:
        if not self.policy.writable:
            raise Refused("refused: this step may not write files")
        target = self.sandbox.resolve(path)
        if target.is_dir():
            raise ValueError(f"{path!r} is a folder")
        if target.is_file() and target.stat().st_nlink > 1:
            raise Refused(f"refused: {path!r} is a hard link; it may be shared with a file "
                          "outside the project")
        return target

    def _store(self, target: Path, text: str) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if target.suffix == ".py":  # stale byte code could outlive a same-second, same-size edit
            for cached in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
                cached.unlink(missing_ok=True)
        rel = self.sandbox.rel(target)
        if rel not in self.written:
            self.written.append(rel)

    def _write(self, path: str, content: str) -> str:
        target = self._writable(path)
        self._check_protected(target, content)
        self._store(target, content)
        return f"wrote {self.sandbox.rel(target)} ({len(content)} characters)"

    def _edit(self, path: str, old_text: str, new_text: str) -> str:
        target = self._writable(path)
        if not target.is_file():
            raise ValueError(f"{path!r} does not exist; use write_file to create it")
        if not old_text:
            raise ValueError("old_text must not be empty")
        text = target.read_text(encoding="utf-8")
        count = text.count(old_text)
        if count != 1:
            raise ValueError(f"old_text occurs {count} times in {path!r}; it must occur once")
        updated = text.replace(old_text, new_text, 1)
        self._check_protected(target, updated)
        self._store(target, updated)
        return f"edited {self.sandbox.rel(target)}"

    def verify_protected(self) -> str | None:
        """Why a protected test file is now weaker than when the step began (edited by a
        command, say), or ``None``."""
        for path, before in self.snapshot.items():
            if before is None:
                continue
            now = path.read_text(encoding="utf-8") if path.is_file() else None
            reason = weakening(before, now)
            if reason:
                return f"{self.sandbox.rel(path)} was weakened: {reason}"
        return None

    # -- commands ------------------------------------------------------------------------

    def _allowed(self, argv: list[str]) -> bool:
        head = "python" if argv[0] in _PYTHONS else argv[0]
        for prefix in self.policy.commands:
            want = ["python" if p in _PYTHONS else p for p in prefix]
            if [head, *argv[1:len(want)]] == want:
                return True
        return False

    def _run(self, command: Any, deadline: float | None) -> ToolOutcome:
        if isinstance(command, str):
            command = shlex.split(command)
        if (not isinstance(command, list) or not command
                or not all(isinstance(a, str) for a in command)):
            return ToolOutcome("error: 'command' must be a non-empty list of strings", True)
        argv: list[str] = command
        allowed = "; ".join(" ".join(c) for c in self.policy.commands) or "none"
        if not self._allowed(argv):
            self.refusals += 1
            return ToolOutcome(f"refused: {shlex.join(argv)!r} is not on the allow-list; "
                               f"allowed command prefixes: {allowed}", True)
        for arg in argv[1:]:
            value = arg.split("=", 1)[-1]
            if value.startswith(("/", "~")) or ".." in Path(value).parts:
                self.refusals += 1
                return ToolOutcome(f"refused: argument {arg!r} points outside the project "
                                   "folder; use relative paths", True)
        timeout = self.policy.command_timeout_s
        if deadline is not None:
            timeout = max(1.0, min(timeout, deadline - time.monotonic()))
        if argv[0] in _PYTHONS:
            argv = [sys.executable, *argv[1:]]
        env = {k: v for k, v in os.environ.items() if not is_secret_env_name(k)}
        # byte code is keyed on mtime and size: an edit within the same second that keeps the
        # size (``a - b`` -> ``a + b``) would run the old code
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        try:
            proc = subprocess.run(argv, cwd=self.sandbox.root, env=env, capture_output=True,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return ToolOutcome(f"error: the command timed out after {timeout:.0f}s", True)
        except OSError as exc:
            return ToolOutcome(self.redact(f"error: cannot run the command: {exc}"), True)
        output = (proc.stdout or "") + (proc.stderr or "")
        limit = self.policy.max_output_chars
        if len(output) > limit:
            output = f"… (output truncated, last {limit} characters)\n" + output[-limit:]
        return ToolOutcome(self.redact(f"exit code {proc.returncode}\n{output}"))

    # -- network -------------------------------------------------------------------------

    def _fetch(self, url: str) -> str:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise Refused(f"refused: {url!r} is not an http(s) URL")
        if not self.policy.network:
            raise Refused("refused: network access was not allowed for this run")
        if not _host_allowed(parsed.hostname, self.policy.hosts):
            raise Refused(f"refused: host {parsed.hostname!r} is not allowed; allowed hosts: "
                          + (", ".join(self.policy.hosts) or "none"))
        opener = urllib.request.build_opener(_SameHostsRedirect(self.policy.hosts))
        request = urllib.request.Request(url, headers={"User-Agent": "connector-factory"})
        try:
            with opener.open(request, timeout=60) as response:
                raw: bytes = response.read(self.policy.max_read_chars * 4 + 1)
                charset = response.headers.get_content_charset() or "utf-8"
        except urllib.error.HTTPError as exc:
            raise ValueError(f"HTTP {exc.code} from {url}") from exc
        except urllib.error.URLError as exc:
            raise ValueError(f"cannot fetch {url}: {exc.reason}") from exc
        text = raw.decode(charset, errors="replace")
        limit = self.policy.max_read_chars
        if len(text) > limit:
            text = text[:limit] + "\n… (truncated)"
        return text


class _SameHostsRedirect(urllib.request.HTTPRedirectHandler):
    def __init__(self, hosts: Sequence[str]) -> None:
        self.hosts = hosts

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        host = urllib.parse.urlsplit(newurl).hostname or ""
        if not _host_allowed(host, self.hosts):
            raise Refused(f"refused: redirect to host {host!r}, which is not allowed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)
