"""The real Datasette over an audit of the dossier: started by `auditor serve`, and as a plain
`datasette audit.db` (the plugin loaded by its entry point), read as JSON and as HTML."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlite_utils
from bs4 import BeautifulSoup

from auditor import store
from auditor.audit import run_audit
from auditor.config import load_config
from auditor.store.views import METADATA_PATH, VIEWS, metadata_for

ROOT = Path(__file__).resolve().parents[1]
AUDITOR = str(Path(sys.executable).parent / "auditor")
DATASETTE = str(Path(sys.executable).parent / "datasette")
#: The desk's note on the one confirmed finding of the fixture database.
NOTE = "checked against the Nature paper: six of seven were analysed"
METADATA = json.loads(METADATA_PATH.read_text(encoding="utf-8"))
TABLES = METADATA["databases"]["audit"]["tables"]
QUERIES = METADATA["databases"]["audit"]["queries"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def audited_db(folder: Path) -> Path:
    """Two audits: a clean one, then one where jrct-en failed to fetch; the sample-size finding
    confirmed by a desk, with a note."""
    path = folder / "audit.db"
    config = load_config(ROOT / "config.toml")
    db = store.open_db(path)
    run_audit(config, db)
    run_audit(config, db, failures={"jrct-en": "HTTP 503 Service Unavailable"})
    [analysed] = [f["id"] for f in store.findings(db) if f["field"] == "sample_size_analysed"]
    store.reviews.add(db, analysed, "confirmed", NOTE, "desk")
    db.close()
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_until_up(proc: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"auditor serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("datasette did not answer within 60 s")


@contextmanager
def serving(command: list[str], cwd: Path | None = None, log: Path | None = None
            ) -> Iterator[str]:
    """Run a server command (given `--port PORT` at the end) in its own process group until
    it answers; yields its base URL and ends the whole group afterwards. Its stderr goes to
    `log` when given."""
    port = free_port()
    with open(log or os.devnull, "wb") as err:
        proc = subprocess.Popen([*command, "--port", str(port)], cwd=cwd,
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=err)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(proc, base)
            yield base
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`auditor serve`, with a Datasette setting passed through."""
    db = audited_db(tmp_path_factory.mktemp("serve"))
    with serving([AUDITOR, "serve", "--db", str(db), "--setting", "default_page_size", "40"]
                 ) as base:
        yield base, db


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A plain `datasette audit.db`, run in the database's folder as a person would: the
    plugin comes from the entry point, the metadata from the plugin."""
    db = audited_db(tmp_path_factory.mktemp("plain"))
    with serving([DATASETTE, "serve", "audit.db"], cwd=db.parent) as base:
        yield base, db


def html(base: str, path: str, **params: str) -> BeautifulSoup:
    response = httpx.get(base + path, params=params, timeout=20)
    assert response.status_code == 200, (path, response.text[:500])
    return BeautifulSoup(response.text, "lxml")


def first_finding(db: Path, **where: str) -> dict:
    """The finding the findings page lists first (most severe, then subject, field, rule)."""
    from auditor.store import pages

    rows, _ = pages.findings_list(sqlite_utils.Database(db), **where)
    return rows[0]


def get(base: str, path: str, **params: str) -> object:
    response = httpx.get(base + path, params=params, timeout=20)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def array(base: str, path: str, **params: str) -> list[dict]:
    return get(base, path, _shape="array", **params)  # type: ignore[return-value]


def test_metadata_describes_every_column_of_every_table_and_view(tmp_path: Path) -> None:
    db = sqlite_utils.Database(audited_db(tmp_path))
    hidden = {t for t in db.table_names() if "_fts" in t}
    names = (set(db.table_names()) - hidden) | set(db.view_names())
    assert names == set(TABLES)
    for name in names:
        assert TABLES[name]["title"] and TABLES[name]["description"], name
        assert set(TABLES[name]["columns"]) == set(db[name].columns_dict), name
        for facet in TABLES[name].get("facets", []):
            assert facet in db[name].columns_dict, (name, facet)
    assert set(VIEWS) <= set(TABLES)


def test_datasette_shows_the_shipped_metadata(server: tuple[str, Path]) -> None:
    base, _ = server
    meta = get(base, "/-/metadata.json")
    assert meta["title"] == METADATA["title"]
    assert set(meta["databases"]["audit"]["queries"]) == set(QUERIES)


def test_open_findings_include_amchepry_with_quotes(server: tuple[str, Path]) -> None:
    base, _ = server
    found = array(base, "/audit/open_findings.json")
    assert "amchepry" in {r["subject"] for r in found}
    assert all(r["quote_a"] is not None or r["kind"] in ("missing", "unavailable")
               for r in found)
    assert "unavailable" in {r["kind"] for r in found}


def test_registry_vs_publication_rows_have_both_sides(server: tuple[str, Path]) -> None:
    base, _ = server
    rows = array(base, "/audit/registry_vs_publication.json", sides="both")
    assert {"enrollment", "phase", "design"} <= {r["field"] for r in rows}
    for r in rows:
        assert r["registry_values"] and r["publication_values"], r


def test_changes_since_previous_run_shows_the_failing_source(server: tuple[str, Path]) -> None:
    base, _ = server
    rows = array(base, "/audit/changes_since_previous_run.json")
    assert [(r["event"], r["kind"]) for r in rows] == [("new", "unavailable")]
    assert rows[0]["previous_run"] and rows[0]["previous_run"] != rows[0]["run_id"]


def test_source_freshness_over_json(server: tuple[str, Path]) -> None:
    base, _ = server
    rows = array(base, "/audit/source_freshness.json")
    assert rows[0]["source"] == "jrct-en" and rows[0]["failing_since"]
    assert {r["provenance"] for r in rows} <= {"fetched", "reconstructed"}


@pytest.mark.parametrize("query, params, check", [
    ("registry_vs_publication_for_subject", {"subject": "amchepry"},
     lambda rows: {"enrollment", "adverse_events"} <= {r["field"] for r in rows}),
    ("registry_vs_publication_for_subject", {"subject": "nope"}, lambda rows: rows == []),
    ("new_findings_this_week", {},
     lambda rows: rows and {r["subject"] for r in rows} == {"amchepry"}
     and {r["event"] for r in rows} <= {"new", "reopened"}),
    ("sources_failing", {},
     lambda rows: [(r["source"], "503" in r["last_error"]) for r in rows] == [("jrct-en", True)]),
])
def test_canned_queries(server: tuple[str, Path], query: str, params: dict, check) -> None:
    base, _ = server
    assert check(array(base, f"/audit/{query}.json", **params))


@pytest.mark.parametrize("view, facets", [
    ("open_findings", {"subject", "severity", "status", "field", "rule", "kind"}),
    ("findings", {"subject", "severity", "status", "field", "rule", "kind"}),
    ("current_claims", {"subject", "field", "source_kind", "role"}),
])
def test_default_facets(server: tuple[str, Path], view: str, facets: set[str]) -> None:
    base, _ = server
    page = get(base, f"/audit/{view}.json")
    assert set(page["facet_results"]) == facets


@pytest.mark.parametrize("table, term, column, expected", [
    ("finding_quotes", "tacrolimus", "source", {"crossref", "pubmed"}),
    ("finding_sources", "tacrolimus", "source", {"crossref", "pubmed"}),
])
def test_full_text_search_over_quotes(server: tuple[str, Path], table: str, term: str,
                                      column: str, expected: set[str]) -> None:
    base, _ = server
    rows = array(base, f"/audit/{table}.json", _search=term)
    assert {r[column] for r in rows} == expected


@pytest.mark.parametrize("table", ["current_claims", "claims"])
def test_claim_quotes_filter_by_substring(server: tuple[str, Path], table: str) -> None:
    base, _ = server
    rows = array(base, f"/audit/{table}.json", quote__contains="パーキンソン", _size="max")
    assert {"jrct-ja", "mhlw-notice", "pmda-approval"} <= {r["source"] for r in rows}
    assert all("パーキンソン" in r["quote"] for r in rows)


def test_table_pages_link_the_pages_people_read_not_the_apis(server: tuple[str, Path]) -> None:
    base, _ = server
    page = html(base, "/audit/open_findings")
    hrefs = [a["href"] for a in page.select("table.rows-and-columns a[href^='https://']")]
    assert "https://doi.org/10.1038/s41586-025-08700-0" in hrefs
    assert not [h for h in hrefs if "api.crossref.org" in h or "eutils" in h], hrefs


def test_table_pages_show_severity_badges_and_fold_the_column_help(
        server: tuple[str, Path]) -> None:
    base, db = server
    page = html(base, "/audit/open_findings")
    badges = {b.get_text() for b in page.select("td.col-severity .auditor-badge")}
    shown = {r[0] for r in sqlite3.connect(db).execute("select severity from open_findings")}
    assert badges == shown and "medium" in badges
    help_ = page.select_one("details.auditor-column-help")
    assert help_ is not None and "open" not in help_.attrs
    assert help_.find("dt", string="quote_a")
    assert page.select_one("td.col-finding_id a")["href"].startswith("/audit/-/findings/")


def test_open_findings_show_the_review_and_its_note(server: tuple[str, Path]) -> None:
    base, _ = server
    [row] = array(base, "/audit/open_findings.json", status="confirmed")
    assert row["field"] == "sample_size_analysed"
    assert row["review"].startswith("confirmed by desk on ") and row["review_note"] == NOTE


def test_print_command_names_the_shipped_metadata(tmp_path: Path) -> None:
    db = audited_db(tmp_path)
    out = subprocess.run([AUDITOR, "serve", "--db", str(db), "--print-command", "-p", "9",
                          "--setting", "sql_time_limit_ms", "3000", "--open"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[:3] == ["datasette", "serve", str(db)]
    assert out[out.index("--metadata") + 1] == str(METADATA_PATH)
    assert out[out.index("--port") + 1] == "9"
    assert out[out.index("--setting") + 1:out.index("--setting") + 3] == [
        "sql_time_limit_ms", "3000"]
    assert "--open" in out


def test_serve_passes_settings_through(server: tuple[str, Path]) -> None:
    base, _ = server
    assert get(base, "/-/settings.json")["default_page_size"] == 40


def test_serve_writes_nothing_to_the_database_not_even_stale_views(tmp_path: Path) -> None:
    db = audited_db(tmp_path)
    with sqlite_utils.Database(db) as old:  # as an older auditor left it
        old.execute("drop view finding_quotes")
        old.execute("create view finding_quotes as select id as finding_id from findings")
    before = sha256(db)
    log = tmp_path / "stderr.txt"
    with serving([AUDITOR, "serve", "--db", str(db)], log=log) as base:
        for path in ("/", "/audit/-/findings", "/audit/-/subjects/amchepry",
                     "/audit/open_findings", "/audit/-/findings/" + first_finding(db)["id"]):
            assert httpx.get(base + path, timeout=20).status_code == 200, path
    assert sha256(db) == before
    assert "views from another auditor version (finding_quotes)" in log.read_text()


def test_metadata_follows_the_database_file_name() -> None:
    assert list(metadata_for("/var/lib/auditor/cron.db")["databases"]) == ["cron"]
    assert list(metadata_for("audit.db")["databases"]) == ["audit"]


# --- the plugin's pages, on a plain `datasette audit.db` ---------------------------------------

def test_plain_datasette_loads_the_plugin_and_the_metadata(plain: tuple[str, Path]) -> None:
    base, _ = plain
    assert "auditor" in {p["name"] for p in get(base, "/-/plugins.json")}
    assert get(base, "/-/metadata.json")["title"] == METADATA["title"]
    assert "Open findings" in html(base, "/audit/open_findings").h1.get_text()


def test_the_index_leads_to_findings_and_subjects(plain: tuple[str, Path]) -> None:
    base, db = plain
    page = html(base, "/")
    hrefs = [a["href"] for a in page.select(".auditor-overview a")]
    assert "/audit/-/findings" in hrefs
    assert "/audit/-/subjects/amchepry" in hrefs
    n = len(store.findings(sqlite_utils.Database(db)))
    assert page.select_one(".auditor-overview h2").get_text(strip=True) == f"{n} open findings"
    assert httpx.get(base + "/-/findings", timeout=20).headers["location"] == "/audit/-/findings"


def test_findings_page_lists_every_open_finding_most_severe_first(
        plain: tuple[str, Path]) -> None:
    base, db = plain
    page = html(base, "/audit/-/findings")
    cards = page.select("article.auditor-finding")
    expected = [f["message"] for f in store.findings(sqlite_utils.Database(db))]
    assert [c.select_one(".auditor-message").get_text() for c in cards] == expected
    ranks = [SEVERITY[c.select_one(".auditor-badge").get_text()] for c in cards]
    assert ranks == sorted(ranks, reverse=True)
    first = cards[0]
    quotes = [q.get_text() for q in first.select(".auditor-side .auditor-quote")]
    assert quotes == [f"“{s['quote']}”" for s in first_finding(db)["sources"][:2] if s["quote"]]


def test_findings_page_shows_the_review_and_filters_by_status(plain: tuple[str, Path]) -> None:
    base, db = plain
    [card] = html(base, "/audit/-/findings", status="confirmed").select("article.auditor-finding")
    assert card.select_one(".auditor-review").get_text(" ", strip=True).startswith(
        "confirmed by desk on ")
    assert NOTE in card.get_text()
    assert html(base, "/audit/-/findings", status="dismissed").select(
        "article.auditor-finding") == []
    info = [f for f in store.findings(sqlite_utils.Database(db)) if f["severity"] == "info"]
    assert len(info) >= 2
    assert html(base, "/audit/-/findings", severity="info").select_one("h1").get_text(
        " ", strip=True) == f"{len(info)} open findings · info"


def test_finding_page_is_titled_by_its_message_and_shows_all_its_evidence(
        plain: tuple[str, Path]) -> None:
    base, db = plain
    [f] = [f for f in store.findings(sqlite_utils.Database(db))
           if f["field"] == "sample_size_analysed"]
    page = html(base, f"/audit/-/findings/{f['id']}")
    assert page.title.get_text().startswith(f["message"])
    assert page.h1.get_text() == f["message"]
    text = page.get_text(" ")
    assert len(f["sources"]) == 4
    for side in f["sources"]:
        assert side["quote"] in text and side["locator"] in text
        assert side["snapshot_sha256"] in text
    hrefs = {a["href"] for a in page.select("a[href^='https://']")}
    assert {"https://doi.org/10.1038/s41586-025-08700-0",
            "https://pubmed.ncbi.nlm.nih.gov/40240591/"} <= hrefs
    assert not [h for h in hrefs if "api.crossref.org" in h or "eutils" in h]
    assert NOTE in text


def test_finding_page_of_an_unknown_id_is_404(plain: tuple[str, Path]) -> None:
    base, _ = plain
    assert httpx.get(base + "/audit/-/findings/0123456789abcdef", timeout=20).status_code == 404


def test_subject_page_has_the_matrix_with_a_legend_and_the_timeline(
        plain: tuple[str, Path]) -> None:
    base, db = plain
    page = html(base, "/audit/-/subjects/amchepry")
    assert page.h1.get_text().startswith("Amchepry (raguneprocel)")
    sources = [th.contents[0] for th in page.select("table.auditor-matrix thead th")[1:]]
    assert set(sources) == {r["name"] for r in sqlite_utils.Database(db)["sources"].rows}
    cells = {tr.th.contents[0]: [td["class"][1] for td in tr.select("td")]
             for tr in page.select("table.auditor-matrix tbody tr")}
    assert set(cells["sample_size_analysed"]) == {"cell-differ", "cell-silent"}
    assert set(cells["adverse_events"]) == {"cell-agree", "cell-silent"}
    assert "cell-cannot-compare" in cells["indication"]
    legend = {s.get_text() for s in page.select(".auditor-legend .auditor-cell")}
    assert {"agree", "differ", "silent", "cannot compare"} <= legend
    svg = page.select_one("svg.auditor-timeline")
    open_ = store.findings(sqlite_utils.Database(db))
    assert len(svg.select("circle")) >= len(open_) + 2  # and the two jRCT records' versions
    assert {"https://doi.org/10.1038/s41586-025-08700-0",
            "https://jrct.mhlw.go.jp/latest-detail/jRCT2090220384"} <= {
        a["href"] for a in page.select(".auditor-head a")}


SEVERITY = {"info": 0, "low": 1, "medium": 2, "high": 3}


@pytest.mark.parametrize("url, page", [
    ("https://api.crossref.org/works/10.1038/s41586-025-08700-0",
     "https://doi.org/10.1038/s41586-025-08700-0"),
    ("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?db=pubmed&id=40240591&retmode=xml",
     "https://pubmed.ncbi.nlm.nih.gov/40240591/"),
    ("https://clinicaltrials.gov/api/v2/studies/NCT04802733",
     "https://clinicaltrials.gov/study/NCT04802733"),
    ("https://jrct.niph.go.jp/latest-detail/jRCT2090220384",
     "https://jrct.mhlw.go.jp/latest-detail/jRCT2090220384"),
    ("https://jrct.niph.go.jp/en-latest-detail/jRCT2090220384",
     "https://jrct.mhlw.go.jp/en-latest-detail/jRCT2090220384"),
    ("https://www.ebi.ac.uk/europepmc/webservices/rest/PMC6113012/fullTextXML",
     "https://europepmc.org/article/PMC/PMC6113012"),
    ("https://www.mhlw.go.jp/web/t_doc?dataId=00tc0000&dataType=1&pageNo=1",
     "https://www.mhlw.go.jp/web/t_doc?dataId=00tc0000&dataType=1&pageNo=1"),
])
def test_source_urls_become_the_pages_people_read(url: str, page: str) -> None:
    from auditor.outputs.datasette_plugin.links import human_url

    assert human_url(url) == page


def test_a_findings_row_in_datasette_leads_to_the_findings_own_page(
        plain: tuple[str, Path]) -> None:
    base, db = plain
    finding = first_finding(db)
    page = html(base, f"/audit/findings/{finding['id']}")
    assert page.select_one(".auditor-tocards a")["href"] == f"/audit/-/findings/{finding['id']}"


def test_the_wheel_ships_the_plugins_templates_and_static_files() -> None:
    import fnmatch
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["auditor"]
    plugin = ROOT / "auditor" / "outputs" / "datasette_plugin"
    files = [p.relative_to(ROOT / "auditor").as_posix() for folder in ("templates", "static")
             for p in (plugin / folder).iterdir()]
    assert len(files) >= 8
    assert [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)] == []
