"""Request parameters of a table: where each value comes from, with the evidence.

- **Path parameters** become a *table option* named exactly after the parameter (``owner``,
  ``repo``), a *connection option* when the value is the same for every table (``{userId}``
  documented as ``me``; ``{subscriptionId}``, ``{companyId}``, ``{tenantId}`` …), or — decided
  later by :func:`link_parent` — are filled from a *parent table* whose records the child fans
  out over (``/lists/{list_id}/members`` ← ``/lists``).
- **Required query parameters** become fixed values (their ``default``/``enum``) or table
  options; an optional ``enum`` parameter whose default hides records while ``all`` is allowed
  (GitHub ``state=open`` → ``all``, ``filter=assigned`` → ``all``) is overridden; parameters one
  of which the description says is required become optional table options.
- **Required headers** other than ``Accept``/``Content-Type``/``Authorization`` likewise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cf_databricks_source.connector_plan import ConnectionOption, TableParam
from cf_databricks_source.keys import singular, snake
from cf_databricks_source.openapi_loader import Operation

#: Path parameters that scope a whole account: one value for every table.
ACCOUNT_SCOPES = ("subscription", "tenant", "company", "account", "workspace", "realm", "site",
                  "instance", "environment", "organization")
#: Values that mean "every record" in a filter's enum.
ALL_VALUES = ("all", "any", "*")
#: Headers a connector sets itself.
OWN_HEADERS = ("accept", "content-type", "authorization", "user-agent")
#: Last name parts of a path parameter that name a field of the parent's records.
KEY_WORDS = ("id", "uid", "uuid", "key", "slug", "name", "number", "login", "code", "sha",
             "gid")
_ONE_OF = re.compile(r"(one of|either|at least one)\b.{0,80}\b(required|must)|"
                     r"required (if|unless|when)|must (provide|specify) (one|either)",
                     re.IGNORECASE)
_ME = re.compile(r"[`'\"]me[`'\"]")


@dataclass
class ParamPlan:
    """The parameters of one table: ``params`` not fixed, fixed ``query``/``headers``,
    ``connection`` options they need, and the evidence by decision name."""

    params: list[TableParam] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    connection: list[ConnectionOption] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)


def path_param_names(path: str) -> list[str]:
    """``/repos/{owner}/{repo}/issues`` → ``["owner", "repo"]``."""
    return re.findall(r"\{([^}/]+)\}", path)


def plan_params(op: Operation, consumed: set[str]) -> ParamPlan:
    """The parameter plan of ``op``; ``consumed`` query parameters (paging, incremental, sort)
    are set by the reader and left out."""
    plan = ParamPlan()
    by_key = {(str(p.get("in")), str(p.get("name"))): p for p in op.parameters}
    for name in path_param_names(op.path):
        _path_param(plan, op, name, by_key.get(("path", name), {"name": name, "in": "path"}))
    for (where, key), param in by_key.items():
        if where == "query" and key not in consumed:
            _query_param(plan, op, key, param)
        elif where == "header" and param.get("required") and key.lower() not in OWN_HEADERS:
            _header_param(plan, op, key, param)
    return plan


def _path_param(plan: ParamPlan, op: Operation, name: str, param: dict[str, Any]) -> None:
    text = _text(param)
    schema = op.param_schema(param)
    where = f"paths.{op.path} parameter {{{name}}}"
    if schema.get("default") == "me" or schema.get("example") == "me" or _ME.search(text):
        plan.connection.append(ConnectionOption(
            name=name, default="me", required=False, description=_short(text),
            evidence=f"{where}: documented as `me` (the authenticated user)"))
        plan.params.append(TableParam(name=name, source="connection_option", default="me",
                                      description=_short(text),
                                      evidence=f"{where}: `me`, the same for every table"))
        return
    word = snake(name)
    if any(word in (scope, f"{scope}_id", f"{scope}_key") for scope in ACCOUNT_SCOPES):
        plan.connection.append(ConnectionOption(
            name=name, description=_short(text),
            evidence=f"{where}: an account scope, the same for every table"))
        plan.params.append(TableParam(name=name, source="connection_option",
                                      description=_short(text),
                                      evidence=f"{where}: an account scope ({word})"))
        return
    plan.params.append(TableParam(name=name, source="table_option", description=_short(text),
                                  default=_str(schema.get("default")),
                                  evidence=f"{where}: set per table"))


def _query_param(plan: ParamPlan, op: Operation, name: str, param: dict[str, Any]) -> None:
    schema = op.param_schema(param)
    enum = [str(v) for v in schema.get("enum") or safe_items_enum(schema)]
    default = _default(schema)
    where = f"paths.{op.path} query parameter {name}"
    every = next((v for v in enum if v.lower() in ALL_VALUES), None)
    if every is not None and default is not None and default != every:
        plan.query[name] = every
        plan.evidence[f"query.{name}"] = (f"{where}: the default {default!r} hides records; "
                                          f"{every!r} is allowed ({', '.join(enum[:8])})")
        return
    if param.get("required"):
        value = default if default is not None else (enum[0] if enum else None)
        if value is not None:
            plan.query[name] = value
            plan.evidence[f"query.{name}"] = f"{where}: required, {value!r} from the document"
            return
        plan.params.append(TableParam(name=name, in_="query", source="table_option",
                                      description=_short(_text(param)),
                                      evidence=f"{where}: required, no default"))
        return
    if _ONE_OF.search(_text(param)):
        plan.params.append(TableParam(name=name, in_="query", source="table_option",
                                      required=False, description=_short(_text(param)),
                                      evidence=f"{where}: one of a group the API requires"))


def _header_param(plan: ParamPlan, op: Operation, name: str, param: dict[str, Any]) -> None:
    schema = op.param_schema(param)
    enum = [str(v) for v in schema.get("enum") or []]
    value = _default(schema) or (enum[0] if enum else None)
    where = f"paths.{op.path} header {name}"
    if value is not None:
        plan.headers[name] = value
        plan.evidence[f"header.{name}"] = f"{where}: required, {value!r} from the document"
        return
    plan.params.append(TableParam(name=name, in_="header", source="table_option",
                                  description=_short(_text(param)),
                                  evidence=f"{where}: required, no default"))


def parent_field(param: str, resource: str, fields: list[str], keys: list[str]) -> str | None:
    """The field of the parent's records that fills path parameter ``param``: the same name;
    the name less the parent's singular (``issue_number`` on ``issues`` → ``number``,
    ``list_id`` → ``id``, ``customerId`` → ``id``); a key word it ends in (``_slug``); else the
    parent's single key when the name is id-like. ``None`` when nothing fits."""
    lowered = {_norm(f): f for f in fields}
    wanted = _norm(param)
    if wanted in lowered:
        return lowered[wanted]
    one = _norm(singular(snake(resource).split("_")[-1]))
    if one and wanted.startswith(one) and wanted[len(one):] in lowered:
        return lowered[wanted[len(one):]]
    last = snake(param).split("_")[-1]
    if last in KEY_WORDS and last in lowered:
        return lowered[last]
    if len(keys) == 1 and (last in KEY_WORDS or wanted.endswith("id")):
        return keys[0]
    return None


def parent_column(param: str, resource: str) -> str:
    """The child's column holding the parent's value: ``issue_number``; ``{id}`` under
    ``/customers`` → ``customer_id``."""
    column = snake(param)
    if column in KEY_WORDS:
        column = f"{snake(singular(snake(resource).split('_')[-1]))}_{column}"
    return column


def option_names(params: list[TableParam]) -> list[str]:
    """The table options ``params`` read, in order."""
    return [p.option or p.name for p in params if p.source == "table_option"]


def safe_items_enum(schema: dict[str, Any]) -> list[Any]:
    """The ``enum`` of an array parameter's items."""
    items = schema.get("items")
    return list(items.get("enum") or []) if isinstance(items, dict) else []


def _default(schema: dict[str, Any]) -> str | None:
    if "default" not in schema:
        return None
    value = schema["default"]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value)) if value else None
    return None if value is None else str(value)


def _str(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _text(param: dict[str, Any]) -> str:
    schema = param.get("schema") if isinstance(param.get("schema"), dict) else {}
    return " ".join(f"{param.get('description') or ''} "
                    f"{(schema or {}).get('description') or ''}".split())


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
