"""JATS full text (Europe PMC fullTextXML, PLOS, PMC OA nxml) → readings, on the real records
in tests/real/jats: the front matter, the abstract read as PubMed's, and the body by section."""

from pathlib import Path

import pytest
from readings import one

from auditor import sources
from auditor.acquire.fetch import NEEDS_URL, url_for
from auditor.acquire.saving import EXTENSIONS
from auditor.errors import ConfigError, ParseError
from auditor.read.documents import Document
from auditor.read.prose import TRIAL_FIELDS
from auditor.sources import jats

REAL = Path(__file__).parent / "real"
PLOS = REAL / "jats/PLOS__allofplos"
EPMC = REAL / "jats/JonasHeinickeBio__pyEuropePMC"
NXML = REAL / "jats/titipata__pubmed_parser"
META = "front/article-meta"


def doc(path: Path) -> Document:
    return Document(path.read_bytes(), "application/xml", source=path.name)


def parsed(path: Path):
    return jats.parse(doc(path))


@pytest.fixture(scope="module")
def depression():  # PLOS Medicine 2013: acupuncture and counselling, ISRCTN63787732
    return parsed(PLOS / "journal.pmed.1001518.xml")


@pytest.fixture(scope="module")
def leprosy():  # PLOS NTD 2011: phase 2 RCT, methods without subsections
    return parsed(PLOS / "journal.pntd.0001041.xml")


@pytest.fixture(scope="module")
def rituximab():  # PLOS ONE 2011: phase II RCT, NCT00848692
    return parsed(PLOS / "journal.pone.0026358.xml")


@pytest.fixture(scope="module")
def tramadol():  # Europe PMC fullTextXML (Wiley): crossover trial, NCT01304069
    return parsed(EPMC / "PMC13254492.xml")


def ids(readings, qualifier):
    [reading] = [r for r in readings if r.field == "identifiers" and r.qualifier == qualifier]
    return reading.value


# --- detection and errors -------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted((REAL / "jats").glob("*/*.xml"))
                         + sorted((REAL / "jats").glob("*/*.nxml")), ids=lambda p: p.name)
def test_every_sample_is_detected_as_jats(path):
    assert jats.detect(doc(path))
    assert sources.detect(doc(path)) == "jats"


@pytest.mark.parametrize("path", [next((REAL / "pubmed").glob("*/*.xml")),
                                  next((REAL / "ctgov_xml").glob("*/*.xml"))],
                         ids=lambda p: p.parent.parent.name)
def test_other_xml_formats_are_not_jats(path):
    assert not jats.detect(doc(path))
    with pytest.raises(ParseError, match="not a JATS article"):
        jats.parse(doc(path))


def test_malformed_xml_is_a_parse_error_and_not_detected():
    body = (PLOS / "journal.pmed.1001518.xml").read_bytes()[:5000]  # cut mid-element
    broken = Document(body, "application/xml", source="cut.xml")
    assert not jats.detect(broken)
    with pytest.raises(ParseError, match="cut.xml: malformed XML"):
        jats.parse(broken)


@pytest.mark.parametrize("body, message", [
    (b"<?xml version='1.0'?><root><article/></root>", "not a JATS article"),
    (b"<article><body><p>No front matter.</p></body></article>", "no front/article-meta"),
    (b"<html><body><article><p>A blog post</p></article></body></html>", "not a JATS article"),
])
def test_non_jats_xml_is_refused(body, message):
    d = Document(body, "application/xml", source="other.xml")
    assert not jats.detect(d)
    with pytest.raises(ParseError, match=f"other.xml: .*{message}"):
        jats.parse(d)


def test_an_efetch_pmc_articleset_of_one_article_is_read():
    body = (b"<pmc-articleset><article><front><article-meta>"
            b"<article-id pub-id-type='pmc'>1234567</article-id>"
            b"<title-group><article-title>A trial</article-title></title-group>"
            b"</article-meta></front></article></pmc-articleset>")
    d = Document(body, "application/xml", source="efetch.xml")
    assert jats.detect(d)
    assert one(jats.parse(d), "identifiers").value == ["PMC1234567"]


def test_registered_after_europepmc_and_before_pubmed_with_an_xml_extension():
    kinds = list(sources.KINDS)
    assert kinds.index("europepmc") < kinds.index("jats") < kinds.index("pubmed")
    assert sources.role_of("jats") == "publication"
    assert EXTENSIONS["jats"] == ".xml"
    assert "jats" not in NEEDS_URL


def test_url_is_europepmc_full_text_of_a_pmcid():
    assert url_for("jats", "PMC1234567") == (
        "https://www.ebi.ac.uk/europepmc/webservices/rest/PMC1234567/fullTextXML")
    assert url_for("jats", "pmc1234567", bases={"europepmc": "http://127.0.0.1:9/rest"}) == (
        "http://127.0.0.1:9/rest/PMC1234567/fullTextXML")
    with pytest.raises(ConfigError, match="not a PMCID; give .* like PMC"):
        url_for("jats", "10.1371/journal.pmed.1001518")


# --- front matter ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    (EPMC / "PMC13254492.xml", ["PMC13254492", "PMID:42272128", "DOI:10.1111/bcpt.70261"]),
    (EPMC / "10_1186_s12943-025-02501-9.xml",  # a bare number as pmcid
     ["PMC12625062", "PMID:41250091", "DOI:10.1186/s12943-025-02501-9"]),
    (PLOS / "journal.pmed.1001518.xml", ["DOI:10.1371/journal.pmed.1001518"]),
    (NXML / "mds526.nxml", ["PMID:23149571", "PMC3574550", "DOI:10.1093/annonc/mds526"]),
], ids=lambda x: x.name if isinstance(x, Path) else "")
def test_own_identifiers(path, expected):
    reading = one(parsed(path), "identifiers", qualifier="self")
    assert reading.value == expected
    assert reading.locator == f"{META}/article-id"


@pytest.mark.parametrize("path, date, locator", [
    (PLOS / "journal.pmed.1001518.xml", "2013-09-24", "pub-date[@pub-type='epub']"),
    (NXML / "mds526.nxml", "2012-11-12", "pub-date[@pub-type='epub']"),  # not ppub 2013-03
    (EPMC / "PMC13254492.xml", "2026-06-10", "pub-date"),  # untyped in Europe PMC's copy
], ids=lambda x: x.name if isinstance(x, Path) else "")
def test_publication_date_is_the_electronic_one(path, date, locator):
    reading = one(parsed(path), "publication_date")
    assert (reading.value, reading.locator) == (date, f"{META}/{locator}")


def test_title(depression):
    assert one(depression, "title").value == (
        "Acupuncture and Counselling for Depression in Primary Care: A Randomised Controlled "
        "Trial")


@pytest.mark.parametrize("fixture, statement, locator", [
    ("depression", "The authors have declared that no competing interests exist.",
     f"{META}/author-notes/fn[1][@fn-type='conflict']"),
    ("tramadol", "The authors declare no conflicts of interest.",
     "body/sec[6] 'Conflicts of Interest'"),
])
def test_conflicts_of_interest_statement(request, fixture, statement, locator):
    reading = one(request.getfixturevalue(fixture), "conflicts_of_interest")
    assert (reading.value, reading.quote, reading.locator) == (statement, statement, locator)


def test_conflicts_from_a_back_matter_note_and_a_disclosure_section():
    review = one(parsed(EPMC / "10_1186_s12943-025-02501-9.xml"), "conflicts_of_interest")
    assert review.value.startswith("MJA has financial interest in Libera Bio, Inc")
    assert "Competing interests" in review.locator
    registry = one(parsed(NXML / "mds526.nxml"), "conflicts_of_interest")
    assert registry.value == "The authors have declared no conflicts of interest."


@pytest.mark.parametrize("fixture, funders, locator", [
    ("depression", ["National Institute for Health Research (NIHR)"],
     f"{META}/funding-group/funding-statement, sentence 1"),
    ("leprosy", ["LEPRA", "American Leprosy Mission",
                 "Special Trustees of the Hospital for Tropical Diseases, London",
                 "Geoffrey Dowling Fellowship of the British Association of Dermatologists"],
     f"{META}/funding-group/funding-statement, sentence 1"),
    ("rituximab", ["Helse Vest", "legacy of Torstein Hereid"],
     f"{META}/funding-group/funding-statement, sentence 1"),
    ("tramadol", ["Hospital District of Southwest Finland, Finland"],
     "body/sec[5] 'Funding', sentence 1"),
])
def test_funders_from_the_funding_statement_or_section(request, fixture, funders, locator):
    reading = one(request.getfixturevalue(fixture), "funding")
    assert (reading.value, reading.locator) == (funders, locator)


@pytest.mark.parametrize("sentence, funders", [
    ("The funders had no role in study design, data collection and analysis.", []),
    ("The authors received no specific funding for this work.", []),
    ("Funding: The authors have no support or funding to report.", []),
    ("This study was funded by the Wellcome Trust (grant 091234/Z/10/Z) and Novartis.",
     ["Wellcome Trust", "Novartis"]),
])
def test_statement_funders(sentence, funders):
    assert jats.statement_funders(sentence) == funders


# --- abstract and body ----------------------------------------------------------------------

def test_abstract_and_methods_primary_outcomes_are_both_read(depression):
    abstract = one(depression, "primary_outcomes", qualifier="abstract")
    assert abstract.locator == f"{META}/abstract[2]/sec[2] 'Methods and Findings', sentence 3"
    assert abstract.quote.startswith("The primary outcome was the difference in mean Patient")
    body = one(depression, "primary_outcomes", qualifier="full text")
    assert body.value == ["PHQ-9 at 3 months"]
    assert (body.quote, body.locator) == (
        "Our primary outcome measure was the PHQ-9 at 3 months.",  # '[15]' dropped
        "body/sec[@sec-type='methods']/sec[5] 'Outcome Measures', sentence 1")


def test_abstract_counts_are_not_read_again_from_the_body(depression):
    reading = one(depression, "enrollment")
    assert (reading.value, reading.qualifier) == (755, "enrolled")
    assert reading.locator.startswith(f"{META}/abstract[2]/sec[2] 'Methods and Findings'")


def test_lay_and_editors_summaries_are_not_the_abstract(depression):
    assert not [r for r in depression if "abstract[1]" in r.locator or "abstract[3]" in r.locator]


def test_outcomes_of_methods_without_subsections(leprosy):
    assert not [r for r in leprosy if r.qualifier == "abstract"]  # the abstract names none
    primary = one(leprosy, "primary_outcomes", qualifier="full text")
    assert primary.value == ["frequency of adverse events in the two treatment arms"]
    assert primary.locator.startswith("body/sec[@sec-type='methods'] 'Methods', sentence ")
    secondary = one(leprosy, "secondary_outcomes", qualifier="full text")
    assert secondary.locator == "body/sec[@sec-type='methods'] 'Methods', list 2"
    assert secondary.value == [
        "change in the clinical severity score derived from the validated Clinical Severity "
        "Scale at days 4, 29, 113 and 337",
        "change in clinical nerve function impairment determined using the validated Clinical "
        "Severity Scale at days 4, 29, 113 and 337",
        "time to the next steroid requiring reactional episode or acute nerve function "
        "impairment",
        "the amount of supplementary prednisolone required in addition to the reducing 16 week "
        "regimen"]


def test_follow_up_from_the_methods_when_the_abstract_gives_none(leprosy):
    reading = one(leprosy, "follow_up")
    assert reading.value == pytest.approx(11.1, abs=0.05)
    assert reading.quote == ("The total duration of the study was 337 days from entry into the "
                             "trial.")
    assert reading.locator.startswith("body/sec[@sec-type='methods'] 'Methods'")


def test_enrollment_from_the_methods_participants_not_the_sample_size(tramadol):
    reading = one(tramadol, "enrollment")
    assert (reading.value, reading.qualifier) == (12, "enrolled")
    assert reading.locator == "body/sec[2]/sec[1] 'Study Subjects', sentence 1"
    assert reading.quote == "We enrolled 12 healthy non-smoking subjects to this study."


def test_design_gathers_title_abstract_and_methods(tramadol, depression):
    design = one(tramadol, "design")
    assert design.value == ["blinded", "controlled", "randomised"]
    assert "body/sec[2]/sec[2] 'Study Design'" in design.locator
    # 'an open parallel-arm randomised controlled trial': open, as its label in tests/real says
    assert one(depression, "design").value == ["controlled", "open-label", "randomised"]


def test_cited_registry_ids_of_abstract_and_methods_not_of_the_discussion(rituximab):
    # NCT01156909 and NCT01156922 (follow-on studies) are cited in the discussion only
    assert ids(rituximab, "cited") == ["NCT00848692", "EUCTR2007-007973-22"]


@pytest.mark.parametrize("fixture, cited", [
    ("depression", ["ISRCTN63787732"]),
    ("leprosy", ["ISRCTN31894035"]),
    ("tramadol", ["NCT01304069", "EUCTR2010-023373-19"]),  # 'EudraCT no.: 2010‐023373‐19'
])
def test_cited_registry_ids(request, fixture, cited):
    assert ids(request.getfixturevalue(fixture), "cited") == cited


def test_body_facts_of_a_trial(rituximab):
    assert one(rituximab, "phase").value == ["2"]
    assert one(rituximab, "serious_adverse_events").value == 0
    secondary = one(rituximab, "secondary_outcomes", qualifier="full text")
    assert secondary.locator.startswith(
        "body/sec[@sec-type='materials|methods']/sec[2] 'Study design, pre-treatment "
        "evaluation, and randomisation', sentence ")


@pytest.mark.parametrize("path", [
    EPMC / "10_1186_s12943-025-02501-9.xml",   # a review citing NCT05262530
    PLOS / "journal.pone.0119074.xml",          # a simulation study of cluster-randomised trials
    NXML / "mds526.nxml",                       # a cancer registry study
    NXML / "6605965a.nxml",                     # a cohort
], ids=lambda p: p.name)
def test_papers_that_report_no_trial_state_no_trial_facts(path):
    readings = parsed(path)
    assert not [r for r in readings if r.field in TRIAL_FIELDS]
    assert not [r for r in readings if r.field == "identifiers" and r.qualifier == "cited"]
    assert one(readings, "title").value


# --- text -----------------------------------------------------------------------------------

@pytest.mark.parametrize("xml, text", [
    (b"<p>as shown [<xref ref-type='bibr' rid='b3'>3</xref>, <xref ref-type='bibr' "
     b"rid='b4'>4</xref>] in 30 patients<xref ref-type='bibr' rid='b5'>[5]</xref>.</p>",
     "as shown in 30 patients."),
    (b"<p>In <italic>vivo</italic> (<xref ref-type='bibr'>12</xref>&#x02013;"
     b"<xref ref-type='bibr'>14</xref>), see <xref ref-type='fig'>Figure 1</xref>.</p>",
     "In vivo, see Figure 1."),
    (b"<p>Before<table-wrap><table><tr><td>99 patients</td></tr></table></table-wrap> after"
     b"<sup><xref ref-type='bibr'>1</xref>,<xref ref-type='bibr'>2</xref></sup>.</p>",
     "Before after."),
])
def test_text_drops_citation_markers_and_tables(xml, text):
    element = Document(xml, "application/xml").xml
    assert jats.text_of(element) == text
