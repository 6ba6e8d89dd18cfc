"""`auditor audit --fetch` over real HTTP: healthy sources are saved, a failing one is reported
as unavailable with its cause, and an offline replay gives identical claims."""

from __future__ import annotations

import sqlite_utils

from auditor import store

pytest_plugins = ["faultserver"]  # the fault_server fixture


def test_audit_with_fetch_reports_the_failing_source_and_keeps_its_snapshot(dossier,
                                                                            fault_server):
    s = fault_server
    today = dossier.snapshot("crossref-10.1038_s41586-025-08700-0.json").read_bytes()
    s.add("/works/10.1038/s41586-025-08700-0",  # the source changed since the bundled copy
          today.replace(b"Patients were followed for 24 months.",
                        b"Patients were followed for 24 months after transplantation."))
    s.add("/eutils/efetch.fcgi", b"", fault="500")
    base = s.url("")
    text = "\n".join(line for line in dossier.config.read_text().splitlines()
                     if not line.startswith(("url = ", 'identifier = "NCT')))
    # only the two served sources fetch (the U.S. registrations replay their snapshots)
    dossier.config.write_text(text.replace(
        "[fetch]\n", f"[fetch]\nretries = 1\nbackoff = 0.01\nbases = {{ crossref = \"{base}\", "
                     f"eutils = \"{base}/eutils\" }}\n"))
    result = dossier.audit("--fetch", "-q")
    assert result.exit_code == 1, result.output
    db = store.open_db(dossier.db)
    [down] = [f for f in store.findings(db) if f["rule"] == "source_unavailable"]
    assert down["sources"][0]["source"] == "pubmed" and "HTTP 500" in down["message"]
    assert down["sources"][0]["quote"].startswith("last good snapshot")
    assert db["sources"].get("pubmed")["failing_since"]
    assert db["sources"].get("crossref")["failing_since"] is None
    manifest = (dossier.snapshot("manifest.json")).read_text()
    assert '"provenance": "fetched"' in manifest
    fetched = claims_of(dossier.db, "crossref")
    assert dossier.audit("-q").exit_code == 1
    assert claims_of(dossier.db, "crossref") == fetched
    still = [f for f in store.findings(store.open_db(dossier.db))
             if f["rule"] == "source_unavailable"]
    assert [f["id"] for f in still] == [down["id"]], "an offline run carries the failure"
    s.add_fixture("/eutils/efetch.fcgi", "amchepry/pubmed-40240591.xml")  # it is back
    dossier.audit("--fetch", "-q")
    db = store.open_db(dossier.db)
    assert db["findings"].get(down["id"])["status"] == "resolved"
    assert db["sources"].get("pubmed")["failing_since"] is None


def claims_of(path, source):
    db = sqlite_utils.Database(path)
    sha = db["sources"].get(source)["snapshot_sha256"]
    return sorted((r["field"], r["value"], r["quote"]) for r in db["claims"].rows_where(
        "source = ? and snapshot_sha256 = ?", [source, sha]))
