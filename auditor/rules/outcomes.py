"""Outcome switching, by COMPare's categories: a registered primary outcome not reported (and
whether the paper reports another primary instead, or mentions it only as secondary), a
reported primary not registered, a primary demoted to secondary or a secondary promoted, and a
changed time point. Each registered outcome is compared with the paper's outcomes item by item
on its key (read/outcomes.py: content words with synonyms folded, and the time point apart),
so rewording stays silent and a measure swapped for a neighbour ('30-day sustained' for
'7-day point prevalence abstinence') does not.

An outcome that cannot be compared (still mostly Japanese after the glossary, or no content
words) is never dropped silently: it is compared through another registry page of the same
trial (the jRCT English page) when the sources have one, or an `outcome_not_comparable`
finding says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.models import Claim, Finding
from auditor.read.outcomes import (
    VOCABULARY,
    OutcomeKey,
    abbreviations,
    outcome_key,
    per_parameter,
    same_time,
    similarity,
    undefined_abbreviations,
)
from auditor.rules import Context, absence, finding, rule, side
from auditor.rules.amendments import registered as registered_as_of

DEFAULT_THRESHOLD = 60.0
_FORMS = frozenset(form for name, forms in VOCABULARY.items() for form in (name, *forms))
#: Two time points differ when they are more than this share of the longer apart (52 weeks =
#: 12 months, 12 weeks = 3 months; 36 vs 44 weeks differ).
TIME_TOLERANCE = 0.1


@dataclass(frozen=True)
class Item:
    """One outcome of one claim."""

    claim: Claim
    text: str
    key: OutcomeKey


def items(claims: list[Claim], defined: dict[str, str] | None = None) -> list[Item]:
    """One item per outcome, and per PK parameter of an outcome that lists several (its text
    then ends with the parameter: '… (Ctau, Cmax, and AUC0-tau) of X [Cmax]')."""
    return [Item(c, f"{text} [{label}]" if label else str(text), key) for c in claims
            for text in (c.value if isinstance(c.value, list) else [c.value]) if text
            for label, key in per_parameter(outcome_key(str(text), defined))]


def defined_terms(ctx: Context) -> dict[str, str]:
    """The abbreviations the subject's sources define ('forced vital capacity (FVC)'), and
    those they use without defining whose long form is the only phrase that spells them."""
    outcomes = [str(v) for c in ctx.claims if c.field.endswith("_outcomes")
                for v in (c.value if isinstance(c.value, list) else [c.value])]
    texts = [c.quote for c in ctx.claims] + outcomes
    defined = abbreviations(texts)
    used = {a for text in outcomes for a in re.findall(r"\b[A-Z]{2,5}\b", text)}
    known = {a for a in used if a.lower() in _FORMS}  # SC, IM, PFS: the vocabulary's own
    return {**undefined_abbreviations(used - set(defined) - known, texts), **defined}


def closest(item: Item, others: list[Item]) -> tuple[Item | None, float]:
    """The most similar comparable item, and its similarity; among equals, the one at the
    same time point (a paper's 'weeks 21-24' item, not its 'weeks 9-12' one)."""
    scored = [(o, similarity(item.key, o.key)) for o in others if o.key.comparable]
    timing = {True: 2, None: 1, False: 0}
    best = max(scored, key=lambda x: (x[1], timing[same_time(item.key, x[0].key)]),
               default=(None, 0.0))
    return best


def _by_source(found: list[Item]) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for i in found:
        out.setdefault(i.claim.source, []).append(i)
    return out


def _comparable(ctx: Context, role: str, defined: dict[str, str] | None = None
                ) -> tuple[list[Item], list[Item]]:
    """(comparable primary items, primary items that cannot be compared) for a role."""
    found = items(ctx.known("primary_outcomes", role), defined)
    return [i for i in found if i.key.comparable], [i for i in found if not i.key.comparable]


def _mentioned(item: Item, source: str, ctx: Context) -> bool:
    """Whether the source's quoted sentences mention the outcome's words at all."""
    text = " ".join(c.quote for c in ctx.claims if c.source == source).lower()
    words = [w for w in item.key.words if len(w) > 3 and "_" not in w]
    return bool(words) and sum(w in text for w in words) >= max(1, len(words) // 2 + 1)


@rule("outcome_switching", fields=("primary_outcomes",), severity="high",
      explanation="Primary outcomes differ between the registration and the publication; "
                  "with a registry's change history, the paper is compared with the last "
                  "version before the trial started (or the one in force on the as-of date).")
def outcome_switching(ctx: Context) -> list[Finding]:
    threshold = ctx.threshold if ctx.threshold is not None else DEFAULT_THRESHOLD
    out: list[Finding] = []
    defined = defined_terms(ctx)
    reg_claims, labels = registered_as_of(ctx, "primary_outcomes")
    registered = [i for i in items(reg_claims, defined) if i.key.comparable]
    reported, _ = _comparable(ctx, "publication", defined)
    sec_claims, sec_labels = registered_as_of(ctx, "secondary_outcomes")
    reg_secondary = items(sec_claims, defined)
    labels = {**labels, **sec_labels}

    def named(claim: Claim) -> str:
        """The source, or the version of it the paper is compared with."""
        return labels.get(claim.id, claim.source)
    pub_secondary = items(ctx.known("secondary_outcomes", "publication"), defined)
    if registered and reported:
        ctx.mark_compared("primary_outcomes",
                          [i.claim for i in registered] + [i.claim for i in reported])
    reported_by = _by_source(reported)
    registered_by = _by_source(registered)

    for reg in registered:
        missing_in: list[tuple[Claim, float, str]] = []
        for source, pub_items in reported_by.items():
            match, score = closest(reg, pub_items)
            if match is not None and score >= threshold:
                if same_time(reg.key, match.key, TIME_TOLERANCE) is False:
                    a = "/".join(f"{m:g}" for m in sorted(reg.key.months))
                    b = "/".join(f"{m:g}" for m in sorted(match.key.months))
                    out.append(finding(
                        ctx, "outcome_switching", "mismatch",
                        f"time point of primary outcome {reg.text!r} changed: {a} months "
                        f"registered in {named(reg.claim)}, {b} months reported in {source}",
                        [side(reg.claim, reg.text), side(match.claim, match.text)],
                        category="time frame changed", score=score, threshold=threshold))
                continue
            secondary, sec_score = closest(reg, [s for s in pub_secondary
                                                 if s.claim.source == source])
            if secondary is not None and sec_score >= threshold:
                out.append(finding(
                    ctx, "outcome_switching", "mismatch",
                    f"registered primary outcome {reg.text!r} ({named(reg.claim)}) is reported "
                    f"only as a secondary outcome in {source} (similarity {sec_score:.0f} ≥ "
                    f"{threshold:g})",
                    [side(reg.claim, reg.text), side(secondary.claim, secondary.text)],
                    category="primary demoted to secondary", score=sec_score,
                    threshold=threshold))
                continue
            others_kept = [p for p in pub_items
                           if any(similarity(p.key, r.key) >= threshold
                                  for r in registered_by.get(reg.claim.source, []) if r != reg)]
            how = ("a co-primary dropped: the other registered primaries are reported"
                   if others_kept else "another primary reported instead")
            how += "; mentioned in the abstract, but not as primary" \
                if _mentioned(reg, source, ctx) else "; not mentioned in the abstract"
            missing_in.append((pub_items[0].claim, score, how))
        if missing_in:
            top = max(score for _, score, _ in missing_in)
            out.append(finding(
                ctx, "outcome_switching", "missing",
                f"registered primary outcome {reg.text!r} ({named(reg.claim)}) is not among the "
                f"primary outcomes reported by {', '.join(c.source for c, _, _ in missing_in)} "
                f"({missing_in[0][2]}; best similarity {top:.0f} < {threshold:g})",
                [side(reg.claim, reg.text)] + [side(c) for c, _, _ in missing_in],
                category="registered primary not reported", detail=missing_in[0][2],
                score=top, threshold=threshold))

    for pub in reported:
        unregistered: list[Claim] = []
        for source, reg_items in registered_by.items():
            if closest(pub, reg_items)[1] >= threshold:
                continue
            secondary, sec_score = closest(pub, [s for s in reg_secondary
                                                 if s.claim.source == source])
            if secondary is not None and sec_score >= threshold:
                out.append(finding(
                    ctx, "outcome_switching", "mismatch",
                    f"{pub.claim.source} reports {pub.text!r} as a primary outcome; "
                    f"{named(secondary.claim)} registered it as secondary (similarity "
                    f"{sec_score:.0f} ≥ {threshold:g})",
                    [side(pub.claim, pub.text), side(secondary.claim, secondary.text)],
                    category="secondary promoted to primary", score=sec_score,
                    threshold=threshold))
            else:
                unregistered.append(reg_items[0].claim)
        if unregistered:
            out.append(finding(
                ctx, "outcome_switching", "mismatch",
                f"{pub.claim.source} reports primary outcome {pub.text!r}, which is not a "
                f"registered primary outcome in {', '.join(named(r) for r in unregistered)}",
                [side(pub.claim, pub.text)] + [side(r) for r in unregistered],
                category="reported primary not registered", threshold=threshold))
    return out


@rule("outcome_not_comparable", fields=("primary_outcomes",), severity="low",
      explanation="A primary outcome could not be compared (another language outside the "
                  "glossary, or no content words), and no other page of the same trial bridges "
                  "it.")
def outcome_not_comparable(ctx: Context) -> list[Finding]:
    out = []
    defined = defined_terms(ctx)
    reg_ok, reg_not = _comparable(ctx, "registry", defined)
    pub_ok, pub_not = _comparable(ctx, "publication", defined)
    for role, unreadable, readable, other in (("registry", reg_not, reg_ok, pub_ok + pub_not),
                                              ("publication", pub_not, pub_ok,
                                               reg_ok + reg_not)):
        if not other:
            continue  # nothing to compare with: outcome_not_stated covers it
        for source, not_ok in _by_source(unreadable).items():
            bridges = sorted({i.claim.source for i in readable if i.claim.source != source})
            if bridges:  # e.g. jrct-ja through jrct-en, the same record in English
                ctx.mark_compared("primary_outcomes",
                                  [not_ok[0].claim] + [i.claim for i in readable])
                continue
            out.append(finding(
                ctx, "outcome_not_comparable", "missing",
                f"{source}'s primary outcome {not_ok[0].text!r} cannot be compared with "
                f"{', '.join(sorted({i.claim.source for i in other}))}: its text is outside the "
                "outcome vocabulary (another language?); add the English page of the same "
                f"{'registration' if role == 'registry' else 'paper'} to compare it",
                [side(not_ok[0].claim, not_ok[0].text)]
                + [side(i.claim, i.text) for i in other[:1]]))
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


@rule("abstract_vs_full_text", fields=("primary_outcomes",), severity="medium",
      explanation="A paper's abstract and its full text (methods) name different primary "
                  "outcomes.")
def abstract_vs_full_text(ctx: Context) -> list[Finding]:
    """Within one paper: an abstract that reports another primary than the methods define is
    an outcome switch inside the paper itself (readings qualified 'abstract' / 'full text')."""
    threshold = ctx.threshold if ctx.threshold is not None else DEFAULT_THRESHOLD
    defined = defined_terms(ctx)
    out: list[Finding] = []
    for source in ctx.sources("publication"):
        mine = [c for c in ctx.known("primary_outcomes", "publication") if c.source == source]
        abstract = [i for i in items([c for c in mine if c.qualifier == "abstract"], defined)
                    if i.key.comparable]
        body = [i for i in items([c for c in mine if c.qualifier == "full text"], defined)
                if i.key.comparable]
        if not abstract or not body:
            continue
        ctx.mark_compared("primary_outcomes", [i.claim for i in abstract + body])
        for here, there, where, other in ((body, abstract, "the full text", "the abstract"),
                                          (abstract, body, "the abstract", "the full text")):
            for item in here:
                match, score = closest(item, there)
                if score < threshold:
                    out.append(finding(
                        ctx, "abstract_vs_full_text", "mismatch",
                        f"{source}: {where} names the primary outcome {item.text!r}, which "
                        f"{other} does not report as primary (best similarity {score:.0f} < "
                        f"{threshold:g})",
                        [side(item.claim, item.text)] + [side(i.claim, i.text) for i in there[:1]],
                        score=score, threshold=threshold))
    return out
