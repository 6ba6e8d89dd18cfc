"""The evidence profile of a subject and the briefing's watch list, judged at audit time.

The profile says what the registries and publications (never the company) establish: design,
numbers treated and analysed, longest follow-up, phase, registration, posted results and the
approval's type. The watch list answers the six things the field should watch (controlled
efficacy data, durability of motor effects, graft behaviour over longer follow-up, immune and
safety management under broader use, consistency between registries and publications,
language drifting toward proof), each as a statement judged supported, not supported,
contradicted or not stated, with the quotes it rests on. Both are stored as report notes
(sections "profile" and "watch"); the terminal summary and the report only render them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from auditor.models import ENROLLED_QUALIFIERS, Claim, Finding
from auditor.rules.trials import trials

#: The four answers of a watch-list item.
VERDICTS = ("supported", "not supported", "contradicted", "not stated")
#: Roles whose claims are evidence about the trial (the company's are claims about it).
EVIDENCE_ROLES = ("registry", "publication")
#: Design facts a reader asks for, and the tags that answer them yes or no.
QUESTIONS = {
    "randomised": ({"randomised"}, {"non-randomised", "single-arm"}),
    "controlled": ({"controlled"}, {"single-arm"}),
    "blinded": ({"blinded"}, {"open-label"}),
    "single-arm": ({"single-arm"}, {"controlled", "randomised"}),
}


def _quote(c: Claim, limit: int = 160) -> str:
    text = " ".join((c.quote or "").split())
    text = text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
    return f"{c.source}: “{text}”"


@dataclass
class Profile:
    """What the evidence establishes; None where no registry or publication states it."""

    design: dict[str, bool | None] = field(default_factory=dict)
    treated: list[int] = field(default_factory=list)
    planned: list[int] = field(default_factory=list)
    analysed: list[int] = field(default_factory=list)
    follow_up: float | None = None
    phases: list[str] = field(default_factory=list)
    registrations: list[str] = field(default_factory=list)
    results_posted: bool | None = None
    approval: list[str] = field(default_factory=list)
    #: 'approved 2026-03-06, time limit 7 years (…), use-results survey of 35 patients'.
    approval_terms: str = ""
    quotes: dict[str, list[str]] = field(default_factory=dict)
    #: Registered trials with no publication or posted results among the sources: id → design
    #: tags. Their design is what is planned, not evidence that exists.
    unreported: dict[str, list[str]] = field(default_factory=dict)

    def design_text(self) -> str:
        """'open-label, single-arm, not randomised, not controlled'."""
        yes = [k for k, v in self.design.items() if v]
        no = [f"not {k}" for k, v in self.design.items()
              if v is False and k not in ("single-arm", "blinded")]
        blinding = ["open-label"] if self.design.get("blinded") is False else []
        return ", ".join(blinding + yes + no) or "design not stated"

    def line(self) -> str:
        """'evidence: open-label, single-arm, not randomised, not controlled; phase 1/2; …'."""
        n = "/".join(map(str, self.treated)) or "not stated"
        parts = [self.design_text(),
                 "phase " + "/".join(self.phases) if self.phases else "phase not stated",
                 f"n = {n} treated"
                 + (f", {'/'.join(map(str, self.analysed))} analysed" if self.analysed else "")
                 + (f" ({'/'.join(map(str, self.planned))} planned)"
                    if self.planned and not self.treated else ""),
                 f"longest follow-up {self.follow_up:g} months" if self.follow_up is not None
                 else "follow-up not stated",
                 ("registered: " + ", ".join(self.registrations)) if self.registrations
                 else "no registration among the sources",
                 {True: "results posted in a registry",
                  False: "no results in the registry records",
                  None: "no registry among the sources"}[self.results_posted],
                 ("approval: " + ", ".join(self.approval)
                  + (f", {self.approval_terms}" if self.approval_terms else ""))
                 if self.approval else "no approval stated"]
        if self.unreported:
            parts.append("registered without results: " + ", ".join(
                f"{i} ({', '.join(t)})" if t else i for i, t in self.unreported.items()))
        return "evidence: " + "; ".join(parts)


def reported_sources(claims: list[Claim]) -> tuple[set[str], dict[str, list[str]]]:
    """(sources of the trials whose results are reported, unreported trial id → design tags).

    A subject may have several trials (a completed one that was published, registrations of
    new ones): the profile describes the evidence that exists, so a trial counts only when a
    publication reports it or its registry posts results. With no trial linked by a registry
    id, every source counts (nothing to tell them apart)."""
    groups, _ = trials(claims)
    reported: set[str] = set()
    unreported: dict[str, list[str]] = {}
    role = {c.source: c.role for c in claims}
    for g in groups:
        results = any(c.source in g.sources and c.role == "registry" and c.value is not None
                      and c.field in ("adverse_events", "serious_adverse_events",
                                      "sample_size_analysed") for c in claims)
        if results or any(role.get(s) == "publication" for s in g.sources):
            reported |= g.sources
            continue
        own = sorted(i for c in claims if c.source in g.sources and c.field == "identifiers"
                     and c.qualifier == "self" and c.value for i in c.value)
        tags = sorted({t for c in claims if c.source in g.sources and c.field == "design"
                       and c.value for t in c.value})
        for ident in own[:1] or sorted(g.ids)[:1]:
            unreported[ident] = tags
    if not reported:
        return {c.source for c in claims}, {}
    placed = {s for g in groups for s in g.sources}
    reported |= {c.source for c in claims if c.source not in placed}
    return reported, unreported


def _prefer_regulator(claims: list[Claim], name: str) -> list[Claim]:
    stated = [c for c in claims if c.field == name and c.value]
    return [c for c in stated if c.role == "regulator"] or stated


def approval_terms(claims: list[Claim]) -> str:
    """The approval's date, time limit (and the end it gives if counted from approval),
    deadline and post-marketing commitment, as the regulator (else any source) states them:
    'approved 2026-03-06, time limit 7 years (to 2033-03-06 if counted from approval),
    use-results survey of 35 patients'."""
    dates = _prefer_regulator(claims, "approval_date")
    conditions: dict = {}
    for c in _prefer_regulator(claims, "approval_conditions"):
        for k, v in c.value.items():
            conditions.setdefault(k, v)
    parts = [f"approved {dates[0].value}"] if dates else []
    years = conditions.get("time_limit_years")
    if years:
        end = ""
        if dates and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(dates[0].value)):
            y, m, d = str(dates[0].value).split("-")
            end = f" (to {int(y) + int(years)}-{m}-{d} if counted from approval)"
        parts.append(f"time limit {years} years{end}")
    if conditions.get("deadline"):
        parts.append(f"deadline {conditions['deadline']}")
    design = " + ".join(conditions.get("post_marketing_design") or [])
    if design or conditions.get("post_marketing_n"):
        parts.append((design or "post-marketing commitment")
                     + (f" of {conditions['post_marketing_n']} patients"
                        if conditions.get("post_marketing_n") else ""))
    return ", ".join(parts)


def evidence_profile(claims: list[Claim]) -> Profile:
    """The profile from the claims of the registries and publications (approval: regulators,
    else the company, said so)."""
    p = Profile()
    reported, p.unreported = reported_sources(claims)
    ev = [c for c in claims if c.role in EVIDENCE_ROLES and c.value is not None
          and c.source in reported]
    tags = {t for c in ev if c.field == "design" for t in c.value}
    for question, (yes, no) in QUESTIONS.items():
        p.design[question] = True if tags & yes else False if tags & no else None
    if "single-arm" in tags:
        p.design["controlled"] = "controlled" in tags and p.design["controlled"]
    p.quotes["design"] = [_quote(c) for c in ev if c.field == "design"][:2]
    enrol = [c for c in ev if c.field == "enrollment"]
    p.treated = sorted({c.value for c in enrol if c.qualifier in ENROLLED_QUALIFIERS})
    p.planned = sorted({c.value for c in enrol if c.qualifier not in ENROLLED_QUALIFIERS})
    p.analysed = sorted({c.value for c in ev if c.field == "sample_size_analysed"})
    follow = [c for c in ev if c.field == "follow_up" and isinstance(c.value, (int, float))]
    if follow:
        longest = max(follow, key=lambda c: c.value)
        p.follow_up = float(longest.value)
        p.quotes["follow_up"] = [_quote(longest)]
    p.phases = sorted({x for c in ev if c.field == "phase" for x in c.value})
    p.registrations = sorted({i for c in ev if c.field == "identifiers" and c.role == "registry"
                              and c.qualifier == "self" for i in c.value})
    registry = [c for c in claims if c.role == "registry" and c.source in reported]
    if registry:
        p.results_posted = any(c.field in ("adverse_events", "serious_adverse_events",
                                           "sample_size_analysed") and c.value is not None
                               for c in registry)
    approvals = [c for c in claims if c.field == "approval" and c.value and c.role == "regulator"]
    approvals = approvals or [c for c in claims if c.field == "approval" and c.value]
    p.approval = sorted({t for c in approvals for t in c.value})
    p.quotes["approval"] = [_quote(c) for c in sorted(
        approvals, key=lambda c: "post-marketing obligations" not in c.value)][:1]
    p.approval_terms = approval_terms(claims)
    return p


def _immuno_text(claims: list[Claim]) -> str:
    """'tacrolimus for 12 months (sumitomo-press)'."""
    parts: list[str] = []
    for c in claims:
        drugs = ", ".join(c.value.get("drugs") or []) or "an immunosuppressant"
        months = c.value.get("months")
        text = f"{drugs} for {months:g} months" if months is not None else drugs
        if not any(text == p.split(" (")[0] for p in parts):
            parts.append(f"{text} ({c.source})")
    return "; ".join(parts[:3])


def _item(statement: str, verdict: str, why: str, quotes: list[str]) -> str:
    assert verdict in VERDICTS
    return f"{statement}: {verdict.upper()}. {why}" + (
        " Quotes: " + " | ".join(quotes) if quotes else "")


def watch_list(claims: list[Claim], findings: list[Finding], profile: Profile,
               verdicts: dict[str, str] | None = None) -> list[str]:
    """The briefing's six watch-list items, each judged from the profile, the claims, the
    findings and the fields' verdicts, one line each with its quotes."""
    verdicts = verdicts or {}
    roles = {c.source: c.role for c in claims}
    out = []

    # 1. controlled efficacy data
    design_findings = [f for f in findings if f.field == "design"]
    if design_findings:
        out.append(_item("Controlled efficacy data exist", "contradicted",
                         "Sources disagree on the design: " + design_findings[0].message + ".",
                         [f"{s.source}: “{s.quote}”" for s in design_findings[0].sources][:2]))
    elif profile.design.get("controlled") and profile.design.get("randomised"):
        out.append(_item("Controlled efficacy data exist", "supported",
                         "A registry or publication reports a randomised, controlled design.",
                         profile.quotes.get("design", [])))
    elif profile.design.get("controlled") is False or profile.design.get("single-arm"):
        planned = [i for i, t in profile.unreported.items() if "controlled" in t]
        out.append(_item("Controlled efficacy data exist", "not supported",
                         "The registries and publications describe an uncontrolled design ("
                         + profile.design_text() + "); none reports a control group."
                         + (f" A controlled trial is registered ({', '.join(planned)}), but no "
                            "results of it are among the sources." if planned else ""),
                         profile.quotes.get("design", [])))
    else:
        out.append(_item("Controlled efficacy data exist", "not stated",
                         "No registry or publication states the design.", []))

    # 2. durability of motor effects
    durable = [c for c in claims if c.field == "claim_language" and c.value
               and any("durab" in w.lower() or "long" in w.lower() or "years" in w.lower()
                       for w in c.value)]
    months = (f"the longest follow-up any registry or publication reports is "
              f"{profile.follow_up:g} months") if profile.follow_up is not None else \
        "no registry or publication states a follow-up"
    lasting = [c for c in claims if c.field == "durability" and c.value]
    beyond = [c for c in lasting if profile.follow_up is None
              or (c.value.get("months") or float("inf")) > profile.follow_up + 0.5]
    within = [c for c in lasting if c not in beyond and c.role in EVIDENCE_ROLES]
    if durable or beyond:
        claim = (durable or beyond)[0]
        out.append(_item("Motor effects are durable", "not supported",
                         f"{claim.source} claims durability, but {months}.",
                         [_quote(claim)] + profile.quotes.get("follow_up", [])))
    elif within:
        out.append(_item("Motor effects are durable", "supported",
                         f"{within[0].source} reports an effect lasting "
                         f"{within[0].value.get('stated')}, within the follow-up; nothing is "
                         "reported beyond it.", [_quote(within[0])]))
    else:
        out.append(_item("Motor effects are durable", "not stated",
                         f"No source states an effect beyond the reported follow-up; {months}.",
                         profile.quotes.get("follow_up", [])))

    # 3. graft behaviour over longer follow-up
    imaging = [c for c in claims if c.field == "imaging_safety" and c.value
               and c.role in EVIDENCE_ROLES]
    seen = [c for c in imaging if any(c.value.get(k) is True
                                      for k in ("graft_overgrowth", "tumour"))]
    if seen:
        out.append(_item("Graft behaviour is known over longer follow-up", "contradicted",
                         f"{seen[0].source} reports graft overgrowth or tumour formation "
                         f"within the trial; {months}.", [_quote(seen[0])]))
    elif imaging:
        said = sorted({k.replace("graft_overgrowth", "graft overgrowth")
                       .replace("tumour", "tumour formation")
                       for c in imaging for k in ("graft_overgrowth", "tumour")
                       if c.value.get(k) is False})
        out.append(_item("Graft behaviour is known over longer follow-up", "not stated",
                         f"Within the trial no {' or '.join(said)} was seen "
                         f"({imaging[0].source}); nothing is reported beyond it: {months}.",
                         [_quote(imaging[0])] + profile.quotes.get("follow_up", [])))
    else:
        out.append(_item("Graft behaviour is known over longer follow-up", "not stated",
                         f"No source reports graft imaging (overgrowth, tumour formation); "
                         f"{months}.", profile.quotes.get("follow_up", [])))

    # 4. immune and safety management under broader use
    safety = [c for c in claims if c.field in ("adverse_events", "serious_adverse_events")
              and c.value is not None and c.role in EVIDENCE_ROLES]
    n = "/".join(map(str, profile.treated)) or "an unstated number of"
    obligation = "post-marketing obligations" in profile.approval
    immuno = sorted((c for c in claims if c.field == "immunosuppression" and c.value),
                    key=lambda c: c.value.get("months") is None)
    out.append(_item(
        "Immune and safety management is shown under broader use", "not stated",
        (f"Safety is reported for the trial's {n} treated patients only"
         if safety else "No registry or publication reports adverse events")
        + ("; the approval requires further data after marketing"
           + (f" — {profile.approval_terms} —" if profile.approval_terms else ",")
           + " and no source reports them" if obligation
           else "; no source reports use beyond the trial")
        + (f"; immunosuppression: {_immuno_text(immuno)}" if immuno else
           "; no source states the immunosuppression") + ".",
        ([_quote(safety[0])] if safety else []) + [_quote(c) for c in immuno[:2]]
        + (profile.quotes.get("approval", []) if obligation else [])))

    # 5. consistency between registries and publications
    both = {"registry", "publication"}
    crossing = [f for f in findings if f.kind == "mismatch"
                and {roles.get(s.source) for s in f.sources} >= both]
    reported, _ = reported_sources(claims)
    mine = [c for c in claims if c.source in reported and c.value is not None]
    stated = sorted({c.field for c in mine if c.role == "registry"}
                    & {c.field for c in mine if c.role == "publication"}
                    - {"identifiers", "title", "claim_language"})

    def same(name: str) -> bool:
        """A registry and a publication of the reported trial give the same value."""
        def values(role: str) -> set[str]:
            return {json.dumps(sorted(c.value) if isinstance(c.value, list) else c.value,
                               sort_keys=True, default=str)
                    for c in mine if c.field == name and c.role == role}
        return bool(values("registry") & values("publication"))

    verdicts = {f: ("consistent" if same(f) else verdicts.get(f, "not compared")
                    if verdicts.get(f, "consistent") != "consistent" else "not compared")
                for f in stated}
    if crossing:
        f = crossing[0]
        out.append(_item("Registries and publications agree", "contradicted",
                         f"{len(crossing)} finding(s) between a registry and a publication: "
                         f"{f.message}.",
                         [f"{s.source}: “{s.quote}”" for s in f.sources if s.quote][:2]))
    elif [f for f in stated if verdicts.get(f, "consistent") == "consistent"]:
        agree = [f for f in stated if verdicts.get(f, "consistent") == "consistent"]
        partly = [f"{f.replace('_', ' ')} ({verdicts[f]})" for f in stated if f not in agree]
        quotes = []
        for name in agree[:2]:
            for role in ("registry", "publication"):
                c = next(c for c in mine if c.field == name and c.role == role)
                quotes.append(_quote(c, 100))
        out.append(_item("Registries and publications agree", "supported",
                         "Registries and publications agree on "
                         + ", ".join(s.replace("_", " ") for s in agree) + "."
                         + (" Not fully compared: " + ", ".join(partly) + "." if partly else ""),
                         quotes))
    else:
        out.append(_item("Registries and publications agree", "not stated",
                         "No field is stated by both a registry and a publication.", []))

    # 6. language drifting toward proof
    over = [f for f in findings if f.rule == "overclaim"]
    checked = sorted({c.source for c in claims if c.role != "registry"})
    if over:
        out.append(_item("Language stays within the evidence", "contradicted",
                         f"{len(over)} sentence(s) claim more than the evidence shows: "
                         f"{over[0].message}.",
                         [f"{s.source}: “{s.quote}”" for f in over for s in f.sources][:3]))
    elif checked:
        out.append(_item("Language stays within the evidence", "supported",
                         "No proof, breadth, durability or access-as-validation claim in "
                         + ", ".join(checked) + ".", []))
    else:
        out.append(_item("Language stays within the evidence", "not stated",
                         "No publication, regulator or company text among the sources.", []))
    return out
