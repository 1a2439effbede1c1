"""Real servers on 127.0.0.1 for the probe and record-mode tests (none written by this project).

``BasicJsonServer``: json-server 0.17 (from ``.ci/fetch-inputs``) over the shop data of
:mod:`.shop`, behind ``data/basic_auth.js`` (401 with ``WWW-Authenticate: Basic`` without the
right credentials). ``Datasette``: Datasette (PyPI) serving a SQLite database made here with
:mod:`sqlite3`; with ``refuse=True`` its ``allow: false`` metadata makes it answer 403 to
every request. Both are context managers with ``url``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .shop import free_port, iso

DATA = Path(__file__).parent / "data"


def _wait(process: subprocess.Popen[bytes], url: str, what: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode()[-500:] if process.stderr else ""
            raise RuntimeError(f"{what} exited: {err}")
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within 60 s")


class BasicJsonServer:
    """json-server over ``db`` behind HTTP Basic ``user``/``password``."""

    def __init__(self, node_dir: Path, workdir: Path, db: dict[str, Any], user: str,
                 password: str) -> None:
        self.binary = node_dir / "node_modules" / ".bin" / "json-server"
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} is missing: run .ci/fetch-inputs (needs npm)")
        self.db_file = workdir / "db.json"
        self.db_file.write_text(json.dumps(db))
        self.user, self.password = user, password
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BasicJsonServer:
        env = dict(os.environ, SHOP_USER=self.user, SHOP_PASSWORD=self.password)
        self.process = subprocess.Popen(
            [str(self.binary), str(self.db_file), "--host", "127.0.0.1", "--port",
             str(self.port), "--quiet", "--middlewares", str(DATA / "basic_auth.js")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait(self.process, f"{self.url}/customers?_limit=1", "json-server", {})
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def get(self, path: str) -> Any:
        """GET ``path`` with the credentials; the decoded JSON body."""
        pair = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Basic {pair}"})
        with urllib.request.urlopen(req, timeout=10) as response:
            return json.loads(response.read())


#: Rows per table of the Datasette database (more than one default page of 100).
DATASETTE_ROWS = {"customers": 260, "products": 130}


def make_database(path: Path) -> None:
    """A SQLite shop: ``customers(id, email, name, created_at, vip)`` and
    ``products(sku primary key, title, price, stock)``, ids from 1."""
    moment = datetime(2025, 3, 1, tzinfo=timezone.utc)
    with sqlite3.connect(path) as db:
        db.execute("create table customers (id integer primary key, email text, name text, "
                   "created_at text, vip integer)")
        db.executemany("insert into customers values (?, ?, ?, ?, ?)", [
            (i, f"c{i}@shop.example", f"Customer {i}", iso(moment + timedelta(minutes=i // 2)),
             i % 7 == 0) for i in range(1, DATASETTE_ROWS["customers"] + 1)])
        db.execute("create table products (sku text primary key, title text, price real, "
                   "stock integer)")
        db.executemany("insert into products values (?, ?, ?, ?)", [
            (f"SKU-{i:04d}", f"Product {i}", round(i * 1.5, 2), i % 40)
            for i in range(1, DATASETTE_ROWS["products"] + 1)])


class Datasette:
    """``datasette serve DB --host 127.0.0.1 --port N`` (``refuse``: 403 to everything)."""

    def __init__(self, workdir: Path, refuse: bool = False) -> None:
        self.db = workdir / "shop.db"
        if not self.db.exists():
            make_database(self.db)
        self.workdir = workdir
        self.refuse = refuse
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Datasette:
        binary = shutil.which("datasette") or str(Path(sys.executable).parent / "datasette")
        command = [binary, "serve", str(self.db), "--host", "127.0.0.1", "--port",
                   str(self.port)]
        if self.refuse:
            metadata = self.workdir / "deny.json"
            metadata.write_text(json.dumps({"allow": False}))
            command += ["--metadata", str(metadata)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        _wait(self.process, f"{self.url}/-/versions.json", "datasette", {})
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
