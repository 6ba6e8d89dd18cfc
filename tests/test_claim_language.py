"""Claim language in every source kind (issue 15): proof, breadth and durability words, and
access taken for validation, in press releases, company pages, regulator notices and papers'
titles and conclusions; negations, hedges and others' claims raise nothing; each finding
quotes the sentence and names the evidence it outruns."""

from __future__ import annotations

import pytest

from auditor import store
from auditor.read.prose import access_as_validation, claim_readings, claim_words

PRESS = "sumitomo-press-release-approval.html"
ANCHOR = "to gather further evidence. "
EVIDENCE = "open-label, single-arm phase 1/2, n = 7, 24 months"


@pytest.mark.parametrize("sentence, words", [
    ("Benefits are durable for years.", ["durable for years"]),
    ("Insurance coverage confirms the clinical value of Amchepry.",
     ["Insurance coverage confirms the clinical value"]),
    ("This confirms the clinical value.", ["confirms the clinical value"]),
    ("Reimbursement validates the therapy.", ["Reimbursement validates"]),
    ("Approval proves efficacy.", ["Approval proves efficacy"]),
    ("The therapy has proven broad functional benefit in Parkinson's disease patients "
     "generally.", ["proven", "broad functional benefit"]),
    ("The cells restore motor function.", ["restore motor"]),
    ("The treatment cures Parkinson's disease.", ["cures"]),
    ("The trial confirmed efficacy.", ["confirmed efficacy"]),
    ("有効性が実証された。", ["実証"]),
    ("確認された有効性を示す。", ["確認された有効性"]),
    ("パーキンソン病を根治する。", ["根治"]),
    ("保険適用により臨床的価値が裏付けられた。", ["保険適用により臨床的価値が裏付け"]),
])
def test_claims_are_read(sentence, words):
    assert claim_words(sentence) == words


@pytest.mark.parametrize("sentence", [
    "The therapy is not proven.",
    "The therapy may improve motor symptoms.",
    "The company claims the therapy is proven.",
    "According to the sponsor, the benefit is durable for years.",
    "Seven patients cannot carry more than seven patients can carry.",
    "Japanese reimbursement is an access and implementation signal.",
    "It should not be treated as clinical validation.",
    "Coverage is access, not validation.",
    "But payment is not proof.",
    "Seven people cannot establish broad efficacy for Parkinson's disease.",
    "根治ではない。",
    "根治の可能性がある。",
])
def test_negations_hedges_and_others_claims_raise_nothing(sentence):
    assert claim_words(sentence) == []


def test_access_words_are_told_apart_from_proof_words():
    words = claim_words("Approval proves it is a cure.")
    assert access_as_validation(words) == ["Approval proves"]
    assert "cure" in words


def test_claim_readings_quote_the_sentence_with_its_place():
    [r] = claim_readings([("承認された。本承認により有効性が実証された。", "p[2]")])
    assert r.quote == "本承認により有効性が実証された。"
    assert r.locator == "p[2], sentence 2"


def _overclaims(dossier):
    result = dossier.audit()
    assert result.exit_code in (0, 1), result.output
    return [f for f in store.findings(store.open_db(dossier.db), status="open")
            if f["rule"] == "overclaim"]


def test_the_dossier_as_shipped_has_no_overclaim(dossier):
    assert _overclaims(dossier) == []


def test_planted_coverage_as_validation_gives_one_medium_finding(dossier):
    planted = "Insurance coverage confirms the clinical value of Amchepry."
    dossier.edit(PRESS, ANCHOR, f"{ANCHOR}{planted} ")
    [f] = _overclaims(dossier)
    assert f["severity"] == "medium"
    assert [s["quote"] for s in f["sources"]] == [planted]
    assert f["sources"][0]["source"] == "sumitomo-press"
    assert EVIDENCE in f["message"]
    assert "access for validation" in f["message"]


@pytest.mark.parametrize("planted", [
    "The benefits are durable for years.",
    "This confirms the clinical value of the therapy.",
    "Amchepry has proven broad functional benefit in Parkinson's disease patients generally.",
])
def test_planted_proof_words_in_the_press_release(dossier, planted):
    dossier.edit(PRESS, ANCHOR, f"{ANCHOR}{planted} ")
    [f] = _overclaims(dossier)
    assert f["sources"][0]["quote"] == planted
    assert EVIDENCE in f["message"]


@pytest.mark.parametrize("planted", [
    "Its benefit is not proven.",
    "The therapy may improve motor symptoms.",
    "Critics say the company claims the benefits are durable for years.",
])
def test_planted_hedged_or_negated_sentences_raise_nothing(dossier, planted):
    dossier.edit(PRESS, ANCHOR, f"{ANCHOR}{planted} ")
    assert _overclaims(dossier) == []


def test_a_regulator_notice_taking_approval_for_proof(dossier):
    dossier.edit("pmda-approval-raguneprocel.html", "</table>",
                 "</table>\n<p>本承認により有効性が実証された。</p>")
    [f] = _overclaims(dossier)
    assert f["sources"][0]["source"] == "pmda-approval"
    assert f["sources"][0]["quote"] == "本承認により有効性が実証された。"
    assert "regulator notice" in f["message"] and EVIDENCE in f["message"]


def test_a_papers_title_and_conclusion_are_read_but_not_its_results(dossier):
    crossref = "crossref-10.1038_s41586-025-08700-0.json"
    # in the results (not the last sentence): not the paper's claim
    dossier.edit(crossref, "The 18F-DOPA influx", "The response was durable. The 18F-DOPA influx")
    assert _overclaims(dossier) == []
    # the concluding sentence
    dossier.edit(crossref, "The trial was registered as jRCT2090220384.",
                 "The trial was registered as jRCT2090220384. The cells restore motor function.")
    [f] = _overclaims(dossier)
    assert f["sources"][0]["source"] == "crossref"
    assert f["sources"][0]["quote"] == "The cells restore motor function."
    # the title
    dossier.edit("pubmed-40240591.xml", "<ArticleTitle>Phase I/II trial",
                 "<ArticleTitle>A proven cure: phase I/II trial")
    found = {f["sources"][0]["source"] for f in _overclaims(dossier)}
    assert found == {"crossref", "pubmed"}
