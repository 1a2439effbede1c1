"""A realistic shop data set served by a real json-server on 127.0.0.1 for end-to-end tests.

``make_shop(seed)`` builds customers, products, orders and reviews (6,500 records) with
timestamps that tie now and then, as real data does. ``JsonServer`` runs json-server 0.17 (from
``.ci/fetch-inputs``) over that data behind a bearer-token check (``data/auth.js``).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
SIZES = {"customers": 1500, "products": 800, "orders": 3000, "reviews": 1200}
_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    """``2025-01-01T00:00:00Z`` form, the one json-server compares as text."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(rng: random.Random, i: int) -> datetime:
    # about one record a minute, with ties: every seventh record shares its neighbour's second
    return _EPOCH + timedelta(minutes=i - (i % 7 == 0), seconds=rng.choice((0, 0, 30)))


def make_shop(seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """The data set: resource name -> records (ids from 1)."""
    rng = random.Random(seed)
    cities = ["Lisbon", "Oslo", "Lyon", "Austin", "Osaka", "Quito"]
    customers = []
    for i in range(1, SIZES["customers"] + 1):
        created = _moment(rng, i)
        customers.append({
            "id": i, "email": f"customer{i}@shop.example", "name": f"Customer {i}",
            "vip": rng.random() < 0.1,
            "address": {"street": f"{rng.randint(1, 300)} Main St", "city": rng.choice(cities),
                        "country": rng.choice(["PT", "NO", "FR", "US", "JP", "EC"])},
            "tags": rng.sample(["new", "wholesale", "returning", "newsletter"], k=2),
            "created_at": iso(created), "updated_at": iso(created + timedelta(days=rng.randint(0, 90))),
        })
    products = [{"id": i, "sku": f"SKU-{i:05d}", "title": f"Product {i}",
                 "price": round(rng.uniform(1, 500), 2), "stock": rng.randint(0, 400),
                 "category": rng.choice(["books", "garden", "toys", "tools"])}
                for i in range(1, SIZES["products"] + 1)]
    orders = []
    for i in range(1, SIZES["orders"] + 1):
        created = _moment(rng, i)
        lines = [{"product_id": rng.randint(1, SIZES["products"]), "quantity": rng.randint(1, 4),
                  "unit_price": round(rng.uniform(1, 500), 2)} for _ in range(rng.randint(1, 4))]
        orders.append({
            "id": i, "customer_id": rng.randint(1, SIZES["customers"]),
            "status": rng.choice(["placed", "paid", "shipped", "delivered", "cancelled"]),
            "total": round(sum(x["quantity"] * x["unit_price"] for x in lines), 2),
            "lines": lines, "created_at": iso(created),
            "updated_at": iso(created + timedelta(hours=rng.randint(0, 500))),
        })
    reviews = [{"id": i, "product_id": rng.randint(1, SIZES["products"]),
                "rating": rng.randint(1, 5), "body": f"Review {i}",
                "created_at": iso(_moment(rng, i))} for i in range(1, SIZES["reviews"] + 1)]
    return {"customers": customers, "products": products, "orders": orders, "reviews": reviews}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class JsonServer:
    """json-server on 127.0.0.1 over ``db`` (a fresh copy in ``workdir``), bearer ``token``
    checked by ``middleware`` (``data/auth.js``; ``data/auth_any.js`` also takes Basic and an
    ``api_key`` query parameter).

    Use as a context manager; ``url`` is its base URL. ``request(method, path, body)`` calls it
    with the token (for changing records during a test).
    """

    def __init__(self, node_dir: Path, workdir: Path, db: dict[str, Any], token: str,
                 middleware: Path = DATA / "auth.js") -> None:
        self.binary = node_dir / "node_modules" / ".bin" / "json-server"
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} is missing: run .ci/fetch-inputs (needs npm)")
        self.db_file = workdir / "db.json"
        self.db_file.write_text(json.dumps(db))
        self.token = token
        self.middleware = middleware
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> JsonServer:
        env = dict(os.environ, SHOP_API_TOKEN=self.token)
        self.process = subprocess.Popen(
            [str(self.binary), str(self.db_file), "--host", "127.0.0.1", "--port",
             str(self.port), "--quiet", "--middlewares", str(self.middleware)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"json-server exited: {self.process.stderr.read().decode()[:500]}"
                                   if self.process.stderr else "json-server exited")
            try:
                self.request("GET", "/products?_limit=1")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise RuntimeError("json-server did not start within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server with the token; returns the decoded JSON body."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as response:
            return json.loads(response.read() or b"null")


class PrismProxy:
    """Stoplight Prism in proxy mode on 127.0.0.1 in front of ``upstream``: every request is
    checked against ``spec`` and, with ``--errors``, a non-conforming one is answered 422 (a bad
    response 500) instead of being passed on. Use as a context manager; ``url`` is its address."""

    def __init__(self, node_dir: Path, spec: Path, upstream: str) -> None:
        self.binary = node_dir / "node_modules" / ".bin" / "prism"
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} is missing: run .ci/fetch-inputs (needs npm)")
        self.spec, self.upstream = spec, upstream
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PrismProxy:
        self.process = subprocess.Popen(
            [str(self.binary), "proxy", str(self.spec), self.upstream, "--errors", "--host",
             "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("prism exited before it listened")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("prism did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
