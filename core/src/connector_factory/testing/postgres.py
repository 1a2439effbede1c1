"""A throw-away PostgreSQL cluster for tests (Debian package ``postgresql``).

:func:`postgres_cluster` runs ``initdb`` into a temporary folder and starts ``postgres`` with
``pg_ctl`` on a free port on 127.0.0.1 (Unix socket in the same folder), yields a
:class:`PgCluster`, and stops and deletes it afterwards. As root, the server runs as the
``postgres`` system user (``initdb`` refuses root). Binaries are looked up with ``pg_config
--bindir``, then ``/usr/lib/postgresql/*/bin``, then ``PATH``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries are missing or the server did not start; the message says why."""


@dataclass(frozen=True)
class PgCluster:
    """A running cluster: ``host``/``port``, superuser ``user``, database ``postgres``.

    ``dsn`` is a libpq connection string; ``psql(sql)`` runs SQL through the ``psql`` client
    (``ON_ERROR_STOP``) and returns its stdout (unaligned, tuples only, ``|``-separated).
    """

    host: str
    port: int
    user: str
    bindir: Path
    run_as: str | None

    @property
    def dsn(self) -> str:
        """``host=… port=… user=… dbname=postgres``."""
        return f"host={self.host} port={self.port} user={self.user} dbname=postgres"

    def psql(self, sql: str, dbname: str = "postgres", check: bool = True) -> str:
        """Run ``sql`` with ``psql -v ON_ERROR_STOP=1``; raise ``subprocess.CalledProcessError``
        (with stderr) when ``check`` and it fails; return stdout."""
        cmd = [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
               "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", dbname]
        proc = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)
        return proc.stdout


def find_bindir() -> Path:
    """The folder holding ``initdb``/``pg_ctl``/``psql``.

    Raises:
        PostgresUnavailable: none found (install the Debian package ``postgresql``).
    """
    pg_config = shutil.which("pg_config")
    candidates: list[str] = []
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    for folder in candidates:
        if folder and Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found — "
        "fix: apt-get install postgresql (.ci/run does this)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def postgres_cluster() -> Iterator[PgCluster]:
    """Start a fresh cluster, yield it, stop and delete it (see the module docstring).

    Raises:
        PostgresUnavailable: binaries missing, or initdb/pg_ctl failed (their output included).
    """
    bindir = find_bindir()
    run_as = "postgres" if os.geteuid() == 0 else None
    prefix = ["runuser", "-u", run_as, "--"] if run_as else []
    tmp = Path(tempfile.mkdtemp(prefix="cf-pg-"))
    data = tmp / "data"
    if run_as:
        shutil.chown(tmp, user=run_as)
    port = _free_port()
    user = run_as or "postgres"

    def run(cmd: list[str]) -> None:
        proc = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()}")

    try:
        run([str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust",
             "--no-sync", "-E", "UTF8", "--locale=C"])
        options = f"-h 127.0.0.1 -p {port} -k {tmp} -F -c fsync=off"
        run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-o", options,
             "-w", "-t", "60", "start"])
        try:
            yield PgCluster("127.0.0.1", port, user, bindir, run_as)
        finally:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
