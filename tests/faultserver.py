"""A real HTTP server on 127.0.0.1 for tests and benchmarks: recorded responses by path, with
per-path fault injection (latency, 429/500 then OK, connection reset, truncated body, redirect
loop, oversized body, ETag/Last-Modified and 304). It records every request per path, so tests
can check how many tries were made, when, and how many body bytes were sent.

`HostMap` is an httpx transport that sends requests for real host names (api.crossref.org,
eutils.ncbi.nlm.nih.gov, ...) to this server, so the code under test runs unchanged.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from auditor.config import FetchSettings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"  # test-only records (bluerock)
DEMO = Path(__file__).resolve().parent.parent / "auditor" / "demo"  # amchepry/: the demo dossier
EMAIL = "auditor@example.org"
API_KEY = "SECRETKEY123"


def fast_settings(**overrides: object) -> FetchSettings:
    """Fetch settings with small timeouts and waits, so fault tests take well under a second,
    and a contact address and NCBI key whose leaks tests can look for."""
    base: dict[str, object] = dict(
        contact_email=EMAIL, ncbi_api_key=API_KEY, retries=2, backoff=0.05, timeout=0.3,
        connect_timeout=0.3, total_timeout=5.0, max_body_bytes=10_000, max_retry_wait=2.0,
        rate_limits={"default": 1000.0})
    base.update(overrides)
    return FetchSettings(**base)  # type: ignore[arg-type]
FAULTS = ("reset", "truncate", "redirect_loop", "oversize", "oversize_chunked", "429", "500",
          "slow_headers")


@dataclass
class Route:
    """How the server answers one path. `fault` applies to the first `times` requests
    (None: every request); after that the path answers normally."""

    body: bytes = b""
    content_type: str = "application/json"
    status: int = 200
    latency: float = 0.0
    fault: str | None = None
    times: int | None = None
    retry_after: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int = 0  # for oversize faults
    interval: float = 0.0  # pause between 64 KiB pieces of an oversize body (a slow drip)
    gather: int = 0  # hold answers until this many requests have once been in flight (<= 5 s)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hit:
    """One request the server received, and how many body bytes it answered with."""

    at: float
    host: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 0
    body_bytes: int = 0


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.host = host
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, list[Hit]] = {}
        self.lock = threading.Condition()
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests answered at once: concurrency, not timing
        self.thread = threading.Thread(target=self.serve_forever, args=(0.02,),
                                       name="faultserver", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **options: object) -> str:
        """Serve `body` at `path` (with faults from options); returns the full URL."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        route = Route(body=body, **options)  # type: ignore[arg-type]
        if route.fault is not None and route.fault not in FAULTS:
            raise ValueError(f"unknown fault {route.fault!r}; use one of {FAULTS}")
        self.routes[path] = route
        return self.url(path)

    def add_fixture(self, path: str, relative: str, **options: object) -> str:
        """Serve a recorded file (under the demo's snapshot folder, else fixtures/) byte for
        byte."""
        root = DEMO if (DEMO / relative).exists() else FIXTURES
        return self.add(path, (root / relative).read_bytes(), **options)

    def count(self, path: str) -> int:
        """Requests received for a path (any query)."""
        return len(self.hits.get(path, []))

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        """The route for a request: `add("/p?k=v")` matches only requests with k=v; the most
        specific matching route wins."""
        best, best_size = None, -1
        for key, route in self.routes.items():
            parts = urlsplit(key)
            wanted = dict(parse_qsl(parts.query))
            if parts.path == path and wanted.items() <= query.items() and len(wanted) > best_size:
                best, best_size = route, len(wanted)
        return best

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (timeouts, size caps) is expected here; anything else is not."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def start(self) -> FaultServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body in two writes cost 40 ms (ACK delay)
    server: FaultServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        hit = Hit(time.monotonic(), self.headers.get("Host", ""),
                  dict(parse_qsl(parts.query)), dict(self.headers.items()))
        with self.server.lock:
            hits = self.server.hits.setdefault(path, [])
            hits.append(hit)
            n = len(hits)
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
            self.server.lock.notify_all()
        try:
            self._answer(hit, path, n)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def _answer(self, hit: Hit, path: str, n: int) -> None:
        route = self.server.route(path, hit.query)
        if route is None:
            self._send(hit, 404, b"not found", "text/plain")
            return
        if route.gather:
            with self.server.lock:
                self.server.lock.wait_for(lambda: self.server.max_in_flight >= route.gather, 5.0)
        if route.latency:
            time.sleep(route.latency)
        faulty = route.fault and (route.times is None or n <= route.times)
        if faulty:
            self._fault(hit, route, path)
            return
        if self._not_modified(route):
            self._send(hit, 304, b"", None, self._validators(route))
            return
        self._send(hit, route.status, route.body, route.content_type,
                   {**self._validators(route), **route.headers})

    def _validators(self, route: Route) -> dict[str, str]:
        headers = {}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        return headers

    def _not_modified(self, route: Route) -> bool:
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if route.etag and inm:
            return inm == route.etag
        return bool(route.last_modified and ims and ims == route.last_modified)

    def _fault(self, hit: Hit, route: Route, path: str) -> None:
        fault = route.fault
        if fault == "429":
            extra = {"Retry-After": route.retry_after} if route.retry_after else {}
            self._send(hit, 429, b"slow down", "text/plain", extra)
        elif fault == "500":
            self._send(hit, 500, b"oops", "text/plain")
        elif fault == "redirect_loop":
            self._send(hit, 302, b"", "text/plain", {"Location": path})
        elif fault == "reset":
            # SO_LINGER with timeout 0: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            hit.status = -1
            self.connection.close()
        elif fault == "truncate":
            half = route.body[: len(route.body) // 2]
            hit.status, hit.body_bytes = 200, len(half)
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(half)
            self.wfile.flush()
            self.close_connection = True
        elif fault == "slow_headers":  # a header byte every `interval` seconds, forever-ish
            hit.status = 200
            self.close_connection = True
            head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: "
                    + b"x" * 10_000 + b"\r\nContent-Length: 2\r\n\r\nok")
            try:
                for i in range(len(head)):
                    self.wfile.write(head[i:i + 1])
                    self.wfile.flush()
                    time.sleep(route.interval or 1.0)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif fault == "oversize":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(route.size))
            self.end_headers()
            self._stream(hit, route, chunked=False)
        elif fault == "oversize_chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._stream(hit, route, chunked=True)

    def _stream(self, hit: Hit, route: Route, *, chunked: bool) -> None:
        """Send `route.size` bytes in 64 KiB pieces until the client hangs up."""
        size = route.size
        hit.status = 200
        self.close_connection = True
        piece = b"x" * 65536
        try:
            while hit.body_bytes < size:
                chunk = piece[: size - hit.body_bytes]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                hit.body_bytes += len(chunk)
                time.sleep(route.interval)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, hit: Hit, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str] | None = None) -> None:
        # Recorded before sending: the client may read the hit as soon as the bytes arrive.
        hit.status, hit.body_bytes = status, 0 if status == 304 else len(body)
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


class HostMap(httpx.BaseTransport):
    """Send every request, whatever its host, to the local server; the Host header and the
    URL the client sees stay those of the real service."""

    def __init__(self, port: int, **kwargs: object):
        self.port = port
        self.inner = httpx.HTTPTransport(**kwargs)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        local = httpx.Request(request.method,
                              request.url.copy_with(scheme="http", host="127.0.0.1",
                                                    port=self.port),
                              headers=request.headers, extensions=request.extensions)
        return self.inner.handle_request(local)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def fault_server():
    """A started FaultServer, stopped after the test."""
    server = FaultServer().start()
    try:
        yield server
    finally:
        server.stop()
