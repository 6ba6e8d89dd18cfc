"""A subject's timeline as inline SVG: one lane per finding (a bar from first seen to resolved
or last seen, its events marked) and one per registry source (a dot per saved version), over a
time axis with the audit runs ticked. Plain markup, no script: it prints and screenshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

SEVERITY_COLOURS = {"high": "#b3261e", "medium": "#c26a00", "low": "#8a7400", "info": "#4a6fa5"}
WIDTH, LEFT, RIGHT, LANE, TOP = 1000, 300, 30, 26, 34


def _when(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def _short(text: str, n: int = 44) -> str:
    return text if len(text) <= n else text[:n - 1].rsplit(" ", 1)[0] + "…"


def timeline_svg(page: dict[str, Any]) -> Markup:
    """The SVG for a subject page (`store.pages.subject_detail`)."""
    findings = page["findings"]
    versions = page["versions"]
    events: dict[str, list[dict[str, Any]]] = {}
    for e in page["events"]:
        events.setdefault(e["finding_id"], []).append(e)
    # A lane: (label, tooltip, marks); a mark: (start, end or None, colour, tooltip, shape).
    lanes: list[tuple[str, str, list[tuple[datetime, datetime | None, str, str, str]]]] = []
    for f in findings:
        start = _when(f["first_seen"])
        end = _when(f["resolved_at"]) or _when(f["last_seen"])
        if not start:
            continue
        colour = SEVERITY_COLOURS.get(f["severity"], "#555")
        marks = [(start, end, colour, f"{f['severity']}, {f['status']}: {f['message']}", "bar")]
        for e in events.get(f["id"], []):
            at = _when(e["at"])
            if at:
                marks.append((at, None, colour, f"{e['event']} {e['at']}: {f['message']}",
                              e["event"]))
        lanes.append((f"{f['severity']} · {f['field']}", f["message"], marks))
    by_source: dict[str, list[tuple[datetime, datetime | None, str, str, str]]] = {}
    for v in versions:
        at = _when(v["retrieved_at"])
        if at:
            by_source.setdefault(v["source"], []).append(
                (at, None, "#37474f", f"{v['source']} version {v['sha256'][:12]} retrieved "
                 f"{v['retrieved_at']} ({v['provenance'] or 'provenance unknown'})", "version"))
    for source, marks in by_source.items():
        lanes.append((f"{source} versions", f"{len(marks)} saved version(s)", marks))
    runs = [t for r in page["runs"] if (t := _when(r["started_at"]))]
    times = [t for _, _, marks in lanes for m in marks for t in (m[0], m[1]) if t] + runs
    if not times:
        return Markup('<p class="auditor-empty">Nothing to draw yet: no findings or versions.</p>')
    lo, hi = min(times), max(times)
    if hi - lo < timedelta(days=1):
        lo, hi = lo - timedelta(hours=12), hi + timedelta(hours=12)
    pad = (hi - lo) * 0.03
    lo, hi = lo - pad, hi + pad
    span = (hi - lo).total_seconds()

    def x(t: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (t - lo).total_seconds() / span

    height = TOP + LANE * len(lanes) + 30
    out = [f'<svg class="auditor-timeline" viewBox="0 0 {WIDTH} {height}" width="100%" '
           f'role="img" aria-label="Timeline of findings and registry versions" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
           f'font-size="12">']
    axis_y = height - 22
    out.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" '
               'stroke="#999"/>')
    for i in range(5):
        t = lo + (hi - lo) * (i / 4)
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        out.append(f'<text x="{x(t):.1f}" y="{axis_y + 15}" text-anchor="{anchor}" '
                   f'fill="#555">{t:%Y-%m-%d}</text>')
    for t in runs:
        out.append(f'<line x1="{x(t):.1f}" y1="{TOP - 14}" x2="{x(t):.1f}" y2="{axis_y}" '
                   f'stroke="#cfd8dc" stroke-dasharray="3 3"><title>audit run {t:%Y-%m-%d %H:%M}'
                   '</title></line>')
    out.append(f'<text x="{LEFT}" y="{TOP - 18}" fill="#777">audit runs (dashed)</text>')
    for i, (name, title, marks) in enumerate(lanes):
        y = TOP + LANE * i + LANE / 2
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#222">'
                   f'<title>{escape(title)}</title>{escape(_short(name))}</text>')
        for start, end, colour, tip, shape in marks:
            cx, title = x(start), f"<title>{escape(tip)}</title>"
            if shape == "bar":
                width = max(x(end) - cx, 2) if end and end > start else 2
                out.append(f'<rect x="{cx:.1f}" y="{y - 5:.1f}" width="{width:.1f}" height="10" '
                           f'rx="3" fill="{colour}" opacity="0.35">{title}</rect>')
            elif shape == "resolved":
                out.append(f'<rect x="{cx - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
                           f'fill="#fff" stroke="{colour}" stroke-width="2">{title}</rect>')
            elif shape == "reopened":
                out.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="5" fill="#fff" '
                           f'stroke="{colour}" stroke-width="2">{title}</circle>')
            else:  # new, or a registry version
                out.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="6" fill="{colour}">'
                           f"{title}</circle>")
    out.append("</svg>")
    return Markup("".join(out))
