"""The ``--doc`` input: a local file or a URL; what it is (an OpenAPI/Swagger description, or
prose a model must read); and its parsed form, made once per process.

Classification, in order:

1. an empty file (only white space) and a binary file (a NUL byte, or mostly control bytes
   that are not UTF-8) are refused, naming the problem;
2. ``.md``/``.markdown``/``.html``/``.htm``/``.txt``/``.rst`` files, and text starting with
   ``<`` (not named ``.json``/``.yaml``/``.yml``), are prose;
3. text that starts with ``{``/``[``, or a ``.json``/``.yaml``/``.yml`` file, must parse
   (a syntax error is reported as ``line L, column C: …``) and be an OpenAPI 3.x/Swagger 2.0
   mapping (``openapi`` or ``swagger`` at the top), else it is refused;
4. anything else is parsed as YAML: an OpenAPI mapping is a description; text that fails to parse
   but has an ``openapi:``/``swagger:`` key at the start of a line is a broken description (its
   syntax error is reported); the rest is prose;
5. prose must read as prose (core's :func:`~connector_factory.documents.is_prose`: enough
   words, mostly letters), else it is refused: only prose is ever given to a model.

The parsed value (``$ref`` objects as lazy :class:`jsonref.JsonRef` proxies, see
:class:`~cf_databricks_source.doc_parse.LazyRefs`) is kept per file (path, size, modification
time) for the rest of the process, so the plan step's classification and research share one parse.
"""

from __future__ import annotations

import re
import tempfile
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from connector_factory.documents import MAX_BYTES, fetch, is_prose
from connector_factory.errors import InputError

from cf_databricks_source import doc_parse

#: Parsed documents kept per process (GitHub's description takes about 130 MiB parsed).
CACHE_SIZE = 2

PROSE_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt", ".rst")
STRUCTURED_SUFFIXES = (".json", ".yaml", ".yml")
_OPENAPI_KEY = re.compile(r"""^["']?(openapi|swagger)["']?[ \t]*:""", re.MULTILINE)
_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13})
_FIX_KIND = "pass an OpenAPI 3.x or Swagger 2.0 document, or a Markdown/HTML API doc"

_parsed: OrderedDict[tuple[str, int, int], Any] = OrderedDict()


@lru_cache(maxsize=8)
def local_copy(doc: str) -> Path:
    """A local path for ``doc``: the file itself, or a URL downloaded (by the core's
    :func:`~connector_factory.documents.fetch`: ``CF_TIMEOUT``, the same messages in every
    target) to a temporary file.

    Raises:
        InputError: the file does not exist, or the URL cannot be fetched in time.
    """
    if "://" not in doc:
        path = Path(doc)
        if not path.is_file():
            raise InputError(f"--doc {doc}: no such file", "check the path")
        return path
    data = fetch(doc, "--doc")
    suffix = Path(doc.split("?")[0]).suffix or ".txt"
    with tempfile.NamedTemporaryFile(prefix="cf-doc-", suffix=suffix, delete=False) as handle:
        handle.write(data)
    return Path(handle.name)


def classify_doc(doc: str) -> tuple[str, str]:
    """``("openapi", where)`` when ``doc`` is an OpenAPI 3.x or Swagger 2.0 document, else
    ``("text", where)`` for prose (Markdown, HTML, plain text) a model must read. ``where`` names
    the input. An OpenAPI document is parsed here, once, for the rest of the process
    (:func:`parsed_document`).

    Raises:
        InputError: the file does not exist or cannot be fetched; it is empty, binary, or too
            large; it is JSON/YAML with a syntax error (``line L, column C: …``) or is JSON/YAML
            but not an OpenAPI/Swagger document.
    """
    path = local_copy(doc)
    content = read_doc(path, f"--doc {doc}")
    suffix = Path(doc.split("?")[0].split("#")[0]).suffix.lower()
    first = content.first()
    if suffix in PROSE_SUFFIXES or (first == "<" and suffix not in STRUCTURED_SUFFIXES):
        return _prose(content.text, doc)
    structured = first in ("{", "[") or suffix in STRUCTURED_SUFFIXES
    try:
        data = parsed_document(path, f"--doc {doc}", content)
    except InputError:
        if structured or _OPENAPI_KEY.search(content.text):
            raise
        return _prose(content.text, doc)
    if is_openapi(data):
        return "openapi", doc
    if structured:
        what = "empty (no value)" if data is None else "JSON/YAML but not an OpenAPI 3.x or " \
            "Swagger 2.0 document (no 'openapi' or 'swagger' key at the top)"
        raise InputError(f"--doc {doc} is {what}", _FIX_KIND)
    return _prose(content.text, doc)


def _prose(text: str, doc: str) -> tuple[str, str]:
    """``("text", doc)`` when ``text`` reads as prose (:func:`is_prose`), the only thing a model
    is given."""
    if not is_prose(text):
        raise InputError(f"--doc {doc} does not read as an API description (too few words; "
                         "neither JSON nor YAML)", _FIX_KIND)
    return "text", doc


def is_openapi(data: Any) -> bool:
    """Whether a parsed document is an OpenAPI/Swagger mapping (``openapi``/``swagger`` key)."""
    return isinstance(data, dict) and ("openapi" in data or "swagger" in data)


#: The ASCII white space ``str.lstrip`` skips (it skips more: non-ASCII spaces, ``\x1c``-``\x1f``).
_LEADING_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]*")
_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
              (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


class DocContent:
    """A document file's bytes, and its text decoded on first use: UTF-8 with or without BOM,
    UTF-16/32 with a BOM; bytes that are not UTF-8 are read with replacement characters unless
    they look binary. Research reads a YAML document from the bytes (:meth:`utf8`), so the
    text of a large YAML description is never made (GitHub's 9.4 MiB as YAML: 0.07 s to decode,
    0.03 s to encode again for rapidyaml).

    Made by :func:`read_doc`. ``raw`` is the file's bytes; ``where`` names it in errors.
    """

    def __init__(self, raw: bytes, where: str) -> None:
        self.raw = raw
        self.where = where
        self._text: str | None = None
        self._wide = next((codec for bom, codec in _WIDE_BOMS if raw.startswith(bom)), None)
        self._bom = len(_UTF8_BOM) if raw.startswith(_UTF8_BOM) else 0

    @property
    def text(self) -> str:
        """The text (decoded once).

        Raises:
            InputError: the file is binary (mostly control bytes that are not UTF-8, or a NUL
                byte), or empty (white space only).
        """
        if self._text is None:
            self._text = _not_empty(self._decode(), self.where)
        return self._text

    def _decode(self) -> str:
        raw, where = self.raw, self.where
        if self._wide is not None:
            try:
                return raw.decode(self._wide)
            except UnicodeDecodeError:
                pass
        head = raw[:8192]
        if b"\x00" in head:
            raise InputError(f"{where} is a binary file (it holds NUL bytes), not an API "
                             "description", _FIX_KIND)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            controls = sum(head.count(byte) for byte in _CONTROL)
            if controls * 10 > len(head):
                raise InputError(f"{where} is a binary file, not an API description",
                                 _FIX_KIND) from None
            return raw.decode("utf-8", errors="replace")

    def first(self) -> str:
        """The text's first character that is not white space (``str.lstrip``'s), read off the
        bytes when it is printable ASCII in a UTF-8 file, else off the decoded text.

        Raises:
            InputError: as :attr:`text`, when the bytes do not tell.
        """
        if self._text is None and self._wide is None:
            # `*` always matches: never None
            start = _LEADING_SPACE.match(self.raw, self._bom).end()  # type: ignore[union-attr]
            byte = self.raw[start:start + 1]
            if byte and 0x21 <= byte[0] <= 0x7E and b"\x00" not in self.raw[:8192]:
                return byte.decode("ascii")
        return self.text.lstrip()[:1]

    def utf8(self) -> bytes | None:
        """The text's UTF-8 bytes read off the file (a UTF-8 BOM left off), without decoding;
        ``None`` for a UTF-16/32 file or one that holds a NUL byte. Bytes that are not UTF-8 are
        kept as they are: a parser given them must fail where the text would hold a
        replacement character (rapidyaml's JSON then does not decode)."""
        if self._wide is not None or b"\x00" in self.raw:
            return None
        return self.raw[self._bom:] if self._bom else self.raw


def read_doc(path: Path, where: str) -> DocContent:
    """The content of the document file ``path``, its text decoded on first use.

    Raises:
        InputError: ``where`` is larger than :data:`MAX_BYTES`.
    """
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{where} is {size // (1024 * 1024)} MiB; the limit is "
                         f"{MAX_BYTES // (1024 * 1024)} MiB", "pass a smaller document")
    return DocContent(path.read_bytes(), where)


def _not_empty(text: str, where: str) -> str:
    if not text or text.isspace():  # not text.strip(): that copies the text
        raise InputError(f"{where} is empty", _FIX_KIND)
    return text


def parsed_document(path: Path, where: str | None = None,
                    content: DocContent | None = None) -> Any:
    """The parsed value of the JSON or YAML file ``path``, ``$ref`` objects as lazy references
    that resolve against it (references to other files or URLs are not fetched: they raise
    :class:`jsonref.JsonRefError` when read). Parsed once per process while the file keeps its
    size and modification time; ``content`` is the file's content when the caller already read
    it.

    Raises:
        InputError: the file is not JSON/YAML (``line L, column C: …``), is empty or binary.
    """
    where = where or path.name
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _parsed:
        _parsed.move_to_end(key)
        return _parsed[key]
    if content is None:
        content = read_doc(path, where)
    data = parse_text(content, Path(key[0]).as_uri(), where)
    _parsed[key] = data
    while len(_parsed) > CACHE_SIZE:
        _parsed.popitem(last=False)
    return data


def forget_parsed() -> None:
    """Drop every kept parse (tests, long-lived processes)."""
    _parsed.clear()


def _no_remote(uri: str) -> Any:
    raise ValueError(f"external reference {uri} is not fetched (research is offline)")


def parse_text(content: DocContent, base_uri: str, where: str) -> Any:
    """Parse ``content`` as JSON when its text starts with ``{``/``[`` (falling back to YAML, a
    superset, e.g. for comments), else as YAML (rapidyaml on the file's bytes when its result
    provably equals the exact reader's, see :func:`doc_parse.load_api_yaml`); ``$ref`` objects
    become lazy references to ``base_uri``.

    Raises:
        InputError: ``where: line L, column C: …`` (for text that looks like JSON, the JSON
            error); the file is empty or binary.
    """
    refs = doc_parse.LazyRefs(base_uri, _no_remote)
    if content.first() in ("{", "["):
        utf8 = content.utf8()
        ascii_text = None if utf8 is None else doc_parse.ascii_json(utf8)
        if ascii_text is not None:
            try:
                return refs.bind(doc_parse.load_json(ascii_text, refs))
            except doc_parse.DocSyntaxError:
                refs = doc_parse.LazyRefs(base_uri, _no_remote)  # the error, from the text
        text = content.text
        try:
            return refs.bind(doc_parse.load_json(text, refs))
        except doc_parse.DocSyntaxError as json_error:
            try:
                return refs.bind(doc_parse.load_api_yaml(text, refs))
            except doc_parse.DocSyntaxError:
                raise InputError(f"{where} is not valid JSON: {json_error}",
                                 "fix the syntax at that position") from None
    utf8 = content.utf8()
    if utf8 is not None:
        try:
            return refs.bind(doc_parse.load_api_yaml_fast(utf8, refs))
        except doc_parse.FastPathDeclined:
            pass
    try:
        return refs.bind(doc_parse.load_api_yaml_exact(content.text, refs))
    except doc_parse.DocSyntaxError as exc:
        raise InputError(f"{where} is not valid YAML: {exc}",
                         "fix the syntax at that position") from None
