"""jRCT detail pages: readings by label, in Japanese and English, whatever the charset."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.snapshots import sha256
from auditor.sources import detect, jrct, role_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "auditor" / "demo" / "amchepry"
INPUTS = ROOT / "tests" / "inputs" / "jrct"
JA = FIXTURES / "jrct-jRCT2090220384-ja.html"
EN = FIXTURES / "jrct-jRCT2090220384-en.html"
SJIS = INPUTS / "jrct-jRCT2090220384-ja-sjis.html"


def doc(path: Path, media_type: str | None = None) -> Document:
    return Document(path.read_bytes(), media_type, url=f"file://{path}", source=path.stem)


def values(path: Path, media_type: str | None = None) -> dict[tuple[str, str | None], object]:
    """(field, qualifier) → value; the language qualifier of text fields is dropped."""
    out: dict[tuple[str, str | None], object] = {}
    for r in jrct.parse(doc(path, media_type)):
        qualifier = None if r.qualifier in ("ja", "en") else r.qualifier
        out[(r.field, qualifier)] = r.value
    return out


@pytest.mark.parametrize("path", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize(("field", "qualifier", "expected"), [
    ("identifiers", "self", ["jRCT2090220384"]),
    ("identifiers", "cited", ["UMIN000033564", "JMA-IIA00384"]),
    ("enrollment", "planned", 7),
    ("phase", None, ["1", "2"]),
    ("design", None, ["open-label", "single-arm"]),
])
def test_both_languages_give_the_same_facts(path, field, qualifier, expected):
    assert values(path, "text/html; charset=UTF-8")[(field, qualifier)] == expected


@pytest.mark.parametrize(("path", "field", "expected"), [
    (JA, "primary_outcomes", ["安全性：移植後24か月間の有害事象"]),
    (JA, "secondary_outcomes", ["運動症状（MDS-UPDRS パートIII）", "ドパミン産生（18F-DOPA PET）"]),
    (JA, "indication", "パーキンソン病"),
    (EN, "primary_outcomes", ["Safety: adverse events over 24 months after transplantation"]),
    (EN, "secondary_outcomes", ["Motor symptoms (MDS-UPDRS part III)",
                                "Dopamine production (18F-DOPA PET)"]),
    (EN, "indication", "Parkinson's disease"),
])
def test_text_fields_keep_the_page_language(path, field, expected):
    reading = next(r for r in jrct.parse(doc(path)) if r.field == field)
    assert reading.value == expected
    assert reading.qualifier == ("ja" if path == JA else "en")


@pytest.mark.parametrize("path", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize("field", ["status", "registration_date", "start_date", "sponsor",
                                   "funding", "follow_up", "completion_date"])
def test_rows_the_fixture_omits_give_no_reading(path, field):
    assert field not in {r.field for r in jrct.parse(doc(path))}


def test_a_reading_quotes_its_value_cell_and_names_its_row():
    enrollment = next(r for r in jrct.parse(doc(JA)) if r.field == "enrollment")
    assert (enrollment.quote, enrollment.locator, enrollment.unit) == (
        "7", "table row '目標症例数'", "participants")
    design = next(r for r in jrct.parse(doc(JA)) if r.field == "design")
    assert "table row '試験デザイン / 盲検化'" in design.locator
    assert "非盲検" in design.quote


def test_the_shift_jis_copy_is_the_fixture_re_encoded():
    text = JA.read_text(encoding="utf-8").replace(
        '<meta charset="UTF-8">',
        '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">')
    assert SJIS.read_bytes() == text.encode("cp932")
    assert SJIS.read_bytes() != JA.read_bytes()


@pytest.mark.parametrize("media_type", [None, "text/html; charset=Shift_JIS"])
def test_shift_jis_page_gives_identical_readings(media_type):
    utf8 = [r.model_dump() for r in jrct.parse(doc(JA, "text/html; charset=UTF-8"))]
    sjis = [r.model_dump() for r in jrct.parse(doc(SJIS, media_type))]
    assert sjis == utf8


@pytest.mark.parametrize(("name", "field", "qualifier", "expected"), [
    ("label-variants-ja.html", "identifiers", "self", ["jRCT2099999999"]),
    ("label-variants-ja.html", "identifiers", "cited", ["NCT01234567", "UMIN000012345"]),
    ("label-variants-ja.html", "title", None, "テスト疾患を対象とした試験薬の第２相試験"),
    ("label-variants-ja.html", "enrollment", "planned", 30),
    ("label-variants-ja.html", "enrollment", "actual", 28),
    ("label-variants-ja.html", "status", None, "ACTIVE_NOT_RECRUITING"),
    ("label-variants-ja.html", "phase", None, ["1", "2"]),
    ("label-variants-ja.html", "registration_date", None, "2019-05-10"),
    ("label-variants-ja.html", "start_date", None, "2019-06-03"),
    ("label-variants-ja.html", "follow_up", None, 24.0),
    ("label-variants-ja.html", "sponsor", None, "テスト大学病院 試験 花子"),
    ("label-variants-ja.html", "funding", None, ["テスト財団", "テスト製薬株式会社"]),
    ("label-variants-ja.html", "indication", None, "テスト疾患"),
    ("label-variants-ja.html", "primary_outcomes", None,
     ["有害事象の発現割合", "用量制限毒性 （投与後52週まで）"]),
    ("label-variants-ja.html", "secondary_outcomes", None, ["症状スコアの変化量", "画像検査所見"]),
    ("label-variants-ja.html", "design", None, ["blinded", "controlled", "randomised"]),
    ("label-variants-en.html", "identifiers", "self", ["jRCT1099999999"]),
    ("label-variants-en.html", "identifiers", "cited", ["NCT07654321"]),
    ("label-variants-en.html", "title", None, "A study of a test drug in test disease"),
    ("label-variants-en.html", "enrollment", "planned", 120),
    ("label-variants-en.html", "enrollment", "actual", 118),
    ("label-variants-en.html", "status", None, "RECRUITING"),
    ("label-variants-en.html", "phase", None, ["3"]),
    ("label-variants-en.html", "registration_date", None, "2019-03-28"),
    ("label-variants-en.html", "start_date", None, "2019-04-01"),
    ("label-variants-en.html", "follow_up", None, 12.0),
    ("label-variants-en.html", "sponsor", None, "Test Pharma Co., Ltd."),
    ("label-variants-en.html", "funding", None, ["Test Pharma Co., Ltd."]),
    ("label-variants-en.html", "primary_outcomes", None, ["Change in test score at week 12"]),
    ("label-variants-en.html", "secondary_outcomes", None,
     ["Response rate at week 12", "Adverse events"]),
    ("label-variants-en.html", "design", None, ["blinded", "controlled", "randomised"]),
])
def test_label_variants_and_layouts(name, field, qualifier, expected):
    """th/td, td/td and dt/dd rows; full-width digits, 令和 dates, numbered outcome lists."""
    assert values(INPUTS / name)[(field, qualifier)] == expected


def test_a_page_missing_rows_gives_readings_only_for_rows_it_has():
    assert set(values(INPUTS / "missing-rows.html")) == {("identifiers", "self"), ("title", None)}


@pytest.mark.parametrize(("field", "qualifier", "quote"), [
    ("enrollment", "planned", "未定"),
    ("status", None, "その他"),
    ("phase", None, "不明"),
    ("registration_date", None, "調整中"),
    ("design", None, "その他"),
    ("identifiers", "cited", "なし"),
])
def test_an_unreadable_value_is_unknown_not_a_guess(field, qualifier, quote):
    reading = next(r for r in jrct.parse(doc(INPUTS / "unreadable-values.html"))
                   if r.field == field and r.qualifier == qualifier)
    assert reading.value is None
    assert reading.quote == quote


@pytest.mark.parametrize(("body", "message"), [
    ((INPUTS / "not-a-page.txt").read_bytes(), "not an HTML page"),
    (b"", "not an HTML page"),
    ((INPUTS / "no-rows.html").read_bytes(), "no jRCT label/value rows"),
])
def test_malformed_input_raises_an_error_naming_the_source(body, message):
    with pytest.raises(ParseError, match=message) as error:
        jrct.parse(Document(body, "text/html", source="jrct-broken"))
    assert str(error.value).startswith("jrct-broken:")


@pytest.mark.parametrize(("path", "expected"), [
    (JA, True), (EN, True), (SJIS, True), (INPUTS / "label-variants-en.html", True),
    (INPUTS / "missing-rows.html", False), (INPUTS / "no-rows.html", False),
    (INPUTS / "not-a-page.txt", False), (FIXTURES / "ictrp-jRCT2090220384.xml", False),
])
def test_detect(path, expected):
    assert jrct.detect(doc(path)) is expected


def test_the_registry_knows_the_kind():
    assert role_of("jrct") == "registry"
    assert detect(doc(JA)) == "jrct"


@pytest.mark.parametrize("path", [JA, EN], ids=["ja", "en"])
def test_fixture_is_registered_as_reconstructed(path):
    manifest = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["snapshots"] if e["file"] == path.name)
    assert entry["kind"] == "jrct"
    assert entry["provenance"] == "reconstructed"
    assert entry["sha256"] == sha256(path.read_bytes())
    assert entry["url"].endswith("latest-detail/jRCT2090220384")
    assert "OMITTED" in entry["note"]


# --- the real 2020 page (verbatim, tests/real/jrct/) ----------------------------------------

REAL = ROOT / "tests" / "real" / "jrct" / "nnh__research_management"
AML = REAL / "jrct_jRCTs051180190.html"


@pytest.fixture(scope="module")
def aml() -> list:
    return jrct.parse(doc(AML))


def by(readings, field, qualifier=None):
    found = [r for r in readings if r.field == field and r.qualifier == qualifier]
    assert len(found) == 1, (field, qualifier, found)
    return found[0]


@pytest.mark.parametrize(("field", "qualifier", "value", "quote", "row"), [
    ("identifiers", "self", ["jRCTs051180190"], "jRCTs051180190", "臨床研究実施計画番号"),
    ("enrollment", "planned", 66, "66", "実施予定被験者数"),
    ("phase", None, ["2"], "2", "試験のフェーズ"),
    ("status", None, "RECRUITING", "募集中", "進捗状況"),
    ("registration_date", None, "2019-03-26", "平成31年3月26日", "初回公表日"),
    ("registration_date", "first submitted", "2019-03-18", "平成31年3月18日", "届出日"),
    ("start_date", None, "2017-09-15", "2017年09月15日", "第1症例登録日"),
    ("completion_date", "overall planned", "2030-06-30", "2030年06月30日", "実施期間（終了日）"),
    ("indication", "ja", "急性白血病", "急性白血病", "対象疾患名"),
    ("indication", "en", "acute myeloid leukemia (AML)", "acute myeloid leukemia (AML)",
     "対象疾患名 / Health Condition(s) or Problem(s) Studied"),
    ("primary_outcomes", "ja", ["移植後3 年全生存率"], "移植後3 年全生存率",
     "主たる評価項目 / Primary Outcome(s)"),
    ("primary_outcomes", "en",
     ["Probability of overall survival rate at three years after transplantation"],
     "Probability of overall survival rate at three years after transplantation",
     "主たる評価項目 / Primary Outcome(s)"),
])
def test_real_page_rows(aml, field, qualifier, value, quote, row):
    reading = by(aml, field, qualifier)
    assert (reading.value, reading.quote, reading.locator) == (value, quote, f"table row '{row}'")


def test_real_page_cross_registration_is_cited(aml):
    cited = by(aml, "identifiers", "cited")
    assert cited.value == ["UMIN000027821"]
    assert cited.quote.startswith("UMIN000027821")
    assert "他の臨床研究登録機関発行の研究番号" in cited.locator


def test_real_page_titles_in_both_languages(aml):
    assert by(aml, "title", "ja").value == (
        "第1・第2 寛解期小児急性骨髄性白血病を対象としたフルダラビン・シタラビン・メルファラン・"
        "低線量全身照射による前処置置を用いた同種移植の安全性・有効性についての臨床試験（AML-SCT15）")
    assert by(aml, "title", "en").value.startswith(
        "Phase II study of allogeneic hematopoietic cell transplantation for children with "
        "acute myeloid leukemia in first and second complete remission")


def test_real_page_design_reads_every_design_row(aml):
    design = by(aml, "design")
    # 非無作為化比較 (non-randomised comparison), 非盲検 (open), 実薬（治療）対照 (active control)
    assert design.value == ["controlled", "non-randomised", "open-label"]
    for words in ("非無作為化比較", "非盲検", "実薬（治療）対照", "並行群間比較"):
        assert words in design.quote
    assert "table row '試験デザイン Study Design / 盲検化 /masking'" in design.locator


def test_real_page_secondary_outcomes_one_item_per_line_under_headings(aml):
    ja = by(aml, "secondary_outcomes", "ja").value
    assert len(ja) == 31
    assert ja[:3] == ["移植後3 年無イベント生存率", "移植後3 年再発率", "移植後3 年非再発死亡率"]
    assert ja[10] == "移植後100 日の生着率"  # first item under '(2) 短期安全性（移植後100 日まで）'
    assert ja[-1] == "移植後1 年のgrade 3 以上の有害事象（CTCAE）の解析"
    assert not [item for item in ja if "有効性" in item or item.endswith("安全性")]


def test_real_page_english_outcome_lines_that_end_in_and_continue(aml):
    en = by(aml, "secondary_outcomes", "en").value
    assert len(en) == 21
    assert en[0] == ("Probability of event-free survival (EFS) rate, Cumulative incidence of "
                     "relapse and non-relapse mortality (NRM) at 3 years after transplantation")
    assert en[4].startswith("Cumulative incidence of engraftment, secondary graft failure")
    assert "Efficacy" not in en and not [i for i in en if i.startswith("Short-term safety")]


def test_real_page_every_quote_is_text_of_the_page(aml):
    page = re.sub(r"\s+", " ", BeautifulSoup(AML.read_bytes(), "lxml").get_text(" "))
    for reading in aml:
        for part in re.split(r" / | … ", reading.quote):
            assert part in page, (reading.field, part)


def test_real_page_is_verbatim_and_detected_as_jrct():
    shared = Path("/work/shared/reference-formats/jrct-detail-ja-jRCTs051180190.html")
    if shared.exists():
        assert AML.read_bytes() == shared.read_bytes()
    manifest = json.loads((REAL / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["files"][0]["file"] == AML.name and manifest["commit"] == "b903429b6e4f"
    assert jrct.detect(doc(AML)) is True
    assert detect(doc(AML)) == "jrct"
