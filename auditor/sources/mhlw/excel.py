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
from typing import Any

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.values import squash
from auditor.sources.limits import Budget, too_large
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


def _size_from_head(sheet: Any) -> None:
    """openpyxl's read-only sheet looks for its <dimension> by parsing to the end of
    <sheetData> when there is none (a whole pass over the sheet before the first row: a
    sheet without one ran past 400 s). The dimension comes before the data or not at all,
    so stop at the data's start tag."""
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    with sheet._get_source() as source:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == DIMENSION_TAG and element.get("ref"):
                bounds = SheetDimension.from_tree(element).boundaries
                sheet._min_column, sheet._min_row, sheet._max_column, sheet._max_row = bounds
                return
            if element.tag == DATA_TAG:
                return


def _read_only_sheets() -> None:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    if getattr(ReadOnlyWorksheet, "_get_size", None) is not _size_from_head:
        ReadOnlyWorksheet._get_size = _size_from_head  # type: ignore[method-assign]


def _sheets(doc: Document) -> list[tuple[str, list[list[str]]]]:
    """(sheet title, rows of cell texts) per sheet; ParseError says what to do with a bad file."""
    from openpyxl import load_workbook

    if doc.body.startswith(_OLE2):
        raise ParseError(f"{doc.source}: an old-format .xls or password-protected workbook, not "
                         ".xlsx; open it in Excel and save it as .xlsx without a password")
    _check_zip(doc)
    _read_only_sheets()
    budget = Budget(doc)
    try:
        book = load_workbook(io.BytesIO(doc.body), read_only=True, data_only=True)
    except ParseError:
        raise
    except Exception as e:  # openpyxl raises zip, XML, KeyError and its own errors
        raise ParseError(f"{doc.source}: not a readable .xlsx workbook ({e.__class__.__name__}: "
                         f"{e}); re-fetch the attachment or check its link") from e
    try:
        sheets, cells = [], 0
        for sheet in book.worksheets:
            rows = []
            for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells += len(row)
                if cells > doc.limits.xlsx_cells:
                    raise too_large(doc.source, f"more than {doc.limits.xlsx_cells:,} cells "
                                    f"(reached at sheet '{sheet.title}' row {n:,})",
                                    "[limits] xlsx_cells")
                if n % 256 == 0:
                    budget.check(f"sheet '{sheet.title}' row {n:,}")
                rows.append([cell_value(v) for v in row])
            sheets.append((sheet.title, rows))
        return sheets
    except ParseError:
        raise
    except Exception as e:
        raise ParseError(f"{doc.source}: workbook is damaged ({e.__class__.__name__}: {e}); "
                         "re-fetch the attachment") from e
    finally:
        book.close()


def _check_zip(doc: Document) -> None:
    """Refuse a zip bomb before openpyxl opens it: members that declare, all together, more
    than [limits] xlsx_unzipped_bytes, or one that inflates more than xlsx_ratio times. The
    declared sizes bind: zipfile never inflates a member past the size it declares."""
    limits = doc.limits
    try:
        with zipfile.ZipFile(io.BytesIO(doc.body)) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, ValueError) as e:
        raise ParseError(f"{doc.source}: not a readable .xlsx workbook (BadZipFile: {e}); "
                         "re-fetch the attachment or check its link") from e
    total = sum(m.file_size for m in members)
    if total > limits.xlsx_unzipped_bytes:
        raise too_large(doc.source, f"its {len(members)} zip members unzip to {total:,} bytes, "
                        f"over the limit of {limits.xlsx_unzipped_bytes:,}",
                        "[limits] xlsx_unzipped_bytes")
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > limits.xlsx_ratio * max(
                m.compress_size, 1):
            raise too_large(doc.source, f"member {m.filename} inflates "
                            f"{m.file_size / max(m.compress_size, 1):,.0f} times "
                            f"({m.compress_size:,} → {m.file_size:,} bytes), over the ratio "
                            f"of {limits.xlsx_ratio:g} (a zip bomb?)", "[limits] xlsx_ratio")


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


