"""The generated reader never loses or duplicates a record silently (issue 11).

A real json-server on 127.0.0.1 serves the shop (``shop.py``) behind this project's
fault-injecting proxy (``faultproxy.py``); a driver (``commitlog.py``) commits each batch with
its end offset and restarts with a fresh connector after an error. Each test asserts the exact
record set against the server's — every record that existed before the read emitted, in its
current version, no record version emitted twice, no duplicate within a batch — or a raised
error naming table, URL and reason and then a complete read after the restart.
"""

from __future__ import annotations

import email.utils
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cf_databricks_source.connector_plan import ConnectorPlan, TablePlan
from cf_databricks_source.scaffold import class_name

from .commitlog import CommitLog, drive, emitted
from .faultproxy import Fault, FaultProxy
from .generated import build, load
from .shop import JsonServer, iso, make_shop

TOKEN = "fault-token-5d1e"
NAME = "faultshop"
DATA = Path(__file__).parent / "data"
CUSTOMER_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "email": {"type": "string"}, "vip": {"type": "boolean"},
    "address": {"type": "object"}, "updated_at": {"type": "string", "format": "date-time"}}}
BY_PAGE = {"style": "link_header", "size_param": "_limit", "page_param": "_page",
           "page_size": 50, "total_header": "X-Total-Count"}
SORT = {"_sort": "updated_at,id", "_order": "asc,asc"}


def fault_plan() -> ConnectorPlan:
    """Five ways to read the shop: keyset (since + sort), sorted without a since filter
    (position hints), unsorted with a since filter (whole window), an offset-paged snapshot and
    a snapshot that follows ``Link`` headers."""
    cdc = {"primary_keys": ["id"], "cursor_field": "updated_at", "ingestion_type": "cdc",
           "schema": CUSTOMER_SCHEMA}
    return ConnectorPlan(name=NAME, base_url="http://invalid", auth={"type": "bearer"}, tables=[
        TablePlan(name="customers", path="/customers", pagination=BY_PAGE,
                  incremental={"since_param": "updated_at_gte", "sort_params": SORT}, **cdc),
        TablePlan(name="customers_sorted", path="/customers", pagination=BY_PAGE,
                  incremental={"sort_params": SORT}, **cdc),
        TablePlan(name="customers_window", path="/customers", pagination=BY_PAGE,
                  incremental={"since_param": "updated_at_gte"}, **cdc),
        TablePlan(name="products", path="/products", primary_keys=["id"],
                  pagination={"style": "offset", "offset_param": "_start",
                              "size_param": "_limit", "page_size": 100,
                              "total_header": "X-Total-Count"},
                  schema={"type": "object", "properties": {"id": {"type": "integer"},
                                                           "sku": {"type": "string"}}}),
        TablePlan(name="orders", path="/orders", primary_keys=["id"],
                  query={"_page": "1", "_sort": "id"},
                  pagination={"style": "link_header", "size_param": "_limit", "page_size": 100},
                  schema={"type": "object", "properties": {"id": {"type": "integer"},
                                                           "status": {"type": "string"}}}),
    ])


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return load(build(fault_plan(), tmp_path_factory.mktemp("gen")), NAME)


@pytest.fixture
def shop(inputs_dir: Path, tmp_path: Path) -> Iterator[tuple[JsonServer, FaultProxy]]:
    data = make_shop()
    with JsonServer(inputs_dir / "node", tmp_path, data, TOKEN) as server, \
            FaultProxy(server.url) as proxy:
        yield server, proxy


def options(proxy: FaultProxy, **extra: str) -> dict[str, str]:
    return {"token": TOKEN, "base_url": proxy.url, "max_retries": "4",
            "retry_backoff_seconds": "0.05", "read_timeout": "1",
            "request_deadline_seconds": "3", "max_wait_seconds": "5", **extra}


def maker(module: ModuleType, proxy: FaultProxy, **extra: str) -> Callable[[], Any]:
    cls = getattr(module, class_name(NAME))
    return lambda: cls(options(proxy, **extra))


def run(module: ModuleType, proxy: FaultProxy, table: str, log: CommitLog,
        batch: str = "200", **extra: str) -> list[str]:
    """Read ``table`` to the end with restarts; returns the errors met."""
    return drive(maker(module, proxy, **extra), table, log, {"max_records_per_batch": batch},
                 (module.ReadError,))


def server_records(server: JsonServer, resource: str) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in server.request("GET", f"/{resource}")}


def check_exact(log: CommitLog, expected: dict[int, dict[str, Any]], snapshot: bool = False,
                cursor: str | None = "updated_at") -> dict[str, int]:
    """0 lost, 0 duplicated: every expected record's current version emitted, no version twice,
    no id twice within a batch. Returns the figures."""
    batches = emitted(log, snapshot)
    versions = [(r["id"], r.get(cursor) if cursor else None) for b in batches for r in b]
    within = sum(len(b) - len({r["id"] for r in b}) for b in batches)
    lost = [i for i, r in expected.items()
            if (i, r.get(cursor) if cursor else None) not in set(versions)]
    duplicated = len(versions) - len(set(versions))
    figures = {"expected": len(expected), "emitted": len(versions), "lost": len(lost),
               "duplicated": duplicated, "duplicated_in_batch": within}
    assert (lost, duplicated, within) == ([], 0, 0), figures
    return figures


def report(case: str, figures: dict[str, Any]) -> None:
    print(f"\nFIGURES {case}: {json.dumps(figures)}")


# -- the table -----------------------------------------------------------------------


@pytest.mark.parametrize("table", ["customers", "customers_sorted"])
def test_records_updated_while_a_batch_is_paged(module: ModuleType, shop: Any, tmp_path: Path,
                                                table: str) -> None:
    server, proxy = shop
    before = server_records(server, "customers")
    # after the 3rd page (50 records each), 20 records already read are updated: they move to
    # the end of the cursor order, so every record after them shifts back 20 places and a
    # reader paging by number would skip 20
    late = sorted(before.values(), key=lambda r: (r["updated_at"], r["id"]))[60:80]

    def update() -> None:
        for record in late:
            server.request("PATCH", f"/customers/{record['id']}",
                           {"updated_at": iso(datetime.now(timezone.utc)), "vip": True})

    proxy.set_faults(Fault("call", path="/customers", after=2, callback=update))
    log = CommitLog(tmp_path / "log.jsonl")
    assert run(module, proxy, table, log) == []
    first = {r["id"] for b in emitted(log) for r in b}
    assert set(before) - {r["id"] for r in late} <= first  # nothing shifted was skipped
    time.sleep(2.2)  # the updates are now before the next run's upper bound
    assert run(module, proxy, table, log) == []
    report(f"updated while paged ({table})", check_exact(log, server_records(server, "customers")))


def test_a_tie_group_larger_than_a_batch(module: ModuleType, shop: Any, tmp_path: Path) -> None:
    server, proxy = shop
    tied = "2025-03-01T00:00:00Z"
    for i in range(600, 902):  # 302 records share one cursor value; batches are 100
        server.request("PATCH", f"/customers/{i}", {"updated_at": tied})
    for table in ("customers", "customers_sorted", "customers_window"):
        log = CommitLog(tmp_path / f"{table}.jsonl")
        assert run(module, proxy, table, log, batch="100") == []
        offsets = [b["offset"] for b in log.batches()]
        assert any(o.get("cursor") == tied and len(o["keys"]) < 302 for o in offsets) or \
            table == "customers_window"
        report(f"tie group of 302, batch 100 ({table})",
               check_exact(log, server_records(server, "customers")))


def test_an_update_in_the_same_second_as_the_saved_cursor(module: ModuleType, shop: Any,
                                                          tmp_path: Path) -> None:
    server, proxy = shop
    log = CommitLog(tmp_path / "log.jsonl")
    for trial in range(3):
        now = iso(datetime.now(timezone.utc))
        server.request("PATCH", f"/customers/{10 + trial}", {"updated_at": now})
        assert run(module, proxy, "customers", log) == []
        # after the read, in the same second as the newest record: must still be read
        server.request("PATCH", f"/customers/{20 + trial}", {"updated_at": now})
        time.sleep(2.1)
    assert run(module, proxy, "customers", log) == []
    report("update in the saved cursor's second, 3 trials",
           check_exact(log, server_records(server, "customers")))


@pytest.mark.parametrize("table", ["customers", "products"])
def test_a_200_with_an_empty_body_mid_read(module: ModuleType, shop: Any, tmp_path: Path,
                                           table: str) -> None:
    server, proxy = shop
    resource = "products" if table == "products" else "customers"
    proxy.set_faults(Fault("empty200", path=f"/{resource}", after=3))
    log = CommitLog(tmp_path / "log.jsonl")
    errors = run(module, proxy, table, log)
    assert len(errors) == 1 and "empty body" in errors[0] and f"table {table}" in errors[0]
    assert proxy.url in errors[0] and "content type application/json" in errors[0]
    snapshot = table == "products"
    report(f"empty 200 mid-read ({table})",
           dict(check_exact(log, server_records(server, resource), snapshot,
                            None if snapshot else "updated_at"), errors=len(errors)))


def test_a_record_repeated_on_two_pages(module: ModuleType, shop: Any, tmp_path: Path) -> None:
    server, proxy = shop
    before = server_records(server, "orders")

    def insert_first() -> None:  # sorts before every page already read: the rest shift on
        for i in range(1, 33):  # (json-server gives id 0 a new id at the end)
            server.request("POST", "/orders", {"id": -i, "status": "placed"})

    proxy.set_faults(Fault("call", path="/orders", after=3, callback=insert_first))
    log = CommitLog(tmp_path / "log.jsonl")
    assert run(module, proxy, "orders", log) == []
    (records,) = emitted(log, snapshot=True)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    assert set(before) <= set(ids) <= set(server_records(server, "orders"))
    report("32 records repeated across pages (snapshot)",
           {"expected": len(before), "emitted": len(ids), "lost": len(set(before) - set(ids)),
            "duplicated_in_batch": len(ids) - len(set(ids))})


def test_rows_deleted_during_an_offset_paged_snapshot(module: ModuleType, shop: Any,
                                                      tmp_path: Path) -> None:
    server, proxy = shop
    proxy.set_faults(Fault("call", path="/products", after=3, callback=lambda: [
        server.request("DELETE", f"/products/{i}") for i in (5, 6)]))
    log = CommitLog(tmp_path / "log.jsonl")
    assert run(module, proxy, "products", log) == []
    report("2 rows deleted during an offset-paged snapshot",
           check_exact(log, server_records(server, "products"), snapshot=True, cursor=None))


def test_a_next_link_to_another_host_gets_no_credentials(module: ModuleType, shop: Any,
                                                         tmp_path: Path) -> None:
    server, proxy = shop
    with FaultProxy(server.url) as elsewhere:
        proxy.set_faults(Fault("link_host", path="/orders", host=f"127.0.0.1:{elsewhere.port}"))
        log = CommitLog(tmp_path / "log.jsonl")
        errors = run(module, proxy, "orders", log)
        assert len(errors) == 1 and "not on the API's origin" in errors[0]
        assert elsewhere.log == []  # the other host received nothing, so no token
        report("absolute next link to another host", dict(
            check_exact(log, server_records(server, "orders"), snapshot=True, cursor=None),
            errors=len(errors), requests_elsewhere=len(elsewhere.log)))


# -- transport faults, bodies, rate limits ---------------------------------------------------

TRANSIENT = {
    "reset": Fault("reset", path="/customers", after=2, times=2),
    "truncated (Content-Length)": Fault("truncate", path="/customers", after=2, times=2),
    "truncated (chunked)": Fault("chunk_cut", path="/customers", after=2, times=2),
    "read timeout": Fault("stall", path="/customers", after=2, times=1, seconds=1.6),
    "slow drip": Fault("drip", path="/customers", after=2, times=1, seconds=0.01),
    "503 twice": Fault("status", path="/customers", after=2, times=2, status=503),
    "429 Retry-After seconds": Fault("status", path="/customers", after=2, status=429,
                                     headers={"Retry-After": "1"}),
    "429 Retry-After garbage": Fault("status", path="/customers", after=2, status=429,
                                     headers={"Retry-After": "soon"}),
    "429 Retry-After date -0000": Fault("status", path="/customers", after=2, status=429,
                                        headers={"Retry-After": "<date>"}),
    "403 x-ratelimit-remaining 0": Fault("status", path="/customers", after=2, status=403,
                                         headers={"x-ratelimit-remaining": "0",
                                                  "x-ratelimit-reset": "<reset>"}),
    "RateLimit-Remaining 0": Fault("status", path="/customers", after=2, status=429,
                                   headers={"RateLimit-Remaining": "0", "RateLimit-Reset": "1"}),
}


@pytest.mark.parametrize("case", list(TRANSIENT))
def test_transient_faults_are_retried(module: ModuleType, shop: Any, tmp_path: Path,
                                      case: str) -> None:
    server, proxy = shop
    fault = TRANSIENT[case]
    fault.seen = fault.fired = 0
    headers = {}
    for key, value in fault.headers.items():
        if value == "<date>":
            value = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=1))
            value = value.replace("+0000", "-0000")
        elif value == "<reset>":
            value = str(int(time.time()) + 1)
        headers[key] = value
    proxy.set_faults(Fault(**{**fault.__dict__, "headers": headers}))
    log = CommitLog(tmp_path / "log.jsonl")
    began = time.monotonic()
    assert run(module, proxy, "customers", log) == []  # retried, never an error
    fired = proxy.faults[0].fired
    assert fired == fault.times
    report(case, dict(check_exact(log, server_records(server, "customers")), faults=fired,
                      seconds=round(time.monotonic() - began, 2)))


FATAL = {
    "200 HTML body": (Fault("html200", path="/customers", after=2), "body is not JSON"),
    "200 JSON error object": (Fault("error200", path="/customers", after=2),
                              "expected a list at the body"),
    "Retry-After past max_wait_seconds": (
        Fault("status", path="/customers", after=2, status=429, headers={"Retry-After": "3600"}),
        "more than max_wait_seconds"),
    "503 every time": (Fault("status", path="/customers", after=2, times=5, status=503),
                       "HTTP 503"),
    "403 without rate-limit headers": (Fault("status", path="/customers", after=2, status=403),
                                       "credentials were refused"),
}


@pytest.mark.parametrize("case", list(FATAL))
def test_faults_that_cannot_be_cured_raise_then_restart_completes(
        module: ModuleType, shop: Any, tmp_path: Path, case: str) -> None:
    server, proxy = shop
    fault, words = FATAL[case]
    proxy.set_faults(Fault(**{**fault.__dict__, "seen": 0, "fired": 0}))
    log = CommitLog(tmp_path / "log.jsonl")
    began = time.monotonic()
    errors = run(module, proxy, "customers", log)
    assert len(errors) == 1, errors
    assert words in errors[0] and "table customers" in errors[0] and proxy.url in errors[0]
    assert TOKEN not in errors[0]
    report(case, dict(check_exact(log, server_records(server, "customers")), errors=len(errors),
                      seconds=round(time.monotonic() - began, 2), message=errors[0][:140]))


def test_kill_9_mid_read_then_resume(module: ModuleType, shop: Any, tmp_path: Path) -> None:
    server, proxy = shop
    project = Path(module.__file__).resolve().parents[6]
    log = CommitLog(tmp_path / "log.jsonl")
    proxy.set_faults(Fault("stall", path="/customers", times=10_000, seconds=0.05))
    env = dict(os.environ, READ_OPTIONS=json.dumps(options(proxy)),
               READ_TABLE_OPTIONS=json.dumps({"max_records_per_batch": "100"}))
    command = [sys.executable, str(DATA / "read_batches.py"), str(project),
               module.__name__, class_name(NAME), "customers", str(log.path), "0"]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(log.batches()) < 3 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert child.poll() is None, child.stderr.read().decode()[-500:] if child.stderr else ""
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    committed = len(log.batches())
    assert committed >= 3 and log.batches()[-1]["offset"]
    proxy.set_faults()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report("kill -9 mid-read, then resume", dict(
        check_exact(log, server_records(server, "customers")),
        batches_before_kill=committed))
