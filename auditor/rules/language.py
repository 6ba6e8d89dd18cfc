"""Claim language vs evidence: company text that claims more than the evidence shows."""

from __future__ import annotations

import re

from auditor.models import Finding
from auditor.read.prose import access_as_validation
from auditor.rules import Context, finding, rule, side
from auditor.rules.evidence import reported_sources

ALWAYS_OVERCLAIM = re.compile(r"cure|curative|根治|完治|治癒", re.IGNORECASE)


def evidence_level(ctx: Context) -> tuple[str, bool]:
    """A plain description of the best evidence in the dossier ('open-label, single-arm
    phase 1/2, n = 7, 24 months'), built from the claims of registries and publications (never
    the company's), and whether it is confirmatory (phase 3 or later and randomised). Only
    trials with reported results count: a registered trial without them is a plan."""
    reported, _ = reported_sources(ctx.claims)

    def evidence(name: str) -> list:
        return [c for c in ctx.known(name) if c.role != "company" and c.source in reported]

    phases = sorted({p for c in evidence("phase") for p in c.value})
    tags = sorted({t for c in evidence("design") for t in c.value})
    ns = sorted({c.value for c in evidence("enrollment")})
    follow = [c.value for c in evidence("follow_up") if isinstance(c.value, (int, float))]
    confirmatory = bool(phases) and max(phases) >= "3" and "randomised" in tags
    design = ", ".join(t for t in tags if t in ("open-label", "single-arm", "blinded",
                                                 "randomised", "non-randomised", "controlled"))
    head = " ".join(p for p in (design, "phase " + "/".join(phases) if phases else "") if p)
    parts = [p for p in (head, f"n = {'/'.join(str(n) for n in ns)}" if ns else "",
                         f"{max(follow):g} months" if follow else "") if p]
    return (", ".join(parts) or "no registry or publication evidence"), confirmatory


#: Where a claim sentence stands, for the message ('the press release', 'the paper's title').
_WHERE = {"company": "company text", "regulator": "regulator notice", "publication": "publication"}


@rule("overclaim", fields=("claim_language",), severity="medium",
      explanation="Text claims more than the evidence level supports: proof, breadth or "
                  "durability words, or access (coverage, approval) taken for validation.")
def overclaim(ctx: Context) -> list[Finding]:
    level, confirmatory = evidence_level(ctx)
    out = []
    for c in ctx.known("claim_language"):
        if c.role == "registry":
            continue  # a registry states a plan, not a claim
        access = access_as_validation(c.value)
        words = [w for w in c.value
                 if w in access or not confirmatory or ALWAYS_OVERCLAIM.search(w)]
        if not words:
            continue
        what = ("takes access for validation (payment and permission are not proof)"
                if access and len(access) == len(words) else "claims more than it shows")
        out.append(finding(
            ctx, "overclaim", "overclaim",
            f"{c.source} ({_WHERE.get(c.role, c.role)}) says {', '.join(repr(w) for w in words)}"
            f": {what}; the evidence it outruns is {level}",
            [side(c)], evidence=level, words=words, access_as_validation=access))
    return out
