"""The `links` table: how each source was placed in a trial (which registry id, read by which
reader from which snapshot), as OpenTrials' deduplication log recorded its merges; titles
never make a link. Discovery (`auditor compare ID`) says how it reached each record."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
from test_history import NCT, registry  # noqa: F401  (the fixture)

from auditor import api, sources, store
from auditor.config import load_config
from auditor.models import Snapshot, SourceRef, stamp
from auditor.read.documents import Document
from auditor.rules.trials import trial_links

pytest_plugins = ["faultserver"]

REFERENCE = Path("/work/shared/reference-formats")


def test_the_audit_records_how_every_source_joined_the_trial(dossier):
    dossier.audit("-q")
    db = store.open_db(dossier.db)
    links = list(db.query("select * from links where subject = 'amchepry'"))
    placed = {r["source"] for r in links}
    assert {"jrct-ja", "jrct-en", "crossref", "pubmed"} <= placed
    snapshots = {r["sha256"] for r in db.query("select sha256 from snapshots")}
    current = dict(db.execute("select name, snapshot_sha256 from sources").fetchall())
    for r in links:
        assert r["snapshot_sha256"] in snapshots and r["snapshot_sha256"] == current[r["source"]]
        assert r["reader"] and r["locator"] and r["quote"] and r["registry_id"] in r["trial"]
    pubmed = next(r for r in links if r["source"] == "pubmed" and
                  r["registry_id"] == "jRCT2090220384")
    assert pubmed["how"].startswith("an id it cites; shared with ") and "jrct-ja" in pubmed["how"]
    assert pubmed["registry_id"] in pubmed["quote"]


def test_a_second_audit_replaces_the_links_and_adds_none(dossier):
    dossier.audit("-q")
    db = store.open_db(dossier.db)
    before = sorted(r["id"] for r in db.query("select id from links"))
    dossier.edit("jrct-jRCT2090220384-en.html", "UMIN000033564", "UMIN000099999")
    dossier.audit("-q")
    after = {r["registry_id"] for r in db.query("select registry_id from links")}
    assert "UMIN000099999" in after and "UMIN000033564" in after  # jrct-ja still says it
    assert len(list(db.query("select id from links"))) == len(before)


def _claims(name: str, file: str, title: str | None = None):
    body = (REFERENCE / file).read_bytes()
    if title is not None:
        data = json.loads(body)
        data["protocolSection"]["identificationModule"]["briefTitle"] = title
        data["protocolSection"]["identificationModule"]["officialTitle"] = title
        body = json.dumps(data).encode()
    ref = SourceRef(name=name, subject="x", kind="ctgov", snapshot=file)
    snap = Snapshot(source=name, kind="ctgov", url=f"https://example.org/{file}",
                    retrieved_at="2026-12-02T00:00:00+00:00", media_type="application/json",
                    sha256=name * 4, path=file)
    return stamp(sources.parse("ctgov", Document(body, "application/json", snap.url, name)),
                 subject="x", ref=ref, snapshot=snap, role="registry")


def test_the_same_title_never_links_two_records():
    """Two real records, the second given the first's titles word for word: still two trials,
    and no link ties one record's source to the other's id."""
    a = _claims("a", "ctgov-v2-NCT03418623.json")
    title = next(c.value for c in a if c.field == "title" and c.qualifier == "official")
    b = _claims("b", "ctgov-v2-NCT06171568.json", title=title)
    links = trial_links(a + b)
    assert {r["trial"] for r in links if r["source"] == "a"} == {"NCT03418623"}
    assert {r["trial"] for r in links if r["source"] == "b"} & {"NCT03418623"} == set()
    assert all("given by no other source" in r["how"] for r in links
               if r["registry_id"] == "NCT03418623")


def test_an_old_database_gains_the_links_and_versions_tables(tmp_path):
    path = tmp_path / "old.db"
    db = store.open_db(path)
    db.execute("drop table links")
    db.execute("drop table registry_versions")
    db.execute("PRAGMA user_version = 3")
    db.conn.close()
    reopened = store.open_db(path)
    assert {"links", "registry_versions"} <= set(reopened.table_names())
    assert reopened.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION == 5
    assert isinstance(reopened, sqlite_utils.Database)


def test_discovery_says_how_it_reached_each_record(registry):  # noqa: F811
    _, config = registry
    found = api.compare("PMID:99999999", config=load_config(config))
    by_target = {link["target"]: link for link in found.links}
    assert by_target["pubmed:99999999"]["how"] == "the identifier compared"
    reached = by_target[f"ctgov:{NCT}"]
    assert reached["source"] == "pubmed-99999999" and reached["reader"] == "pubmed"
    assert reached["registry_id"] == NCT and reached["locator"]
    assert reached["snapshot_sha256"] in {c.snapshot_sha256 for c in found.claims
                                          if c.source == "pubmed-99999999"}
