"""Publication integrity: corrections, retractions and expressions of concern."""

from __future__ import annotations

from auditor.models import Finding, Severity
from auditor.read.values import normalize_id
from auditor.rules import Context, finding, rule, side

SEVERITY: dict[str, Severity] = {"retraction": "high", "expression_of_concern": "medium",
                                 "correction": "low", "erratum": "low"}
#: A notice whose type is none of the above is not guessed to be a correction: it stays
#: "of unknown type", worth a look.
UNKNOWN_TYPE_SEVERITY: Severity = "medium"


@rule("publication_notice", fields=("publication_notices",), severity="high",
      explanation="A paper in the dossier has a correction, retraction or expression of concern.")
def publication_notice(ctx: Context) -> list[Finding]:
    out = []
    for c in ctx.known("publication_notices"):
        paper_ids = {normalize_id(i) for p in ctx.known("identifiers", c.role)
                     if p.source == c.source for i in p.value}
        citing = [p for p in ctx.known("identifiers")
                  if p.role in ("company", "registry") and
                  paper_ids & {normalize_id(i) for i in p.value}]
        for notice in c.value:
            kind = str(notice.get("type") or "").lower().replace("-", "_").replace(" ", "_")
            norm = next((k for k in SEVERITY if k.split("_")[0] in kind), None)
            what = norm.replace("_", " ") if norm else \
                f"notice of unknown type ({notice.get('type') or 'no type given'})"
            still = (f"; {', '.join(sorted({p.source for p in citing}))} still cite(s) it"
                     if citing else "; sources citing it may be out of date")
            out.append(finding(ctx, "publication_notice", "mismatch",
                               f"{c.source}: the paper has a {what} "
                               f"({notice.get('doi') or 'no DOI'}){still}",
                               [side(c, notice)] + [side(p) for p in citing],
                               severity=SEVERITY[norm] if norm else UNKNOWN_TYPE_SEVERITY,
                               notice=notice))
    return out
