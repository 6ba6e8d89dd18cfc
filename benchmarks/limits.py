"""Hostile documents against [limits]: how long each takes to be refused, and the peak memory
of an audit that meets all of them at once (issue 13's red-team cases, made here, not stored):

    .venv/bin/python benchmarks/limits.py [--unlimited-pages 2]

* a 54 KB PDF whose 300 pages share one 3 MB content stream;
* an 8.9 MB XLSX zip bomb without a dimension (one sheet inflating to ~9 GB);
* an 87 MB HTML price page with a million rows;
* a 200 MB abstract in a PubMed record.

Each is refused by a limit (its time to the error is printed); then one audit of the Amchepry
dossier with the four planted is run in a child process and its peak RSS printed. With
--unlimited-pages N, the time that N pages of the PDF take with the limits raised is printed
too: what the limit saves.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The sheet's rows, one block of them; the bomb is this block deflated once and repeated.
_ROW = "<row>" + "<c t=\"inlineStr\"><is><t>x</t></is></c>" * 64 + "</row>"


def pdf_bomb(pages: int = 300, stream_bytes: int = 3_000_000) -> bytes:
    """A PDF of `pages` pages that all draw one content stream of `stream_bytes` (text
    operators), deflated: a small file that costs its reader pages × stream bytes of work."""
    line = b"BT /F1 9 Tf 20 700 Td (Generated limit-test text, not a notice) Tj ET\n"
    content = zlib.compress(line * (stream_bytes // len(line)), 9)
    first_page = 5
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
            pages, b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content
           + b"\nendstream",
    }
    for i in range(pages):
        objects[first_page + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                                   b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def xlsx_bomb(zipped_bytes: int = 8_900_000) -> bytes:
    """An .xlsx whose one sheet (no <dimension>) deflates to about `zipped_bytes` and inflates
    ~1000 times that, written as a ZIP64 archive. Its sheet is one block of rows deflated once
    and repeated (a full flush between blocks makes each block's bytes identical), so it takes
    a second to make; the sheet's CRC is not computed (that would mean inflating it): a bomb's
    header says whatever it likes, and nothing that refuses it reads that far."""
    block = (_ROW * 2000).encode()
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns=' \
           b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    start = squeeze.compress(head) + squeeze.flush(zlib.Z_FULL_FLUSH)
    one = squeeze.compress(block) + squeeze.flush(zlib.Z_FULL_FLUSH)
    again = squeeze.compress(block) + squeeze.flush(zlib.Z_FULL_FLUSH)
    assert one == again, "a full flush should make every block's deflated bytes the same"
    tail = b"</sheetData></worksheet>"
    repeats = max(1, (zipped_bytes - len(start)) // len(one))
    sheet_deflated = start + one * repeats + squeeze.compress(tail) + squeeze.flush()
    sheet_size = len(head) + len(block) * repeats + len(tail)
    members = [
        ("[Content_Types].xml", _xml(
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')),
        ("_rels/.rels", _xml(
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')),
        ("xl/workbook.xml", _xml(
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')),
        ("xl/_rels/workbook.xml.rels", _xml(
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '</Relationships>')),
    ]
    entries = [(name, zlib.compress(body, 9)[2:-4], len(body), zlib.crc32(body))
               for name, body in members]
    entries.append(("xl/worksheets/sheet1.xml", sheet_deflated, sheet_size, 0))
    return _zip64(entries)


def _xml(text: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text).encode()


def _zip64(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already-deflated members (name, raw deflate, inflated size, crc32), with
    ZIP64 extra fields so a member may declare more than 4 GB."""
    out = io.BytesIO()
    central = []
    for name, data, size, crc in entries:
        offset = out.tell()
        encoded = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, size, len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0, crc, 0xFFFFFFFF,
                              0xFFFFFFFF, len(encoded), len(extra)) + encoded + extra)
        out.write(data)
        extra_c = struct.pack("<HHQQQ", 1, 24, size, len(data), offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0, crc,
                                   0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra_c), 0, 0, 0,
                                   0, 0xFFFFFFFF) + encoded + extra_c)
    start = out.tell()
    for record in central:
        out.write(record)
    length = out.tell() - start
    end64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries),
                          len(entries), length, start))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                          0xFFFFFFFF, 0))
    return out.getvalue()


def big_html(path: Path, rows: int = 1_000_000) -> Path:
    """An MHLW-style price page of `rows` product rows (about 87 bytes a row), written in
    chunks so making it costs no memory."""
    with path.open("w", encoding="utf-8") as f:
        f.write('<html><head><meta charset="utf-8"><title>薬価基準収載品目</title></head><body>'
                "<table><tr><th>品名</th><th>規格単位</th><th>薬価</th><th>区分</th></tr>\n")
        for start in range(0, rows, 10_000):
            f.write("".join(f"<tr><td>生成品{i:07d}</td><td>1瓶</td><td>{i % 9000 + 100},000円"
                            "</td><td>注射薬 </td></tr>\n"
                            for i in range(start, min(rows, start + 10_000))))
        f.write("</table></body></html>\n")
    return path


def big_abstract(path: Path, size: int = 200 * 1024 * 1024) -> Path:
    """A PubMed record whose abstract is `size` bytes of prose, written in chunks."""
    sentence = "Generated limit-test text, not a real abstract; 12 patients were enrolled. "
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>'
                '<PMID>40240591</PMID><Article><ArticleTitle>Generated</ArticleTitle>'
                "<Abstract><AbstractText>")
        chunk = sentence * (1024 * 1024 // len(sentence))
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.write("</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
                "</PubmedArticleSet>\n")
    return path


def plant(folder: Path) -> dict[str, str]:
    """Copy the Amchepry dossier into `folder` and plant the four documents: the price page,
    workbook and abstract replaced, the PDF added as a source. Source name → its file."""
    shutil.copytree(ROOT / "auditor" / "demo" / "amchepry", folder / "snapshots" / "amchepry")
    config = (ROOT / "auditor" / "demo" / "config.toml").read_text(encoding="utf-8")
    amchepry = folder / "snapshots" / "amchepry"
    big_html(amchepry / "mhlw-price-listing-20260519.html")
    (amchepry / "mhlw-price-listing-20260519.xlsx").write_bytes(xlsx_bomb())
    big_abstract(amchepry / "pubmed-40240591.xml")
    (amchepry / "notice-bomb.pdf").write_bytes(pdf_bomb())
    config += ('\n[[subjects.sources]]\nname = "mhlw-pdf"\nkind = "mhlw_pdf"\n'
               'snapshot = "amchepry/notice-bomb.pdf"\n')
    (folder / "config.toml").write_text(config, encoding="utf-8")
    return {"mhlw-price": "mhlw-price-listing-20260519.html",
            "mhlw-price-xlsx": "mhlw-price-listing-20260519.xlsx",
            "pubmed": "pubmed-40240591.xml", "mhlw-pdf": "notice-bomb.pdf"}


def peak_of(command: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run `command` under a fresh Python whose only child it is, so RUSAGE_CHILDREN's peak
    RSS is the command's own (in MiB)."""
    probe = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], "
             "capture_output=True); sys.stdout.buffer.write(p.stdout); "
             "sys.stderr.buffer.write(p.stderr); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
             "sys.exit(p.returncode)")
    done = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd,
                          capture_output=True, timeout=600)
    lines = done.stderr.decode().strip().splitlines()
    kib = int(lines[-1])
    done.stderr = "\n".join(lines[:-1]).encode()
    return done, kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unlimited-pages", type=int, default=0)
    args = parser.parse_args(argv)
    from auditor import sources
    from auditor.errors import LimitError
    from auditor.models import Limits
    from auditor.read.documents import Document

    cases = [("mhlw_pdf", "PDF, 300 pages on one 3 MB stream", pdf_bomb()),
             ("mhlw_excel", "XLSX zip bomb, 8.9 MB", xlsx_bomb())]
    for kind, what, body in cases:
        started = time.perf_counter()
        try:
            sources.parse(kind, Document(body, source=what))
            print(f"{what}: NOT refused")
        except LimitError as e:
            print(f"{what} ({len(body):,} bytes): refused in "
                  f"{time.perf_counter() - started:.2f} s: {e}")
    if args.unlimited_pages:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf_bomb()))
        started = time.perf_counter()
        for page in reader.pages[:args.unlimited_pages]:
            page.extract_text()
        per_page = (time.perf_counter() - started) / args.unlimited_pages
        print(f"PDF without limits: {per_page:.2f} s a page, so ~{per_page * 300:.0f} s for "
              "300 pages")
    del Limits
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plant(folder)
        started = time.perf_counter()
        done, peak = peak_of([sys.executable, "-m", "auditor.cli", "audit", "--json",
                              "--config", str(folder / "config.toml")], folder)
        print(f"audit with all four planted (and an 87 MB HTML, a 200 MB abstract on disk): "
              f"exit {done.returncode} in {time.perf_counter() - started:.1f} s, peak RSS "
              f"{peak:.0f} MiB (self {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}"
              " MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
