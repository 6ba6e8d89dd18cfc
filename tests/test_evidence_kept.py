"""Evidence kept forever: every version of every snapshot stays on disk byte for byte, named
by its sha256; every sha256 audit.db cites resolves to its bytes; `auditor evidence` writes a
bundle a fact-checker can open without the tool."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

pytest.register_assert_rewrite("faultserver")
from faultserver import HostMap, fast_settings  # noqa: E402

from auditor import snapshots, store  # noqa: E402
from auditor.acquire.fetch import fetch_sources  # noqa: E402
from auditor.acquire.http import make_client  # noqa: E402
from auditor.cli import cli  # noqa: E402
from auditor.config import Config, Settings  # noqa: E402
from auditor.models import SourceRef, Subject  # noqa: E402
from auditor.store.evidence import cited_snapshots  # noqa: E402

pytest_plugins = ["faultserver"]

PIPELINE = "sumitomo-pipeline.html"
CROSSREF = "crossref-10.1038_s41586-025-08700-0.json"


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_two_fetches_of_changed_bytes_keep_both_versions(tmp_path, fault_server):
    url = fault_server.add("/page", b"<html>v1</html>", content_type="text/html")
    config = Config(path=tmp_path / "config.toml", auditor=Settings(snapshots="snaps"),
                    fetch=fast_settings(), subjects=[Subject(id="s", name="S")],
                    sources=[SourceRef(subject="s", name="press", kind="page", url=url)])

    def fetch() -> None:
        with make_client(config.fetch, transport=HostMap(fault_server.port)) as client:
            [result] = fetch_sources(config, client=client, progress=False)
        assert result.ok, result.error

    fetch()
    fault_server.add("/page", b"<html>v2</html>", content_type="text/html")
    fetch()
    folder = config.snapshot_dir / "s"
    [current] = [p for p in folder.iterdir() if p.is_file() and p.name != "manifest.json"]
    assert current.read_bytes() == b"<html>v2</html>"
    # the replaced version is kept, content-addressed; the current one is the file itself
    kept = {p.name: p.read_bytes() for p in (config.snapshot_dir / ".versions").iterdir()}
    assert kept == {f"{sha(b'<html>v1</html>')}.html": b"<html>v1</html>"}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
    entry = snapshots.read_manifest(folder)[current.name]
    assert entry["sha256"] == sha(b"<html>v2</html>")  # the manifest names the current one
    assert [v["sha256"] for v in entry["versions"]] == [sha(b"<html>v1</html>")]
    rel = f"s/{current.name}"
    for body in (b"<html>v1</html>", b"<html>v2</html>"):  # both versions on disk
        assert snapshots.resolve(config.snapshot_dir, rel, sha(body)) == body
    fault_server.add("/page", b"<html>v3</html>", content_type="text/html")
    fetch()
    for body in (b"<html>v1</html>", b"<html>v2</html>", b"<html>v3</html>"):
        assert snapshots.resolve(config.snapshot_dir, rel, sha(body)) == body
    entry = snapshots.read_manifest(folder)[current.name]
    assert [v["sha256"] for v in entry["versions"]] == [sha(b"<html>v1</html>"),
                                                        sha(b"<html>v2</html>")]


def test_every_sha256_the_database_cites_resolves_to_its_bytes(dossier):
    before = sorted((dossier.snapshots).rglob(".versions*"))
    dossier.audit("-q")
    # the evidence changes twice by hand (as a re-fetch would): the old bytes stay cited
    dossier.edit(CROSSREF, "Seven patients", "Eight patients")
    dossier.audit("-q")
    path = dossier.snapshot(PIPELINE)
    path.write_bytes(path.read_bytes() + b"\n<!-- v2 -->\n")
    dossier.audit("-q")
    db = sqlite_utils.Database(dossier.db)
    cited = cited_snapshots(db)
    places = {r["place"] for r in cited}
    assert places == {"snapshots", "claims", "finding_sources"}
    assert len({r["sha256"] for r in cited}) > 10  # both versions of two sources
    for row in cited:
        assert row["path"], f"{row['sha256']} ({row['place']}) has no snapshots row"
        body = snapshots.resolve(dossier.snapshots, row["path"], row["sha256"],
                                 (snapshots.versions_for(dossier.db),))
        assert sha(body) == row["sha256"]
    # the claims of the replaced crossref version still point at bytes saying "Seven"
    [old] = [r for r in db.query("select distinct snapshot_sha256 as s from claims where "
                                 "source = 'crossref' and quote like 'Seven patients%'")]
    body = snapshots.resolve(dossier.snapshots, f"amchepry/{CROSSREF}", old["s"],
                             (snapshots.versions_for(dossier.db),))
    # audits keep what they cite beside the database, never inside the snapshot folder
    assert (dossier.root / "audit.versions").is_dir()
    assert sorted((dossier.snapshots).rglob(".versions*")) == before
    assert b"Seven patients" in body


def test_evidence_bundle_holds_the_finding_its_snapshots_and_their_manifest(dossier, tmp_path):
    dossier.audit("-q")
    rows = store.findings(store.open_db(dossier.db), status="open")
    [finding] = [f for f in rows if f["rule"] == "analysed_fewer_than_enrolled"]
    cited = {s["snapshot_sha256"] for s in finding["sources"] if s["snapshot_sha256"]}
    assert len(cited) == 2  # crossref and pubmed
    # the evidence is then replaced: the bundle must still carry the bytes the finding cites
    dossier.edit(CROSSREF, "Seven patients", "Eight patients")
    out = tmp_path / "out" / "bundle.zip"
    result = CliRunner().invoke(cli, ["evidence", finding["id"][:8], "-o", str(out),
                                      "--config", str(dossier.config)])
    assert result.exit_code == 0, result.output
    assert "2 snapshots" in result.output
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"README.txt", "finding.json", "manifest.json"} <= names
        saved = json.loads(z.read("finding.json"))
        assert saved["id"] == finding["id"] and saved["message"] == finding["message"]
        manifest = json.loads(z.read("manifest.json"))["snapshots"]
        assert {e["sha256"] for e in manifest} == cited
        for e in manifest:
            body = z.read(e["file"])
            assert sha(body) == e["sha256"]
            assert e["url"].startswith("https://") and e["retrieved_at"]
            assert e["manifest_entry"]["file"] == Path(e["path"]).name
        crossref = next(e for e in manifest if e["source"] == "crossref")
        assert crossref["current"] is False  # replaced since: read from .versions
        assert b"Seven patients" in z.read(crossref["file"])


def test_evidence_errors_say_what_went_wrong(dossier, tmp_path):
    dossier.audit("-q")
    out = tmp_path / "b.zip"
    result = CliRunner().invoke(cli, ["evidence", "0123456789", "-o", str(out),
                                      "--config", str(dossier.config)])
    assert result.exit_code == 2 and "no finding with id" in result.output
    # bytes deleted behind the tool's back: a clear error, and no bundle
    rows = store.findings(store.open_db(dossier.db), status="open")
    [finding] = [f for f in rows if f["rule"] == "analysed_fewer_than_enrolled"]
    for store_of_versions in (snapshots.versions_for(dossier.db),
                              dossier.snapshots / ".versions"):
        for p in store_of_versions.glob("*.json"):
            p.unlink()
    dossier.edit(CROSSREF, "Seven patients", "Eight patients")
    result = CliRunner().invoke(cli, ["evidence", finding["id"], "-o", str(out),
                                      "--config", str(dossier.config)])
    assert result.exit_code == 2, result.output
    assert "no version with sha256" in result.output
    assert not out.exists()


def test_a_snapshot_folder_that_cannot_be_written_is_a_clear_error(dossier, monkeypatch):
    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(snapshots, "_atomic_write", refuse)  # as a read-only mount would
    result = dossier.audit("-q")
    assert result.exit_code == 2, result.output
    assert "cannot keep a version" in result.output and "writable" in result.output
    assert "Permission denied" in result.output


def test_a_bulk_reimport_of_changed_studies_keeps_the_versions_claims_cite(tmp_path,
                                                                          fault_server):
    from auditor.acquire import bulk

    record = json.loads((Path(__file__).parent.parent / "fixtures" / "bluerock" /
                         "ctgov-NCT04802733.json").read_text(encoding="utf-8"))
    path = "/api/v2/studies"
    out, db = tmp_path / "out", store.open_db(tmp_path / "audit.db")

    def run(enrollment: int, restart: bool) -> None:
        record["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = enrollment
        fault_server.add(path, json.dumps({"studies": [record]}).encode())
        with make_client(fast_settings(), transport=HostMap(fault_server.port)) as client:
            bulk.search(client, {"query.intr": "x"}, out, db, page_size=2, restart=restart)

    run(12, restart=False)
    run(13, restart=True)
    cited = cited_snapshots(db)
    assert len({r["sha256"] for r in cited if r["place"] == "claims"}) == 2
    for row in cited:
        assert sha(snapshots.resolve(out, row["path"], row["sha256"])) == row["sha256"]
