"""End to end on a real API: json-server on 127.0.0.1 serving 6,500 shop records behind a token.

`cf new --repo` builds the connector from the shop's OpenAPI document into the fixture checkout
of lakeflow-community-connectors, collecting the credentials from the environment at scaffold,
so validate and the test gate run live against the server in the same command (the gate in the
suite's default simulate mode too); a wrong token is refused; and the generated connector, run
in separate processes the way Lakeflow calls it, reads every record exactly once across a
restart from the saved offset, then only what changed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from .conftest import RunCf, flat
from .lakeflow_checkout import git, make_checkout
from .shop import SIZES, JsonServer, PrismProxy, iso, make_shop

DATA = Path(__file__).parent / "data"
TOKEN = "shop-test-token-9f2c"
MODULE = "databricks.labs.community_connector.sources.shop.shop"


@pytest.fixture(scope="module")
def server(inputs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> JsonServer:
    with JsonServer(inputs_dir / "node", tmp_path_factory.mktemp("shop"), make_shop(), TOKEN) as s:
        yield s


def read(project: Path, server: JsonServer | PrismProxy, table: str, offset_file: Path,
         max_calls: int) -> dict[str, object]:
    env = dict(os.environ, READ_OPTIONS=json.dumps({"token": TOKEN, "base_url": server.url}))
    out = subprocess.run(
        [sys.executable, str(DATA / "read_batches.py"), str(project), MODULE,
         "ShopLakeflowConnect", table, str(offset_file), str(max_calls)],
        capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_cf_new_then_live_gates_then_exactly_once(server: JsonServer, run_cf: RunCf,
                                                  tmp_path: Path) -> None:
    project = make_checkout(tmp_path / "lakeflow-community-connectors")
    result = run_cf("new", "--target", "databricks-source", "shop", "--doc",
                    str(DATA / "shop_openapi.yaml"), "--base-url", server.url,
                    "--repo", str(project), "--yes", env={"SHOP_TOKEN": TOKEN})
    output = flat(result.output)
    for table in ("customers", "orders", "products", "reviews"):  # (research's own tests
        assert f"{table}: GET /{table} · " in output, output       # check its decisions)
    assert "credentials from environment variables SHOP_* written to " \
           "tests/unit/sources/shop/configs/dev_config.json" in output
    assert "auth test: passed — 1 passed, 0 failed, 0 skipped against the live API" in output
    assert re.search(r"default mode: 8 passed, 0 failed; live: 7 passed, 0 failed", output)
    assert "done: shop" in output

    # a wrong token is refused by the server, and validate says so
    run_cf("credentials", "--project", str(project), env={"SHOP_TOKEN": "wrong"})
    failed = run_cf("validate", "--project", str(project), "--yes", expect=1)
    assert "auth test" in failed.output and "live API" in failed.output
    config = project / "tests/unit/sources/shop/configs/dev_config.json"
    assert oct(config.stat().st_mode & 0o777) == "0o600"

    run_cf("credentials", "--project", str(project), env={"SHOP_TOKEN": TOKEN})
    assert TOKEN not in (project / ".cf" / "state.json").read_text()
    assert TOKEN not in (project / ".cf" / "events.jsonl").read_text()
    live = run_cf("validate", "--project", str(project), "--yes")
    assert "against the live API" in flat(live.output)

    # exactly once across a restart: the first process stops after one batch (a killed run),
    # a second resumes from the saved offset
    for table in ("customers", "orders", "reviews"):
        offset = tmp_path / f"{table}.offset.json"
        first = read(project, server, table, offset, max_calls=1)
        assert 0 < len(first["ids"]) < SIZES[table]
        rest = read(project, server, table, offset, max_calls=0)
        ids = first["ids"] + rest["ids"]
        assert sorted(ids) == list(range(1, SIZES[table] + 1)), table
        assert rest["calls"] > 2  # it really went batch by batch
    products = read(project, server, "products", tmp_path / "products.offset.json", max_calls=0)
    assert sorted(products["ids"]) == list(range(1, SIZES["products"] + 1))

    # changes after the last run: only they are read, once
    just_now = iso(datetime.now(timezone.utc) - timedelta(seconds=2))
    for customer in (3, 700, 1499):
        server.request("PATCH", f"/customers/{customer}", {"updated_at": just_now, "vip": True})
    server.request("POST", "/reviews", {"product_id": 1, "rating": 5, "body": "late",
                                         "created_at": just_now})
    again = read(project, server, "customers", tmp_path / "customers.offset.json", max_calls=0)
    assert sorted(again["ids"]) == [3, 700, 1499]
    late = read(project, server, "reviews", tmp_path / "reviews.offset.json", max_calls=0)
    assert late["ids"] == [SIZES["reviews"] + 1]
    idle = read(project, server, "customers", tmp_path / "customers.offset.json", max_calls=0)
    assert idle["ids"] == []


def test_requests_conform_to_the_spec(server: JsonServer, inputs_dir: Path, run_cf: RunCf,
                                      tmp_path: Path) -> None:
    """Every table read through Prism's validating proxy: a request the spec does not allow
    (an unknown parameter value, a page size over its maximum, a missing token) fails."""
    spec = DATA / "shop_openapi.yaml"
    project = make_checkout(tmp_path / "lakeflow-community-connectors")
    run_cf("new", "--target", "databricks-source", "shop", "--doc", str(spec), "--repo",
           str(project), "--yes")
    with PrismProxy(inputs_dir / "node", spec, server.url) as prism:
        for table in SIZES:
            got = read(project, prism, table, tmp_path / f"{table}.prism.json", max_calls=0)
            expected = sorted(r["id"] for r in server.request("GET", f"/{table}"))
            assert sorted(got["ids"]) == expected and len(expected) >= SIZES[table]
        # the proxy does refuse what the spec forbids
        env = dict(os.environ, READ_OPTIONS=json.dumps({"token": TOKEN, "base_url": prism.url}))
        bad = subprocess.run(
            [sys.executable, "-c", "import urllib.request as u;"
             f"u.urlopen(u.Request('{prism.url}/customers?_limit=500', "
             f"headers={{'Authorization': 'Bearer {TOKEN}'}}))"],
            capture_output=True, text=True, env=env)
        assert "422" in bad.stderr


def test_one_command_with_config_and_commit(server: JsonServer, run_cf: RunCf,
                                            tmp_path: Path) -> None:
    """`--config FILE` collects the credentials at scaffold and `--commit` commits after each
    gate, as the repository's create-connector flow does; a change cf did not make stops it."""
    checkout = make_checkout(tmp_path / "lakeflow-community-connectors")
    config = tmp_path / "shop-credentials.json"
    config.write_text(json.dumps({"token": TOKEN}))
    result = run_cf("new", "--target", "databricks-source", "shop", "--doc",
                    str(DATA / "shop_openapi.yaml"), "--base-url", server.url, "--repo",
                    str(checkout), "--config", str(config), "--commit", "--yes")
    output = flat(result.output)
    # (a long path is wrapped inside the panel: compare without spaces)
    assert f"credentialsfrom{config}writtento" in output.replace(" ", ""), output
    assert re.search(r"default mode: \d+ passed, 0 failed; live: \d+ passed, 0 failed", output)
    subjects = git(checkout, "log", "--reverse", "--format=%s").splitlines()
    assert subjects[0] == "fixture checkout", subjects
    steps = [re.fullmatch(r"feat\(shop\): step (\d) - .+", s) for s in subjects[1:]]
    assert all(steps), subjects
    numbers = [int(m.group(1)) for m in steps if m]
    assert numbers == sorted(set(numbers)) and {1, 2, 5} <= set(numbers), subjects
    committed = git(checkout, "log", "--name-only", "--format=").split()
    assert "tests/unit/sources/shop/configs/dev_config.json" not in committed
    assert TOKEN not in git(checkout, "log", "-p")
    left = git(checkout, "status", "--porcelain", "--untracked-files=all").splitlines()
    # deploy (the flow's step 6) has no gate and makes no commit: its pyproject.toml is left
    assert {line[3:] for line in left if not line[3:].startswith(".cf/")} == {
        "src/databricks/labs/community_connector/sources/shop/pyproject.toml"}, left

    (checkout / "README.md").write_text("a person's notes\n")
    refused = run_cf("document", "--project", str(checkout), "--yes", expect=2)
    assert "changes cf did not make: README.md" in flat(refused.output)
    assert git(checkout, "log", "-1", "--format=%s").startswith("feat(shop): step 5")
