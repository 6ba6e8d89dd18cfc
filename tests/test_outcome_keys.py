"""Outcome keys: the same measure worded differently matches; a different measure that shares
a word does not; the time point is read apart from the measure."""

from __future__ import annotations

import pytest

from auditor.read.outcomes import abbreviations, outcome_key, same_time, similarity, time_point

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


@pytest.mark.parametrize(("a", "b", "same"), [
    ("HbA1c at week 52", "HbA1c at 12 months", True),
    ("NRS (One month)", "NRS at 4 weeks", True),
    ("attacks per week at weeks 9–12 and at weeks 21–24", "attacks at week 21-24 (24 weeks)", True),
    ("BCVA at week 44", "BCVA (At Week 36)", False),
])
def test_time_points_that_are_one_and_that_differ(a, b, same):
    assert same_time(outcome_key(a), outcome_key(b)) is same


def test_text_outside_the_vocabulary_in_japanese_is_not_comparable():
    assert not outcome_key("歩行速度および転倒回数の推移").comparable
    assert outcome_key("安全性：移植後24か月間の有害事象").comparable


@pytest.mark.parametrize(("a", "b"), [
    ("EASI-50", "EASI-75"),
    ("Eczema Area and Severity Index (EASI) 75", "EASI-50"),
    ("Incidence of adverse events", "Discontinuation due to adverse events"),
    ("peak dose of verapamil", "verapamil mean total dose"),
    ("attack frequency", "attack intensity"),
])
def test_measures_a_word_or_number_makes_different(a, b):
    assert similarity(outcome_key(a), outcome_key(b)) < 60


def test_a_misspelt_long_word_still_matches():
    assert similarity(outcome_key("Number of Participants With Repsonse to Treatment"),
                      outcome_key("response to treatment")) >= 60


def test_abbreviations_the_sources_define_are_expanded():
    defined = abbreviations(["The mean attack frequency (MAF) over the last 4 weeks",
                             "best-corrected visual acuity (BCVA; ETDRS letters)",
                             "improvement in EASI (EASI-50)"])
    assert defined["MAF"] == "mean attack frequency"
    assert defined["BCVA"] == "best-corrected visual acuity"
    assert "EASI-50" not in defined
    assert similarity(outcome_key("MAF (6 months)", defined),
                      outcome_key("mean weekly attack frequency at 26 weeks")) >= 60
