"""The connector plan: what research finds and scaffold turns into code.

The plan is written into ``NAME_api_doc.md`` as a fenced YAML block under the heading
``## Connector plan (machine-readable)``, so a person may edit the doc and scaffold follows the
edit. The generated connector embeds each table's plan as its runtime configuration.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

IngestionType = Literal["snapshot", "cdc", "cdc_with_deletes", "append"]
PaginationStyle = Literal[
    "link_header", "next_url", "next_token", "offset", "page", "cursor", "none"]
AuthType = Literal[
    "bearer", "basic", "api_key", "oauth2_client_credentials", "oauth2_refresh_token", "none"]
#: Where a parameter's value comes from: a per-table option (listed in the connector spec's
#: ``external_options_allowlist``), a connection option (same for every table), or the records
#: of the parent table (the child table fans out over them).
ParamSource = Literal["table_option", "connection_option", "parent"]


class Auth(BaseModel):
    """How requests are authenticated.

    ``bearer``: ``Authorization: Bearer <token>`` (``header``/``scheme`` may change the header
    name or the word before the token, e.g. GitHub accepts ``token``). ``basic``: username and
    password. ``api_key``: the value of option ``api_key`` sent in ``location`` (header or query)
    under ``key_name``. ``none``: nothing.
    """

    model_config = ConfigDict(extra="forbid")

    type: AuthType = "none"
    header: str = "Authorization"
    scheme: str = "Bearer"
    location: Literal["header", "query"] = "header"
    key_name: str = ""
    #: OAuth2 token endpoint (absolute URL, from the document's ``flows.*.tokenUrl``).
    token_url: str | None = None
    scopes: list[str] = Field(default_factory=list)
    #: Other schemes the API offers, for the doc (e.g. "oauth2 (authorization code)").
    alternatives: list[str] = Field(default_factory=list)
    evidence: str = ""


class Pagination(BaseModel):
    """How one list endpoint pages.

    - ``link_header``: follow ``rel="next"`` in the RFC 8288 ``Link`` header; ``size_param`` sets
      the page size; ``page_param``, when set, asks for the first page by number (json-server
      sends the header only then).
    - ``next_url``: the body holds the next page's URL at ``next_path``.
    - ``next_token``: the body (``token_path``) or a header (``token_header``) holds a token sent
      back as ``token_param``.
    - ``offset``: ``offset_param``/``size_param``; stop on a short page.
    - ``page``: ``page_param`` starting at ``start_page``, ``size_param``; stop on a short page.
    - ``cursor``: the last record's ``cursor_from`` field is sent as ``cursor_param`` (Stripe's
      ``starting_after``); ``has_more_path`` in the body says whether another page exists.
    - ``none``: one request returns everything.

    ``total_header``/``total_path`` name where the server reports the collection's size
    (``X-Total-Count``, a body count); the reader uses it to detect a collection that changed
    during an offset-paged snapshot.
    """

    model_config = ConfigDict(extra="forbid")

    style: PaginationStyle = "none"
    size_param: str | None = None
    page_size: int = 100
    page_param: str | None = None
    start_page: int = 1
    offset_param: str | None = None
    token_param: str | None = None
    token_path: list[str] = Field(default_factory=list)
    token_header: str | None = None
    next_path: list[str] = Field(default_factory=list)
    cursor_param: str | None = None
    cursor_from: str | None = None
    has_more_path: list[str] = Field(default_factory=list)
    total_header: str | None = None
    total_path: list[str] = Field(default_factory=list)
    evidence: str = ""


class TableParam(BaseModel):
    """One request parameter whose value is not fixed (fixed ones are in ``TablePlan.query`` /
    ``TablePlan.headers``).

    ``name`` is the API's parameter name (``owner``, ``list_id``, ``state``); ``in_`` where it
    goes. ``source`` says where its value comes from (see :data:`ParamSource`); ``option`` is the
    option's name, defaulting to ``name`` (table options are named exactly after the parameter).
    For ``parent``: ``parent_field`` is the (dotted) field of each parent record that fills it
    and ``column`` the column the child's records carry it in (part of the child's primary key).
    ``default`` is used when the option is not given; a ``required`` parameter with no value is
    an error at read time naming the option.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    in_: Literal["path", "query", "header"] = Field(default="path", alias="in")
    source: ParamSource = "table_option"
    option: str | None = None
    required: bool = True
    default: str | None = None
    parent_field: str | None = None
    column: str | None = None
    description: str = ""
    evidence: str = ""

    @model_validator(mode="after")
    def _parent_fields(self) -> TableParam:
        if self.source == "parent" and not (self.parent_field and self.column):
            raise ValueError(
                f"parameter {self.name}: parent_field and column are required for source parent")
        return self


class ConnectionOption(BaseModel):
    """An option of the whole connection (a server variable such as ``{dc}``, a path parameter
    that is the same for every table such as ``{userId}`` = ``me``, a credential)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    default: str | None = None
    required: bool = True
    secret: bool = False
    evidence: str = ""


class Deletes(BaseModel):
    """How deleted records are found for ``cdc_with_deletes``: a sibling endpoint (``path``),
    tombstone records in the table itself (``tombstone_field`` with one of ``tombstone_values``;
    an empty list means any non-null, non-false value), and/or fixed ``query`` parameters that
    make the API include deleted records (``include_deleted=true``)."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    tombstone_field: str | None = None
    tombstone_values: list[Any] = Field(default_factory=list)
    query: dict[str, str] = Field(default_factory=dict)
    evidence: str = ""


class Incremental(BaseModel):
    """How an incremental table asks the API for records changed after the saved cursor.

    ``since_param`` carries the lower bound (inclusive on most APIs; the connector also filters
    client-side, exclusive). ``sort_params`` are fixed query parameters that make the API return
    records in ascending cursor order; when absent the connector reads the whole window in one
    call.
    """

    model_config = ConfigDict(extra="forbid")

    since_param: str | None = None
    since_format: Literal["iso8601", "epoch_seconds", "raw"] = "raw"
    sort_params: dict[str, str] = Field(default_factory=dict)
    #: ``time`` for timestamps, ``monotonic`` for ids / sequence numbers that only grow.
    cursor_kind: Literal["time", "monotonic"] = "time"


class TablePlan(BaseModel):
    """One table (stream) of the connector.

    ``records_path`` is the key path from the response body to the list of records (``[]`` when the
    body is the list itself). ``schema_`` is the JSON Schema of one record with ``$ref`` resolved
    (recursion cut at a depth limit and replaced by ``{"type": "string"}`` holding JSON text).
    ``path`` may hold ``{param}`` placeholders, each described in ``params``. ``cursor_field``
    may be dotted (``commit.committer.date``). ``parent`` names the table whose records fill the
    ``source: parent`` parameters.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    path: str
    method: Literal["GET", "POST"] = "GET"
    operation_id: str | None = None
    description: str = ""
    records_path: list[str] = Field(default_factory=list)
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    params: list[TableParam] = Field(default_factory=list)
    parent: str | None = None
    primary_keys: list[str] = Field(default_factory=list)
    cursor_field: str | None = None
    ingestion_type: IngestionType = "snapshot"
    incremental: Incremental | None = None
    pagination: Pagination = Field(default_factory=Pagination)
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    #: Where each decision came from: spec path / doc excerpt, keyed by decision name.
    evidence: dict[str, str] = Field(default_factory=dict)
    #: Why this table was chosen (when tables were not named by the user).
    reason: str = ""
    #: A second endpoint listing deleted records, for ``cdc_with_deletes``.
    deletes_path: str | None = None
    deletes: Deletes | None = None

    @model_validator(mode="after")
    def _keys_fit_ingestion(self) -> TablePlan:
        if self.ingestion_type in ("cdc", "cdc_with_deletes") and not self.primary_keys:
            raise ValueError(
                f"table {self.name}: primary_keys is required for {self.ingestion_type}")
        if self.ingestion_type == "append" and not self.cursor_field:
            raise ValueError(
                f"table {self.name}: append needs a cursor_field that only grows (a creation "
                "time or a growing id); without one every read re-appends the whole "
                "collection: use snapshot")
        if self.ingestion_type in ("cdc", "cdc_with_deletes") and not self.cursor_field:
            raise ValueError(
                f"table {self.name}: cursor_field is required for {self.ingestion_type}")
        if self.ingestion_type == "cdc_with_deletes" and not (
                self.deletes_path or (self.deletes and (self.deletes.path
                                                        or self.deletes.tombstone_field))):
            raise ValueError(
                f"table {self.name}: deletes_path (or deletes.path / deletes.tombstone_field) "
                "is required for cdc_with_deletes")
        if any(p.source == "parent" for p in self.params) and not self.parent:
            raise ValueError(f"table {self.name}: parent is required for parent parameters")
        return self


class ConnectorPlan(BaseModel):
    """Everything scaffold needs to write a connector.

    ``source`` names the input (spec path or URL) and ``source_kind`` how it was read
    (``openapi`` deterministically, ``llm`` by the researcher agent).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = ""
    source: str = ""
    source_kind: Literal["openapi", "llm"] = "openapi"
    base_url: str
    #: Options of the whole connection beyond the credentials (server variables in
    #: ``base_url`` such as ``{dc}``, shared path parameters).
    connection_options: list[ConnectionOption] = Field(default_factory=list)
    auth: Auth = Field(default_factory=Auth)
    rate_limits: str = ""
    tables: list[TablePlan]
    #: Every GET endpoint not planned as a table, for the doc (``"GET /path"`` -> why not:
    #: ``"table NAME: …"`` for a candidate not chosen, else why it cannot be a table).
    skipped: dict[str, str] = Field(default_factory=dict)
    #: Counts for the summary: operations, GET operations, list endpoints found.
    stats: dict[str, int] = Field(default_factory=dict)


def table_options(plan: ConnectorPlan) -> dict[str, str]:
    """The per-table options the plan's parameters read (``source: table_option``), by option
    name, each described with the tables that use it and whether they need it — for the
    connector spec's ``external_options_allowlist`` and the README. Order: first use."""
    uses: dict[str, list[str]] = {}
    about: dict[str, str] = {}
    required: dict[str, bool] = {}
    for table in plan.tables:
        for p in table.params:
            if p.source != "table_option":
                continue
            option = p.option or p.name
            uses.setdefault(option, []).append(table.name)
            about.setdefault(option, p.description or f"{p.in_} parameter {p.name}")
            required[option] = required.get(option, False) or p.required
    return {option: f"{about[option]} ({'required' if required[option] else 'optional'} for "
                    f"{', '.join(names)})" for option, names in uses.items()}
