"""A subject report fit to paste into a briefing (Markdown or standalone HTML), and the cron digest.

Both read the audit database only. Every value in a report links to its source and carries its
quote (as a link title and a numbered note), so a reader can check any number without the tool.
The section "What the sources do not support" is as important as the table: it says which
fields rest on one source, which roles are silent, and what no source states at all.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from auditor import store
from auditor.errors import AuditorError
from auditor.models import FIELDS
from auditor.outputs.watch import split_item
from auditor.sources import ROLES

#: Fields that describe the trial and its results: a registry is expected to hold them too.
TRIAL_FIELDS = ["enrollment", "follow_up", "primary_outcomes", "secondary_outcomes",
                "adverse_events", "serious_adverse_events", "sample_size_analysed", "status",
                "start_date", "completion_date"]
#: Fields whose absence is not a gap (no notice, no claim language is the good case).
ABSENCE_IS_FINE = {"publication_notices", "claim_language"}
#: Pipeline regions → (registry name, identifier prefix, source kind) expected for them.
REGION_REGISTRIES: dict[str, tuple[str, str, str]] = {
    "us": ("ClinicalTrials.gov", "NCT", "ctgov"), "u.s.": ("ClinicalTrials.gov", "NCT", "ctgov"),
    "usa": ("ClinicalTrials.gov", "NCT", "ctgov"),
    "united states": ("ClinicalTrials.gov", "NCT", "ctgov"),
    "japan": ("jRCT", "jRCT", "jrct"),
}
#: Qualifiers printed next to a value; others (languages, "self", product names) are noise.
SHOWN_QUALIFIERS = {"planned", "actual", "anticipated", "estimated", "cited", "efficacy",
                    "safety"}
CELL_CHARS = 140
TITLE_CHARS = 240


@dataclass
class Note:
    """One claim behind a value in the report: numbered, with its quote and place."""

    number: int
    source: str
    role: str
    value_text: str
    qualifier: str | None
    quote: str | None
    locator: str | None
    url: str | None


@dataclass
class ValueGroup:
    """One value as shown in a cell, and the sources (notes) that state it."""

    text: str
    notes: list[Note]


@dataclass
class FieldRow:
    field: str
    verdict: str | None
    by_role: dict[str, list[ValueGroup]]


@dataclass
class SubjectReport:
    subject: str
    name: str
    aliases: list[str]
    run: dict[str, Any] | None
    sources: list[dict[str, Any]]
    rows: list[FieldRow]
    notes: list[Note]
    findings: list[dict[str, Any]]
    gaps: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    profile: str | None = None  # the evidence profile, one line (rules/evidence.py)
    watch: list[str] = field(default_factory=list)  # the briefing's watch list, judged
    #: Findings a desk dismissed (still found, evidence unchanged): listed apart with the note.
    dismissed: list[dict[str, Any]] = field(default_factory=list)


def label(name: str) -> str:
    return name.replace("_", " ")


def review_line(finding: dict[str, Any]) -> str | None:
    """'Dismissed by ana on 2026-05-01: duplicate of …' — the finding's last review, if any."""
    review = finding.get("review")
    if not review:
        return None
    text = f"{review['decision'].capitalize()} by {review['reviewer']} on " \
           f"{review['reviewed_at'][:10]}"
    return text + (f": {review['note']}" if review["note"] else "")


def build_report(db: sqlite_utils.Database, subject: str) -> SubjectReport:
    """Collect what the database knows about one subject; raises if it was never audited."""
    row = store.subject_row(db, subject)
    claims = store.subject_claims(db, subject)
    verdicts = store.verdicts(db, subject)
    sources = store.subject_sources(db, subject)
    rank = {role: i for i, role in enumerate(ROLES)}
    sources.sort(key=lambda s: (rank.get(s["role"], 99), s["name"]))
    report = SubjectReport(subject=row["id"], name=row["name"],
                           aliases=json.loads(row["aliases"] or "[]"),
                           run=store.last_run(db), sources=sources, rows=[], notes=[],
                           findings=store.findings(db, status="open", subject=subject),
                           dismissed=store.findings(db, status="dismissed", subject=subject))
    order = {name: i for i, name in enumerate(FIELDS)}
    for name in sorted({c["field"] for c in claims}, key=lambda f: (order.get(f, 99), f)):
        by_role: dict[str, list[ValueGroup]] = {}
        for c in claims:
            if c["field"] != name:
                continue
            note = Note(number=0, source=c["source"], role=c["role"], value_text=c["value_text"],
                        qualifier=c["qualifier"], quote=c["quote"], locator=c["locator"],
                        url=c["url"])
            text = c["value_text"] + (f" ({c['qualifier']})" if c["qualifier"] in SHOWN_QUALIFIERS
                                      else "")
            groups = by_role.setdefault(c["role"], [])
            same = next((g for g in groups if g.text == text), None)
            if same:
                same.notes.append(note)
            else:
                groups.append(ValueGroup(text, [note]))
        # Number the notes in reading order: role columns left to right.
        for role in sorted(by_role, key=lambda r: rank.get(r, 99)):
            for group in by_role[role]:
                for note in group.notes:
                    report.notes.append(note)
                    note.number = len(report.notes)
        report.rows.append(FieldRow(name, verdicts.get(name), by_role))
    notes = store.report_notes(db, subject)
    report.gaps = [n for s, n in notes if s == "gap"]
    report.questions = [n for s, n in notes if s == "question"]
    report.profile = next((n for s, n in notes if s == "profile"), None)
    report.watch = [n for s, n in notes if s == "watch"]
    return report


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


# --- Markdown ---------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def md(text: Any) -> str:
    """Text safe inside a Markdown table cell: specials escaped, one line."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def md_url(url: str | None) -> str:
    return (url or "").replace(" ", "%20").replace("(", "%28").replace(")", "%29") \
        .replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")


def md_title(text: str | None) -> str:
    text = " ".join((text or "").split())
    text = text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1] + "…"
    for c in '\\"|<>':
        text = text.replace(c, "\\" + c)
    return text


def short(text: str, limit: int = CELL_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _md_link(text: str, url: str | None, title: str | None) -> str:
    url = _safe_url(url)
    if not url:
        return md(text)
    return f'[{md(text)}]({md_url(url)}' + (f' "{md_title(title)}")' if title else ")")


def _md_cell(groups: list[ValueGroup]) -> str:
    parts = []
    for g in groups:
        first = g.notes[0]
        refs = ", ".join(f"{md(n.source)}[^{n.number}]" for n in g.notes)
        parts.append(f"{_md_link(short(g.text), first.url, first.quote)} ({refs})")
    return "<br>".join(parts) or "—"


def render_markdown(report: SubjectReport) -> str:
    out = [f"# {md(report.name)}: what the sources say", ""]
    if report.aliases:
        out.append(f"Also called: {md(', '.join(report.aliases))}.  ")
    if report.run:
        out.append(f"Audit run {md(report.run['id'])}, finished {md(report.run['finished_at'])}; "
                   f"{len(report.sources)} sources, {len(report.findings)} open findings.")
    if report.profile:
        out += ["", f"**Evidence profile** — {md(report.profile.removeprefix('evidence: '))}."]
    out += ["", "## Sources", "", "| Source | Role | Kind | Snapshot | Retrieved |",
            "|---|---|---|---|---|"]
    for s in report.sources:
        name = _md_link(s["name"], s["url"], None)
        state = md(s["provenance"] or "—") + (f", failing since {md(s['failing_since'])}"
                                             if s["failing_since"] else "")
        out.append(f"| {name} | {md(s['role'])} | {md(s['kind'])} | {state} | "
                   f"{md(s['last_fetched'] or '—')} |")
    roles = [r for r in ROLES if any(r in row.by_role for row in report.rows)]
    out += ["", "## Fields by source", "",
            "Each value links to its source; hover for the quote, or see the numbered notes.", "",
            "| Field | Verdict | " + " | ".join(r.capitalize() for r in roles) + " |",
            "|---|---|" + "---|" * len(roles)]
    for row in report.rows:
        out.append(f"| {md(label(row.field))} | {md(row.verdict or '—')} | "
                   + " | ".join(_md_cell(row.by_role.get(r, [])) for r in roles) + " |")
    out += ["", f"## Findings ({len(report.findings)} open)", ""]
    if not report.findings:
        out.append("No open findings.")
    for i, f in enumerate(report.findings, 1):
        out += [f"### {i}. {md(f['severity'].upper())} · {md(label(f['field']))} · "
                f"{md(f['rule'])}", "", md(f["message"]), ""]
        if review_line(f):
            out += [f"*Review: {md(review_line(f))}*", ""]
        out += ["| Source | Value | Quote | Where |", "|---|---|---|---|"]
        for s in f["sources"]:
            value = "—" if s["value"] is None else json.dumps(s["value"], ensure_ascii=False)
            out.append(f"| {md(s['source'])} | {_md_link(value, s['url'], s['quote'])} | "
                       f"“{md(s['quote'] or '—')}” | {md(s['locator'] or '—')} |")
        out.append("")
    if report.dismissed:
        out += [f"## Dismissed on review ({len(report.dismissed)})", ""]
        out += [f"- {md(f['severity'].upper())} · {md(label(f['field']))}: {md(f['message'])} "
                f"— *{md(review_line(f) or 'dismissed')}*" for f in report.dismissed]
        out.append("")
    if report.watch:
        out += ["## Watch list", "", "The briefing's watch list, each item judged from the "
                "sources: supported, not supported, contradicted or not stated.", ""]
        for item in report.watch:
            statement, verdict, why = split_item(item)
            out.append(f"- **{md(statement)}** — *{md(verdict)}*. {md(why)}")
        out.append("")
    out += ["## What the sources do not support", ""]
    out += [f"- {md(g)}" for g in report.gaps] or ["- Every field is stated by more than one "
                                                   "source."]
    out += ["", "## Open questions", ""]
    out += [f"- {md(q)}" for q in report.questions] or ["- None."]
    out += ["", "## Notes: quotes", ""]
    for n in report.notes:
        where = f", {md(n.locator)}" if n.locator else ""
        link = f" — <{md_url(n.url)}>" if _safe_url(n.url) else ""
        out.append(f"[^{n.number}]: **{md(n.source)}**{where}: “{md(n.quote or '—')}”{link}")
    return "\n".join(out) + "\n"


# --- HTML -------------------------------------------------------------------------------------

def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _safe_url(url: str | None) -> str | None:
    """Only http(s) and file links: a source can't smuggle a javascript: URL into the page."""
    return url if url and url.split(":", 1)[0].lower() in ("http", "https", "file") else None


def _html_link(text: str, url: str | None, title: str | None) -> str:
    url = _safe_url(url)
    if not url:
        return esc(text)
    return f'<a href="{esc(url)}" title="{esc(title or "")}">{esc(text)}</a>'


def _html_cell(groups: list[ValueGroup]) -> str:
    items = []
    for g in groups:
        refs = ", ".join(f'{esc(n.source)}<sup><a href="#note-{n.number}">{n.number}</a></sup>'
                         for n in g.notes)
        items.append(f'<li><span class="value">'
                     f'{_html_link(short(g.text), g.notes[0].url, g.notes[0].quote)}</span> '
                     f'<span class="by">({refs})</span></li>')
    return f"<ul>{''.join(items)}</ul>" if items else "—"


_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f3f3f3} td ul{margin:0;padding-left:1em} .by{color:#666;font-size:90%}
.sev-high{color:#a00}.sev-medium{color:#b60}.sev-low{color:#666}.sev-info{color:#357}
blockquote{margin:.2em 0;color:#333} .notes li{margin:.2em 0;font-size:90%}
.gaps li,.questions li{margin:.3em 0}
"""


def render_html(report: SubjectReport) -> str:
    """A standalone page: inline CSS, no scripts, every source text escaped."""
    title = f"{report.name}: what the sources say"
    p: list[str] = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                    f"<title>{esc(title)}</title>", f"<style>{_CSS}</style></head><body>",
                    f"<h1>{esc(title)}</h1>"]
    if report.aliases:
        p.append(f"<p>Also called: {esc(', '.join(report.aliases))}.</p>")
    if report.run:
        p.append(f"<p>Audit run {esc(report.run['id'])}, finished "
                 f"{esc(report.run['finished_at'])}; {len(report.sources)} sources, "
                 f"{len(report.findings)} open findings.</p>")
    if report.profile:
        p.append(f'<p class="profile"><b>Evidence profile</b> — '
                 f"{esc(report.profile.removeprefix('evidence: '))}.</p>")
    p.append('<h2>Sources</h2><table id="sources"><tr><th>Source</th><th>Role</th><th>Kind</th>'
             "<th>Snapshot</th><th>Retrieved</th></tr>")
    for s in report.sources:
        state = esc(s["provenance"] or "—") + (f", failing since {esc(s['failing_since'])}"
                                               if s["failing_since"] else "")
        p.append(f"<tr><td>{_html_link(s['name'], s['url'], s['url'])}</td>"
                 f"<td>{esc(s['role'])}</td><td>{esc(s['kind'])}</td><td>{state}</td>"
                 f"<td>{esc(s['last_fetched'] or '—')}</td></tr>")
    p.append("</table>")
    roles = [r for r in ROLES if any(r in row.by_role for row in report.rows)]
    p.append('<h2>Fields by source</h2><p>Each value links to its source; hover for the quote, '
             'or follow the note number.</p><table id="fields"><tr><th>Field</th><th>Verdict</th>'
             + "".join(f"<th>{esc(r.capitalize())}</th>" for r in roles) + "</tr>")
    for row in report.rows:
        p.append(f"<tr><th>{esc(label(row.field))}</th><td>{esc(row.verdict or '—')}</td>"
                 + "".join(f"<td>{_html_cell(row.by_role.get(r, []))}</td>" for r in roles)
                 + "</tr>")
    p.append(f'</table><h2 id="findings">Findings ({len(report.findings)} open)</h2>')
    if not report.findings:
        p.append("<p>No open findings.</p>")
    for f in report.findings:
        p.append(f'<section class="finding"><h3><span class="sev-{esc(f["severity"])}">'
                 f"{esc(f['severity'].upper())}</span> · {esc(label(f['field']))} · "
                 f"{esc(f['rule'])}</h3><p>{esc(f['message'])}</p>"
                 + (f'<p class="review"><i>Review: {esc(review_line(f))}</i></p>'
                    if review_line(f) else "")
                 + "<table><tr><th>Source</th>"
                 "<th>Value</th><th>Quote</th><th>Where</th></tr>")
        for s in f["sources"]:
            value = "—" if s["value"] is None else json.dumps(s["value"], ensure_ascii=False)
            p.append(f"<tr><td>{esc(s['source'])}</td>"
                     f"<td>{_html_link(value, s['url'], s['quote'])}</td>"
                     f"<td><blockquote>{esc(s['quote'] or '—')}</blockquote></td>"
                     f"<td>{esc(s['locator'] or '—')}</td></tr>")
        p.append("</table></section>")
    if report.dismissed:
        p.append(f'<h2>Dismissed on review ({len(report.dismissed)})</h2><ul class="dismissed">'
                 + "".join(f"<li>{esc(f['severity'].upper())} · {esc(label(f['field']))}: "
                           f"{esc(f['message'])} — <i>{esc(review_line(f) or 'dismissed')}</i>"
                           "</li>" for f in report.dismissed) + "</ul>")
    if report.watch:
        p.append('<h2>Watch list</h2><ul class="watch">' + "".join(
            f"<li><b>{esc(st)}</b> — <i>{esc(v)}</i>. {esc(why)}</li>"
            for st, v, why in map(split_item, report.watch)) + "</ul>")
    p.append('<h2>What the sources do not support</h2><ul class="gaps">'
             + "".join(f"<li>{esc(g)}</li>" for g in report.gaps) + "</ul>")
    p.append('<h2>Open questions</h2><ul class="questions">'
             + "".join(f"<li>{esc(q)}</li>" for q in report.questions) + "</ul>")
    p.append('<h2>Notes: quotes</h2><ol class="notes">')
    for n in report.notes:
        link = _html_link(n.url or "", n.url, n.url) if n.url else ""
        p.append(f'<li id="note-{n.number}"><b>{esc(n.source)}</b>'
                 f"{', ' + esc(n.locator) if n.locator else ''}: “{esc(n.quote or '—')}” {link}"
                 "</li>")
    p.append("</ol></body></html>")
    return "\n".join(p) + "\n"


def subject_report(db: sqlite_utils.Database, subject: str, fmt: str = "md") -> str:
    """The report for one subject as Markdown (`md`) or a standalone HTML page (`html`)."""
    report = build_report(db, subject)
    if fmt == "html":
        return render_html(report)
    if fmt == "md":
        return render_markdown(report)
    raise AuditorError(f"unknown report format {fmt!r}; use md or html")


# --- Digest -----------------------------------------------------------------------------------

def digest_markdown(db: sqlite_utils.Database, run_id: str | None = None) -> str:
    """What a run changed (new, reopened, resolved findings), as Markdown for cron to mail."""
    run = store.run_row(db, run_id)
    events = store.run_events(db, run["id"])
    dismissed = store.count_dismissed(db)
    out = [f"# auditor digest: run {run['id']}", "",
           f"Finished {run['finished_at']}: {run['sources']} sources, {run['claims']} claims, "
           f"{run['findings_open']} open findings"
           + (f" ({dismissed} dismissed on review, not counted)" if dismissed else "")
           + ".", ""]
    states = store.source_states(db)
    if states:  # a source's health is its state: said every run until it clears
        out += [f"## Sources failing or broken ({len(states)})", ""]
        out += [f"- **{s['state']}** {s['subject']} · {s['source']}"
                + (f" (since {s['failing_since']})" if s["failing_since"] else "")
                + f": {' '.join((s['state_detail'] or '—').split())}" for s in states]
        out.append("")
    if not events:
        out.append("No changes since the previous run: no new and no resolved findings.")
        return "\n".join(out) + "\n"
    reviewed = store.reviews.latest(db, [e["id"] for e in events])
    sections = [("New findings", ("new", "reopened")), ("Resolved findings", ("resolved",))]
    for title, kinds in sections:
        chosen = [e for e in events if e["event"] in kinds]
        out += [f"## {title} ({len(chosen)})", ""]
        if not chosen:
            out += ["None.", ""]
        for e in chosen:
            again = " (reopened)" if e["event"] == "reopened" else ""
            out.append(f"- **{e['severity'].upper()}** {e['subject']} · {label(e['field'])}"
                       f"{again}: {e['message']}")
            if reviewed.get(e["id"]):
                out.append(f"  - review: {review_line({'review': reviewed[e['id']]})}")
            for s in store.finding_quotes(db, e["id"], limit=2):
                out.append(f"  - {s['source']} ({s['locator'] or '—'}): "
                           f"“{' '.join((s['quote'] or '—').split())}”"
                           + (f" <{s['url']}>" if s["url"] else ""))
        out.append("")
    return "\n".join(out)
