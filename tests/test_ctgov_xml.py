"""Legacy ClinicalTrials.gov XML (<clinical_study>) → readings, on real records: the 50 files
of fabianvf/ClinicalTrialsParser (2014 layout) and the 2018-layout reference record."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.acquire.fetch import NEEDS_URL
from auditor.acquire.saving import EXTENSIONS
from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import ctgov, ctgov_xml, detect, role_of

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "real" / "ctgov_xml" / "fabianvf__ClinicalTrialsParser"
FILES = sorted(CORPUS.glob("*.xml"))
REFERENCE = Path("/work/shared/reference-formats/ctgov-legacy-xml-NCT02260193.xml")
INPUTS = ROOT / "tests" / "inputs" / "ictrp"
C = "/clinical_study"


def doc(path: Path) -> Document:
    return Document(path.read_bytes(), None, url=f"file://{path}", source=path.name)


def read(name: str) -> dict[tuple[str, str | None], object]:
    return {(r.field, r.qualifier): r.value for r in ctgov_xml.parse(doc(CORPUS / name))}


def test_the_corpus_is_the_fifty_files():
    assert len(FILES) == 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_real_record_is_detected_and_read(path):
    assert ctgov_xml.detect(doc(path)) is True
    assert detect(doc(path)) == "ctgov_xml"
    readings = ctgov_xml.parse(doc(path))
    own = [r for r in readings if r.field == "identifiers" and r.qualifier == "self"]
    assert [r.value for r in own] == [[path.stem]]
    status = next(r for r in readings if r.field == "status")
    assert status.value in ("COMPLETED", "RECRUITING", "NOT_YET_RECRUITING", "TERMINATED",
                            "WITHDRAWN", "ACTIVE_NOT_RECRUITING", "ENROLLING_BY_INVITATION")
    for r in readings:  # every quote is text of the record (ids, dates, words as written)
        if r.field in ("status", "phase", "sponsor", "start_date", "title"):
            assert r.quote in re.sub(r"\s+", " ", html.unescape(path.read_text("utf-8")))


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference formats not mounted")
def test_reference_record_2018_layout():
    readings = ctgov_xml.parse(doc(REFERENCE))
    got = {(r.field, r.qualifier): r.value for r in readings}
    assert got == {
        ("identifiers", "self"): ["NCT02260193"],
        ("title", "official"): "Phase 2 Open-Label Study to Assess the Efficacy, Safety, and "
                               "Tolerability of AKB-6548 in Subjects With Anemia Secondary to End "
                               "Stage Renal Disease (ESRD), Undergoing Chronic Hemodialysis.",
        ("title", "brief"): "16-Week Repeat Oral Dose Study of AKB-6548 for Anemia in Subjects "
                            "With End Stage Renal Disease (ESRD) Requiring Chronic Hemodialysis",
        ("status", None): "COMPLETED",
        ("start_date", None): "2014-09",
        ("completion_date", "primary actual"): "2015-07",
        ("completion_date", "overall actual"): "2015-08",
        ("registration_date", "first posted"): "2014-10-09",
        ("sponsor", None): "Akebia Therapeutics",
        ("indication", None): "Anemia; End Stage Renal Disease",
        ("product_name", None): ["AKB-6548"],
        ("phase", None): ["2"],
        ("design", None): ["non-randomised", "open-label"],
        ("enrollment", "actual"): 94,
        ("primary_outcomes", None): ["Change in Baseline Hemoglobin (8 Weeks)",
                                     "Change in Baseline Hemoglobin (16 Weeks)",
                                     "Change in Week 8 Hemoglobin (16 Weeks)"],
        ("secondary_outcomes", None): [
            "Pharmacodynamic response as measured by actual values and change from baseline in "
            "hemoglobin, hematocrit, red blood cell count, and reticulocyte count. (16 weeks)",
            "Number of subjects that require transfusion and/or ESA (erythropoiesis stimulating "
            "agent) rescue. (16 weeks)",
            "Safety and tolerability measures to include assessments of adverse events, vital "
            "signs, electrocardiograms, and laboratory assay results. (16 weeks of therapy and 4 "
            "weeks of follow-up)",
            "Concentration measurements of investigational product and its metabolites pre- and "
            "post-dialysis. (2 and16 weeks)"],
    }
    design = next(r for r in readings if r.field == "design")
    assert design.quote == ("allocation: Non-Randomized; intervention_model: Parallel Assignment;"
                            " masking: None (Open Label)")
    assert design.locator == f"{C}/study_design_info"
    enrollment = next(r for r in readings if r.field == "enrollment")
    assert enrollment.quote == '<enrollment type="Actual">94</enrollment>'


def test_results_events_summed_without_the_total_rows():
    readings = ctgov_xml.parse(doc(CORPUS / "NCT00503399.xml"))
    serious = next(r for r in readings if r.field == "serious_adverse_events")
    everything = next(r for r in readings if r.field == "adverse_events")
    assert (serious.value, serious.unit) == (57, "events")
    assert (everything.value, everything.qualifier) == (140, "other events above 4% threshold")
    assert everything.quote.startswith("serious_events events: 1, 0, 0, 1")
    assert "other_events events:" in everything.quote
    analysed = next(r for r in readings if r.field == "sample_size_analysed")
    assert (analysed.value, analysed.quote) == (79, "primary outcome participants analysed: "
                                                    "39, 40")


@pytest.mark.parametrize(("name", "field", "qualifier", "expected"), [
    # values as the hand labels give them (tests/real/ctgov_xml/.../labels.jsonl)
    ("NCT00503399.xml", "enrollment", "actual", 92),
    ("NCT00503399.xml", "design", None, ["controlled", "open-label", "randomised"]),
    ("NCT00503399.xml", "phase", None, ["3"]),
    ("NCT00503399.xml", "start_date", None, "2007-07"),
    ("NCT00840671.xml", "identifiers", "cited", ["EUCTR2004-001729-11"]),
    ("NCT00840671.xml", "design", None, ["blinded", "controlled", "randomised"]),
    ("NCT00840671.xml", "primary_outcomes", None,
     ["Modified Rankin Scale score at day 90 (or earlier in the event of patient withdrawal). "
      "(Day 90)"]),
    ("NCT01790061.xml", "enrollment", "planned", 60),  # Anticipated, like v2's ESTIMATED
    ("NCT01790061.xml", "phase", None, ["2", "3"]),
    ("NCT01790061.xml", "status", None, "RECRUITING"),
    ("NCT01790061.xml", "completion_date", "overall estimated", "2014-12"),
    ("NCT00032383.xml", "enrollment", None, 60),  # no type attribute: no qualifier
    ("NCT00032383.xml", "phase", None, ["1", "2"]),
    ("NCT00032383.xml", "registration_date", "first submitted", "2002-03-20"),
    ("NCT00129701.xml", "phase", None, []),  # N/A
    ("NCT00129701.xml", "design", None, ["non-randomised", "open-label", "single-arm"]),
    ("NCT00740233.xml", "enrollment", "actual", 2300),
])
def test_labelled_values(name, field, qualifier, expected):
    assert read(name)[(field, qualifier)] == expected


def test_a_sponsor_protocol_code_is_not_a_registry_id():
    assert ("identifiers", "cited") not in read("NCT00503399.xml")  # B3D-EW-GHDH


def test_observational_record_has_no_design_tags():
    assert ("design", None) not in read("NCT00740233.xml")


def test_no_follow_up_or_funding_from_time_frames_or_collaborators():
    """A primary outcome's time frame is not the follow-up; a collaborator is not a funder.
    A follow-up is read only where a description says it ('follow-up for at least one
    year')."""
    for path in FILES:
        readings = ctgov_xml.parse(doc(path))
        assert "funding" not in {r.field for r in readings}
        for r in readings:
            if r.field == "follow_up":
                assert r.locator.endswith(("brief_summary/textblock",
                                           "detailed_description/textblock"))
                assert "follow" in r.quote.lower()


def test_a_follow_up_a_description_states_is_read():
    readings = ctgov_xml.parse(doc(CORPUS / "NCT01790061.xml"))
    [follow_up] = [r for r in readings if r.field == "follow_up"]
    assert follow_up.value == 12.0
    assert "follow-up for at least one year" in follow_up.quote


def test_a_single_group_with_a_comparator_arm_is_not_single_arm():
    body = (CORPUS / "NCT00129701.xml").read_bytes().replace(
        b"<enrollment>500</enrollment>",
        b"<enrollment>500</enrollment><arm_group><arm_group_label>x</arm_group_label>"
        b"<arm_group_type>Active Comparator</arm_group_type></arm_group>")
    readings = ctgov_xml.parse(Document(body, None, source="t"))
    assert next(r for r in readings if r.field == "design").value == \
        ["controlled", "non-randomised", "open-label"]


def test_vocabulary_is_the_v2_parsers():
    assert set(ctgov_xml.ENROLLMENT_TYPES.values()) == set(ctgov.ENROLLMENT_TYPES.values())
    assert {t.upper().replace(" ", "_") for t in ctgov_xml.CONTROL_ARMS} == ctgov.CONTROL_ARMS
    outcome = ET.fromstring("<primary_outcome><measure>Change in Baseline Hemoglobin</measure>"
                            "<time_frame>8 Weeks</time_frame></primary_outcome>")
    assert ctgov_xml.outcome_text(outcome) == ctgov.outcome_text(
        {"measure": "Change in Baseline Hemoglobin", "timeFrame": "8 Weeks"})


@pytest.mark.parametrize(("name", "message"), [
    ("entity-bomb.xml", "XML refused"),
    ("external-entity.xml", "XML refused"),
    ("truncated.xml", "malformed XML"),
    ("wrong-root.xml", "not a legacy ClinicalTrials.gov record"),
])
def test_bad_documents_raise_parse_error_naming_the_source(name, message):
    with pytest.raises(ParseError, match=message) as error:
        ctgov_xml.parse(Document((INPUTS / name).read_bytes(), "application/xml",
                                 source="ctgov-xml-test"))
    assert str(error.value).startswith("ctgov-xml-test:")


@pytest.mark.parametrize("path", [
    ROOT / "auditor" / "demo" / "amchepry" / "pubmed-40240591.xml",
    ROOT / "auditor" / "demo" / "amchepry" / "ictrp-jRCT2090220384.xml",
    ROOT / "fixtures" / "bluerock" / "ctgov-NCT04802733.json",
])
def test_other_formats_are_not_detected(path):
    assert ctgov_xml.detect(doc(path)) is False


def test_registered_kind():
    assert role_of("ctgov_xml") == "registry"
    assert EXTENSIONS["ctgov_xml"] == ".xml"
    assert "ctgov_xml" in NEEDS_URL  # the legacy API is retired: archived snapshots only
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
    assert {f["file"] for f in manifest["files"]} == {p.name for p in FILES}
