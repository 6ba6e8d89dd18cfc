"""ClinicalTrials.gov API v2 → readings: the reconstructed exPDite record, a full study with
results, a study with unreadable values and a search-results page."""

import json
from pathlib import Path

import pytest

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import ctgov

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "fixtures/bluerock/ctgov-NCT04802733.json"
INPUTS = Path(__file__).parent / "inputs/ctgov"
P = "$.protocolSection"


def doc(path: Path) -> Document:
    return Document(path.read_bytes(), "application/json", source=path.name)


def at(readings, locator):
    found = [r for r in readings if r.locator == locator]
    assert len(found) == 1, locator
    return found[0]


def test_expdite_fixture_reads_only_what_it_holds():
    readings = ctgov.parse(doc(FIXTURE))
    got = {(r.field, r.qualifier): r.value for r in readings}
    assert got == {
        ("identifiers", "self"): ["NCT04802733"],
        ("sponsor", None): "BlueRock Therapeutics",
        ("indication", None): "Parkinson Disease",
        ("phase", None): ["1"],
        ("design", None): ["open-label"],
        ("enrollment", "actual"): 12,
    }
    enrollment = at(readings, f"{P}.designModule.enrollmentInfo.count")
    assert enrollment.quote == '"count": 12, "type": "ACTUAL"'
    assert enrollment.unit == "participants"


@pytest.fixture(scope="module")
def full():
    return ctgov.parse(doc(INPUTS / "full-study.json"))


@pytest.mark.parametrize("locator, field, value, qualifier, quote", [
    (f"{P}.identificationModule.nctId", "identifiers", ["NCT09999999"], "self", "NCT09999999"),
    (f"{P}.identificationModule.secondaryIdInfos[].id", "identifiers", ["jRCT2099999999"],
     "self", "jRCT2099999999 (REGISTRY, jRCT); R01 XX000000 (NIH)"),
    (f"{P}.identificationModule.briefTitle", "title", "Example Cell Therapy Study", "brief",
     "Example Cell Therapy Study"),
    (f"{P}.statusModule.overallStatus", "status", "ACTIVE_NOT_RECRUITING", None,
     "ACTIVE_NOT_RECRUITING"),
    (f"{P}.statusModule.startDateStruct.date", "start_date", "2021-05-26", "actual",
     "2021-05-26"),
    (f"{P}.statusModule.primaryCompletionDateStruct.date", "completion_date", "2023-06",
     "primary actual", "2023-06"),
    (f"{P}.statusModule.completionDateStruct.date", "completion_date", "2027-12",
     "overall estimated", "2027-12"),
    (f"{P}.statusModule.studyFirstPostDateStruct.date", "registration_date", "2021-03-17",
     "first posted", "2021-03-17"),
    (f"{P}.sponsorCollaboratorsModule.leadSponsor.name", "sponsor", "Example Sponsor Inc.", None,
     "Example Sponsor Inc."),
    (f"{P}.designModule.phases", "phase", ["1", "2"], None, "PHASE1, PHASE2"),
    (f"{P}.designModule.designInfo", "design", ["blinded", "controlled", "randomised"], None,
     ("allocation: RANDOMIZED; interventionModel: PARALLEL; masking: DOUBLE; "
     "armGroups: SHAM_COMPARATOR")),
    (f"{P}.designModule.enrollmentInfo.count", "enrollment", 24, "planned",
     '"count": 24, "type": "ESTIMATED"'),
    (f"{P}.outcomesModule.primaryOutcomes[]", "primary_outcomes",
     ["Incidence of adverse events (12 months)", "Graft survival on imaging (Up to 2 years)"],
     None, "Incidence of adverse events (12 months) | Graft survival on imaging (Up to 2 years)"),
    (f"{P}.outcomesModule.secondaryOutcomes[]", "secondary_outcomes",
     ["Change in MDS-UPDRS Part III OFF score (Baseline, 24 months)"], None,
     "Change in MDS-UPDRS Part III OFF score (Baseline, 24 months)"),
    (f"{P}.referencesModule.references[].pmid", "identifiers", ["PMID:12345678"], "cited",
     "RESULT: Example A, et al. Example results. J Example. 2024. PMID 12345678"),
    (f"{P}.armsInterventionsModule.interventions[].name", "product_name", ["Example cells"], None,
     "Example cells"),
    ("$.resultsSection.adverseEventsModule.seriousEvents[].stats[].numEvents",
     "serious_adverse_events", 1, None, "seriousEvents numEvents: 1, 0"),
    ("$.resultsSection.adverseEventsModule.{seriousEvents,otherEvents}[].stats[].numEvents",
     "adverse_events", 8, "other events above 5% threshold",
     "seriousEvents numEvents: 1, 0; otherEvents numEvents: 5, 2"),
])
def test_full_study(full, locator, field, value, qualifier, quote):
    reading = at(full, locator)
    assert (reading.field, reading.value, reading.qualifier, reading.quote) == (
        field, value, qualifier, quote)


@pytest.mark.parametrize("locator, quote", [
    (f"{P}.identificationModule.nctId", "NCT0999"),
    (f"{P}.statusModule.overallStatus", "SOMETHING_NEW"),
    (f"{P}.statusModule.startDateStruct.date", "soon"),
    (f"{P}.designModule.phases", "PHASE9"),
    (f"{P}.designModule.enrollmentInfo.count", '"count": "twelve", "type": "ACTUAL"'),
    ("$.resultsSection.adverseEventsModule.seriousEvents[].stats[].numEvents",
     "seriousEvents numEvents: None; numAffected given without numEvents: events not counted"),
])
def test_present_but_unreadable_is_none(locator, quote):
    reading = at(ctgov.parse(doc(INPUTS / "unreadable-study.json")), locator)
    assert (reading.value, reading.quote) == (None, quote)


def test_search_page_parse_asks_for_one_study():
    with pytest.raises(ParseError, match=r"search-results page with 2 studies "
                                         r"\(NCT04802733, NCT09999998\); point the source"):
        ctgov.parse(doc(INPUTS / "search-page.json"))


def test_search_page_studies_keyed_by_nct_id():
    studies = dict(ctgov.studies(doc(INPUTS / "search-page.json")))
    assert list(studies) == ["NCT04802733", "NCT09999998"]
    enrollment = at(studies["NCT04802733"],
                    "$.studies[0].protocolSection.designModule.enrollmentInfo.count")
    assert (enrollment.value, enrollment.qualifier) == (12, "actual")
    assert not [r for r in studies["NCT09999998"] if r.locator.startswith("$.resultsSection")]


@pytest.mark.parametrize("body, message", [
    (b'{"protocolSection": {', "malformed JSON"),
    (b'{"resultList": {"result": []}}', "not a ClinicalTrials.gov v2 study"),
    (b'[1, 2]', "not a ClinicalTrials.gov v2 study"),
])
def test_bad_documents_raise_parse_error_naming_the_source(body, message):
    with pytest.raises(ParseError, match=message) as info:
        ctgov.parse(Document(body, "application/json", source="ctgov-test"))
    assert str(info.value).startswith("ctgov-test:")


def test_studies_of_a_single_study_is_an_error():
    with pytest.raises(ParseError, match="not a ClinicalTrials.gov search page"):
        list(ctgov.studies(doc(FIXTURE)))


@pytest.mark.parametrize("path, expected", [
    (FIXTURE, True),
    (INPUTS / "search-page.json", True),
    (ROOT / "auditor/demo/amchepry/europepmc-40240591.json", False),
])
def test_detect(path, expected):
    assert ctgov.detect(doc(path)) is expected


# --- results sections of real records (tests/real/ctgov, shared/reference-formats) ----------

REAL = ROOT / "tests" / "real" / "ctgov"
REFERENCE = Path("/work/shared/reference-formats/ctgov-v2-NCT02278341.json")
AE = "$.resultsSection.adverseEventsModule"


def real_study(nct: str) -> Document:
    """One study picked out of the corpus' search pages, as its own document."""
    for path in sorted(REAL.glob("*/*.json")):
        if path.name == "MANIFEST.json":
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for study in data if isinstance(data, list) else data.get("studies", [data]):
            if study["protocolSection"]["identificationModule"]["nctId"] == nct:
                return Document(json.dumps(study).encode(), "application/json", source=nct)
    raise LookupError(nct)


def field_of(readings, field):
    found = [r for r in readings if r.field == field]
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.mark.parametrize("nct, serious, everything", [
    # labels: tests/real/ctgov/*/labels.jsonl (events = serious + other numEvents, all groups)
    ("NCT02967393", 2, 150),
    ("NCT01958125", 4, 58),
    ("NCT01792817", 13, 63),
    ("NCT03107052", 14, 135),
    ("NCT02438826", 33, 759),
    ("NCT04066023", 0, 10),  # no seriousEvents listed, every group 0 affected
    ("NCT02381795", 0, 16),
    ("NCT00712335", 0, 0),  # nothing listed, 0 affected (one group has 0 at risk)
    ("NCT00329836", 0, 0),
    ("NCT00203242", 0, None),  # otherEvents give numAffected only: events unknown
    ("NCT00356603", 0, None),
])
def test_adverse_event_counts_of_real_records(nct, serious, everything):
    readings = ctgov.parse(real_study(nct))
    assert field_of(readings, "serious_adverse_events").value == serious
    assert field_of(readings, "adverse_events").value == everything


def test_people_affected_are_not_counted_as_events():
    ae = field_of(ctgov.parse(real_study("NCT00203242")), "adverse_events")
    assert ae.value is None
    assert "numAffected given without numEvents: events not counted" in ae.quote
    serious = field_of(ctgov.parse(real_study("NCT00203242")), "serious_adverse_events")
    assert (serious.quote, serious.locator) == (
        "no seriousEvents listed; eventGroups seriousNumAffected: 0",
        f"{AE}.eventGroups[].seriousNumAffected")


def test_no_one_at_risk_is_no_data_not_zero():
    """NCT01298921: 'data cannot be found', every group 0 at risk: no count at all."""
    readings = ctgov.parse(real_study("NCT01298921"))
    assert not {"adverse_events", "serious_adverse_events"} & {r.field for r in readings}


@pytest.mark.parametrize("nct, analysed", [
    ("NCT02438826", 237),  # 120 + 117 analysed of 240 enrolled
    ("NCT01701245", 93),
    ("NCT00356603", None),  # groups overlap (a combined group): 132 > 75 enrolled
    ("NCT02619617", None),  # sequential cohorts: 40 > 28 enrolled
    ("NCT03107052", None),  # primary outcomes analysed in different populations
    ("NCT01298921", None),  # 0 analysed: nothing to say
])
def test_sample_size_analysed_only_when_unambiguous(nct, analysed):
    reading = field_of(ctgov.parse(real_study(nct)), "sample_size_analysed")
    assert (reading.value if reading else None) == analysed
    if reading:
        assert reading.qualifier == "primary outcome" and reading.unit == "participants"


def test_a_single_group_model_with_a_comparator_arm_is_not_single_arm():
    design = field_of(ctgov.parse(real_study("NCT01406860")), "design")
    assert design.value == ["blinded", "controlled", "randomised"]


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference formats not mounted")
def test_reference_record_with_results():
    readings = ctgov.parse(doc(REFERENCE))  # holds NCT02552212, whatever its file name says
    assert field_of([r for r in readings if r.qualifier == "self"][:1],
                    "identifiers").value == ["NCT02552212"]
    assert field_of(readings, "serious_adverse_events").value == 38
    ae = field_of(readings, "adverse_events")
    assert (ae.value, ae.qualifier) == (434, "other events above 5% threshold")
    assert field_of(readings, "sample_size_analysed") is None  # 317, 0, 148 … analysed


def test_a_time_frame_is_not_follow_up_and_a_collaborator_is_not_a_funder():
    """'Up to 2 years' is when an outcome is measured; 'Example University' collaborates.
    Neither is read as the trial's follow-up or funding."""
    fields = {r.field for r in ctgov.parse(doc(INPUTS / "full-study.json"))}
    assert "follow_up" not in fields and "funding" not in fields
    assert "primary_outcomes" in fields and "sponsor" in fields


CTGOV_CORPUS = Path(__file__).parent / "real" / "ctgov"


def study_in(folder: str, file: str, nct: str) -> list:
    """One study of a real ClinicalTrials.gov search page in tests/real, read as its own
    record."""
    data = json.loads((CTGOV_CORPUS / folder / file).read_text(encoding="utf-8"))
    items = data if isinstance(data, list) else data.get("studies", [data])
    [study] = [s for s in items if s["protocolSection"]["identificationModule"]["nctId"] == nct]
    return ctgov.parse(Document(json.dumps(study).encode(), None, source=nct))


def _field(readings, name):
    return next((r for r in readings if r.field == name), None)


@pytest.mark.parametrize("folder,file,nct,tags", [
    # both arm groups EXPERIMENTAL, the title says 'Placebo-Controlled Delayed-Start Study'
    ("unl-stat351__screencast-public-data-jesusrod44", "ctg-studies.json", "NCT04688775",
     ["blinded", "controlled", "randomised"]),
    # a randomised cross-over of gadoquatrane and an approved contrast agent
    ("dgg32__clinical-trials-public", "ctg-studies(5).json", "NCT05915702",
     ["blinded", "controlled", "randomised"]),
    # single group: the title's 'Non-randomized, Non-controlled' adds no comparator
    ("dgg32__clinical-trials-public", "ctg-studies(5).json", "NCT05818137",
     ["open-label", "single-arm"]),
])
def test_design_words_of_the_title_complete_the_coded_design(folder, file, nct, tags):
    assert _field(study_in(folder, file, nct), "design").value == tags


def test_how_long_each_participant_is_in_the_study_is_the_follow_up():
    found = _field(study_in("dgg32__clinical-trials-public", "ctg-studies(5).json",
                              "NCT05850520"), "follow_up")
    assert (round(found.value, 1), found.qualifier) == (14.8, "up to")
    assert found.quote == "Each participant will be in the study for up to 64 weeks."
    assert found.locator.endswith("descriptionModule.detailedDescription") or \
        found.locator.endswith("descriptionModule.briefSummary")


def test_a_studys_length_as_an_adjective_is_not_read_as_follow_up():
    """'This is a 68-week study to evaluate …' (NCT03107052) says how long the study runs,
    not how long each participant is followed: nothing is read."""
    readings = study_in("unl-stat351__screencast-public-data-jesusrod44", "ctg-studies.json",
                          "NCT03107052")
    assert _field(readings, "follow_up") is None
