"""Resource limits ([limits]): a document too large or too slow to read is refused with one
line naming the source, the limit and the setting to raise, and the audit goes on with the rest
of the sources. The hostile documents are made here (benchmarks/limits.py), not stored."""

from __future__ import annotations

import io
import json
import signal
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from auditor import sources
from auditor.cli import cli
from auditor.config import config_from_dict
from auditor.errors import ConfigError, LimitError
from auditor.models import Limits
from auditor.read.documents import Document

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import limits as hostile  # noqa: E402

MIB = 1024 * 1024


def refusal(kind: str, body: bytes, **settings: object) -> str:
    with pytest.raises(LimitError) as refused:
        sources.parse(kind, Document(body, source="planted", limits=Limits(**settings)))
    message = str(refused.value)
    assert message.startswith("planted: ") and "\n" not in message, message
    return message


def test_a_54_kb_pdf_whose_300_pages_share_one_3_mb_stream_is_refused_before_extraction():
    body = hostile.pdf_bomb()
    assert 40_000 < len(body) < 70_000
    message = refusal("mhlw_pdf", body)
    assert "too large: its pages' content streams add up to more than" in message
    assert "of 300" in message and "[limits] pdf_content_bytes in config.toml" in message


def test_a_pdf_with_more_pages_than_the_limit_is_refused():
    message = refusal("mhlw_pdf", hostile.pdf_bomb(pages=30, stream_bytes=1000), pdf_pages=20)
    assert "too large: 30 pages, over the limit of 20 ([limits] pdf_pages" in message


def test_a_pdf_under_the_caps_but_slow_is_stopped_by_the_time_budget():
    message = refusal("mhlw_pdf", hostile.pdf_bomb(), pdf_content_bytes=10**10, seconds=0.5)
    assert "too slow: reading it took more than 0.5 s" in message
    assert "[limits] seconds in config.toml" in message


def test_the_time_budget_leaves_no_timer_behind():
    before, hook = signal.getsignal(signal.SIGALRM), sys.unraisablehook
    refusal("mhlw_pdf", hostile.pdf_bomb(), pdf_content_bytes=10**10, seconds=0.2)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before and sys.unraisablehook is hook
    readings = sources.parse("mhlw_pdf", Document(hostile.pdf_bomb(pages=2, stream_bytes=500),
                                                  source="small"))
    assert readings == []  # a small PDF reads, and its text names no price table


def test_an_8_9_mb_xlsx_zip_bomb_without_a_dimension_is_refused_by_its_declared_sizes():
    body = hostile.xlsx_bomb()
    assert 8_500_000 < len(body) < 9_300_000
    message = refusal("mhlw_excel", body)
    assert "too large: its 5 zip members unzip to" in message
    assert "[limits] xlsx_unzipped_bytes in config.toml" in message


def test_a_member_that_inflates_too_many_times_is_refused_as_a_bomb():
    message = refusal("mhlw_excel", hostile.xlsx_bomb(100_000), xlsx_ratio=50)
    assert "member xl/worksheets/sheet1.xml inflates" in message
    assert "(a zip bomb?) ([limits] xlsx_ratio" in message


def test_the_bomb_with_the_zip_caps_raised_still_ends_at_the_cell_cap():
    message = refusal("mhlw_excel", hostile.xlsx_bomb(200_000), xlsx_unzipped_bytes=10**11,
                      xlsx_ratio=10**6, xlsx_cells=50_000)
    assert "too large: more than 50,000 cells (reached at sheet 'Sheet1' row 782)" in message


def test_a_real_size_workbook_over_the_cell_cap_is_refused():
    book = openpyxl.Workbook()
    sheet = book.active
    for i in range(200):
        sheet.append(["品名", f"製品{i}", "薬価", 1000 + i])
    out = io.BytesIO()
    book.save(out)
    message = refusal("mhlw_excel", out.getvalue(), xlsx_cells=500)
    assert "more than 500 cells (reached at sheet 'Sheet' row 126)" in message


def test_any_document_over_its_kinds_size_cap_is_refused_before_parsing():
    page = b"<html><body>" + b"<p>x</p>" * (MIB // 8 + 1) + b"</body></html>"
    message = refusal("page", page, bytes={"page": MIB})
    assert f"too large: {len(page):,} bytes, over the page limit of {MIB:,}" in message
    assert "[limits.bytes] page in config.toml" in message
    message = refusal("crossref", b"{}" * MIB, bytes={"default": MIB})
    assert "over the crossref limit" in message and "[limits.bytes] crossref" in message


def test_an_html_reader_past_its_budget_is_interrupted():
    page = ("<html><body><table><tr><th>品名</th><th>薬価</th></tr>"
            + "<tr><td>製品</td><td>1,000円</td></tr>" * 60_000 + "</table></body></html>")
    message = refusal("mhlw", page.encode(), seconds=0.3)
    assert "too slow" in message and "interrupted" in message


def test_limits_are_read_from_config_and_checked():
    config = config_from_dict({"limits": {"seconds": 5, "xlsx_cells": 10,
                                          "bytes": {"mhlw": 1000}}})
    assert config.limits.bytes_for("mhlw") == (1000, "[limits.bytes] mhlw")
    assert config.limits.bytes_for("pubmed") == (32 * MIB, "[limits.bytes] pubmed")
    with pytest.raises(ConfigError, match="limits.bytes.mhlww: unknown kind"):
        config_from_dict({"limits": {"bytes": {"mhlww": 1000}}})
    with pytest.raises(ConfigError, match="limits.bytes.mhlw: must be a number of bytes > 0"):
        config_from_dict({"limits": {"bytes": {"mhlw": -1}}})
    with pytest.raises(ConfigError, match="limits.seconds"):
        config_from_dict({"limits": {"seconds": float("nan")}})


def test_compare_refuses_an_oversized_file_by_its_size_in_one_line(tmp_path):
    big = hostile.big_html(tmp_path / "mhlw-price.html", rows=200_000)
    assert big.stat().st_size > 8 * MIB
    result = CliRunner().invoke(cli, ["compare", f"mhlw:{big}", "--config",
                                      str(tmp_path / "none.toml")])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "too large" in line and "[limits.bytes] mhlw" in line


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, hostile.plant(folder)


def test_an_audit_meeting_all_four_refuses_each_and_goes_on_in_under_1_gib(planted):
    folder, files = planted
    amchepry = folder / "snapshots" / "amchepry"
    assert (amchepry / files["mhlw-price"]).stat().st_size > 86_000_000  # 87 MB
    assert (amchepry / files["pubmed"]).stat().st_size > 200_000_000
    done, peak_mib = hostile.peak_of([sys.executable, "-m", "auditor.cli", "audit", "--json",
                                      "--config", str(folder / "config.toml")], folder)
    assert done.returncode == 1, done.stderr.decode()
    out = json.loads(done.stdout)
    broken = {f["sources"][0]["source"]: f["message"] for f in out["findings"]
              if f["rule"] == "source_broken"}
    assert set(broken) == set(files)
    assert "[limits.bytes] mhlw in config.toml" in broken["mhlw-price"]
    assert "[limits.bytes] pubmed in config.toml" in broken["pubmed"]
    assert "[limits] xlsx_unzipped_bytes" in broken["mhlw-price-xlsx"]
    assert "[limits] pdf_content_bytes" in broken["mhlw-pdf"]
    assert all("too large" in m and "left out of this audit" in m for m in broken.values())
    read = {c["source"] for c in out["claims"]}
    assert {"jrct-ja", "jrct-en", "crossref", "pmda-approval"} <= read
    assert not read & set(files)
    assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB"
