"""Outcome keys: the same measure worded differently matches; a different measure that shares
a word does not; the time point is read apart from the measure."""

from __future__ import annotations

import pytest

from auditor.diff import judge
from auditor.models import Claim, Subject
from auditor.read.outcomes import (
    abbreviations,
    outcome_key,
    per_parameter,
    same_time,
    similarity,
    time_point,
)

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


# --- pharmacokinetic parameters ------------------------------------------------------------

PK_LIST = ("plasma pharmacokinetic parameters (Ctau, Cmax, and AUC0-tau) of cabotegravir and "
           "rilpivirine after subcutaneous and after intramuscular injection")
NESTED_FRAME = ("(Cycle 1: Pre-dose (within 4 hours prior to infusion on Day 1) and 0.5, 3, 6, 24, "
                "72, and 168 hours after end of infusion; Subsequent cycles: Pre-dose (within 4 "
                "hours prior to infusion) and 0.5 hours after end of infusion on Day 1 and Day 15)")


def best(registered: str, reported: str, defined: dict[str, str] | None = None) -> float:
    """How well one parameter of a reported PK list matches a registered outcome."""
    return max(similarity(outcome_key(registered, defined), key)
               for _, key in per_parameter(outcome_key(reported, defined)))


@pytest.mark.parametrize("text", [
    "AUC0-tau", "AUC(0-tau)", "AUC[0-tau]", "AUC0-inf", "AUCinf", "AUClast", "AUC0-24h",
    "Area under the plasma concentration-time curve", "Area Under Serum Concentration-time Curve",
    "area under the concentration versus time curve",
])
def test_every_way_of_writing_an_auc_is_the_auc(text):
    assert outcome_key(text).words == {"auc", "pk"}


@pytest.mark.parametrize(("text", "parameter"), [
    ("Trough Serum Concentration (Ctrough)", "ctrough"),
    ("Concentrations at the end of the dosing interval (Ctau)", "ctrough"),
    ("pre-dose concentrations", "ctrough"),
    ("Maximum Serum Concentration (Cmax)", "cmax"),
    ("peak plasma concentrations", "cmax"),
    ("Terminal Half-life (t1/2)", "t_half"),
    ("Clearance (CL)", "clearance"),
    ("Volume of Distribution", "vd"),
    ("time to maximum plasma concentration (Tmax)", "tmax"),
])
def test_a_pk_parameter_written_out_or_abbreviated_is_one_name(text, parameter):
    assert outcome_key(text).words == {parameter, "pk"}


def test_a_japanese_list_of_pk_parameters_is_one_outcome_per_parameter():
    parts = per_parameter(outcome_key("薬物動態（最高血中濃度、血中濃度-時間曲線下面積、半減期）"))
    assert [label for label, _ in parts] == ["AUC", "Cmax", "t1/2"]
    assert all(key.comparable for _, key in parts)
    assert best("Maximum Plasma Concentration (Cmax)",
                "薬物動態（最高血中濃度、血中濃度-時間曲線下面積）") >= 60


@pytest.mark.parametrize(("text", "words"), [
    ("Maximum iberdomide concentration (Cmax)", {"cmax", "iberdomide", "pk"}),
    ("Time to maximum iberdomide plasma concentration (Tmax)", {"tmax", "iberdomide", "pk"}),
    ("Area under the iberdomide plasma concentration-time curve from time zero to tau",
     {"auc", "iberdomide", "zero", "tau", "pk"}),
    ("Cmax,0130, SS: Maximum Plasma Concentration of NNC0519-0130 After the Last Dose in Each "
     "Treatment Period in the S.C. Study Part", {"cmax", "nnc0519", "ss", "last", "dose",
                                                "treatment", "part", "sc_route", "pk"}),
])
def test_a_parameter_spelt_out_around_the_analyte_keeps_the_analyte(text, words):
    assert outcome_key(text).words == words


def test_the_words_that_spell_a_parameter_do_not_change_the_measure():
    """'maximum' changes a measure ('peak dose' is not 'mean dose'), but not a Cmax."""
    assert similarity(outcome_key("Maximum iberdomide concentration (Cmax)"),
                      outcome_key("Cmax of iberdomide")) >= 60
    assert similarity(outcome_key("Pharmacokinetics (PK): Serum Trough Concentrations of "
                                  "LY3454738"), outcome_key("Ctrough of LY3454738")) >= 60


def test_creatinine_clearance_is_a_laboratory_value_not_a_pk_clearance():
    assert similarity(outcome_key("Creatinine clearance"), outcome_key("Clearance (CL) of X")) < 60


def test_a_list_of_pk_parameters_is_one_outcome_per_parameter():
    parts = per_parameter(outcome_key(PK_LIST))
    assert [label for label, _ in parts] == ["AUC", "Cmax", "Ctrough"]
    assert per_parameter(outcome_key("Cmax of X")) == [("", outcome_key("Cmax of X"))]


@pytest.mark.parametrize("registered", [
    "Concentrations at the end of the dosing interval (Ctau) of CAB LA and RPV LA following "
    "administration of SC injection (Week 4: Pre-dose; Week 8: Pre-dose and Week 12: Pre-dose)",
    "Maximum plasma concentration (Cmax) CAB LA and RPV LA following administration of SC "
    "injection (Week 1; Week 5 and Week 9)",
    "AUC(0-tau) of CAB LA and RPV LA following administration of IM injection (Up to Week 17)",
])
def test_each_registered_parameter_of_a_listed_pk_outcome_is_matched(registered):
    defined = {"CAB": "cabotegravir", "RPV": "rilpivirine", "LA": "Long-Acting"}
    assert best(registered, PK_LIST, defined) >= 60


@pytest.mark.parametrize("registered", [
    f"Trough Serum Concentration (Ctrough) of FPA144 {NESTED_FRAME}",
    f"Area Under Serum Concentration-time Curve (AUC) of FPA144 {NESTED_FRAME}",
    f"Volume of Distribution of FPA144 {NESTED_FRAME}",
])
def test_a_long_nested_time_frame_does_not_block_a_parameter_match(registered):
    reported = ("pharmacokinetic parameters of FPA144 (AUC, Cmax, trough concentration, "
                "clearance, terminal half-life and volume of distribution)")
    assert best(registered, reported) >= 60


@pytest.mark.parametrize(("a", "b"), [
    ("Maximum plasma concentration (Cmax) of drug X after SC injection",
     "Area under the plasma concentration-time curve (AUC0-tau) of drug X after SC injection"),
    ("Ctrough of drug X", "Cmax of drug X"),
    ("Cmax of drug X following subcutaneous injection",
     "Cmax of drug X following intramuscular injection"),
])
def test_a_different_pk_parameter_or_route_is_a_different_measure(a, b):
    assert similarity(outcome_key(a), outcome_key(b)) < 60


def test_a_listed_parameter_does_not_match_a_registered_parameter_outside_the_list():
    assert best("Clearance (CL) of drug X", "pharmacokinetic parameters (Cmax and AUC) of drug "
                "X") < 60


def test_a_pk_sampling_schedule_is_the_span_of_times_it_lists():
    registered = outcome_key("Ctau of X (Week 4: Pre-dose; Week 8: Pre-dose and Week 12: Pre-dose)")
    assert same_time(registered, outcome_key("Ctau of X at week 12")) is True
    assert same_time(registered, outcome_key("Ctau of X at week 10")) is True
    assert same_time(outcome_key("HbA1c (Week 4; Week 8 and Week 12)"),
                     outcome_key("HbA1c at week 10")) is False  # an efficacy visit is a time
    nested = outcome_key(f"Cmax of FPA144 {NESTED_FRAME}")
    assert same_time(nested, outcome_key("Cmax of FPA144 on day 15")) is True
    assert same_time(registered, outcome_key("Ctau of X at week 48")) is False


# --- the rule on PK outcomes: a match never hides a switch ---------------------------------

def outcome_claim(source: str, role: str, field: str, values: list[str]) -> Claim:
    return Claim(field=field, value=values, quote="; ".join(values), locator="here",
                 subject="s", source=source, source_kind="ctgov" if role == "registry"
                 else "pubmed", role=role, url=f"https://example.org/{source}",
                 snapshot_sha256="0" * 64)


def switches(registered: list[str], reported: list[str]) -> list[tuple[str, str]]:
    found = judge(Subject(id="s", name="drug X"), [
        outcome_claim("reg", "registry", "primary_outcomes", registered),
        outcome_claim("paper", "publication", "primary_outcomes", reported)]).findings
    return sorted((f.details.get("category", ""), f.message) for f in found
                  if f.rule == "outcome_switching")


def test_a_paper_reporting_cmax_only_against_a_registered_auc_only_is_a_switch():
    found = switches(["Area under the plasma concentration-time curve (AUC0-inf) of drug X"],
                     ["maximum plasma concentration (Cmax) of drug X"])
    assert [category for category, _ in found] == ["registered primary not reported",
                                                   "reported primary not registered"]


def test_a_paper_listing_the_registered_parameters_is_no_switch():
    assert switches(["Cmax of drug X (Day 1)", "AUC(0-tau) of drug X (Day 1)",
                     "Trough concentration of drug X (Day 1)"],
                    ["pharmacokinetic parameters (Cmax, AUC0-tau and Ctrough) of drug X"]) == []


def test_a_listed_parameter_that_was_never_registered_is_reported_as_such():
    found = switches(["Cmax of drug X", "AUC of drug X"],
                     ["pharmacokinetic parameters (Cmax, AUC and Tmax) of drug X"])
    assert len(found) == 1
    category, message = found[0]
    assert category == "reported primary not registered" and "[Tmax]" in message


def test_pharmacokinetics_named_generally_covers_the_registered_parameters():
    """'The primary endpoints were safety and pharmacokinetics': less specific, not switched."""
    assert switches(["Maximum Serum Concentration (Cmax) of drug X", "AUC(0-tau) of drug X"],
                    ["pharmacokinetics of drug X"]) == []


def test_a_registered_parameter_missing_from_the_paper_list_is_reported_as_such():
    found = switches(["Pharmacokinetic parameters (Cmax, AUC and half-life) of drug X"],
                     ["pharmacokinetic parameters (Cmax and AUC) of drug X"])
    assert len(found) == 1
    category, message = found[0]
    assert category == "registered primary not reported" and "[t1/2]" in message
