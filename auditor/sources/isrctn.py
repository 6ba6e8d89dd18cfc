"""ISRCTN registry records from its public XML API (``/api/query/format/default?q=ISRCTN…``):
root ``<allTrials totalCount>`` in the ``http://www.67bricks.com/isrctn`` namespace, one
``<fullTrial>`` per match holding the ``<trial>`` and the ``<sponsor>``/``<funder>`` parties its
``<parties>`` point at by id.

A query for an id can match other trials that cite it, so the trial read is the one whose
``<isrctn>`` is the id asked for (in the URL's ``q=``, or ``selectors.trial_id``).

Read as the registry states it, nothing worked out: ISRCTN's own website derives the
recruitment status from the recruitment dates and today's date, so only an explicit
``recruitmentStatusOverride`` (Stopped, Suspended…) is read as a status; ``totalFinalEnrolment``
is 0 until the final number is entered, so 0 is not read as an actual enrollment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote, urlparse
from xml.etree.ElementTree import Element

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.tables import outcome_items
from auditor.read.values import (
    design_tags,
    find_ids,
    normalize_id,
    normalize_status,
    parse_date,
    parse_int,
    parse_phase,
    squash,
)

KIND = "isrctn"
ROLE = "registry"
NS = "http://www.67bricks.com/isrctn"
_ID = re.compile(r"(?i)^(?:ISRCTN)?\s*(\d{8})$")
#: interventionalTrialDesign/control values that name a comparison group
#: recruitmentStatusOverride words (ISRCTN's "Stopped" is a trial stopped for any reason)
STATUSES = {"stopped": "TERMINATED", "suspended": "SUSPENDED", "withdrawn": "WITHDRAWN"}
CONTROLS = {"active", "placebo", "dose comparison", "historical", "no treatment"}
#: a numbered line of a free-text outcome field ('1. Is APT and SSMC more effective…')
_NUMBERED = re.compile(r"^\(?\d{1,2}[.)](?!\d)")
#: an item that is only an ellipsis: the text was cut short there, it names no outcome
_CUT = re.compile(r"^[.…\s]*$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el: Element | None, path: str) -> Element | None:
    """The first element at a '/'-separated path of local names, whatever the namespace."""
    if el is None:
        return None
    for part in path.split("/"):
        el = next((c for c in el if _local(c.tag) == part), None) if el is not None else None
    return el


def _findall(el: Element | None, path: str) -> list[Element]:
    head, _, last = path.rpartition("/")
    parent = _find(el, head) if head else el
    return [c for c in parent if _local(c.tag) == last] if parent is not None else []


def _text(el: Element | None) -> str:
    return squash("".join(el.itertext())) if el is not None else ""


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """The API query for one ISRCTN (XML); the parser picks the trial with that number."""
    m = _ID.match(identifier.strip())
    if not m or not m.group(1).strip("0"):
        raise ConfigError(f"{identifier!r} is not an ISRCTN; give one like ISRCTN15375673")
    return f"{bases['isrctn']}/api/query/format/default?q={quote('ISRCTN' + m.group(1))}"


def detect(doc: Document) -> bool:
    if b"67bricks.com/isrctn" not in doc.body[:2048]:
        return False
    try:
        return _local(doc.xml.tag) in ("allTrials", "fullTrial")
    except ParseError:
        return False


def _full_trials(doc: Document) -> list[Element]:
    root = doc.xml
    tag = _local(root.tag)
    if tag == "fullTrial":
        return [root]
    if tag != "allTrials":
        raise ParseError(f"{doc.source}: not an ISRCTN API response (root <{tag}>, expected "
                         "<allTrials>); fetch /api/query/format/default?q=ISRCTN… again")
    return _findall(root, "fullTrial")


def _wanted(doc: Document) -> str | None:
    wanted = doc.selectors.get("trial_id")
    if not wanted:
        q = next(iter(parse_qs(urlparse(doc.url or "").query).get("q", [])), "")
        wanted = next((i for i in find_ids(q) if i.startswith("ISRCTN")), None)
    return normalize_id(wanted) if wanted else None


def _chosen(doc: Document) -> Element:
    full = _full_trials(doc)
    numbers = [f"ISRCTN{_text(_find(f, 'trial/isrctn'))}" for f in full]
    wanted = _wanted(doc)
    chosen = [f for f, n in zip(full, numbers, strict=True) if n == wanted] if wanted else full
    if len(chosen) != 1:
        listed = ", ".join(numbers) or "none"
        raise ParseError(f"{doc.source}: the ISRCTN response holds {len(full)} trials "
                         f"({listed}) and none is the one asked for ({wanted or 'no id given'});"
                         " query the trial's own ISRCTN, or set selectors.trial_id")
    return chosen[0]


def parse(doc: Document) -> list[Reading]:
    full = _chosen(doc)
    trial = _find(full, "trial")
    if trial is None:
        raise ParseError(f"{doc.source}: an ISRCTN <fullTrial> without its <trial>")
    readings: list[Reading] = []
    base = "/allTrials/fullTrial/trial"

    def add(field: str, value: Any, quote: str, path: str, **extra: Any) -> None:
        readings.append(Reading(field=field, value=value, quote=quote, locator=f"{base}/{path}",
                                **extra))

    number = _text(_find(trial, "isrctn"))
    if number:
        add("identifiers", [f"ISRCTN{number}"], number, "isrctn", qualifier="self")
        assigned = _find(trial, "isrctn")
        if assigned is not None and assigned.get("dateAssigned"):
            add("registration_date", parse_date(str(assigned.get("dateAssigned"))),
                str(assigned.get("dateAssigned")), "isrctn/@dateAssigned")
    cited: list[str] = []
    quotes: list[str] = []
    for path in ("externalRefs/eudraCTNumber", "externalRefs/clinicalTrialsGovNumber",
                 "externalRefs/secondaryNumbers/secondaryNumber"):
        for el in _findall(trial, path) if "secondaryNumber" in path else [_find(trial, path)]:
            text = _text(el)
            if text:
                quotes.append(text)
                cited += [i for i in find_ids(text) if not i.startswith(("DOI:", "ISRCTN"))]
    if quotes:
        add("identifiers", list(dict.fromkeys(cited)) or None, "; ".join(quotes),
            "externalRefs", qualifier="cited")

    for tag, kind in (("scientificTitle", "scientific"), ("title", "public")):
        text = _text(_find(trial, f"trialDescription/{tag}"))
        if text:
            add("title", text, text, f"trialDescription/{tag}", qualifier=kind)

    for kind, field in (("primary", "primary_outcomes"), ("secondary", "secondary_outcomes")):
        readings += _outcomes(trial, kind, field, base)

    phases = [_text(p) for p in _findall(trial, "interventions/intervention/phase") if _text(p)]
    if phases:
        read = [parse_phase(p) for p in phases]
        value = sorted({x for r in read if r for x in r}) if any(r is not None for r in read) \
            else None
        add("phase", value, "; ".join(phases), "interventions/intervention/phase")

    # the final number first: once entered it is the one the registry gives as enrolled
    final = _text(_find(trial, "participants/totalFinalEnrolment"))
    if final and parse_int(final):
        add("enrollment", parse_int(final), final, "participants/totalFinalEnrolment",
            unit="participants", qualifier="actual")
    target = _text(_find(trial, "participants/targetEnrolment"))
    if target:
        add("enrollment", parse_int(target), target, "participants/targetEnrolment",
            unit="participants", qualifier="planned")
    override = _text(_find(trial, "participants/recruitmentStatusOverride"))
    if override:
        add("status", STATUSES.get(override.lower()) or normalize_status(override), override,
            "participants/recruitmentStatusOverride")

    dates: tuple[tuple[str, str, str | None], ...] = (
        ("participants/recruitmentStart", "start_date", None),
        ("trialDesign/overallEndDate", "completion_date", "overall"))
    for path, field, qualifier in dates:
        text = _text(_find(trial, path))
        if text:
            add(field, parse_date(text), text, path, qualifier=qualifier)

    design = _find(trial, "trialDesign/interventionalTrialDesign")
    design_text = [t for t in (_text(_find(design, k)) for k in ("allocation", "masking",
                                                                "control")) if t]
    study_design = _text(_find(trial, "trialDesign/studyDesign"))
    if design_text or study_design:
        words = " / ".join(design_text or [study_design])
        tags = set(design_tags(words))
        if _text(_find(design, "control")).lower() in CONTROLS:
            tags.add("controlled")
        add("design", sorted(tags) or None, words,
            "trialDesign/interventionalTrialDesign" if design_text else "trialDesign/studyDesign")

    countries = list(dict.fromkeys(_text(c) for c in
                                   _findall(trial, "participants/recruitmentCountries/country")
                                   if _text(c)))
    if countries:
        add("countries", countries, "; ".join(countries),
            "participants/recruitmentCountries/country")

    conditions = [_text(c) for c in _findall(trial, "conditions/condition/description")
                  if _text(c)]
    if conditions:
        add("indication", "; ".join(conditions), "; ".join(conditions),
            "conditions/condition/description")

    readings += _parties(full, trial)
    return readings


def _outcomes(trial: Element, kind: str, field: str, base: str) -> list[Reading]:
    """Outcome measures (``primaryOutcomes/outcomeMeasure/variable``, the 2025 layout) or the
    older one-text field (``primaryOutcome``), one item per numbered line; a lead-in line
    before the numbers and a bare '...' (a text cut short) are no outcomes."""
    measures = [_text(_find(m, "variable"))
                for m in _findall(trial, f"trialDescription/{kind}Outcomes/outcomeMeasure")]
    measures = [m for m in measures if m]
    if measures:
        return [Reading(field=field, value=measures, quote=" | ".join(measures),
                        locator=f"{base}/trialDescription/{kind}Outcomes/outcomeMeasure/variable")]
    el = _find(trial, f"trialDescription/{kind}Outcome")
    lines = ["".join(el.itertext()).strip()] if el is not None else []
    lines = [squash(line) for text in lines for line in text.splitlines() if squash(line)]
    if not lines:
        return []
    # a sentence before the numbered list introduces it ('The secondary analyses are
    # exploratory…'): quoted, not an outcome
    first = next((i for i, line in enumerate(lines) if _NUMBERED.match(line)), 0)
    items = [item for item in outcome_items(lines[first:]) if not _CUT.match(item)]
    return [Reading(field=field, value=items or None, quote=" ".join(lines),
                    locator=f"{base}/trialDescription/{kind}Outcome")]


def _parties(full: Element, trial: Element) -> list[Reading]:
    """The sponsor and funders the trial's <parties> name, from the <fullTrial>'s parties."""
    out: list[Reading] = []
    sponsor_ids = [_text(e) for e in _findall(trial, "parties/sponsorId")]
    funder_ids = [_text(e) for e in _findall(trial, "parties/funderId")]
    sponsors = {str(s.get("id")): _text(_find(s, "organisation"))
                for s in _findall(full, "sponsor")}
    funders = {str(f.get("id")): _text(_find(f, "name")) for f in _findall(full, "funder")}
    named = [sponsors[i] for i in sponsor_ids if sponsors.get(i)]
    if named:
        out.append(Reading(field="sponsor", value=named[0], quote="; ".join(named),
                           locator="/allTrials/fullTrial/sponsor/organisation"))
    names = list(dict.fromkeys(funders[i] for i in funder_ids if funders.get(i)))
    if names:
        out.append(Reading(field="funding", value=names, quote="; ".join(names),
                           locator="/allTrials/fullTrial/funder/name"))
    return out
