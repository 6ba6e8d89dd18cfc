"""Output: plain-text tables for the terminal and the documented JSON shape."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click

from auditor.models import SEVERITY_ORDER, Claim, Finding

#: How a severity word looks on a colour terminal; the word itself is the one JSON uses.
SEVERITY_STYLE: dict[str, dict[str, Any]] = {
    "high": {"fg": "red", "bold": True}, "medium": {"fg": "yellow"}, "low": {"fg": "cyan"},
    "info": {"dim": True}}

#: An ANSI escape sequence (SGR colours and styles, as click.style writes them).
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def severity_word(severity: str, color: bool = False) -> str:
    """The severity as people read it everywhere (high, medium, low, info), coloured on
    request."""
    return click.style(severity, **SEVERITY_STYLE[severity]) if color else severity


def color_wanted(forced: bool | None, stream: IO[Any] | None = None) -> bool:
    """--color/--no-color when given (an explicit flag beats NO_COLOR); otherwise colour only
    on a terminal and only when NO_COLOR is unset or empty (https://no-color.org)."""
    if forced is not None:
        return forced
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def cells_wide(text: str) -> int:
    """Display cells of a text: East-Asian wide and full-width characters take two; ANSI
    colour codes take none."""
    text = ANSI.sub("", text)
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


def _table(headers: list[str], rows: list[list[str]], widths: list[int], *, wide: bool = False,
           paint: dict[int, Callable[[str], str]] | None = None) -> str:
    """Columns of `widths` fitted to the terminal, cells wrapped; `wide`: each cell on one line
    and each column as wide as its content (for `less -S` or a file). `paint` colours the
    lines of a column after wrapping, so wrapping and padding never see an escape code."""
    if wide:
        rows = [[" ".join(str(v).split()) for v in row] for row in rows]
        widths = [max([cells_wide(h), *(cells_wide(r[i]) for r in rows)])
                  for i, h in enumerate(headers)]
    else:
        widths = fit(widths)
    paint = paint or {}

    def cells(row: list[str]) -> list[list[str]]:
        wrapped = [wrap_cells(str(v), w) for v, w in zip(row, widths, strict=True)]
        return [[paint[i](line) for line in lines] if i in paint else lines
                for i, lines in enumerate(wrapped)]

    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        wrapped = cells(row)
        for i in range(max(len(c) for c in wrapped)):
            lines.append("  ".join(_pad(c[i] if i < len(c) else "", w)
                                   for c, w in zip(wrapped, widths, strict=True)).rstrip())
    return "\n".join(lines)


def paragraph(text: str, wide: bool = False) -> str:
    """A line of prose wrapped to the terminal's width (a TTY, or COLUMNS set); one line when
    the output goes to a file or a pipe, so scripts can grep it, or with `wide`."""
    if wide or not (sys.stdout.isatty() or os.environ.get("COLUMNS")):
        return text
    return "\n".join(wrap_cells(text, terminal_width()))


def comparison_table(comparisons: list[Any], wide: bool = False) -> str:
    """Field by field: each source's value and the verdict."""
    if not comparisons:
        return "no claims"
    rows = []
    for c in comparisons:
        values = "; ".join(f"{src}: {val}" for src, val in c.values.items())
        rows.append([c.field, c.verdict, values])
    title = f"subject {comparisons[0].subject}: what each source says"
    return title + "\n" + _table(["field", "verdict", "values by source"], rows, [22, 13, 80],
                                  wide=wide)


def claims_table(claims: list[Claim], wide: bool = False) -> str:
    """What one source says, claim by claim, with the quote and where it was read."""
    if not claims:
        return "no claims: the reader found none of the fields it knows in this document"
    rows = [[c.field + (f" ({c.qualifier})" if c.qualifier else ""), c.value_text(),
             shorten(c.quote, None if wide else 160), c.locator] for c in claims]
    title = f"{claims[0].source} ({claims[0].source_kind}, {claims[0].role}): what it says"
    return title + "\n" + _table(["field", "value", "quote", "where"], rows, [24, 30, 60, 30],
                                  wide=wide)


def shorten(text: str | None, limit: int | None) -> str:
    """Cut at a word boundary, with an ellipsis, never mid-word; `limit` None: in full (one
    line)."""
    text = " ".join((text or "").split())
    if limit is None or len(text) <= limit:
        return text
    return textwrap.shorten(text, limit, placeholder=" …")


def plural(n: int, word: str) -> str:
    """'1 finding', '2 findings'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def findings_table(findings: list[Finding], new: set[str] | None = None,
                   reviews: dict[str, str] | None = None, *, wide: bool = False,
                   color: bool = False) -> str:
    """One row per finding. With `reviews` (id → review state and note, for stored findings)
    a leading id column names what `auditor review` takes, and the state follows the
    message. `wide`: quotes in full, one line a finding; `color`: severity words coloured."""
    if not findings:
        return "no findings"
    new = new or set()
    limit = None if wide else 140
    rows = []
    for f in sorted(findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.subject, f.field)):
        quotes = " | ".join(f"{s.source} [{s.locator}]: “{shorten(s.quote or '—', limit)}”"
                            for s in f.sources[:3])
        row = [f.severity + (" NEW" if f.id in new else ""),
               f.field, f.kind, f.message, quotes]
        if reviews is not None:
            state = reviews.get(f.id)
            row = [f.id[:8], *row[:3], f.message + (f" [{state}]" if state else ""), row[4]]
        rows.append(row)
    column = 1 if reviews is not None else 0
    paint: dict[int, Callable[[str], str]] | None = {column: _paint_severity} if color else None
    if reviews is not None:
        return f"{plural(len(findings), 'finding')}\n" + _table(
            ["id", "severity", "field", "kind", "finding", "quotes"], rows,
            [8, 10, 22, 11, 50, 47], wide=wide, paint=paint)
    return f"{plural(len(findings), 'finding')}\n" + _table(
        ["severity", "field", "kind", "finding", "quotes"], rows, [10, 22, 11, 50, 57],
        wide=wide, paint=paint)


def _paint_severity(line: str) -> str:
    """A line of the severity column with its severity word coloured ("medium NEW")."""
    word, _, rest = line.partition(" ")
    if word not in SEVERITY_STYLE:
        return line
    return severity_word(word, color=True) + (" " + rest if rest else "")


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
