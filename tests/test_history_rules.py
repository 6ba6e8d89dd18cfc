"""The amendment rules and the as-of choice, on the versions of the labelled case
real-nct03418623-outcome-amended-after-start (a real record, earlier versions reconstructed):
what a change of the primary outcome weighs depends on when it was posted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from auditor import sources
from auditor.acquire.history import load_history
from auditor.audit import load_snapshot
from auditor.diff import run_rules
from auditor.models import SourceRef, Subject, stamp
from auditor.rules import Context
from auditor.rules.amendments import chosen_version, timing

CASE = Path(__file__).resolve().parent / "cases" / "real-nct03418623-outcome-amended-after-start"
NCT = "NCT03418623"
SUBJECT = Subject(id="get73", name="GET73")


@pytest.fixture(scope="module")
def record():
    ref = SourceRef(name="ctgov", subject="get73", kind="ctgov", snapshot="ctgov.json")
    snapshot, doc = load_snapshot(CASE, ref)
    claims = stamp(sources.parse("ctgov", doc), subject="get73", ref=ref, snapshot=snapshot,
                   role="registry")
    versions, missing = load_history(CASE, f"ctgov-{NCT}-history", NCT, source="ctgov",
                                     subject="get73")
    assert len(versions) == 5 and not missing
    return claims, {v.version: v for v in versions}


def _amended(claims, versions):
    return [f for f in run_rules(SUBJECT, claims, versions=versions)
            if f.rule == "primary_outcome_amended"]


@pytest.mark.parametrize("posted,severity,when", [
    ("2018-03-01", "info", "before the start (2018-03-08)"),
    ("2019-05-02", "medium", "after the start (2018-03-08)"),
    ("2020-04-01", "high", "after the primary completion date (2020-03-13)")])
def test_a_primary_outcome_change_weighs_more_the_later_it_was_posted(record, posted, severity,
                                                                      when):
    claims, v = record
    found = _amended(claims, [v[0], replace(v[3], date=posted)])
    assert [(f.severity, f.details["timing"]) for f in found] == [(severity, when)]
    assert found[0].details["versions"] == [0, 3]


def test_a_change_after_results_were_posted_is_high():
    assert timing("2021-01-10", "2018-03-08", None, "2020-12-01") == (
        "high", "after results were posted (2020-12-01)")


def test_versions_that_agree_on_the_outcome_make_no_amendment(record):
    claims, v = record
    assert _amended(claims, [v[0], v[1], v[2]]) == []
    assert _amended(claims, [v[3], v[4]]) == []


def test_an_outcome_removed_names_the_version_that_removed_it(record):
    claims, v = record
    without = replace(v[3], claims=[c for c in v[3].claims if c.field != "primary_outcomes"])
    found = _amended(claims, [v[2], without])
    assert [f.details["change"] for f in found] == ["removed"]
    assert found[0].sources[1].locator == "(not stated in version 3 of 2019-05-02)"


@pytest.mark.parametrize("as_of,expected", [
    (None, (0, "the last version before the start on 2018-03-08")),
    ("2018-03-20", (1, "the version in force on 2018-03-20")),
    ("2017-01-01", (0, "the first version: the record was first posted after 2017-01-01")),
    ("2030-01-01", (4, "the version in force on 2030-01-01"))])
def test_the_version_a_paper_is_compared_with(record, as_of, expected):
    claims, v = record
    ctx = Context(subject=SUBJECT, claims=claims, versions=list(v.values()),
                  as_of={"*": as_of} if as_of else {})
    chosen = chosen_version(ctx, "ctgov", list(v.values()))
    assert chosen is not None and (chosen[0].version, chosen[1]) == expected


def test_a_record_first_posted_after_the_start_is_compared_from_its_first_version(record):
    claims, v = record
    late = [replace(v[n], date=f"2018-0{4 + n}-01") for n in range(3)]
    ctx = Context(subject=SUBJECT, claims=claims, versions=late)
    chosen = chosen_version(ctx, "ctgov", late)
    assert chosen is not None and chosen[0].version == 0
    assert chosen[1] == "the first version: the record was first posted after the start on " \
                        "2018-03-08"


def test_a_target_enrollment_changed_before_the_start_is_not_an_amendment(record):
    claims, v = record
    early = [v[0], replace(v[2], date="2018-03-01")]
    assert not [f for f in run_rules(SUBJECT, claims, versions=early)
                if f.rule == "enrollment_amended"]
    assert [f.rule for f in run_rules(SUBJECT, claims, versions=[v[0], v[2]])
            if f.rule == "enrollment_amended"] == ["enrollment_amended"]
