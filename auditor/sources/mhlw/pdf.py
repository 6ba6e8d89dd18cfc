"""MHLW notices as PDF attachments: the price table of a listing amendment (品名 / 規格単位 /
薬価, one product per line) and the 「令和８年５月２０日から適用する」 sentence, read from the
PDF's text layer with pypdf.

A text layer has no table structure: a row is a line whose whitespace-separated cells fit the
header line's columns (a product name may itself contain spaces: the extra cells go to the name
column). A line with fewer cells than the header, or whose price cell is not a number, is not a
row. The readings are those of `mhlw.py`, so a PDF row and an HTML row compare as equals.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.values import fold, squash
from auditor.sources.limits import Budget, too_large
from auditor.sources.mhlw.columns import (
    EFFECTIVE,
    PageDate,
    effective_date,
    price_columns,
    price_rows,
    reimbursement_of,
)

if TYPE_CHECKING:
    from pypdf import PdfReader

KIND = "mhlw_pdf"
ROLE = "regulator"

_PRICE_CELL = re.compile(r"[\d,.]+\s*円?|未定|[-‐―ー－]")


def detect(doc: Document) -> bool:
    return doc.body.startswith(b"%PDF")


def parse(doc: Document) -> list[Reading]:
    pages, title = _text_pages(doc)
    readings = price_rows_of(pages)
    readings += reimbursement_of(readings)
    if title:
        readings.append(Reading(field="title", value=title, quote=title,
                                locator="PDF document information /Title"))
    return readings


def price_rows_of(pages: list[list[str]]) -> list[Reading]:
    """Price readings of the table rows on every page, dated by the notice's 適用 sentence."""
    page_date = _effective_sentence(pages)
    header: list[str] | None = None
    rows: list[tuple[str, list[str]]] = []
    readings: list[Reading] = []
    for page, line_no, line in _lines(pages):
        cells = _cells(line)
        if price_columns(cells) is not None:
            if header is not None and rows:
                readings += price_rows(header, rows, page_date)
            header, rows = cells, []
            continue
        row = _fit(cells, header) if header is not None else None
        if row is not None:
            rows.append((f"page {page} line {line_no}", row))
    if header is not None and rows:
        readings += price_rows(header, rows, page_date)
    return readings


def _text_pages(doc: Document) -> tuple[list[list[str]], str | None]:
    """Each page's text lines, and the document title; ParseError for what cannot be read."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if not detect(doc):
        raise ParseError(f"{doc.source}: not a PDF (no %PDF header); re-fetch the attachment "
                         "or check its link")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported below
    budget = Budget(doc)
    try:
        reader = PdfReader(io.BytesIO(doc.body))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(f"{doc.source}: no text layer: the PDF is encrypted with a "
                             "password; get an unprotected copy or the HTML/Excel version")
        _check_work(reader, doc, budget)
        pages = []
        for n, page in enumerate(reader.pages, start=1):
            budget.check(f"page {n}")
            pages.append((page.extract_text() or "").splitlines())
        title = reader.metadata.title if reader.metadata else None
    except ParseError:
        raise
    except (FileNotDecryptedError, DependencyError) as e:
        raise ParseError(f"{doc.source}: no text layer: the PDF is encrypted ({e}); get an "
                         "unprotected copy or the HTML/Excel version") from e
    except Exception as e:  # pypdf raises PdfReadError, and others, on damaged input
        raise ParseError(f"{doc.source}: malformed PDF ({e.__class__.__name__}: {e}); "
                         "re-fetch the attachment") from e
    if not any(line.strip() for lines in pages for line in lines):
        raise ParseError(f"{doc.source}: no text layer: {len(pages)} page(s) but no text "
                         "(a scanned image?); use the HTML or Excel version of the notice")
    return pages, squash(str(title)) if title else None


def _check_work(reader: PdfReader, doc: Document, budget: Budget) -> None:
    """Refuse, before extracting any text, a PDF with more pages than [limits] pdf_pages or
    whose pages' content streams add up to more than pdf_content_bytes: extraction costs
    time in proportion to the content it interprets, and a small file can make pages share
    one huge stream. Each stream is decoded once (pypdf caps one stream's inflated size)."""
    limits = doc.limits
    count = len(reader.pages)
    if count > limits.pdf_pages:
        raise too_large(doc.source, f"{count:,} pages, over the limit of {limits.pdf_pages:,}",
                        "[limits] pdf_pages")
    sizes: dict[int, int] = {}
    total = 0
    for n, page in enumerate(reader.pages, start=1):
        budget.check(f"measuring page {n}")
        contents = page.get("/Contents")
        refs = contents.get_object() if contents is not None else []
        for ref in refs if isinstance(refs, list) else [refs]:
            stream = ref.get_object()
            key = id(stream)
            if key not in sizes:
                sizes[key] = len(stream.get_data()) if hasattr(stream, "get_data") else 0
            total += sizes[key]
        if total > limits.pdf_content_bytes:
            raise too_large(doc.source, f"its pages' content streams add up to more than "
                            f"{limits.pdf_content_bytes:,} bytes by page {n} of {count:,} "
                            f"({total:,} bytes; a stream shared by pages counts once a page)",
                            "[limits] pdf_content_bytes")


def _lines(pages: list[list[str]]) -> Iterator[tuple[int, int, str]]:
    for p, lines in enumerate(pages, start=1):
        for n, line in enumerate(lines, start=1):
            yield p, n, line


def _cells(line: str) -> list[str]:
    """Whitespace-separated cells; '薬価 （円）' stays one cell, as a bracket never starts one."""
    cells: list[str] = []
    for token in line.split():
        if cells and token[0] in "(（":
            cells[-1] += token
        else:
            cells.append(token)
    return cells


def _fit(cells: list[str], header: list[str]) -> list[str] | None:
    """The cells of a table row under `header`, extra cells joined into the name; or None."""
    cols = price_columns(header)
    if cols is None or len(cells) < len(header):
        return None
    extra = len(cells) - len(header)
    k = cols.name
    row = cells[:k] + [" ".join(cells[k:k + extra + 1])] + cells[k + extra + 1:]
    named = re.search(r"[^\W\d_]", row[cols.name])  # a page number '- 2 -' names nothing
    return row if named and _PRICE_CELL.fullmatch(fold(row[cols.price])) else None


def _effective_sentence(pages: list[list[str]]) -> PageDate | None:
    """The 「…から適用」 sentence, which may wrap across lines: lines are joined without a
    space (Japanese has none) and the quote is the whole lines the match spans."""
    for p, lines in enumerate(pages, start=1):
        folded = [fold(line).strip() for line in lines]
        starts, offset = [], 0
        for line in folded:
            starts.append(offset)
            offset += len(line)
        joined = "".join(folded)
        for pattern in EFFECTIVE:
            m = re.search(pattern, joined)
            if not m:
                continue
            first = max(i for i, s in enumerate(starts) if s <= m.start())
            last = max(i for i, s in enumerate(starts) if s < m.end())
            quote = "".join(line.strip() for line in lines[first:last + 1])
            found = effective_date([(f"page {p} line {first + 1}", quote)])
            if found:
                return found
    return None
