"""The secret scan: no file a step writes or deploy packages may hold a secret's value.

The secrets are those :func:`connector_factory.agent.transcript.scan_secrets` knows for the
project: the values in its ``dev_config.json`` files under a secret-looking key or a secret
parameter of its connection form, and of secret-named environment variables (``*_TOKEN``,
``*_KEY``, ``*_SECRET``, ``*PASSWORD`` …), at least ``MIN_SECRET_LEN`` characters.
The pipeline scans every step's outputs before the result is shown or stored; a deploy step
scans what it packages with :func:`require_clean` (wheels, sdists and zip/tar archives are
opened and every member is scanned). The ``dev_config.json`` files themselves are where
secrets belong and are never reported.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from connector_factory.errors import StepFailed

#: Archive suffixes whose members are scanned one by one.
ARCHIVE_SUFFIXES = (".whl", ".zip", ".jar", ".tar.gz", ".tgz", ".tar")
#: Hits named in the error message (the rest are counted).
_SHOWN = 5


@dataclass(frozen=True)
class SecretHit:
    """One secret value found: ``where`` is the file (``archive!member`` inside an archive),
    ``line`` 1-based, ``secret`` the index of the value in the scanned list (never the value)."""

    where: str
    line: int
    secret: int

    def text(self) -> str:
        """``where:line``, as an editor opens it."""
        return f"{self.where}:{self.line}"


def _forms(secrets: Iterable[str]) -> list[tuple[int, bytes]]:
    import json

    found: list[tuple[int, bytes]] = []
    for index, value in enumerate(secrets):
        variants = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        found += [(index, v.encode("utf-8")) for v in variants if v]
    return found


def scan_bytes(data: bytes, where: str, secrets: list[str]) -> list[SecretHit]:
    """Every line of ``data`` holding one of ``secrets`` (as is or JSON-escaped), as hits."""
    hits = []
    for index, form in _forms(secrets):
        start = data.find(form)
        while start != -1:
            hits.append(SecretHit(where, data.count(b"\n", 0, start) + 1, index))
            start = data.find(form, start + len(form))
    return sorted(set(hits), key=lambda h: (h.where, h.line))


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    name = path.name.lower()
    if name.endswith((".whl", ".zip", ".jar")):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    yield info.filename, archive.read(info)
        return
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None:
                yield member.name, handle.read()


def _is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def scan_path(path: Path, secrets: list[str], shown_as: str) -> list[SecretHit]:
    """Hits in the file ``path`` (named ``shown_as`` in them); an archive's members are scanned
    (nested archives too), named ``shown_as!member``.

    Raises:
        StepFailed: an archive that cannot be opened (a scan that cannot read is not a pass).
    """
    if not _is_archive(path):
        return scan_bytes(path.read_bytes(), shown_as, secrets)
    hits: list[SecretHit] = []
    try:
        for member, data in _members(path):
            where = f"{shown_as}!{member}"
            if _is_archive(Path(member)):
                hits += _scan_nested(data, member, where, secrets)
            else:
                hits += scan_bytes(data, where, secrets)
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        raise StepFailed(f"secret scan cannot open {shown_as}: {exc}",
                         "rebuild the package, then run the step again") from exc
    return hits


def _scan_nested(data: bytes, member: str, where: str, secrets: list[str]) -> list[SecretHit]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cf-scan-") as tmp:
        inner = Path(tmp) / Path(member).name
        inner.write_bytes(data)
        return scan_path(inner, secrets, where)


def scan_files(project_dir: Path, paths: Iterable[Path],
               secrets: list[str] | None = None) -> list[SecretHit]:
    """Hits in ``paths`` (missing files and ``dev_config.json`` files are passed over), named
    relative to ``project_dir`` when inside it. ``secrets`` default to the project's."""
    from connector_factory.agent.transcript import scan_secrets

    values = scan_secrets(project_dir) if secrets is None else secrets
    if not values:
        return []
    root = project_dir.resolve()
    hits: list[SecretHit] = []
    for path in dict.fromkeys(p.resolve() for p in paths):
        if not path.is_file() or path.name == "dev_config.json":
            continue
        shown = path.relative_to(root).as_posix() if root in path.parents else str(path)
        hits += scan_path(path, values, shown)
    return hits


def require_clean(project_dir: Path, paths: Iterable[Path], what: str = "the files",
                  secrets: list[str] | None = None) -> None:
    """Raise unless no file in ``paths`` holds a secret of the project (see
    :func:`scan_files`); a deploy step calls this on everything it packages before reporting.

    Raises:
        StepFailed: naming each ``file:line`` (at most five, then a count), never the value.
    """
    hits = scan_files(project_dir, paths, secrets)
    if not hits:
        return
    shown = ", ".join(h.text() for h in hits[:_SHOWN])
    more = f" (+{len(hits) - _SHOWN} more)" if len(hits) > _SHOWN else ""
    raise StepFailed(
        f"secret scan: {what} hold a secret's value (from dev_config.json or a secret-named "
        f"environment variable) at {shown}{more}",
        "remove the value from those files (or from what they are generated from), then run "
        "the step again",
    )

