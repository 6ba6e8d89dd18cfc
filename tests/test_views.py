"""The SQL views, read straight from an audit database built from the Amchepry fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlite_utils

from auditor import store
from auditor.audit import run_audit
from auditor.config import Config, load_config
from auditor.store.views import VIEWS, create_views

ROOT = Path(__file__).resolve().parents[1]


def rows(db: sqlite_utils.Database, view: str, where: str = "1", params: tuple = ()) -> list:
    return list(db.query(f"select * from {view} where {where}", params))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The project's config over a private copy of the fixtures, so a test may edit them."""
    shutil.copytree(ROOT / "auditor" / "demo", tmp_path / "auditor" / "demo")
    config = load_config(ROOT / "config.toml")
    return config.model_copy(update={"path": tmp_path / "config.toml"})


@pytest.fixture
def db(tmp_path: Path, config: Config) -> sqlite_utils.Database:
    db = store.open_db(tmp_path / "audit.db")
    run_audit(config, db)
    return db


def test_open_db_creates_every_view(db: sqlite_utils.Database) -> None:
    assert set(VIEWS) <= set(db.view_names())


def test_create_views_rewrites_only_what_changed(db: sqlite_utils.Database) -> None:
    assert create_views(db) == []
    db.execute("drop view source_freshness")
    db.execute("create view source_freshness as select 1 as stale")
    assert create_views(db) == ["source_freshness", "finding_quotes"]
    assert "days_since_fetched" in db["source_freshness"].columns_dict


def test_open_findings_show_two_sources_side_by_side(db: sqlite_utils.Database) -> None:
    found = rows(db, "open_findings")
    assert {r["subject"] for r in found} == {"amchepry"}
    ranks = [r["severity_rank"] for r in found]
    assert ranks == sorted(ranks, reverse=True)
    for r in found:
        first = db.execute("select source, quote, locator from finding_sources "
                           "where finding_id = ? and position = 0", [r["finding_id"]]).fetchone()
        assert (r["source_a"], r["quote_a"], r["locator_a"]) == tuple(first)
        assert r["source_count"] >= 1


def test_open_findings_leave_out_resolved(db: sqlite_utils.Database) -> None:
    some = rows(db, "open_findings")[0]["finding_id"]
    db["findings"].update(some, {"status": "resolved"})
    assert some not in {r["finding_id"] for r in rows(db, "open_findings")}


@pytest.mark.parametrize("field, sides, registry, publication", [
    ("enrollment", "both", "jrct-ja: 7 participants (planned)",
     "crossref: 7 participants (treated)"),
    ("phase", "both", "jrct-en: phase 1/2", "pubmed: phase 1/2"),
    ("design", "both", "jrct-ja: open-label; single-arm", "crossref: open-label; single-arm"),
    ("adverse_events", "publication only", None, "pubmed: 73 events"),
    ("serious_adverse_events", "publication only", None, "crossref: 0 events"),
    ("indication", "registry only", "jrct-en: Parkinson's disease", None),
])
def test_registry_vs_publication(db: sqlite_utils.Database, field: str, sides: str,
                                 registry: str | None, publication: str | None) -> None:
    [row] = rows(db, "registry_vs_publication", "subject = ? and field = ?",
                 ("amchepry", field))
    assert row["sides"] == sides
    if registry:
        assert registry in row["registry_values"]
        # the first registry record's address: the dossier's UMIN-CTR, jRCT or ctgov record
        assert row["registry_url"].startswith(("https://jrct.niph.go.jp/",
                                               "https://center6.umin.ac.jp/",
                                               "https://clinicaltrials.gov/api/v2/studies/"))
    else:
        assert row["registry_values"] is None
    if publication:
        assert publication in row["publication_values"]
    else:
        assert row["publication_values"] is None


def test_registry_vs_publication_reads_only_current_snapshots(
        tmp_path: Path, config: Config, db: sqlite_utils.Database) -> None:
    page = tmp_path / "auditor/demo/amchepry/jrct-jRCT2090220384-en.html"
    html = page.read_text(encoding="utf-8")
    old = "<th class=\"w-25\">Target Sample Size</th><td>7</td>"
    assert old in html
    page.write_text(html.replace(old, old.replace("<td>7</td>", "<td>8</td>")), "utf-8")
    run_audit(config, db)
    [row] = rows(db, "registry_vs_publication", "field = 'enrollment'")
    assert "jrct-en: 8 participants (planned)" in row["registry_values"]
    assert "jrct-en: 7" not in row["registry_values"]
    every = [r["value_text"] for r in db["claims"].rows_where(
        "source = 'jrct-en' and field = 'enrollment'")]
    assert sorted(every) == ["7 participants", "8 participants"]
    changed = rows(db, "changes_since_previous_run", "field = 'enrollment'")
    assert changed and {r["event"] for r in changed} == {"new"}


def test_changes_since_previous_run(config: Config, db: sqlite_utils.Database) -> None:
    first = rows(db, "changes_since_previous_run")
    assert {r["event"] for r in first} == {"new"}
    assert len(first) == len(rows(db, "open_findings"))
    assert first[0]["previous_run"] is None

    run_audit(config, db)
    assert rows(db, "changes_since_previous_run") == []

    no_papers = config.model_copy(update={"sources": [
        s for s in config.sources if s.kind not in ("crossref", "pubmed")]})
    third = run_audit(no_papers, db)
    resolved = rows(db, "changes_since_previous_run", "event = 'resolved'")
    assert {r["finding_id"] for r in resolved} == set(third.resolved)
    assert "sample_size_analysed" in {r["field"] for r in resolved}
    assert {r["status"] for r in resolved} == {"resolved"}
    assert resolved[0]["run_id"] == third.run.id
    assert resolved[0]["previous_run"] not in (None, third.run.id)


def test_source_freshness_puts_failing_sources_first(config: Config,
                                                     db: sqlite_utils.Database) -> None:
    run_audit(config, db, failures={"jrct-en": "HTTP 503 Service Unavailable"})
    fresh = rows(db, "source_freshness")
    assert len(fresh) == len(config.sources)
    assert fresh[0]["source"] == "jrct-en"
    assert fresh[0]["failing_since"] and fresh[0]["last_outcome"] == "failed"
    assert "503" in fresh[0]["last_error"]
    assert all(r["failing_since"] is None and r["last_outcome"] == "ok" for r in fresh[1:])
    assert {r["provenance"] for r in fresh} <= {"fetched", "reconstructed"}
    assert all(r["days_since_fetched"] is not None for r in fresh)


def test_finding_quotes_has_every_side(db: sqlite_utils.Database) -> None:
    assert len(rows(db, "finding_quotes")) == db["finding_sources"].count
