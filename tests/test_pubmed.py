"""PubMed efetch XML → readings: the reconstructed Amchepry record and indexed-record inputs."""

from pathlib import Path

import pytest
from readings import one

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import pubmed

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "auditor/demo/amchepry/pubmed-40240591.xml"
INPUTS = Path(__file__).parent / "inputs/pubmed"
ABSTRACT = "PubmedArticle/MedlineCitation/Article/Abstract/AbstractText"
TYPES = "PubmedArticle/MedlineCitation/Article/PublicationTypeList/PublicationType"


def doc(path: Path) -> Document:
    return Document(path.read_bytes(), "text/xml; charset=UTF-8", source=path.name)


def by(readings, field, locator_start=""):
    return one(readings, field, locator_start)


@pytest.fixture(scope="module")
def amchepry():
    return pubmed.parse(doc(FIXTURE))


@pytest.mark.parametrize("field, value, quote_part, locator", [
    ("enrollment", 7, "Seven patients with Parkinson's disease (aged 50-69 years) received",
     f"{ABSTRACT}, sentence 2"),
    ("follow_up", 24.0, "Patients were followed for 24 months.", f"{ABSTRACT}, sentence 3"),
    ("serious_adverse_events", 0, "There were no serious adverse events",
     f"{ABSTRACT}, sentence 5"),
    ("adverse_events", 73, "73 mild-to-moderate adverse events", f"{ABSTRACT}, sentence 5"),
    ("sample_size_analysed", 6, "Efficacy was evaluated in six patients",
     f"{ABSTRACT}, sentence 6"),
    ("title", "Phase I/II trial of iPS-cell-derived dopaminergic cells for Parkinson's disease.",
     "Phase I/II trial", "PubmedArticle/MedlineCitation/Article/ArticleTitle"),
    ("publication_date", "2025-04-16", "2025 04 16",
     "PubmedArticle/MedlineCitation/Article/ArticleDate[@DateType='Electronic']"),
    ("conflicts_of_interest",
     ("Competing interests: Several authors received collaborative research funding from "
     "Sumitomo Pharma. One author is an employee of Sumitomo Pharma."),
     "employee of Sumitomo Pharma", "MedlineCitation/CoiStatement"),
])
def test_amchepry_fields(amchepry, field, value, quote_part, locator):
    reading = by(amchepry, field)
    assert reading.value == value
    assert quote_part in reading.quote
    assert reading.locator == locator


@pytest.mark.parametrize("locator, value, quote", [
    (ABSTRACT, ["1", "2"], "We report a phase I/II, open-label, single-arm trial"),
    (TYPES, ["1", "2"], "Clinical Trial, Phase I; Clinical Trial, Phase II"),
])
def test_phase_from_abstract_and_publication_types(amchepry, locator, value, quote):
    reading = by(amchepry, "phase", locator)
    assert reading.value == value
    assert reading.quote.startswith(quote)


@pytest.mark.parametrize("qualifier, value, locator", [
    ("self", ["PMID:40240591", "DOI:10.1038/s41586-025-08700-0"],
     "MedlineCitation/PMID, PubmedData/ArticleIdList"),
    ("cited", ["jRCT2090220384"], ABSTRACT),
])
def test_amchepry_identifiers(amchepry, qualifier, value, locator):
    [reading] = [r for r in amchepry if r.field == "identifiers" and r.qualifier == qualifier]
    assert reading.value == value
    assert reading.locator == locator


def test_amchepry_design_and_absent_fields(amchepry):
    assert by(amchepry, "design").value == ["open-label", "single-arm"]
    fields = {r.field for r in amchepry}
    assert not fields & {"funding", "publication_notices", "status", "sponsor"}


@pytest.fixture(scope="module")
def indexed():
    return pubmed.parse(doc(INPUTS / "structured-indexed.xml"))


@pytest.mark.parametrize("field, locator, value", [
    ("enrollment", f"{ABSTRACT}[@Label='METHODS'], sentence 1", 40),
    ("follow_up", f"{ABSTRACT}[@Label='METHODS'], sentence 2", 12.0),
    ("serious_adverse_events", f"{ABSTRACT}[@Label='RESULTS'], sentence 2", 2),
    ("phase", TYPES, ["3"]),
    ("publication_date", "PubmedArticle/MedlineCitation/Article/Journal/JournalIssue/PubDate",
     "2024-03"),
    ("funding", "PubmedArticle/MedlineCitation/Article/GrantList/Grant/Agency",
     ["Example Institute", "Example Foundation"]),
    ("title", "PubmedArticle/MedlineCitation/Article/ArticleTitle",
     "An example randomized trial."),
])
def test_structured_abstract_and_indexing(indexed, field, locator, value):
    reading = by(indexed, field, locator)
    assert reading.locator == locator
    assert reading.value == value


def test_publication_types_and_abstract_give_one_design_reading(indexed):
    reading = by(indexed, "design")
    assert reading.value == ["blinded", "controlled", "randomised"]
    assert reading.quote.endswith(" | Randomized Controlled Trial")
    assert reading.locator.endswith(f"; {TYPES}")


@pytest.mark.parametrize("types, tags", [
    (["Randomized Controlled Trial"], ["controlled", "randomised"]),
    (["Controlled Clinical Trial"], None),  # given to some single-arm studies
    (["Clinical Trial"], None),  # indexers tag some non-trials so: it says nothing of the design
])
def test_a_publication_type_alone_tags_only_randomisation(types, tags):
    found = [r for r in pubmed.publication_type_readings(types, TYPES) if r.field == "design"]
    assert (found[0].value if found else None) == tags


def _article_with(title: str, abstract: str, types: list[str], grant: str = "") -> Document:
    body = (f"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
            f"<ArticleTitle>{title}</ArticleTitle><Abstract>{abstract}</Abstract>"
            + (f"<GrantList><Grant><Agency>{grant}</Agency></Grant></GrantList>" if grant else "")
            + "<PublicationTypeList>"
            + "".join(f"<PublicationType>{t}</PublicationType>" for t in types)
            + "</PublicationTypeList></Article></MedlineCitation></PubmedArticle>"
              "</PubmedArticleSet>")
    return Document(body.encode(), "text/xml", source="t")


def test_a_review_reports_no_trial_facts():
    found = {r.field for r in pubmed.parse(_article_with(
        "Statins: systematic review and meta-analysis",
        "<AbstractText Label=\"RESULTS\">62 trials with 120 456 participants were included; "
        "randomised controlled trials compared statins with placebo.</AbstractText>",
        ["Journal Article", "Systematic Review"], grant="NIA NIH HHS"))}
    assert not found & {"enrollment", "design", "funding", "follow_up", "primary_outcomes"}
    assert "identifiers" in found


def test_structured_sections_decide_what_a_sentence_states():
    readings = pubmed.parse(_article_with(
        "Drug X versus placebo: a randomised controlled trial",
        "<AbstractText Label=\"BACKGROUND\" NlmCategory=\"BACKGROUND\">In previous trials 900 "
        "patients were randomized.</AbstractText>"
        "<AbstractText Label=\"METHODS\" NlmCategory=\"METHODS\">We randomly assigned 322 "
        "patients to drug X or placebo.</AbstractText>"
        "<AbstractText Label=\"MAIN OUTCOMES AND MEASURES\" NlmCategory=\"METHODS\">Time to "
        "relapse; change in body weight.</AbstractText>"
        "<AbstractText Label=\"FUNDING\">Wellcome Trust.</AbstractText>",
        ["Journal Article", "Randomized Controlled Trial"]))
    assert (by(readings, "enrollment").value, by(readings, "enrollment").qualifier) == (
        322, "randomised")
    assert by(readings, "primary_outcomes").value == ["time to relapse", "change in body weight"]
    assert by(readings, "funding").value == ["Wellcome Trust"]
    assert by(readings, "design").value == ["controlled", "randomised"]


@pytest.mark.parametrize("qualifier, value, quote", [
    ("self", ["PMID:99999999", "PMC9999999"], "PMID 99999999; pmc PMC9999999"),
    ("cited", ["NCT09999999", "UMIN999999999"],
     "ClinicalTrials.gov: NCT09999999; JPRN: UMIN999999999"),
])
def test_databank_accessions_are_cited_ids(indexed, qualifier, value, quote):
    [reading] = [r for r in indexed if r.field == "identifiers" and r.qualifier == qualifier]
    assert (reading.value, reading.quote) == (value, quote)


def test_errata_and_retractions_are_notices_comments_are_not(indexed):
    reading = by(indexed, "publication_notices")
    assert [(n["type"], n["pmid"], n["doi"]) for n in reading.value] == [
        ("correction", "PMID:99999991", "DOI:10.5555/example-erratum"),
        ("retraction", "PMID:99999992", None),
    ]
    assert "CommentIn" not in reading.quote


@pytest.mark.parametrize("field, quote", [
    ("publication_date", "unknown"),
    ("phase", "Clinical Trial, Phase"),
    ("conflicts_of_interest", ""),
])
def test_present_but_unreadable_is_none(field, quote):
    reading = by(pubmed.parse(doc(INPUTS / "unreadable.xml")), field)
    assert reading.value is None
    assert reading.quote == quote


@pytest.mark.parametrize("body, message", [
    (b"<PubmedArticleSet><PubmedArticle>", "malformed XML"),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><PubmedArticleSet/>", "XML refused"),
    (b"<eSearchResult><Count>0</Count></eSearchResult>", "not a PubMed efetch document"),
    (b"<PubmedArticleSet></PubmedArticleSet>", "expected one PubmedArticle, found 0"),
])
def test_bad_documents_raise_parse_error_naming_the_source(body, message):
    with pytest.raises(ParseError, match=message) as info:
        pubmed.parse(Document(body, "text/xml", source="pubmed-test"))
    assert str(info.value).startswith("pubmed-test:")


@pytest.mark.parametrize("path, expected", [
    (FIXTURE, True),
    (ROOT / "auditor/demo/amchepry/europepmc-40240591.json", False),
])
def test_detect(path, expected):
    assert pubmed.detect(doc(path)) is expected
