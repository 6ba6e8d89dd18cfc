"""Hostile networks: redirects checked hop by hop (no SSRF), one deadline for the whole
request (a slow-header server cannot hold a fetch), Retry-After values that cannot crash.

Two real servers, on 127.0.0.1 and 127.0.0.2 (both loopback on Linux): the first is the
address a config names, the second stands for an internal host a redirect must not reach.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from auditor.acquire.fetch import fetch_sources
from auditor.acquire.http import (
    check_redirect,
    internal_address,
    make_client,
    parse_retry_after,
    site,
)
from auditor.config import Config, Settings
from auditor.errors import FetchError
from auditor.models import SourceRef, Subject

pytest.register_assert_rewrite("faultserver")
from faultserver import FaultServer, fast_settings  # noqa: E402
from test_attachments import INDEX, XLSX, XLSX_TYPE  # noqa: E402

pytest_plugins = ["faultserver"]

PAGE = "/topics/2026/05/tp20260519-01.html"
CTGOV = b'{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}}'


@pytest.fixture
def internal():
    """A second server, on 127.0.0.2: the internal address."""
    try:
        server = FaultServer("127.0.0.2").start()
    except OSError as e:  # pragma: no cover - not Linux
        pytest.skip(f"cannot bind 127.0.0.2: {e}")
    try:
        yield server
    finally:
        server.stop()


def config_for(tmp_path: Path, url: str, *, kind: str = "ctgov", follow: str | None = None,
               allow: list[str] | None = None) -> Config:
    return Config(path=tmp_path / "config.toml",
                  auditor=Settings(snapshots="snaps", database="audit.db"),
                  fetch=fast_settings(max_body_bytes=1_000_000, allow_hosts=allow or []),
                  subjects=[Subject(id="amchepry", name="Amchepry")],
                  sources=[SourceRef(name="src", subject="amchepry", kind=kind, url=url,
                                     follow=follow)])


def fetch(config: Config):
    with make_client(config.fetch) as client:  # the real transport, as in production
        return {r.source: r for r in fetch_sources(config, client=client, progress=False)}


# --- a source redirected to the internal address ---------------------------------------------

def test_a_source_redirected_to_another_loopback_address_is_refused(tmp_path, fault_server,
                                                                    internal):
    target = internal.add("/admin", CTGOV)
    url = fault_server.add("/study", status=302, headers={"Location": target})
    results = fetch(config_for(tmp_path, url))
    assert results["src"].status == "failed"
    assert "redirected to another site (127.0.0.2, not 127.0.0.1)" in results["src"].error
    assert "allow_hosts" in results["src"].error
    assert internal.count("/admin") == 0  # not even asked
    assert not (tmp_path / "snaps" / "amchepry").exists() or not any(
        p.suffix == ".json" and p.name != "manifest.json"
        for p in (tmp_path / "snaps" / "amchepry").iterdir())


def test_a_source_redirected_to_an_allowed_host_is_followed(tmp_path, fault_server, internal):
    target = internal.add("/admin", CTGOV)
    url = fault_server.add("/study", status=302, headers={"Location": target})
    results = fetch(config_for(tmp_path, url, allow=["127.0.0.2"]))
    assert results["src"].status == "saved", results["src"].error
    assert internal.count("/admin") == 1
    snapshot = results["src"].snapshot
    assert snapshot is not None and snapshot.final_url == target


def test_a_redirect_on_the_same_address_is_followed(fault_server):
    fault_server.add("/new", CTGOV)
    url = fault_server.add("/old", status=301, headers={"Location": "/new"})
    with make_client(fast_settings()) as client:
        response = client.get(url, source="src")
    assert response.body == CTGOV
    assert response.url == url and response.final_url == fault_server.url("/new")


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1/x",
                                      "javascript:alert(1)"])
def test_a_redirect_to_a_non_http_address_is_refused(fault_server, location):
    url = fault_server.add("/odd", status=302, headers={"Location": location})
    with make_client(fast_settings()) as client, pytest.raises(FetchError) as e:
        client.get(url, source="src")
    assert ("not an http(s) address" in str(e.value)
            or "malformed address" in str(e.value))  # httpx cannot even parse javascript:
    assert fault_server.count("/odd") == 1  # refused, not retried


# --- an attachment redirected to the internal address ----------------------------------------

def serve_page(server: FaultServer, xlsx_location: str) -> str:
    server.add("/content/12400000/list.xlsx", status=302,
               headers={"Location": xlsx_location})
    server.add("/content/12400000/notice.pdf", status=404)
    return server.add(PAGE, INDEX, content_type="text/html; charset=Shift_JIS")


def test_an_attachment_redirected_to_another_loopback_address_is_refused(tmp_path,
                                                                         fault_server,
                                                                         internal):
    target = internal.add("/secret.xlsx", XLSX, content_type=XLSX_TYPE)
    url = serve_page(fault_server, target)
    results = fetch(config_for(tmp_path, url, kind="mhlw", follow="xlsx"))
    assert results["src"].status == "saved"
    attachment = results["src/list.xlsx"]
    assert attachment.status == "failed"
    assert "redirected to another site (127.0.0.2" in attachment.error
    assert internal.count("/secret.xlsx") == 0
    assert not (tmp_path / "snaps/amchepry/src.attachments/list.xlsx").exists()


def test_an_attachment_redirected_to_an_allowed_host_is_saved(tmp_path, fault_server,
                                                              internal):
    target = internal.add("/secret.xlsx", XLSX, content_type=XLSX_TYPE)
    url = serve_page(fault_server, target)
    results = fetch(config_for(tmp_path, url, kind="mhlw", follow="xlsx", allow=["127.0.0.2"]))
    assert results["src/list.xlsx"].status == "saved", results["src/list.xlsx"].error
    assert (tmp_path / "snaps/amchepry/src.attachments/list.xlsx").read_bytes() == XLSX


# --- the rule, case by case ------------------------------------------------------------------

@pytest.mark.parametrize("requested, target, allow, refused", [
    ("https://www.mhlw.go.jp/a", "https://mhlw.go.jp/b", [], None),
    ("https://www.mhlw.go.jp/a", "http://www.mhlw.go.jp/b", [], None),
    ("https://www.mhlw.go.jp/a", "https://evil.example/b", [], "another site"),
    ("https://www.mhlw.go.jp/a", "https://cdn.example.net/b", ["cdn.example.net"], None),
    ("https://example.org/a", "http://127.0.0.1/b", [], "another site"),
    ("https://example.org/a", "http://169.254.169.254/latest", [], "another site"),
    ("https://example.org/a", "http://localhost.example.org/b", [], None),
    ("https://example.org/a", "http://[::1]/b", [], "another site"),
    ("http://127.0.0.1:8000/a", "http://127.0.0.1:9000/b", [], None),
    ("http://127.0.0.1:8000/a", "http://127.0.0.2/b", [], "another site"),
    ("http://127.0.0.1:8000/a", "http://127.0.0.2/b", ["127.0.0.2"], None),
    ("https://example.org/a", "ftp://example.org/b", [], "not an http(s) address"),
])
def test_check_redirect(requested, target, allow, refused):
    reason = check_redirect(requested, target, allow)
    assert (reason is None) if refused is None else (refused in (reason or ""))


def test_a_same_site_name_that_resolves_inside_is_refused(monkeypatch):
    """intranet.example.org → 10.0.0.5: same site, but an internal address."""
    import socket

    def fake(host, *args, **kwargs):
        address = "10.0.0.5" if host == "intranet.example.org" else "93.184.216.34"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    reason = check_redirect("https://www.example.org/a", "https://intranet.example.org/b", [],
                            resolve=True)
    assert reason == "redirected to an internal address (intranet.example.org)"


@pytest.mark.parametrize("host, inside", [
    ("127.0.0.2", True), ("10.1.2.3", True), ("192.168.0.1", True), ("169.254.169.254", True),
    ("::1", True), ("fe80::1", True), ("::ffff:127.0.0.1", True), ("0.0.0.0", True),
    ("localhost", True), ("8.8.8.8", False), ("example.org", False),
])
def test_internal_address(host, inside):
    assert internal_address(host) is inside


def test_site_of_addresses():
    assert site("127.0.0.2") != site("127.0.0.1")
    assert site("::1") == "::1"


# --- one deadline for the whole request ------------------------------------------------------

def test_a_slow_header_server_is_abandoned_at_the_total_deadline(fault_server):
    url = fault_server.add("/slow", fault="slow_headers", interval=0.2)
    settings = fast_settings(timeout=5.0, total_timeout=1.5, retries=0)
    start = time.monotonic()
    with make_client(settings) as client, pytest.raises(FetchError) as e:
        client.get(url, source="slow")
    elapsed = time.monotonic() - start
    assert elapsed < settings.total_timeout + 1.0, elapsed
    assert elapsed >= settings.total_timeout - 0.1
    assert "timed out after 1.5s (total deadline)" in str(e.value)


def test_a_deadline_in_one_thread_does_not_cut_another_short(fault_server):
    """The deadline is per attempt and per thread: a slow fetch does not end a quick one."""
    import threading

    slow = fault_server.add("/slow", fault="slow_headers", interval=0.2)
    quick = fault_server.add("/quick", CTGOV, latency=0.3)
    out: dict[str, object] = {}
    with make_client(fast_settings(timeout=5.0, total_timeout=1.0, retries=0)) as client:
        def get(name: str, url: str) -> None:
            try:
                out[name] = client.get(url, source=name).body
            except FetchError as e:
                out[name] = e
        threads = [threading.Thread(target=get, args=a) for a in (("slow", slow),
                                                                   ("quick", quick))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert out["quick"] == CTGOV
    assert isinstance(out["slow"], FetchError)


# --- Retry-After that would crash a sleep ----------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("-5", 0.0), ("nan", None), ("NaN", None), ("inf", None), ("-inf", None), ("1e400", None),
    ("3", 3.0), ("2.5", 2.5), ("soon", None), ("", None),
])
def test_parse_retry_after_is_bounded(value, expected):
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize("retry_after", ["-5", "nan", "1e400", "99999999999"])
def test_hostile_retry_after_is_survived(fault_server, retry_after):
    url = fault_server.add("/busy", CTGOV, fault="429", times=1, retry_after=retry_after)
    start = time.monotonic()
    with make_client(fast_settings(max_retry_wait=0.5)) as client:
        response = client.get(url, source="busy")
    assert response.body == CTGOV and response.tries == 2
    assert time.monotonic() - start < 30  # capped by max_retry_wait, not the days asked


# --- one failing source never ends the others' fetches ---------------------------------------

def test_a_source_that_keeps_sending_retry_after_nan_fails_alone(tmp_path, fault_server):
    busy = fault_server.add("/busy", CTGOV, fault="429", retry_after="nan")
    fine = fault_server.add("/fine", CTGOV)
    config = config_for(tmp_path, busy)
    config.sources.append(SourceRef(name="other", subject="amchepry", kind="ctgov", url=fine))
    results = fetch(config)
    assert results["src"].status == "failed" and "HTTP 429" in results["src"].error
    assert results["other"].status == "saved"


def test_a_bug_met_by_one_source_does_not_end_the_others(tmp_path, fault_server, monkeypatch):
    from auditor.acquire import fetch as fetching

    real = fetching._fetch_page

    def buggy(config, ref, client, bases):
        if ref.name == "src":
            raise TypeError("'NoneType' object is not iterable")
        return real(config, ref, client, bases)

    monkeypatch.setattr(fetching, "_fetch_page", buggy)
    config = config_for(tmp_path, fault_server.add("/a", CTGOV))
    config.sources.append(SourceRef(name="other", subject="amchepry", kind="ctgov",
                                    url=fault_server.add("/b", CTGOV)))
    results = fetch(config)
    assert results["src"].status == "failed"
    assert results["src"].error.startswith("source 'src': internal error while fetching "
                                           "(TypeError: 'NoneType' object is not iterable)")
    assert results["other"].status == "saved"
