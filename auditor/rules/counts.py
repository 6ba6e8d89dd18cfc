"""Counts and durations: enrollment, follow-up, adverse events, analysed sample."""

from __future__ import annotations

from auditor.models import ENROLLED_QUALIFIERS, Finding, Severity
from auditor.rules import Context, disagreement, finding, one_per_source, rule, side

#: Counts of people who took part: a registry's actual enrollment and a paper's randomised,
#: enrolled or treated count are compared alike; a planned or estimated target is not one.
ACTUAL = ENROLLED_QUALIFIERS


@rule("enrollment_mismatch", fields=("enrollment",), severity="high",
      explanation="The number of participants differs between sources.")
def enrollment_mismatch(ctx: Context) -> list[Finding]:
    # A registry that gives both its target and its actual count is compared by the actual one.
    known = ctx.known("enrollment")
    claims = one_per_source([c for c in known if c.qualifier in ACTUAL] +
                            [c for c in known if c.qualifier not in ACTUAL])
    qualifiers = {c.qualifier for c in claims}
    # A registry's planned target that differs from the actual n is worth a look, not an alarm.
    severity: Severity | None = \
        "medium" if "planned" in qualifiers and len(qualifiers) > 1 else None
    return disagreement(ctx, "enrollment_mismatch", claims, severity=severity,
                        qualifiers=sorted(q or "" for q in qualifiers))


def _close(tolerance: float):
    def same(a: float, b: float) -> bool:
        return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-9)
    return same


@rule("follow_up_mismatch", fields=("follow_up",), severity="medium",
      explanation="Follow-up durations differ beyond a tolerance (units are converted first).")
def follow_up_mismatch(ctx: Context) -> list[Finding]:
    tolerance = ctx.threshold if ctx.threshold is not None else 0.05
    return disagreement(ctx, "follow_up_mismatch", one_per_source(ctx.known("follow_up")),
                        same=_close(tolerance), tolerance=tolerance)


@rule("adverse_event_count_mismatch", fields=("adverse_events",), severity="high",
      explanation="The number of adverse events differs between sources.")
def adverse_event_count_mismatch(ctx: Context) -> list[Finding]:
    return disagreement(ctx, "adverse_event_count_mismatch",
                        one_per_source(ctx.known("adverse_events")))


@rule("serious_adverse_event_mismatch", fields=("serious_adverse_events",), severity="high",
      explanation="The number of serious adverse events differs between sources.")
def serious_adverse_event_mismatch(ctx: Context) -> list[Finding]:
    return disagreement(ctx, "serious_adverse_event_mismatch",
                        one_per_source(ctx.known("serious_adverse_events")))


@rule("analysed_fewer_than_enrolled", fields=("sample_size_analysed",), severity="info",
      explanation="Efficacy was analysed in fewer participants than were enrolled.")
def analysed_fewer_than_enrolled(ctx: Context) -> list[Finding]:
    enrolled = {c.source: c for c in one_per_source(ctx.known("enrollment"))
                if c.qualifier in ACTUAL}
    pairs = [(enrolled[a.source], a) for a in one_per_source(ctx.known("sample_size_analysed"))
             if a.source in enrolled and a.value < enrolled[a.source].value]
    if not pairs:
        return []
    e, a = pairs[0]
    return [finding(
        ctx, "analysed_fewer_than_enrolled", "mismatch",
        f"efficacy was analysed in {a.value} of {e.value} enrolled participants "
        f"({', '.join(p[1].source for p in pairs)}); efficacy claims rest on the smaller number",
        [side(c) for pair in pairs for c in pair])]
