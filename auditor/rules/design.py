"""Phase and design: phases that differ, and design tags that contradict each other
(open-label vs blinded, randomised vs non-randomised or single-arm)."""

from __future__ import annotations

from auditor.models import Claim, Finding
from auditor.rules import Context, disagreement, finding, one_per_source, rule, side

CONFLICTS = [("open-label", "blinded"), ("randomised", "non-randomised"),
             ("randomised", "single-arm"), ("controlled", "single-arm")]


@rule("phase_mismatch", fields=("phase",), severity="medium",
      explanation="Sources give different trial phases.")
def phase_mismatch(ctx: Context) -> list[Finding]:
    claims = [c for c in one_per_source(ctx.known("phase")) if c.value]
    return disagreement(ctx, "phase_mismatch", claims, same=lambda a, b: set(a) == set(b))


@rule("design_conflict", fields=("design",), severity="high",
      explanation="One source describes the design in a way another contradicts.")
def design_conflict(ctx: Context) -> list[Finding]:
    out = []
    claims = ctx.known("design")
    ctx.mark_compared("design", claims)
    # A source may state its design in several places (publication types, the abstract):
    # its tags are the union, and each side quotes the claim that holds the tag.
    tags: dict[str, set[str]] = {}
    holder: dict[tuple[str, str], Claim] = {}
    for c in claims:
        tags.setdefault(c.source, set()).update(c.value)
        for tag in c.value:
            holder.setdefault((c.source, tag), c)
    for a, b in CONFLICTS:
        with_a = sorted(s for s, t in tags.items() if a in t)
        with_b = sorted(s for s, t in tags.items() if b in t and s not in with_a)
        if with_a and with_b:
            out.append(finding(
                ctx, "design_conflict", "mismatch",
                f"design: {', '.join(with_a)} say {a}; {', '.join(with_b)} say {b}",
                [side(holder[(s, a)]) for s in with_a] + [side(holder[(s, b)]) for s in with_b],
                conflict=[a, b]))
    return out
