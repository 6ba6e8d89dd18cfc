"""The HTTP client against a real local server with injected faults (no mocks)."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from auditor.acquire.http import HostLimits, make_client, parse_retry_after, rate_for, redact
from auditor.config import FetchSettings
from auditor.errors import ConfigError, FetchError

pytest.register_assert_rewrite("faultserver")  # before the import, so pytest_plugins can load it
from faultserver import API_KEY, DEMO, EMAIL, FIXTURES, HostMap, fast_settings  # noqa: E402

pytest_plugins = ["faultserver"]  # the fault_server fixture

BODY = b'{"studies": []}' * 60  # 900 bytes
settings = fast_settings


@pytest.fixture
def client():
    with make_client(settings()) as c:
        yield c


# --- each fault gives its own clear error ----------------------------------------------

@pytest.mark.parametrize(("options", "cause", "hits"), [
    ({"fault": "reset"}, "connection reset (gave up after 3 tries)", 3),
    ({"fault": "truncate"}, "truncated body: got 450 of 900 bytes (gave up after 3 tries)", 3),
    ({"fault": "redirect_loop"}, "redirect loop (more than 10 redirects)", 11),
    ({"fault": "oversize", "size": 50_000}, "body larger than 10,000 bytes", 1),
    ({"fault": "oversize_chunked", "size": 50_000}, "body larger than 10,000 bytes", 1),
    ({"fault": "429", "retry_after": "0"}, "HTTP 429 Too Many Requests (gave up after 3 tries)", 3),
    ({"fault": "500"}, "HTTP 500 Internal Server Error (gave up after 3 tries)", 3),
    ({"latency": 0.6}, "timed out after 0.3s (gave up after 3 tries)", 3),
    ({"status": 404}, "HTTP 404 Not Found", 1),
])
def test_each_fault_has_its_own_error(fault_server, client, options, cause, hits):
    url = fault_server.add("/doc", BODY, **options)
    with pytest.raises(FetchError) as caught:
        client.get(url, source="trial-registry")
    message = str(caught.value)
    assert message.startswith(f"source 'trial-registry': GET {url} failed: {cause}.")
    assert caught.value.cause == cause
    assert fault_server.count("/doc") == hits


@pytest.mark.parametrize(("options", "advice"), [
    ({"fault": "500"}, "Try again later."),
    ({"status": 404}, "Check the url or identifier in config.toml."),
    ({"fault": "oversize", "size": 50_000}, "Raise fetch.max_body_bytes in config.toml"),
])
def test_errors_say_what_to_do(fault_server, client, options, advice):
    url = fault_server.add("/doc", BODY, **options)
    with pytest.raises(FetchError, match=advice):
        client.get(url, source="s")


def test_total_deadline_stops_a_slow_drip(fault_server):
    """Each chunk arrives within the read timeout, but the whole body takes too long."""
    url = fault_server.add("/drip", fault="oversize_chunked", size=10**7,
                           interval=0.05)
    with make_client(settings(max_body_bytes=10**9, total_timeout=0.2, retries=0)) as c:
        with pytest.raises(FetchError, match=r"timed out after 0\.2s \(total deadline\)"):
            c.get(url, source="s")


# --- retries ---------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["429", "500", "reset", "truncate"])
def test_a_transient_fault_is_retried_then_succeeds(fault_server, client, fault):
    url = fault_server.add("/doc", BODY, fault=fault, times=1)
    response = client.get(url, source="s")
    assert (response.status, response.body, response.tries) == (200, BODY, 2)
    assert fault_server.count("/doc") == 2


def test_retry_waits_as_long_as_retry_after_says(fault_server, client):
    url = fault_server.add("/doc", BODY, fault="429", times=1, retry_after="1")
    assert client.get(url, source="s").tries == 2
    first, second = (hit.at for hit in fault_server.hits["/doc"])
    assert second - first >= 1.0  # Retry-After, not the 0.05 s backoff
    assert second - first < 5.0  # and not retried again on top


def test_retry_after_is_capped_by_max_retry_wait(fault_server):
    url = fault_server.add("/doc", BODY, fault="429", times=1, retry_after="3600")
    with make_client(settings(max_retry_wait=0.3)) as c:
        c.get(url, source="s")
    first, second = (hit.at for hit in fault_server.hits["/doc"])
    assert 0.3 <= second - first < 60  # waited, but not the hour it asked for


def test_backoff_grows_exponentially(fault_server):
    url = fault_server.add("/doc", BODY, fault="500", times=3)
    with make_client(settings(backoff=0.1, retries=3)) as c:
        c.get(url, source="s")
    times = [hit.at for hit in fault_server.hits["/doc"]]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    expected = [0.1, 0.2, 0.4]  # each wait at least doubles: lower bounds are what can be known
    assert all(gap >= want for gap, want in zip(gaps, expected, strict=True)), gaps


@pytest.mark.parametrize(("header", "expected"), [
    ("120", 120.0),
    ("0", 0.0),
    ("1.5", 1.5),
    (format_datetime(datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC), usegmt=True), 30.0),
    (format_datetime(datetime(2025, 12, 31, tzinfo=UTC), usegmt=True), 0.0),  # in the past
    ("soon", None),
    (None, None),
])
def test_parse_retry_after(header, expected):
    now = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert parse_retry_after(header, now=now) == expected


def test_retry_after_date_is_relative_to_now():
    when = datetime.now(UTC) + timedelta(seconds=30)
    assert 28 <= parse_retry_after(format_datetime(when, usegmt=True)) <= 30


# --- conditional GET -------------------------------------------------------------------

@pytest.mark.parametrize(("validators", "sent"), [
    ({"etag": '"v1"'}, ("If-None-Match", '"v1"')),
    ({"last_modified": "Wed, 16 Apr 2025 00:00:00 GMT"},
     ("If-Modified-Since", "Wed, 16 Apr 2025 00:00:00 GMT")),
])
def test_conditional_get_answered_304_has_no_body(fault_server, client, validators, sent):
    url = fault_server.add("/doc", BODY, etag='"v1"',
                           last_modified="Wed, 16 Apr 2025 00:00:00 GMT")
    first = client.get(url, source="s")
    assert first.headers["ETag"] == '"v1"'
    again = client.get(url, source="s", **validators)
    assert again.not_modified and again.body == b""
    hit = fault_server.hits["/doc"][-1]
    assert hit.headers[sent[0]] == sent[1]
    assert (hit.status, hit.body_bytes) == (304, 0)


def test_a_stale_etag_gets_the_new_body(fault_server, client):
    url = fault_server.add("/doc", BODY, etag='"v2"')
    response = client.get(url, source="s", etag='"v1"')
    assert (response.status, response.body) == (200, BODY)


# --- identity, secrets, headers --------------------------------------------------------

def test_identifies_itself_with_the_contact_address(fault_server, client):
    url = fault_server.add("/doc", BODY)
    client.get(url, source="s")
    agent = fault_server.hits["/doc"][0].headers["User-Agent"]
    assert agent == f"auditor/0.1 (source-consistency auditor; mailto:{EMAIL})"
    assert client.http.timeout.connect == 0.3 and client.http.timeout.read == 0.3


def test_bad_user_agent_template_is_a_config_error():
    with pytest.raises(ConfigError, match="only placeholder allowed is {contact_email}"):
        make_client(settings(user_agent="auditor ({email})"))


@pytest.mark.parametrize(("url", "sent", "stored"), [
    ("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?db=pubmed&id=40240591",
     {"tool": "auditor", "email": EMAIL, "api_key": API_KEY},
     "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?db=pubmed&id=40240591"
     "&tool=auditor"),
    ("https://api.crossref.org/works/10.1038/s41586-025-08700-0", {"mailto": EMAIL},
     "https://api.crossref.org/works/10.1038/s41586-025-08700-0"),
])
def test_credentials_are_sent_but_never_returned(fault_server, url, sent, stored):
    path = url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
    fault_server.add("/" + path, BODY)
    with make_client(settings(), transport=HostMap(fault_server.port)) as c:
        response = c.get(url, source="s")
    hit = fault_server.hits["/" + path][0]
    assert sent.items() <= hit.query.items()
    assert response.url == response.final_url == stored
    assert API_KEY not in repr(response) and EMAIL not in repr(response)


def test_error_messages_carry_no_secrets(fault_server):
    fault_server.add("/entrez/eutils/efetch.fcgi", status=404)
    url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?db=pubmed&id=1"
    with make_client(settings(), transport=HostMap(fault_server.port)) as c:
        with pytest.raises(FetchError) as caught:
            c.get(url, source="pubmed")
    assert "HTTP 404" in str(caught.value)
    assert API_KEY not in str(caught.value) and EMAIL not in str(caught.value)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://x.org/a?id=1&api_key=K&email=e%40x.org", "https://x.org/a?id=1"),
    ("https://x.org/a?mailto=e@x.org", "https://x.org/a"),
    ("https://x.org/a", "https://x.org/a"),
])
def test_redact(url, expected):
    assert redact(url) == expected


def test_keeps_only_safe_headers(fault_server, client):
    url = fault_server.add("/doc", BODY, etag='"e"', headers={
        "Set-Cookie": "session=abc", "Last-Modified": "Wed, 16 Apr 2025 00:00:00 GMT"})
    response = client.get(url, source="s")
    assert set(response.headers) == {"ETag", "Last-Modified", "Content-Type", "Date"}


# --- bytes as received -----------------------------------------------------------------

SJIS_PAGE = ("<html><body><table><tr><th>目標症例数</th><td>７例</td></tr></table>"
             "</body></html>").encode("shift_jis")
BODIES = {"sjis-declared-utf8.html": (SJIS_PAGE, "text/html; charset=UTF-8"),
          "utf8.json": ('{"title": "パーキンソン病"}'.encode(), "application/json"),
          "binary.bin": (bytes(range(256)) * 4, "application/octet-stream")}
BODIES.update({str(p.relative_to(root)): (p.read_bytes(), "application/octet-stream")
               for root in (DEMO, FIXTURES)
               for p in sorted(root.rglob("*")) if p.is_file() and p.stat().st_size < 10_000
               and p.name != "manifest.json"})


@pytest.mark.parametrize("name", sorted(BODIES))
def test_bodies_arrive_byte_for_byte_with_their_declared_type(fault_server, client, name):
    body, media_type = BODIES[name]
    url = fault_server.add("/doc", body, content_type=media_type)
    response = client.get(url, source="s")
    assert hashlib.sha256(response.body).hexdigest() == hashlib.sha256(body).hexdigest()
    assert response.media_type == media_type


# --- rate limits -----------------------------------------------------------------------

@pytest.mark.parametrize(("host", "key", "expected"), [
    ("eutils.ncbi.nlm.nih.gov", "", 3.0),
    ("eutils.ncbi.nlm.nih.gov", "K", 10.0),
    ("api.crossref.org", "", 10.0),
    ("unknown.example", "", 2.0),
])
def test_rate_for(host, key, expected):
    assert rate_for(host, FetchSettings(ncbi_api_key=key)) == expected


def test_one_host_is_spaced_by_its_rate(fault_server):
    """Five requests at 10/s take at least four intervals, measured where the limiter acts:
    around the calls (arrival times at the server jitter with connection set-up)."""
    url = fault_server.add("/doc", BODY)
    with make_client(settings(rate_limits={"default": 10.0})) as c:
        started = time.monotonic()
        for _ in range(5):
            c.get(url, source="s")
        elapsed = time.monotonic() - started
    assert fault_server.count("/doc") == 5
    assert elapsed >= 0.4 - 0.01


def test_a_second_request_inside_the_interval_must_wait():
    limits = HostLimits(settings(rate_limits={"default": 1.0}))
    try:
        limits.acquire("a.example")
        assert limits.limiter("a.example").try_acquire("a.example", blocking=False) is False
    finally:
        limits.close()


def test_hosts_do_not_wait_for_each_other():
    """A host that has used its interval does not hold back another host's request."""
    limits = HostLimits(settings(rate_limits={"a.example": 1.0, "b.example": 1.0}))
    try:
        limits.acquire("a.example")
        assert limits.limiter("a.example").try_acquire("a.example", blocking=False) is False
        assert limits.limiter("b.example").try_acquire("b.example", blocking=False) is True
    finally:
        limits.close()


def test_threads_on_two_hosts_each_keep_their_host_rate(fault_server):
    """Two hosts at 5/s, three requests each, in two threads: each thread's three requests
    span at least two intervals of its own host, and both hosts are served at once."""
    fault_server.add("/doc", BODY)
    hosts = ["a.example", "b.example"]
    spans: dict[str, float] = {}
    with make_client(settings(rate_limits={h: 5.0 for h in hosts}),
                     transport=HostMap(fault_server.port)) as c:
        def fetch(host: str) -> None:
            started = time.monotonic()
            for _ in range(3):
                c.get(f"http://{host}/doc", source=host)
            spans[host] = time.monotonic() - started

        threads = [threading.Thread(target=fetch, args=(h,)) for h in hosts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    by_host = {h: [hit for hit in fault_server.hits["/doc"] if hit.host == h] for h in hosts}
    assert all(len(v) == 3 for v in by_host.values())
    assert all(span >= 0.4 - 0.01 for span in spans.values()), spans


def test_rate_must_be_positive():
    with pytest.raises(ConfigError, match="must be > 0"):
        rate_for("x.org", FetchSettings(rate_limits={"default": 0.0}))


def test_connection_refused_is_reported(tmp_path: Path):
    with make_client(settings(retries=0)) as c:
        with pytest.raises(FetchError, match="could not connect"):
            c.get("http://127.0.0.1:9/doc", source="s")


def test_offline_fails_at_once_with_one_line_saying_what_to_do():
    """A name that does not resolve (no network) is not retried: retrying cannot help. The
    failure is made by a transport raising what httpx raises for socket.gaierror, since no
    real DNS failure may be produced here."""
    import socket

    import httpx

    from auditor.config import FetchSettings
    from auditor.errors import FetchError

    calls = []

    class NoDNS(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request.url)
            cause = socket.gaierror(-2, "Name or service not known")
            raise httpx.ConnectError(f"[Errno -2] {cause.strerror}", request=request) from cause

    client = make_client(FetchSettings(retries=4, backoff=1.0), transport=NoDNS())
    try:
        client.get("https://api.crossref.org/works/10.1038/x", source="paper")
    except FetchError as e:
        message = str(e)
    else:
        raise AssertionError("no error")
    assert len(calls) == 1
    assert "cannot resolve api.crossref.org" in message and "offline" in message
    assert "\n" not in message
