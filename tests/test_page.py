"""Company pages: pipeline tables and press releases, with config selectors or without."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ConfigError, ParseError
from auditor.read.documents import Document
from auditor.sources import page

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "auditor" / "demo" / "amchepry"
INPUTS = ROOT / "tests" / "inputs" / "page"
PIPELINE = FIXTURES / "sumitomo-pipeline.html"
RELEASE = FIXTURES / "sumitomo-press-release-approval.html"
OVERCLAIM = INPUTS / "press-release-overclaim.html"
PIPELINE_ROWS = {"pipeline": "table.pipeline-table tr.pipeline-row"}
JAPAN = {"program": "raguneprocel (CT1-DAP001/DSP-1083)", "indication": "Parkinson's disease",
         "region": "Japan", "phase": None, "status": "Approved (conditional, time-limited)"}
US = {"program": "raguneprocel (CT1-DAP001/DSP-1083)", "indication": "Parkinson's disease",
      "region": "U.S.", "phase": ["1", "2"], "status": "Phase 1/2"}


def read(path: Path, selectors: dict[str, str] | None = None, field: str | None = None) -> list:
    doc = Document(path.read_bytes(), "text/html", source=path.name, selectors=selectors or {})
    return [r for r in page.parse(doc) if field is None or r.field == field]


@pytest.mark.parametrize("selectors, locator", [
    (None, "table[1] row 1"),
    (PIPELINE_ROWS, "css 'table.pipeline-table tr.pipeline-row' table[1] row 1"),
])
def test_pipeline_rows_one_reading_per_region(selectors, locator):
    rows = read(PIPELINE, selectors, "pipeline")
    assert [r.value for r in rows] == [JAPAN, US]
    assert [r.qualifier for r in rows] == ["Japan", "U.S."]
    assert rows[0].locator == locator
    # the program cell spans both rows: the U.S. row still knows its program
    assert rows[1].quote == "raguneprocel (CT1-DAP001/DSP-1083) | Parkinson's disease | U.S. | " \
                            "Phase 1/2"


def test_a_row_selector_reads_only_the_rows_it_picks():
    rows = read(PIPELINE, {"pipeline": "tr.pipeline-row:has(td[rowspan])"}, "pipeline")
    assert [r.value for r in rows] == [JAPAN]


def test_fallback_reads_approval_and_programs_from_the_pipeline_table():
    [approval] = read(PIPELINE, field="approval")
    assert approval.value == ["conditional", "post-marketing obligations", "time-limited"]
    assert "Post-marketing clinical study" in approval.quote
    [names] = read(PIPELINE, field="product_name")
    assert names.value == ["raguneprocel", "CT1-DAP001", "DSP-1083"]


def test_pipeline_with_one_column_per_region():
    rows = read(INPUTS / "region-columns.html", field="pipeline")
    assert [(r.value["program"], r.value["region"], r.value["status"]) for r in rows] == [
        ("TEST-001", "Japan", "Filed"), ("TEST-001", "U.S.", "Phase 2"),
        ("TEST-002", "Japan", "Phase 1"), ("TEST-002", "Europe", "Phase 3")]
    assert rows[3].value["phase"] == ["3"]
    assert rows[3].locator == "table[1] row 2, column 'Europe'"


@pytest.mark.parametrize("field, value", [
    ("approval", ["conditional", "time-limited"]),
    ("indication", ("patients with Parkinson's disease whose motor symptoms have not responded "
                    "adequately to existing pharmacological therapies")),
    ("product_name", ["Amchepry", "raguneprocel"]),
    ("enrollment", 7),
    ("follow_up", 24.0),
    ("phase", ["1", "2"]),
    ("identifiers", ["jRCT2090220384", "DOI:10.1038/s41586-025-08700-0"]),
])
def test_press_release_without_selectors(field, value):
    readings = read(RELEASE, field=field)
    assert readings and readings[0].value == value


@pytest.mark.parametrize("path", [PIPELINE, RELEASE])
def test_real_world_fixtures_make_no_efficacy_claims(path):
    assert read(path, field="claim_language") == []
    assert read(path, {"prose": "p"}, field="claim_language") == []


@pytest.mark.parametrize("selectors", [None, {"prose": ".news-body p"}])
def test_planted_overclaims_are_read_with_their_sentence(selectors):
    claims = read(OVERCLAIM, selectors, "claim_language")
    assert [(c.quote, c.value) for c in claims] == [
        ("Amchepry is proven to cure Parkinson's disease.", ["proven", "cure"]),
        ("This breakthrough therapy restores motor function in every patient.",
         ["breakthrough", "restores motor"]),
    ]
    assert all(c.locator.endswith(("sentence 3", "sentence 4")) for c in claims)


def test_selectors_pick_fields_from_named_elements():
    selectors = {"approval": ".news-body p:first-child", "title": "h1.news-title",
                 "product_name": "h1.news-title", "indication": ".no-such-element"}
    readings = {r.field: r for r in read(RELEASE, selectors)}
    assert readings["approval"].value == ["conditional", "time-limited"]
    assert readings["approval"].locator == "css '.news-body p:first-child'"
    assert readings["product_name"].value == ["Amchepry", "raguneprocel"]
    assert readings["title"].value.startswith("Conditional and Time-Limited Approval in Japan")
    # a selector that matches nothing: the field is unknown, and the locator says why
    assert readings["indication"].value is None
    assert "matched nothing" in readings["indication"].locator
    # with selectors, nothing is read from elsewhere on the page
    assert "pipeline" not in readings and "enrollment" not in readings


@pytest.mark.parametrize("selectors, message", [
    ({"nonsense": "p"}, "selector key 'nonsense' is not a field"),
    ({"prose": "p[["}, "is not valid CSS"),
])
def test_bad_selectors_are_config_errors(selectors, message):
    with pytest.raises(ConfigError, match=message):
        read(RELEASE, selectors)


@pytest.mark.parametrize("name, message", [
    ("not-html.txt", "not-html.txt: not an HTML page"),
    ("truncated.html", "truncated.html: HTML page has no text"),
])
def test_malformed_pages_are_errors_naming_the_source(name, message):
    with pytest.raises(ParseError, match=message):
        read(INPUTS / name)


@pytest.mark.parametrize("path, expected", [
    (RELEASE, True), (PIPELINE, True), (INPUTS / "not-html.txt", False),
])
def test_detect_accepts_any_html_page(path, expected):
    assert page.detect(Document(path.read_bytes(), "text/html", source=path.name)) is expected


@pytest.mark.parametrize("selectors, value", [
    ({"price": "p.price"}, {"amount": 55306737, "currency": "JPY", "pack": "18 vials",
                            "effective_date": "2026-05-20"}),
    ({"price": "p.other"}, None),  # the element has no amount: unknown, not a guess
])
def test_price_selector(selectors, value):
    [price] = read(INPUTS / "price-line.html", selectors, "price")
    assert price.value == value
