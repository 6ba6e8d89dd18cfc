"""PMDA approval information: label/value pages, approved-product lists, English pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import pmda

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "auditor" / "demo" / "amchepry" / "pmda-approval-raguneprocel.html"
INPUTS = ROOT / "tests" / "inputs" / "pmda"


def read(path: Path) -> dict[tuple[str, str | None], object]:
    return read_text(path.read_text(encoding="utf-8"), path.name)


def read_text(html: str, name: str = "page.html") -> dict[tuple[str, str | None], object]:
    doc = Document(html.encode("utf-8"), "text/html", source=name)
    return {(r.field, r.qualifier): r for r in pmda.parse(doc)}


@pytest.mark.parametrize("field, value, locator", [
    ("product_name", ["アムシェプリ", "ラグネプロセル"],
     "table row '販売名'; table row '一般的名称'"),
    ("approval", ["conditional", "post-marketing obligations", "time-limited"],
     "table row '承認の種類'; table row '承認条件'"),
    ("indication", "既存の薬物療法で運動症状が十分にコントロールされないパーキンソン病",
     "table row '効能、効果又は性能'"),
])
def test_amchepry_approval_page(field, value, locator):
    reading = read(FIXTURE)[(field, None)]
    assert reading.value == value
    assert reading.locator == locator


def test_approval_quote_names_both_the_type_and_the_conditions():
    quote = read(FIXTURE)[("approval", None)].quote
    assert quote == ("条件及び期限付承認 … 製造販売後に臨床試験を実施し、その結果を報告すること。"
                     "使用成績調査（目標症例数35例）を実施し、承認後7年以内に有効性及び安全性の"
                     "データを収集して報告すること。")


def test_the_approval_date_row_and_the_conditions_commitment_are_read():
    readings = read(FIXTURE)
    assert readings[("approval_date", None)].value == "2026-03-06"
    assert readings[("approval_date", None)].locator == "table row '承認日'"
    conditions = readings[("approval_conditions", None)]
    assert conditions.value == {"time_limit_years": 7, "post_marketing_n": 35,
                                "post_marketing_design": ["use-results survey"]}
    assert conditions.locator == "table row '承認条件', sentence 2"


def test_no_approval_date_when_the_page_has_none():
    page = FIXTURE.read_text(encoding="utf-8")
    page = page.replace('<tr><th scope="row">承認日</th><td>2026年3月6日</td></tr>', "")
    assert "承認日</th>" not in page
    assert ("approval_date", None) not in read_text(page)


@pytest.mark.parametrize("product, approval, date", [
    ("テスト細胞シートＡ", ["conditional", "time-limited"], "2025-03-01"),  # 備考 column
    ("テスト注Ｂ", None, "2025-06-30"),  # plain 承認: type unknown, not guessed as full
])
def test_approved_list_gives_readings_per_product(product, approval, date):
    readings = read(INPUTS / "approved-list.html")
    assert readings[("approval", product)].value == approval
    assert readings[("approval_date", product)].value == date
    assert readings[("product_name", product)].value[0] == product.replace("Ａ", "A").replace(
        "Ｂ", "B")


def test_english_definition_list_page():
    readings = read(INPUTS / "approval-en.html")
    assert readings[("product_name", None)].value == ["Testcel Sheet", "testocel"]
    # "Conditions of approval: None" is not an obligation
    assert readings[("approval", None)].value == ["conditional", "time-limited"]
    assert readings[("approval_date", None)].value == "2025-03-01"
    assert readings[("approval_date", None)].locator == "dl dt 'Date of approval'"


def test_page_without_approval_fields_is_an_error_naming_the_source():
    path = INPUTS / "no-approval-fields.html"
    with pytest.raises(ParseError, match="no-approval-fields.html: no PMDA approval fields"):
        pmda.parse(Document(path.read_bytes(), "text/html", source=path.name))


@pytest.mark.parametrize("path, url, expected", [
    (FIXTURE, "", True),
    (INPUTS / "approval-en.html", "https://www.pmda.go.jp/english/x.html", True),
    (ROOT / "auditor" / "demo" / "amchepry" / "sumitomo-pipeline.html", "", False),
])
def test_detect(path, url, expected):
    assert pmda.detect(Document(path.read_bytes(), None, url=url, source=path.name)) is expected
