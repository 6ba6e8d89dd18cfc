"""Crossref /works records → readings: the reconstructed Nature records, a correction notice
and a paper whose record says it was retracted."""

import json
from pathlib import Path

import pytest
from readings import one

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import crossref

ROOT = Path(__file__).parent.parent
AMCHEPRY = ROOT / "auditor/demo/amchepry/crossref-10.1038_s41586-025-08700-0.json"
BLUEROCK = ROOT / "fixtures/bluerock/crossref-10.1038_s41586-025-08845-y.json"
INPUTS = Path(__file__).parent / "inputs/crossref"
PAPER = "DOI:10.1038/s41586-025-08700-0"


def doc(path: Path) -> Document:
    return Document(path.read_bytes(), "application/json", source=path.name)


def by(readings, field, qualifier=None):
    return one(readings, field, qualifier=qualifier)


@pytest.fixture(scope="module")
def amchepry():
    return crossref.parse(doc(AMCHEPRY))


@pytest.mark.parametrize("field, qualifier, value, quote_part, locator", [
    ("identifiers", "self", [PAPER], "DOI 10.1038/s41586-025-08700-0", "message.DOI"),
    ("identifiers", "cited", ["jRCT2090220384"], "registered as jRCT2090220384",
     "message.abstract"),
    ("publication_date", None, "2025-04-16", "published: [[2025, 4, 16]]", "message.published"),
    ("enrollment", "treated", 7, "Seven patients", "message.abstract, sentence 2"),
    ("follow_up", None, 24.0, "followed for 24 months", "message.abstract, sentence 3"),
    ("adverse_events", None, 73, "73 mild-to-moderate adverse events",
     "message.abstract, sentence 5"),
    ("serious_adverse_events", None, 0, "no serious adverse events",
     "message.abstract, sentence 5"),
    ("phase", None, ["1", "2"], "phase I/II, open-label", "message.abstract, sentence 1"),
    ("design", None, ["open-label", "single-arm"], "open-label, single-arm", "message.abstract"),
    ("title", None, ("Phase I/II trial of iPS-cell-derived dopaminergic cells for Parkinson\u2019s "
     "disease"), "Phase I/II trial", "message.title"),
])
def test_amchepry_record(amchepry, field, qualifier, value, quote_part, locator):
    reading = by(amchepry, field, qualifier)
    assert (reading.value, reading.locator) == (value, locator)
    assert quote_part in reading.quote


def test_jats_title_is_not_read_as_prose(amchepry):
    assert not any(r.quote.startswith("Abstract") for r in amchepry)
    assert not [r for r in amchepry if r.field == "publication_notices"]


def test_bluerock_record():
    got = {(r.field, r.qualifier): r.value for r in crossref.parse(doc(BLUEROCK))}
    assert got == {
        ("identifiers", "self"): ["DOI:10.1038/s41586-025-08845-y"],
        ("identifiers", "cited"): ["NCT04802733"],
        ("enrollment", "treated"): 12,
        ("phase", None): ["1"],
        ("design", None): ["open-label"],
        ("follow_up", "total"): 18.0,
    }


@pytest.mark.parametrize("path, notices, locator, quote", [
    (INPUTS / "correction-notice.json",
     [{"type": "correction", "doi": "DOI:10.5555/example-correction-1", "pmid": None,
       "citation": None, "updates": PAPER, "date": "2025-09-01"}],
     "message.update-to", f"correction DOI:10.5555/example-correction-1 of {PAPER}"),
    # updated-by and relation name the same retraction: one notice, not two
    (INPUTS / "retracted-paper.json",
     [{"type": "retraction", "doi": "DOI:10.5555/example-retraction-1", "pmid": None,
       "citation": None, "updates": PAPER, "date": "2026-01-15"}],
     "message.updated-by", "retraction DOI:10.5555/example-retraction-1"),
])
def test_update_notices(path, notices, locator, quote):
    reading = by(crossref.parse(doc(path)), "publication_notices")
    assert (reading.value, reading.locator, reading.quote) == (notices, locator, quote)


def test_relation_alone_gives_a_notice(tmp_path):
    text = (INPUTS / "retracted-paper.json").read_text(encoding="utf-8")
    body = text.replace('"updated-by"', '"x-updated-by"').encode()
    reading = by(crossref.parse(Document(body, "application/json", source="r")),
                 "publication_notices")
    assert reading.value == [{"type": "retraction", "doi": "DOI:10.5555/example-retraction-1",
                              "pmid": None, "citation": None, "updates": PAPER, "date": None}]
    assert reading.locator == "message.relation.is-retracted-by"


def test_present_but_unreadable_date_is_none():
    body = b'{"status": "ok", "message-type": "work", "message": {"DOI": "10.5555/x", ' \
           b'"published": {"date-parts": [[null]]}}}'
    reading = by(crossref.parse(Document(body, "application/json", source="c")),
                 "publication_date")
    assert (reading.value, reading.quote) == (None, "published: [[None]]")


@pytest.mark.parametrize("body, message", [
    (b'{"status": "ok", "message": ', "malformed JSON"),
    (b'{"status": "ok", "message-type": "work"}', "not a Crossref work record"),
    (b'"Resource not found."', "not a Crossref work record"),
])
def test_bad_documents_raise_parse_error_naming_the_source(body, message):
    with pytest.raises(ParseError, match=message) as info:
        crossref.parse(Document(body, "application/json", source="crossref-test"))
    assert str(info.value).startswith("crossref-test:")


@pytest.mark.parametrize("path, expected", [
    (AMCHEPRY, True),
    (ROOT / "auditor/demo/amchepry/europepmc-40240591.json", False),
])
def test_detect(path, expected):
    assert crossref.detect(doc(path)) is expected


def _work(title: str, abstract: str, funders: list[str]) -> Document:
    body = json.dumps({"status": "ok", "message-type": "work", "message": {
        "DOI": "10.5555/x", "title": [title], "abstract": f"<jats:p>{abstract}</jats:p>",
        "funder": [{"name": f} for f in funders]}}).encode()
    return Document(body, "application/json", source="c")


def test_a_meta_analysis_states_no_trial_facts():
    readings = crossref.parse(_work(
        "A Meta-Analysis of 39 Randomized Controlled Trials Enrolling 5442 Patients",
        "Thirty-nine papers including 5442 patients were included in this study.",
        ["National Natural Science Foundation of China"]))
    assert {r.field for r in readings} == {"identifiers", "title"}


def test_a_trial_keeps_its_funders_and_counts():
    readings = crossref.parse(_work(
        "A Randomised, Double-Blinded, Placebo-Controlled, Parallel Study of Vitamin D3",
        "We randomized 175 subjects who received the drug (n = 140) or placebo (n = 35). "
        "Total duration of the study was 12 weeks.", ["SMB Laboratories"]))
    got = {r.field: (r.value, r.qualifier) for r in readings}
    assert got["funding"] == (["SMB Laboratories"], None)
    assert got["enrollment"] == (175, "randomised")
    assert got["follow_up"] == (2.77, "total")
    assert got["design"] == (["blinded", "controlled", "randomised"], None)


def test_a_notice_type_no_source_word_names_stays_as_written(tmp_path):
    """'clarification' is not guessed to be a correction: it stays unknown to the rule."""
    text = (INPUTS / "correction-notice.json").read_text(encoding="utf-8")
    body = text.replace('"type": "correction"', '"type": "clarification"').encode()
    reading = by(crossref.parse(Document(body, "application/json", source="c")),
                 "publication_notices")
    assert reading.value[0]["type"] == "clarification"


def test_deposited_trial_numbers_are_cited_registrations_and_make_it_a_trial():
    """ESMO Open 2020, the LEMON study (shared/reference-formats, real): no abstract deposited,
    clinical-trial-number 'nct03797326' as deposited. The registrations are cited (not the
    paper's own ids), in the registry's spelling; the title gives the phase; the funder is read
    because a deposited registration says the paper reports a trial."""
    from pathlib import Path

    path = Path("/work/shared/reference-formats/crossref-work-10.1136_esmoopen-2020-000776.json")
    if not path.exists():
        pytest.skip("shared reference formats not mounted")
    readings = crossref.parse(Document(path.read_bytes(), "application/json", source="lemon"))
    cited = [r for r in readings if r.field == "identifiers" and r.qualifier == "cited"]
    assert cited[0].value == ["NCT03797326", "NCT04008797"]
    assert by(readings, "phase").value == ["2"]
    assert by(readings, "funding").value == ["Japan Agency for Medical Research and Development"]
