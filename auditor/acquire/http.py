"""The one HTTP client: User-Agent, timeouts, size caps, retries, per-host rate limits,
conditional GET. Everything above it is the same code whether the bytes come from the network
or from a test transport (the `transport` seam, as in httpx).

Secrets (NCBI api_key, the contact email) are added to requests here and stripped from every
URL this module hands back or logs, so nothing saved to disk carries them.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pyrate_limiter import InMemoryBucket, Limiter, Rate
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from auditor.config import FetchSettings
from auditor.errors import ConfigError, FetchError

log = logging.getLogger(__name__)

NCBI_HOST = "eutils.ncbi.nlm.nih.gov"
CROSSREF_HOST = "api.crossref.org"
#: Query parameters that are secrets or personal data: never stored, never logged.
SECRET_PARAMS = frozenset({"api_key", "email", "mailto"})
#: Response headers kept in a snapshot (never Set-Cookie or anything about auth).
KEPT_HEADERS = ("ETag", "Last-Modified", "Content-Type", "Date")
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 10


@dataclass
class Response:
    """What a GET returned. `url` and `final_url` are already stripped of secrets."""

    url: str
    final_url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    tries: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "application/octet-stream")


class _Retryable(Exception):
    """One failed attempt that may succeed later (timeout, reset, 429, 5xx)."""

    def __init__(self, cause: str, retry_after: float | None = None, advice: str = ""):
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
        self.advice = advice or "try again later"


class _Fatal(Exception):
    """A failure that retrying cannot fix (404, redirect loop, body too large)."""

    def __init__(self, cause: str, advice: str):
        super().__init__(cause)
        self.cause = cause
        self.advice = advice


def redact(url: str) -> str:
    """The URL without secret query parameters (api_key, email, mailto)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query)))


def fetch_error(source: str, url: str, cause: str, advice: str) -> FetchError:
    """A FetchError naming source, URL, cause and what to do; `.cause` keeps the short cause."""
    err = FetchError(f"source {source!r}: GET {redact(url)} failed: {cause}. {advice[:1].upper()}"
                     f"{advice[1:]}.")
    err.source, err.url, err.cause = source, redact(url), cause  # type: ignore[attr-defined]
    return err


def human_size(n: int) -> str:
    mb = 1024 * 1024
    return f"{n // mb} MB" if n >= mb and n % mb == 0 else f"{n:,} bytes"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC).timestamp()
    return max(0.0, when.timestamp() - current)


def rate_for(host: str, settings: FetchSettings) -> float:
    """Requests per second allowed for a host; NCBI allows 10/s instead of 3/s with a key."""
    limits = settings.rate_limits
    rate = limits.get(host, limits.get("default", 2.0))
    if host == NCBI_HOST and settings.ncbi_api_key and rate == 3.0:
        rate = 10.0
    if rate <= 0:
        raise ConfigError(f"fetch.rate_limits: rate for {host!r} must be > 0 (got {rate})")
    return rate


class HostLimits:
    """One pyrate-limiter Limiter per host: hosts never wait for each other, and all threads
    fetching from one host share its limit. Requests are spaced evenly (no bursts)."""

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self._limiters: dict[str, Limiter] = {}
        self._lock = threading.Lock()

    def limiter(self, host: str) -> Limiter:
        with self._lock:
            if host not in self._limiters:
                interval_ms = max(1, round(1000 / rate_for(host, self.settings)))
                bucket = InMemoryBucket([Rate(1, interval_ms)])
                self._limiters[host] = Limiter(bucket, buffer_ms=5)
            return self._limiters[host]

    def acquire(self, host: str) -> None:
        self.limiter(host).try_acquire(host, blocking=True)

    def close(self) -> None:
        with self._lock:
            for limiter in self._limiters.values():
                limiter.bucket_factory.close()
            self._limiters.clear()


class Client:
    """A polite GET-only client around one httpx.Client. Thread-safe."""

    def __init__(self, settings: FetchSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        try:
            agent = settings.user_agent.format(contact_email=settings.contact_email)
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(f"fetch.user_agent: bad template ({e}); the only placeholder "
                              "allowed is {contact_email}") from e
        self.http = httpx.Client(
            headers={"User-Agent": agent},
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            transport=transport,
        )
        self.limits = HostLimits(settings)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
        self.limits.close()

    def with_credentials(self, url: str) -> str:
        """Add NCBI tool/email/api_key or the Crossref mailto the services ask for."""
        parts = urlsplit(url)
        extra: dict[str, str] = {}
        s = self.settings
        if parts.hostname == NCBI_HOST:
            extra["tool"] = "auditor"
            if s.contact_email:
                extra["email"] = s.contact_email
            if s.ncbi_api_key:
                extra["api_key"] = s.ncbi_api_key
        elif parts.hostname == CROSSREF_HOST and s.contact_email:
            extra["mailto"] = s.contact_email
        if not extra:
            return url
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if k not in extra]
        return urlunsplit(parts._replace(query=urlencode(query + list(extra.items()))))

    def get(self, url: str, *, source: str = "?", etag: str | None = None,
            last_modified: str | None = None) -> Response:
        """GET with retries; a 304 (given etag/last_modified) returns a Response with no body.

        Raises FetchError naming the source, the URL (secrets removed) and the cause.
        """
        full = self.with_credentials(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        tries = 0

        def attempt() -> Response:
            nonlocal tries
            tries += 1
            return self._attempt(full, headers)

        retrying = Retrying(
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
            before_sleep=lambda state: log.info(
                "%s: retrying %s in %.1fs (%s)", source, redact(url),
                state.next_action.sleep if state.next_action else 0,
                state.outcome.exception() if state.outcome else ""),
        )
        try:
            response = retrying(attempt)
        except _Retryable as e:
            after = f" (gave up after {tries} tries)" if tries > 1 else ""
            raise fetch_error(source, url, e.cause + after, e.advice) from None
        except _Fatal as e:
            raise fetch_error(source, url, e.cause, e.advice) from None
        response.tries = tries
        log.info("%s: GET %s → %s (%d bytes, %d tries)", source, response.url,
                 response.status, len(response.body), tries)
        return response

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when the server gave one, else exponential backoff; both capped."""
        exc = state.outcome.exception() if state.outcome else None
        cap = self.settings.max_retry_wait
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, cap)
        return min(self.settings.backoff * 2 ** (state.attempt_number - 1), cap)

    def _attempt(self, url: str, headers: dict[str, str]) -> Response:
        s = self.settings
        host = urlsplit(url).hostname or ""
        self.limits.acquire(host)
        deadline = time.monotonic() + s.total_timeout
        try:
            with self.http.stream("GET", url, headers=headers) as r:
                return self._read(url, r, deadline)
        except httpx.TooManyRedirects:
            raise _Fatal(f"redirect loop (more than {MAX_REDIRECTS} redirects)",
                         "open the URL in a browser and put the final address in config.toml"
                         ) from None
        except httpx.ConnectTimeout:
            raise _Retryable(f"connection timed out after {s.connect_timeout:g}s") from None
        except httpx.TimeoutException:
            raise _Retryable(f"timed out after {s.timeout:g}s") from None
        except httpx.RemoteProtocolError as e:
            raise _Retryable(_protocol_cause(e)) from None
        except httpx.TransportError as e:
            if _no_name_resolution(e):  # offline: retrying cannot help, and costs seconds
                raise _Fatal(f"cannot resolve {host}: the network looks unreachable",
                             "you seem to be offline: audit the saved snapshots (`auditor "
                             "audit`, offline is the default) or compare saved files "
                             "(`auditor compare FILE FILE`)") from None
            raise _Retryable(_network_cause(e)) from None

    def _read(self, url: str, r: httpx.Response, deadline: float) -> Response:
        s = self.settings
        kept = {name: r.headers[name] for name in KEPT_HEADERS if name in r.headers}
        request_url = redact(str(r.history[0].request.url if r.history else r.request.url))
        final = redact(str(r.url))
        if r.status_code == 304:
            return Response(request_url, final, 304, b"", kept)
        if r.status_code in RETRY_STATUSES:
            retry_after = parse_retry_after(r.headers.get("Retry-After"))
            raise _Retryable(f"HTTP {r.status_code} {r.reason_phrase}".rstrip(), retry_after)
        if r.status_code >= 400:
            raise _Fatal(f"HTTP {r.status_code} {r.reason_phrase}".rstrip(),
                         "check the url or identifier in config.toml")
        declared = _int(r.headers.get("Content-Length"))
        too_big = _Fatal(f"body larger than {human_size(s.max_body_bytes)}",
                         "raise fetch.max_body_bytes in config.toml if the document is really "
                         "that large")
        if declared is not None and declared > s.max_body_bytes:
            raise too_big
        chunks: list[bytes] = []
        received = 0
        try:
            for chunk in r.iter_bytes():
                received += len(chunk)
                if received > s.max_body_bytes:
                    raise too_big
                if time.monotonic() > deadline:
                    raise _Retryable(f"timed out after {s.total_timeout:g}s (total deadline)")
                chunks.append(chunk)
        except httpx.RemoteProtocolError as e:
            got = r.num_bytes_downloaded
            if declared is not None and got < declared:
                raise _Retryable(f"truncated body: got {got:,} of {declared:,} bytes",
                                 advice="the server closed the connection early; try again "
                                 "later") from None
            raise _Retryable(_protocol_cause(e)) from None
        return Response(request_url, final, r.status_code, b"".join(chunks), kept)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _protocol_cause(e: httpx.RemoteProtocolError) -> str:
    text = str(e)
    if "without sending" in text and "complete message body" not in text:
        return "connection closed by the server before it answered"
    return f"protocol error ({text})"


def _no_name_resolution(e: httpx.TransportError) -> bool:
    """A DNS failure (no network, or a host that does not exist): socket.gaierror below."""
    seen: BaseException | None = e
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(e).lower()
    return any(s in text for s in ("name or service not known", "temporary failure in name "
                                   "resolution", "nodename nor servname", "no address associated"))


def _network_cause(e: httpx.TransportError) -> str:
    text = str(e)
    chain = [e, e.__cause__, e.__context__]
    if any(isinstance(x, ConnectionResetError) for x in chain) or "reset" in text.lower():
        return "connection reset"
    if isinstance(e, httpx.ConnectError):
        return f"could not connect ({text or type(e).__name__})"
    return f"network error ({text or type(e).__name__})"


def make_client(settings: FetchSettings, transport: httpx.BaseTransport | None = None) -> Client:
    """The one client the fetcher uses; pass a transport to replay or redirect requests."""
    return Client(settings, transport)


__all__ = [
    "KEPT_HEADERS",
    "SECRET_PARAMS",
    "Client",
    "Response",
    "make_client",
    "parse_retry_after",
    "rate_for",
    "redact",
]
