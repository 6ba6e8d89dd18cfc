"""The one HTTP client: User-Agent, timeouts, size caps, retries, per-host rate limits,
conditional GET. Everything above it is the same code whether the bytes come from the network
or from a test transport (the `transport` seam, as in httpx).

Secrets (NCBI api_key, the contact email) are added to requests here and stripped from every
URL this module hands back or logs, so nothing saved to disk carries them.

Redirects are followed here, hop by hop, and each hop is checked (`check_redirect`): it must
stay on the registrable site of the URL requested (unless `[fetch] allow_hosts` names the
host), use http(s), and not reach a loopback, private or link-local address unless the URL
requested was one itself. One deadline (`total_timeout`) covers connecting, every hop's
headers and the body: the network backend clamps each socket wait to the time left.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from urllib.request import getproxies

import httpcore
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
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Second-level labels under a country code: www.mhlw.go.jp and mhlw.go.jp are one site.
_SECOND_LEVEL = {"go", "co", "ac", "or", "ne", "gov", "com", "org", "net", "edu"}


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


def site(host: str) -> str:
    """The registrable part of a host name: 'www.mhlw.go.jp' → 'mhlw.go.jp'."""
    labels = host.lower().rstrip(".").split(".")
    if re.fullmatch(r"[\d.]+|\[.*\]", host) or ":" in host:  # an IP address is its own site
        return host
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def internal_address(host: str, *, resolve: bool = False) -> bool:
    """Whether a host is loopback, private, link-local or otherwise not on the public
    internet: a literal address, `localhost`, or (with `resolve`) a name resolving to one."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    addresses: list[str] = [name]
    try:
        ipaddress.ip_address(name)
    except ValueError:
        if not resolve:
            return False
        try:
            addresses = [str(info[4][0]) for info in socket.getaddrinfo(name, None)]
        except (OSError, UnicodeError):
            return False  # unresolvable: the request itself will fail, naming the host
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified):
            return True
    return False


def check_redirect(requested: str, target: str, allow_hosts: list[str], *,
                   resolve: bool = False) -> str | None:
    """Why a redirect from the URL `requested` to `target` is refused, or None if allowed."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        return f"redirected to {redact(target)}, which is not an http(s) address"
    host = (parts.hostname or "").lower()
    if not host:
        return f"redirected to {redact(target)}, which names no host"
    if host in {h.strip().lower().rstrip(".") for h in allow_hosts}:
        return None
    start = (urlsplit(requested).hostname or "").lower()
    if site(host) != site(start):
        return f"redirected to another site ({host}, not {site(start)})"
    if internal_address(host, resolve=resolve) and not internal_address(start, resolve=resolve):
        return f"redirected to an internal address ({host})"
    return None


def human_size(n: int) -> str:
    mb = 1024 * 1024
    return f"{n // mb} MB" if n >= mb and n % mb == 0 else f"{n:,} bytes"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. A negative
    value waits 0 s; NaN, infinity or garbage gives None (the usual backoff applies)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
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
        #: Names are resolved to check redirect targets only on the real network (a test
        #: transport maps real host names to a local server).
        self.resolve = transport is None
        if transport is None and not _proxied():
            transport = _deadline_transport()
        try:
            agent = settings.user_agent.format(contact_email=settings.contact_email)
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(f"fetch.user_agent: bad template ({e}); the only placeholder "
                              "allowed is {contact_email}") from e
        self.http = httpx.Client(
            headers={"User-Agent": agent},
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            follow_redirects=False,  # followed and checked hop by hop in _attempt
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
            wait = exc.retry_after
        else:
            wait = self.settings.backoff * 2 ** (state.attempt_number - 1)
        return max(0.0, min(wait, cap)) if math.isfinite(wait) else cap

    def _attempt(self, url: str, headers: dict[str, str]) -> Response:
        s = self.settings
        host = urlsplit(url).hostname or ""
        self.limits.acquire(host)
        deadline = time.monotonic() + s.total_timeout
        _local.deadline = deadline
        current, first = url, ""
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                with self.http.stream("GET", current, headers=headers) as r:
                    first = first or redact(str(r.request.url))
                    location = r.headers.get("Location")
                    if r.status_code not in REDIRECT_STATUSES or not location:
                        return self._read(first, r, deadline)
                target = urljoin(str(r.url), location.strip())
                refused = check_redirect(url, target, s.allow_hosts, resolve=self.resolve)
                if refused:
                    raise _Fatal(refused, f"if {urlsplit(target).hostname or target} is "
                                 "right, put that address in the source's url, or name the "
                                 "host in [fetch] allow_hosts in config.toml")
                current = target
                host = urlsplit(current).hostname or ""
                if time.monotonic() > deadline:
                    raise _Retryable(f"timed out after {s.total_timeout:g}s (total deadline)")
                self.limits.acquire(host)
            raise _Fatal(f"redirect loop (more than {MAX_REDIRECTS} redirects)",
                         "open the URL in a browser and put the final address in config.toml")
        except httpx.InvalidURL as e:  # the URL, or a redirect's Location, is not a URL
            raise _Fatal(f"malformed address ({e})", "check the url in config.toml (or, if "
                         "the server redirected, open the URL in a browser and put the final "
                         "address there)") from None
        except httpx.ConnectTimeout:
            if time.monotonic() >= deadline:
                raise _Retryable(f"timed out after {s.total_timeout:g}s (total deadline)"
                                 ) from None
            raise _Retryable(f"connection timed out after {s.connect_timeout:g}s") from None
        except httpx.TimeoutException:
            if time.monotonic() >= deadline:
                raise _Retryable(f"timed out after {s.total_timeout:g}s (total deadline)"
                                 ) from None
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
        finally:
            _local.deadline = None

    def _read(self, request_url: str, r: httpx.Response, deadline: float) -> Response:
        """The body of the last hop; `request_url` is the (redacted) URL first requested."""
        s = self.settings
        kept = {name: r.headers[name] for name in KEPT_HEADERS if name in r.headers}
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


#: The deadline of the attempt running in this thread (monotonic seconds), or None.
_local = threading.local()


def _clamp(timeout: float | None) -> float | None:
    """A socket wait shortened to the time left before this thread's deadline."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("total deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every wait ends by the attempt's deadline (a server that sends its
    headers a byte a second would otherwise reset the read timeout forever)."""

    def __init__(self, inner: httpcore.NetworkStream):
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname,
                                                    _clamp(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.connect_tcp(host, port, _clamp(timeout),
                                                      local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.connect_unix_socket(path, _clamp(timeout),
                                                              socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _proxied() -> bool:
    """An http(s) proxy in the environment: keep httpx's own transport, which uses it."""
    return any(k in getproxies() for k in ("http", "https", "all"))


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's transport over a connection pool whose sockets honour `_local.deadline`."""
    transport = httpx.HTTPTransport()
    transport._pool.close()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_DeadlineBackend(),
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
    return transport


def make_client(settings: FetchSettings, transport: httpx.BaseTransport | None = None) -> Client:
    """The one client the fetcher uses; pass a transport to replay or redirect requests."""
    return Client(settings, transport)


__all__ = [
    "KEPT_HEADERS",
    "SECRET_PARAMS",
    "Client",
    "Response",
    "check_redirect",
    "internal_address",
    "make_client",
    "parse_retry_after",
    "rate_for",
    "redact",
    "site",
]
