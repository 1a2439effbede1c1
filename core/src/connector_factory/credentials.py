"""``cf credentials``: collect a connector's connection parameters into its git-ignored config.

The plugin of the project's target describes what to ask through ``cf_connection_form`` (a
:class:`~connector_factory.models.ConnectionForm`). Values come from, in order:

1. a JSON object file given with ``--config FILE`` (``{"token": "…", "base_url": "…"}``);
2. environment variables ``{form.env_prefix}{NAME.upper()}`` (``CF_TOKEN`` …), used when at
   least one is set and every required parameter is then known;
3. a small HTML form served on ``127.0.0.1`` only (``--serve``, or a terminal), which stops after
   one valid submit or a timeout.

The answers are written to ``<project>/<form.config_path>`` as pretty JSON with mode 0600 from
the start, merged into the file already there (keys given now replace the same keys, other keys
are kept). The path is added once to ``<project>/.gitignore`` *before* the file is written.

Secret values are never printed, logged, put in an error message, echoed in a page, or recorded
in the state or the event log (not even as a hash); the event log gets ``credentials_written``
with the path and the parameter names only.

Value rules, whatever the source: every value is a string (numbers in a config file are turned
into strings); an empty string counts as not given; a required parameter is satisfied by a value
given now, by a value already in the config file, or by its default if it is not secret; a
non-secret parameter with a default that has no value gets its default written. A secret's
default is never shown nor used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from connector_factory.errors import CfError, InputError, StepFailed
from connector_factory.models import STEPS, ConnectionForm, ConnectionParameter
from connector_factory.pipeline import Pipeline
from connector_factory.plugins import call_step_hook
from connector_factory.state import State

#: Name of the hidden CSRF field; it contains a dash, so no parameter name can clash with it.
CSRF_FIELD = "cf-csrf"
#: Largest POST body the form accepts, in bytes.
MAX_BODY = 64 * 1024
#: Seconds a connection to the form may stay idle before it is dropped.
CONNECTION_TIMEOUT_S = 30.0

#: Values keyed by parameter name.
Values = dict[str, str]


def collect_credentials(
    pipeline: Pipeline,
    config_file: Path | None,
    port: int = 0,
    serve: bool = False,
    env: Mapping[str, str] | None = None,
    on_ready: Callable[[str], None] | None = None,
    timeout_s: float = 900,
) -> Path:
    """Collect the project's connection parameters and write its config file.

    Args:
        pipeline: the project's pipeline (state, plugins, reporter, event log).
        config_file: a JSON object ``{"name": "value", …}`` to read the values from, or ``None``.
        port: port of the form on 127.0.0.1 (0: a free port).
        serve: serve the form when neither ``config_file`` nor the environment supplies values.
        env: environment variables to read (``os.environ`` when ``None``).
        on_ready: called with the form's URL (``http://127.0.0.1:PORT/``) once it is served.
        timeout_s: seconds to wait for the form to be submitted.

    Returns:
        The absolute path of the config file written (mode 0600, git-ignored).

    Raises:
        InputError: the project has no state; its target has nothing to ask yet; the config file
            cannot be read, is not a JSON object, has unknown keys or non-string values;
            required values are missing; no source of values is available; the form was not
            submitted within ``timeout_s``; the port cannot be bound; the existing config file
            is not a JSON object; or the config file or ``.gitignore`` cannot be written.
        StepFailed: the plugin returned something other than a ``ConnectionForm``, a form with
            duplicate parameter names, or a ``config_path`` outside the project folder.
    """
    state = pipeline.load()
    form, plugin = connection_form(pipeline, state)
    target = config_target(pipeline.project_dir, form, plugin)
    existing = _read_existing(target)
    environ: Mapping[str, str] = os.environ if env is None else env

    if config_file is not None:
        given = _values_from_file(config_file, form)
        values = _complete(form, given, existing, f"{config_file}")
        pipeline.reporter.info(f"credentials: using values from {config_file}")
        return _save(pipeline, form, target, values, source="config_file")

    from_env = _values_from_env(form, environ)
    missing = _missing(form, from_env, existing)
    if from_env and not missing:
        values = _complete(form, from_env, existing, "the environment")
        names = ", ".join(env_var(form, p) for p in form.parameters if p.name in from_env)
        pipeline.reporter.info(f"credentials: using environment variables {names}")
        return _save(pipeline, form, target, values, source="environment")

    if serve:
        return _serve_form(pipeline, state, form, target, existing, port, on_ready, timeout_s)

    if from_env:
        unset = ", ".join(env_var(form, p) for p in missing)
        raise InputError(
            f"target {state.target!r} needs {unset}, which is not set "
            f"(other {form.env_prefix}* credential variables are)",
            f"set {unset}, or pass --config FILE, or run `cf credentials --serve`",
        )
    raise InputError(
        f"no credentials given for target {state.target!r}: none of "
        f"{_env_listing(form)} is set",
        f"set those environment variables, or pass --config FILE with a JSON object "
        f"{_json_example(form)}, or run `cf credentials --serve` for a form on 127.0.0.1",
    )


def connection_form(pipeline: Pipeline, state: State) -> tuple[ConnectionForm, str]:
    """The form the target's plugin asks for at the project's current step, and that plugin.

    The current step is the first step not done (:meth:`Pipeline.next_step`), or the last step
    when every step is done.

    Raises:
        InputError: no plugin returns a form with at least one parameter.
        StepFailed: a plugin returned something that is not a ``ConnectionForm``, or a form whose
            parameter names (or their environment variables) repeat.
    """
    step = pipeline.next_step(state) or STEPS[-1]
    ctx = pipeline.context(state, step)
    pairs = call_step_hook(pipeline.plugins.manager, "cf_connection_form", True, ctx=ctx)
    if not pairs or (isinstance(pairs[0][1], ConnectionForm) and not pairs[0][1].parameters):
        raise InputError(
            f"target {state.target!r} has nothing to ask yet at step {step.command}",
            "run `cf scaffold` first, then `cf credentials` again",
        )
    plugin, form = pairs[0]
    if not isinstance(form, ConnectionForm):
        raise StepFailed(
            f"plugin {plugin!r} returned {type(form).__name__} from cf_connection_form",
            "cf_connection_form must return connector_factory.models.ConnectionForm or None",
        )
    seen: set[str] = set()
    for param in form.parameters:
        key = param.name.upper()
        if key in seen:
            raise StepFailed(
                f"plugin {plugin!r} asks for parameter {param.name!r} twice "
                "(names must differ even ignoring case)",
                f"fix or report the plugin {plugin!r}",
            )
        seen.add(key)
    return form, plugin


def config_target(project_dir: Path, form: ConnectionForm, plugin: str = "?") -> Path:
    """The absolute path ``project_dir / form.config_path``.

    Raises:
        StepFailed: ``config_path`` is empty, absolute, or leaves the project folder (``..``).
    """
    rel = PurePosixPath(form.config_path.replace("\\", "/"))
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or str(rel) == ".":
        raise StepFailed(
            f"plugin {plugin!r} asks to write credentials to {form.config_path!r}, "
            "which is not a file inside the project folder",
            f"fix or report the plugin {plugin!r}",
        )
    return project_dir / Path(*rel.parts)


def env_var(form: ConnectionForm, param: ConnectionParameter) -> str:
    """The environment variable that supplies ``param``: ``{env_prefix}{NAME.upper()}``."""
    return f"{form.env_prefix}{param.name.upper()}"


# -- sources --------------------------------------------------------------------------------


def _values_from_file(path: Path, form: ConnectionForm) -> Values:
    """Values from a JSON object file; empty strings are dropped.

    Raises:
        InputError: the file cannot be read or parsed, is not an object, has keys that are not
            parameters of the form, or a value that is not a string or a number.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read --config {path}: {exc.strerror or exc}",
                         "check the path and its permissions") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        # The decoder's message names a line and column, never the text around it.
        where = f"line {exc.lineno} column {exc.colno}" if isinstance(
            exc, json.JSONDecodeError) else "not UTF-8"
        raise InputError(f"--config {path} is not valid JSON ({where})",
                         f"write a JSON object such as {_json_example(form)}") from exc
    if not isinstance(raw, dict):
        raise InputError(f"--config {path} holds a JSON {type(raw).__name__}, not an object",
                         f"write a JSON object such as {_json_example(form)}")
    known = {p.name for p in form.parameters}
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise InputError(
            f"--config {path} has unknown keys: {', '.join(unknown)}",
            f"use only {', '.join(p.name for p in form.parameters)}",
        )
    values: Values = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError(f"--config {path}: the value of {key!r} must be a string",
                             "quote it as a JSON string")
        text = value if isinstance(value, str) else json.dumps(value)
        if text:
            values[key] = text
    return values


def _values_from_env(form: ConnectionForm, env: Mapping[str, str]) -> Values:
    """Values of the form's environment variables that are set and not empty."""
    values: Values = {}
    for param in form.parameters:
        value = env.get(env_var(form, param))
        if value:
            values[param.name] = value
    return values


def _missing(form: ConnectionForm, given: Mapping[str, str],
             existing: Mapping[str, Any]) -> list[ConnectionParameter]:
    """Required parameters with no value given now, none in the config file and no default."""
    return [
        p for p in form.parameters
        if p.required and not given.get(p.name) and not _has_value(existing, p.name)
        and (p.secret or not p.default)
    ]


def _complete(form: ConnectionForm, given: Values, existing: Mapping[str, Any],
              source: str) -> Values:
    """``given`` plus the defaults of non-secret parameters that have no value anywhere.

    Raises:
        InputError: a required parameter has no value (its name is in the message).
    """
    missing = _missing(form, given, existing)
    if missing:
        names = ", ".join(p.name for p in missing)
        variables = ", ".join(env_var(form, p) for p in missing)
        raise InputError(f"{source} lacks required credentials: {names}",
                         f"give {names} (or set {variables})")
    values = dict(given)
    for param in form.parameters:
        if (param.name not in values and not param.secret and param.default
                and not _has_value(existing, param.name)):
            values[param.name] = param.default
    return values


def _has_value(existing: Mapping[str, Any], name: str) -> bool:
    value = existing.get(name)
    return value is not None and value != ""


def _env_listing(form: ConnectionForm) -> str:
    return ", ".join(
        env_var(form, p) + (" (required)" if p.required and (p.secret or not p.default) else "")
        for p in form.parameters
    )


def _json_example(form: ConnectionForm) -> str:
    return "{" + ", ".join(f'"{p.name}": "…"' for p in form.parameters) + "}"


# -- writing --------------------------------------------------------------------------------


def _read_existing(path: Path) -> dict[str, Any]:
    """The config file already there, or ``{}``.

    Raises:
        InputError: it exists but cannot be read or is not a JSON object.
    """
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the existing config file {path} cannot be read as JSON",
                         "fix it or remove it, then run `cf credentials` again") from exc
    if not isinstance(raw, dict):
        raise InputError(f"the existing config file {path} is not a JSON object",
                         "fix it or remove it, then run `cf credentials` again")
    return raw


def _save(pipeline: Pipeline, form: ConnectionForm, target: Path, values: Values,
          source: str) -> Path:
    """Git-ignore the config path, merge ``values`` into the config file, log the names.

    Raises:
        InputError: ``.gitignore`` or the config file cannot be written, or the existing config
            file is not a JSON object.
    """
    rel = target.relative_to(pipeline.project_dir).as_posix()
    try:
        ensure_gitignored(pipeline.project_dir, rel)
        merged = {**_read_existing(target), **values}
        write_private_json(target, merged)
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename or target}: {exc.strerror or exc}",
                         "check the folder's permissions and free space") from exc
    pipeline.store.event("credentials_written", path=rel, parameters=sorted(values),
                         source=source)
    return target


def write_private_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as pretty JSON to ``path``, readable by its owner only (mode 0600).

    The bytes go to a temp file created with mode 0600 in the same folder (so the secret is
    never readable by others, not even for a moment), which is fsynced and renamed over
    ``path``; parent folders are created.

    Raises:
        OSError: the folder or the file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o600)  # exactly 0600 whatever the umask
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform; the rename is done either way
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def ensure_gitignored(project_dir: Path, rel: str) -> bool:
    """Make ``rel`` (a path relative to ``project_dir``) a line of ``project_dir/.gitignore``.

    Creates the file, or appends the line (after a newline if the file lacks a final one); a
    line already there (with or without a leading ``/``) is not added again.

    Returns:
        ``True`` when the line was added.

    Raises:
        OSError: ``.gitignore`` cannot be read or written.
    """
    line = _gitignore_line(rel)
    path = project_dir / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {entry.strip().lstrip("/") for entry in text.splitlines()}
    if line.lstrip("/") in present:
        return False
    sep = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{sep}{line}\n")
    return True


def _gitignore_line(rel: str) -> str:
    """``rel`` as a .gitignore pattern matching exactly that path (glob characters escaped)."""
    escaped = "".join("\\" + c if c in "\\*?[" else c for c in rel)
    if escaped[:1] in ("#", "!"):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return escaped


# -- the form -------------------------------------------------------------------------------


@dataclass
class _Session:
    """What the form's server shares between its request threads and the waiting caller."""

    form: ConnectionForm
    title: str
    existing: Mapping[str, Any]
    allowed_hosts: frozenset[str]
    save: Callable[[Values], Path]
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)
    closed: bool = False
    written: Path | None = None
    error: CfError | None = None


class _FormServer(ThreadingHTTPServer):
    daemon_threads = True
    session: _Session

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Print nothing: a dropped connection needs no traceback on the CLI's terminal."""


def _serve_form(pipeline: Pipeline, state: State, form: ConnectionForm, target: Path,
                existing: Mapping[str, Any], port: int,
                on_ready: Callable[[str], None] | None, timeout_s: float) -> Path:
    """Serve the form on 127.0.0.1 until one valid submit (returns the path) or ``timeout_s``.

    Raises:
        InputError: the port cannot be bound, nothing was submitted in time, or writing failed.
    """
    def save(values: Values) -> Path:
        return _save(pipeline, form, target, _complete(form, values, existing, "the form"),
                     source="form")

    try:
        server = _FormServer(("127.0.0.1", port), _FormHandler)
    except OSError as exc:
        raise InputError(f"cannot serve the credentials form on 127.0.0.1:{port}: "
                         f"{exc.strerror or exc}",
                         "pass another --port (or 0 for any free port)") from exc
    bound = int(server.server_address[1])
    server.session = _Session(
        form=form, title=f"{state.name} ({state.target})", existing=existing,
        allowed_hosts=frozenset({f"127.0.0.1:{bound}", f"localhost:{bound}"}), save=save,
    )
    url = f"http://127.0.0.1:{bound}/"
    thread = threading.Thread(target=server.serve_forever, name="cf-credentials-form",
                              kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    session = server.session
    minutes = f"{timeout_s / 60:g} min" if timeout_s >= 60 else f"{timeout_s:g} s"
    try:
        pipeline.reporter.info(
            f"credentials: open {url} in a browser on this machine and fill in the form "
            f"(waiting up to {minutes})")
        if on_ready is not None:
            on_ready(url)
        session.done.wait(timeout_s)
        with session.lock:
            session.closed = True  # a submit that arrives now is turned away
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    if session.error is not None:
        raise session.error
    if session.written is None:
        raise InputError(
            f"the credentials form at {url} was not submitted within {minutes}",
            "run `cf credentials` again, or pass --config FILE, or set "
            f"{', '.join(env_var(form, p) for p in form.parameters)}",
        )
    return session.written


class _FormHandler(BaseHTTPRequestHandler):
    """GET / shows the form, POST / takes it; anything else is 404."""

    server_version = "cf-credentials"
    sys_version = ""
    timeout = CONNECTION_TIMEOUT_S

    @property
    def session(self) -> _Session:
        return cast(_FormServer, self.server).session

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: a request line is harmless, but the terminal belongs to the CLI."""

    # -- routing ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        """``/`` → the form; anything else → 404."""
        if not self._preflight():
            return
        self._send(HTTPStatus.OK, _form_page(self.session, {}, ""))

    def do_POST(self) -> None:
        """``/`` → check the CSRF token and the fields, write the file, confirm."""
        if not self._preflight():
            return
        fields = self._read_fields()
        if fields is None:
            return
        session = self.session
        token = fields.pop(CSRF_FIELD, "")
        if not hmac.compare_digest(token.encode("utf-8"), session.csrf.encode("utf-8")):
            self._send(HTTPStatus.FORBIDDEN, _message_page(
                "Form expired", "This submission did not come from the current form. "
                "Reload the page and submit it again."))
            return
        known = {p.name for p in session.form.parameters}
        unknown = sorted(set(fields) - known)
        if unknown:
            self._send(HTTPStatus.BAD_REQUEST, _message_page(
                "Unexpected fields", f"The form does not have: {', '.join(unknown)}."))
            return
        given = {name: value for name, value in fields.items() if value != ""}
        missing = _missing(session.form, given, session.existing)
        if missing:
            names = ", ".join(p.label or p.name for p in missing)
            self._send(HTTPStatus.BAD_REQUEST,
                       _form_page(session, given, f"Please fill in: {names}."))
            return
        with session.lock:
            if session.closed:
                self._send(HTTPStatus.GONE, _message_page(
                    "Form closed", "This form is no longer accepting values. "
                    "Run `cf credentials` again."))
                return
            try:
                session.written = session.save(given)
            except CfError as exc:
                session.error = exc
            session.closed = True
            session.csrf = secrets.token_urlsafe(32)  # one-time: the used token is dead
        try:
            if session.error is not None:
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR,
                           _message_page("Not saved", session.error.one_line()))
            else:
                self._send(HTTPStatus.OK, _done_page(session, sorted(given)))
        finally:
            session.done.set()

    def do_HEAD(self) -> None:
        """Not served."""
        self._not_found()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = do_HEAD

    # -- helpers ----------------------------------------------------------------------------

    def _preflight(self) -> bool:
        """Answer 404 for other paths and 421 for a foreign Host (DNS rebinding); else True."""
        if urlsplit(self.path).path != "/":
            self._not_found()
            return False
        if self.headers.get("Host", "") not in self.session.allowed_hosts:
            self._send(HTTPStatus.MISDIRECTED_REQUEST,
                       _message_page("Wrong address", "Open the URL that `cf` printed."))
            return False
        return True

    def _read_fields(self) -> dict[str, str] | None:
        """The urlencoded body as ``{name: value}``, or ``None`` after answering an error."""
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            self._send(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                       _message_page("Unsupported", "Submit the form from the page."))
            return None
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(HTTPStatus.LENGTH_REQUIRED, _message_page("Unsupported", "No length."))
            return None
        if length < 0 or length > MAX_BODY:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                       _message_page("Too large", "The submission is too large."))
            return None
        body = self.rfile.read(length)
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                              max_num_fields=len(self.session.form.parameters) + 8)
        except (UnicodeDecodeError, ValueError):
            self._send(HTTPStatus.BAD_REQUEST, _message_page("Bad request", "Unreadable form."))
            return None
        if any(len(v) != 1 for v in parsed.values()):
            self._send(HTTPStatus.BAD_REQUEST,
                       _message_page("Bad request", "A field was sent twice."))
            return None
        return {name: values[0] for name, values in parsed.items()}

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, _message_page("Not found", "Only / is served here."))

    def _send(self, status: HTTPStatus, page: str) -> None:
        data = page.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()


# -- pages ----------------------------------------------------------------------------------

_STYLE = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;
color:#1d2329;margin:0;padding:2.5rem 1rem}
main{max-width:34rem;margin:0 auto;background:#fff;border:1px solid #d9dde3;border-radius:10px;
padding:1.75rem 2rem;box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:1.35rem;margin:0 0 .35rem}
.lead{color:#4a5561;margin:0 0 1.4rem;font-size:.95rem}
.field{margin:0 0 1.1rem}
label{display:block;font-weight:600;margin:0 0 .15rem}
.tag{font-weight:400;font-size:.8rem;color:#5b6672;margin-left:.4rem}
.desc{font-size:.87rem;color:#4a5561;margin:0 0 .35rem}
input{box-sizing:border-box;width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #b8c0ca;
border-radius:6px;background:#fff}
input:focus{outline:2px solid #2f6fde;outline-offset:1px;border-color:#2f6fde}
button{font:inherit;font-weight:600;background:#2f6fde;color:#fff;border:0;border-radius:6px;
padding:.6rem 1.2rem;cursor:pointer}
.error{background:#fdecec;border:1px solid #f0b4b4;color:#8a1f1f;border-radius:6px;
padding:.6rem .8rem;margin:0 0 1.2rem}
.ok{background:#e9f7ee;border:1px solid #a9dcb9;color:#1d5e33;border-radius:6px;
padding:.6rem .8rem;margin:0 0 1rem}
code{font-size:.9em;background:#eef0f3;padding:.05rem .3rem;border-radius:4px}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode("utf-8")).digest()).decode("ascii")
_CSP = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _form_page(session: _Session, typed: Mapping[str, str], error: str) -> str:
    """The form; ``typed`` re-fills non-secret fields after an error, secrets never are."""
    form = session.form
    esc = html.escape
    parts = [
        f"<h1>Connection settings for {esc(session.title)}</h1>",
        f"<p class=\"lead\">Saved to <code>{esc(form.config_path)}</code> in the project "
        "(readable by you only, git-ignored). This page is served on 127.0.0.1 only and "
        "stops after you save.</p>",
    ]
    if error:
        parts.append(f"<p class=\"error\" role=\"alert\">{esc(error)}</p>")
    parts.append("<form method=\"post\" action=\"/\">")
    parts.append(f"<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{esc(session.csrf)}\">")
    for param in form.parameters:
        parts.append(_field(param, typed, session.existing))
    parts.append("<button type=\"submit\">Save credentials</button></form>")
    return _page(f"Connection settings — {session.title}", "".join(parts))


def _field(param: ConnectionParameter, typed: Mapping[str, str],
           existing: Mapping[str, Any]) -> str:
    esc = html.escape
    fid = f"f-{param.name}"
    kept = _has_value(existing, param.name)
    # A kept secret may be left blank; a non-secret one is pre-filled with its current value.
    required = param.required and not (param.secret and kept)
    tags = ["required" if required else "optional"]
    attrs = [f'id="{esc(fid)}"', f'name="{esc(param.name)}"', 'spellcheck="false"',
             'autocapitalize="off"']
    if param.secret:
        tags.append("secret, hidden as you type")
        attrs += ['type="password"', 'autocomplete="off"']
        if kept:
            attrs.append('placeholder="already set; leave blank to keep it"')
    else:
        value = typed.get(param.name)
        if value is None:
            current = existing.get(param.name)
            value = current if isinstance(current, str) and current else param.default
        attrs.append('type="text"')
        if value:
            attrs.append(f'value="{esc(value)}"')
    if required:
        attrs.append("required")
    desc = f"<p class=\"desc\" id=\"{esc(fid)}-d\">{esc(param.description)}</p>" if (
        param.description) else ""
    if desc:
        attrs.append(f'aria-describedby="{esc(fid)}-d"')
    label = esc(param.label or param.name)
    return (f"<div class=\"field\"><label for=\"{esc(fid)}\">{label} "
            f"<span class=\"tag\">{esc(', '.join(tags))}</span></label>{desc}"
            f"<input {' '.join(attrs)}></div>")


def _done_page(session: _Session, names: list[str]) -> str:
    esc = html.escape
    path = session.written
    saved = ", ".join(f"<code>{esc(n)}</code>" for n in names)
    return _page("Credentials saved", (
        "<h1>Credentials saved</h1>"
        f"<p class=\"ok\" role=\"status\">Written to <code>{esc(str(path))}</code> "
        "(mode 0600, git-ignored).</p>"
        f"<p>Saved: {saved}.</p><p>You can close this tab; the form has stopped.</p>"
    ))


def _message_page(title: str, text: str) -> str:
    return _page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>")
