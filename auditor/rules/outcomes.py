"""Outcome switching, by COMPare's categories: a registered primary outcome not reported, a
reported primary not registered, a primary demoted to secondary (or a secondary promoted),
and a changed time frame. Outcomes match by fuzzy similarity after normalising wording.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from auditor.models import Claim, Finding
from auditor.read.values import normalize_outcome, parse_duration_months
from auditor.rules import Context, absence, finding, rule, side

DEFAULT_THRESHOLD = 60.0

#: Registry Japanese → English, so a Japanese registration can match an English paper.
GLOSSARY = {
    "有害事象": "adverse events", "重篤な": "serious ", "安全性": "safety", "有効性": "efficacy",
    "運動症状": "motor symptoms", "ドパミン": "dopamine", "ドーパミン": "dopamine",
    "産生": "production", "生着": "graft survival", "腫瘍": "tumour", "発現": "incidence",
    "変化": "change", "変化量": "change", "スコア": "score", "評価": "assessment",
    "移植": "transplantation", "細胞": "cells", "の": " ", "及び": " and ", "および": " and ",
    "と": " and ", "、": ", ", "（": " (", "）": ") ", "頻度": "frequency", "割合": "rate",
}


def english(text: str) -> str:
    for ja, en in sorted(GLOSSARY.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(ja, en)
    return text


def comparable(text: str) -> str | None:
    """Normalised English outcome text, or None if it is still mostly Japanese."""
    t = normalize_outcome(english(text))
    cjk = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", t))
    return None if cjk > max(2, len(t) // 5) else t


def similarity(a: str, b: str) -> float:
    return fuzz.token_set_ratio(a, b)


def best(text: str, candidates: list[str]) -> tuple[str | None, float]:
    scored = [(c, similarity(text, comparable(c) or "")) for c in candidates]
    return max(scored, key=lambda x: x[1], default=(None, 0.0))


def best_secondary(text: str, secondaries: list[Claim], source: str
                   ) -> tuple[str | None, float, Claim | None]:
    """The closest secondary outcome the same source states, its score and its claim."""
    scored = [(*best(text, c.value), c) for c in secondaries if c.source == source]
    return max(scored, key=lambda x: x[1], default=(None, 0.0, None))


def _outcomes(ctx: Context, field: str, role: str) -> list[Claim]:
    return [c for c in ctx.known(field, role) if c.value and all(comparable(v) for v in c.value)]


@rule("outcome_switching", fields=("primary_outcomes",), severity="high",
      explanation="Primary outcomes differ between the registration and the publication.")
def outcome_switching(ctx: Context) -> list[Finding]:
    threshold = ctx.threshold if ctx.threshold is not None else DEFAULT_THRESHOLD
    out: list[Finding] = []
    registered = _outcomes(ctx, "primary_outcomes", "registry")
    reported = _outcomes(ctx, "primary_outcomes", "publication")
    reg_secondary = ctx.known("secondary_outcomes", "registry")
    pub_secondary = ctx.known("secondary_outcomes", "publication")
    if registered and reported:
        ctx.mark_compared("primary_outcomes", registered + reported)
    for reg in registered:
        for text in reg.value:
            norm = comparable(text) or ""
            missing_in, demoted_in = [], []
            for pub in reported:
                match, score = best(norm, pub.value)
                if score >= threshold:
                    a, b = parse_duration_months(text), parse_duration_months(match or "")
                    if a and b and abs(a - b) > 0.05 * max(a, b):
                        out.append(finding(
                            ctx, "outcome_switching", "mismatch",
                            f"time frame of primary outcome {text!r} changed: {a:g} months "
                            f"registered in {reg.source}, {b:g} months reported in {pub.source}",
                            [side(reg, text), side(pub, match)],
                            category="time frame changed", score=score, threshold=threshold))
                    continue
                sec_match = best_secondary(norm, pub_secondary, pub.source)
                if sec_match[1] >= threshold and sec_match[2] is not None:
                    demoted_in.append((pub, (sec_match[0], sec_match[1], sec_match[2])))
                else:
                    missing_in.append((pub, score))
            for pub, (match, score, sec_claim) in demoted_in:
                out.append(finding(
                    ctx, "outcome_switching", "mismatch",
                    f"registered primary outcome {text!r} ({reg.source}) is reported only as a "
                    f"secondary outcome in {pub.source} (similarity {score:.0f} ≥ {threshold:g})",
                    [side(reg, text), side(sec_claim, match)],
                    category="primary demoted to secondary", score=score, threshold=threshold))
            if missing_in:
                top = max(score for _, score in missing_in)
                out.append(finding(
                    ctx, "outcome_switching", "missing",
                    f"registered primary outcome {text!r} ({reg.source}) is not among the primary "
                    f"outcomes reported by {', '.join(p.source for p, _ in missing_in)} "
                    f"(best similarity {top:.0f} < {threshold:g})",
                    [side(reg, text)] + [side(p) for p, _ in missing_in],
                    category="registered primary not reported", score=top, threshold=threshold))
    for pub in reported:
        for text in pub.value:
            norm = comparable(text) or ""
            unregistered, promoted = [], []
            for reg in registered:
                if best(norm, reg.value)[1] >= threshold:
                    continue
                sec_match = best_secondary(norm, reg_secondary, reg.source)
                if sec_match[1] >= threshold and sec_match[2] is not None:
                    promoted.append((reg, (sec_match[0], sec_match[1], sec_match[2])))
                else:
                    unregistered.append(reg)
            for reg, (match, score, sec_claim) in promoted:
                out.append(finding(
                    ctx, "outcome_switching", "mismatch",
                    f"{pub.source} reports {text!r} as a primary outcome; {reg.source} registered "
                    f"it as secondary (similarity {score:.0f} ≥ {threshold:g})",
                    [side(pub, text), side(sec_claim, match)],
                    category="secondary promoted to primary", score=score, threshold=threshold))
            if unregistered:
                out.append(finding(
                    ctx, "outcome_switching", "mismatch",
                    f"{pub.source} reports primary outcome {text!r}, which is not a registered "
                    f"primary outcome in {', '.join(r.source for r in unregistered)}",
                    [side(pub, text)] + [side(r) for r in unregistered],
                    category="reported primary not registered", threshold=threshold))
    return out


@rule("outcome_not_stated", fields=("primary_outcomes",), severity="low",
      explanation="The registry states primary outcomes but a publication does not (or the "
                  "reverse), so switching cannot be checked.")
def outcome_not_stated(ctx: Context) -> list[Finding]:
    registered = ctx.known("primary_outcomes", "registry")
    reported = ctx.known("primary_outcomes", "publication")
    if registered and not reported and ctx.sources("publication"):
        return [finding(ctx, "outcome_not_stated", "missing",
                        "no publication source states its primary outcome; "
                        f"{registered[0].source} registered {registered[0].value_text()!r}",
                        [side(registered[0])] + [absence(s, "publication", "primary outcome")
                                                 for s in ctx.sources("publication")])]
    return []
