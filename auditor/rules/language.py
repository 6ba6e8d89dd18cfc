"""Claim language vs evidence: company text that claims more than the evidence shows."""

from __future__ import annotations

import re

from auditor.models import Finding
from auditor.rules import Context, finding, rule, side

ALWAYS_OVERCLAIM = re.compile(r"cure|curative|根治|完治|治癒", re.IGNORECASE)


def evidence_level(ctx: Context) -> tuple[str, bool]:
    """A plain description of the best evidence in the dossier, and whether it is confirmatory
    (phase 3 or later, randomised and controlled)."""
    phases = sorted({p for c in ctx.known("phase") if c.role != "company" for p in c.value})
    tags = sorted({t for c in ctx.known("design") if c.role != "company" for t in c.value})
    ns = sorted({c.value for c in ctx.known("enrollment") if c.role != "company"})
    confirmatory = bool(phases) and max(phases) >= "3" and "randomised" in tags
    parts = []
    if tags:
        parts.append(", ".join(t for t in tags if t in ("open-label", "single-arm", "blinded",
                                                          "randomised", "non-randomised")))
    if phases:
        parts.append("phase " + "/".join(phases))
    if ns:
        parts.append(f"n = {'/'.join(str(n) for n in ns)}")
    return (" ".join(p for p in parts if p) or "no registry or publication evidence"), confirmatory


@rule("overclaim", fields=("claim_language",), severity="medium",
      explanation="Company or press text claims more than the evidence level supports.")
def overclaim(ctx: Context) -> list[Finding]:
    level, confirmatory = evidence_level(ctx)
    out = []
    for c in ctx.known("claim_language"):
        if c.role != "company":
            continue
        words = [w for w in c.value if not confirmatory or ALWAYS_OVERCLAIM.search(w)]
        if words:
            out.append(finding(
                ctx, "overclaim", "overclaim",
                f"{c.source} says {', '.join(repr(w) for w in words)}; the evidence is {level}",
                [side(c)], evidence=level, words=words))
    return out
