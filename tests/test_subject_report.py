"""Subject reports (Markdown, HTML) and the cron digest, from an audit of the Amchepry fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlite_utils
from bs4 import BeautifulSoup
from click.testing import CliRunner

from auditor import store
from auditor.audit import run_audit
from auditor.cli import cli
from auditor.config import Config, load_config
from auditor.errors import AuditorError
from auditor.outputs.subject_report import (
    FieldRow,
    Note,
    SubjectReport,
    ValueGroup,
    build_report,
    digest_markdown,
    md,
    render_html,
    render_markdown,
    subject_report,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config() -> Config:
    return load_config(ROOT / "config.toml")


@pytest.fixture
def db(tmp_path: Path, config: Config) -> sqlite_utils.Database:
    db = store.open_db(tmp_path / "audit.db")
    run_audit(config, db)
    return db


@pytest.fixture
def markdown(db: sqlite_utils.Database) -> str:
    return subject_report(db, "amchepry", "md")


def test_markdown_opens_with_the_subject_and_its_sources(markdown: str) -> None:
    assert markdown.startswith("# Amchepry (raguneprocel): what the sources say\n")
    assert "| [jrct-ja](https://jrct.niph.go.jp/latest-detail/jRCT2090220384) | registry |" \
        in markdown
    assert "| Field | Verdict | Registry | Publication | Regulator | Company |" in markdown


@pytest.mark.parametrize("cell", [
    '[7 participants (planned)](https://clinicaltrials.gov/api/v2/studies/NCT06482268 '
    '"\\"count\\": 7, \\"type\\": \\"ESTIMATED\\"")',
    "[tacrolimus for 12 months](",
    "[2.1–2.6 million cells per hemisphere (low dose)](",
    "[73 events](",
    "[amount: 55,306,737, currency: JPY, pack: 18 vials, effective\\_date: 2026-05-20](",
])
def test_every_value_links_to_its_source_with_the_quote(markdown: str, cell: str) -> None:
    assert cell in markdown


def test_every_note_is_referenced_and_defined_once(markdown: str) -> None:
    body, _, notes = markdown.partition("## Notes: quotes")
    referenced = set(re.findall(r"\[\^(\d+)\](?!:)", body))
    defined = re.findall(r"^\[\^(\d+)\]: ", notes, flags=re.M)
    assert referenced == set(defined)
    assert len(defined) == len(set(defined))
    assert [int(n) for n in defined] == list(range(1, len(defined) + 1))


def test_every_table_row_has_as_many_cells_as_its_header(markdown: str) -> None:
    for table in re.findall(r"(?:^\|.*\|\n)+", markdown, flags=re.M):
        widths = {len(re.split(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table


def test_findings_show_every_quote_and_locator(db: sqlite_utils.Database, markdown: str) -> None:
    findings = store.findings(db, subject="amchepry")
    assert findings
    assert f"## Findings ({len(findings)} open)" in markdown
    for f in findings:
        for s in f["sources"]:
            if s["quote"]:
                assert f"“{md(s['quote'])}”" in markdown
            assert f"| {md(s['locator'] or '—')} |" in markdown


@pytest.mark.parametrize("gap", [
    "No registry source reports adverse events; only crossref, pubmed do.",
    "No registry source reports serious adverse events",
    "The registries give only the planned enrollment; the actual number comes from crossref",
    "Price comes only from the regulator: mhlw-price, mhlw-price-xlsx; no other kind of source "
    "states it.",
    "Conflicts of interest rests on one source only: pubmed (publication).",
    "Reimbursement comes only from the regulator: mhlw-notice, mhlw-price",
])
def test_what_the_sources_do_not_support(db: sqlite_utils.Database, gap: str) -> None:
    report = build_report(db, "amchepry")
    assert any(gap in g for g in report.gaps), report.gaps


def test_open_questions_ask_about_each_finding_and_the_gaps(db: sqlite_utils.Database) -> None:
    report = build_report(db, "amchepry")
    for f in report.findings:
        assert any(f["message"] in q for q in report.questions)
    # the registry question names the reported trial's registrations, not the U.S. ones
    assert any(q.startswith("Will the registry (jrct-en, jrct-ja, umin-ja) record follow up")
               for q in report.questions), report.questions
    # the U.S. registrations and the approval date are among the sources: no question asks
    assert not any(q.startswith("Where is the U.S. study registered") for q in report.questions)
    assert not any("No source here states an approval date" in q for q in report.questions)


def test_the_approval_date_and_the_us_registration_are_no_longer_gaps(
        db: sqlite_utils.Database) -> None:
    gaps = build_report(db, "amchepry").gaps
    assert not any("approval date" in g for g in gaps), gaps
    assert not any("ClinicalTrials.gov (NCT…) registration" in g for g in gaps), gaps


def test_html_is_a_standalone_page_with_working_note_links(db: sqlite_utils.Database) -> None:
    page = subject_report(db, "amchepry", "html")
    soup = BeautifulSoup(page, "lxml")
    assert soup.title.string == "Amchepry (raguneprocel): what the sources say"
    assert not soup.find_all("script") and not soup.find_all("link")
    ids = {li["id"] for li in soup.select("ol.notes li")}
    targets = {a["href"][1:] for a in soup.select('sup a[href^="#note-"]')}
    assert targets == ids
    enrollment = soup.find("th", string="enrollment").parent
    link = enrollment.find("a", string="7 participants (planned)")
    assert link["href"] == "https://clinicaltrials.gov/api/v2/studies/NCT06482268"
    assert link["title"] == '"count": 7, "type": "ESTIMATED"'
    assert "No registry source reports adverse events" in soup.select_one("ul.gaps").text


HOSTILE = '<script>alert("x")</script> | *bold* [link](javascript:alert(1))'


def hostile_report() -> SubjectReport:
    note = Note(number=1, source="evil<b>", role="company", value_text=HOSTILE,
                qualifier=None, quote=HOSTILE, locator="p[1] <i>", url="javascript:alert(1)")
    return SubjectReport(
        subject="x", name="X <img src=x onerror=alert(1)>", aliases=[], run=None,
        sources=[{"name": "evil<b>", "kind": "page", "role": "company",
                  "url": "javascript:alert(1)", "last_fetched": None, "failing_since": None,
                  "provenance": "reconstructed"}],
        rows=[FieldRow("claim_language", None, {"company": [ValueGroup(HOSTILE, [note])]})],
        notes=[note], findings=[], gaps=[HOSTILE], questions=[HOSTILE])


def test_html_escapes_everything_a_source_says() -> None:
    page = render_html(hostile_report())
    assert "<script>" not in page and "<img" not in page and "evil<b>" not in page
    assert "href=\"javascript" not in page
    assert "&lt;script&gt;" in page


def test_markdown_escapes_tables_and_links() -> None:
    text = render_markdown(hostile_report())
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("| claim language"))
    assert len(re.split(r"(?<!\\)\|", lines[row])) == len(lines[row - 2].split("|")) == 5
    assert "\\<script\\>" in text and "<script>" not in text
    assert not re.search(r"(?<!\\)\]\(javascript", text)


def test_unknown_subject_names_the_known_ones(db: sqlite_utils.Database) -> None:
    with pytest.raises(AuditorError, match="no audited subject 'nope'.*known: amchepry"):
        build_report(db, "nope")


def test_digest_lists_new_findings_then_says_no_changes(config: Config,
                                                        db: sqlite_utils.Database) -> None:
    first = digest_markdown(db)
    assert "## New findings (" in first and "## Resolved findings (0)" in first
    for f in store.findings(db, subject="amchepry"):
        assert f["message"] in first
    second = run_audit(config, db)
    assert "no changes" in digest_markdown(db, second.run.id).lower()


def test_digest_lists_resolved_findings(config: Config, db: sqlite_utils.Database) -> None:
    no_papers = config.model_copy(update={"sources": [
        s for s in config.sources if s.kind not in ("crossref", "pubmed")]})
    result = run_audit(no_papers, db)
    digest = digest_markdown(db, result.run.id)
    assert f"## Resolved findings ({len(result.resolved)})" in digest
    assert "sample size analysed" in digest.split("## Resolved findings")[1]


def test_cli_report_and_digest(tmp_path: Path) -> None:
    runner = CliRunner()
    db, digest, page = tmp_path / "audit.db", tmp_path / "digest.md", tmp_path / "r.html"
    config = str(ROOT / "config.toml")
    first = runner.invoke(cli, ["audit", "--config", config, "--db", str(db), "-q",
                                "--digest", str(digest)])
    assert first.exit_code in (0, 1), first.output
    assert "## New findings" in digest.read_text(encoding="utf-8")
    again = runner.invoke(cli, ["audit", "--config", config, "--db", str(db), "-q",
                                "--digest", str(digest)])
    assert again.exit_code == first.exit_code
    assert "No changes since the previous run" in digest.read_text(encoding="utf-8")
    made = runner.invoke(cli, ["report", "amchepry", "--config", config, "--db", str(db),
                               "--format", "html", "-o", str(page)])
    assert made.exit_code == 0, made.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    shown = runner.invoke(cli, ["report", "amchepry", "--config", config, "--db", str(db)])
    assert shown.output.startswith("# Amchepry")
    missing = runner.invoke(cli, ["report", "amchepry", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "run `auditor audit` first" in missing.output
