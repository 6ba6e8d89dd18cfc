"""Amendments: what a registry record changed over its versions (ClinicalTrials.gov's change
history), judged by when. A primary outcome changed before the trial started is the protocol
being settled (info); after the start it may be outcome switching (medium); after the primary
completion date or after results were posted the results could have steered it (high). Also
a target enrollment changed after the start, a primary completion date that slipped, and a
status that went backwards. Every finding quotes both versions, with their numbers and dates.

`registered` gives the outcome rules the registry as it stood before the trial started (the
last version before the start date, as COMPare compared papers with), or on a chosen date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.models import Claim, Finding, FindingSource, RegistryVersion, Severity
from auditor.read.outcomes import outcome_key
from auditor.read.values import squash
from auditor.rules import Context, finding, rule

#: The rules of this family (the Datasette `amendments` view lists the same names).
AMENDMENT_RULES = ("primary_outcome_amended", "enrollment_amended", "completion_date_slipped",
                   "status_backwards")

#: How far a status has got: a later version saying less far along went backwards.
STATUS_STAGE = {"WITHDRAWN": None, "SUSPENDED": None, "UNKNOWN": None,
                "NOT_YET_RECRUITING": 0, "RECRUITING": 1, "ENROLLING_BY_INVITATION": 1,
                "ACTIVE_NOT_RECRUITING": 2, "COMPLETED": 3, "TERMINATED": 3}


def day(partial: str | None) -> str | None:
    """A partial ISO date as its first day ('2018-03' → '2018-03-01'), to compare dates."""
    if not partial:
        return None
    parts = str(partial).split("-")
    return "-".join([parts[0], *(parts[1:3] + ["01", "01"])[:2]])


def by_source(ctx: Context) -> dict[str, list[RegistryVersion]]:
    out: dict[str, list[RegistryVersion]] = {}
    for v in ctx.versions:
        out.setdefault(v.source, []).append(v)
    return {s: sorted(vs, key=lambda v: v.version) for s, vs in out.items()}


def _first(claims: list[Claim], field: str, qualifier: Callable[[str], bool] | None = None
           ) -> Claim | None:
    return next((c for c in claims if c.field == field and c.value is not None
                 and (qualifier is None or qualifier(c.qualifier or ""))), None)


def start_of(ctx: Context, source: str, versions: list[RegistryVersion]) -> str | None:
    """The trial's start date: the current record's, else the latest version's."""
    for claims in ([c for c in ctx.claims if c.source == source],
                   *(v.claims for v in reversed(versions))):
        found = _first(claims, "start_date")
        if found is not None:
            return day(str(found.value))
    return None


def primary_completion(ctx: Context, source: str, versions: list[RegistryVersion]
                       ) -> str | None:
    """The actual primary completion date (an estimate is no event), if any says it."""
    for claims in ([c for c in ctx.claims if c.source == source],
                   *(v.claims for v in reversed(versions))):
        found = _first(claims, "completion_date", lambda q: q == "primary actual")
        if found is not None:
            return day(str(found.value))
    return None


def results_posted(versions: list[RegistryVersion]) -> str | None:
    return next((day(v.results_posted) for v in versions if v.results_posted), None)


def chosen_version(ctx: Context, source: str, versions: list[RegistryVersion]
                   ) -> tuple[RegistryVersion, str] | None:
    """The version papers are compared with, and why: the one in force on the as-of date
    (source's, else '*'), else the last one posted before the start (or the first, when the
    record was registered after the start)."""
    if not versions:
        return None
    as_of = ctx.as_of.get(source) or ctx.as_of.get("*")
    if as_of:
        before = [v for v in versions if v.date <= as_of]
        if not before:
            return versions[0], (f"the first version: the record was first posted after "
                                 f"{as_of}")
        return before[-1], f"the version in force on {as_of}"
    start = start_of(ctx, source, versions)
    if start is None:
        return None  # no start date: nothing says which version "before the start" is
    before = [v for v in versions if v.date < start]
    if not before:
        return versions[0], (f"the first version: the record was first posted after the "
                             f"start on {start}")
    return before[-1], f"the last version before the start on {start}"


def registered(ctx: Context, field: str) -> tuple[list[Claim], dict[str, str]]:
    """The registry's claims of `field` as the outcome rules compare them: for a source with
    a change history, those of the chosen version (none if it stated none); and claim id →
    how to name where it came from ('ctgov-NCT… version 1 of 2018-03-15, the last version
    before the start on 2018-03-08')."""
    histories = by_source(ctx)
    labels: dict[str, str] = {}
    out: list[Claim] = []
    for claim in ctx.known(field, "registry"):
        if claim.source not in histories:
            out.append(claim)
    for source, versions in histories.items():
        chosen = chosen_version(ctx, source, versions)
        if chosen is None:
            out += [c for c in ctx.known(field, "registry") if c.source == source]
            continue
        version, why = chosen
        for c in version.claims:
            if c.field == field and c.value is not None:
                out.append(c)
                labels[c.id] = f"{source} {version.label()}, {why}"
    return out, labels


def version_side(version: RegistryVersion, claim: Claim | None, value: Any = None
                 ) -> FindingSource:
    """One side of an amendment: the version and what it said (or that it said nothing)."""
    name = f"{version.source} {version.label()}"
    if claim is None:
        return FindingSource(source=name, kind="ctgov", value=None, url=version.url,
                             locator=f"(not stated in {version.label()})",
                             snapshot_sha256=version.snapshot_sha256)
    return FindingSource(source=name, kind=claim.source_kind,
                         value=claim.value if value is None else value, quote=claim.quote,
                         locator=claim.locator, url=claim.url,
                         snapshot_sha256=claim.snapshot_sha256)


def timing(date: str, start: str | None, completion: str | None, posted: str | None
           ) -> tuple[Severity, str]:
    """How serious a change of the primary outcome is, by when it was posted."""
    if posted and date >= posted:
        return "high", f"after results were posted ({posted})"
    if completion and date >= completion:
        return "high", f"after the primary completion date ({completion})"
    if start and date >= start:
        return "medium", f"after the start ({start})"
    if start:
        return "info", f"before the start ({start})"
    return "low", "with no start date known"


def _texts(claim: Claim | None) -> list[str]:
    if claim is None:
        return []
    return [str(v) for v in (claim.value if isinstance(claim.value, list) else [claim.value])]


def _same_outcome(a: str, b: str) -> bool:
    """The same outcome in other words: equal text, or equal content words and time points."""
    if squash(a).casefold() == squash(b).casefold():
        return True
    ka, kb = outcome_key(a), outcome_key(b)
    return ka.comparable and ka.words == kb.words and ka.months == kb.months


def _pairs(versions: list[RegistryVersion]) -> list[tuple[RegistryVersion, RegistryVersion]]:
    return list(zip(versions, versions[1:], strict=False))


@rule("primary_outcome_amended", fields=("primary_outcomes",), severity="medium",
      explanation="A registry version changed, added or removed a primary outcome: info "
                  "before the start, medium after it, high after the primary completion date "
                  "or after results were posted.")
def primary_outcome_amended(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for source, versions in by_source(ctx).items():
        start = start_of(ctx, source, versions)
        completion = primary_completion(ctx, source, versions)
        posted = results_posted(versions)
        for prev, cur in _pairs(versions):
            old_claim = _first(prev.claims, "primary_outcomes")
            new_claim = _first(cur.claims, "primary_outcomes")
            old, new = _texts(old_claim), _texts(new_claim)
            removed = [o for o in old if not any(_same_outcome(o, n) for n in new)]
            added = [n for n in new if not any(_same_outcome(o, n) for o in old)]
            if not removed and not added:
                continue
            what = "changed" if removed and added else "added" if added else "removed"
            severity, when = timing(cur.date, start, completion, posted)
            out.append(finding(
                ctx, "primary_outcome_amended", "mismatch",
                f"{source}: primary outcome {what} in {cur.label()}, {when}: "
                f"{prev.label()} registered {'; '.join(old) or 'none'!r}, {cur.label()} "
                f"registers {'; '.join(new) or 'none'!r}",
                [version_side(prev, old_claim), version_side(cur, new_claim)],
                severity=severity, change=what, removed=removed, added=added,
                versions=[prev.version, cur.version], dates=[prev.date, cur.date],
                timing=when))
    return out


@rule("enrollment_amended", fields=("enrollment",), severity="medium",
      explanation="A registry version changed the target enrollment after the trial started.")
def enrollment_amended(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for source, versions in by_source(ctx).items():
        start = start_of(ctx, source, versions)
        for prev, cur in _pairs(versions):
            a = _first(prev.claims, "enrollment", lambda q: q == "planned")
            b = _first(cur.claims, "enrollment", lambda q: q == "planned")
            if a is None or b is None or a.value == b.value or not start or cur.date < start:
                continue
            out.append(finding(
                ctx, "enrollment_amended", "mismatch",
                f"{source}: target enrollment changed after the start ({start}) from "
                f"{a.value_text()} ({prev.label()}) to {b.value_text()} ({cur.label()})",
                [version_side(prev, a), version_side(cur, b)],
                versions=[prev.version, cur.version], dates=[prev.date, cur.date]))
    return out


@rule("completion_date_slipped", fields=("completion_date",), severity="low",
      explanation="A registry version moved the primary completion date later (medium when "
                  "the earlier date had already passed).")
def completion_date_slipped(ctx: Context) -> list[Finding]:
    out: list[Finding] = []

    def primary(q: str) -> bool:
        return q.startswith("primary")

    for source, versions in by_source(ctx).items():
        for prev, cur in _pairs(versions):
            a = _first(prev.claims, "completion_date", primary)
            b = _first(cur.claims, "completion_date", primary)
            if a is None or b is None:
                continue
            # at the coarser precision of the two: 2020-03 → 2020-03-13 is no slip
            size = min(len(str(a.value)), len(str(b.value)))
            was, now = str(a.value)[:size], str(b.value)[:size]
            if now <= was:
                continue
            late = cur.date > (day(str(a.value)) or "")
            out.append(finding(
                ctx, "completion_date_slipped", "mismatch",
                f"{source}: primary completion date moved from {a.value} ({prev.label()}) to "
                f"{b.value} ({cur.label()})"
                + (", after the earlier date had passed" if late else ""),
                [version_side(prev, a), version_side(cur, b)],
                severity="medium" if late else None,
                versions=[prev.version, cur.version], dates=[prev.date, cur.date]))
    return out


@rule("status_backwards", fields=("status",), severity="medium",
      explanation="A registry version gave a status less far along than the version before "
                  "it (e.g. recruiting again after active, not recruiting).")
def status_backwards(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for source, versions in by_source(ctx).items():
        for prev, cur in _pairs(versions):
            a, b = _first(prev.claims, "status"), _first(cur.claims, "status")
            was = str(a.value) if a else prev.status
            now = str(b.value) if b else cur.status
            ra, rb = STATUS_STAGE.get(was or ""), STATUS_STAGE.get(now or "")
            if ra is None or rb is None or rb >= ra:
                continue
            out.append(finding(
                ctx, "status_backwards", "mismatch",
                f"{source}: status went back from {was} ({prev.label()}) to {now} "
                f"({cur.label()})",
                [version_side(prev, a, was), version_side(cur, b, now)],
                versions=[prev.version, cur.version], dates=[prev.date, cur.date]))
    return out
