"""Funding, conflicts of interest and sponsors as facts: who pays for a trial, and whether the
sources say so alike.

Companies appear under many names (a subsidiary, a former name, a joint venture, a code
prefix): a company-group vocabulary maps them to one group. The default below ships with the
code; config.toml's `[company_groups]` adds groups or names (see README, "Configuration").
"""

from __future__ import annotations

import re

from auditor.models import Claim, Finding
from auditor.read.values import fold
from auditor.rules import Context, absence, finding, rule, side

#: Group → the names it appears under. Word-bounded, case-insensitive; Japanese as written.
DEFAULT_COMPANY_GROUPS: dict[str, list[str]] = {
    "Sumitomo Pharma": ["Sumitomo Pharma", "Sumitomo Dainippon Pharma",
                        "Dainippon Sumitomo Pharma", "Sumitomo Pharma America", "DSP",
                        "RACTHERA", "S-RACMO", "住友ファーマ", "大日本住友製薬", "住友製薬"],
}


def merge_groups(extra: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """The default groups extended by config's: a known group gains names, a new one is
    added."""
    groups = {k: list(v) for k, v in DEFAULT_COMPANY_GROUPS.items()}
    for name, aliases in (extra or {}).items():
        groups.setdefault(name, [name])
        groups[name] += [a for a in aliases if a not in groups[name]]
    return groups


def _groups(ctx: Context) -> dict[str, list[str]]:
    return ctx.options.get("company_groups") or DEFAULT_COMPANY_GROUPS


def groups_named(text: str, groups: dict[str, list[str]]) -> set[str]:
    """The company groups a text names ('DSP-1083' names no company: a code, not a name)."""
    folded = fold(text)
    found = set()
    for group, aliases in groups.items():
        for alias in [group, *aliases]:
            if alias.isascii():
                if re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", folded, re.IGNORECASE):
                    found.add(group)
            elif fold(alias) in folded:
                found.add(group)
    return found


def _text(c: Claim) -> str:
    value = c.value if isinstance(c.value, str) else " ".join(map(str, c.value or [])) \
        if isinstance(c.value, list) else ""
    return f"{value} {c.quote or ''}"


def _paying(ctx: Context) -> dict[str, list[Claim]]:
    """Group → the sponsor, funding and COI claims that name it as paying or employing."""
    out: dict[str, list[Claim]] = {}
    for c in ctx.claims:
        if c.field in ("sponsor", "funding", "conflicts_of_interest") and c.value:
            for g in groups_named(_text(c), _groups(ctx)):
                out.setdefault(g, []).append(c)
    return out


def _voice(ctx: Context, source: str) -> set[str]:
    """The company groups a company source speaks for: the groups its texts name."""
    return {g for c in ctx.claims if c.source == source
            for g in groups_named(c.quote or "", _groups(ctx))}


@rule("independence_claim", fields=("independence",), severity="high",
      explanation="A company page calls a trial independent that the company funds, sponsors "
                  "or employs authors of (per the sponsor, funding or COI statements).")
def independence_claim(ctx: Context) -> list[Finding]:
    paying = _paying(ctx)
    out = []
    for c in ctx.known("independence", "company"):
        voice = _voice(ctx, c.source)  # a page speaking for another company may be right
        for group in sorted(set(paying) & voice if voice else set(paying)):
            evidence = paying[group][0]
            out.append(finding(ctx, "independence_claim", "overclaim",
                               f"{c.source} calls the trial independent, but {evidence.source} "
                               f"names {group} as {evidence.field.replace('_', ' ')}",
                               [side(c), side(evidence)], group=group))
            break
    return out


@rule("coi_omitted", fields=("conflicts_of_interest",), severity="medium",
      explanation="A paper's competing-interest or funding statement names the company while "
                  "the company's own release about the trial does not mention it.")
def coi_omitted(ctx: Context) -> list[Finding]:
    groups = _groups(ctx)
    out = []
    papers = [c for c in ctx.known("conflicts_of_interest", "publication")
              + ctx.known("funding", "publication")]
    company_sources = sorted({c.source for c in ctx.claims if c.role == "company"})
    for paper in papers:
        named = groups_named(_text(paper), groups)
        for source in company_sources:
            voice = _voice(ctx, source) & named
            if not voice:
                continue
            disclosed = [c for c in ctx.claims if c.source == source and c.field in
                         ("conflicts_of_interest", "funding", "sponsor") and c.value
                         and groups_named(_text(c), groups) & voice]
            cites = {i for c in ctx.known("identifiers") if c.source == source for i in c.value}
            about = {i for c in ctx.known("identifiers") if c.source == paper.source
                     for i in c.value}
            if disclosed or not cites & about:
                continue  # it says so, or it is not about this paper's trial
            group = sorted(voice)[0]
            out.append(finding(ctx, "coi_omitted", "missing",
                               f"{paper.source}'s {paper.field.replace('_', ' ')} statement "
                               f"names {group}; {source}, a {group} text about the same "
                               "trial, does not mention the company's funding or interests",
                               [side(paper), absence(source, "company",
                                                     "funding or competing interests")],
                               group=group))
        if out:
            break
    return out


@rule("sponsor_vs_funder", fields=("sponsor", "funding"), severity="medium",
      explanation="The registry's sponsor and the paper's funders are different company groups "
                  "(one group under another name is the same sponsor).")
def sponsor_vs_funder(ctx: Context) -> list[Finding]:
    groups = _groups(ctx)
    out = []
    for sponsor in ctx.known("sponsor", "registry"):
        mine = groups_named(str(sponsor.value), groups)
        if not mine:
            continue
        for funding in ctx.known("funding", "publication"):
            theirs = groups_named(_text(funding), groups)
            ctx.mark_compared("sponsor", [sponsor, funding])
            if theirs and not theirs & mine:
                out.append(finding(
                    ctx, "sponsor_vs_funder", "mismatch",
                    f"{sponsor.source} registers {sponsor.value} ({', '.join(sorted(mine))}) "
                    f"as sponsor; {funding.source} names funders of another company group: "
                    f"{', '.join(sorted(theirs))}", [side(sponsor), side(funding)]))
    return out
