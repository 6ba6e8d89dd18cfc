"""MHLW notices as PDF: the price table and the 「…から適用」 sentence, from the text layer.

The PDFs are written here, byte for byte: a Type0 font with a ToUnicode map gives a real text
layer with Japanese in it, and no font file is needed because nothing is rendered.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import detect, mhlw
from auditor.sources.mhlw import pdf as mhlw_pdf

FIXTURES = Path(__file__).parent.parent / "auditor" / "demo" / "amchepry"
AMCHEPRY = {"amount": 55306737, "currency": "JPY", "pack": "18 vials",
            "effective_date": "2026-05-20"}
#: The notice of the listing amendment, as its PDF shows it (cells separated by '|').
NOTICE = [
    "使用薬剤の薬価（薬価基準）の一部改正について",
    "標記について、使用薬剤の薬価（薬価基準）の一部を改正し、令和８年５月２０日から適",
    "用することとされたので、その概要は下記のとおりである。",
    "品名|規格単位|薬価（円）",
    "アムシェプリ|１８バイアル１組|５５，３０６，７３７",
]


def make_pdf(pages: list[list[str]], *, title: str | None = None) -> bytes:
    """A PDF showing each page's lines; a line's '|'-separated cells are placed in columns,
    as a table's cells are, so the text layer has them on one line with spaces between."""
    chars = sorted({c for lines in pages for line in lines for c in line} | {" "})
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def "
            "/CMapType 2 def 1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            f"{len(chars)} beginbfchar\n" + "".join(f"<{ord(c):04X}> <{ord(c):04X}>\n"
                                                     for c in chars)
            + "endbfchar endcmap CMapName currentdict /CMap defineresource pop end end").encode()
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, once the pages are numbered
        b"<< /Type /Font /Subtype /Type0 /BaseFont /TestCJK /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestCJK /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        _stream(cmap),
    ]
    kids = []
    for lines in pages:
        ops = [f"BT /F1 10 Tf {40 + 150 * j} {800 - 14 * i} Td "
               f"<{''.join(f'{ord(c):04X}' for c in cell)}> Tj ET"
               for i, line in enumerate(lines) for j, cell in enumerate(line.split("|"))]
        objects.append(_stream("\n".join(ops).encode()))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
                       b"<< /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects))
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    info = b""
    if title is not None:
        objects.append(b"<< /Title <FEFF%s> >>" % title.encode("utf-16-be").hex().encode())
        info = b" /Info %d 0 R" % len(objects)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, info, xref)
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def read(body: bytes, field: str | None = None, source: str = "notice.pdf") -> list:
    readings = mhlw_pdf.parse(Document(body, "application/pdf", source=source))
    return [r for r in readings if field is None or r.field == field]


def test_the_price_row_and_the_sentence_it_applies_from():
    [price] = read(make_pdf([NOTICE]), "price")
    assert price.value == AMCHEPRY
    assert price.qualifier == "アムシェプリ"
    assert price.quote == (
        "アムシェプリ | １８バイアル１組 | ５５，３０６，７３７ … 標記について、使用薬剤の"
        "薬価（薬価基準）の一部を改正し、令和８年５月２０日から適用することとされたので、"
        "その概要は下記のとおりである。")
    assert price.locator == "page 1 line 5 ('アムシェプリ'); effective date from page 1 line 2"


def test_the_pdf_and_the_html_notice_give_the_same_price_and_name():
    html = mhlw.parse(Document((FIXTURES / "mhlw-price-listing-20260519.html").read_bytes(),
                               "text/html; charset=Shift_JIS"))
    pdf = read(make_pdf([NOTICE]))
    for field in ("price", "product_name"):
        [from_html] = [r for r in html if r.field == field and r.qualifier]
        [from_pdf] = [r for r in pdf if r.field == field]
        assert (from_pdf.value, from_pdf.qualifier) == (from_html.value, from_html.qualifier)


def test_rows_across_pages_with_spaced_names_unknown_prices_and_page_numbers():
    pages = [["適用日：令和８年５月２０日", "区分|品名|規格|薬価 （円）",
              "注射薬|テスト 注射液 10mg|1瓶|1,234", "注射薬|テスト注Ｂ|1キット|未定", "- 1 -"],
             ["注射薬|テスト注Ｃ|1キット|98000円", "（注）薬価は税込み", "- 2 -"]]
    prices = {r.qualifier: (r.value, r.locator) for r in read(make_pdf(pages), "price")}
    assert list(prices) == ["テスト 注射液 10mg", "テスト注Ｂ", "テスト注Ｃ"]
    assert prices["テスト 注射液 10mg"][0] == {"amount": 1234, "currency": "JPY",
                                           "pack": "1 vial", "effective_date": "2026-05-20"}
    assert prices["テスト注Ｂ"][0] is None
    assert prices["テスト注Ｃ"] == (
        {"amount": 98000, "currency": "JPY", "pack": "1 kit", "effective_date": "2026-05-20"},
        "page 2 line 1 ('テスト注Ｃ'); effective date from page 1 line 1")


def test_without_an_applies_from_sentence_the_date_is_unknown():
    [price] = read(make_pdf([NOTICE[3:]]), "price")
    assert price.value == {**AMCHEPRY, "effective_date": None}
    assert price.locator == "page 1 line 2 ('アムシェプリ')"


def test_the_title_comes_from_the_document_information():
    [title] = read(make_pdf([NOTICE], title="使用薬剤の薬価の一部改正"), "title")
    assert (title.value, title.locator) == ("使用薬剤の薬価の一部改正",
                                            "PDF document information /Title")
    assert read(make_pdf([NOTICE]), "title") == []


@pytest.mark.parametrize("body, expected", [
    (make_pdf([NOTICE]), True),
    (b"PK\x03\x04", False),
    (b"<html><body>%PDF</body></html>", False),
])
def test_detect(body, expected):
    assert mhlw_pdf.detect(Document(body)) is expected


def test_a_pdf_with_an_mhlw_url_is_detected_as_pdf_not_as_the_html_notice():
    doc = Document(make_pdf([NOTICE]), None, url="https://www.mhlw.go.jp/content/x.pdf")
    assert detect(doc) == "mhlw_pdf"


def encrypted(body: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(body))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("body, message", [
    (make_pdf([[], []]), "no text layer: 2 page(s) but no text (a scanned image?)"),
    (encrypted(make_pdf([NOTICE])), "no text layer: the PDF is encrypted"),
    (b"%PDF-1.7\nthis is not a PDF body", "malformed PDF"),
    (b"<html>error</html>", "not a PDF"),
])
def test_unreadable_pdfs_say_why_and_what_to_do(body, message):
    with pytest.raises(ParseError) as caught:
        read(body, source="mhlw-price/notice.pdf")
    assert str(caught.value).startswith("mhlw-price/notice.pdf: ")
    assert message in str(caught.value)


def test_an_encrypted_pdf_that_opens_without_a_password_is_read():
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf([NOTICE])))
    writer.encrypt("", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    [price] = read(out.getvalue(), "price")
    assert price.value == AMCHEPRY
