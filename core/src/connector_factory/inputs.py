"""Target inputs on ``cf new``: parsing the command line against what a target declares.

A target declares its inputs as :class:`~connector_factory.models.TargetInput` (name, type,
help, required, secret). ``cf new`` accepts each one generically, as ``--input NAME=VALUE`` (or
``-i NAME=VALUE``) or as ``--NAME VALUE`` / ``--NAME=VALUE`` with the name in kebab case; the
core knows no input by name. Values are converted by type: ``path`` becomes an absolute path
that must exist, ``url`` must be ``http(s)://host…``, ``url_or_path`` is either, ``list`` is
comma separated, ``int`` an integer and ``bool`` ``true/false`` (a bare ``--NAME`` is true).
A ``secret`` input is never taken from the command line (it would land in the shell history and
the state): it comes from the environment variable ``CF_INPUT_<NAME>`` at every run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from connector_factory.errors import InputError

if TYPE_CHECKING:  # pydantic stays off the import path of `cf targets`
    from connector_factory.models import Target, TargetInput
    from connector_factory.plugins import InputInfo

if TYPE_CHECKING:
    from connector_factory.plugins import InputInfo

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def flag(name: str) -> str:
    """The ``cf new`` option for the input ``name``: ``base_url`` → ``--base-url``."""
    return "--" + name.replace("_", "-")


def env_name(name: str) -> str:
    """The environment variable a secret input is read from: ``api_key`` → ``CF_INPUT_API_KEY``."""
    return "CF_INPUT_" + name.upper()


def check_url(value: str, where: str) -> str:
    """``value`` when it is an absolute ``http``/``https`` URL with a host.

    Raises:
        InputError: naming ``where`` (the option) and what a URL looks like.
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{where} {value!r} is not a URL",
                         f"pass an http(s) URL, e.g. {where} https://api.example.com")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise InputError(f"{where} {value!r} has a bad port: {exc}",
                         f"pass an http(s) URL, e.g. {where} https://api.example.com") from exc
    return value


def _path(value: str, where: str, base: Path) -> str:
    path = Path(value).expanduser()
    path = (path if path.is_absolute() else base / path).resolve()
    if not path.exists():
        raise InputError(f"{where} {value}: no such file or folder",
                         f"check the path (relative paths are from {base})")
    return str(path)


def convert(spec: TargetInput, raw: str, base: Path) -> Any:
    """``raw`` (as typed) converted to ``spec.type``; relative paths resolved against ``base``.

    Returns a ``str`` (``str``, ``path``, ``url``, ``url_or_path``), ``int``, ``bool`` or
    ``list[str]``.

    Raises:
        InputError: the value does not fit the type (the message names the option).
    """
    where = flag(spec.name)
    if spec.type == "bool":
        word = raw.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise InputError(f"{where} {raw!r} is not true or false",
                         f"pass {where} (true) or --input {spec.name}=false")
    if spec.type == "int":
        try:
            return int(raw.strip())
        except ValueError:
            raise InputError(f"{where} {raw!r} is not a whole number",
                             f"pass e.g. {where} 10") from None
    if spec.type == "list":
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if not items:
            raise InputError(f"{where} {raw!r} names nothing", f"pass e.g. {where} a,b")
        return items
    if not raw.strip():
        raise InputError(f"{where} is empty", f"pass a value: {where} VALUE")
    if spec.type == "url":
        return check_url(raw.strip(), where)
    if spec.type == "path":
        resolved = _path(raw, where, base)
        if spec.project_folder and not Path(resolved).is_dir():
            raise InputError(f"{where} {raw} is a file, not a folder",
                             f"pass the folder of a checkout: {where} DIR")
        return resolved
    if spec.type == "url_or_path":
        if "://" in raw:
            return check_url(raw.strip(), where)
        return _path(raw, where, base)
    return raw


def split_args(tokens: Sequence[str], target: Target) -> tuple[list[str], dict[str, str]]:
    """Split ``cf new``'s free tokens into positional words and raw input values by name.

    ``tokens`` are what the CLI did not parse itself: ``--input NAME=VALUE``/``-i NAME=VALUE``,
    ``--NAME VALUE``, ``--NAME=VALUE`` and positional words (the connector name). A ``bool``
    input given as a bare ``--NAME`` is ``"true"``.

    Raises:
        InputError: an option the target does not take (the message lists those it takes), an
            option without a value, or an input given twice with different values.
    """
    by_flag = {flag(i.name): i for i in target.inputs}
    positional: list[str] = []
    raw: dict[str, str] = {}

    def put(name: str, value: str) -> None:
        if name not in {i.name for i in target.inputs}:
            raise _unknown(target, flag(name))
        if name in raw and raw[name] != value:
            raise InputError(f"{flag(name)} given twice ({raw[name]!r} and {value!r})",
                             f"pass {flag(name)} once")
        raw[name] = value

    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token in ("--input", "-i") or token.startswith("--input="):
            if token.startswith("--input="):
                pair = token.split("=", 1)[1]
            elif index < len(tokens):
                pair, index = tokens[index], index + 1
            else:
                raise InputError(f"{token} needs NAME=VALUE", f"pass e.g. {token} name=value")
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise InputError(f"{token} {pair!r} is not NAME=VALUE",
                                 f"pass e.g. {token} name=value")
            put(key.strip().replace("-", "_"), value)
            continue
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        option, sep, value = token.partition("=")
        spec = by_flag.get(option)
        if spec is None:
            raise _unknown(target, option)
        if not sep:
            if spec.type == "bool":
                value = "true"
            elif index < len(tokens):
                value, index = tokens[index], index + 1
            else:
                raise InputError(f"{option} needs a value", f"pass {option} VALUE")
        put(spec.name, value)
    return positional, raw


def _unknown(target: Target, option: str) -> InputError:
    takes = ", ".join(flag(i.name) for i in target.inputs) or "no inputs"
    return InputError(f"target {target.name!r} does not take {option}",
                      f"it takes: {takes} (see `cf targets`), or --input NAME=VALUE")


def convert_inputs(target: Target, raw: Mapping[str, str], base: Path) -> dict[str, Any]:
    """The target's inputs from ``raw`` values, converted and checked (see :func:`convert`);
    relative paths are resolved against ``base`` (the working folder).

    Raises:
        InputError: a secret input on the command line, or a value that does not fit its type.
    """
    values: dict[str, Any] = {}
    for spec in target.inputs:
        if spec.name not in raw:
            continue
        if spec.secret:
            raise InputError(
                f"{flag(spec.name)} is a secret and is never taken from the command line",
                f"export {env_name(spec.name)}=… and run the command again",
            )
        values[spec.name] = convert(spec, raw[spec.name], base)
    return values


def require_inputs(target: Target, values: Mapping[str, Any],
                   previous: Mapping[str, Any] | None = None) -> None:
    """Check every required input is in ``values``, in ``previous`` (the inputs a project
    already holds) or, for a secret, in its environment variable.

    Raises:
        InputError: the first required input missing, with how to pass it.
    """
    for spec in target.inputs:
        if not spec.required or spec.name in values or spec.name in (previous or {}):
            continue
        if spec.secret and os.environ.get(env_name(spec.name)):
            continue
        how = (f"export {env_name(spec.name)}=…" if spec.secret
               else f"pass {flag(spec.name)} VALUE")
        raise InputError(f"target {target.name!r} needs {flag(spec.name)} ({spec.help})", how)


def secret_inputs(target: Target | None) -> dict[str, str]:
    """The secret inputs of ``target`` that are set in the environment, by name (read at every
    run, never stored)."""
    if target is None:
        return {}
    found = {}
    for spec in target.inputs:
        value = os.environ.get(env_name(spec.name)) if spec.secret else None
        if value:
            found[spec.name] = value
    return found


def project_folder_input(target: Target, values: Mapping[str, Any]) -> Path | None:
    """The folder an input with ``project_folder`` set names (the project is made there instead
    of ``--out/NAME``), or ``None``."""
    for spec in target.inputs:
        if spec.project_folder and values.get(spec.name):
            return Path(str(values[spec.name]))
    return None


def describe(spec: TargetInput | InputInfo) -> str:
    """One short line for ``cf targets``: ``--doc URL|PATH (required)``."""
    shapes = {"str": "TEXT", "path": "PATH", "bool": "", "int": "N", "url": "URL",
              "url_or_path": "URL|PATH", "list": "A,B"}
    text = flag(spec.name)
    if shapes[spec.type]:
        text += " " + shapes[spec.type]
    marks = [m for m, on in (("required", spec.required),
                             (f"secret: {env_name(spec.name)}", spec.secret)) if on]
    return text + (f" ({', '.join(marks)})" if marks else "")


class ReadTracker(dict[str, Any]):
    """The inputs handed to a step (``ctx.inputs``), remembering which names the step read.

    A plain ``dict`` for the plugin; ``read`` lists the names looked up (``[]``, ``.get``,
    ``in``) in first-read order, or every name when the step iterated over the mapping.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.read: list[str] = []

    def _saw(self, key: object) -> None:
        if isinstance(key, str) and key not in self.read:
            self.read.append(key)

    def __getitem__(self, key: str) -> Any:
        self._saw(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """``dict.get``, recording that ``key`` was read."""
        self._saw(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._saw(key)
        return super().__contains__(key)

    def _saw_all(self) -> None:
        for key in list(dict.keys(self)):
            self._saw(key)

    def __iter__(self) -> Any:
        self._saw_all()
        return super().__iter__()

    def items(self) -> Any:
        """``dict.items``, recording every name as read."""
        self._saw_all()
        return super().items()

    def values(self) -> Any:
        """``dict.values``, recording every name as read."""
        self._saw_all()
        return super().values()

    def copy(self) -> dict[str, Any]:
        """A plain copy, recording every name as read."""
        self._saw_all()
        return dict(super().items())
