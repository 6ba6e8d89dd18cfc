"""MHLW price listings and insurance-use notices: Shift_JIS pages, full-width yen, 令和 dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import mhlw

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "auditor" / "demo" / "amchepry"
INPUTS = ROOT / "tests" / "inputs" / "mhlw"
PRICE = FIXTURES / "mhlw-price-listing-20260519.html"
NOTICE = FIXTURES / "mhlw-insurance-notice-20260519.html"
WRONG_CHARSET = INPUTS / "price-declared-utf8-bytes-sjis.html"
SJIS = "text/html; charset=Shift_JIS"


def read(path: Path, media_type: str | None = SJIS, field: str | None = None) -> list:
    doc = Document(path.read_bytes(), media_type, url="", source=path.name)
    readings = mhlw.parse(doc)
    return [r for r in readings if field is None or r.field == field]


def test_price_row_of_the_listing_amendment():
    [price] = read(PRICE, field="price")
    assert price.value == {"amount": 55306737, "currency": "JPY", "pack": "18 vials",
                           "effective_date": "2026-05-20"}
    assert price.qualifier == "アムシェプリ"
    assert price.quote.startswith("アムシェプリ | １８バイアル１組 | ５５，３０６，７３７")
    assert "令和８年５月２０日から適用" in price.quote
    assert price.locator.startswith("table[1] row 1 ('アムシェプリ')")


def test_price_fixture_is_saved_in_shift_jis_as_the_manifest_says():
    body = PRICE.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "アムシェプリ" in body.decode("cp932")
    entries = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))["snapshots"]
    entry = next(e for e in entries if e["file"] == PRICE.name)
    assert entry["media_type"] == SJIS
    assert entry["provenance"] == "reconstructed"


@pytest.mark.parametrize("path, media_type", [
    (PRICE, SJIS),                                  # header and page agree
    (PRICE, None),                                  # only <meta charset="Shift_JIS">
    (WRONG_CHARSET, None),                          # page says UTF-8, bytes are Shift_JIS
    (WRONG_CHARSET, "text/html; charset=UTF-8"),    # header says UTF-8 too
])
def test_product_name_is_read_whatever_the_declared_charset(path, media_type):
    names = read(path, media_type, field="product_name")
    assert names[0].value == ["アムシェプリ"]
    assert read(path, media_type, field="price")[0].value["amount"] == 55306737


@pytest.mark.parametrize("product, value", [
    ("テスト細胞シートＡ", {"amount": 1234567, "currency": "JPY", "pack": "1 bag",
                      "effective_date": "2025-04-01"}),
    ("テスト注Ｂ", None),  # price cell says 未定: unknown, never a guess
    ("テスト注Ｃ", {"amount": 98000, "currency": "JPY", "pack": "1 kit",
                "effective_date": "2025-05-15"}),
])
def test_every_product_row_gives_a_price_qualified_by_its_name(product, value):
    prices = {r.qualifier: r for r in read(INPUTS / "price-many-products.html", None, "price")}
    assert set(prices) == {"テスト細胞シートＡ", "テスト注Ｂ", "テスト注Ｃ"}
    assert prices[product].value == value
    assert prices[product].quote.startswith(product)


def test_product_names_of_a_row_include_the_generic_name_column():
    names = {r.qualifier: r.value
             for r in read(INPUTS / "price-many-products.html", None, "product_name")}
    assert names["テスト注Ｃ"] == ["テスト注C", "テストプロセル"]


@pytest.mark.parametrize("field, value, quote_part", [
    ("approval", ["conditional", "time-limited"], "条件及び期限付承認を受けた"),
    ("indication", "既存の薬物療法で運動症状が十分にコントロールされないパーキンソン病",
     "効能、効果又は性能は"),
    ("product_name", ["アムシェプリ", "ラグネプロセル"], "一般的名称：ラグネプロセル"),
])
def test_insurance_notice_prose(field, value, quote_part):
    [reading] = read(NOTICE, field=field)
    assert reading.value == value
    assert quote_part in reading.quote


def test_a_notice_without_a_price_table_gives_no_price():
    assert read(NOTICE, field="price") == []


@pytest.mark.parametrize("path, expected", [
    (PRICE, True), (NOTICE, True),
    (FIXTURES / "pmda-approval-raguneprocel.html", False),
    (FIXTURES / "sumitomo-press-release-approval.html", False),
])
def test_detect(path, expected):
    assert mhlw.detect(Document(path.read_bytes(), None, source=path.name)) is expected


def test_a_page_without_text_is_an_error_naming_the_source():
    doc = Document(b"<html><body>  </body></html>", "text/html", source="mhlw-empty")
    with pytest.raises(ParseError, match="mhlw-empty"):
        mhlw.parse(doc)


def test_the_price_column_is_the_price_not_the_code_column():
    """MHLW's own list header: 薬価基準収載医薬品コード | 成分名 | 規格 | 品名 | 薬価. The first
    header containing 薬価 is the code column; the price is the column named 薬価."""
    page = ("<html><body><p>令和8年5月20日から適用</p><table>"
            "<tr><th>薬価基準収載医薬品コード</th><th>成分名</th><th>規格</th><th>品名</th>"
            "<th>薬価</th></tr>"
            "<tr><td>4900413X1029</td><td>ラグネプロセル</td><td>１８瓶１組</td>"
            "<td>アムシェプリ</td><td>55306737</td></tr></table></body></html>")
    [price] = [r for r in mhlw.parse(Document(page.encode(), "text/html; charset=utf-8",
                                              url="https://www.mhlw.go.jp/x.html"))
               if r.field == "price"]
    assert price.qualifier == "アムシェプリ"
    assert price.value == {"amount": 55306737, "currency": "JPY", "pack": "18 vials",
                           "effective_date": "2026-05-20"}


@pytest.mark.parametrize(("text", "pack"), [
    ("１８瓶１組", "18 vials"), ("18バイアル1組", "18 vials"), ("18-vial set", "18 vials"),
    ("1 vial", "1 vial"), ("１瓶", "1 vial"),
])
def test_pack_units_as_the_sources_write_them(text, pack):
    from auditor.read.values import parse_pack

    assert parse_pack(text) == pack
