"""Headless Chromium on the Datasette findings page and the HTML subject report.

Screenshots go to test-output/ (gitignored) for a person to look at. Needs Debian's `chromium`
(`apt-get install -y chromium fonts-noto-cjk`; the fonts make the Japanese quotes legible).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import sqlite_utils
from bs4 import BeautifulSoup
from test_datasette import server  # noqa: F401  (the running `auditor serve`)

from auditor.outputs.subject_report import subject_report

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")


def chromium(tmp_path: Path, *args: str) -> str:
    """Run headless Chromium once with a throwaway profile; returns what it printed."""
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def look(tmp_path: Path, url: str, name: str, height: int = 1600) -> BeautifulSoup:
    """The page's DOM after it rendered, and a screenshot in test-output/NAME.png."""
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / f"{name}.png"
    shot.unlink(missing_ok=True)
    chromium(tmp_path, f"--screenshot={shot}", f"--window-size=1280,{height}", url)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    return BeautifulSoup(chromium(tmp_path, "--dump-dom", url), "lxml")


def test_findings_page_shows_findings_and_quotes(server: tuple[str, Path],  # noqa: F811
                                                 tmp_path: Path) -> None:
    base, db = server
    # Taller: Datasette lists the column descriptions above the rows.
    dom = look(tmp_path, f"{base}/audit/open_findings", "open_findings", height=2600)
    text = dom.get_text(" ")
    assert "Open findings" in dom.h1.get_text()
    for row in sqlite_utils.Database(db).query("select message, quote_a from open_findings"):
        assert row["message"] in text
        if row["quote_a"]:
            assert row["quote_a"] in text
    assert dom.select('a[href^="https://"]'), "source URLs should render as links"


def test_subject_report_page(server: tuple[str, Path], tmp_path: Path) -> None:  # noqa: F811
    _, db = server
    OUTPUT.mkdir(exist_ok=True)
    page = OUTPUT / "amchepry-report.html"
    page.write_text(subject_report(sqlite_utils.Database(db), "amchepry", "html"), "utf-8")
    dom = look(tmp_path, page.as_uri(), "amchepry-report")
    assert dom.h1.get_text() == "Amchepry (raguneprocel): what the sources say"
    headings = [h.get_text() for h in dom.find_all("h2")]
    assert "What the sources do not support" in headings
    text = dom.get_text(" ")
    assert "There were no serious adverse events, and 73 mild-to-moderate adverse events" in text
    assert "既存の薬物療法で運動症状が十分にコントロールされないパーキンソン病" in text
    assert dom.select_one("#fields a[title]")["href"].startswith("https://")
