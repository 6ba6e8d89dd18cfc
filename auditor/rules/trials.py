"""Which sources speak of the same trial. A subject (a therapy) may have several trials; a
trial's enrollment, outcomes or phase are compared only among the sources of that trial.

Sources are linked by registry ids only: a registry record's own and cross-registration ids,
the ids a paper or page cites. Titles are quoted as evidence but never make a link (OpenTrials
merged different trials by title similarity, and had to undo it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.models import Claim, Finding, FindingSource, Severity
from auditor.read.values import normalize_id
from auditor.rules import Context, finding, rule, side

#: Fields that describe one trial, not the product: compared only within a trial.
TRIAL_FIELDS = frozenset({
    "enrollment", "follow_up", "primary_outcomes", "secondary_outcomes", "adverse_events",
    "serious_adverse_events", "status", "phase", "design", "start_date", "completion_date",
    "registration_date", "sample_size_analysed", "identifiers", "title", "sponsor",
})


def trial_ids(claim: Claim) -> set[str]:
    """The registry ids of an identifiers claim (not DOIs, PMIDs or PMC ids)."""
    values = claim.value if isinstance(claim.value, list) else []
    return {normalize_id(str(v)) for v in values
            if not str(v).upper().startswith(("DOI:", "PMID:", "PMC"))}


@dataclass
class Trial:
    """The sources that speak of one trial, and the ids that tie them together."""

    sources: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)


def trials(claims: list[Claim]) -> tuple[list[Trial], set[str]]:
    """(trials, sources with trial facts but no registry id to place them in a trial)."""
    ids_of: dict[str, set[str]] = {}
    for c in claims:
        if c.field == "identifiers" and c.value:
            ids_of.setdefault(c.source, set()).update(trial_ids(c))
    groups: list[Trial] = []
    for source, ids in sorted(ids_of.items()):
        if not ids:
            continue
        joined = [g for g in groups if g.ids & ids]
        merged = Trial({source}, set(ids))
        for g in joined:
            merged.sources |= g.sources
            merged.ids |= g.ids
            groups.remove(g)
        groups.append(merged)
    placed = {s for g in groups for s in g.sources}
    unplaced = {c.source for c in claims if c.field in TRIAL_FIELDS and c.source not in placed
                and c.field != "identifiers"}
    return groups, unplaced


def trial_links(claims: list[Claim]) -> list[dict[str, str | None]]:
    """The evidence of each grouping `trials` made: for every source placed in a trial, each
    registry id that placed it, the claim it was read from (reader, snapshot, locator, quote)
    and which other sources give the same id. Titles are never evidence here."""
    groups, _ = trials(claims)
    links: list[dict[str, str | None]] = []
    for g in groups:
        key = ", ".join(sorted(g.ids))
        shared: dict[str, set[str]] = {}
        for c in claims:
            if c.field == "identifiers" and c.source in g.sources:
                for i in trial_ids(c):
                    shared.setdefault(i, set()).add(c.source)
        seen: set[tuple[str, str, str]] = set()
        for c in claims:
            if c.field != "identifiers" or c.source not in g.sources:
                continue
            for i in sorted(trial_ids(c)):
                if (c.source, i, c.locator) in seen:
                    continue
                seen.add((c.source, i, c.locator))
                others = sorted(shared.get(i, set()) - {c.source})
                whose = {"self": "its own or cross-registration id",
                         "cited": "an id it cites"}.get(c.qualifier or "", "an id it gives")
                links.append({
                    "trial": key, "registry_id": i, "source": c.source,
                    "reader": c.source_kind, "snapshot_sha256": c.snapshot_sha256,
                    "locator": c.locator, "quote": c.quote[:500],
                    "how": f"{whose}; " + (f"shared with {', '.join(others)}" if others
                                           else "given by no other source"),
                    "made_by": "audit: registry ids (rules/trials.py)"})
    return links


@rule("different_trial", fields=("identifiers",), severity="info",
      explanation="Sources of one subject describe different trials (no registry id links "
                  "them); trial facts are compared only within each trial.")
def different_trial(ctx: Context) -> list[Finding]:
    groups, _ = trials(ctx.claims)
    if len(groups) < 2:
        return []
    sides: list[FindingSource] = []
    described = []
    for g in groups:
        own = [c for c in ctx.known("identifiers") if c.source in g.sources and trial_ids(c)]
        registry = [c for c in own if c.role == "registry"] or own
        first = registry[0]
        sides.append(side(first))
        title = next((c for c in ctx.known("title") if c.source == first.source), None)
        if title is not None:
            sides.append(side(title))
        described.append(f"{', '.join(sorted(g.ids))} ({', '.join(sorted(g.sources))}"
                         + (f": “{str(title.value)[:80]}”" if title is not None else "") + ")")
    severity: Severity = "medium" if ctx.subject.adhoc else "info"
    return [finding(ctx, "different_trial", "mismatch",
                    f"these sources describe {len(groups)} different trials, linked by no "
                    f"registry id: {'; '.join(described)}; their trial facts are not compared "
                    "with each other", sides, severity=severity,
                    trials=[sorted(g.ids) for g in groups])]
