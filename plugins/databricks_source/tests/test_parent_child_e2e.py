"""End to end with a parent/child resource on a real server: json-server 0.17 on 127.0.0.1
serves ``/customers/{customerId}/orders`` from the orders' foreign key. `cf new` plans the
orders as a child of customers; the generated connector, run in separate processes the way
Lakeflow calls it, fans out over every customer, carries the customer's id in each order, and
reads every order exactly once across a restart from the saved offset, then only what changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from .conftest import RunCf
from .shop import JsonServer, iso, make_shop

DATA = Path(__file__).parent / "data"
TOKEN = "shop-nested-token-51ad"
MODULE = "databricks.labs.community_connector.sources.shop.shop"
CUSTOMERS, ORDERS = 60, 400


def nested_shop() -> dict[str, list[dict[str, Any]]]:
    """The shop's customers and orders, cut down, with json-server's ``customerId`` key; a
    fifth of the customers have no orders (the fan-out must not stop at an empty child)."""
    shop = make_shop(seed=11)
    customers = shop["customers"][:CUSTOMERS]
    orders = []
    for order in shop["orders"][:ORDERS]:
        owner = 1 + (order["customer_id"] % (CUSTOMERS * 4 // 5))
        orders.append({k: v for k, v in order.items() if k not in ("customer_id", "lines")}
                      | {"customerId": owner})
    # JsonServer waits for /products to answer
    return {"customers": customers, "orders": orders, "products": shop["products"][:3]}


@pytest.fixture(scope="module")
def server(inputs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> JsonServer:
    with JsonServer(inputs_dir / "node", tmp_path_factory.mktemp("nested"), nested_shop(),
                    TOKEN) as s:
        yield s


def read(project: Path, server: JsonServer, table: str, offset_file: Path, max_calls: int,
         fields: str) -> dict[str, Any]:
    env = dict(os.environ, READ_OPTIONS=json.dumps({"token": TOKEN, "base_url": server.url}),
               READ_TABLE_OPTIONS=json.dumps({"max_records_per_batch": "50"}))
    out = subprocess.run(
        [sys.executable, str(DATA / "read_batches.py"), str(project), MODULE, "ShopLakeflowConnect",
         table, str(offset_file), str(max_calls), fields],
        capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_child_fans_out_carries_the_parent_key_and_reads_once(
        server: JsonServer, run_cf: RunCf, tmp_path: Path) -> None:
    result = run_cf("new", "--target", "databricks-source", "shop", "--doc",
                    str(DATA / "shop_nested_openapi.yaml"), "--base-url", server.url,
                    "--tables", "/customers/{customerId}/orders", "--out", str(tmp_path),
                    "--yes", env={"SHOP_TOKEN": TOKEN})
    project = tmp_path / "shop"
    assert "orders: GET /customers/{customerId}/orders · cdc" in result.output
    doc = next(project.rglob("shop_api_doc.md")).read_text()
    assert "each record of parent `customers`: field `id`, carried as column `customer_id`" in doc

    truth = {(o["customerId"], o["id"]) for o in server.request("GET", "/orders")}
    assert len(truth) == ORDERS
    offset = tmp_path / "orders.offset.json"
    first = read(project, server, "orders", offset, 1, "customer_id,id,customerId")
    assert 0 < len(first["rows"]) < ORDERS
    rest = read(project, server, "orders", offset, 0, "customer_id,id,customerId")
    rows = first["rows"] + rest["rows"]
    # exactly once, each order under its own customer (the column the child carries)
    pairs = [(customer, order) for customer, order, _ in rows]
    assert len(pairs) == len(set(pairs)) == ORDERS
    assert set(pairs) == truth
    assert all(customer == foreign for customer, _, foreign in rows)
    assert rest["calls"] > 2

    # a changed order is read again, and only it
    just_now = iso(datetime.now(timezone.utc) - timedelta(seconds=2))
    server.request("PATCH", "/orders/7", {"updated_at": just_now})
    again = read(project, server, "orders", offset, 0, "customer_id,id")
    assert [row[1] for row in again["rows"]] == [7]
