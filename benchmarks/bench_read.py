"""Benchmark: a generated connector reading 6,500 records from a real json-server on 127.0.0.1.

Baseline, measured in the same run: the least a reader must do — the same pages fetched with a
plain ``requests`` loop (same page size, same token), which guarantees nothing under change or
faults. Prints the median wall time of each, the connector's ratio to the baseline, and the
requests each sent (the connector re-queries from its frontier for each page and checks the
reported total, so it may send more), per table.

Run: ``python benchmarks/bench_read.py [--repeat N]`` after ``bash .ci/fetch-inputs`` with the
core and the databricks-source plugin installed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from connector_factory.testing.inputs import InputsMissing, real_inputs
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_TESTS = ROOT / "plugins" / "databricks_source"
sys.path.insert(0, str(PLUGIN_TESTS))
from tests.shop import JsonServer, make_shop  # noqa: E402

TOKEN = "bench-token"
PAGE = 100


def median_s(work: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Median wall time of ``work()`` in seconds, and what it returned (records read)."""
    times, count = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - began)
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        inputs = real_inputs(ROOT, "node/node_modules/.bin/json-server")
    except InputsMissing as exc:
        raise SystemExit(str(exc)) from None
    from connector_factory.cli import app

    with tempfile.TemporaryDirectory() as tmp, \
            JsonServer(inputs / "node", Path(tmp), make_shop(), TOKEN) as server:
        os.environ["CF_INTERACTIVE"] = "0"
        result = CliRunner().invoke(app, [
            "new", "--target", "databricks-source", "shop", "--doc",
            str(PLUGIN_TESTS / "tests" / "data" / "shop_openapi.yaml"), "--base-url", server.url,
            "--out", tmp, "--yes"])
        if result.exit_code != 0:
            raise SystemExit(f"cf new failed:\n{result.output}")
        sys.path.insert(0, str(Path(tmp) / "shop" / "src"))
        module = importlib.import_module("databricks.labs.community_connector.sources.shop.shop")

        sent: dict[str, int] = {}

        def connector_read(table: str) -> int:
            connector = module.ShopLakeflowConnect({"token": TOKEN, "base_url": server.url})
            offset, count = None, 0
            while True:
                records, end = connector.read_table(table, offset, {})
                count += len(list(records))
                if end is None or end == offset:
                    sent[table] = connector.client.stats["requests"]
                    return count
                offset = end

        def plain_read(table: str) -> int:
            session = requests.Session()
            headers = {"Authorization": f"Bearer {TOKEN}"}
            count, page = 0, 1
            while True:
                body = session.get(f"{server.url}/{table}", params={"_page": page, "_limit": PAGE},
                                   headers=headers, timeout=30).json()
                count += len(body)
                if len(body) < PAGE:
                    sent[f"plain {table}"] = page
                    return count
                page += 1

        print(f"{'table':<12}{'records':>9}{'baseline s':>12}{'connector s':>13}{'ratio':>8}"
              f"{'requests':>10}{'baseline':>10}")
        for table in ("customers", "orders", "products", "reviews"):
            base, n = median_s(lambda t=table: plain_read(t), args.repeat)
            mine, m = median_s(lambda t=table: connector_read(t), args.repeat)
            print(f"{table:<12}{m:>9}{base:>12.3f}{mine:>13.3f}{mine / base:>8.2f}"
                  f"{sent[table]:>10}{sent['plain ' + table]:>10}")
            if m != n:
                print(f"  note: connector read {m}, baseline {n}")


if __name__ == "__main__":
    main()
