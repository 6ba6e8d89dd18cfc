"""The European and ISRCTN registries: EU CTR (EudraCT) text records, read from a real download
kept verbatim in rfhb/ctrdata's tests; ISRCTN API XML read from three real answers (cut by the
author of the repository that keeps them, tests/real/isrctn/) and from a SYNTHETIC two-trial
answer for what they lack (a stopped trial, a query matching two trials); CTIS retrieve JSON
read from three real answers cut down by the repository that keeps them (tests/real/ctis/) and
from a SYNTHETIC full answer in the real shape for the parts they lack (end points, phase,
sponsor, member-state counts; tests/inputs/README.md). Fetched over real HTTP from the local
fault server; every identifier form a reviewer pastes is recognised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import store
from auditor.acquire.discover import classify, fetchable
from auditor.acquire.fetch import NEEDS_URL, url_for
from auditor.errors import ConfigError, ParseError
from auditor.models import Claim
from auditor.read.documents import Document
from auditor.read.values import find_ids, normalize_id
from auditor.rules.trials import trials
from auditor.sources import BASES, ctis, detect, euctr, isrctn

pytest_plugins = ["faultserver"]

ROOT = Path(__file__).resolve().parent.parent
EUCTR = ROOT / "tests" / "real" / "euctr" / "rfhb__ctrdata" / "test_error_trials_euctr.txt"
ISRCTN = ROOT / "tests" / "inputs" / "isrctn" / "query-two-trials.xml"
CTIS = ROOT / "tests" / "inputs" / "ctis" / "retrieve-transitioned.json"


def doc(path: Path, media_type: str, url: str = "", trial_id: str = "") -> Document:
    return Document(path.read_bytes(), media_type, url=url, source=path.stem,
                    selectors={"trial_id": trial_id} if trial_id else {})


def by(readings, field, qualifier=None):
    found = [r for r in readings if r.field == field and r.qualifier == qualifier]
    assert len(found) == 1, (field, qualifier, found)
    return found[0]


# --- EU CTR: the real download --------------------------------------------------------------

@pytest.fixture(scope="module")
def avb_es() -> list:
    return euctr.parse(doc(EUCTR, "text/plain; charset=utf-8",
                           "https://www.clinicaltrialsregister.eu/ctr-search/rest/download/"
                           "trial/2022-002568-62/ES"))


# Hand labels, read from the record's text before the reader was written.
@pytest.mark.parametrize(("field", "qualifier", "value"), [
    ("identifiers", "self", ["EUCTR2022-002568-62-ES"]),
    ("title", "official", "A Phase 1/2 Open-Label, Ascending Dose, Multicenter Study to Evaluate "
     "the Safety and Preliminary Efficacy of AVB-101 Administered by Bilateral Intrathalamic "
     "Infusion in Subjects With Frontotemporal Dementia With Progranulin Mutations (FTD-GRN)"),
    ("sponsor", None, "AviadoBio Ltd"),
    ("funding", None, ["AviadoBio Limited"]),
    ("phase", None, ["1", "2"]),  # E.7.1 Phase I: Yes, E.7.2 Phase II: Yes
    ("enrollment", "planned", 15),  # F.4.2.2 In the whole clinical trial (not F.4.1's 5)
    ("design", None, ["non-randomised", "open-label"]),  # Randomised: No, Open: Yes
    ("indication", None, "Frontotemporal Dementia With Progranulin Mutations (FTD-GRN)"),
    ("registration_date", "first submitted", "2023-01-16"),
    ("status", None, None),  # 'Ongoing' does not say whether it recruits
])
def test_the_eu_ctr_record_of_the_country_in_the_url(avb_es, field, qualifier, value):
    assert by(avb_es, field, qualifier).value == value


def test_eu_ctr_end_points_are_items_in_english_with_their_line(avb_es):
    primary = by(avb_es, "primary_outcomes")
    assert primary.value[0] == ("Number and incidence of AEs, SAEs, and clinically meaningful "
                                "laboratory test abnormalities;")
    assert len(primary.value) == 7 and not any("Número" in v for v in primary.value)
    assert primary.locator == "line 152: E.5.1 Primary end point(s)"
    assert by(avb_es, "secondary_outcomes").value[0] == \
        "Change from baseline in PGRN protein levels in CSF and blood;"


def test_each_member_state_record_is_its_own_and_the_id_keeps_its_country():
    pl = euctr.parse(doc(EUCTR, "text/plain", trial_id="EUCTR2021-002179-21-PL"))
    assert by(pl, "identifiers", "self").value == ["EUCTR2021-002179-21-PL"]
    assert by(pl, "phase").value == ["3"]
    assert by(pl, "design").value == ["blinded", "controlled", "randomised"]
    assert by(pl, "enrollment", "planned").value == 600
    assert by(pl, "sponsor").value == "AB Science"


def test_eu_ctr_countries_say_where_they_come_from(avb_es):
    states = by(avb_es, "countries", "member states in the file")
    assert states.value == ["Spain", "Sweden"]  # the download's records of this trial
    assert by(avb_es, "countries", "planned regions").value == ["United States",
                                                                "United Kingdom"]


def test_a_download_of_two_trials_needs_the_one_asked_for():
    with pytest.raises(ParseError, match=r"2 trials \(2022-002568-62, 2021-002179-21\)"):
        euctr.parse(doc(EUCTR, "text/plain"))
    with pytest.raises(ParseError, match="no DE record of EudraCT 2022-002568-62"):
        euctr.parse(doc(EUCTR, "text/plain", trial_id="EUCTR2022-002568-62-DE"))


def test_the_eu_ctr_text_is_detected():
    assert detect(doc(EUCTR, "text/plain")) == "euctr"


# --- ISRCTN --------------------------------------------------------------------------------

QUERY = "https://www.isrctn.com/api/query/format/default?q=ISRCTN99990001"


@pytest.fixture(scope="module")
def excough() -> list:
    return isrctn.parse(doc(ISRCTN, "application/xml", QUERY))


@pytest.mark.parametrize(("field", "qualifier", "value"), [
    ("identifiers", "self", ["ISRCTN99990001"]),
    ("identifiers", "cited", ["EUCTR2099-000001-11", "NCT09990001"]),
    ("title", "scientific", "A phase II randomised open-label study of exampletide versus "
     "standard care in adults with chronic cough"),
    ("primary_outcomes", None, ["Cough frequency (coughs per hour)"]),
    ("secondary_outcomes", None, ["Health-related quality of life", "Adverse events"]),
    ("phase", None, ["2"]),
    ("enrollment", "planned", 210),
    ("registration_date", None, "2026-03-27"),
    ("start_date", None, "2026-09-01"),
    ("completion_date", "overall", "2028-08-31"),
    ("design", None, ["controlled", "open-label", "randomised"]),
    ("sponsor", None, "Example University Hospitals NHS Trust"),
    ("funding", None, ["Example Research Council", "Example Pharma Ltd"]),
    ("countries", None, ["United Kingdom", "England"]),
])
def test_the_isrctn_trial_asked_for(excough, field, qualifier, value):
    assert by(excough, field, qualifier).value == value


def test_isrctn_reads_no_status_it_would_have_to_work_out_and_no_placeholder_enrollment(
        excough):
    assert not [r for r in excough if r.field == "status"]  # no override: derived from dates
    assert not [r for r in excough if r.qualifier == "actual"]  # totalFinalEnrolment 0


def test_the_older_isrctn_layout_and_a_stopped_trial():
    older = isrctn.parse(doc(ISRCTN, "application/xml", trial_id="ISRCTN99990002"))
    assert by(older, "primary_outcomes").value == ["Cough frequency at 1 year",
                                                   "Quality of life at 1 year"]
    assert by(older, "status").value == "TERMINATED"
    assert by(older, "enrollment", "actual").value == 96
    assert by(older, "phase").value == []  # Not Applicable


def test_a_query_without_the_trial_asked_for_is_refused():
    with pytest.raises(ParseError, match="none is the one asked for"):
        isrctn.parse(doc(ISRCTN, "application/xml", trial_id="ISRCTN99990003"))
    assert detect(doc(ISRCTN, "application/xml")) == "isrctn"


# --- ISRCTN: real API answers (cut by their repository's author; MANIFEST.json) ------------

REAL_ISRCTN = ROOT / "tests" / "real" / "isrctn" / "JonasHeinickeBio__biomedical-knowledge-lookup"


def real_isrctn(name: str) -> list:
    return isrctn.parse(doc(REAL_ISRCTN / f"{name}.xml", "application/xml",
                            f"https://www.isrctn.com/api/query/format/default?q={name}"))


def test_a_real_isrctn_record_gives_its_final_enrolment_first_and_its_target_too():
    hmbd = real_isrctn("RECORD_CPMS_NCT")
    assert [(r.value, r.qualifier) for r in hmbd if r.field == "enrollment"] == \
        [(25, "actual"), (81, "planned")]
    assert by(hmbd, "phase").value == ["1", "2"]  # Phase I/II
    assert by(hmbd, "design").value == ["controlled", "non-randomised", "open-label"]


def test_isrctn_s_ctis_typed_number_for_a_2020_eudract_trial_stays_eudract():
    # secondaryNumber numberType="ctis" canonicalSecondaryNumber="CTIS2020-005891-36-00" is
    # the EudraCT number 2020-005891-36 relabelled: no CTIS trial of that number is cited
    cited = by(real_isrctn("RECORD_CPMS_NCT"), "identifiers", "cited").value
    assert sorted(cited) == ["EUCTR2020-005891-36", "NCT05057013"]


def test_a_free_text_outcome_list_loses_its_lead_in_and_its_cut_but_keeps_its_items():
    pace = real_isrctn("RECORD_PACE")
    assert by(pace, "secondary_outcomes").value == [
        "Do different treatments have differential effects on outcomes (i.e. fatigue versus "
        "physical disability)?", "What baseline factors (other than ..."]
    assert "The secondary analyses are exploratory" in by(pace, "secondary_outcomes").quote
    assert len(by(pace, "primary_outcomes").value) == 3
    cough = real_isrctn("RECORD_GEFAPIXANT")
    assert by(cough, "secondary_outcomes").value[-1].startswith("Resting end-tidal pressure")
    assert len(by(cough, "secondary_outcomes").value) == 2  # '3. ...' names no outcome
    assert by(cough, "primary_outcomes").value == ["Hypoxic ventilatory response (HVR) at rest"]


def test_a_2003_isrctn_record_states_its_design_only_in_words():
    pace = real_isrctn("RECORD_PACE")
    assert by(pace, "design").value == ["controlled", "randomised"]
    assert by(pace, "design").locator.endswith("trialDesign/studyDesign")
    assert not [r for r in pace if r.qualifier == "actual"]  # <totalFinalEnrolment /> empty
    assert len(by(pace, "funding").value) == 4


# --- CTIS ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ctis_trial() -> list:
    return ctis.parse(doc(CTIS, "application/json"))


@pytest.mark.parametrize(("field", "qualifier", "value"), [
    ("identifiers", "self", ["CTIS2099-500001-11-00"]),
    ("identifiers", "cited", ["EUCTR2099-000001-11", "NCT09990001", "ISRCTN99990001"]),
    ("title", "official", "A phase II randomised double-blind placebo-controlled study of "
     "exampletide in adults with chronic cough"),
    ("status", None, "RECRUITING"),  # ctPublicStatusCode 4: Ongoing, recruiting
    ("phase", None, ["2"]),  # trialPhase 4: Therapeutic exploratory (Phase II)
    ("enrollment", "planned", 200),  # 100 + 60 member states + 40 rest of world
    ("primary_outcomes", None, ["Cough frequency (coughs per hour) at week 12"]),
    ("secondary_outcomes", None, ["Leicester Cough Questionnaire score at week 12",
                                  "Adverse events up to week 16"]),  # by their number
    ("start_date", "estimated", "2025-03-01"),
    ("sponsor", None, "Example Pharma Ltd"),
    ("design", None, ["blinded", "controlled", "randomised"]),
    ("countries", "member states concerned", ["Spain", "Sweden"]),
])
def test_the_ctis_trial(ctis_trial, field, qualifier, value):
    assert by(ctis_trial, field, qualifier).value == value


REAL_CTIS = ROOT / "tests" / "real" / "ctis" / "alineorr1__Techbio"


def real_ctis(number: str) -> list:
    return ctis.parse(doc(REAL_CTIS / f"retrieve_{number}.json", "application/json"))


def test_a_real_transitioned_ctis_trial_cites_its_eudract_and_nct_numbers():
    fungemax = real_ctis("2024-518143-38-00")
    assert by(fungemax, "identifiers", "self").value == ["CTIS2024-518143-38-00"]
    assert sorted(by(fungemax, "identifiers", "cited").value) == \
        ["EUCTR2017-004309-41", "NCT03693677"]
    assert by(fungemax, "status").value == "RECRUITING"  # code 3, whatever ctStatus says
    assert by(fungemax, "title", "acronym").value == "FUNGEMAX"


def test_startdateeu_is_the_start_only_of_a_trial_begun_in_ctis():
    # transitioned: startDateEU is the transition decision's day, so no start is read
    for number in ("2024-518143-38-00", "2024-519126-20-00"):
        assert not [r for r in real_ctis(number) if r.field == "start_date"]
    valproate = real_ctis("2025-523076-23-00")
    assert by(valproate, "start_date").value == "2026-08-17"
    assert not [r for r in valproate if r.field == "identifiers" and r.qualifier == "cited"]


def test_a_real_ended_ctis_trial_has_no_status_and_a_nested_condition_list():
    gnrh = real_ctis("2024-519126-20-00")
    assert by(gnrh, "status").value is None
    assert by(gnrh, "status").quote == "8 (Ended)"
    assert by(gnrh, "indication").value == "Endometriosis; adenomyosis"


def test_a_real_ctis_search_row_gives_what_a_row_states_and_no_more():
    path = REAL_CTIS / "search_2024-518143-38-00.json"
    assert detect(doc(path, "application/json")) == "ctis"
    row = ctis.parse(doc(path, "application/json", trial_id="CTIS2024-518143-38-00"))
    assert by(row, "phase").value == ["2", "3"]  # Phase II and Phase III (Integrated)
    assert by(row, "status").value == "RECRUITING"  # a row's ctStatus is the public code
    assert by(row, "sponsor").value == "Fondation Franc.Cancerologie Digestive"
    assert by(row, "countries", "member states concerned").value == ["France"]
    # end points joined with ', ' lose their bounds; startDateEU may be a transition day
    assert not [r for r in row if r.field in ("primary_outcomes", "secondary_outcomes",
                                              "start_date", "enrollment")]


def test_a_search_answer_of_two_trials_needs_the_one_asked_for():
    data = json.loads((REAL_CTIS / "search_2024-518143-38-00.json").read_text())
    other = dict(data["data"][0], ctNumber="2099-500002-22-00")  # a second row, made up
    data["data"].append(other)
    two = Document(json.dumps(data).encode(), "application/json", source="search")
    with pytest.raises(ParseError, match="none is the one asked for"):
        ctis.parse(two)
    two.selectors["trial_id"] = "2099-500002-22-00"
    assert by(ctis.parse(two), "identifiers", "self").value == ["CTIS2099-500002-22-00"]


def test_a_full_real_ctis_record_as_ctrdata_stores_it_reads_on_every_path():
    # tests/inputs/README.md: a real trial (GSK, transitioned from EudraCT 2019-001588-63) in
    # ctrdata's stored form, decoded from its demo database
    gsk = ctis.parse(doc(ROOT / "tests" / "inputs" / "ctis" /
                         "ctrdata-demo-2024-510663-34-00.json", "application/json"))
    assert by(gsk, "phase").value == ["2"]  # trialPhase code '4' (the row: Phase II)
    assert by(gsk, "enrollment", "planned").value == 11  # Spain 7 + Italy 4 + rest 0
    assert by(gsk, "sponsor").value == "Glaxosmithkline Research & Development Limited"
    assert by(gsk, "primary_outcomes").value[:2] == [
        "Area under the serum concentration-time curve (AUC)",
        "Maximum serum concentration (Cmax)"]
    assert sorted(by(gsk, "identifiers", "cited").value) == \
        ["EUCTR2019-001588-63", "NCT04494412"]
    # startDateEU 29/01/2021 here is before the 2024 transition: for a transitioned trial it
    # is sometimes the start and sometimes the transition day, so only the estimate is read
    assert [(r.value, r.qualifier) for r in gsk if r.field == "start_date"] == \
        [("2023-01-16", "estimated")]


def test_ended_is_not_read_as_completed():
    data = json.loads(CTIS.read_text())
    data["ctPublicStatusCode"] = 8
    ended = ctis.parse(Document(json.dumps(data).encode(), "application/json", source="c"))
    assert by(ended, "status").value is None and "Ended" in by(ended, "status").quote


def test_a_ctis_record_without_its_authorised_part_is_a_parse_error():
    with pytest.raises(ParseError, match="no authorizedApplication.authorizedPartI"):
        ctis.parse(Document(b'{"ctNumber": "2099-500001-11-00"}', "application/json",
                            source="c"))
    assert detect(doc(CTIS, "application/json")) == "ctis"


# --- URLs and bases ------------------------------------------------------------------------

def test_each_registry_has_its_record_url_and_a_configurable_base():
    assert {"isrctn", "euctr", "ctis"}.isdisjoint(NEEDS_URL)
    assert url_for("isrctn", "ISRCTN99990001") == \
        f"{BASES['isrctn']}/api/query/format/default?q=ISRCTN99990001"
    assert url_for("euctr", "EUCTR2022-002568-62-ES", bases={"euctr": "http://x"}) == \
        "http://x/ctr-search/rest/download/trial/2022-002568-62/ES"
    assert url_for("euctr", "2008-006649-18-3RD", bases={"euctr": "http://x"}).endswith(
        "/2008-006649-18/3rd")  # third-country records use lower case in the register
    assert url_for("ctis", "2023-501234-12-00") == \
        "https://euclinicaltrials.eu/ctis-public-api/retrieve/2023-501234-12-00"


@pytest.mark.parametrize(("kind", "identifier", "message"), [
    ("euctr", "EUCTR2022-002568-62", "give the country too"),
    ("euctr", "0000-000000-00-GB", "not a EudraCT number"),
    ("isrctn", "ISRCTN00000000", "not an ISRCTN"),
    ("ctis", "2022-002568-62", "a three-part number is EudraCT"),
])
def test_an_id_that_names_no_record_is_refused_with_what_to_give(kind, identifier, message):
    with pytest.raises(ConfigError, match=message):
        url_for(kind, identifier)


# --- identifier forms ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("NCT04802733", ("ctgov", "NCT04802733")),
    ("nct04802733", ("ctgov", "NCT04802733")),
    ("NCT00000000", None),  # a form's placeholder
    ("jRCT2090220384", ("jrct", "jRCT2090220384")),
    ("jRCT1031200001", ("jrct", "jRCT1031200001")),
    ("jRCT2033210001", ("jrct", "jRCT2033210001")),
    ("jRCTs052180012", ("jrct", "jRCTs052180012")),
    ("jRCTb012345678", ("jrct", "jRCTb012345678")),
    ("UMIN000033564", ("umin", "UMIN000033564")),
    ("UMIN 000033564", ("umin", "UMIN000033564")),
    ("UMIN000000000", None),
    ("ISRCTN15375673", ("isrctn", "ISRCTN15375673")),
    ("ISRCTN 15375673", ("isrctn", "ISRCTN15375673")),
    ("2004-000012-34-GB", ("euctr", "EUCTR2004-000012-34-GB")),
    ("EudraCT 2004-000012-34", ("euctr", "EUCTR2004-000012-34")),
    ("EUCTR2004-000012-34-3RD", ("euctr", "EUCTR2004-000012-34-3RD")),
    ("2023-501234-12-00", ("ctis", "2023-501234-12-00")),  # four parts: CTIS, not EudraCT
    ("EU CT number: 2023-501234-12-00", ("ctis", "2023-501234-12-00")),
    ("10.1038/s41586-025-08700-0", ("crossref", "10.1038/s41586-025-08700-0")),
    ("https://doi.org/10.1038/s41586-025-08700-0", ("crossref", "10.1038/s41586-025-08700-0")),
    ("PMID: 40240591", ("pubmed", "40240591")),
    ("https://clinicaltrials.gov/study/NCT04802733", ("ctgov", "NCT04802733")),
    ("https://jrct.mhlw.go.jp/latest-detail/jRCTs052180012", ("jrct", "jRCTs052180012")),
    ("https://center6.umin.ac.jp/cgi-open-bin/ctr_e/ctr_view.cgi?recptno=R000038279",
     ("umin", "R000038279")),
    ("https://www.isrctn.com/ISRCTN15375673", ("isrctn", "ISRCTN15375673")),
    ("https://www.clinicaltrialsregister.eu/ctr-search/trial/2004-000012-34/GB",
     ("euctr", "EUCTR2004-000012-34-GB")),
    ("https://www.clinicaltrialsregister.eu/ctr-search/trial/2004-000012-34/3rd/",
     ("euctr", "EUCTR2004-000012-34-3RD")),
    ("https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT=2023-501234-12-00",
     ("ctis", "2023-501234-12-00")),
    ("https://euclinicaltrials.eu/ctis-public/view/2023-501234-12-00",
     ("ctis", "2023-501234-12-00")),
    ("see NCT04802733 here", None),
])
def test_compare_accepts_every_identifier_form(text, expected):
    assert classify(text) == expected


@pytest.mark.parametrize(("text", "canonical"), [
    ("UMIN 000033564", "UMIN000033564"), ("2004-000012-34-GB", "EUCTR2004-000012-34-GB"),
    ("EudraCT number: 2004-000012-34", "EUCTR2004-000012-34"),
    ("2023-501234-12-00", "CTIS2023-501234-12-00"), ("jRCTs052180012", "jRCTs052180012"),
    ("ISRCTN 15375673", "ISRCTN15375673")])
def test_ids_in_text_keep_their_registry_spelling(text, canonical):
    assert find_ids(f"registered as {text}.") == [canonical]
    assert normalize_id(text) == canonical


def test_all_zero_ids_are_no_ids():
    assert find_ids("NCT00000000, UMIN000000000, ISRCTN00000000") == []


def test_ids_that_name_no_single_record_are_not_fetched():
    assert not fetchable("umin", "UMIN000033564") and fetchable("umin", "R000038279")
    assert not fetchable("euctr", "EUCTR2004-000012-34")
    assert fetchable("euctr", "EUCTR2004-000012-34-GB")


# --- fetched over real HTTP ----------------------------------------------------------------

@pytest.fixture
def registries(fault_server, tmp_path):
    """The three registries served where the bases point, by the paths the real services use."""
    s = fault_server
    s.add("/ctr-search/rest/download/trial/2022-002568-62/ES", EUCTR.read_bytes(),
          content_type="text/plain; charset=utf-8")
    s.add("/isrctn/api/query/format/default?q=ISRCTN99990001", ISRCTN.read_bytes(),
          content_type="application/xml")
    s.add("/ctis/retrieve/2099-500001-11-00", CTIS.read_bytes(),
          content_type="application/json")
    base = s.url("")
    config = tmp_path / "config.toml"
    config.write_text(f"""
[auditor]
snapshots = "snapshots"

[fetch]
retries = 1
backoff = 0.01

[fetch.bases]
euctr = "{base}"
isrctn = "{base}/isrctn"
ctis = "{base}/ctis"
""")
    return s, config


@pytest.mark.parametrize(("identifier", "path", "source", "planned"), [
    ("https://www.clinicaltrialsregister.eu/ctr-search/trial/2022-002568-62/ES/",
     "/ctr-search/rest/download/trial/2022-002568-62/ES", "euctr-EUCTR2022-002568-62-ES", 15),
    ("ISRCTN99990001", "/isrctn/api/query/format/default", "isrctn-ISRCTN99990001", 210),
    ("2099-500001-11-00", "/ctis/retrieve/2099-500001-11-00", "ctis-2099-500001-11-00", 200),
])
def test_compare_fetches_each_registry_from_its_base(registries, run_cli, identifier, path,
                                                     source, planned):
    server, config = registries
    result = run_cli("compare", "--config", str(config), "--json", identifier)
    assert result.exit_code in (0, 1), result.output
    claims = json.loads(result.stdout)["claims"]
    assert server.count(path) == 1
    assert [c["value"] for c in claims
            if c["field"] == "enrollment" and c["source"] == source] == [planned]


def test_a_registry_that_answers_404_is_a_clear_error(registries, run_cli):
    _, config = registries
    result = run_cli("compare", "--config", str(config), "ISRCTN99990009")
    assert result.exit_code == 2
    assert "404" in result.stderr


def test_a_umin_id_alone_says_to_give_its_page(registries, run_cli):
    _, config = registries
    result = run_cli("compare", "--config", str(config), "UMIN 000033564")
    assert result.exit_code == 2
    assert "recptno=R" in result.stderr


# --- the dossier's UMIN-CTR record ---------------------------------------------------------

UMIN = "umin-UMIN000033564.html"


def test_the_dossiers_umin_record_is_reconstructed_and_says_so():
    folder = next(p for p in (ROOT / "auditor" / "demo" / "amchepry",
                              ROOT / "fixtures" / "amchepry") if p.is_dir())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    [entry] = [s for s in manifest["snapshots"] if s["file"] == UMIN]
    assert entry["provenance"] == "reconstructed" and entry["kind"] == "umin"
    assert "case-facts.md" in entry["note"] and "OMITTED" in entry["note"]


def test_the_umin_record_joins_the_jrct_trial_and_agrees_with_it(dossier):
    result = dossier.audit()
    assert result.exit_code in (0, 1), result.output
    db = store.open_db(dossier.db)
    rows = list(db.query("select source, field, value from claims where source in "
                         "('umin-ja', 'jrct-ja') and field in ('enrollment', 'phase')"))
    values = {(r["source"], r["field"]): json.loads(r["value"]) for r in rows}
    assert values[("umin-ja", "enrollment")] == values[("jrct-ja", "enrollment")] == 7
    assert values[("umin-ja", "phase")] == values[("jrct-ja", "phase")] == ["1", "2"]
    claims = [Claim(**{**r, "value": json.loads(r["value"])})
              for r in db.query("select * from claims where field = 'identifiers'")]
    groups, _ = trials(claims)
    [trial] = [g for g in groups if "umin-ja" in g.sources]
    assert {"jrct-ja", "jrct-en", "umin-ja"} <= trial.sources  # by UMIN000033564, cited by jRCT


def test_a_planted_umin_difference_is_found_against_jrct(dossier):
    dossier.edit(UMIN, 'width="80%">7</td>', 'width="80%">8</td>')
    result = dossier.audit()
    assert result.exit_code == 1, result.output
    found = [f for f in store.findings(store.open_db(dossier.db), status="open")
             if f["rule"] == "enrollment_mismatch"]
    assert found, "no enrollment finding"
    values = {(s["source"], s["value"]) for s in found[0]["sources"]}
    assert ("umin-ja", 8) in values and ("jrct-ja", 7) in values


def test_a_paper_citing_the_jrct_id_cites_the_umin_record_jrct_lists(dossier):
    """The Nature paper cites jRCT2090220384 only; jRCT lists UMIN000033564 as the same trial:
    a reviewer accepts the citation for both records (registration_not_cited stays silent)."""
    dossier.audit()
    rules = {f["rule"] for f in store.findings(store.open_db(dossier.db), status="open")}
    assert "registration_not_cited" not in rules


def test_compare_a_umin_page_url_fetches_that_page_from_the_umin_base(registries, run_cli):
    server, config = registries
    detail = ROOT / "tests" / "real" / "umin" / "nnh__research_management" / \
        "umin_recpt_R000031865.html"
    server.add("/cgi-open-bin/ctr/ctr_view.cgi?recptno=R000031865", detail.read_bytes(),
               content_type="text/html; charset=UTF-8")
    config.write_text(config.read_text() + f'umin = "{server.url("")}"\n')
    result = run_cli("compare", "--config", str(config), "--json",
                     "https://center6.umin.ac.jp/cgi-open-bin/ctr_e/ctr_view.cgi?recptno=R000031865")
    assert result.exit_code in (0, 1), result.output
    claims = json.loads(result.stdout)["claims"]
    assert server.count("/cgi-open-bin/ctr/ctr_view.cgi") == 1
    assert [c["value"] for c in claims
            if c["field"] == "enrollment" and c["source"] == "umin-R000031865"] == [66]


def test_a_configured_source_of_each_new_kind_is_fetched_by_identifier(registries, run_cli):
    server, config = registries
    config.write_text(config.read_text() + """
[[subjects]]
id = "excough"
name = "Exampletide"

[[subjects.sources]]
name = "isrctn"
kind = "isrctn"
identifier = "ISRCTN99990001"

[[subjects.sources]]
name = "ctis"
kind = "ctis"
identifier = "2099-500001-11-00"

[[subjects.sources]]
name = "euctr-es"
kind = "euctr"
identifier = "EUCTR2022-002568-62-ES"
""")
    result = run_cli("fetch", "--config", str(config))
    assert result.exit_code == 0, result.output
    saved = config.parent / "snapshots" / "excough"
    assert {p.name for p in saved.iterdir()} >= {"isrctn.xml", "ctis.json", "euctr-es.txt"}
    assert server.count("/ctis/retrieve/2099-500001-11-00") == 1
