"""Source health: is a saved document still the source it was, or something else served in its
place? A page that answers HTTP 200 with "Page not found", a login wall, an empty shell, a
document that no longer names the subject, a selector that matched before and matches nothing
now, or a sharp fall in what a source states: each is one `source_broken` finding for that
source, and no field finding is drawn from the broken copy (comparing "Page not found" with
the registry would report ten false changes and hide the real ones).

Pure functions over documents and claims; the audit and the fetch decide what to keep.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.errors import AuditorError
from auditor.models import Claim, Finding, FindingSource, Reading, Severity, SourceRef, Subject
from auditor.read.documents import Document
from auditor.read.values import squash

RULE = "source_broken"
#: The default severity: a broken source hides whatever it would have shown.
SEVERITY: Severity = "medium"
#: A source whose known claims fall by more than this many percent is broken (threshold).
FALL_PERCENT = 50.0
#: ... when it stated at least this many before (a two-claim source may lose one honestly).
FALL_MIN_BEFORE = 4

#: Said by error pages in their title or heading (HTTP 200 with an error body).
_ERROR = re.compile(
    r"\b(?:404|410)\b|page\s+not\s+found|not\s+found|no\s+longer\s+(?:available|exists)|"
    r"page\s+(?:does\s+not|doesn'?t)\s+exist|file\s+not\s+found|internal\s+server\s+error|"
    r"service\s+(?:temporarily\s+)?unavailable|access\s+denied|\bforbidden\b|\b403\b|"
    r"under\s+maintenance|ページが見つかりません|ページは見つかりません|見つかりませんでした|"
    r"お探しのページ|ページは存在しません|アクセスできません|メンテナンス中|エラー",
    re.IGNORECASE)
#: Said by bot walls and pages that need a browser to show anything.
_SHELL = re.compile(r"just\s+a\s+moment|attention\s+required|enable\s+javascript|"
                    r"javascript\s+(?:is\s+)?(?:required|disabled)|^\s*loading\W*$|"
                    r"JavaScriptを有効", re.IGNORECASE)
_LOGIN = re.compile(r"\b(?:log\s*in|sign\s*in)\b|ログイン|サインイン", re.IGNORECASE)
#: An error page is short: a real page that merely mentions "not found" is not one.
_SHORT = 1500


@dataclass(frozen=True)
class Problem:
    """Why a copy of a source is broken, and what was seen, quoted."""

    reason: str
    seen: str
    where: str


def _looks_like_html(doc: Document) -> bool:
    head = doc.body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head or (
        "html" in (doc.media_type or "").lower())


def visible_text(doc: Document) -> str | None:
    """The text a reader would see (HTML without scripts and styles), or the decoded text of a
    JSON, XML or text document; None for binary documents (PDF, Excel) or undecodable ones."""
    media = (doc.media_type or "").lower()
    if any(t in media for t in ("pdf", "spreadsheet", "excel", "octet-stream", "zip")) \
            and not _looks_like_html(doc):
        return None
    try:
        if _looks_like_html(doc):
            return _text(doc, _HIDDEN)
        return doc.text
    except AuditorError:
        return None


_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title"})


def _text(doc: Document, hidden: frozenset[str]) -> str:
    """The page's text outside `hidden` elements (the parsed page is shared: not edited)."""
    soup = doc.html
    root = soup.body or soup
    return squash(" ".join(
        str(t) for t in root.find_all(string=True)
        if type(t).__name__ == "NavigableString"
        and not any(p.name in hidden for p in t.parents)))


def page_problem(doc: Document) -> Problem | None:
    """An error page, a login wall or an empty shell served in place of an HTML page."""
    if not _looks_like_html(doc):
        return None
    try:
        soup = doc.html
    except AuditorError:
        return None
    title = squash(soup.title.get_text(" ")) if soup.title else ""
    heading_tag = soup.find(["h1", "h2"])
    heading = squash(heading_tag.get_text(" ")) if heading_tag else ""
    text = visible_text(doc) or ""
    first = text[:160]
    if not text:
        hint = _text(doc, _HIDDEN - {"noscript"})
        if _SHELL.search(hint):
            return Problem("an empty shell (the page needs a browser to show anything)",
                           title or hint[:160], "title" if title else "noscript")
        return Problem("an empty page (no visible text)",
                       title or "(no title, no text)", "title" if title else "body")
    short = len(text) < _SHORT
    for where, said in (("title", title), ("heading", heading)):
        if said and _ERROR.search(said) and short:
            return Problem("an error page", said, where)
    if short and _ERROR.search(first):
        return Problem("an error page", first, "first text")
    if short and soup.find("input", attrs={"type": "password"}) is not None and (
            _LOGIN.search(title) or _LOGIN.search(heading) or _LOGIN.search(first)):
        return Problem("a login page", title or heading or first,
                       "title" if title else "heading" if heading else "first text")
    if len(text) < 300 and (_SHELL.search(title) or _SHELL.search(text)):
        return Problem("an empty shell (the page needs a browser to show anything)",
                       title or first, "title" if title else "first text")
    return None


def names_of(subject: Subject, ref: SourceRef) -> list[str]:
    """What a document about this subject names: its name (and the parts in brackets), its
    aliases and the source's identifier. Names too short to be telling are left out."""
    found: list[str] = []
    for text in (subject.name, *subject.aliases, ref.identifier or ""):
        for part in re.split(r"[()（）/、,;]", text):
            part = part.strip()
            wide = any(ord(ch) > 0x2E80 for ch in part)
            if len(part) >= (2 if wide else 4) and part.lower() not in found:
                found.append(part.lower())
    return found


def mentions(text: str, names: Sequence[str]) -> bool:
    folded = text.lower()
    return any(n in folded for n in names)


def lost_mention(before: Document | None, after: Document, names: Sequence[str]
                 ) -> Problem | None:
    """The document named the subject before and names none of its names now."""
    if before is None or not names:
        return None
    old, new = visible_text(before), visible_text(after)
    if old is None or new is None or not mentions(old, names) or mentions(new, names):
        return None
    title = after_title(after)
    return Problem(f"no longer names the subject ({', '.join(names[:4])} not found)",
                   title or new[:160] or "(no text)", "title" if title else "first text")


def after_title(doc: Document) -> str:
    if not _looks_like_html(doc):
        return ""
    try:
        soup = doc.html
    except AuditorError:
        return ""
    return squash(soup.title.get_text(" ")) if soup.title else ""


def dead_selectors(previous: Sequence[Claim | Reading], current: Sequence[Claim | Reading]
                   ) -> Problem | None:
    """A configured selector (or label) that gave a value before and matches nothing now.
    The page reader says so in the locator: "css '...' matched nothing"."""
    known_before = {c.field for c in previous if c.value is not None}
    for c in current:
        if c.value is None and "matched nothing" in (c.locator or "") and \
                c.field in known_before:
            return Problem(f"{c.locator.split(' matched nothing')[0]} matched nothing "
                           f"(it gave {c.field} before)", c.locator, c.locator)
    return None


_LABEL = re.compile(r"row '([^']+)'")
#: A value shorter than this ("7") proves nothing by still being on the page.
_TELLING = 8


def dead_labels(previous: Sequence[Claim | Reading], current: Sequence[Claim | Reading],
                text: str | None) -> Problem | None:
    """A label a reader found a field under before (a locator "table row 'Target Sample
    Size'") that is gone from the page while the value it gave is still there and the field
    is no longer read: the page was relabelled, the reader cannot see the value. (A row
    removed with its value is a change the registry made: `source_changed` reports it.)"""
    if not text:
        return None
    page = squash(text).lower()
    known_now = {c.field for c in current if c.value is not None}
    for c in previous:
        if c.value is None or c.field in known_now or not c.quote:
            continue
        quote = squash(c.quote)
        if len(quote) < _TELLING or quote.lower() not in page:
            continue
        for label in _LABEL.findall(c.locator or ""):
            gone = [part for part in label.split(" / ") if squash(part).lower() not in page]
            if gone:
                return Problem(f"label '{gone[0]}' matched nothing (it gave {c.field} before, "
                               "and that value is still on the page)", quote,
                               f"label '{gone[0]}'")
    return None


def claims_fell(previous: Sequence[Claim | Reading], current: Sequence[Claim | Reading],
                percent: float | None = None) -> Problem | None:
    """A sharp fall in what the source states: more than `percent` of its known claims gone."""
    limit = FALL_PERCENT if percent is None else percent
    before = sum(1 for c in previous if c.value is not None)
    now = sum(1 for c in current if c.value is not None)
    if before < FALL_MIN_BEFORE or now >= before * (1 - limit / 100):
        return None
    lost = sorted({c.field for c in previous if c.value is not None}
                  - {c.field for c in current if c.value is not None})
    return Problem(f"its known claims fell from {before} to {now} (more than {limit:g}%)",
                   f"fields no longer read: {', '.join(lost) or 'none (fewer values)'}",
                   "claims")


@dataclass(frozen=True)
class Broken:
    """One broken copy of a source: the problem, the broken bytes' sha256 and retrieval time,
    how many times in a row it was broken, and whether the copy read instead is a good one."""

    problem: Problem
    sha256: str
    retrieved_at: str
    count: int = 1
    since: str | None = None

    def key(self) -> tuple[str, str, int]:
        return (self.problem.reason, self.sha256, self.count)


def broken_finding(subject: str, ref: SourceRef, broken: Broken, *, last_good: Any | None,
                   severity: Severity | None = None) -> Finding:
    """The one `source_broken` finding of a source. `last_good` is the snapshot read instead
    (its claims are the ones compared), or None when there is no good copy and the source is
    not read at all. The sides carry no values, so the finding keeps its id while the source
    stays broken, whatever error page it serves."""
    p = broken.problem
    again = (f"; broken {broken.count} times in a row"
             + (f" since {broken.since}" if broken.since else "")) if broken.count > 1 else ""
    kept = (f"; its last good snapshot, retrieved {last_good.retrieved_at}, is used"
            if last_good is not None else "; there is no good copy, so the source is not read")
    seen = p.seen if len(p.seen) <= 200 else p.seen[:199] + "…"
    good = FindingSource(
        source=ref.name, kind=ref.kind, value=None, url=getattr(last_good, "url", None),
        quote=f"last good snapshot, retrieved {last_good.retrieved_at}" if last_good else None,
        locator=f"snapshot {last_good.path}" if last_good else "(no good copy of this source)",
        snapshot_sha256=last_good.sha256 if last_good else None)
    bad = FindingSource(source=ref.name, kind=ref.kind, value=None, url=ref.url, quote=seen,
                        locator=f"{p.where} of the copy retrieved {broken.retrieved_at}",
                        snapshot_sha256=broken.sha256)
    return Finding(
        subject=subject, field="source_health", kind="source_broken", rule=RULE,
        severity=severity or SEVERITY,
        message=f"{ref.name} looks broken: {p.reason}; seen: “{seen}”{again}{kept}",
        sources=[good, bad],
        details={"problem": p.reason, "seen": p.seen, "where": p.where, "count": broken.count,
                 "broken_sha256": broken.sha256})
