"""What the probe reads from a response, on response shapes real APIs send (quoted where each
comes from): auth challenges, rate-limit headers, tombstones, key and cursor fields, and the
schema merge of the document with the samples."""

from __future__ import annotations

from cf_databricks_source.probe import strip_secrets
from cf_databricks_source.probe_apply import UNSEEN, merge_schema, sample_schema
from cf_databricks_source.probe_findings import (
    Exchange,
    find_cursor,
    find_keys,
    find_records,
    find_tombstone,
    parse_challenge,
    rate_limit_headers,
)


def exchange(status: int, headers: dict[str, str], body: object) -> Exchange:
    return Exchange(url="http://127.0.0.1/x", status=status, headers=headers, body=body,
                    at="2026-01-01T00:00:00Z")


def test_auth_challenges() -> None:
    basic = parse_challenge(exchange(401, {"WWW-Authenticate": 'Basic realm="shop"'}, None))
    assert basic is not None and basic.type == "basic"
    bearer = parse_challenge(exchange(401, {"www-authenticate": 'Bearer realm="api"'}, {}))
    assert bearer is not None and (bearer.type, bearer.scheme) == ("bearer", "Bearer")
    # Stripe's answer without a key (https://docs.stripe.com/api/authentication)
    stripe = parse_challenge(exchange(401, {}, {"error": {
        "message": "You did not provide an API key. You need to provide your API key in the "
                   "Authorization header, using Bearer auth", "type": "invalid_request_error"}}))
    assert stripe is not None and stripe.type == "api_key"
    header_key = parse_challenge(exchange(403, {}, {"message": "Missing X-API-Key header"}))
    assert header_key is not None and (header_key.location, header_key.key_name) == (
        "header", "x-api-key")
    assert parse_challenge(exchange(403, {}, "<html>Forbidden</html>")) is None


def test_rate_limit_headers_as_github_sends_them() -> None:
    headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59",
               "X-RateLimit-Reset": "1372700873", "Retry-After": "30",
               "RateLimit-Policy": "100;w=60", "Content-Type": "application/json"}
    assert set(rate_limit_headers(headers)) == set(headers) - {"Content-Type"}


def test_tombstones_keys_and_cursors() -> None:
    records = [{"id": 1, "deleted": False, "updated": "2025-01-01T00:00:00Z", "n": 5},
               {"id": 2, "deleted": True, "updated": "2025-01-02T00:00:00Z", "n": 5}]
    assert find_tombstone(records) == ("deleted", [True])
    assert find_tombstone([{"id": 1, "deleted_at": None},
                           {"id": 2, "deleted_at": "2025-01-01T00:00:00Z"}]) == ("deleted_at", [])
    assert find_keys(records, "things", []) == ["id"]
    assert find_keys([{"id": 1}, {"id": 1}], "things", []) == []  # not unique
    assert find_cursor(records, ["id"]) == ("updated", "time")
    assert find_cursor([{"id": 3, "name": "a"}, {"id": 9, "name": "b"}], ["id"]) == (
        "id", "monotonic")


def test_records_envelope() -> None:
    assert find_records([{"a": 1}], [], "t") == ([], [{"a": 1}])
    body = {"meta": {"next": None}, "data": {"items": [{"id": 1}]}}
    assert find_records(body, [], "things") == (["data", "items"], [{"id": 1}])
    assert find_records({"rows": [[1, 2]], "columns": ["a", "b"]}, [], "t") == (None, [])


def test_schema_merge_types_free_form_fields_and_marks_unseen() -> None:
    live = sample_schema([{"id": 1, "at": "2025-01-01T00:00:00Z", "meta": {"k": "v"}},
                          {"id": 2, "at": "2025-01-02T00:00:00Z", "meta": {"k": "w"}}])
    assert live["properties"]["at"] == {"type": "string", "format": "date-time"}
    document = {"type": "object", "properties": {"id": {"type": "string"},
                                                 "meta": {"type": "object"},
                                                 "gone": {"type": "integer"}}}
    merged, typed, unseen, conflicts = merge_schema(document, live)
    assert merged["properties"]["meta"]["properties"]["k"] == {"type": "string"}
    assert merged["properties"]["gone"] == {"type": "integer", UNSEEN: True}
    assert merged["properties"]["id"] == {"type": "integer"}
    assert typed == ["meta", "at"] and unseen == ["gone"]
    assert conflicts == ["id: document string, live integer"]


def test_secrets_are_masked_in_urls() -> None:
    url = "https://u:p@api.example.com/x?api_key=abc&page=2&q=s3cret"
    assert strip_secrets(url, ["s3cret"]) == "https://api.example.com/x?api_key=***&page=2&q=***"


def test_placeholders_are_filled_from_defaults_or_named() -> None:
    from cf_databricks_source.probe_step import fill_placeholders

    assert fill_placeholders("/repos/{owner}/{repo}/issues", {"owner": "octo"}) == (
        "/repos/octo/{repo}/issues", "repo")
    assert fill_placeholders("https://{dc}.api.example.com", {"dc": "us1"}) == (
        "https://us1.api.example.com", None)
