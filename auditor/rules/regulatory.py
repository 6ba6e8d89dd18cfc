"""Regulatory and price checks: approval type and conditions, price per pack and its
effective date, and a company's pipeline against the registrations it should have."""

from __future__ import annotations

import functools
import re
from typing import Any

from auditor.models import Claim, Finding
from auditor.read.values import fold
from auditor.rules import Context, absence, disagreement, finding, one_per_source, rule, side

LIMITS = ("conditional", "time-limited")


@rule("approval_type_mismatch", fields=("approval",), severity="high",
      explanation="Sources describe the approval differently (e.g. full vs conditional and "
                  "time-limited).")
def approval_type_mismatch(ctx: Context) -> list[Finding]:
    claims = ctx.known("approval")
    ctx.mark_compared("approval", claims)
    out = []
    limited = [c for c in claims if set(LIMITS) & set(c.value)]
    full = [c for c in claims if "full" in c.value and not set(LIMITS) & set(c.value)]
    if limited and full:
        out.append(finding(ctx, "approval_type_mismatch", "mismatch",
                           "approval type differs: " + "; ".join(
                               f"{c.source} says {c.value_text()}" for c in limited + full),
                           [side(c) for c in one_per_source(limited + full)]))
    regulators = [c for c in limited if c.role == "regulator"]
    if regulators:
        missing = [c for c in one_per_source(claims)
                   if c.role == "company" and not set(LIMITS) & set(c.value) and c not in full]
        for c in missing:
            out.append(finding(
                ctx, "approval_type_mismatch", "mismatch",
                f"{c.source} describes the approval without its limits; {regulators[0].source} "
                f"says {regulators[0].value_text()}", [side(regulators[0]), side(c)]))
    return out


@rule("approval_without_regulator", fields=("approval",), severity="medium",
      explanation="A company claims an approval that no regulator source in the dossier states.")
def approval_without_regulator(ctx: Context) -> list[Finding]:
    company = one_per_source(ctx.known("approval", "company"))
    if company and not ctx.known("approval", "regulator"):
        return [finding(ctx, "approval_without_regulator", "missing",
                        f"{company[0].source} claims approval ({company[0].value_text()}) but no "
                        "regulator source states it",
                        [side(company[0])] + [absence(s, "regulator", "approval")
                                              for s in ctx.sources("regulator")])]
    return []


def _names(ctx: Context) -> list[str]:
    return [fold(n).lower() for n in [ctx.subject.name, ctx.subject.id, *ctx.subject.aliases]]


def subject_prices(ctx: Context) -> list[Claim]:
    """Price claims for this subject: qualifier (the product row's name) matches an alias."""
    if ctx.subject.adhoc:
        return ctx.known("price")  # a one-off comparison names no product: take every row
    names = _names(ctx)
    out = []
    for c in ctx.known("price"):
        q = fold(c.qualifier or "").lower()
        if not q or any(n and (n in q or q in n) for n in names):
            out.append(c)
    return out


def _same_part(part: str, a: Any, b: Any) -> bool:
    """Whether two price values agree on one part (amount, pack, effective date)."""
    return bool(_norm(a.get(part)) == _norm(b.get(part)))


@rule("price_mismatch", fields=("price",), severity="high",
      explanation="Price, currency, pack or effective date differ between sources.")
def price_mismatch(ctx: Context) -> list[Finding]:
    claims = one_per_source(subject_prices(ctx))
    out: list[Finding] = []
    for part in ("amount", "pack", "effective_date"):
        having = [c for c in claims if isinstance(c.value, dict) and c.value.get(part)]
        for f in disagreement(ctx, "price_mismatch", having,
                              same=functools.partial(_same_part, part),
                              aspect=part):
            f.message = f"price {part.replace('_', ' ')} differs: " + "; ".join(
                f"{s.source}: {s.value.get(part)}" for s in f.sources)
            out.append(f)
    return out


def _norm(value: object) -> str:
    return re.sub(r"\s+", "", fold(str(value)).lower())


REGION_REGISTRIES = {"us": ("ctgov",), "united states": ("ctgov",), "usa": ("ctgov",),
                     "u s a": ("ctgov",), "米国": ("ctgov",), "日本": ("jrct", "ictrp"),
                     "japan": ("jrct", "ictrp"), "jp": ("jrct", "ictrp"),
                     "eu": ("ictrp",), "europe": ("ictrp",)}


def registries_for(row: dict) -> tuple[str, ...] | None:
    """The registry kinds that cover a pipeline row's region ('U.S.' → ctgov), or None."""
    region = re.sub(r"[.\s]+", " ", fold(str(row.get("region") or "")).lower()).strip()
    return REGION_REGISTRIES.get(region.replace("u s", "us"))


@rule("pipeline_without_registration", fields=("pipeline",), severity="medium",
      explanation="A company lists a clinical programme in a region with no matching registry "
                  "entry among the subject's sources.")
def pipeline_without_registration(ctx: Context) -> list[Finding]:
    out = []
    registry_kinds = {c.source_kind for c in ctx.claims if c.role == "registry"}
    for c in ctx.known("pipeline", "company"):
        row = c.value if isinstance(c.value, dict) else {}
        phase = row.get("phase")
        if isinstance(phase, list):
            phase = "Phase " + "/".join(phase) if phase else ""
        wanted = registries_for(row)
        if phase and wanted and not registry_kinds & set(wanted):
            out.append(finding(
                ctx, "pipeline_without_registration", "missing",
                f"{c.source} lists {phase} in {row.get('region')}; a "
                f"{' or '.join(wanted)} registration for that programme is not among the "
                "configured sources (what the dossier lacks, not a fact about the world)",
                [side(c), absence(", ".join(wanted), "registry",
                                  f"{row.get('region')} registration")],
                region=row.get("region")))
    return out


@rule("indication_mismatch", fields=("indication",), severity="low",
      explanation="Regulator and company word the indication in ways that do not match.")
def indication_mismatch(ctx: Context) -> list[Finding]:
    from rapidfuzz import fuzz

    # 60: a rewording of the same indication scores ~90; a broadened one ("... and other
    # neurodegenerative disorders") shares the disease name and scores ~55.
    threshold = ctx.threshold if ctx.threshold is not None else 60.0
    claims = [c for c in one_per_source(ctx.known("indication"))
              if c.role in ("regulator", "company") and re.search(r"[a-z]", str(c.value), re.I)]
    return disagreement(ctx, "indication_mismatch", claims,
                        same=lambda a, b: fuzz.token_set_ratio(str(a).lower(),
                                                               str(b).lower()) >= threshold,
                        threshold=threshold)


ENDED = {"TERMINATED", "WITHDRAWN", "SUSPENDED"}


def _own_id(ctx: Context, source: str) -> str:
    """The registry id a record gives for itself ('NCT06482268'), or ''."""
    return next((str(c.value[0]) for c in ctx.known("identifiers") if c.source == source
                 and c.qualifier == "self" and c.value), "")


@rule("pipeline_vs_registry", fields=("pipeline",), severity="medium",
      explanation="A company's pipeline gives a phase, or an active programme, that the registry "
                  "entry for the same region contradicts.")
def pipeline_vs_registry(ctx: Context) -> list[Finding]:
    out = []
    for c in ctx.known("pipeline", "company"):
        row = c.value if isinstance(c.value, dict) else {}
        wanted = registries_for(row)
        phase = row.get("phase")
        if not wanted or not phase:
            continue
        registered = [p for p in one_per_source(ctx.known("phase", "registry"))
                      if p.source_kind in wanted and p.value]
        differing = [reg for reg in registered if set(reg.value) != set(phase)]
        if differing and len(differing) == len(registered):  # one matching record explains it
            said = sorted({"/".join(reg.value) for reg in differing})
            records = ", ".join(f"{reg.source} ({_own_id(ctx, reg.source)})"
                                if _own_id(ctx, reg.source) else reg.source
                                for reg in differing)
            out.append(finding(
                ctx, "pipeline_vs_registry", "mismatch",
                f"{c.source} says phase {'/'.join(phase)} in {row.get('region')} where the "
                f"{'registry says' if len(differing) == 1 else 'registrations say'} phase "
                f"{' or '.join(said)}: {records}",
                [side(c)] + [side(reg) for reg in differing], region=row.get("region"),
                aspect="phase"))
        for status in one_per_source(ctx.known("status", "registry")):
            if status.source_kind in wanted and status.value in ENDED:
                out.append(finding(
                    ctx, "pipeline_vs_registry", "mismatch",
                    f"{c.source} lists an active phase {'/'.join(phase)} programme in "
                    f"{row.get('region')}, but {status.source} says {status.value}",
                    [side(c), side(status)], severity="high", region=row.get("region"),
                    aspect="status"))
    return out
