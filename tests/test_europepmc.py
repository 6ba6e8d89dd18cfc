"""Europe PMC core search results → readings: the reconstructed Amchepry record and inputs."""

import json
from pathlib import Path

import pytest
from readings import one

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import europepmc

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "auditor/demo/amchepry/europepmc-40240591.json"
INPUTS = Path(__file__).parent / "inputs/europepmc"
R = "$.resultList.result[0]"


def doc(path: Path) -> Document:
    return Document(path.read_bytes(), "application/json;charset=UTF-8", source=path.name)


def by(readings, field, locator_start=""):
    return one(readings, field, locator_start)


@pytest.fixture(scope="module")
def amchepry():
    return europepmc.parse(doc(FIXTURE))


@pytest.mark.parametrize("field, value, quote_part, locator", [
    ("enrollment", 7, "Seven patients with Parkinson's disease", f"{R}.abstractText, sentence 2"),
    ("follow_up", 24.0, "Patients were followed for 24 months.", f"{R}.abstractText, sentence 3"),
    ("adverse_events", 73, "73 mild-to-moderate adverse events", f"{R}.abstractText, sentence 5"),
    ("serious_adverse_events", 0, "no serious adverse events", f"{R}.abstractText, sentence 5"),
    ("sample_size_analysed", 6, "evaluated in six patients", f"{R}.abstractText, sentence 6"),
    ("publication_date", "2025-04-16", "2025-04-16", f"{R}.firstPublicationDate"),
    ("title", "Phase I/II trial of iPS-cell-derived dopaminergic cells for Parkinson's disease.",
     "Phase I/II", f"{R}.title"),
    ("design", ["open-label", "single-arm"], "open-label, single-arm", f"{R}.abstractText"),
])
def test_amchepry_fields(amchepry, field, value, quote_part, locator):
    reading = by(amchepry, field)
    assert (reading.value, reading.locator) == (value, locator)
    assert quote_part in reading.quote


def test_inline_markup_is_read_as_text(amchepry):
    outcomes = by(amchepry, "secondary_outcomes")
    assert outcomes.value == ["motor symptoms (MDS-UPDRS part III in the OFF and ON states)",
                              "dopamine production (18F-DOPA PET) over 24 months"]


@pytest.mark.parametrize("qualifier, value", [
    ("self", ["PMID:40240591", "DOI:10.1038/s41586-025-08700-0"]),
    ("cited", ["jRCT2090220384"]),
])
def test_amchepry_identifiers(amchepry, qualifier, value):
    [reading] = [r for r in amchepry if r.field == "identifiers" and r.qualifier == qualifier]
    assert reading.value == value


def test_phase_from_publication_types(amchepry):
    reading = by(amchepry, "phase", f"{R}.pubTypeList")
    assert reading.value == ["1", "2"]
    assert reading.quote == "Clinical Trial, Phase I; Clinical Trial, Phase II"


@pytest.fixture(scope="module")
def indexed():
    return europepmc.parse(doc(INPUTS / "structured-indexed.json"))


@pytest.mark.parametrize("field, locator, value", [
    ("enrollment", f"{R}.abstractText <h4>Methods</h4>, sentence 1", 40),
    ("follow_up", f"{R}.abstractText <h4>Methods</h4>, sentence 2", 12.0),
    ("serious_adverse_events", f"{R}.abstractText <h4>Results</h4>, sentence 1", 2),
    ("design", f"{R}.title; {R}.abstractText <h4>Methods</h4>; {R}.pubTypeList.pubType[]",
     ["blinded", "controlled", "randomised"]),
    ("phase", f"{R}.pubTypeList.pubType[]", ["3"]),
    ("funding", f"{R}.grantsList.grant[].agency", ["Example Institute", "Example Foundation"]),
    ("publication_date", f"{R}.journalInfo.printPublicationDate", "2024-03-01"),
    ("title", f"{R}.title", "An example randomized trial."),
])
def test_structured_record(indexed, field, locator, value):
    reading = by(indexed, field, locator)
    assert (reading.locator, reading.value) == (locator, value)


def test_identifiers_self_and_cited(indexed):
    ids = {r.qualifier: r.value for r in indexed if r.field == "identifiers"}
    assert ids == {"self": ["PMID:99999999", "PMC9999999", "DOI:10.5555/example-paper"],
                   "cited": ["NCT09999999"]}


def test_errata_and_concerns_are_notices_comments_are_not(indexed):
    reading = by(indexed, "publication_notices")
    assert [(n["type"], n["pmid"]) for n in reading.value] == [
        ("correction", "PMID:99999991"), ("expression_of_concern", "PMID:99999993")]
    assert "Comment in" not in reading.quote


@pytest.mark.parametrize("field, quote", [
    ("publication_date", "not a date"),
    ("phase", "Clinical Trial, Phase"),
])
def test_present_but_unreadable_is_none(field, quote):
    reading = by(europepmc.parse(doc(INPUTS / "unreadable.json")), field)
    assert (reading.value, reading.quote) == (None, quote)


@pytest.mark.parametrize("body, message", [
    (b'{"resultList": {"result": [', "malformed JSON"),
    (b'{"message-type": "work", "message": {}}', "not a Europe PMC search response"),
    ((INPUTS / "two-results.json").read_bytes(), "returned 2 records; narrow the query"),
    ((INPUTS / "no-results.json").read_bytes(), "returned 0 records"),
])
def test_bad_documents_raise_parse_error_naming_the_source(body, message):
    with pytest.raises(ParseError, match=message) as info:
        europepmc.parse(Document(body, "application/json", source="epmc-test"))
    assert str(info.value).startswith("epmc-test:")


@pytest.mark.parametrize("path, expected", [
    (FIXTURE, True),
    (ROOT / "auditor/demo/amchepry/crossref-10.1038_s41586-025-08700-0.json", False),
    (ROOT / "fixtures/bluerock/ctgov-NCT04802733.json", False),
])
def test_detect(path, expected):
    assert europepmc.detect(doc(path)) is expected


def test_a_review_states_no_trial_facts_but_keeps_its_ids():
    body = json.dumps({"resultList": {"result": [{
        "pmid": "1", "title": "Immune evasion in cancer: mechanisms",
        "abstractText": "This review addresses how cancers evade immune surveillance. "
                        "Randomized controlled trials of checkpoint inhibitors are discussed.",
        "pubTypeList": {"pubType": ["review-article", "Review", "Journal Article"]},
        "grantsList": {"grant": [{"agency": "National Natural Science Foundation of China"}]},
    }]}}).encode()
    readings = europepmc.parse(Document(body, "application/json", source="e"))
    assert {r.field for r in readings} == {"identifiers", "title"}
