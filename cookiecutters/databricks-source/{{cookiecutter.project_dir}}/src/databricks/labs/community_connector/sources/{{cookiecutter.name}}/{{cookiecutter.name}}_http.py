"""HTTP for the {{ cookiecutter.title }} connector: one ``requests`` session with retries, rate
limits, deadlines, authentication, origin checks and strict JSON bodies.

Every request goes through ``requests.Session`` (so Lakeflow's source simulator, which patches
``Session.send``, can answer it). Failures that a retry can cure are retried with urllib3's
``Retry``: mounted on the session's ``HTTPAdapter`` for what happens before a response
(connection refused or reset, read timeouts), and reused as the backoff policy and budget for
429/5xx, rate-limit 403s and bodies cut short or too slow; anything else raises
:class:`ReadError` naming the URL and the reason. Nothing here returns a partial body.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

#: Statuses retried with backoff; 403 is retried only when it is a rate limit (GitHub's).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Transport errors met while reading a body (reset, truncated, IncompleteRead, read timeout).
BODY_ERRORS = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
               requests.exceptions.ContentDecodingError, requests.exceptions.Timeout)


class ReadError(RuntimeError):
    """A read that cannot be completed. The message names the table (when known), the URL and
    the reason; the reader never returns partial data instead."""


class _DeadlineExceeded(Exception):
    """The whole response did not arrive within ``request_deadline_seconds``."""


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked by a ``Retry-After`` value (RFC 9110 §10.2.3): delay-seconds (fractions
    tolerated) or an HTTP date in any zone (``GMT``, ``+0200``, ``-0000`` read as UTC);
    ``None`` for anything else, so the caller backs off instead of failing."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def _header_number(headers: Any, *names: str) -> float | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return float(str(raw).split(",")[0].strip())
        except ValueError:
            continue
    return None


def _structured(headers: Any, key: str) -> float | None:
    """``key`` from an IETF ``RateLimit: limit=100, remaining=0, reset=30`` header."""
    found = re.search(rf"\b{key}=(\d+(\.\d+)?)", str(headers.get("RateLimit") or ""))
    return float(found.group(1)) if found else None


def rate_limit_wait(headers: Any, now: float | None = None) -> float | None:
    """Seconds until a rate-limit window resets when the headers say none is left
    (``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``, GitHub's epoch seconds;
    ``RateLimit-Remaining``/``RateLimit-Reset`` or ``RateLimit: remaining=0, reset=N``, the IETF
    draft's delta seconds); ``None`` when requests remain or nothing is said."""
    remaining = _header_number(headers, "x-ratelimit-remaining", "ratelimit-remaining")
    if remaining is None:
        remaining = _structured(headers, "remaining")
    if remaining is None or remaining > 0:
        return None
    reset = _header_number(headers, "x-ratelimit-reset", "ratelimit-reset")
    if reset is None:
        reset = _structured(headers, "reset")
    if reset is None:
        return None
    current = time.time() if now is None else now
    # an epoch timestamp (GitHub) or a number of seconds (the IETF draft)
    return max(reset - current, 0.0) + 1.0 if reset > 1e9 else max(reset, 0.0)


def server_wait(headers: Any) -> float | None:
    """The wait a response asks for: ``Retry-After`` first, then the rate-limit reset."""
    wait = retry_after_seconds(headers.get("Retry-After"))
    return wait if wait is not None else rate_limit_wait(headers)


def is_rate_limited(response: requests.Response) -> bool:
    """429, or a 403 that is a rate limit (no requests remaining, or a ``Retry-After``): GitHub
    answers its primary and secondary rate limits with 403, which is not a credentials problem."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    remaining = _header_number(headers, "x-ratelimit-remaining", "ratelimit-remaining")
    return remaining == 0 or "Retry-After" in headers


class _Retry(Retry):  # type: ignore[misc]
    """urllib3 ``Retry`` whose backoff is capped at ``backoff_cap`` seconds. On the adapter it
    retries what happens before a response (connection refused or reset, read timeouts); the
    client reuses it as the backoff policy and budget for statuses and bodies."""

    backoff_cap: float = 30.0

    def new(self, **kw: Any) -> _Retry:
        fresh = super().new(**kw)
        fresh.backoff_cap = self.backoff_cap
        return fresh

    def get_backoff_time(self) -> float:
        return float(min(super().get_backoff_time(), self.backoff_cap))


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url`` with the scheme's default port filled in."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class HttpClient:
    """GETs JSON from one API origin.

    ``auth`` is the plan's auth block (``type`` bearer / basic / api_key /
    oauth2_client_credentials / oauth2_refresh_token / none); ``options`` the connection
    options holding the secrets. Settings (all from options, seconds unless said):
    ``connect_timeout`` 10, ``read_timeout`` 60 (per socket read), ``request_deadline_seconds``
    120 (one whole response, so a slow drip cannot hold a read), ``max_retries`` 5,
    ``retry_backoff_seconds`` 1 (doubling, capped at 30), ``max_wait_seconds`` 300 (the most
    the client sleeps for rate limits during one request).
    """

    def __init__(self, base_url: str, auth: dict[str, Any], options: dict[str, str]) -> None:
        self.base_url = base_url
        self.auth = auth
        self.options = options
        number = _number_option(options)
        self.timeout = (number("connect_timeout", 10.0), number("read_timeout", 60.0))
        self.deadline_s = number("request_deadline_seconds", 120.0)
        self.max_retries = int(number("max_retries", 5.0))
        self.backoff = number("retry_backoff_seconds", 1.0)
        self.max_wait = number("max_wait_seconds", 300.0)
        self._session: requests.Session | None = None
        self._adapter: HTTPAdapter | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._refresh_token = options.get("refresh_token")
        self._not_before = 0.0
        #: Requests sent and retries made, for benchmarks and tests.
        self.stats = {"requests": 0, "retries": 0, "waited_s": 0.0}

    # -- session -------------------------------------------------------------------------

    def _policy(self) -> _Retry:
        # statuses are left to get_json, which also sees GitHub's 403 rate limits and bodies
        return _Retry(total=self.max_retries, connect=self.max_retries, read=self.max_retries,
                      status=0, other=self.max_retries, redirect=0,
                      backoff_factor=self.backoff / 2, status_forcelist=frozenset(),
                      allowed_methods=frozenset({"GET", "POST"}), raise_on_status=False,
                      raise_on_redirect=False, respect_retry_after_header=False)

    @property
    def session(self) -> requests.Session:
        """The HTTP session, created on first use (not pickled)."""
        if self._session is None:
            self._session = requests.Session()
            self._adapter = HTTPAdapter(max_retries=self._policy())
            self._session.mount("http://", self._adapter)
            self._session.mount("https://", self._adapter)
        return self._session

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_session"] = state["_adapter"] = None
        return state

    # -- requests ------------------------------------------------------------------------

    def check_origin(self, url: str, what: str) -> None:
        """Raise unless ``url`` is on the base URL's origin: credentials never leave it."""
        if origin(url) != origin(self.base_url):
            raise ReadError(f"{what} {url} is not on the API's origin {self.base_url}; "
                            "refusing to send credentials there")

    def get_json(self, url: str, params: dict[str, Any], headers: dict[str, str],
                 what: str = "") -> tuple[Any, requests.Response]:
        """GET ``url`` and return ``(decoded JSON body, response)``.

        Retries transport errors, truncated or slow bodies and 429/5xx (``Retry-After`` and
        rate-limit headers honoured); refreshes an OAuth2 token once on 401; follows redirects
        only on the API's origin. Raises :class:`ReadError` (prefixed with ``what``, e.g. the
        table) naming the URL, status and content type for anything else: an error status, an
        empty or non-JSON body, a wait longer than ``max_wait_seconds``.
        """
        prefix = f"{what}: " if what else ""
        self.check_origin(url, f"{prefix}URL")
        policy = self._policy()
        waited = 0.0
        refreshed = False
        redirects = 0
        while True:
            self._respect_not_before()
            send_headers, send_params, basic = self._authorise(dict(headers), dict(params))
            session = self.session
            if self._adapter is not None:  # a fresh retry budget for this request
                self._adapter.max_retries = self._policy()
            began = time.monotonic()
            self.stats["requests"] += 1
            try:
                response = session.get(
                    url, params=send_params, headers=send_headers, auth=basic,
                    timeout=self.timeout, stream=True, allow_redirects=False)
            except requests.RequestException as exc:
                raise ReadError(f"{prefix}{url}: {type(exc).__name__} after "
                                f"{self.max_retries} retries: {exc}") from exc
            status = response.status_code
            if status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                target = urljoin(response.url or url, response.headers["Location"])
                response.close()
                self.check_origin(target, f"{prefix}redirect from {url} to")
                redirects += 1
                if redirects > 5:
                    raise ReadError(f"{prefix}{url}: more than 5 redirects")
                url, params = target, {}
                continue
            if status == 401 and self.auth.get("type", "").startswith("oauth2") and not refreshed:
                response.close()
                self._token, refreshed = None, True
                continue
            if is_rate_limited(response) or status in RETRY_STATUSES:
                wait = server_wait(response.headers)
                response.close()
                policy = self._increment(policy, url, prefix, f"HTTP {status}")
                if wait is not None and wait > self.max_wait - waited:
                    raise ReadError(
                        f"{prefix}{url}: HTTP {status}: the server asks to wait {wait:.0f} s, "
                        f"more than max_wait_seconds={self.max_wait:.0f} allows; run again later")
                wait = policy.get_backoff_time() if wait is None else wait
                if waited + wait > self.max_wait:
                    raise ReadError(
                        f"{prefix}{url}: HTTP {status}: waiting {waited + wait:.0f} s in all "
                        f"passes max_wait_seconds={self.max_wait:.0f}; run again later")
                self._sleep(wait)
                waited += wait
                continue
            if status >= 400:
                snippet = _snippet(response, self._secrets())
                if status in (401, 403):
                    raise ReadError(
                        f"{prefix}{url}: HTTP {status}: the credentials were refused "
                        f"({', '.join(required_options(self.auth)) or 'none configured'}): "
                        f"{snippet}")
                raise ReadError(f"{prefix}{url}: HTTP {status}: {snippet}")
            try:
                content = self._read_body(response, began + self.deadline_s)
            except (_DeadlineExceeded, *BODY_ERRORS) as exc:
                reason = (f"the response took longer than request_deadline_seconds="
                          f"{self.deadline_s:.0f}" if isinstance(exc, _DeadlineExceeded)
                          else f"{type(exc).__name__}: {exc}")
                policy = self._increment(policy, url, prefix, reason)
                self._sleep(policy.get_backoff_time())
                continue
            kind = response.headers.get("Content-Type", "(none)")
            if status == 204:
                return None, response
            if not content.strip():
                raise ReadError(f"{prefix}{url}: HTTP {status} with an empty body "
                                f"(content type {kind})")
            try:
                body = json.loads(content)
            except ValueError:
                if "json" in kind.lower():  # a JSON type cut short: retry
                    policy = self._increment(policy, url, prefix, "a JSON body cut short")
                    self._sleep(policy.get_backoff_time())
                    continue
                raise ReadError(
                    f"{prefix}{url}: HTTP {status} body is not JSON (content type {kind}): "
                    f"{content[:120]!r}") from None
            wait = rate_limit_wait(response.headers)
            if wait is not None:
                self._not_before = time.monotonic() + min(wait, self.max_wait)
            return body, response

    def _increment(self, policy: _Retry, url: str, prefix: str, reason: str) -> _Retry:
        self.stats["retries"] += 1
        try:
            return policy.increment(method="GET", url=url, error=_Transient(reason))
        except MaxRetryError:
            raise ReadError(f"{prefix}{url}: {reason}; gave up after {self.max_retries} "
                            "retries") from None

    def _sleep(self, seconds: float) -> None:
        self.stats["waited_s"] += seconds
        time.sleep(seconds)

    def _respect_not_before(self) -> None:
        pause = self._not_before - time.monotonic()
        if pause > 0:
            self._sleep(pause)

    @staticmethod
    def _read_body(response: requests.Response, deadline: float) -> bytes:
        """The whole body, read in small pieces so the deadline holds against a slow drip."""
        if response._content is not False:  # already read (e.g. by a simulator)
            return response.content or b""
        raw = response.raw
        chunks: list[bytes] = []
        try:
            reader = getattr(raw, "read1", None)
            pieces = (iter(lambda: reader(65536, decode_content=True), b"") if reader is not None
                      else response.iter_content(1024))
            for chunk in pieces:
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _DeadlineExceeded()
        except _DeadlineExceeded:
            response.close()
            raise
        except Exception as exc:
            response.close()
            if isinstance(exc, BODY_ERRORS):
                raise
            raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc
        data = b"".join(chunks)
        response._content = data
        return data

    # -- auth ----------------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        return [v for k, v in self.options.items()
                if k in required_options(self.auth) and k != "username" and v]

    def _authorise(self, headers: dict[str, str], params: dict[str, Any]
                   ) -> tuple[dict[str, str], dict[str, Any], tuple[str, str] | None]:
        headers.setdefault("Accept", "application/json")
        headers.setdefault("User-Agent", "lakeflow-community-connector")
        kind = self.auth.get("type", "none")
        if kind == "bearer":
            header = self.auth.get("header") or "Authorization"
            headers[header] = f"{self.auth.get('scheme', 'Bearer')} {self.options['token']}".strip()
        elif kind == "basic":
            return headers, params, (self.options["username"], self.options["password"])
        elif kind == "api_key":
            if self.auth.get("location") == "query":
                params[self.auth["key_name"]] = self.options["api_key"]
            else:
                headers[self.auth["key_name"]] = self.options["api_key"]
        elif kind.startswith("oauth2"):
            headers["Authorization"] = f"Bearer {self._access_token()}"
        return headers, params, None

    def _access_token(self) -> str:
        """An OAuth2 access token (RFC 6749 §4.4 client credentials or §6 refresh), cached
        until a minute before it expires."""
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        url = self.options.get("token_url") or self.auth.get("token_url")
        if not url:
            raise ReadError("OAuth2: no token URL; set connection option 'token_url'")
        form = {"client_id": self.options["client_id"],
                "client_secret": self.options["client_secret"]}
        if self.auth["type"] == "oauth2_refresh_token":
            form.update(grant_type="refresh_token", refresh_token=self._refresh_token or "")
        else:
            form["grant_type"] = "client_credentials"
            scopes = self.options.get("scopes") or " ".join(self.auth.get("scopes") or [])
            if scopes:
                form["scope"] = scopes
        try:
            response = self.session.post(url, data=form, timeout=self.timeout,
                                         headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise ReadError(f"OAuth2 token request to {url}: {type(exc).__name__}: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise ReadError(f"OAuth2 token request to {url}: HTTP {response.status_code}: the "
                            "client credentials or refresh token were refused "
                            f"({', '.join(required_options(self.auth))})")
        self._token = str(body["access_token"])
        if body.get("refresh_token"):
            self._refresh_token = str(body["refresh_token"])  # rotated refresh tokens
        lifetime = float(body.get("expires_in") or 3600)
        self._token_expires = time.monotonic() + max(lifetime - 60, lifetime / 2)
        return self._token


class _Transient(Exception):
    """A failure worth another attempt, for urllib3's ``Retry.increment``."""


def required_options(auth: dict[str, Any]) -> list[str]:
    """Connection options holding the credentials for ``auth``'s type."""
    return {"bearer": ["token"], "basic": ["username", "password"], "api_key": ["api_key"],
            "oauth2_client_credentials": ["client_id", "client_secret"],
            "oauth2_refresh_token": ["client_id", "client_secret", "refresh_token"],
            }.get(auth.get("type", "none"), [])


def _number_option(options: dict[str, str]) -> Any:
    def number(name: str, default: float) -> float:
        raw = options.get(name)
        if raw in (None, ""):
            return default
        try:
            return max(float(raw), 0.0)
        except ValueError:
            raise ValueError(f"option {name!r} must be a number, got {raw!r}") from None
    return number


def _snippet(response: requests.Response, secrets: list[str]) -> str:
    try:
        text = response.text[:200]
    except Exception:  # a body that cannot be read says nothing more
        text = ""
    for secret in secrets:
        text = text.replace(secret, "***")
    kind = response.headers.get("Content-Type", "(none)")
    return f"content type {kind}: {text!r}"


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)
