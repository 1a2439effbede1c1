"""The credential the chosen tables need, and the server URL's variables.

Per OpenAPI 3 (``security`` on an operation overrides the document's; ``[]`` or ``[{}]`` means
none), a credential is asked for only when a chosen table's operation needs one. Schemes map to
:class:`~cf_databricks_source.connector_plan.Auth`: ``http basic`` → ``basic``; ``http bearer`` →
``bearer``; ``apiKey`` in a header or the query → ``api_key``; ``oauth2`` with a
``clientCredentials`` flow → ``oauth2_client_credentials``, with an ``authorizationCode`` flow →
``oauth2_refresh_token`` (token URL from ``tokenUrl``/``refreshUrl``, resolved against the server
URL; scopes from the requirement); other OAuth2/OpenID Connect flows → ``bearer`` with a token
obtained outside the connector. Swagger 2 ``application``/``accessCode`` flows likewise.
Server variables (``https://{dc}.api.example.com``) become connection options.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from cf_databricks_source.connector_plan import Auth, ConnectionOption
from cf_databricks_source.openapi_loader import (
    OpenAPIDocument,
    Operation,
    describe_scheme,
    safe_dict,
)

#: Preference among usable schemes when an operation accepts several (simplest credential first).
_PREFERENCE = ("bearer", "api_key", "basic", "oauth2_client_credentials", "oauth2_refresh_token")


def schemes(document: OpenAPIDocument) -> dict[str, dict[str, Any]]:
    """The declared security schemes by name."""
    if document.major == 3:
        found = safe_dict(safe_dict(document.doc.get("components")).get("securitySchemes"))
    else:
        found = safe_dict(document.doc.get("securityDefinitions"))
    return {str(k): safe_dict(v) for k, v in found.items()}


def requirements(document: OpenAPIDocument, op: Operation) -> list[dict[str, list[str]]] | None:
    """The operation's security requirements (alternatives, each a scheme → scopes mapping);
    ``[]`` when it needs none, ``None`` when neither it nor the document says."""
    security = op.op.get("security", document.doc.get("security"))
    if not isinstance(security, list):
        return None
    out = []
    for requirement in security:
        requirement = safe_dict(requirement)
        if not requirement:
            return []
        out.append({str(k): [str(s) for s in v] if isinstance(v, list) else []
                    for k, v in requirement.items()})
    return out


def needs_credential(document: OpenAPIDocument, op: Operation) -> bool:
    """Whether ``op`` needs a credential (unknown counts as yes)."""
    return requirements(document, op) != []


def accepted(document: OpenAPIDocument, op: Operation) -> set[str] | None:
    """The scheme names any one of which alone lets ``op`` be called; ``None`` when it needs no
    credential or the document does not say."""
    found = requirements(document, op)
    if not found:
        return None
    return {next(iter(r)) for r in found if len(r) == 1}


def credential_gaps(document: OpenAPIDocument, ops: list[Operation]) -> dict[int, str]:
    """For each operation (by position in ``ops``) that the credential most of them accept
    cannot call, why: ``"needs the appJwt credential, not oauth"``. Empty when the document
    declares no per-operation difference."""
    accepts = [accepted(document, op) for op in ops]
    votes: dict[str, int] = {}
    for names in accepts:
        for name in names or ():
            votes[name] = votes.get(name, 0) + 1
    if not votes:
        return {}
    common = max(votes, key=lambda n: votes[n])
    return {i: f"needs the {' or '.join(sorted(names)) or 'combined'} credential, not {common}"
            for i, names in enumerate(accepts) if names is not None and common not in names}


def auth_for(document: OpenAPIDocument, ops: list[Operation], base_url: str) -> Auth:
    """The one credential for ``ops`` (the chosen tables): the scheme most of them accept, by
    :data:`_PREFERENCE`; ``none`` when none needs one; the document-wide guess of
    :meth:`OpenAPIDocument.security` when no requirement is declared."""
    declared = schemes(document)
    votes: dict[str, int] = {}
    scopes: dict[str, list[str]] = {}
    needed = False
    undeclared = False
    for op in ops:
        found = requirements(document, op)
        if found is None:
            undeclared = True
            continue
        if not found:
            continue
        needed = True
        for requirement in found:
            if len(requirement) != 1:
                continue  # several credentials at once: not one connector option
            name, wanted = next(iter(requirement.items()))
            votes[name] = votes.get(name, 0) + 1
            scopes.setdefault(name, [])
            scopes[name] += [s for s in wanted if s not in scopes[name]]
    if not needed and not undeclared:
        return Auth(type="none", evidence="no chosen table's operation needs a credential "
                                          "(security: [])")
    if undeclared and not votes:
        return document.security()
    usable = []
    alternatives = []
    for name in sorted(votes, key=lambda n: -votes[n]):
        auth = scheme_auth(declared.get(name, {}), base_url, scopes.get(name, []))
        label = f"{name} ({describe_scheme(declared.get(name, {}))})"
        if auth is None:
            alternatives.append(label)
        else:
            usable.append((name, auth, label))
    if not usable:
        fallback = document.security()
        return fallback.model_copy(update={"alternatives": alternatives or fallback.alternatives})
    usable.sort(key=lambda u: (-votes[u[0]], _PREFERENCE.index(u[1].type)
                               if u[1].type in _PREFERENCE else 9))
    name, auth, label = usable[0]
    alternatives += [u[2] for u in usable[1:]]
    return auth.model_copy(update={
        "alternatives": alternatives,
        "evidence": f"security scheme {label}, required by {votes[name]} of the "
                    f"{len(ops)} chosen tables' operations"})


def scheme_auth(scheme: dict[str, Any], base_url: str, wanted: list[str]) -> Auth | None:
    """The :class:`Auth` for one security scheme object, or None when a connector cannot use it
    (mutual TLS, a cookie, an unknown type)."""
    kind = scheme.get("type")
    if kind == "http":
        word = str(scheme.get("scheme", "")).lower()
        return Auth(type="basic") if word == "basic" else (
            Auth(type="bearer") if word == "bearer" else None)
    if kind == "basic":
        return Auth(type="basic")
    if kind == "apiKey":
        where, key = scheme.get("in"), str(scheme.get("name") or "")
        if where not in ("header", "query") or not key:
            return None
        if where == "header" and key.lower() == "authorization":
            return Auth(type="bearer")  # Kubernetes' BearerToken scheme
        return Auth(type="api_key", location=where, key_name=key)
    if kind == "oauth2":
        flows = safe_dict(scheme.get("flows"))
        if not flows and scheme.get("flow"):  # Swagger 2
            flows = {{"application": "clientCredentials", "accessCode": "authorizationCode"}.get(
                str(scheme["flow"]), str(scheme["flow"])): scheme}
        credentials = safe_dict(flows.get("clientCredentials"))
        if credentials.get("tokenUrl"):
            return Auth(type="oauth2_client_credentials",
                        token_url=urljoin(base_url + "/", str(credentials["tokenUrl"])),
                        scopes=wanted)
        code = safe_dict(flows.get("authorizationCode"))
        if code.get("tokenUrl") or code.get("refreshUrl"):
            url = str(code.get("refreshUrl") or code.get("tokenUrl"))
            return Auth(type="oauth2_refresh_token", token_url=urljoin(base_url + "/", url),
                        scopes=wanted)
        return Auth(type="bearer")
    if kind == "openIdConnect":
        return Auth(type="bearer")
    return None


def server(document: OpenAPIDocument) -> tuple[str, list[ConnectionOption], str]:
    """``(base URL, connection options, evidence)``. An OpenAPI 3 server URL keeps its
    ``{variable}`` placeholders, each a connection option (its ``default`` and ``enum`` from the
    document); a URL without variables, or a Swagger 2 host, is returned as
    :meth:`OpenAPIDocument.base_url` gives it."""
    if document.major == 3:
        for entry in document.doc.get("servers") or []:
            entry = safe_dict(entry)
            url = str(entry.get("url") or "").rstrip("/")
            variables = safe_dict(entry.get("variables"))
            if not variables or not url.startswith(("http://", "https://", "{")):
                continue
            options = []
            for name, var in variables.items():
                var = safe_dict(var)
                if "{" + str(name) + "}" not in url:
                    continue
                enum = [str(v) for v in var.get("enum") or []]
                text = " ".join(str(var.get("description") or "").split())
                options.append(ConnectionOption(
                    name=str(name), default=str(var["default"]) if "default" in var else None,
                    required="default" not in var,
                    description=(text + (f" (one of {', '.join(enum[:10])})" if enum else ""))
                    .strip() or f"server variable {name}",
                    evidence=f"servers[0].variables.{name}"))
            if options:
                return url, options, "servers[0].url with variables"
    base_url, evidence = document.base_url()
    return base_url, [], evidence
