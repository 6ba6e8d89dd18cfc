"""MHLW price lists as Excel workbooks (.xlsx): the 薬価基準収載品目リスト style attachment of a
price-listing notice. Each sheet has a few title rows, then a header row (薬価基準収載医薬品コード
/ 成分名 / 規格 / 品名 / 薬価 / …) and one row per product.

The readings are those `mhlw.py` gives for an HTML price table (price qualified by the product
name, product_name), so the diff engine cannot tell a workbook row from a table row. The
row-to-readings code here is shared with `mhlw_pdf`, whose notice tables are the same columns.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import sentences
from auditor.read.tables import norm_label
from auditor.read.values import fold, parse_date, squash
from auditor.sources.mhlw import _DATE, _GENERIC, _JDATE, _NAME, _PRICE, _SPEC, row_readings

KIND = "mhlw_excel"
ROLE = "regulator"

#: Header rows are looked for this far down a sheet (title rows come first).
HEADER_SEARCH_ROWS = 30
_EFFECTIVE = (_JDATE + r"\s*(?:から|より)?\s*(?:適用|実施|施行)",
              r"適用(?:年月)?日\s*[:は]?\s*" + _JDATE)
_OLE2 = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and encrypted .xlsx) container


def detect(doc: Document) -> bool:
    """An .xlsx is a zip holding xl/workbook.xml."""
    if not doc.body.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(doc.body)) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def parse(doc: Document) -> list[Reading]:
    readings: list[Reading] = []
    for title, rows in _sheets(doc):
        readings += _sheet_readings(title, rows)
    return readings


def _sheets(doc: Document) -> list[tuple[str, list[list[str]]]]:
    """(sheet title, rows of cell texts) per sheet; ParseError says what to do with a bad file."""
    from openpyxl import load_workbook

    if doc.body.startswith(_OLE2):
        raise ParseError(f"{doc.source}: an old-format .xls or password-protected workbook, not "
                         ".xlsx; open it in Excel and save it as .xlsx without a password")
    try:
        book = load_workbook(io.BytesIO(doc.body), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zip, XML, KeyError and its own errors
        raise ParseError(f"{doc.source}: not a readable .xlsx workbook ({e.__class__.__name__}: "
                         f"{e}); re-fetch the attachment or check its link") from e
    try:
        return [(sheet.title, [[cell_value(v) for v in row]
                               for row in sheet.iter_rows(values_only=True)])
                for sheet in book.worksheets]
    except Exception as e:
        raise ParseError(f"{doc.source}: workbook is damaged ({e.__class__.__name__}: {e}); "
                         "re-fetch the attachment") from e
    finally:
        book.close()


def cell_value(value: object) -> str:
    """A cell as text: 55306737.0 → '55306737', a date → '2026-05-20', None → ''."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return squash(str(value))


def _sheet_readings(title: str, rows: list[list[str]]) -> list[Reading]:
    """Readings of one sheet: rows under the first header row that has a name and a price."""
    header_at = next((i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                      if price_columns(row) is not None), None)
    if header_at is None:
        return []
    above = [(f"sheet '{title}' row {i + 1}", " ".join(c for c in row if c))
             for i, row in enumerate(rows[:header_at])]
    body = [(f"sheet '{title}' row {i + 1}", row)
            for i, row in enumerate(rows[header_at + 1:], start=header_at + 1)]
    return price_rows(rows[header_at], body, effective_date(above))


# --- shared with mhlw_pdf: header columns, rows → readings, the 適用 sentence ------------------

class Columns(NamedTuple):
    """Where a price table's cells are: name and price always, the others if present."""

    name: int
    price: int
    generic: int | None
    spec: int | None
    date: int | None


def _pick(headers: list[str], pattern: str, skip: int | None = None) -> int | None:
    """The column whose header matches, the shortest label winning: '薬価' beats
    '薬価基準収載医薬品コード', '規格' beats '同一剤形・規格の後発医薬品がある先発医薬品'."""
    found = [(len(norm_label(h)), i) for i, h in enumerate(headers)
             if i != skip and h and re.search(pattern, norm_label(h), re.IGNORECASE)]
    return min(found)[1] if found else None


def price_columns(headers: list[str]) -> Columns | None:
    """The columns of a header row, or None unless it has a product name and a price."""
    generic = _pick(headers, _GENERIC)
    name = _pick(headers, _NAME, generic)
    price = _pick(headers, _PRICE)
    if name is None or price is None or name == price:
        return None
    return Columns(name, price, generic, _pick(headers, _SPEC), _pick(headers, _DATE))


def price_rows(headers: list[str], rows: Iterable[tuple[str, list[str]]],
               page_date: tuple[str, str, str] | None) -> list[Reading]:
    """price and product_name readings of rows (locator, cells) under a header row.

    `page_date` is (ISO date, sentence, locator) of the 「…から適用」 text, used when the rows
    have no date column, and then quoted after the row as in `mhlw.py`."""
    cols = price_columns(headers)
    if cols is None:
        return []
    name, price, generic = cols.name, cols.price, cols.generic
    yen = bool(re.search(r"円|yen|薬価", headers[price], re.IGNORECASE))
    readings: list[Reading] = []
    for where, texts in rows:
        product = texts[name] if name < len(texts) else ""
        if not product:
            continue
        readings += row_readings(
            texts, f"{where} ('{product}')", product, price=price, spec=cols.spec,
            when=cols.date, generic=generic, yen=yen,
            page_date=(page_date[0], page_date[1]) if page_date else None,
            date_where=page_date[2] if page_date else "")
    return readings


def effective_date(texts: Iterable[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(ISO date, sentence, locator) of the first '令和8年5月20日から適用' / '適用日: …' text."""
    for where, text in texts:
        for sentence in sentences(text):
            folded = fold(sentence)
            for pattern in _EFFECTIVE:
                m = re.search(pattern, folded)
                if m and parse_date(m.group(1)):
                    return parse_date(m.group(1)), sentence, where  # type: ignore[return-value]
    return None
