"""Parameters, parent/child tables, cursor paging, deletes and auth in the generated reader
(issue 15's runtime), each against a real json-server on 127.0.0.1.

json-server 0.17 serves nested routes from foreign keys (``/customers/3/orders`` lists the orders
whose ``customerId`` is 3), filters on ``field_gte``, sorts with ``_sort``; the
plans below are written by hand the way research would write them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import pytest
from cf_databricks_source.connector_plan import ConnectorPlan, TableParam, TablePlan
from cf_databricks_source.scaffold import class_name, connector_spec

from .commitlog import CommitLog, read_to_end
from .faultproxy import Fault, FaultProxy
from .generated import build, load
from .shop import JsonServer, free_port

TOKEN = "params-token-77"
DATA = Path(__file__).parent / "data"
PAGED = {"style": "link_header", "size_param": "_limit", "page_param": "_page", "page_size": 7,
         "total_header": "X-Total-Count"}
KEYSET = {"since_param": "updated_at_gte", "sort_params": {"_sort": "updated_at,id",
                                                            "_order": "asc,asc"}}
STAMP = "2025-02-01T00:{:02d}:{:02d}Z"


def dataset() -> dict[str, list[dict[str, Any]]]:
    """30 customers (3 tombstoned), 300 orders with ties on ``updated_at``, 4 deleted
    customers listed by a sibling endpoint."""
    customers = [{"id": i, "name": f"C{i}", "deleted": i % 10 == 0,
                  "updated_at": STAMP.format(i // 60, i % 60)} for i in range(1, 31)]
    orders = [{"id": i, "customerId": 1 + i % 30, "status": ("open", "paid", "shipped")[i % 3],
               "updated_at": STAMP.format(0, (i // 4) % 60)} for i in range(1, 301)]
    gone = [{"id": 100 + i, "updated_at": STAMP.format(1, i)} for i in range(4)]
    # json-server's readiness probe in shop.py asks for /products
    return {"customers": customers, "orders": orders, "deleted_customers": gone, "products": []}


def plan(auth: dict[str, Any] | None = None) -> ConnectorPlan:
    order_schema = {"type": "object", "properties": {
        "id": {"type": "integer"}, "customerId": {"type": "integer"},
        "status": {"type": "string"}, "updated_at": {"type": "string"}}}
    customer_schema = {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "deleted": {"type": "boolean"},
        "updated_at": {"type": "string"}}}
    parent_param = TableParam(name="customer_id", source="parent", parent_field="id",
                              column="customer_id")
    return ConnectorPlan(
        name="paramshop", base_url="http://127.0.0.1:{port}", auth=auth or {"type": "bearer"},
        connection_options=[{"name": "port", "description": "the server's port"}],
        tables=[
            TablePlan(name="customers", path="/customers", primary_keys=["id"],
                      cursor_field="updated_at", ingestion_type="cdc_with_deletes",
                      incremental=KEYSET, pagination=PAGED, schema=customer_schema,
                      deletes={"tombstone_field": "deleted", "tombstone_values": [True]}),
            TablePlan(name="customers_gone", path="/customers", primary_keys=["id"],
                      cursor_field="updated_at", ingestion_type="cdc_with_deletes",
                      incremental=KEYSET, pagination=PAGED, schema=customer_schema,
                      deletes={"path": "/deleted_customers"}),
            TablePlan(name="customer_orders", path="/customers/{customer_id}/orders",
                      parent="customers", params=[parent_param],
                      primary_keys=["customer_id", "id"], cursor_field="updated_at",
                      ingestion_type="cdc", incremental=KEYSET,
                      pagination=dict(PAGED, page_size=4), schema=order_schema),
            TablePlan(name="customer_orders_all", path="/customers/{customer_id}/orders",
                      parent="customers", params=[parent_param],
                      primary_keys=["customer_id", "id"], pagination=PAGED, schema=order_schema),
            TablePlan(name="orders_by_status", path="/orders", query={"_sort": "id"},
                      params=[TableParam(name="status", **{"in": "query"})],
                      primary_keys=["id"], schema=order_schema,
                      # json-server has no `_gt`: `id_gte` repeats the last record of each
                      # page on the next, which the snapshot de-duplicates
                      pagination={"style": "cursor", "cursor_param": "id_gte",
                                  "cursor_from": "id", "size_param": "_limit",
                                  "page_size": 25}),
            TablePlan(name="collection", path="/{collection}", primary_keys=["id"],
                      params=[TableParam(name="collection", source="connection_option",
                                         default="orders")],
                      pagination=PAGED, schema=order_schema),
        ])


class TokenServer:
    """An OAuth2 token endpoint on 127.0.0.1 (RFC 6749 §4.4 and §6): the first token it issues
    is stale (the API refuses it), later ones are the API's token; refresh tokens rotate."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/oauth/token"
        self.forms: list[dict[str, str]] = []
        self.refresh = "refresh-0"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"]))
                                      .decode()))
                server.forms.append(form)
                ok = form.get("client_id") == "cid" and form.get("client_secret") == "csecret"
                if form.get("grant_type") == "refresh_token":
                    ok = ok and form.get("refresh_token") == server.refresh
                body: dict[str, Any] = {"error": "invalid_client"}
                if ok:
                    token = "stale-token" if len(server.forms) == 1 else TOKEN
                    server.refresh = f"refresh-{len(server.forms)}"
                    body = {"access_token": token, "token_type": "bearer", "expires_in": 3600,
                            "refresh_token": server.refresh}
                data = json.dumps(body).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server(inputs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsonServer]:
    with JsonServer(inputs_dir / "node", tmp_path_factory.mktemp("srv"), dataset(), TOKEN,
                    middleware=DATA / "auth_any.js") as s:
        yield s


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return load(build(plan(), tmp_path_factory.mktemp("gen")), "paramshop")


def connect(module: ModuleType, server: JsonServer, **extra: str) -> Any:
    return getattr(module, class_name("paramshop"))(
        {"token": TOKEN, "port": str(server.port), "retry_backoff_seconds": "0.01", **extra})


def read_all(conn: Any, table: str, options: dict[str, str] | None = None,
             deletes: bool = False) -> list[dict[str, Any]]:
    offset: Any = {}
    out: list[dict[str, Any]] = []
    read = conn.read_table_deletes if deletes else conn.read_table
    for _ in range(200):
        records, end = read(table, offset, options or {"max_records_per_batch": "20"})
        out += list(records)
        if end is None or end == offset:
            return out
        offset = end
    raise AssertionError("no convergence")


def test_child_table_fans_out_carries_the_parent_key_and_reads_once_across_a_restart(
        module: ModuleType, server: JsonServer, tmp_path: Path) -> None:
    conn = connect(module, server)
    meta = conn.read_table_metadata("customer_orders", {})
    assert meta["primary_keys"] == ["customer_id", "id"]
    assert "customer_id" in conn.get_table_schema("customer_orders", {}).fieldNames()
    log = CommitLog(tmp_path / "orders.jsonl")
    first, end = conn.read_table("customer_orders", {}, {"max_records_per_batch": "45"})
    log.commit(list(first), end)
    # whole pages (4 orders) until 45 records: at most 45 + 3
    assert set(end) == {"parents"} and 45 <= len(log.batches()[0]["records"]) <= 48
    # a restart: a new connector from the committed offset
    read_to_end(connect(module, server), "customer_orders", log, {"max_records_per_batch": "45"})
    got = [(r["customer_id"], r["id"]) for b in log.batches() for r in b["records"]]
    live = {c["id"] for c in server.request("GET", "/customers")}
    expected = {(o["customerId"], o["id"]) for o in server.request("GET", "/orders")
                if o["customerId"] in live}
    assert sorted(got) == sorted(expected) and len(got) == len(set(got))
    assert all(r["customer_id"] == r["customerId"] for b in log.batches() for r in b["records"])
    # later: one new order for customer 4 is the only thing read
    server.request("POST", "/orders", {"id": 999, "customerId": 4, "status": "open",
                                       "updated_at": "2025-02-02T00:00:00Z"})
    read_to_end(connect(module, server), "customer_orders", log, {"max_records_per_batch": "45"})
    assert [r["id"] for r in log.batches()[-2]["records"]] == [999]
    snapshot = read_all(conn, "customer_orders_all")
    assert len(snapshot) == len(expected) + 1


def test_table_options_fill_query_parameters_and_a_missing_one_is_named(
        module: ModuleType, server: JsonServer) -> None:
    conn = connect(module, server)
    with pytest.raises(ValueError, match="table option 'status' is required"):
        conn.read_table("orders_by_status", None, {})
    paid = read_all(conn, "orders_by_status", {"status": "paid"})
    expected = sorted(o["id"] for o in server.request("GET", "/orders?status=paid"))
    assert sorted(r["id"] for r in paid) == expected  # cursor paging by the last id, 25 a page
    assert {r["status"] for r in paid} == {"paid"}


def test_connection_options_fill_the_server_variable_and_a_path_parameter(
        module: ModuleType, server: JsonServer) -> None:
    conn = connect(module, server, collection="customers")
    assert conn.base_url == server.url
    assert len(read_all(conn, "collection")) == 30
    assert len(read_all(connect(module, server), "collection")) >= 300  # the default: orders
    with pytest.raises(ValueError, match="option 'port' is required"):
        getattr(module, class_name("paramshop"))({"token": TOKEN})
    # the connection form asks for it: it is a parameter of connector_spec.yaml
    spec = connector_spec(plan(), complete=True)["connection"]["parameters"]
    port = next(p for p in spec if p["name"] == "port")
    assert port["required"] and not port["secret"]


def test_tombstones_and_a_sibling_deleted_endpoint(module: ModuleType, server: JsonServer
                                                   ) -> None:
    conn = connect(module, server)
    live = read_all(conn, "customers")
    dead = read_all(conn, "customers", deletes=True)
    assert sorted(r["id"] for r in dead) == [10, 20, 30]
    assert sorted(r["id"] for r in live) == [i for i in range(1, 31) if i % 10]
    gone = read_all(conn, "customers_gone", deletes=True)
    assert sorted(r["id"] for r in gone) == [100, 101, 102, 103]


def test_a_page_parameter_the_api_ignores_is_a_loop_error(module: ModuleType,
                                                          server: JsonServer) -> None:
    with FaultProxy(server.url) as proxy:
        proxy.set_faults(Fault("drop", path="/orders", param="id_gte", times=100))
        conn = getattr(module, class_name("paramshop"))(
            {"token": TOKEN, "port": str(proxy.port)})
        with pytest.raises(module.ReadError, match="same records on two pages"):
            read_all(conn, "orders_by_status", {"status": "open"})
        # without the page parameter json-server sends one page and no Link header: the
        # reported total shows the read is short, so it fails instead of returning 7 of 301
        proxy.set_faults(Fault("drop", path="/orders", param="_page", times=100))
        with pytest.raises(module.ReadError, match="7 distinct records arrived but the server"):
            read_all(conn, "collection")


@pytest.mark.parametrize("auth", [
    {"type": "api_key", "location": "query", "key_name": "api_key"},
    {"type": "basic"},
    {"type": "oauth2_client_credentials", "token_url": "<token>"},
    {"type": "oauth2_refresh_token", "token_url": "<token>"},
])
def test_auth_kinds(auth: dict[str, Any], server: JsonServer, tmp_path: Path) -> None:
    tokens = TokenServer()
    try:
        auth = {k: (tokens.url if v == "<token>" else v) for k, v in auth.items()}
        mod = load(build(plan(auth), tmp_path), "paramshop")
        secrets = {"api_key": {"api_key": TOKEN}, "basic": {"username": "shop", "password": TOKEN},
                   }.get(auth["type"], {"client_id": "cid", "client_secret": "csecret",
                                         "refresh_token": "refresh-0"})
        conn = getattr(mod, class_name("paramshop"))({"port": str(server.port), **secrets})
        assert len(read_all(conn, "collection", {"max_records_per_batch": "500"})) >= 300
        if auth["type"].startswith("oauth2"):
            # the first token was refused (401), so the reader asked again, once
            assert len(tokens.forms) == 2
            grant = "refresh_token" if "refresh" in auth["type"] else "client_credentials"
            assert {f["grant_type"] for f in tokens.forms} == {grant}
        wrong = getattr(mod, class_name("paramshop"))(
            {"port": str(server.port), **{k: "wrong" for k in secrets}})
        with pytest.raises(mod.ReadError, match="refused"):
            read_all(wrong, "collection")
    finally:
        tokens.close()
        load(build(plan(), tmp_path / "again"), "paramshop")


class EnvelopeServer:
    """Pages of 40 people in two envelope shapes real APIs use: OData (``{"value": [...],
    "@odata.nextLink": URL, "@odata.count": N}`` at ``/odata/people``) and a nested token
    (``{"result": {"items": [...], "nextPage": T}}`` at ``/nested/people?page_token=T``)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        people = [{"id": i, "name": f"P{i}"} for i in range(1, 41)]
        base = self.url

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                args = dict(parse_qsl(query))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_error(401)
                    return
                start = int(args.get("$skip") or args.get("page_token") or 0)
                chunk = people[start:start + 15]
                more = start + 15 < len(people)
                if path == "/odata/people":
                    body: dict[str, Any] = {"value": chunk, "@odata.count": len(people)}
                    if more:
                        body["@odata.nextLink"] = f"{base}/odata/people?$skip={start + 15}"
                else:
                    body = {"result": {"items": chunk,
                                       "nextPage": str(start + 15) if more else None}}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_next_links_and_tokens_inside_nested_envelopes(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"id": {"type": "integer"},
                                               "name": {"type": "string"}}}
    envelope = ConnectorPlan(name="envelopes", base_url="http://invalid",
                             auth={"type": "bearer"}, tables=[
        TablePlan(name="odata_people", path="/odata/people", primary_keys=["id"],
                  records_path=["value"], schema=schema,
                  pagination={"style": "next_url", "next_path": ["@odata.nextLink"],
                              "total_path": ["@odata.count"]}),
        TablePlan(name="nested_people", path="/nested/people", primary_keys=["id"],
                  records_path=["result", "items"], schema=schema,
                  pagination={"style": "next_token", "token_param": "page_token",
                              "token_path": ["result", "nextPage"]}),
    ])
    server = EnvelopeServer()
    try:
        mod = load(build(envelope, tmp_path), "envelopes")
        conn = getattr(mod, class_name("envelopes"))({"token": TOKEN, "base_url": server.url})
        for table in ("odata_people", "nested_people"):
            assert sorted(r["id"] for r in read_all(conn, table)) == list(range(1, 41))
    finally:
        server.close()
