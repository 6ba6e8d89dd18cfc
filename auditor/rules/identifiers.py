"""Identifiers: a publication that does not cite its trial's registration.

A trial registered twice (jRCT and UMIN-CTR, NCT and EudraCT) is cited by either id: a paper
that cites the jRCT id cites the UMIN record that jRCT lists too, as a reviewer accepts. The
records are linked by the ids they share, never by title."""

from __future__ import annotations

from auditor.models import Finding
from auditor.read.values import normalize_id
from auditor.rules import Context, finding, rule, side


@rule("registration_not_cited", fields=("identifiers",), severity="medium",
      explanation="A publication does not cite the registry id of the trial it reports.")
def registration_not_cited(ctx: Context) -> list[Finding]:
    out = []
    registries: dict[str, set[str]] = {}
    for c in ctx.known("identifiers", "registry"):
        registries.setdefault(c.source, set()).update(normalize_id(i) for i in c.value)
    papers: dict[str, set[str]] = {}
    for c in ctx.known("identifiers", "publication"):
        papers.setdefault(c.source, set()).update(normalize_id(i) for i in c.value)
    for reg, reg_ids in registries.items():
        trial_ids = {i for i in reg_ids if not i.startswith(("DOI:", "PMID:"))}
        # the ids of this record and of the records it shares an id with
        linked = set(trial_ids).union(*(other for other in registries.values()
                                        if other & trial_ids))
        reg_claim = next(c for c in ctx.known("identifiers", "registry") if c.source == reg)
        for paper, ids in papers.items():
            if trial_ids and not linked & ids:
                pc = next(c for c in ctx.known("identifiers", "publication") if c.source == paper)
                out.append(finding(
                    ctx, "registration_not_cited", "missing",
                    f"{paper} cites none of {reg}'s ids ({', '.join(sorted(trial_ids))})",
                    [side(reg_claim), side(pc)]))
    return out
