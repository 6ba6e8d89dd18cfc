"""The prose reader: facts from abstracts and press releases, one sentence per quote."""

from __future__ import annotations

import pytest

from auditor.read.prose import read_prose, sentences


def read(text: str, **kwargs) -> dict:
    return {r.field: r for r in read_prose(text, "abstract", **kwargs)}


@pytest.mark.parametrize("text,field,value", [
    ("Seven patients with Parkinson's disease received cells.", "enrollment", 7),
    ("Twenty-eight participants were enrolled.", "enrollment", 28),
    ("Twelve participants with Parkinson’s disease received cells.", "enrollment", 12),
    ("We enrolled 30 patients.", "enrollment", 30),
    ("In total, n = 14.", "enrollment", 14),
    ("患者七例に移植した。", "enrollment", 7),
    ("被験者７例を対象とした。", "enrollment", 7),
    ("Patients were followed for 24 months.", "follow_up", 24.0),
    ("Patients were followed for two years.", "follow_up", 24.0),
    ("Participants were monitored for 104 weeks after surgery.", "follow_up", 24.0),
    ("観察期間は２年間とした。", "follow_up", 24.0),
    ("There were 73 mild-to-moderate adverse events.", "adverse_events", 73),
    ("There were no serious adverse events.", "serious_adverse_events", 0),
    ("重篤な有害事象は認められなかった。", "serious_adverse_events", 0),
    ("Efficacy was evaluated in six patients.", "sample_size_analysed", 6),
])
def test_reads_a_fact_from_its_sentence(text, field, value):
    reading = read(text)[field]
    assert reading.value == value
    assert reading.quote == text
    assert reading.locator == "abstract, sentence 1"


def test_a_serious_event_count_in_japanese_is_not_an_adverse_event_count():
    found = read("重篤な有害事象が１件報告された。")
    assert found["serious_adverse_events"].value == 1
    assert "adverse_events" not in found


def test_the_first_sentence_that_states_a_field_wins():
    found = read("Seven patients received cells. Later, 12 patients were screened.")
    assert found["enrollment"].value == 7
    assert found["enrollment"].locator == "abstract, sentence 1"


def test_primary_and_secondary_outcomes():
    found = read("The primary outcome was safety and adverse events; secondary outcomes were "
                 "motor symptoms and dopamine production.")
    assert found["primary_outcomes"].value == ["safety and adverse events"]
    assert found["secondary_outcomes"].value == ["motor symptoms and dopamine production"]


def test_design_phase_and_ids_are_gathered_over_the_whole_text():
    found = read("This was an open-label, single-arm phase I/II trial. "
                 "It was registered as jRCT2090220384 and UMIN000033564.")
    assert found["design"].value == ["open-label", "single-arm"]
    assert found["phase"].value == ["1", "2"]
    assert found["identifiers"].value == ["jRCT2090220384", "UMIN000033564"]


@pytest.mark.parametrize("sentence,words", [
    ("This therapy is a proven cure for Parkinson's disease.", ["proven", "cure"]),
    ("It demonstrated efficacy in patients.", ["demonstrated efficacy"]),
    ("画期的な治療法であり、根治が期待される。", ["根治", "画期的"]),
])
def test_claim_language_is_read_only_when_asked(sentence, words):
    assert set(read(sentence, claim_language=True)["claim_language"].value) == set(words)
    assert "claim_language" not in read(sentence)


def test_a_sentence_without_facts_gives_nothing():
    assert read("Parkinson's disease is a neurodegenerative disorder.") == {}


def test_company_abbreviations_do_not_end_a_sentence():
    assert sentences('Sumitomo Pharma Co., Ltd. ("Sumitomo Pharma") announced it. It works.') == [
        'Sumitomo Pharma Co., Ltd. ("Sumitomo Pharma") announced it.', "It works."]


def test_japanese_sentences_split_at_the_full_stop():
    assert sentences("七例に移植した。重篤な有害事象はなかった。") == [
        "七例に移植した。", "重篤な有害事象はなかった。"]
