"""WHO ICTRP XML exports: both layouts, day-first dates, trial selection and hostile XML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.snapshots import sha256
from auditor.sources import detect, ictrp, jrct, role_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "auditor" / "demo" / "amchepry"
INPUTS = ROOT / "tests" / "inputs" / "ictrp"
FIXTURE = FIXTURES / "ictrp-jRCT2090220384.xml"


def doc(path: Path, url: str = "", **selectors: str) -> Document:
    return Document(path.read_bytes(), "application/xml", url=url, source=path.stem,
                    selectors=selectors)


def values(document: Document) -> dict[tuple[str, str | None], object]:
    return {(r.field, r.qualifier): r.value for r in ictrp.parse(document)}


@pytest.mark.parametrize(("field", "qualifier", "expected"), [
    ("identifiers", "self", ["jRCT2090220384"]),
    ("identifiers", "cited", ["UMIN000033564", "JMA-IIA00384"]),
    ("enrollment", "planned", 7),
    ("phase", None, ["1", "2"]),
    ("design", None, ["open-label", "single-arm"]),
    ("indication", None, "Parkinson's disease"),
    ("primary_outcomes", None, ["Safety: adverse events over 24 months after transplantation"]),
    ("secondary_outcomes", None, ["Motor symptoms (MDS-UPDRS part III)",
                                  "Dopamine production (18F-DOPA PET)"]),
])
def test_fixture_readings(field, qualifier, expected):
    assert values(doc(FIXTURE))[(field, qualifier)] == expected


@pytest.mark.parametrize("field", ["status", "registration_date", "start_date", "sponsor",
                                   "funding"])
def test_elements_the_fixture_omits_give_no_reading(field):
    assert field not in {r.field for r in ictrp.parse(doc(FIXTURE))}


@pytest.mark.parametrize("field", ["identifiers", "enrollment", "phase", "design", "title",
                                   "primary_outcomes", "secondary_outcomes", "indication"])
def test_ictrp_and_the_english_jrct_page_tell_the_same_story(field):
    jrct_en = FIXTURES / "jrct-jRCT2090220384-en.html"
    page = Document(jrct_en.read_bytes(), "text/html; charset=UTF-8", source="jrct-en")
    from_jrct = sorted((r.qualifier if r.qualifier not in ("en", "ja") else None, repr(r.value))
                       for r in jrct.parse(page) if r.field == field)
    from_ictrp = sorted((r.qualifier, repr(r.value))
                        for r in ictrp.parse(doc(FIXTURE)) if r.field == field)
    assert from_ictrp and from_ictrp == from_jrct


def test_a_reading_quotes_the_element_and_names_its_path():
    cited = next(r for r in ictrp.parse(doc(FIXTURE)) if r.qualifier == "cited")
    assert cited.quote == "UMIN000033564;JMA-IIA00384"
    assert cited.locator == "Trials_downloaded_from_ICTRP/Trial/Secondary_ID"


@pytest.mark.parametrize(("field", "qualifier", "expected"), [
    ("identifiers", "self", ["ISRCTN12345678"]),
    ("identifiers", "cited", ["NCT01234567", "EUCTR2016-001234-56"]),
    ("title", None, "A test trial of a test drug"),
    ("sponsor", None, "Test University"),
    ("registration_date", None, "2017-04-05"),  # 05/04/2017 is 5 April: day first
    ("start_date", None, "2017-06-01"),
    ("status", None, "COMPLETED"),
    ("enrollment", "planned", 30),
    ("phase", None, ["2"]),
    ("primary_outcomes", None, ["Change in test score at 12 weeks"]),
    ("secondary_outcomes", None, ["Adverse events; graded by CTCAE",
                                  "Quality of life at 12 weeks"]),
    ("funding", None, ["Test Foundation"]),
    ("design", None, ["blinded", "controlled", "randomised"]),
])
def test_older_layout_with_main_and_child_lists(field, qualifier, expected):
    assert values(doc(INPUTS / "nested-main.xml"))[(field, qualifier)] == expected


def test_older_layout_locators_name_main():
    title = next(r for r in ictrp.parse(doc(INPUTS / "nested-main.xml")) if r.field == "title")
    assert title.locator == "Trials_downloaded_from_ICTRP/Trial/Main/Public_title"


CHICTR = "https://trialsearch.who.int/Trial2.aspx?TrialID=ChiCTR2600000001"


@pytest.mark.parametrize(("field", "qualifier", "expected"), [
    ("identifiers", "self", ["ChiCTR2600000001"]),
    ("enrollment", "planned", 147),  # per-group targets 49 + 49 + 49
    ("registration_date", None, "2026-09-20"),
    ("status", None, "ACTIVE_NOT_RECRUITING"),
    ("phase", None, []),
    ("primary_outcomes", None, ["Recurrence-free survival(RFS)"]),
    ("secondary_outcomes", None, ["Incidence of adverse events", "Overall survival (OS)"]),
    ("funding", None, ["Test Foundation", "Test City Fund"]),
    ("design", None, None),
])
def test_flat_layout_trial_chosen_by_url(field, qualifier, expected):
    assert values(doc(INPUTS / "two-trials.xml", url=CHICTR))[(field, qualifier)] == expected


def test_an_empty_secondary_id_element_gives_no_cited_ids():
    readings = ictrp.parse(doc(INPUTS / "two-trials.xml", url=CHICTR))
    assert not [r for r in readings if r.qualifier == "cited"]


def test_trial_chosen_by_selector_with_a_day_first_date():
    readings = values(doc(INPUTS / "two-trials.xml", trial_id="JPRN-UMIN000099999"))
    assert readings[("identifiers", "self")] == ["UMIN000099999"]
    assert readings[("registration_date", None)] == "2017-03-23"


def test_several_trials_and_no_choice_is_an_error_that_says_what_to_do():
    with pytest.raises(ParseError, match="holds 2 trials.*selectors.trial_id"):
        ictrp.parse(doc(INPUTS / "two-trials.xml"))


@pytest.mark.parametrize(("name", "message"), [
    ("entity-bomb.xml", "XML refused"),
    ("external-entity.xml", "XML refused"),
    ("truncated.xml", "malformed XML"),
    ("wrong-root.xml", "not a WHO ICTRP export"),
    ("no-trials.xml", "holds no <Trial>"),
])
def test_hostile_or_malformed_xml_raises_an_error_naming_the_source(name, message):
    with pytest.raises(ParseError, match=message) as error:
        ictrp.parse(doc(INPUTS / name))
    assert str(error.value).startswith(f"{Path(name).stem}:")


def test_an_external_entity_is_never_resolved():
    with pytest.raises(ParseError) as error:
        ictrp.parse(doc(INPUTS / "external-entity.xml"))
    assert "root:" not in str(error.value)


@pytest.mark.parametrize(("path", "expected"), [
    (FIXTURE, True), (INPUTS / "nested-main.xml", True), (INPUTS / "wrong-root.xml", False),
    (INPUTS / "entity-bomb.xml", False), (FIXTURES / "jrct-jRCT2090220384-ja.html", False),
])
def test_detect(path, expected):
    assert ictrp.detect(doc(path)) is expected


def test_the_registry_knows_the_kind():
    assert role_of("ictrp") == "registry"
    assert detect(doc(FIXTURE)) == "ictrp"


def test_fixture_is_registered_as_reconstructed():
    manifest = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["snapshots"] if e["file"] == FIXTURE.name)
    assert (entry["kind"], entry["provenance"]) == ("ictrp", "reconstructed")
    assert entry["sha256"] == sha256(FIXTURE.read_bytes())
    assert "OMITTED" in entry["note"]
