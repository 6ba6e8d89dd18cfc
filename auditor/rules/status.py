"""Status and dates: a registry still recruiting after results are out, results before the
registered completion date, a record left "ongoing" long after results or approval, registration
after the first patient, and date disagreements."""

from __future__ import annotations

from datetime import date

from auditor.models import Finding
from auditor.read.values import normalize_id
from auditor.rules import Context, disagreement, finding, one_per_source, rule, side

OPEN_STATUSES = {"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"}


@rule("status_behind_publication", fields=("status",), severity="high",
      explanation="The registry says the trial is still recruiting, but results are published.")
def status_behind_publication(ctx: Context) -> list[Finding]:
    papers = ctx.known("publication_date", "publication")
    out = []
    for status in one_per_source(ctx.known("status", "registry")):
        if status.value in OPEN_STATUSES and papers:
            out.append(finding(
                ctx, "status_behind_publication", "stale",
                f"{status.source} still says {status.value} although {papers[0].source} "
                f"published results on {papers[0].value}",
                [side(status), side(papers[0])]))
    return out


@rule("results_before_completion", fields=("completion_date",), severity="medium",
      explanation="Results were published before the registered completion date.")
def results_before_completion(ctx: Context) -> list[Finding]:
    papers = ctx.known("publication_date", "publication")
    out = []
    for done in one_per_source(ctx.known("completion_date", "registry")):
        for paper in papers[:1]:
            if str(paper.value) < str(done.value)[: len(str(paper.value))]:
                out.append(finding(
                    ctx, "results_before_completion", "mismatch",
                    f"{paper.source} published on {paper.value}, before the completion date "
                    f"{done.value} registered in {done.source}",
                    [side(done), side(paper)]))
    return out


@rule("retrospective_registration", fields=("registration_date",), severity="medium",
      explanation="The trial was registered after its first participant was enrolled.")
def retrospective_registration(ctx: Context) -> list[Finding]:
    """Judged on the trial's earliest registration among the sources. A record that cites
    another registration not among them (a jRCT 特定臨床研究 moved from UMIN-CTR, say) may have
    been registered there first: then the finding is only info, and says so."""
    out = []
    starts = {c.source: c for c in ctx.known("start_date", "registry")}
    own = {normalize_id(str(i)) for c in ctx.known("identifiers", "registry")
           if c.qualifier == "self" for i in c.value}
    for reg in one_per_source(ctx.known("registration_date", "registry")):
        start = starts.get(reg.source)
        if not (start and str(reg.value) > str(start.value)[: len(str(reg.value))] and
                str(reg.value)[:7] > str(start.value)[:7]):
            continue
        earlier = [c for c in ctx.known("registration_date", "registry")
                   if str(c.value)[:7] <= str(start.value)[:7]]
        if earlier:
            continue  # another registration of the same trial came before the start
        elsewhere = sorted({normalize_id(str(i)) for c in ctx.known("identifiers", "registry")
                            if c.source == reg.source and c.qualifier == "cited"
                            for i in c.value if not str(i).startswith(("DOI:", "PMID:"))}
                           - own)
        note = (f"; it also cites {', '.join(elsewhere)}, whose registration date is not "
                "among the sources and may be earlier") if elsewhere else ""
        out.append(finding(
            ctx, "retrospective_registration", "mismatch",
            f"{reg.source}: registered on {reg.value}, after the first enrolment on "
            f"{start.value}{note}", [side(start), side(reg)],
            severity="info" if elsewhere else None, cross_registrations=elsewhere))
    return out


#: Statuses that say the trial is still going; a record left on them long after the trial
#: finished and its results are out has not been kept up to date.
UNFINISHED = {"ACTIVE_NOT_RECRUITING", "SUSPENDED", "UNKNOWN"}
STALE_AFTER_DAYS = 365


def _day(value: object) -> date | None:
    """A partial ISO date as its first day ('2023-06' → 2023-06-01); None if unreadable."""
    parts = str(value).split("-")
    try:
        return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1,
                    int(parts[2]) if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


@rule("registry_status_stale", fields=("status",), severity="medium",
      explanation="The registry still calls the trial ongoing although its registered completion "
                  "date passed more than stale_after_days (default 365) before results were "
                  "published or the product was approved.")
def registry_status_stale(ctx: Context) -> list[Finding]:
    days = int(ctx.threshold if ctx.threshold is not None else
               ctx.options.get("stale_after_days", STALE_AFTER_DAYS))
    events = [c for c in ctx.known("publication_date", "publication") +
              ctx.known("approval_date", "regulator") if _day(c.value)]
    if not events:
        return []
    latest = max(events, key=lambda c: _day(c.value))  # type: ignore[arg-type, return-value]
    out = []
    for status in one_per_source(ctx.known("status", "registry")):
        if status.value not in UNFINISHED:
            continue
        done = [c for c in ctx.known("completion_date", "registry")
                if c.source == status.source and _day(c.value)]
        if not done:
            continue
        first = min(done, key=lambda c: _day(c.value))  # type: ignore[arg-type, return-value]
        gap = (_day(latest.value) - _day(first.value)).days  # type: ignore[operator]
        if gap > days:
            out.append(finding(
                ctx, "registry_status_stale", "stale",
                f"{status.source} still says {status.value}, but its completion date "
                f"{first.value} passed {gap} days before {latest.source} ({latest.value}); "
                "the record has not been updated", [side(status), side(first), side(latest)],
                gap_days=gap, stale_after_days=days))
    return out


def _same_date(a: str, b: str) -> bool:
    """'2018-08' and '2018-08-01' agree: a partial date agrees with any date inside it."""
    n = min(len(str(a)), len(str(b)))
    return str(a)[:n] == str(b)[:n]


@rule("date_mismatch", fields=("start_date", "registration_date", "completion_date",
                               "publication_date", "approval_date"), severity="low",
      explanation="The same date differs between sources (partial dates agree with any day "
                  "inside them).")
def date_mismatch(ctx: Context) -> list[Finding]:
    out = []
    for field in RULE_FIELDS:
        out += disagreement(ctx, "date_mismatch", one_per_source(ctx.known(field)),
                            same=_same_date)
    return out


RULE_FIELDS = ("start_date", "registration_date", "completion_date", "publication_date",
               "approval_date")


@rule("status_mismatch", fields=("status",), severity="medium",
      explanation="Registries disagree about the trial's status.")
def status_mismatch(ctx: Context) -> list[Finding]:
    return disagreement(ctx, "status_mismatch", one_per_source(ctx.known("status")))
