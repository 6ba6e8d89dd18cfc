"""UMIN-CTR pages → readings: the real detail page and search page of UMIN000027821 (the
AML-SCT15 trial also registered as jRCTs051180190), verbatim from nnh/research_management."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from auditor.acquire.fetch import NEEDS_URL, url_for
from auditor.acquire.saving import EXTENSIONS
from auditor.errors import ConfigError, ParseError
from auditor.read.documents import Document
from auditor.read.tables import outcome_items
from auditor.sources import detect, jrct, role_of, umin

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "real" / "umin" / "nnh__research_management"
DETAIL = REAL / "umin_recpt_R000031865.html"
SEARCH = REAL / "umin_UMIN000027821.html"
JRCT = ROOT / "tests" / "real" / "jrct" / "nnh__research_management" / "jrct_jRCTs051180190.html"
SHARED = Path("/work/shared/reference-formats")


def doc(path: Path, media_type: str | None = None, url: str = "") -> Document:
    return Document(path.read_bytes(), media_type, url=url or f"file://{path}", source=path.stem)


@pytest.fixture(scope="module")
def detail() -> list:
    return umin.parse(doc(DETAIL))


def by(readings, field, qualifier=None):
    found = [r for r in readings if r.field == field and r.qualifier == qualifier]
    assert len(found) == 1, (field, qualifier, found)
    return found[0]


@pytest.mark.parametrize(("field", "qualifier", "value", "quote"), [
    ("identifiers", "self", ["UMIN000027821"], "UMIN000027821"),
    ("enrollment", "planned", 66, "66"),
    ("status", None, "ENROLLING_BY_INVITATION", "限定募集中/Enrolling by invitation"),
    ("phase", None, ["2"], "第Ⅱ相/Phase II"),
    ("registration_date", None, "2017-07-01", "2017/07/01"),  # 一般公開日: first disclosed
    ("registration_date", "first submitted", "2017-06-19", "2017 年 06 月 19 日"),  # 登録日時
    ("start_date", "anticipated", "2017-07-01", "2017 年 07 月 01 日"),
    ("primary_outcomes", "ja", ["移植後3 年全生存率"], "移植後3 年全生存率"),
    ("primary_outcomes", "en",
     ["Probability of overall survival rate at three years after transplantation"],
     "Probability of overall survival rate at three years after transplantation"),
    ("indication", "ja", "急性白血病", "急性白血病"),
    ("indication", "en", "acute myeloid leukemia (AML)", "acute myeloid leukemia (AML)"),
    ("sponsor", "ja", "日本小児がん研究グループ", "日本小児がん研究グループ"),
    ("sponsor", "en", "Japan Children's Cancer Group (JCCG)",
     "Japan Children's Cancer Group (JCCG)"),
    ("funding", "ja", ["国立研究開発法人日本医療研究開発機構"],
     "国立研究開発法人日本医療研究開発機構"),
    ("funding", "en", ["Japan Agency for Medical Research and Development"],
     "Japan Agency for Medical Research and Development"),
])
def test_detail_page(detail, field, qualifier, value, quote):
    reading = by(detail, field, qualifier)
    assert (reading.value, reading.quote) == (value, quote)


def test_locators_name_the_section_and_the_bilingual_label(detail):
    assert by(detail, "enrollment", "planned").locator == \
        "table row '適格性/Eligibility / 目標参加者数/Target sample size'"
    assert by(detail, "identifiers", "self").locator == "table row 'UMIN試験ID'"
    # the typed-in name is used because the chosen institution is その他 (other)
    assert by(detail, "sponsor", "ja").locator == \
        "table row '実施責任組織/Sponsor / 機関名/Institute （機関選択不可の場合）'"


def test_titles_from_the_row_with_both_languages(detail):
    ja, en = by(detail, "title", "ja"), by(detail, "title", "en")
    assert ja.value == (
        "第1・第2 寛解期小児急性骨髄性白血病を対象としたフルダラビン・シタラビン・メルファラン・"
        "低線量全身照射による前処置置を用いた同種移植の安全性・有効性についての臨床試験（AML-SCT15）")
    assert en.value.startswith("Phase II study of allogeneic hematopoietic cell transplantation")
    assert en.value.endswith("as a conditioning regimen (AML-SCT15).")
    assert ja.locator == en.locator == \
        "table row '基本情報/Basic information / 科学的試験名/Scientific Title'"


def test_design_is_open_label_although_the_english_says_blinded(detail):
    """'オープン/Open -no one is blinded': the word 'blinded' in the explanation is not a tag."""
    design = by(detail, "design")
    assert design.value == ["controlled", "non-randomised", "open-label"]
    assert design.quote == ("並行群間比較/Parallel / 非ランダム化/Non-randomized / "
                            "オープン/Open -no one is blinded / 実薬・標準治療対照/Active")


def test_secondary_outcomes_split_per_line_with_bare_cr_line_ends(detail):
    ja = by(detail, "secondary_outcomes", "ja").value
    assert ja[:2] == ["移植後3 年無イベント生存率", "移植後3 年再発率"]
    assert "有効性" not in ja and not [i for i in ja if "\r" in i]
    en = by(detail, "secondary_outcomes", "en").value
    assert en[0].startswith("Probability of event-free survival (EFS) rate, Cumulative incidence")


def test_same_trial_as_the_jrct_page_same_primary_outcome_and_size(detail):
    """jRCTs051180190 and UMIN000027821 are one trial: the registries agree on 66 and on the
    primary outcome; their statuses differ (2017 vs 2019 snapshots)."""
    aml = jrct.parse(doc(JRCT))
    pick = {(r.field, r.qualifier): r.value for r in aml}
    assert pick[("identifiers", "cited")] == by(detail, "identifiers", "self").value
    assert pick[("enrollment", "planned")] == by(detail, "enrollment", "planned").value == 66
    assert pick[("primary_outcomes", "en")] == by(detail, "primary_outcomes", "en").value
    assert pick[("design", None)] == by(detail, "design").value


def test_empty_rows_give_no_reading(detail):
    fields = {(r.field, r.qualifier) for r in detail}
    assert ("identifiers", "cited") not in fields  # 他機関から発行された試験ID: いいえ/NO
    assert ("enrollment", "actual") not in fields  # 組み入れ参加者数: empty
    assert not [f for f, _ in fields if f == "completion_date"]  # フォロー終了(予定)日: empty


def test_every_quote_is_text_of_the_page(detail):
    page = re.sub(r"\s+", " ", BeautifulSoup(DETAIL.read_bytes(), "lxml").get_text(" "))
    for reading in detail:
        for part in re.split(r" / | … ", reading.quote):
            assert part in page, (reading.field, part)


@pytest.mark.parametrize("media_type", [None, "text/html; charset=UTF-8"])
def test_invalid_meta_charset_decodes_by_header_or_detection(media_type):
    assert b'<meta charset="ja"/>' in DETAIL.read_bytes()
    readings = umin.parse(doc(DETAIL, media_type))
    assert by(readings, "title", "ja").value.startswith("第1・第2 寛解期")


def test_search_page():
    readings = umin.parse(doc(SEARCH))
    got = {(r.field, r.qualifier): (r.value, r.quote) for r in readings}
    assert got == {
        ("identifiers", "self"): (["UMIN000027821"], "UMIN000027821 2017/07/01"),
        ("registration_date", None): ("2017-07-01", "UMIN000027821 2017/07/01"),
        ("title", "acronym"): ("AML-SCT15", "AML-SCT15"),
        ("status", None): ("ENROLLING_BY_INVITATION", "限定募集中/Enrolling by invitation"),
        ("indication", "ja"): ("急性白血病", "急性白血病"),
        ("sponsor", "ja"): ("日本小児がん研究グループ", "日本小児がん研究グループ"),
    }
    assert readings[0].locator == \
        "search results row 1, column 'UMIN試験ID/一般公開日（本登録希望日）'"


def test_search_page_for_another_id_says_what_to_do():
    with pytest.raises(ParseError, match=r"lists 1 trials \(UMIN000027821\).*recptno"):
        umin.parse(doc(SEARCH, url="https://center6.umin.ac.jp/cgi-open-bin/ctr/index.cgi?"
                                   "function=02&ctrno=UMIN000099999"))


@pytest.mark.parametrize(("text", "status"), [
    ("限定募集中/Enrolling by invitation", "ENROLLING_BY_INVITATION"),
    ("限定募集中", "ENROLLING_BY_INVITATION"),  # not 募集中 (recruiting)
    ("一般募集中/Open public recruiting", "RECRUITING"),
    ("一般募集終了/No longer recruiting", "ACTIVE_NOT_RECRUITING"),  # not 'recruiting'
    ("開始前/Preinitiation", "NOT_YET_RECRUITING"),
    ("試験終了/Completed", "COMPLETED"),
    ("試験中止/Terminated", "TERMINATED"),
    ("主たる結果の公表済み/Main results already published", None),  # unknown, not a guess
])
def test_umin_status_words(text, status):
    assert umin._status(text) == status


@pytest.mark.parametrize(("path", "kind"), [
    (DETAIL, "umin"), (SEARCH, "umin"), (JRCT, "jrct"),
    (ROOT / "auditor" / "demo" / "amchepry" / "jrct-jRCT2090220384-ja.html", "jrct"),
])
def test_detect_tells_umin_from_jrct(path, kind):
    assert detect(doc(path)) == kind
    assert umin.detect(doc(path)) is (kind == "umin")


@pytest.mark.parametrize(("body", "message"), [
    (b"<html><body><p>nothing here</p></body></html>", "no UMIN-CTR label/value rows"),
    (b"plain text", "not an HTML page"),
])
def test_malformed_input_raises_an_error_naming_the_source(body, message):
    with pytest.raises(ParseError, match=message) as error:
        umin.parse(Document(body, "text/html", source="umin-broken"))
    assert str(error.value).startswith("umin-broken:")


def test_registered_kind_extension_and_url():
    assert role_of("umin") == "registry"
    assert EXTENSIONS["umin"] == ".html"
    assert "umin" in NEEDS_URL  # a UMIN id does not give the R… receipt number of its page
    with pytest.raises(ConfigError, match="give `url`"):
        url_for("umin", "UMIN000027821")


def test_files_are_verbatim_and_listed():
    manifest = json.loads((REAL / "MANIFEST.json").read_text(encoding="utf-8"))
    assert {f["file"] for f in manifest["files"]} == {DETAIL.name, SEARCH.name}
    assert manifest["commit"] == "b903429b6e4f"
    for name, shared in ((DETAIL, "umin-ctr-detail-ja-R000031865.html"),
                         (SEARCH, "umin-ctr-search-ja-UMIN000027821.html")):
        if (SHARED / shared).exists():
            assert name.read_bytes() == (SHARED / shared).read_bytes()
    assert DETAIL.read_bytes().count(b"\r") == 140 and b"\r\n" not in DETAIL.read_bytes()


@pytest.mark.parametrize(("lines", "items"), [
    (["1) 安全性", "2) 有効性"], ["安全性", "有効性"]),  # categories with nothing under them
    (["1) 有効性", "移植後3 年再発率", "移植後3 年全生存率", "2) 安全性"],
     ["移植後3 年再発率", "移植後3 年全生存率", "安全性"]),
    (["① 有害事象の発現割合", "② 用量制限毒性", "（投与後52週まで）"],
     ["有害事象の発現割合", "用量制限毒性 （投与後52週まで）"]),
    (["Probability of EFS rate,", "Cumulative incidence of relapse and", "NRM at 3 years",
      "Profile of cause of death"],
     ["Probability of EFS rate, Cumulative incidence of relapse and NRM at 3 years",
      "Profile of cause of death"]),
    ([], []),
])
def test_outcome_items(lines, items):
    assert outcome_items(lines) == items
    # jRCT pages are read the same way, through the same reader
    cell = BeautifulSoup("<td>" + "<br>".join(lines) + "</td>", "lxml").td
    assert jrct._outcomes(jrct.Row(["x"], cell)) == items
