"""Legacy ClinicalTrials.gov XML records (``<clinical_study>``), for archived snapshots: the XML
API was retired in 2024, so there is no URL to fetch, only saved files to read.

The readings mirror the API v2 parser (``ctgov.py``): the same fields, value shapes and
qualifiers, so a record read from an old XML snapshot and from v2 can be compared. Two
layouts are read: before 2017 the design is one text (``<study_design>Allocation: Randomized,
Masking: Open Label, …</study_design>``), later it is ``<study_design_info>`` with one element
per aspect. Dates are "September 2014" or "May 11, 2018"; statuses are title case.

Not read, on purpose: the follow-up duration (a primary outcome's time frame is when an
outcome is measured, not how long participants are followed) and funders (collaborators are
not necessarily funders; the record names no funder as such).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import described_design, design_words, registry_follow_up
from auditor.read.values import (
    find_ids,
    normalize_id,
    normalize_status,
    parse_date,
    parse_phase,
    squash,
)

KIND = "ctgov_xml"
ROLE = "registry"

#: enrollment/@type → our qualifier (ctgov.ENROLLMENT_TYPES: ESTIMATED and ANTICIPATED are
#: both "planned")
ENROLLMENT_TYPES = {"actual": "actual", "anticipated": "planned", "estimated": "planned",
                    "estimate": "planned"}
#: date/@type → the v2 words (v2 says ESTIMATED where the legacy XML said Anticipated)
DATE_TYPES = {"actual": "actual", "anticipated": "estimated", "estimated": "estimated",
              "estimate": "estimated"}
#: arm_group_type values that mean the trial has a comparison group (ctgov.CONTROL_ARMS)
CONTROL_ARMS = {"placebo comparator", "active comparator", "sham comparator", "no intervention"}
#: legacy status words normalize_status does not know
STATUSES = {"unknown status": "UNKNOWN"}


def _text(el: Element | None) -> str:
    return squash("".join(el.itertext())) if el is not None else ""


def detect(doc: Document) -> bool:
    if not re.search(rb"<clinical_study[\s>]", doc.body[:4096]):
        return False
    root = doc.xml
    return root.tag == "clinical_study" and root.find("id_info/nct_id") is not None


def parse(doc: Document) -> list[Reading]:
    root = doc.xml
    if root.tag != "clinical_study":
        raise ParseError(f"{doc.source}: not a legacy ClinicalTrials.gov record (root element "
                         f"<{root.tag}>, expected <clinical_study>); for the current API use "
                         "kind = \"ctgov\"")
    return read_study(root)


def read_study(study: Element) -> list[Reading]:
    readings: list[Reading] = []
    r = "/clinical_study"

    def add(field: str, value: Any, quote: str, path: str, **extra: Any) -> None:
        readings.append(Reading(field=field, value=value, quote=quote, locator=f"{r}/{path}",
                                **extra))

    nct = _text(study.find("id_info/nct_id"))
    if nct:
        add("identifiers", find_ids(nct) or None, nct, "id_info/nct_id", qualifier="self")
    secondary = [_text(e) for e in study.findall("id_info/secondary_id") if _text(e)]
    registry_ids = list(dict.fromkeys(i for s in secondary for i in find_ids(s)
                                      if not i.startswith("DOI:")))
    if registry_ids:
        add("identifiers", registry_ids, "; ".join(secondary), "id_info/secondary_id",
            qualifier="cited")
    for tag, qualifier in (("official_title", "official"), ("brief_title", "brief")):
        if _text(study.find(tag)):
            add("title", _text(study.find(tag)), _text(study.find(tag)), tag,
                qualifier=qualifier)

    status = study.find("overall_status")
    if status is not None:
        words = _text(status)
        add("status", STATUSES.get(words.lower()) or normalize_status(words), words,
            "overall_status")
    for tag, field, prefix in (("start_date", "start_date", None),
                               ("primary_completion_date", "completion_date", "primary"),
                               ("completion_date", "completion_date", "overall")):
        el = study.find(tag)
        if el is not None:
            kind = DATE_TYPES.get(str(el.get("type") or "").lower())
            add(field, parse_date(_text(el)), _text(el), tag,
                qualifier=" ".join(filter(None, (prefix, kind))) or None)
    for tag, qualifier in (("study_first_posted", "first posted"),
                           ("study_first_submitted", "first submitted"),
                           ("firstreceived_date", "first submitted")):
        el = study.find(tag)
        if el is not None:
            add("registration_date", parse_date(_text(el)), _text(el), tag, qualifier=qualifier)
            break

    lead = _text(study.find("sponsors/lead_sponsor/agency"))
    if lead:
        add("sponsor", lead, lead, "sponsors/lead_sponsor/agency")
    conditions = [_text(c) for c in study.findall("condition") if _text(c)]
    if conditions:
        add("indication", "; ".join(conditions), "; ".join(conditions), "condition")
    names = list(dict.fromkeys(_text(i) for i in study.findall("intervention/intervention_name")
                               if _text(i)))
    if names:
        add("product_name", names, "; ".join(names), "intervention/intervention_name")

    readings += _design(study, r)
    readings += _outcomes(study, r)
    described = [(_text(study.find(tag)), f"{r}/{tag}") for tag in ("official_title",
                                                                    "brief_title")
                 if _text(study.find(tag))][:1]
    described += [(_text(study.find(f"{tag}/textblock")), f"{r}/{tag}/textblock")
                  for tag in ("brief_summary", "detailed_description")
                  if _text(study.find(f"{tag}/textblock"))]
    follow_up = registry_follow_up(described)
    if follow_up is not None:
        readings.append(follow_up)

    refs = [(tag, ref) for tag in ("reference", "results_reference")
            for ref in study.findall(tag) if _text(ref.find("PMID"))]
    if refs:
        pmids = list(dict.fromkeys(normalize_id(f"PMID:{_text(ref.find('PMID'))}")
                                   for _, ref in refs))
        add("identifiers", pmids, "; ".join(
            f"{tag}: {_text(ref.find('citation'))} PMID {_text(ref.find('PMID'))}"
            for tag, ref in refs), "{reference,results_reference}/PMID", qualifier="cited")

    results = study.find("clinical_results")
    if results is not None:
        readings += _adverse_events(results, f"{r}/clinical_results")
        readings += _analysed(results, study, f"{r}/clinical_results")
    return readings


def _design_aspects(study: Element) -> dict[str, str]:
    """allocation, intervention_model and masking, from study_design_info (2017 on) or the
    older one-line study_design text."""
    info = study.find("study_design_info")
    if info is not None:
        return {k: _text(info.find(k)) for k in ("allocation", "intervention_model", "masking")
                if _text(info.find(k))}
    aspects: dict[str, str] = {}
    for part in re.split(r",\s*(?=[A-Z][A-Za-z ]+:)", _text(study.find("study_design"))):
        name, _, value = part.partition(":")
        key = {"allocation": "allocation", "intervention model": "intervention_model",
               "masking": "masking"}.get(name.strip().lower())
        if key and value.strip():
            aspects[key] = value.strip()
    return aspects


def _design(study: Element, r: str) -> list[Reading]:
    readings: list[Reading] = []
    phase = study.find("phase")
    if phase is not None:
        raw = _text(phase)
        readings.append(Reading(field="phase", value=parse_phase(raw), quote=raw,
                                locator=f"{r}/phase"))
    aspects = _design_aspects(study)
    arm_types = {_text(t) for t in study.findall("arm_group/arm_group_type") if _text(t)}
    controls = sorted(t for t in arm_types if t.lower() in CONTROL_ARMS)
    allocation = aspects.get("allocation", "").lower()
    masking = aspects.get("masking", "").lower()
    model = aspects.get("intervention_model", "").lower()
    tags: set[str] = set()
    if re.match(r"none\b|open label", masking):
        tags.add("open-label")
    elif re.match(r"(single|double|triple|quadruple)", masking):
        tags.add("blinded")
    if allocation == "randomized":
        tags.add("randomised")
    elif allocation == "non-randomized":
        tags.add("non-randomised")
    if controls:
        tags.add("controlled")
    elif model.startswith("single group"):  # one group, and no comparator arm contradicts it
        tags.add("single-arm")
    if model.startswith("crossover") and allocation == "randomized":
        tags.add("controlled")  # each participant has the compared conditions in turn
    title = _text(study.find("official_title")) or _text(study.find("brief_title"))
    worded = design_words(title) if title else set()
    described = " ".join(_text(study.find(f"{tag}/textblock"))
                         for tag in ("brief_summary", "detailed_description"))
    if allocation in ("randomized", "non-randomized") and "controlled" not in worded and \
            "controlled" in described_design(described):
        worded = worded | {"controlled"}  # 'a randomized, blinded, controlled trial …'
        title = "(description)"
    added = ({"controlled"} & worded if "single-arm" not in tags else set()) | \
        ({"non-randomised"} & worded if allocation != "randomized" and "single-arm" not in tags
         else set())
    titled = bool(added - tags)
    tags |= added
    if aspects:
        design_text = _text(study.find("study_design"))
        quote = design_text if study.find("study_design_info") is None else "; ".join(
            f"{k}: {v}" for k, v in aspects.items())
        if controls:
            quote += f"; arm_group_type: {', '.join(controls)}"
        if titled:
            quote += f"; title: {title}"
        readings.append(Reading(field="design", value=sorted(tags), quote=quote,
                                locator=f"{r}/study_design_info" if study.find(
                                    "study_design_info") is not None else f"{r}/study_design"))
    enrollment = study.find("enrollment")
    if enrollment is not None:
        text = _text(enrollment)
        kind = str(enrollment.get("type") or "")
        count = int(text) if text.isdigit() else None
        quote = (f'<enrollment type="{kind}">{text}</enrollment>' if kind
                 else f"<enrollment>{text}</enrollment>")
        readings.append(Reading(field="enrollment", value=count, unit="participants",
                                qualifier=ENROLLMENT_TYPES.get(kind.lower()), quote=quote,
                                locator=f"{r}/enrollment"))
    return readings


def outcome_text(outcome: Element) -> str:
    """'measure (time frame)', as ctgov.outcome_text writes it."""
    measure = _text(outcome.find("measure"))
    frame = _text(outcome.find("time_frame"))
    return f"{measure} ({frame})" if frame else measure


def _outcomes(study: Element, r: str) -> list[Reading]:
    readings: list[Reading] = []
    for tag, field in (("primary_outcome", "primary_outcomes"),
                       ("secondary_outcome", "secondary_outcomes")):
        outcomes = study.findall(tag)
        if outcomes:
            texts = [outcome_text(o) for o in outcomes]
            readings.append(Reading(field=field, value=[t for t in texts if t] or None,
                                    quote=" | ".join(texts), locator=f"{r}/{tag}"))
    return readings


def _adverse_events(results: Element, r: str) -> list[Reading]:
    """Event counts (counts/@events) summed over terms and groups, the 'Total' rows left out
    (they give participants, not events). None where a term gives participants only."""
    events = results.find("reported_events")
    if events is None:
        return []
    m = f"{r}/reported_events"
    readings: list[Reading] = []
    found: dict[str, tuple[int | None, str]] = {}
    for tag in ("serious_events", "other_events"):
        block = events.find(tag)
        if block is not None:
            found[tag] = _event_total(block)
    if "serious_events" in found:
        value, quote = found["serious_events"]
        readings.append(Reading(field="serious_adverse_events", value=value, unit="events",
                                quote=quote, locator=f"{m}/serious_events//counts/@events"))
    if found:
        values = [v for v, _ in found.values()]
        total = sum(v for v in values if v is not None) if None not in values else None
        other = events.find("other_events")
        threshold = _text(other.find("frequency_threshold")) if other is not None else ""
        readings.append(Reading(
            field="adverse_events", value=total, unit="events",
            qualifier=f"other events above {threshold}% threshold" if threshold else None,
            quote="; ".join(q for _, q in found.values()),
            locator=f"{m}/{{{','.join(found)}}}//counts/@events"))
    return readings


def _event_total(block: Element) -> tuple[int | None, str]:
    tag = block.tag
    counts = [c for cat in block.findall("category_list/category")
              if _text(cat.find("title")).lower() != "total"
              for c in cat.findall("event_list/event/counts")]
    totals = [c for cat in block.findall("category_list/category")
              if _text(cat.find("title")).lower() == "total"
              for c in cat.findall("event_list/event/counts")]
    if counts:
        raw = [c.get("events") for c in counts]
        if all(v is not None and v.isdigit() for v in raw):
            return sum(int(v) for v in raw if v), (f"{tag} events: "
                                                   f"{', '.join(str(v) for v in raw)}")
        return None, (f"{tag}: {sum(v is None for v in raw)} of {len(raw)} counts give "
                      "subjects_affected only, no events: the number of events is not stated")
    affected = [str(c.get("subjects_affected")) for c in totals]
    at_risk = [str(c.get("subjects_at_risk")) for c in totals]
    if affected and all(a == "0" for a in affected) and \
            any(n.isdigit() and int(n) > 0 for n in at_risk):
        return 0, f"{tag}: no terms listed; Total subjects_affected {', '.join(affected)}"
    return None, f"{tag}: no event counts given"


def _analysed(results: Element, study: Element, r: str) -> list[Reading]:
    """Participants analysed for the primary outcome(s): the sum over groups of each primary
    outcome's participant count, when every primary outcome gives the same total and it is no
    more than the actual enrollment (a larger sum counts someone twice: crossover, per-period
    or overlapping groups). Otherwise nothing: which population is "the" analysis is unclear."""
    totals: list[tuple[int, str]] = []
    for outcome in results.findall("outcome_list/outcome"):
        if _text(outcome.find("type")).lower() != "primary":
            continue
        groups = {g.get("group_id"): _text(g.find("title"))
                  for g in outcome.findall("group_list/group")}
        values = _participants(outcome)
        if values is None or any(groups.get(g, "").lower() == "total" for g, _ in values):
            return []
        totals.append((sum(v for _, v in values), ", ".join(str(v) for _, v in values)))
    if not totals or len({t for t, _ in totals}) != 1:
        return []
    enrollment = study.find("enrollment")
    enrolled = _text(enrollment)
    if enrollment is None or str(enrollment.get("type") or "").lower() != "actual" or \
            not enrolled.isdigit() or totals[0][0] > int(enrolled) or totals[0][0] == 0:
        return []
    return [Reading(field="sample_size_analysed", value=totals[0][0], unit="participants",
                    qualifier="primary outcome",
                    quote=f"primary outcome participants analysed: {totals[0][1]}",
                    locator=f"{r}/outcome_list/outcome[type=Primary]")]


def _participants(outcome: Element) -> list[tuple[str, int]] | None:
    """(group id, participants analysed) of one outcome: analyzed_list (2017 on) or the
    'Number of Participants' measure (before); None if neither is there or readable."""
    counts = outcome.findall("analyzed_list/analyzed/count_list/count")
    analysed = outcome.find("analyzed_list/analyzed")
    if counts and analysed is not None and \
            _text(analysed.find("units")).lower() == "participants":
        pairs = [(str(c.get("group_id")), c.get("value") or "") for c in counts]
    else:
        measure = next((ms for ms in outcome.findall("measure_list/measure")
                        if _text(ms.find("title")).lower() == "number of participants"), None)
        if measure is None or len(measure.findall("category_list/category")) != 1:
            return None
        pairs = [(str(x.get("group_id")), x.get("value") or "")
                 for x in measure.findall("category_list/category/measurement_list/measurement")]
    if not pairs or not all(v.isdigit() for _, v in pairs):
        return None
    return [(g, int(v)) for g, v in pairs]
