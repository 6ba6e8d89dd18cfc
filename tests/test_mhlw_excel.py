"""MHLW price lists as .xlsx workbooks: title rows, a header row, one product per row."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import detect, mhlw
from auditor.sources.mhlw import excel as mhlw_excel

FIXTURES = Path(__file__).parent.parent / "auditor" / "demo" / "amchepry"
XLSX = FIXTURES / "mhlw-price-listing-20260519.xlsx"
AMCHEPRY = {"amount": 55306737, "currency": "JPY", "pack": "18 vials",
            "effective_date": "2026-05-20"}
#: The columns of the real 薬価基準収載品目リスト, whose code column also says 薬価 and whose
#: last flag column also says 規格: the shortest matching header must win.
LIST_HEADER = ["区分", "薬価基準収載医薬品コード", "成分名", "規格", "品名", "メーカー名",
               "同一剤形・規格の後発医薬品がある先発医薬品", "薬価"]


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook with one sheet per item, rows as given."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(body: bytes, field: str | None = None, source: str = "list.xlsx") -> list:
    readings = mhlw_excel.parse(Document(body, None, source=source))
    return [r for r in readings if field is None or r.field == field]


def test_the_reconstructed_fixture_gives_the_amchepry_price_row():
    [price] = read(XLSX.read_bytes(), "price")
    assert price.value == AMCHEPRY
    assert price.qualifier == "アムシェプリ"
    assert price.quote == "アムシェプリ | 18バイアル1組 | 55306737 | 2026-05-20"
    assert price.locator == "sheet '再生医療等製品' row 5 ('アムシェプリ')"
    entries = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))["snapshots"]
    entry = next(e for e in entries if e["file"] == XLSX.name)
    assert (entry["kind"], entry["provenance"]) == ("mhlw_excel", "reconstructed")


def test_the_workbook_and_the_html_notice_give_the_same_price_and_name():
    """The diff engine must see one price, whichever format it was read from."""
    html = mhlw.parse(Document((FIXTURES / "mhlw-price-listing-20260519.html").read_bytes(),
                               "text/html; charset=Shift_JIS"))
    excel = read(XLSX.read_bytes())
    for field in ("price", "product_name"):
        [from_html] = [r for r in html if r.field == field and r.qualifier]
        [from_excel] = [r for r in excel if r.field == field]
        assert (from_excel.value, from_excel.qualifier) == (from_html.value, from_html.qualifier)


@pytest.mark.parametrize("rows, expected, locator_end", [
    # the real list's columns; the date comes from the title row above the header
    ([["薬価基準収載品目リスト"], ["令和８年５月２０日から適用"], LIST_HEADER,
      ["再生", "", "", "１８バイアル１組", "アムシェプリ", "", "", 55306737.0]],
     AMCHEPRY, "row 4 ('アムシェプリ'); effective date from sheet 'S' row 2"),
    # an 適用日 column holding a real Excel date, a price with a yen sign and commas
    ([["品名", "規格単位", "薬価（円）", "適用日"],
      ["アムシェプリ", "18バイアル1組", "55,306,737円", datetime(2026, 5, 20)]],
     AMCHEPRY, "row 2 ('アムシェプリ')"),
    # full-width digits in text cells; 適用日 given as a label in a title row
    ([["適用日：令和８年５月２０日"], ["品名", "規格", "薬価"],
      ["アムシェプリ", "18バイアル1組", "５５，３０６，７３７"]],
     AMCHEPRY, "row 3 ('アムシェプリ'); effective date from sheet 'S' row 1"),
    # no date anywhere: the date is unknown, never guessed
    ([["品名", "規格", "薬価"], ["アムシェプリ", "18バイアル1組", 55306737]],
     {**AMCHEPRY, "effective_date": None}, "row 2 ('アムシェプリ')"),
    # a price that is not a number is unknown
    ([["品名", "規格", "薬価"], ["アムシェプリ", "18バイアル1組", "未定"]],
     None, "row 2 ('アムシェプリ')"),
])
def test_price_rows(rows, expected, locator_end):
    [price] = read(make_xlsx({"S": rows}), "price")
    assert price.value == expected
    assert price.qualifier == "アムシェプリ"
    assert price.locator == f"sheet 'S' {locator_end}"


def test_every_sheet_and_row_is_read_and_names_include_the_generic_column():
    body = make_xlsx({
        "内用薬": [["品名", "成分名", "規格", "薬価"],
                ["テスト錠Ａ", "テストール", "10mg1錠", 1230.0]],
        "注射薬": [["注射薬の一覧"], ["品名", "規格", "薬価"],
                ["テスト注Ｂ", "1瓶", 980], ["", "", ""], ["テスト注Ｃ", "1キット", 98000]],
        "メモ": [["この表には価格はない"]],
    })
    prices = {r.qualifier: (r.value and r.value["amount"], r.locator)
              for r in read(body, "price")}
    assert prices == {"テスト錠Ａ": (1230, "sheet '内用薬' row 2 ('テスト錠Ａ')"),
                      "テスト注Ｂ": (980, "sheet '注射薬' row 3 ('テスト注Ｂ')"),
                      "テスト注Ｃ": (98000, "sheet '注射薬' row 5 ('テスト注Ｃ')")}
    names = {r.qualifier: r.value for r in read(body, "product_name")}
    assert names["テスト錠Ａ"] == ["テスト錠A", "テストール"]


def test_a_workbook_without_a_price_table_gives_no_readings():
    assert read(make_xlsx({"S": [["お知らせ"], ["品名", "備考"], ["アムシェプリ", "なし"]]})) == []


@pytest.mark.parametrize("body, expected", [
    (XLSX.read_bytes(), True),
    (b"%PDF-1.7\n", False),
    (b"<html><body><table></table></body></html>", False),
    (b"PK\x03\x04 not really a zip", False),
])
def test_detect(body, expected):
    assert mhlw_excel.detect(Document(body)) is expected


def test_detect_refuses_a_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    assert mhlw_excel.detect(Document(out.getvalue())) is False


def test_a_workbook_with_an_mhlw_url_is_detected_as_excel_not_as_the_html_notice():
    doc = Document(XLSX.read_bytes(), None, url="https://www.mhlw.go.jp/content/x.xlsx")
    assert detect(doc) == "mhlw_excel"


@pytest.mark.parametrize("body, message", [
    (XLSX.read_bytes()[:2000], "not a readable .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "save it as .xlsx"),
    (b"", "not a readable .xlsx workbook"),
])
def test_malformed_workbooks_say_what_to_do(body, message):
    with pytest.raises(ParseError, match=message) as caught:
        read(body, source="mhlw-price/list.xlsx")
    assert str(caught.value).startswith("mhlw-price/list.xlsx: ")


@pytest.mark.parametrize("value, text", [
    (None, ""), (55306737.0, "55306737"), (12.5, "12.5"), (98000, "98000"),
    (datetime(2026, 5, 20, 0, 0), "2026-05-20"), ("  アムシェプリ \n", "アムシェプリ"),
])
def test_cell_value(value, text):
    assert mhlw_excel.cell_value(value) == text
