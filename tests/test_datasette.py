"""The real Datasette, started by `auditor serve` over an audit of the fixtures, read as JSON."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from auditor import store
from auditor.audit import run_audit
from auditor.config import load_config
from auditor.store.views import METADATA_PATH, VIEWS, metadata_for

ROOT = Path(__file__).resolve().parents[1]
AUDITOR = str(Path(sys.executable).parent / "auditor")
METADATA = json.loads(METADATA_PATH.read_text(encoding="utf-8"))
TABLES = METADATA["databases"]["audit"]["tables"]
QUERIES = METADATA["databases"]["audit"]["queries"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def audited_db(folder: Path) -> Path:
    """Two audits: a clean one, then one where jrct-en failed to fetch."""
    path = folder / "audit.db"
    config = load_config(ROOT / "config.toml")
    db = store.open_db(path)
    run_audit(config, db)
    run_audit(config, db, failures={"jrct-en": "HTTP 503 Service Unavailable"})
    db.close()
    return path


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`auditor serve` in its own process group; the whole group is ended afterwards."""
    db = audited_db(tmp_path_factory.mktemp("serve"))
    port = free_port()
    proc = subprocess.Popen([AUDITOR, "serve", "--db", str(db), "--port", str(port)],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base)
        yield base, db
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


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
    ("open_findings", {"subject", "severity", "field", "rule", "kind"}),
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


def test_urls_render_as_links(server: tuple[str, Path]) -> None:
    base, _ = server
    page = httpx.get(f"{base}/audit/open_findings", timeout=20).text
    url = array(base, "/audit/open_findings.json", kind="mismatch")[0]["url_a"]
    assert url.startswith("https://")
    assert f'<a href="{url}">' in page


def test_print_command_names_the_shipped_metadata(tmp_path: Path) -> None:
    db = audited_db(tmp_path)
    out = subprocess.run([AUDITOR, "serve", "--db", str(db), "--print-command", "--port", "9"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[:3] == ["datasette", "serve", str(db)]
    assert out[out.index("--metadata") + 1] == str(METADATA_PATH)
    assert out[out.index("--port") + 1] == "9"


def test_metadata_follows_the_database_file_name() -> None:
    assert list(metadata_for("/var/lib/auditor/cron.db")["databases"]) == ["cron"]
    assert list(metadata_for("audit.db")["databases"]) == ["audit"]
