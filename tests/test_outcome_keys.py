"""Outcome keys: the same measure worded differently matches; a different measure that shares
a word does not; the time point is read apart from the measure."""

from __future__ import annotations

import pytest

from auditor.read.outcomes import outcome_key, similarity, time_point

SAME = [
    ("Change From Baseline in HbA1c at Week 40",
     "the change in glycated hemoglobin level from baseline to week 40"),
    ("Progression-free survival", "PFS"),
    ("Overall Survival (OS)", "overall survival"),
    ("Safety: adverse events over 24 months after transplantation", "safety and adverse events"),
    ("安全性：移植後24か月間の有害事象", "safety and adverse events"),
    ("Change from baseline in MDS-UPDRS Part III score in the OFF state",
     "change in MDS-UPDRS Part III OFF score at 12 months"),
    ("Incidence of Treatment-Emergent Adverse Events (Time Frame: up to 104 weeks)",
     "adverse events"),
    ("Low-density lipoprotein cholesterol", "LDL-C"),
    ("Six-minute walk distance", "6MWD"),
]
DIFFERENT = [
    ("30-Day Sustained Abstinence", "7-Day Point Prevalence Abstinence"),
    ("Overall survival", "Progression-free survival"),
    ("MDS-UPDRS Part III OFF", "MDS-UPDRS Part III ON"),
    ("Change in HbA1c", "Change in body weight"),
    ("Tremor rating", "change in MDS-UPDRS part III OFF score"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_the_same_measure_worded_differently_matches(a, b):
    assert similarity(outcome_key(a), outcome_key(b)) >= 60


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_a_different_measure_does_not_match(a, b):
    assert similarity(outcome_key(a), outcome_key(b)) < 60


@pytest.mark.parametrize(("text", "months"), [
    ("HbA1c at week 52", 12.0), ("Week 40", 9.23), ("change over 24 months", 24.0),
    ("(Time Frame: 12 months)", 12.0), ("移植後24か月間の有害事象", 24.0),
    ("30-Day Sustained Abstinence", None), ("Overall survival", None),
])
def test_the_time_point_is_read_apart(text, months):
    got = time_point(text)
    assert (got is None) if months is None else abs(got - months) < 0.1


def test_fifty_two_weeks_and_twelve_months_are_one_time_point():
    a, b = outcome_key("HbA1c at week 52").months, outcome_key("HbA1c at 12 months").months
    assert a and b and abs(a - b) <= 0.05 * max(a, b)


def test_text_outside_the_vocabulary_in_japanese_is_not_comparable():
    assert not outcome_key("歩行速度および転倒回数の推移").comparable
    assert outcome_key("安全性：移植後24か月間の有害事象").comparable
