"""Reading an OpenAPI 3.x or Swagger 2.0 document: parse, resolve ``$ref``, find the parts research
needs (base URL, security schemes, operations, parameters, response schemas).

Facts used here come from the OpenAPI Specification 3.0.3/3.1.0 (``servers``, ``components``,
``securitySchemes``, ``content``) and Swagger 2.0 (``host``/``basePath``/``schemes``,
``securityDefinitions``, a response's ``schema``). The document is parsed once per process by
:func:`~cf_databricks_source.doc_input.parsed_document`; each ``$ref`` object became a lazy
:class:`jsonref.JsonRef` proxy while it was parsed, resolved only when research reads it (cycles
are tolerated). Measured on GitHub's description (13 MB, 10,460 references; CPU medians of 5):
``jsonref.replace_refs`` walking the parsed document took 1.09 s against 0.13 s for the parse;
making the proxies while parsing adds 0.09 s. References to other files or URLs are not fetched
(research is offline) and count as unresolved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from connector_factory.errors import InputError

from cf_databricks_source.connector_plan import Auth
from cf_databricks_source.doc_input import parsed_document
from cf_databricks_source.doc_parse import import_jsonref

jsonref = import_jsonref()

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class Operation:
    """One operation: ``method`` upper-case, ``path`` as in the document, ``op`` its object and
    ``shared`` the path item's ``parameters`` (as in the document, refs unresolved).

    :attr:`parameters` and :attr:`query_params` are read on first use and kept: research reads
    the parameters of the ``GET`` operations only (about half of GitHub's 1,223), each many times.
    """

    method: str
    path: str
    op: dict[str, Any]
    shared: Any = field(default=None, repr=False)

    @cached_property
    def parameters(self) -> list[dict[str, Any]]:
        """The operation-level parameter objects, then the path-level ones it does not
        override (same ``in`` and ``name``), refs resolved."""
        own = _params(self.op.get("parameters"))
        names = {(p.get("in"), p.get("name")) for p in own}
        return own + [p for p in _params(self.shared) if (p.get("in"), p.get("name")) not in names]

    @cached_property
    def query_params(self) -> dict[str, dict[str, Any]]:
        """Query parameters by name."""
        return {p["name"]: p for p in self.parameters
                if p.get("in") == "query" and isinstance(p.get("name"), str)}

    def param_schema(self, param: dict[str, Any]) -> dict[str, Any]:
        """A parameter's schema (OpenAPI 3 ``schema``; Swagger 2 keeps type on the parameter)."""
        schema = param.get("schema")
        return safe_dict(schema) if schema is not None else param


def safe_dict(node: Any) -> dict[str, Any]:
    """``node`` when it is a mapping whose references resolve, else ``{}``. A reference comes back
    as the mapping it points to (nested references stay lazy): reading through the proxy costs
    about a microsecond per access, a third of research on GitHub's description."""
    try:
        if type(node) is jsonref.JsonRef:
            node = node.__subject__
        return node if isinstance(node, dict) else {}
    except jsonref.JsonRefError:
        return {}


class OpenAPIDocument:
    """A parsed, ref-resolving OpenAPI/Swagger document (the process's one parse of ``path``).

    Raises (from the constructor):
        InputError: the file is not JSON/YAML (``line L, column C: …``), not an OpenAPI
            3.x/Swagger 2.0 document, or has no ``paths``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        raw = parsed_document(path)
        if not isinstance(raw, dict):
            raise InputError(f"{path.name} is not an OpenAPI document (top level is not a mapping)",
                             "pass an OpenAPI 3.x or Swagger 2.0 document")
        version = str(raw.get("openapi") or raw.get("swagger") or "")
        if version.startswith("3."):
            self.major = 3
        elif version.startswith("2."):
            self.major = 2
        else:
            raise InputError(
                f"{path.name}: unsupported API description version {version or '(none)'!r}",
                "pass an OpenAPI 3.x or Swagger 2.0 document")
        if not isinstance(raw.get("paths"), dict) or not raw["paths"]:
            raise InputError(f"{path.name} has no paths",
                             "pass a document that describes the API's endpoints")
        self.version = version
        self.doc: dict[str, Any] = raw

    @property
    def title(self) -> str:
        """``info.title``."""
        info = safe_dict(self.doc.get("info"))
        return str(info.get("title") or "")

    @property
    def description(self) -> str:
        """``info.description``."""
        info = safe_dict(self.doc.get("info"))
        return str(info.get("description") or "")

    def base_url(self) -> tuple[str, str]:
        """``(base_url, evidence)``; ``""`` when the document names no absolute server URL.

        OpenAPI 3: the first ``servers`` entry with its variables set to their defaults.
        Swagger 2: ``schemes`` (https preferred) + ``host`` + ``basePath``.
        """
        if self.major == 3:
            servers = self.doc.get("servers") or []
            for server in servers if isinstance(servers, list) else []:
                server = safe_dict(server)
                url = str(server.get("url") or "")
                for name, var in safe_dict(server.get("variables")).items():
                    url = url.replace("{" + str(name) + "}", str(safe_dict(var).get("default", "")))
                if url.startswith(("http://", "https://")):
                    return url.rstrip("/"), "servers[0].url"
            return "", "no absolute URL in servers"
        host = self.doc.get("host")
        if not host:
            return "", "no host"
        schemes = self.doc.get("schemes") or ["https"]
        scheme = "https" if "https" in schemes else str(schemes[0])
        return (f"{scheme}://{host}{self.doc.get('basePath') or ''}".rstrip("/"),
                "schemes + host + basePath")

    def operations(self) -> Iterator[Operation]:
        """Every operation, in document order (found once per document object)."""
        return iter(self._operations)

    @cached_property
    def _operations(self) -> list[Operation]:
        found = []
        for path, item in safe_dict(self.doc.get("paths")).items():
            item = safe_dict(item)
            for method in HTTP_METHODS:
                op = safe_dict(item.get(method))
                if op:
                    found.append(Operation(method.upper(), str(path), op, item.get("parameters")))
        return found

    def response(self, op: Operation) -> tuple[dict[str, Any], dict[str, Any], str]:
        """``(success response object, its JSON body schema, evidence)`` of ``op``; empty
        mappings when the operation declares no 2xx JSON body."""
        responses = safe_dict(op.op.get("responses"))
        for code in ("200", "2XX", "2xx", "206", "203", "default"):
            if code in responses or int_key(responses, code) in responses:
                response = safe_dict(responses.get(code, responses.get(int_key(responses, code))))
                schema, where = self._body_schema(response)
                if schema:
                    return response, schema, f"responses.{code}{where}"
        return {}, {}, ""

    def _body_schema(self, response: dict[str, Any]) -> tuple[dict[str, Any], str]:
        if self.major == 2:
            return safe_dict(response.get("schema")), ".schema"
        content = safe_dict(response.get("content"))
        for media in sorted(content, key=lambda m: (m != "application/json", "json" not in m)):
            if "json" in media or media == "*/*":
                return safe_dict(safe_dict(content[media]).get("schema")), f".content[{media}]"
        return {}, ""

    def security(self) -> Auth:
        """The authentication requests need, from the security schemes the document declares.

        The scheme named first in the top-level ``security`` (else by any operation, else the
        first declared) decides; the others are listed as ``alternatives``. OAuth2 and OpenID
        Connect become ``bearer`` with a token obtained outside the connector.
        """
        if self.major == 3:
            schemes = safe_dict(safe_dict(self.doc.get("components")).get("securitySchemes"))
        else:
            schemes = safe_dict(self.doc.get("securityDefinitions"))
        if not schemes:
            secured = [op for op in self.operations()
                       if {"401", "403"} & {str(c) for c in safe_dict(op.op.get("responses"))}]
            if secured:
                return Auth(type="bearer", evidence=(
                    f"no security scheme is declared, but {len(secured)} operations answer 401/403 "
                    f"(e.g. {secured[0].method} {secured[0].path}): assuming a bearer token"))
            return Auth(type="none", evidence="the document declares no security schemes")
        order = _requirement_names(self.doc.get("security"))
        for op in self.operations():
            order += [n for n in _requirement_names(op.op.get("security")) if n not in order]
        order += [n for n in schemes if n not in order]
        chosen: Auth | None = None
        alternatives: list[str] = []
        for name in order:
            scheme = safe_dict(schemes.get(name))
            auth = _auth_of(scheme, name)
            label = f"{name} ({describe_scheme(scheme)})"
            if chosen is None and auth is not None:
                chosen = auth.model_copy(update={"evidence": f"security scheme {label}"})
            else:
                alternatives.append(label)
        if chosen is None:
            return Auth(type="none", alternatives=alternatives,
                        evidence="no declared scheme can be used by a connector")
        return chosen.model_copy(update={"alternatives": alternatives})


def int_key(mapping: dict[Any, Any], code: str) -> Any:
    """YAML may load status codes as integers: ``200`` for ``"200"``."""
    return int(code) if code.isdigit() else code


def _params(node: Any) -> list[dict[str, Any]]:
    if not isinstance(node, list):
        return []
    out = []
    for p in node:
        p = safe_dict(p)
        if p.get("name") is not None and p.get("in"):
            out.append(p)
    return out


def _requirement_names(security: Any) -> list[str]:
    names: list[str] = []
    for requirement in security if isinstance(security, list) else []:
        for name in safe_dict(requirement):
            if name not in names:
                names.append(str(name))
    return names


def describe_scheme(scheme: dict[str, Any]) -> str:
    """One line naming an OpenAPI security scheme: ``http bearer``, ``API key in header X``,
    ``oauth2 clientCredentials`` …"""
    kind = str(scheme.get("type", "?"))
    if kind == "http":
        return f"http {scheme.get('scheme', '')}".strip()
    if kind == "apiKey":
        return f"API key in {scheme.get('in')} {scheme.get('name')}"
    if kind == "oauth2":
        flows = safe_dict(scheme.get("flows")) or {scheme.get("flow", "?"): {}}
        return f"oauth2 {', '.join(str(f) for f in flows)}"
    return kind


def _auth_of(scheme: dict[str, Any], name: str) -> Auth | None:
    kind = scheme.get("type")
    if kind == "http":
        word = str(scheme.get("scheme", "")).lower()
        if word == "basic":
            return Auth(type="basic")
        if word == "bearer":
            return Auth(type="bearer")
        return None
    if kind == "basic":  # Swagger 2.0
        return Auth(type="basic")
    if kind == "apiKey":
        where = scheme.get("in")
        key = str(scheme.get("name") or "")
        if where not in ("header", "query") or not key:
            return None
        return Auth(type="api_key", location=where, key_name=key)
    if kind in ("oauth2", "openIdConnect"):
        return Auth(type="bearer")
    return None
