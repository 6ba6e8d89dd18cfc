"""A configured ClinicalTrials.gov source with `history = true`: `auditor fetch` keeps its
versions beside its snapshot (each fetched once), `auditor audit` judges them, the database
keeps a row per version and the Datasette views show the timeline and the amendments; an
`as_of` on the source chooses the version the paper is compared with."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from test_history import HERE, NCT, VERSIONS

from auditor import store

pytest_plugins = ["faultserver"]


def _project(tmp_path: Path, base: str, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f"""
[auditor]
snapshots = "snapshots"
database = "audit.db"

[fetch]
retries = 1
backoff = 0.01

[fetch.rate_limits]
default = 1000.0

[fetch.bases]
ctgov = "{base}/ctgov"
ctgov_int = "{base}/int"
eutils = "{base}/eutils"

[[subjects]]
id = "get73"
name = "GET73"

[[subjects.sources]]
name = "registry"
kind = "ctgov"
identifier = "{NCT}"
history = true
{extra}

[[subjects.sources]]
name = "paper"
kind = "pubmed"
identifier = "99999999"
""")
    return config


@pytest.fixture
def served(fault_server):
    s = fault_server
    s.add("/ctgov/studies/" + NCT, (HERE / "study.json").read_bytes())
    s.add(f"/int/studies/{NCT}/history", (HERE / "history.json").read_bytes(),
          last_modified="Mon, 05 Oct 2020 00:00:00 GMT")
    for n in range(VERSIONS):
        s.add(f"/int/studies/{NCT}/history/{n}", (HERE / f"version-{n}.json").read_bytes())
    s.add("/eutils/efetch.fcgi?db=pubmed&id=99999999",
          (HERE / "pubmed-99999999.xml").read_bytes(), content_type="text/xml")
    return s


def test_fetch_keeps_the_versions_beside_the_source_and_audit_judges_them(served, tmp_path,
                                                                          run_cli):
    config = _project(tmp_path, served.url(""))
    fetched = run_cli("fetch", "--config", str(config), "-q")
    assert fetched.exit_code == 0, fetched.output
    folder = tmp_path / "snapshots" / "get73" / f"ctgov-{NCT}-history"
    assert sorted(p.name for p in folder.glob("version-*.json")) == [
        f"version-{n}.json" for n in range(VERSIONS)]
    again = run_cli("fetch", "--config", str(config))
    assert "registry history: unchanged" in again.output, again.output
    assert [served.count(f"/int/studies/{NCT}/history/{n}") for n in range(VERSIONS)] == \
        [1] * VERSIONS
    assert served.hits[f"/int/studies/{NCT}/history"][1].headers.get("If-Modified-Since")

    audited = run_cli("audit", "--config", str(config), "--json")
    assert audited.exit_code == 1, audited.output
    findings = json.loads(audited.stdout)["findings"]
    rules = {f["rule"] for f in findings}
    assert {"primary_outcome_amended", "enrollment_amended", "completion_date_slipped",
            "status_backwards", "outcome_switching"} <= rules
    switched = [f for f in findings if f["rule"] == "outcome_switching"]
    assert all("registry version 0 of 2018-02-01, the last version before the start" in
               f["message"] for f in switched)

    db = store.open_db(tmp_path / "audit.db")
    timeline = list(db.query("select * from registry_timeline order by version"))
    assert [(r["version"], r["date"], r["status"]) for r in timeline] == [
        (0, "2018-02-01", "NOT_YET_RECRUITING"), (1, "2018-03-20", "RECRUITING"),
        (2, "2019-01-15", "ACTIVE_NOT_RECRUITING"), (3, "2019-05-02", "RECRUITING"),
        (4, "2020-10-05", "COMPLETED")]
    assert "blood oxygenation" in timeline[0]["primary_outcomes"]
    assert timeline[3]["amendments"] == 3  # the outcome, the status, the completion date
    assert "primary outcome changed" in timeline[3]["amendment_messages"]
    [amendment] = db.query("select * from amendments where rule = 'primary_outcome_amended'")
    assert (amendment["version_before"], amendment["date_before"], amendment["version_after"],
            amendment["date_after"]) == (2, "2019-01-15", 3, "2019-05-02")
    assert "BOLD" in amendment["quote_before"] and "glutamate" in amendment["quote_after"]


def test_an_amendment_s_evidence_bundle_holds_both_versions(served, tmp_path, run_cli):
    config = _project(tmp_path, served.url(""))
    run_cli("fetch", "--config", str(config), "-q")
    run_cli("audit", "--config", str(config), "-q")
    db = store.open_db(tmp_path / "audit.db")
    [finding] = [f for f in store.findings(db) if f["rule"] == "primary_outcome_amended"]
    out = tmp_path / "bundle.zip"
    result = run_cli("evidence", finding["id"], "-o", str(out), "--config", str(config))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))["snapshots"]
        bodies = [json.loads(z.read(e["file"])) for e in manifest]
    assert sorted(b["studyVersion"] for b in bodies) == [2, 3]


def test_an_as_of_on_the_source_compares_the_paper_with_that_version(served, tmp_path,
                                                                     run_cli):
    config = _project(tmp_path, served.url(""), 'as_of = "2019-06-01"')
    run_cli("fetch", "--config", str(config), "-q")
    audited = run_cli("audit", "--config", str(config), "--json")
    findings = json.loads(audited.stdout)["findings"]
    assert not [f for f in findings if f["rule"] == "outcome_switching"]
    assert [f for f in findings if f["rule"] == "primary_outcome_amended"]


def test_a_history_not_fetched_yet_is_a_gap_of_the_report(served, tmp_path, run_cli):
    config = _project(tmp_path, served.url(""))
    served.add(f"/int/studies/{NCT}/history", b"{}", status=503)
    fetched = run_cli("fetch", "--config", str(config))
    assert "registry history: failed" in fetched.output
    run_cli("audit", "--config", str(config), "-q")
    notes = store.report_notes(store.open_db(tmp_path / "audit.db"), "get73")
    assert ("gap", "registry: no change history fetched yet (history = true); run "
                   "`auditor fetch`") in notes


@pytest.mark.parametrize("extra,message", [
    ('as_of = "June 2019"', "is not a date; write it as YYYY-MM-DD"),
])
def test_a_bad_as_of_is_refused_with_its_line(tmp_path, run_cli, extra, message):
    config = _project(tmp_path, "http://127.0.0.1:9", extra)
    result = run_cli("audit", "--config", str(config))
    assert result.exit_code == 2 and message in result.output and "line" in result.output


def test_history_on_a_source_that_is_not_ctgov_is_refused(tmp_path, run_cli):
    config = _project(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text() + 'history = true\n')
    result = run_cli("audit", "--config", str(config))
    assert result.exit_code == 2 and "history and as_of are for ClinicalTrials.gov" in \
        result.output


def test_history_of_an_audited_subject_shows_its_registry_timeline(served, tmp_path, run_cli):
    config = _project(tmp_path, served.url(""))
    run_cli("fetch", "--config", str(config), "-q")
    run_cli("audit", "--config", str(config), "-q")
    result = run_cli("history", "get73", "--config", str(config))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    v3 = next(i for i, line in enumerate(lines) if line.startswith(f"{NCT} version 3 "))
    assert "2019-05-02  RECRUITING  Study Status, Outcome Measures" in lines[v3]
    assert lines[v3 + 1].startswith("    ") and "primary outcome changed" in " ".join(
        lines[v3 + 1:v3 + 8])
    data = json.loads(run_cli("history", "get73", "--config", str(config), "--json").stdout)
    assert [r["version"] for r in data["registry_versions"]] == list(range(VERSIONS))
