"""The whole pipeline on the Amchepry dossier: snapshots → claims → findings in SQLite."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from auditor import store

SOURCES = ["jrct-ja", "jrct-en", "crossref", "pubmed", "mhlw-price", "mhlw-price-xlsx",
           "mhlw-notice",
           "pmda-approval", "sumitomo-pipeline", "sumitomo-press",
           "umin-ja", "ctgov-NCT06482268", "ctgov-NCT06753331"]


def claims(db_path, field, source=None):
    db = sqlite_utils.Database(db_path)
    where = "field = ?" + (" and source = ?" if source else "")
    return [json.loads(r["value"]) for r in db["claims"].rows_where(
        where, [field, source] if source else [field])]


def open_findings(db_path):
    return store.findings(store.open_db(db_path), status="open")


def test_default_audit_reads_every_source_and_matches_the_briefing(dossier):
    result = dossier.audit()
    assert result.exit_code in (0, 1), result.output
    db = sqlite_utils.Database(dossier.db)
    assert {r["source"] for r in db.query("select distinct source from claims")} == set(SOURCES)
    assert set(claims(dossier.db, "enrollment")) == {7}
    assert set(claims(dossier.db, "follow_up")) == {24.0}
    assert set(claims(dossier.db, "adverse_events")) == {73}
    assert set(claims(dossier.db, "serious_adverse_events")) == {0}
    [price] = claims(dossier.db, "price", "mhlw-price")
    assert price == {"amount": 55306737, "currency": "JPY", "pack": "18 vials",
                     "effective_date": "2026-05-20"}
    for tags in claims(dossier.db, "approval", "pmda-approval"):
        assert {"conditional", "time-limited"} <= set(tags)
    [conditions] = claims(dossier.db, "approval_conditions", "pmda-approval")
    assert conditions == {"time_limit_years": 7, "post_marketing_n": 35,
                          "post_marketing_design": ["use-results survey"]}
    assert set(claims(dossier.db, "approval_date")) == {"2026-03-06"}
    [dose] = claims(dossier.db, "dose", "pubmed")
    assert dose == [{"min": 2.1e6, "max": 2.6e6, "basis": "per hemisphere", "arm": "low"}]
    [tacrolimus] = claims(dossier.db, "immunosuppression", "sumitomo-press")
    assert tacrolimus == {"drugs": ["tacrolimus"], "months": 12.0}
    verdicts = {r["field"]: r["verdict"] for r in db["comparisons"].rows}
    assert verdicts["follow_up"] == verdicts["dose"] == "consistent"
    # the U.S. trial's planned 7 is another trial's: not compared with the Kyoto trial's
    assert verdicts["enrollment"] == "partly compared"


def test_every_finding_has_quotes_or_a_named_absence(dossier):
    dossier.audit()
    for f in open_findings(dossier.db):
        quoted = [s for s in f["sources"] if s["quote"]]
        absent = [s for s in f["sources"]
                  if not s["quote"] and "not stated" in (s["locator"] or "")]
        assert quoted, f
        assert len(quoted) >= 2 or absent, f


PLANTED = [
    pytest.param("jrct-jRCT2090220384-en.html",
                 "<th class=\"w-25\">Target Sample Size</th><td>7</td>",
                 "<th class=\"w-25\">Target Sample Size</th><td>8</td>", "enrollment",
                 "enrollment_mismatch", "mismatch", ["8", "Seven patients"], id="registry-n-8"),
    pytest.param("crossref-10.1038_s41586-025-08700-0.json",
                 "primary outcome was safety and adverse events",
                 "primary outcome was the change in MDS-UPDRS part III OFF score",
                 "primary_outcomes", "outcome_switching", "mismatch",
                 ["change in MDS-UPDRS part III OFF score", "Motor symptoms (MDS-UPDRS part III)"],
                 id="paper-primary-endpoint"),
]


@pytest.mark.parametrize("file,old,new,field,rule,kind,quotes", PLANTED)
def test_planted_discrepancy_is_found_with_both_quotes(dossier, file, old, new, field, rule,
                                                       kind, quotes):
    dossier.edit(file, old, new)
    result = dossier.audit()
    assert result.exit_code == 1, result.output
    found = [f for f in open_findings(dossier.db)
             if f["field"] == field and f["rule"] == rule and f["kind"] == kind]
    assert found, [f["message"] for f in open_findings(dossier.db)]
    all_quotes = " ".join(s["quote"] or "" for f in found for s in f["sources"])
    for q in quotes:
        assert q in all_quotes


def test_registered_primary_not_reported_when_paper_switches(dossier):
    dossier.edit("crossref-10.1038_s41586-025-08700-0.json",
                 "primary outcome was safety and adverse events",
                 "primary outcome was the change in MDS-UPDRS part III OFF score")
    dossier.audit()
    missing = [f for f in open_findings(dossier.db) if f["rule"] == "outcome_switching"
               and f["details"]["category"] == "registered primary not reported"]
    assert missing and missing[0]["sources"][0]["source"] == "jrct-en"
    assert "Safety: adverse events over 24 months" in missing[0]["sources"][0]["quote"]


@pytest.mark.parametrize("file,old,new", [
    ("crossref-10.1038_s41586-025-08700-0.json", "over 24 months", "over 2 years"),
    ("crossref-10.1038_s41586-025-08700-0.json", "over 24 months", "over 104 weeks"),
    ("crossref-10.1038_s41586-025-08700-0.json", "Seven patients", "7 patients"),
    ("jrct-jRCT2090220384-en.html", "<td>7</td>", "<td>７</td>"),
])
def test_equivalent_values_in_other_units_or_forms_are_not_findings(dossier, file, old, new):
    dossier.audit()
    before = {f["id"] for f in open_findings(dossier.db)}
    dossier.edit(file, old, new)
    dossier.audit()
    after = open_findings(dossier.db)
    assert not [f for f in after if f["id"] not in before and f["rule"] != "source_changed"], \
        [f["message"] for f in after if f["id"] not in before]


def test_two_audits_give_the_same_findings_and_no_duplicates(dossier):
    dossier.audit()
    first = {f["id"] for f in open_findings(dossier.db)}
    dossier.audit()
    second = {f["id"] for f in open_findings(dossier.db)}
    assert first == second
    db = sqlite_utils.Database(dossier.db)
    assert db["findings"].count == len(first)
    assert db["runs"].count == 2


def test_an_edit_resolves_the_old_finding_and_opens_the_new_one(dossier):
    dossier.edit("jrct-jRCT2090220384-en.html", "Size</th><td>7</td>", "Size</th><td>8</td>")
    dossier.audit()
    old = [f for f in open_findings(dossier.db) if f["rule"] == "enrollment_mismatch"]
    dossier.audit()
    dossier.edit("jrct-jRCT2090220384-en.html", "Size</th><td>8</td>", "Size</th><td>9</td>")
    dossier.audit()
    db = store.open_db(dossier.db)
    assert db["findings"].get(old[0]["id"])["status"] == "resolved"
    new = [f for f in open_findings(dossier.db) if f["rule"] == "enrollment_mismatch"]
    assert new and new[0]["id"] != old[0]["id"]
    assert "9" in json.dumps([s["value"] for s in new[0]["sources"]])
    changed = [f for f in open_findings(dossier.db) if f["rule"] == "source_changed"]
    assert any("was 8 participants, now 9 participants" in f["message"] for f in changed)


def test_second_audit_with_nothing_changed_reuses_parsed_claims(dossier):
    dossier.audit()
    db = sqlite_utils.Database(dossier.db)
    count = db["claims"].count
    dossier.audit()
    assert db["claims"].count == count


def test_an_unchanged_subject_is_not_parsed_again(dossier, tmp_path):
    from auditor.audit import run_audit
    from auditor.config import load_config

    config = load_config(dossier.config)
    db = store.open_db(dossier.db)
    first = run_audit(config, db)
    second = run_audit(config, db)
    assert (first.skipped, second.skipped) == (0, 1)
    assert {f.id for f in first.findings} == {f.id for f in second.findings}
    assert second.new == [] and second.resolved == []
    dossier.edit("jrct-jRCT2090220384-en.html", "Size</th><td>7</td>", "Size</th><td>8</td>")
    third = run_audit(config, db)
    assert third.skipped == 0 and third.new


def test_a_rule_setting_change_rechecks_the_subject(dossier):
    from auditor.audit import run_audit
    from auditor.config import load_config

    db = store.open_db(dossier.db)
    run_audit(load_config(dossier.config), db)
    dossier.config.write_text(dossier.config.read_text() +
                              "\n[rules.analysed_fewer_than_enrolled]\nenabled = false\n")
    result = run_audit(load_config(dossier.config), db)
    assert result.skipped == 0
    assert not [f for f in result.findings if f.rule == "analysed_fewer_than_enrolled"]
    assert result.resolved


def test_stale_after_days_from_config_reaches_the_stale_registry_rule(tmp_path):
    from auditor.config import config_from_dict
    from auditor.diff import run_rules
    from auditor.models import Claim, Subject

    def claim(field, value, role, source):
        return Claim(field=field, value=value, quote=str(value), locator="x", subject="s",
                     source=source, source_kind="ctgov" if role == "registry" else "crossref",
                     role=role, url="u", snapshot_sha256="h")

    claims = [claim("status", "ACTIVE_NOT_RECRUITING", "registry", "reg"),
              claim("completion_date", "2024-01-01", "registry", "reg"),
              claim("publication_date", "2024-09-01", "publication", "paper")]
    subject = Subject(id="s", name="S")
    lenient = config_from_dict({"auditor": {"stale_after_days": 365}, "subjects": []})
    strict = config_from_dict({"auditor": {"stale_after_days": 30}, "subjects": []})
    assert not [f for f in run_rules(subject, claims, lenient)
                if f.rule == "registry_status_stale"]
    assert [f for f in run_rules(subject, claims, strict) if f.rule == "registry_status_stale"]


def test_history_lists_what_each_run_opened_and_resolved(dossier, run_cli):
    dossier.audit()
    dossier.edit("jrct-jRCT2090220384-en.html", "Size</th><td>7</td>", "Size</th><td>8</td>")
    dossier.audit()
    dossier.edit("jrct-jRCT2090220384-en.html", "Size</th><td>8</td>", "Size</th><td>7</td>")
    dossier.audit()
    result = run_cli("history", "amchepry", "--config", str(dossier.config), "--json")
    events = json.loads(result.stdout)["events"]
    mismatch = [(e["run"], e["event"]) for e in events if e["rule"] == "enrollment_mismatch"]
    assert [event for _, event in mismatch] == ["new", "resolved"]
    assert mismatch[0][0] != mismatch[1][0]


def test_a_severity_set_in_config_wins_over_the_rules_own(dossier):
    from auditor.audit import run_audit
    from auditor.config import load_config

    dossier.edit("jrct-jRCT2090220384-en.html", "Size</th><td>7</td>", "Size</th><td>8</td>")
    db = store.open_db(dossier.db)
    result = run_audit(load_config(dossier.config), db)
    [f] = [f for f in result.findings if f.rule == "enrollment_mismatch"]
    assert f.severity == "medium"  # planned vs actual: the rule lowers its default "high"
    dossier.config.write_text(dossier.config.read_text() +
                              '\n[rules.enrollment_mismatch]\nseverity = "low"\n')
    result = run_audit(load_config(dossier.config), db)
    assert [f.severity for f in result.findings if f.rule == "enrollment_mismatch"] == ["low"]
