"""A registration against itself: a record whose title names one phase while its phase field
registers another (NCT06482268's title ends '(Phase I/II)', its phase is PHASE1)."""

from __future__ import annotations

import re

from auditor.models import Finding
from auditor.read.values import parse_phase
from auditor.rules import Context, finding, rule, side

_ONE = r"(?:[IV]+|\d)[ab]?"
_TITLE_PHASE = re.compile(rf"\bphase\s*{_ONE}(?:\s*(?:/|-|and|or)\s*(?:phase\s*)?{_ONE})?\b|"
                          rf"第\s*{_ONE}(?:\s*[/・-]\s*{_ONE})?\s*相", re.IGNORECASE)


@rule("registry_title_phase", fields=("phase",), severity="low",
      explanation="A registry record's title names a phase its own phase field does not "
                  "register.")
def registry_title_phase(ctx: Context) -> list[Finding]:
    out = []
    for phase in ctx.known("phase", "registry"):
        for title in ctx.known("title", "registry"):
            if title.source != phase.source:
                continue
            m = _TITLE_PHASE.search(str(title.value))
            named = parse_phase(m.group(0)) if m else None
            if m and named and set(named) != set(phase.value):
                out.append(finding(
                    ctx, "registry_title_phase", "mismatch",
                    f"{phase.source}'s title says phase {'/'.join(named)} ({m.group(0)!r}) "
                    f"but the record registers phase {'/'.join(phase.value)}",
                    [side(title), side(phase)]))
                break
    return out
