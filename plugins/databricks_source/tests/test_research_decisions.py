"""Research decisions on descriptions modelled after real APIs (``tests/data/research/*.yaml``;
each file says which description and version it models): parameters, parents, keys, cursors,
deletes, pagination, ranking and auth, and how the api doc shows them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cf_databricks_source.api_doc import parse_api_doc, render_api_doc
from cf_databricks_source.connector_plan import TablePlan
from cf_databricks_source.keys import singular
from cf_databricks_source.openapi_research import research
from connector_factory.errors import InputError
from pydantic import ValidationError

DATA = Path(__file__).parent / "data" / "research"


def tables(name: str, wanted: list[str] | None = None) -> dict[str, TablePlan]:
    return {t.path: t for t in research(DATA / f"{name}.yaml", name, tables=wanted).tables}


def test_kubernetes_core_resources_rank_above_discovery_endpoints() -> None:
    plan = research(DATA / "kubernetes.yaml", "kubernetes")
    assert [t.path for t in plan.tables] == ["/api/v1/namespaces/{namespace}/pods"]
    pods = plan.tables[0]
    assert pods.primary_keys == ["metadata.uid"]  # a nested id
    assert pods.pagination.style == "next_token"
    assert (pods.pagination.token_param, pods.pagination.token_path) == (
        "continue", ["metadata", "continue"])
    for discovery in ("/api/v1/", "/apis/apps/v1/", "/apis/batch/v1/"):
        assert "API-discovery endpoint" in plan.skipped[f"GET {discovery}"]
    assert "pods already lists pods" in plan.skipped["GET /api/v1/pods"]


def test_stripe_cursor_paging_and_range_filter() -> None:
    customers = tables("stripe")["/v1/customers"]
    page = customers.pagination
    assert (page.style, page.cursor_param, page.cursor_from, page.has_more_path) == (
        "cursor", "starting_after", "id", ["has_more"])
    assert customers.records_path == ["data"]
    # created is a deepObject range: created[gte], epoch seconds; a creation time: append
    assert customers.incremental is not None
    assert (customers.incremental.since_param, customers.incremental.since_format) == (
        "created[gte]", "epoch_seconds")
    assert (customers.ingestion_type, customers.cursor_field) == ("append", "created")


def test_mailchimp_parent_child_server_variable_and_totals() -> None:
    plan = research(DATA / "mailchimp.yaml", "mailchimp")
    assert plan.base_url == "https://{dc}.api.mailchimp.com/3.0"
    assert [(o.name, o.default) for o in plan.connection_options] == [("dc", "us1")]
    assert plan.auth.type == "basic"
    by_path = {t.path: t for t in plan.tables}
    lists, members = by_path["/lists"], by_path["/lists/{list_id}/members"]
    assert [t.name for t in plan.tables] == ["lists", "members"]  # the parent first
    assert members.parent == "lists"
    (param,) = members.params
    assert (param.source, param.parent_field, param.column) == ("parent", "id", "list_id")
    assert members.primary_keys == ["list_id", "id"]
    assert (members.ingestion_type, members.cursor_field) == ("cdc", "last_changed")
    assert members.incremental is not None
    assert members.incremental.since_param == "since_last_changed"  # since_<field>
    assert (lists.ingestion_type, lists.cursor_field) == ("append", "date_created")
    assert lists.pagination.style == "offset" and lists.pagination.total_path == ["total_items"]
    text = render_api_doc(plan)
    assert "Connection option `dc` (default `us1`)" in text
    assert "`GET /lists/{list_id}` — returns one object, not a list" in text
    assert parse_api_doc(text) == plan


def test_graph_me_subscription_odata_and_client_credentials() -> None:
    plan = research(DATA / "graph.yaml", "graph")
    assert plan.auth.type == "oauth2_client_credentials"
    assert plan.auth.token_url == "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    assert plan.auth.scopes == ["Mail.Read"]
    options = {o.name: o for o in plan.connection_options}
    assert options["user-id"].default == "me" and options["subscriptionId"].required
    by_path = {t.path: t for t in plan.tables}
    messages = by_path["/users/{user-id}/messages"]
    assert [(p.name, p.source) for p in messages.params] == [("user-id", "connection_option")]
    assert messages.pagination.next_path == ["@odata.nextLink"]  # through allOf
    assert messages.pagination.size_param == "$top"
    assert (messages.ingestion_type, messages.cursor_field) == ("cdc", "lastModifiedDateTime")
    assert "OData $filter" in messages.evidence["incremental"]
    groups = by_path["/subscriptions/{subscriptionId}/resourcegroups"]
    assert groups.query == {"api-version": "2021-04-01"}  # required, from its enum
    assert groups.pagination.next_path == ["nextLink"]


def test_mixed_deletes_envelopes_headers_and_public_endpoints() -> None:
    plan = research(DATA / "mixed.yaml", "mixed")
    by_path = {t.path: t for t in plan.tables}
    tasks, deals = by_path["/tasks"], by_path["/deals"]
    assert tasks.ingestion_type == "cdc_with_deletes" and tasks.deletes is not None
    assert (tasks.deletes.tombstone_field, tasks.deletes.query) == (
        "is_deleted", {"include_deleted": "true"})
    assert tasks.incremental is not None and tasks.incremental.since_param == "updated[gte]"
    assert tasks.pagination.token_path == ["response_metadata", "next_cursor"]
    assert deals.ingestion_type == "cdc_with_deletes" and deals.deletes_path == "/deals/deleted"
    assert deals.primary_keys == ["deal_id"] and deals.cursor_field == "modified_at"
    assert deals.incremental is not None and deals.incremental.since_param == "modified_since"
    assert deals.pagination.token_path == ["paging", "next", "after"]
    assert "/deals/deleted" not in by_path
    assert "deleted records of deals" in plan.skipped["GET /deals/deleted"]
    products = by_path["/products"]
    assert products.primary_keys == ["handle"] and products.pagination.next_path == ["links", "next"]
    pages = by_path["/status-pages"]
    assert (pages.pagination.style, pages.pagination.start_page) == ("page", 0)  # its default
    assert pages.pagination.total_header == "X-Total-Count"
    blocks = by_path["/blocks"]
    assert blocks.headers == {"Notion-Version": "2022-06-28"}
    assert [(p.name, p.in_, p.required) for p in blocks.params] == [
        ("X-Workspace", "header", True), ("project_id", "query", False),
        ("team_id", "query", False)]
    # no key and no cursor: a snapshot, never an append that re-reads everything
    events = by_path["/events"]
    assert (events.ingestion_type, events.primary_keys, events.cursor_field) == (
        "snapshot", [], None)
    assert not [t for t in plan.tables if t.ingestion_type == "append" and not t.cursor_field]
    assert (plan.auth.type, plan.auth.location, plan.auth.key_name) == ("api_key", "query", "key")
    # a table the connector's credential cannot read is not chosen unprompted
    assert "/audit-logs" not in by_path
    assert "needs the adminToken credential, not queryKey" in plan.skipped["GET /audit-logs"]
    # a credential only when a chosen table needs one
    public = research(DATA / "mixed.yaml", "mixed", tables=["/status-pages"])
    assert public.auth.type == "none" and "security: []" in public.auth.evidence


def test_append_without_a_cursor_is_refused_by_the_plan() -> None:
    with pytest.raises(ValidationError, match="append needs a cursor_field"):
        TablePlan(name="events", path="/events", ingestion_type="append")
    text = render_api_doc(research(DATA / "mixed.yaml", "mixed")).replace(
        "- name: events\n  path: /events\n", "- name: events\n  path: /events\n"
        "  ingestion_type: append\n", 1)
    with pytest.raises(InputError, match="append needs a cursor_field"):
        parse_api_doc(text)


def test_an_api_doc_read_again_gives_a_plan_of_its_own() -> None:
    """parse_api_doc remembers the last text it rendered or read: a caller changing the plan
    it got does not change the next one; an edited text is read anew."""
    plan = research(DATA / "mixed.yaml", "mixed")
    text = render_api_doc(plan)
    first = parse_api_doc(text)
    assert first == plan
    first.tables[0].name = "changed"
    plan.tables[0].primary_keys = ["changed"]
    again = parse_api_doc(text)
    assert again.tables[0].name != "changed" and again.tables[0].primary_keys != ["changed"]
    edited = text.replace("\nname: mixed\n", "\nname: edited\n", 1)
    assert edited != text and parse_api_doc(edited).name == "edited"


def test_a_record_schema_is_flattened_once_and_handed_out_afresh() -> None:
    import jsonref
    from cf_databricks_source.schema_flatten import flatten

    doc = jsonref.replace_refs({"defs": {"item": {"type": "object", "properties": {
        "id": {"type": "integer"}, "owner": {"type": "object", "properties": {
            "login": {"type": "string"}}}}}}, "a": {"$ref": "#/defs/item"}})
    known: dict[tuple[str, int], dict[str, object]] = {}
    first = flatten(doc["a"], known=known)
    first["properties"]["parent_id"] = {"type": "integer"}  # a child's parent column
    second = flatten(doc["a"], known=known)
    assert list(known) == [("#/defs/item", 3)]
    assert second == flatten(doc["a"]) and "parent_id" not in second["properties"]


def test_singular_is_inflect_not_a_trailing_s_cut() -> None:
    assert [singular(w) for w in ("categories", "people", "addresses", "status", "issues")] == [
        "category", "person", "address", "status", "issue"]


def test_a_word_ending_in_ss_is_already_singular() -> None:
    """inflect 7.0/7.1 cut ``address`` to ``addres``; 7.6 and :func:`singular` keep it."""
    assert [singular(w) for w in ("address", "access", "process", "classes")] == [
        "address", "access", "process", "class"]


def test_a_refusal_names_the_real_reasons(tmp_path: Path) -> None:
    doc = tmp_path / "objects.yaml"
    doc.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n"
                   "  /me:\n    get:\n      responses:\n        '200':\n          description: me\n"
                   "          content: {application/json: {schema: {type: object, properties: "
                   "{id: {type: string}}}}}\n")
    with pytest.raises(InputError, match=r"1 returns one object, not a list") as caught:
        research(doc, "objects")
    assert "\n" not in caught.value.one_line()
