"""A desk's review of findings through the CLI, on a private copy of the Amchepry dossier:
dismissals hold while the evidence is unchanged, stop failing the audit, and reopen (saying
why) when a cited snapshot changes; [[ignore]] entries drop noise from reports and counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner, Result

from auditor import store
from auditor.cli import cli
from tests.conftest import Dossier

PIPELINE = "sumitomo-pipeline.html"
PRESS = "sumitomo-press-release-approval.html"


@pytest.fixture
def dossier(dossier: Dossier) -> Dossier:
    """The dossier with one medium finding left (the pipeline's U.S. phase against the
    registrations): the desk has switched coi_omitted off, so a review of that one finding
    decides the exit code."""
    with dossier.config.open("a", encoding="utf-8") as f:
        f.write("\n[rules.coi_omitted]\nenabled = false\n")
    return dossier


def run(dossier: Dossier, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--config", str(dossier.config)])


def listed(dossier: Dossier, *args: str) -> list[dict[str, Any]]:
    result = run(dossier, "findings", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["findings"]


def medium(dossier: Dossier) -> dict[str, Any]:
    """The dossier's one medium finding (the pipeline says phase 1/2 in the U.S. where the
    registrations say phase 1): the one that makes a plain audit exit 1."""
    [found] = [f for f in listed(dossier) if f["severity"] == "medium"]
    return found


def touch_snapshot(dossier: Dossier, name: str, marker: str) -> None:
    """Change a snapshot's bytes (so its sha256) without changing what it says."""
    path = dossier.snapshot(name)
    path.write_bytes(path.read_bytes() + f"\n<!-- {marker} -->\n".encode())


def test_a_dismissal_holds_over_later_audits_and_reopens_when_the_evidence_changes(dossier):
    assert dossier.audit("-q").exit_code == 1  # the medium finding fails the default fail_on
    target = medium(dossier)
    done = run(dossier, "review", target["id"][:7], "--dismiss", "--note",
               "no U.S. trial is expected before 2027", "--by", "ana")
    assert done.exit_code == 0, done.output
    assert f"{target['id']}: dismissed by ana" in done.output

    # two later audits: one re-reads the subject (another snapshot changed), one carries it
    touch_snapshot(dossier, PRESS, "unrelated edit")
    for _ in range(2):
        audited = dossier.audit("-q")
        assert audited.exit_code == 0, audited.output
    assert target["id"] not in {f["id"] for f in listed(dossier)}
    [dismissed] = listed(dossier, "--status", "dismissed")
    assert dismissed["id"] == target["id"] and dismissed["status"] == "dismissed"
    assert dismissed["review"]["note"] == "no U.S. trial is expected before 2027"
    assert dismissed["review"]["reviewer"] == "ana"
    assert target["id"] in {f["id"] for f in listed(dossier, "--status", "all")}
    audited = dossier.audit("--json")
    assert target["id"] not in {f["id"] for f in json.loads(audited.output)["findings"]}
    assert dossier.audit("--new-only", "-q").exit_code == 0

    # the snapshot the finding quotes changes: it reopens, says why, and fails again
    touch_snapshot(dossier, PIPELINE, "re-fetched")
    audited = dossier.audit("--new-only", "-q")
    assert audited.exit_code == 1, audited.output
    reopened = medium(dossier)
    assert reopened["id"] == target["id"] and reopened["status"] == "open"
    assert reopened["review"]["decision"] == "reopened"
    assert reopened["review"]["note"].startswith("evidence changed since it was dismissed")
    assert "no U.S. trial is expected before 2027" in reopened["review"]["note"]
    assert listed(dossier, "--status", "dismissed") == []
    # and the reopening happens once: the next audit keeps it open without a new review
    dossier.audit("-q")
    db = sqlite_utils.Database(dossier.db)
    assert [r["decision"] for r in db["reviews"].rows_where(order_by="rowid")] == \
        ["dismissed", "reopened"]


def test_confirmed_and_contested_findings_stay_open_and_counted(dossier):
    dossier.audit("-q")
    target = medium(dossier)
    assert run(dossier, "review", target["id"], "--contest", "--note",
               "the sponsor says a U.S. IND is filed").exit_code == 0
    assert dossier.audit("-q").exit_code == 1
    assert medium(dossier)["status"] == "contested"
    assert [f["id"] for f in listed(dossier, "--status", "contested")] == [target["id"]]
    assert run(dossier, "review", target["id"], "--confirm", "--note", "checked").exit_code == 0
    assert medium(dossier)["status"] == "confirmed"
    assert run(dossier, "review", target["id"], "--reopen").exit_code == 0
    assert medium(dossier)["status"] == "open"
    assert medium(dossier)["review"]["decision"] == "reopened"


def test_review_errors_say_what_to_do(dossier):
    dossier.audit("-q")
    target = medium(dossier)
    cases = [
        (["review", target["id"][:4], "--dismiss", "--note", "x"], "at least 6 characters"),
        (["review", "ffffffffff", "--dismiss", "--note", "x"], "no finding with id"),
        (["review", target["id"], "--note", "x"], "--dismiss, --confirm"),
        (["review", target["id"], "--dismiss"], "give --note TEXT"),
    ]
    for args, words in cases:
        result = run(dossier, *args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output, result.output
    assert medium(dossier)["status"] == "open"
    assert not sqlite_utils.Database(dossier.db)["reviews"].count


def test_ambiguous_prefix_names_the_candidates(dossier):
    dossier.audit("-q")
    db = store.open_db(dossier.db)
    ids = [r[0] for r in db.execute("select id from findings")]
    # two stored ids sharing a 6-character prefix (made so by renaming one)
    db.execute("update findings set id = ? where id = ?", [ids[0][:6] + "0" * 10, ids[0]])
    db.execute("update findings set id = ? where id = ?", [ids[0][:6] + "1" * 10, ids[1]])
    db.conn.commit()
    result = run(dossier, "review", ids[0][:6], "--dismiss", "--note", "x")
    assert result.exit_code == 2 and "ambiguous" in result.output, result.output
    assert ids[0][:6] + "0" * 10 in result.output


def test_a_dismissed_finding_that_goes_away_is_resolved(dossier):
    dossier.audit("-q")
    target = medium(dossier)
    run(dossier, "review", target["id"], "--dismiss", "--note", "noise")
    dossier.edit(PIPELINE, "U.S.", "Japan")  # the U.S. programme line no longer says U.S.
    dossier.audit("-q")
    [row] = [f for f in listed(dossier, "--status", "all") if f["id"] == target["id"]]
    assert row["status"] == "resolved"


def test_digest_and_report_show_the_review(dossier, tmp_path):
    dossier.audit("-q")
    target = medium(dossier)
    run(dossier, "review", target["id"], "--dismiss", "--note", "known gap", "--by", "ana")
    report = run(dossier, "report", "amchepry").output
    assert "## Dismissed on review (1)" in report
    assert "Dismissed by ana on" in report and "known gap" in report
    html = run(dossier, "report", "amchepry", "--format", "html").output
    assert "Dismissed on review (1)" in html and "known gap" in html
    digest = tmp_path / "digest.md"
    dossier.audit("-q", "--digest", str(digest))
    assert "1 dismissed on review, not counted" in digest.read_text(encoding="utf-8")
    touch_snapshot(dossier, PIPELINE, "changed")
    dossier.audit("-q", "--digest", str(digest))
    text = digest.read_text(encoding="utf-8")
    assert "pipeline (reopened)" in text
    assert "review: Reopened by auditor" in text and "evidence changed since it was dismissed" \
        in text


def add_ignore(dossier: Dossier, body: str) -> None:
    with dossier.config.open("a", encoding="utf-8") as f:
        f.write(f"\n[[ignore]]\n{body}\n")


def test_ignore_rules_drop_findings_from_reports_and_counts(dossier):
    dossier.audit("-q")
    target = medium(dossier)
    add_ignore(dossier, f'rule = "{target["rule"]}"\nsource = "sumitomo-pipeline"\n'
                        'reason = "the desk tracks U.S. programmes elsewhere"')
    audited = dossier.audit()
    assert audited.exit_code == 0, audited.output
    assert "1 ignored by config" in audited.output
    assert target["id"] not in {f["id"] for f in listed(dossier, "--status", "all")
                                if f["status"] != "resolved"}
    assert all(f["rule"] != target["rule"] or f["status"] == "resolved"
               for f in listed(dossier, "--status", "all"))


def test_ignore_by_finding_id_prefix(dossier):
    dossier.audit("-q")
    target = medium(dossier)
    add_ignore(dossier, f'finding = "{target["id"][:8]}"\nreason = "reviewed in 2026"')
    assert dossier.audit("-q").exit_code == 0
    assert target["id"] not in {f["id"] for f in listed(dossier)}


def test_ignore_entries_are_validated(dossier):
    original = dossier.config.read_text(encoding="utf-8")
    for body, words in [('rule = "pipeline_without_registration"', "reason"),
                        ('reason = "why"', "at least one of rule, field, source or finding"),
                        ('rule = "no_such_rule"\nreason = "why"', "is not a rule"),
                        ('rule = "x"\nreason = "why"\ncolour = "red"', "unknown key")]:
        dossier.config.write_text(original, encoding="utf-8")
        add_ignore(dossier, body)
        result = dossier.audit("-q")
        assert result.exit_code == 2, (body, result.output)
        assert words in result.output, result.output
        assert "config.toml" in result.output
