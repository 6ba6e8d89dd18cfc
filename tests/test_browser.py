"""Headless Chromium on the pages people read: a plain `datasette audit.db` (the plugin loaded by
its entry point) at 1400×1000, and the HTML subject report.

The test measures what a person sees without scrolling: the first finding's severity, message
and both sides' quotes must lie inside the window (element boxes read over the DevTools
protocol, `tests/support/cdp.py`), on the findings page, the finding's page and the subject
page. Screenshots go to test-output/ (gitignored) for a person to look at. Needs Debian's
`chromium` (`apt-get install -y chromium fonts-noto-cjk`; the fonts make the Japanese legible).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from bs4 import BeautifulSoup
from support.cdp import Browser
from test_datasette import first_finding, plain  # noqa: F401  (a running `datasette audit.db`)

from auditor import store
from auditor.outputs.subject_report import subject_report

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTH, HEIGHT = 1400, 1000

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")

#: Boxes of the first finding's parts: `card` selects the finding, `message` its sentence.
#: A side's quote, or its "no quote" note when the source states nothing.
MEASURE = """
(() => {
  const box = (el) => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height, 20) / 2);
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
            width: r.width, height: r.height, text: el.innerText,
            on_top: hit !== null && (el === hit || el.contains(hit))};
  };
  const card = document.querySelector(%(card)r);
  return {
    width: window.innerWidth, height: window.innerHeight, scroll: window.scrollY,
    badge: box(card.querySelector('.auditor-badge')),
    message: box(card.querySelector(%(message)r)),
    sides: [...card.querySelectorAll('.auditor-side')].slice(0, 2).map(
      (s) => box(s.querySelector('.auditor-quote, .auditor-noquote'))),
  };
})()
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(CHROMIUM, tmp_path_factory.mktemp("chromium"), WIDTH, HEIGHT) as b:
        yield b


def shoot(browser: Browser, name: str, full_page: bool = False) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / f"{name}.png"
    shot.unlink(missing_ok=True)
    browser.screenshot(shot, full_page=full_page)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    return shot


def assert_in_view(seen: dict[str, Any], what: str) -> None:
    box = seen[what] if what in ("badge", "message") else seen["sides"][int(what[-1])]
    assert box is not None, f"{what}: not on the page"
    assert box["width"] > 0 and box["height"] > 0, f"{what}: not displayed"
    assert 0 <= box["top"] and box["bottom"] <= seen["height"], (what, box)
    assert 0 <= box["left"] and box["right"] <= seen["width"], (what, box)
    assert box["on_top"], f"{what}: covered by another element"


def assert_first_finding_visible(seen: dict[str, Any], finding: dict[str, Any]) -> None:
    """Severity, message and the first two sides (quote, or the note that there is none)
    inside the 1400×1000 window, with the database's words."""
    assert seen["width"] == WIDTH and seen["height"] == HEIGHT and seen["scroll"] == 0
    for what in ("badge", "message", "side0", "side1"):
        assert_in_view(seen, what)
    assert seen["badge"]["text"].strip().lower() == finding["severity"]
    assert seen["message"]["text"].strip() == finding["message"]
    assert len(finding["sources"]) >= 2
    for box, side in zip(seen["sides"], finding["sources"][:2], strict=True):
        if side["quote"]:
            assert box["text"].strip().strip("“”") == side["quote"]
        else:
            assert box["text"].startswith("no quote")


def test_findings_page_shows_the_first_finding_without_scrolling(
        plain: tuple[str, Path], browser: Browser) -> None:  # noqa: F811
    base, db = plain
    browser.open(f"{base}/audit/-/findings")
    seen = browser.evaluate(MEASURE % {"card": ".auditor-finding", "message": ".auditor-message"})
    shoot(browser, "datasette-findings")
    assert_first_finding_visible(seen, first_finding(db))


def test_finding_page_shows_its_severity_message_and_quotes_without_scrolling(
        plain: tuple[str, Path], browser: Browser) -> None:  # noqa: F811
    base, db = plain
    finding = first_finding(db)
    browser.open(f"{base}/audit/-/findings/{finding['id']}")
    seen = browser.evaluate(MEASURE % {"card": "body", "message": ".auditor-title"})
    shoot(browser, "datasette-finding")
    assert_first_finding_visible(seen, finding)
    assert browser.evaluate("document.title").startswith(finding["message"])


def test_a_finding_with_four_quotes_shows_two_of_them_without_scrolling(
        plain: tuple[str, Path], browser: Browser) -> None:  # noqa: F811
    base, db = plain
    [finding] = [f for f in store.findings(sqlite_utils.Database(db))
                 if f["field"] == "sample_size_analysed"]
    browser.open(f"{base}/audit/-/findings/{finding['id']}")
    seen = browser.evaluate(MEASURE % {"card": "body", "message": ".auditor-title"})
    shoot(browser, "datasette-finding-four-quotes")
    assert_first_finding_visible(seen, finding)
    assert all(s["quote"] for s in finding["sources"][:2])


def test_subject_page_shows_its_first_finding_without_scrolling(
        plain: tuple[str, Path], browser: Browser) -> None:  # noqa: F811
    base, db = plain
    browser.open(f"{base}/audit/-/subjects/amchepry")
    seen = browser.evaluate(MEASURE % {"card": ".auditor-finding", "message": ".auditor-message"})
    shoot(browser, "datasette-subject")
    assert_first_finding_visible(seen, first_finding(db, subject="amchepry"))
    # The whole page, for a person to look at the matrix and the timeline.
    assert browser.evaluate("document.querySelectorAll('table.auditor-matrix td').length") > 50
    assert browser.evaluate("document.querySelector('svg.auditor-timeline circle') !== null")
    shoot(browser, "datasette-subject-full", full_page=True)


def test_subject_report_page(plain: tuple[str, Path], browser: Browser) -> None:  # noqa: F811
    _, db = plain
    OUTPUT.mkdir(exist_ok=True)
    page = OUTPUT / "amchepry-report.html"
    page.write_text(subject_report(sqlite_utils.Database(db), "amchepry", "html"), "utf-8")
    browser.open(page.as_uri())
    shoot(browser, "amchepry-report", full_page=True)
    dom = BeautifulSoup(browser.evaluate("document.documentElement.outerHTML"), "lxml")
    assert dom.h1.get_text() == "Amchepry (raguneprocel): what the sources say"
    headings = [h.get_text() for h in dom.find_all("h2")]
    assert "What the sources do not support" in headings
    text = dom.get_text(" ")
    assert "There were no serious adverse events, and 73 mild-to-moderate adverse events" in text
    assert "既存の薬物療法で運動症状が十分にコントロールされないパーキンソン病" in text
    assert dom.select_one("#fields a[title]")["href"].startswith("https://")
