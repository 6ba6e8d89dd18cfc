"""Facts with units and bases across sources: dose (compared on one basis, or said to be
incomparable), immunosuppression, imaging safety, durability against the follow-up, the
approval's conditions and date, and reimbursement."""

from __future__ import annotations

import re
from typing import Any

from auditor.models import Claim, Finding
from auditor.read.facts import dose_text
from auditor.rules import Context, finding, one_per_source, rule, side

_BILATERAL = re.compile(r"bilateral|both (?:sides|hemispheres|putamina)|両側", re.IGNORECASE)


def _total(dose: dict[str, Any], bilateral: bool) -> tuple[float, float] | None:
    """A dose as cells in total, when its basis allows: per hemisphere × 2 for a bilateral
    transplant; per kg never (no body weight to multiply by)."""
    if dose.get("basis") == "total":
        return dose["min"], dose["max"]
    if dose.get("basis") == "per hemisphere" and bilateral:
        return dose["min"] * 2, dose["max"] * 2
    return None


def _match(a: tuple[float, float], b: tuple[float, float], tolerance: float) -> bool:
    """Ranges that overlap once each is widened by `tolerance` (a rounded '5 million')."""
    return a[0] * (1 - tolerance) <= b[1] * (1 + tolerance) and \
        b[0] * (1 - tolerance) <= a[1] * (1 + tolerance)


def _on_basis(dose: dict[str, Any], total: tuple[float, float] | None) -> str:
    text = dose_text(dose)
    if total and dose.get("basis") != "total":
        low, high = (f"{x / 1e6:.3g}" for x in total)
        text += f" (= {low if low == high else low + '–' + high} million in total over both " \
                "hemispheres)"
    return text


@rule("dose_mismatch", fields=("dose",), severity="medium",
      explanation="Sources give cell doses that differ once put on one basis (per hemisphere × 2 "
                  "for a bilateral transplant = total); doses on bases that cannot be converted "
                  "are reported as such (rule dose_basis_differs), never as differing numbers.")
def dose_mismatch(ctx: Context) -> list[Finding]:
    return _doses(ctx, incomparable=False)


@rule("dose_basis_differs", fields=("dose",), severity="info",
      explanation="Two sources state a dose on bases that cannot be converted to each other "
                  "(per kg vs cells, or a basis not stated): cannot compare, different basis.")
def dose_basis_differs(ctx: Context) -> list[Finding]:
    return _doses(ctx, incomparable=True)


def _doses(ctx: Context, incomparable: bool) -> list[Finding]:
    tolerance = (ctx.threshold if ctx.threshold is not None else 15.0) / 100
    bilateral = any(_BILATERAL.search(c.quote or "") for c in ctx.claims)
    claims = one_per_source(ctx.known("dose"))
    out: list[Finding] = []
    for i, a in enumerate(claims):
        for b in claims[i + 1:]:
            da = [(d, _total(d, bilateral)) for d in a.value]
            db = [(d, _total(d, bilateral)) for d in b.value]
            ca = [(d, t) for d, t in da if t]
            cb = [(d, t) for d, t in db if t]
            if ca and cb:
                if incomparable:
                    continue
                ctx.mark_compared("dose", [a, b])
                lone_a = [x for x in ca if not any(_match(x[1], y[1], tolerance) for y in cb)]
                lone_b = [y for y in cb if not any(_match(x[1], y[1], tolerance) for x in ca)]
                if lone_a and lone_b:
                    out.append(finding(
                        ctx, "dose_mismatch", "mismatch",
                        "dose differs on one basis (cells in total): "
                        f"{'; '.join(_on_basis(d, t) for d, t in lone_a)} ({a.source}) vs "
                        f"{'; '.join(_on_basis(d, t) for d, t in lone_b)} ({b.source})",
                        [side(a), side(b)], tolerance=tolerance))
            elif incomparable:
                out.append(finding(
                    ctx, "dose_basis_differs", "missing",
                    "cannot compare: different basis — "
                    f"{'; '.join(dose_text(d) for d, _ in da)} ({a.source}) vs "
                    f"{'; '.join(dose_text(d) for d, _ in db)} ({b.source})",
                    [side(a), side(b)]))
    return out


@rule("immunosuppression_mismatch", fields=("immunosuppression",), severity="medium",
      explanation="Sources name different immunosuppressants, or different durations of the "
                  "same one (a duration of immunosuppression is never read as follow-up).")
def immunosuppression_mismatch(ctx: Context) -> list[Finding]:
    claims = one_per_source(ctx.known("immunosuppression"))
    out: list[Finding] = []
    for i, a in enumerate(claims):
        for b in claims[i + 1:]:
            drugs_a, drugs_b = set(a.value.get("drugs") or []), set(b.value.get("drugs") or [])
            ma, mb = a.value.get("months"), b.value.get("months")
            if drugs_a and drugs_b:
                ctx.mark_compared("immunosuppression", [a, b])
            if drugs_a and drugs_b and not drugs_a & drugs_b:
                out.append(finding(ctx, "immunosuppression_mismatch", "mismatch",
                                   f"immunosuppressant differs: {', '.join(sorted(drugs_a))} "
                                   f"({a.source}) vs {', '.join(sorted(drugs_b))} ({b.source})",
                                   [side(a), side(b)], aspect="drug"))
            elif ma is not None and mb is not None and abs(ma - mb) > 0.5 and \
                    (drugs_a & drugs_b or not (drugs_a or drugs_b)):  # the same drug's time
                drug = ", ".join(sorted(drugs_a & drugs_b)) or "immunosuppression"
                out.append(finding(ctx, "immunosuppression_mismatch", "mismatch",
                                   f"{drug} duration differs: {ma:g} months ({a.source}) vs "
                                   f"{mb:g} months ({b.source})",
                                   [side(a), side(b)], aspect="duration"))
    return out


_IMAGING = {"graft_overgrowth": "graft overgrowth", "tumour": "tumour formation"}


@rule("imaging_safety_mismatch", fields=("imaging_safety",), severity="high",
      explanation="One source reports graft overgrowth or tumour formation that another says "
                  "was not seen.")
def imaging_safety_mismatch(ctx: Context) -> list[Finding]:
    claims = one_per_source(ctx.known("imaging_safety"))
    out: list[Finding] = []
    for key, label in _IMAGING.items():
        seen = [c for c in claims if c.value.get(key) is True]
        unseen = [c for c in claims if c.value.get(key) is False]
        ctx.mark_compared("imaging_safety", seen + unseen)
        if seen and unseen:
            out.append(finding(ctx, "imaging_safety_mismatch", "mismatch",
                               f"{label}: reported by {', '.join(c.source for c in seen)}, "
                               f"not seen according to {', '.join(c.source for c in unseen)}",
                               [side(c) for c in seen + unseen], aspect=key))
    return out


def longest_follow_up(claims: list[Claim]) -> Claim | None:
    """The longest follow-up a registry or publication reports."""
    follow = [c for c in claims if c.field == "follow_up" and isinstance(c.value, (int, float))
              and c.role in ("registry", "publication")]
    return max(follow, key=lambda c: c.value) if follow else None


@rule("durability_beyond_follow_up", fields=("durability",), severity="medium",
      explanation="A source says an effect lasted longer than any registry or publication "
                  "followed the patients.")
def durability_beyond_follow_up(ctx: Context) -> list[Finding]:
    longest = longest_follow_up(ctx.claims)
    if longest is None:
        return []
    out = []
    for c in ctx.known("durability"):
        months = c.value.get("months")
        if months is not None and months > float(longest.value) + 0.5:
            out.append(finding(ctx, "durability_beyond_follow_up", "overclaim",
                               f"{c.source} says the effect lasted {c.value.get('stated')}, but "
                               f"the longest follow-up reported is {longest.value:g} months "
                               f"({longest.source})", [side(c), side(longest)]))
    return out


def _by_value(claims: list[Claim], key: str, values: list) -> str:
    """'7 (pmda-approval) vs 8 (sumitomo-press)'."""
    return " vs ".join(f"{v} ({', '.join(c.source for c in claims if str(c.value[key]) == str(v))})"
                       for v in values)


_CONDITION_KEYS = {"time_limit_years": "time limit (years)", "deadline": "deadline",
                   "post_marketing_n": "post-marketing patients"}


def _differs_by_key(ctx: Context, field: str, rule_name: str, keys: dict[str, str],
                    message: str) -> list[Finding]:
    """One finding per key of a dict value on which the stating sources differ."""
    claims = one_per_source(ctx.known(field))
    out: list[Finding] = []
    for key, label in keys.items():
        stating = [c for c in claims if c.value.get(key) is not None]
        ctx.mark_compared(field, stating)
        values = sorted({str(c.value[key]) for c in stating})
        if len(values) > 1:
            out.append(finding(ctx, rule_name, "mismatch",
                               message.format(label=label) + _by_value(stating, key, values),
                               [side(c) for c in stating], aspect=key))
    return out


@rule("approval_conditions_mismatch", fields=("approval_conditions",), severity="medium",
      explanation="Sources give the approval's time limit, its deadline or its post-marketing "
                  "commitment (number of patients) differently.")
def approval_conditions_mismatch(ctx: Context) -> list[Finding]:
    return _differs_by_key(ctx, "approval_conditions", "approval_conditions_mismatch",
                           _CONDITION_KEYS, "approval conditions differ on the {label}: ")


_REIMBURSEMENT_KEYS = {"listed": "listing date", "price": "price"}


@rule("reimbursement_mismatch", fields=("reimbursement",), severity="medium",
      explanation="Sources give the reimbursement listing date or price differently.")
def reimbursement_mismatch(ctx: Context) -> list[Finding]:
    return _differs_by_key(ctx, "reimbursement", "reimbursement_mismatch",
                           _REIMBURSEMENT_KEYS, "reimbursement {label} differs: ")
