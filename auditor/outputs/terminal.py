"""Output: plain-text tables for the terminal and the documented JSON shape."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

from auditor.models import SEVERITY_ORDER, Claim, Finding

SEVERITY_MARK = {"high": "HIGH", "medium": "MED", "low": "low", "info": "info"}


def findings_json(findings: list[Finding], claims: list[Claim]) -> dict[str, Any]:
    """The stable JSON shape of `auditor compare --json` and `auditor audit --json`."""
    return {
        "findings": [
            {"id": f.id, "subject": f.subject, "field": f.field, "kind": f.kind, "rule": f.rule,
             "severity": f.severity, "message": f.message,
             "sources": [{"source": s.source, "kind": s.kind, "value": s.value,
                          "quote": s.quote, "locator": s.locator, "url": s.url,
                          "snapshot_sha256": s.snapshot_sha256} for s in f.sources],
             "details": f.details}
            for f in findings],
        "claims": claims_json(claims),
    }


def claims_json(claims: list[Claim]) -> list[dict[str, Any]]:
    return [{"subject": c.subject, "source": c.source, "kind": c.source_kind, "role": c.role,
             "field": c.field, "qualifier": c.qualifier, "value": c.value, "unit": c.unit,
             "quote": c.quote, "locator": c.locator, "url": c.url,
             "snapshot_sha256": c.snapshot_sha256} for c in claims]


def cells_wide(text: str) -> int:
    """Display cells of a text: East-Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _segments(text: str) -> list[tuple[str, bool]]:
    """(piece, preceded by a space) pairs: a line may break before any piece. Words break at
    spaces and after hyphens; Japanese (wide characters, no spaces) between any two
    characters."""
    out: list[tuple[str, bool]] = []
    for word in str(text).split():
        first = True
        for run in _runs(word):
            out.append((run, first))
            first = False
    return out


def _runs(word: str) -> list[str]:
    """A word cut into pieces: each wide character alone, narrow text cut after hyphens."""
    pieces: list[str] = []
    narrow = ""
    for ch in word:
        if _wide(ch):
            if narrow:
                pieces += re.findall(r"[^-]+-*|-+", narrow)
                narrow = ""
            pieces.append(ch)
        else:
            narrow += ch
    if narrow:
        pieces += re.findall(r"[^-]+-*|-+", narrow)
    return pieces


def wrap_cells(text: str, width: int) -> list[str]:
    """Lines of at most `width` display cells, broken at spaces, after hyphens and between
    Japanese characters; a piece wider than a whole line (a long URL) is cut where it must."""
    width = max(width, 1)
    lines: list[str] = []
    line = ""
    for piece, spaced in _segments(text):
        joined = line + (" " if spaced and line else "") + piece
        if cells_wide(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in piece:  # only a piece wider than the line is cut inside
            if cells_wide(line + ch) > width:
                lines.append(line)
                line = ch
            else:
                line += ch
    lines.append(line)
    return lines


def terminal_width(default: int = 160) -> int:
    """The terminal's width (COLUMNS wins, as for every program); `default` when not a TTY."""
    return shutil.get_terminal_size((default, 24)).columns


def fit(widths: list[int], total: int | None = None) -> list[int]:
    """Column widths scaled to the terminal: the last (widest) columns give way first, none
    below 8 cells; two cells of gap between columns."""
    total = total or terminal_width()
    widths = list(widths)
    room = total - 2 * (len(widths) - 1)
    while sum(widths) > room:
        i = max(range(len(widths)), key=lambda k: widths[k])
        if widths[i] <= 8:
            break
        widths[i] -= 1
    return widths


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cells_wide(text))


def _table(headers: list[str], rows: list[list[str]], widths: list[int]) -> str:
    widths = fit(widths)

    def cells(row: list[str]) -> list[list[str]]:
        return [wrap_cells(str(v), w) for v, w in zip(row, widths, strict=True)]

    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        wrapped = cells(row)
        for i in range(max(len(c) for c in wrapped)):
            lines.append("  ".join(_pad(c[i] if i < len(c) else "", w)
                                   for c, w in zip(wrapped, widths, strict=True)).rstrip())
    return "\n".join(lines)


def paragraph(text: str) -> str:
    """A line of prose wrapped to the terminal's width (a TTY, or COLUMNS set); one line when
    the output goes to a file or a pipe, so scripts can grep it."""
    if not (sys.stdout.isatty() or os.environ.get("COLUMNS")):
        return text
    return "\n".join(wrap_cells(text, terminal_width()))


def comparison_table(comparisons: list[Any]) -> str:
    """Field by field: each source's value and the verdict."""
    if not comparisons:
        return "no claims"
    rows = []
    for c in comparisons:
        values = "; ".join(f"{src}: {val}" for src, val in c.values.items())
        rows.append([c.field, c.verdict, values])
    title = f"subject {comparisons[0].subject}: what each source says"
    return title + "\n" + _table(["field", "verdict", "values by source"], rows, [22, 13, 80])


def claims_table(claims: list[Claim]) -> str:
    """What one source says, claim by claim, with the quote and where it was read."""
    if not claims:
        return "no claims: the reader found none of the fields it knows in this document"
    rows = [[c.field + (f" ({c.qualifier})" if c.qualifier else ""), c.value_text(),
             shorten(c.quote, 160), c.locator] for c in claims]
    title = f"{claims[0].source} ({claims[0].source_kind}, {claims[0].role}): what it says"
    return title + "\n" + _table(["field", "value", "quote", "where"], rows, [24, 30, 60, 30])


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary, with an ellipsis, never mid-word."""
    text = " ".join(text.split())
    return text if len(text) <= limit else textwrap.shorten(text, limit, placeholder=" …")


def plural(n: int, word: str) -> str:
    """'1 finding', '2 findings'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def findings_table(findings: list[Finding], new: set[str] | None = None,
                   reviews: dict[str, str] | None = None) -> str:
    """One row per finding. With `reviews` (id → review state and note, for stored findings)
    a leading id column names what `auditor review` takes, and the state follows the
    message."""
    if not findings:
        return "no findings"
    new = new or set()
    rows = []
    for f in sorted(findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.subject, f.field)):
        quotes = " | ".join(f"{s.source} [{s.locator}]: “{shorten(s.quote or '—', 140)}”"
                            for s in f.sources[:3])
        row = [SEVERITY_MARK[f.severity] + (" NEW" if f.id in new else ""),
               f.field, f.kind, f.message, quotes]
        if reviews is not None:
            state = reviews.get(f.id)
            row = [f.id[:8], *row[:3], f.message + (f" [{state}]" if state else ""), row[4]]
        rows.append(row)
    if reviews is not None:
        return f"{plural(len(findings), 'finding')}\n" + _table(
            ["id", "severity", "field", "kind", "finding", "quotes"], rows,
            [8, 9, 22, 11, 50, 48])
    return f"{plural(len(findings), 'finding')}\n" + _table(
        ["severity", "field", "kind", "finding", "quotes"], rows, [9, 22, 11, 50, 58])


def summary_line(result: Any, db_path: str | Path) -> str:
    run = result.run
    failing = sorted(getattr(result, "fetch_failures", None) or {})
    broken = list(getattr(result, "broken", None) or [])
    health = "".join(f"; {len(names)} {what}: {', '.join(names)}"
                     for what, names in (("failing to fetch", failing), ("broken", broken))
                     if names)
    return (f"run {run.id}: {run.sources} sources{health}, {run.claims} claims, "
            f"{run.findings_open} open findings ({len(result.new)} new, "
            f"{len(result.resolved)} resolved"
            + (f", {len(result.dismissed)} dismissed by review"
               if getattr(result, "dismissed", None) else "")
            + (f", {result.ignored} ignored by config" if getattr(result, "ignored", 0) else "")
            + (f"; {result.pruned} old snapshot versions pruned by [retention]"
               if getattr(result, "pruned", 0) else "")
            + f") → {db_path}")
