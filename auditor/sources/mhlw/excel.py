"""MHLW price lists as Excel workbooks (.xlsx): the 薬価基準収載品目リスト style attachment of a
price-listing notice. Each sheet has a few title rows, then a header row (薬価基準収載医薬品コード
/ 成分名 / 規格 / 品名 / 薬価 / …) and one row per product.

The readings are those `mhlw` gives for an HTML price table (price qualified by the product
name, product_name), so the diff engine cannot tell a workbook row from a table row. The
row-to-readings code is `columns.py`, shared with the HTML and PDF readers.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.values import squash
from auditor.sources.mhlw.columns import (
    effective_date,
    price_columns,
    price_rows,
    reimbursement_of,
)

KIND = "mhlw_excel"
ROLE = "regulator"

#: Header rows are looked for this far down a sheet (title rows come first).
HEADER_SEARCH_ROWS = 30
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
    return readings + reimbursement_of(readings)


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


