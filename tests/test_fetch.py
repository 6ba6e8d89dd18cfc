"""Live fetch into snapshots, against a real local server standing in for the real hosts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import snapshots
from auditor.acquire.fetch import (
    ctgov_search,
    default_path,
    elink,
    esearch,
    fetch_sources,
    in_flight_for,
    url_for,
)
from auditor.acquire.http import make_client
from auditor.cli import cli
from auditor.config import Config, Settings
from auditor.errors import ConfigError
from auditor.models import SourceRef, Subject

pytest.register_assert_rewrite("faultserver")  # before the import, so pytest_plugins can load it
from faultserver import API_KEY, DEMO, EMAIL, HostMap, fast_settings  # noqa: E402

pytest_plugins = ["faultserver"]  # the fault_server fixture

NCT = "NCT04802733"
CTGOV_PATH = f"/api/v2/studies/{NCT}"
CTGOV_BODY = json.dumps({"protocolSection": {"identificationModule": {"nctId": NCT}}}).encode()
EFETCH_PATH = "/entrez/eutils/efetch.fcgi"
PUBMED_FIXTURE = DEMO / "amchepry" / "pubmed-40240591.xml"
PUBMED_BODY = (PUBMED_FIXTURE.read_bytes() if PUBMED_FIXTURE.exists()
               else b"<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>")


def make_config(tmp_path: Path, sources: list[dict], **fetch: object) -> Config:
    return Config(path=tmp_path / "config.toml", auditor=Settings(snapshots="snaps"),
                  fetch=fast_settings(**fetch),
                  subjects=[Subject(id="amchepry", name="Amchepry (raguneprocel)")],
                  sources=[SourceRef(subject="amchepry", **s) for s in sources])


def run(config: Config, port: int, **kwargs: object):
    """fetch_sources with requests for real hosts sent to the local server."""
    with make_client(config.fetch, transport=HostMap(port)) as client:
        return fetch_sources(config, client=client, progress=False, **kwargs)


def on_disk(config: Config) -> dict[str, tuple[bytes, int]]:
    """Every file under the snapshot folder: its bytes and modification time."""
    root = config.snapshot_dir
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


# --- URLs ------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "identifier", "expected"), [
    ("ctgov", "nct04802733", "https://clinicaltrials.gov/api/v2/studies/NCT04802733"),
    ("jrct", "jRCT2090220384", "https://jrct.niph.go.jp/latest-detail/jRCT2090220384"),
    ("jrct", "en:jRCT2090220384", "https://jrct.niph.go.jp/en-latest-detail/jRCT2090220384"),
    ("crossref", "10.1038/s41586-025-08700-0",
     "https://api.crossref.org/works/10.1038/s41586-025-08700-0"),
    ("crossref", "https://doi.org/10.1038/s41586-025-08700-0",
     "https://api.crossref.org/works/10.1038/s41586-025-08700-0"),
    ("pubmed", "PMID:40240591", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
     "?db=pubmed&id=40240591&retmode=xml"),
    ("europepmc", "doi:10.1038/s41586-025-08700-0",
     'https://www.ebi.ac.uk/europepmc/webservices/rest/search?query=DOI:%2210.1038/'
     's41586-025-08700-0%22&resultType=core&format=json'),
])
def test_url_for(kind, identifier, expected):
    assert url_for(kind, identifier) == expected


def test_url_for_jrct_language_option():
    assert url_for("jrct", "jRCT2090220384", language="en").endswith(
        "/en-latest-detail/jRCT2090220384")


def test_url_for_with_another_base():
    assert url_for("ctgov", NCT, bases={"ctgov": "http://127.0.0.1:8000/api/v2"}) == (
        f"http://127.0.0.1:8000/api/v2/studies/{NCT}")


@pytest.mark.parametrize(("kind", "identifier", "message"), [
    ("ctgov", "jRCT2090220384", "is not an NCT number"),
    ("jrct", "NCT04802733", "is not a jRCT id"),
    ("crossref", "40240591", "is not a DOI"),
    ("pubmed", "10.1038/x", "is not a PMID"),
    ("mhlw", "anything", "has no URL pattern; give `url`"),
    ("ictrp", "JPRN-jRCT2090220384", "has no URL pattern; give `url`"),
    ("nonsense", "x", "unknown source kind"),
])
def test_url_for_refuses(kind, identifier, message):
    with pytest.raises(ConfigError, match=message):
        url_for(kind, identifier)


@pytest.mark.parametrize(("kind", "expected"), [
    ("ctgov", "amchepry/reg.json"), ("pubmed", "amchepry/reg.xml"),
    ("jrct", "amchepry/reg.html"), ("ictrp", "amchepry/reg.xml"),
])
def test_default_path(kind, expected):
    assert default_path(SourceRef(name="reg", subject="amchepry", kind=kind)) == expected


# --- healthy and faulty sources together -----------------------------------------------

def test_a_mix_of_healthy_and_faulty_sources(tmp_path, fault_server):
    fault_server.add(CTGOV_PATH, CTGOV_BODY)
    fault_server.add(EFETCH_PATH, PUBMED_BODY, content_type="text/xml; charset=UTF-8")
    fault_server.add("/reset", b"<html></html>", fault="reset")
    fault_server.add("/gone", status=404)
    fault_server.add("/busy", fault="429", retry_after="0")
    fault_server.add("/cut", b"<html>" + b"x" * 1000 + b"</html>", fault="truncate")
    config = make_config(tmp_path, [
        {"name": "ctgov", "kind": "ctgov", "identifier": NCT},
        {"name": "reset", "kind": "page", "url": "https://company.example/reset"},
        {"name": "pubmed", "kind": "pubmed", "identifier": "40240591"},
        {"name": "gone", "kind": "page", "url": "https://company.example/gone"},
        {"name": "busy", "kind": "mhlw", "url": "https://www.mhlw.go.jp/busy"},
        {"name": "cut", "kind": "pmda", "url": "https://www.pmda.go.jp/cut"},
    ])
    results = run(config, fault_server.port)
    assert [(r.source, r.status) for r in results] == [
        ("ctgov", "saved"), ("reset", "failed"), ("pubmed", "saved"), ("gone", "failed"),
        ("busy", "failed"), ("cut", "failed")]
    errors = {r.source: r.error for r in results if r.error}
    assert "connection reset (gave up after 3 tries)" in errors["reset"]
    assert "HTTP 404 Not Found" in errors["gone"]
    assert "HTTP 429 Too Many Requests (gave up after 3 tries)" in errors["busy"]
    assert "truncated body: got 506 of 1,013 bytes" in errors["cut"]
    assert all(f"source {name!r}" in error for name, error in errors.items())
    assert sorted(on_disk(config)) == ["amchepry/ctgov.json", "amchepry/manifest.json",
                                       "amchepry/pubmed.xml"]


def test_failure_keeps_the_last_good_snapshot(tmp_path, fault_server):
    fault_server.add("/page", b"<html>v1</html>", content_type="text/html")
    config = make_config(tmp_path, [{"name": "press", "kind": "page",
                                     "url": fault_server.url("/page")}])
    [first] = run(config, fault_server.port)
    before = on_disk(config)
    fault_server.add("/page", b"<html>v2</html>", fault="500")
    [second] = run(config, fault_server.port)
    assert second.status == "failed" and "HTTP 500" in second.error
    assert second.snapshot is not None
    assert second.snapshot.sha256 == first.snapshot.sha256
    assert on_disk(config) == before


# --- idempotent re-fetch ----------------------------------------------------------------

@pytest.mark.parametrize(("validators", "header"), [
    ({"etag": '"abc"'}, "If-None-Match"),
    ({"last_modified": "Wed, 20 May 2026 00:00:00 GMT"}, "If-Modified-Since"),
])
def test_refetch_answered_304_changes_nothing(tmp_path, fault_server, validators, header):
    url = fault_server.add("/price", "<html>アムシェプリ</html>".encode("shift_jis"),
                           content_type="text/html; charset=Shift_JIS", **validators)
    config = make_config(tmp_path, [{"name": "mhlw-price", "kind": "mhlw", "url": url}])
    [first] = run(config, fault_server.port)
    assert first.status == "saved"
    before = on_disk(config)
    time.sleep(0.01)  # so a rewrite would show in the modification times
    [second] = run(config, fault_server.port)
    assert second.status == "not_modified"
    assert second.snapshot == first.snapshot
    hit = fault_server.hits["/price"][-1]
    assert header in hit.headers
    assert (hit.status, hit.body_bytes) == (304, 0)
    assert on_disk(config) == before


def test_refetch_of_identical_bytes_changes_nothing(tmp_path, fault_server):
    url = fault_server.add("/page", b"<html>same</html>", content_type="text/html")
    config = make_config(tmp_path, [{"name": "press", "kind": "page", "url": url}])
    run(config, fault_server.port)
    before = on_disk(config)
    time.sleep(0.01)
    [again] = run(config, fault_server.port)
    assert again.status == "unchanged"
    assert on_disk(config) == before


def test_refetch_of_new_bytes_replaces_the_snapshot(tmp_path, fault_server):
    url = fault_server.add("/page", b"<html>v1</html>", content_type="text/html")
    config = make_config(tmp_path, [{"name": "press", "kind": "page", "url": url}])
    [first] = run(config, fault_server.port)
    fault_server.add("/page", b"<html>v2</html>", content_type="text/html")
    [second] = run(config, fault_server.port)
    assert second.status == "saved" and second.snapshot.sha256 != first.snapshot.sha256
    snapshot, body = snapshots.load(config.snapshot_dir, "amchepry/press.html",
                                    source="press", kind="page")
    assert body == b"<html>v2</html>" and snapshot.sha256 == second.snapshot.sha256


def test_a_reconstructed_snapshot_sends_no_validators(tmp_path, fault_server):
    """Validators are only trusted from a snapshot this fetcher saved itself."""
    url = fault_server.add("/page", b"<html>live</html>", etag='"e"', content_type="text/html")
    config = make_config(tmp_path, [{"name": "press", "kind": "page", "url": url}])
    folder = config.snapshot_dir / "amchepry"
    folder.mkdir(parents=True)
    (folder / "press.html").write_bytes(b"<html>reconstructed</html>")
    snapshots.register(folder, "press.html", source="press", kind="page", url=url,
                       provenance="reconstructed", headers={"ETag": '"e"'})
    [result] = run(config, fault_server.port)
    assert result.status == "saved" and result.snapshot.provenance == "fetched"
    assert "If-None-Match" not in fault_server.hits["/page"][0].headers


# --- what is stored --------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(
    p for p in (DEMO / "amchepry").glob("*") if p.name != "manifest.json"))
def test_fetched_snapshot_loads_back_byte_identical(tmp_path, fault_server, path):
    media_type = {".json": "application/json", ".xml": "text/xml; charset=UTF-8"}.get(
        path.suffix, "text/html; charset=Shift_JIS")
    url = fault_server.add("/doc", path.read_bytes(), content_type=media_type, etag='"1"')
    config = make_config(tmp_path, [{"name": "doc", "kind": "page", "url": url,
                                     "snapshot": f"live/{path.name}"}],
                         max_body_bytes=10**7)
    [result] = run(config, fault_server.port)
    snapshot, body = snapshots.load(config.snapshot_dir, f"live/{path.name}",
                                    source="doc", kind="page")
    assert body == path.read_bytes()
    assert snapshot.sha256 == result.snapshot.sha256 == snapshots.sha256(path.read_bytes())
    assert (snapshot.media_type, snapshot.status, snapshot.provenance) == (
        media_type, 200, "fetched")
    assert set(snapshot.headers) == {"Content-Type", "Date", "ETag"}


def test_secrets_never_reach_the_disk(tmp_path, fault_server):
    fault_server.add(EFETCH_PATH, PUBMED_BODY, content_type="text/xml")
    fault_server.add("/works/10.1038/s41586-025-08700-0", b'{"status": "ok"}')
    config = make_config(tmp_path, [
        {"name": "pubmed", "kind": "pubmed", "identifier": "40240591"},
        {"name": "crossref", "kind": "crossref", "identifier": "10.1038/s41586-025-08700-0"},
    ])
    results = run(config, fault_server.port)
    assert [r.status for r in results] == ["saved", "saved"]
    sent = {**fault_server.hits[EFETCH_PATH][0].query,
            **fault_server.hits["/works/10.1038/s41586-025-08700-0"][0].query}
    assert sent["api_key"] == API_KEY and sent["email"] == EMAIL and sent["mailto"] == EMAIL
    manifest = (config.snapshot_dir / "amchepry" / "manifest.json").read_text()
    assert API_KEY not in manifest and EMAIL not in manifest
    assert results[0].snapshot.url == ("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
                                       "efetch.fcgi?db=pubmed&id=40240591&retmode=xml&tool=auditor")


def test_redirect_records_the_final_url(tmp_path, fault_server):
    fault_server.add("/old", status=301, headers={"Location": "/new"})
    fault_server.add("/new", b"<html>moved</html>", content_type="text/html")
    config = make_config(tmp_path, [{"name": "press", "kind": "page",
                                     "url": "https://company.example/old"}])
    [result] = run(config, fault_server.port)
    assert (result.snapshot.url, result.snapshot.final_url) == (
        "https://company.example/old", "https://company.example/new")


# --- which sources, and how fast -------------------------------------------------------

def test_only_named_sources_are_fetched(tmp_path, fault_server):
    a = fault_server.add("/a", b"a")
    b = fault_server.add("/b", b"b")
    config = make_config(tmp_path, [{"name": "a", "kind": "page", "url": a},
                                    {"name": "b", "kind": "page", "url": b}])
    assert [r.source for r in run(config, fault_server.port, names=["b"])] == ["b"]
    assert (fault_server.count("/a"), fault_server.count("/b")) == (0, 1)


def test_snapshot_only_sources_are_left_alone(tmp_path, fault_server):
    url = fault_server.add("/a", b"a")
    config = make_config(tmp_path, [{"name": "a", "kind": "page", "url": url},
                                    {"name": "offline", "kind": "page", "snapshot": "x.html"}])
    assert [r.source for r in run(config, fault_server.port)] == ["a"]
    with pytest.raises(ConfigError, match="'offline' has only a snapshot"):
        run(config, fault_server.port, names=["offline"])


@pytest.mark.parametrize(("sources", "names", "message"), [
    ([{"name": "a", "kind": "page", "url": "https://x.example/"}], ["zzz"],
     "no source named 'zzz'"),
    ([{"name": "a", "kind": "page", "url": "https://x.example/"},
      {"name": "m", "kind": "mhlw", "identifier": "123"}], None,
     "source 'm': source kind 'mhlw' has no URL pattern"),
])
def test_config_errors_come_before_any_request(tmp_path, fault_server, sources, names,
                                               message):
    config = make_config(tmp_path, sources)
    with pytest.raises(ConfigError, match=message):
        run(config, fault_server.port, names=names)
    assert fault_server.hits == {}


def test_hosts_are_fetched_concurrently_and_share_one_manifest(tmp_path, fault_server):
    fault_server.add("/doc", b"<html>x</html>", latency=0.05, gather=3)
    hosts = ["a.example", "b.example", "c.example"]
    config = make_config(tmp_path, [
        {"name": f"{h}-{i}", "kind": "page", "url": f"https://{h}/doc?n={i}"}
        for h in hosts for i in range(4)], rate_limits={h: 10.0 for h in hosts}, concurrency=3)
    started = time.monotonic()
    results = run(config, fault_server.port)
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == ["saved"] * 12
    assert elapsed >= 0.3  # one host alone needs 3 intervals of 1/10 s
    assert fault_server.max_in_flight >= 3  # the three hosts were in flight at once
    manifest = snapshots.read_manifest(config.snapshot_dir / "amchepry")
    assert len(manifest) == 12


@pytest.mark.parametrize(("rate", "expected"), [(2.0, 1), (4.0, 1), (5.0, 2), (10.0, 3)])
def test_fast_limited_hosts_get_requests_in_flight(tmp_path, rate, expected):
    config = make_config(tmp_path, [], rate_limits={"default": rate})
    assert in_flight_for("x.example", config) == expected


def test_a_slow_host_with_a_fast_limit_is_paced_by_the_limit(tmp_path, fault_server):
    """10/s with 0.25 s responses: several requests in flight at once, still 1/10 s apart."""
    fault_server.add("/doc", b"<html>x</html>", latency=0.25, gather=2)
    config = make_config(tmp_path, [
        {"name": f"d{i}", "kind": "page", "url": f"https://slow.example/doc?n={i}"}
        for i in range(6)], rate_limits={"default": 10.0})
    started = time.monotonic()
    assert {r.status for r in run(config, fault_server.port)} == {"saved"}
    assert time.monotonic() - started >= 0.5 + 0.25 - 0.01  # 5 intervals, then one answer
    assert fault_server.max_in_flight >= 2  # not one at a time


@pytest.mark.parametrize(("progress", "shown"), [(True, True), (False, False)])
def test_progress_bar_only_when_asked(tmp_path, fault_server, capsys, progress, shown):
    url = fault_server.add("/a", b"a")
    config = make_config(tmp_path, [{"name": "a", "kind": "page", "url": url}])
    fetch_sources(config, progress=progress)
    assert ("1/1" in capsys.readouterr().err) is shown


# --- search helpers --------------------------------------------------------------------

def test_ctgov_search_follows_page_tokens(fault_server):
    def page(ids: list[str], token: str | None) -> bytes:
        data: dict = {"studies": [{"protocolSection": {"identificationModule": {"nctId": i}}}
                                  for i in ids]}
        if token:
            data["nextPageToken"] = token
        return json.dumps(data).encode()

    fault_server.add("/api/v2/studies", page(["NCT00000001", "NCT00000002"], "t2"))
    fault_server.add("/api/v2/studies?pageToken=t2", page(["NCT00000003"], "t3"))
    fault_server.add("/api/v2/studies?pageToken=t3", page(["NCT00000004"], None))
    with make_client(fast_settings(), transport=HostMap(fault_server.port)) as client:
        studies = ctgov_search(client, {"query.intr": "dopaminergic"}, page_size=2)
        ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]
    assert ids == ["NCT00000001", "NCT00000002", "NCT00000003", "NCT00000004"]
    queries = [hit.query for hit in fault_server.hits["/api/v2/studies"]]
    assert [q.get("pageToken") for q in queries] == [None, "t2", "t3"]
    assert all(q["query.intr"] == "dopaminergic" and q["pageSize"] == "2" for q in queries)


def test_ctgov_search_is_lazy(fault_server):
    fault_server.add("/api/v2/studies", b'{"studies": [{"n": 1}], "nextPageToken": "t2"}')
    with make_client(fast_settings(), transport=HostMap(fault_server.port)) as client:
        first = next(ctgov_search(client, {"query.term": "x"}))
    assert first == {"n": 1} and fault_server.count("/api/v2/studies") == 1


def test_esearch_and_elink(fault_server):
    fault_server.add("/entrez/eutils/esearch.fcgi",
                     b'{"header": {}, "esearchresult": {"count": "1", "idlist": ["40240591"]}}')
    fault_server.add("/entrez/eutils/elink.fcgi", json.dumps({"linksets": [{
        "dbfrom": "pubmed", "ids": ["40240591"], "linksetdbs": [
            {"dbto": "pubmed", "linkname": "pubmed_pubmed", "links": ["111", "222"]},
            {"dbto": "pubmed", "linkname": "pubmed_pubmed_citedin", "links": ["333"]}]}]}))
    with make_client(fast_settings(), transport=HostMap(fault_server.port)) as client:
        assert esearch(client, "jRCT2090220384[si]") == ["40240591"]
        assert elink(client, ["40240591"]) == ["111", "222", "333"]
        assert elink(client, ["40240591"], linkname="pubmed_pubmed_citedin") == ["333"]
    search = fault_server.hits["/entrez/eutils/esearch.fcgi"][0].query
    assert (search["term"], search["db"], search["tool"]) == (
        "jRCT2090220384[si]", "pubmed", "auditor")


# --- the CLI command -------------------------------------------------------------------

def write_config(tmp_path: Path, sources: list[tuple[str, str]]) -> Path:
    lines = ['[auditor]', 'snapshots = "snaps"', '[fetch]', 'retries = 0',
             'rate_limits = { default = 1000.0 }',
             '[[subjects]]', 'id = "amchepry"', 'name = "Amchepry"']
    for name, url in sources:
        lines += ['[[subjects.sources]]', f'name = "{name}"', 'kind = "page"', f'url = "{url}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("failing", "code"), [(False, 0), (True, 1)])
def test_cli_fetch_prints_one_line_per_source(tmp_path, fault_server, failing, code):
    ok = fault_server.add("/ok", b"<html>ok</html>", content_type="text/html")
    bad = fault_server.add("/bad", status=404 if failing else 200)
    config = write_config(tmp_path, [("press", ok), ("pipeline", bad)])
    result = CliRunner().invoke(cli, ["fetch", "--config", str(config)])
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "press: saved → amchepry/press.html"
    assert lines[1].startswith("pipeline: failed: source 'pipeline'") is failing


def test_cli_fetch_selects_sources_and_can_be_quiet(tmp_path, fault_server):
    ok = fault_server.add("/ok", b"<html>ok</html>")
    config = write_config(tmp_path, [("press", ok), ("other", fault_server.url("/x"))])
    result = CliRunner().invoke(cli, ["fetch", "--config", str(config), "--source", "press",
                                      "--quiet"])
    assert (result.exit_code, result.output) == (0, "")
    assert fault_server.count("/x") == 0


def test_cli_fetch_config_error_exits_2(tmp_path):
    config = write_config(tmp_path, [("press", "https://x.example/")])
    result = CliRunner().invoke(cli, ["fetch", "--config", str(config), "--source", "nope"])
    assert result.exit_code == 2 and "no source named 'nope'" in result.output


def test_a_failed_fetch_says_whether_an_earlier_snapshot_is_kept(fault_server, tmp_path):
    """Never 'the last good snapshot is kept' for a source that was never fetched."""
    from auditor.acquire.fetch import fetch_sources

    url = fault_server.add("/gone", b"", status=404)
    config = Config(auditor=Settings(snapshots=str(tmp_path)), subjects=[{"id": "s", "name": "S"}],
                    sources=[{"name": "page", "subject": "s", "kind": "page", "url": url}])
    [result] = fetch_sources(config, progress=False)
    assert result.status == "failed" and result.snapshot is None
    assert "there is no earlier snapshot of this source" in (result.error or "")
    assert "last good" not in (result.error or "")


@pytest.mark.parametrize("identifier", ["10.1234/../../../../admin?x=1#frag", "10.1234/./x",
                                        "10.1234/a\\b", "doi:11.1/x"])
def test_a_doi_that_could_leave_the_works_path_is_refused(identifier):
    with pytest.raises(ConfigError, match="is not a DOI"):
        url_for("crossref", identifier)


def test_each_kind_with_an_identifier_pattern_builds_its_own_url():
    """url_for lives with each source kind; the kinds without one need a `url`."""
    from auditor import sources
    from auditor.acquire.fetch import NEEDS_URL

    assert set(NEEDS_URL) == {k for k in sources.KINDS
                              if not hasattr(sources.module(k), "url_for")}
    assert {"ctgov", "jrct", "crossref", "pubmed", "europepmc", "jats"}.isdisjoint(NEEDS_URL)
    with pytest.raises(ConfigError, match="not an NCT number"):
        url_for("ctgov", "NCT00000000")
