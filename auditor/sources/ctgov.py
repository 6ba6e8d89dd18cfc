"""ClinicalTrials.gov API v2 study records (``GET /api/v2/studies/{NCT}``).

The registry is where a trial says what it will do (planned enrollment, outcomes, phase)
and later what it did (actual enrollment, dates, results). Every reading is located by a JSON
path so a reviewer can find it in the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document, dig
from auditor.read.prose import described_design, design_words, registry_follow_up
from auditor.read.values import (
    find_ids,
    normalize_id,
    normalize_status,
    parse_date,
    parse_phase,
    squash,
)

KIND = "ctgov"
ROLE = "registry"

#: enrollmentInfo.type → our qualifier
ENROLLMENT_TYPES = {"ACTUAL": "actual", "ESTIMATED": "planned", "ANTICIPATED": "planned"}
#: arm group types that mean the trial has a comparison group
CONTROL_ARMS = {"PLACEBO_COMPARATOR", "ACTIVE_COMPARATOR", "SHAM_COMPARATOR", "NO_INTERVENTION"}


def detect(doc: Document) -> bool:
    data = doc.json
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("protocolSection"), dict):
        return True
    found = data.get("studies")
    return isinstance(found, list) and any(isinstance(s, dict) and "protocolSection" in s
                                           for s in found)


def parse(doc: Document) -> list[Reading]:
    data = doc.json
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        ids = [nct for nct, _ in studies(doc)]
        raise ParseError(f"{doc.source}: this is a search-results page with {len(ids)} studies "
                         f"({', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}); point the "
                         "source at one study (/api/v2/studies/NCT…) or use ctgov.studies()")
    if not isinstance(data, dict) or not isinstance(data.get("protocolSection"), dict):
        raise ParseError(f"{doc.source}: not a ClinicalTrials.gov v2 study (no protocolSection);"
                         " fetch https://clinicaltrials.gov/api/v2/studies/{NCT}")
    return read_study(data, "$")


def studies(doc: Document) -> Iterator[tuple[str, list[Reading]]]:
    """(NCT id, readings) for each study of a search-results page, in page order."""
    data = doc.json
    found = data.get("studies") if isinstance(data, dict) else None
    if not isinstance(found, list):
        raise ParseError(f"{doc.source}: not a ClinicalTrials.gov search page (no 'studies' "
                         "list); use ctgov.parse() for a single study")
    for i, study in enumerate(found):
        if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
            raise ParseError(f"{doc.source}: studies[{i}] has no protocolSection; re-fetch")
        nct = dig(study, "protocolSection.identificationModule.nctId") or f"studies[{i}]"
        yield nct, read_study(study, f"$.studies[{i}]")




def read_study(study: dict, root: str) -> list[Reading]:
    """Every reading of one study object; `root` is its JSON path (for locators)."""
    p = f"{root}.protocolSection"
    proto = study["protocolSection"]
    readings: list[Reading] = []

    def add(field: str, value: Any, quote: Any, path: str, **extra: Any) -> None:
        readings.append(Reading(field=field, value=value, quote=str(quote), locator=path,
                                **extra))

    ident = proto.get("identificationModule") or {}
    m = f"{p}.identificationModule"
    if ident.get("nctId"):
        nct = str(ident["nctId"])
        add("identifiers", find_ids(nct) or None, nct, f"{m}.nctId", qualifier="self")
    secondary = [s for s in ident.get("secondaryIdInfos") or [] if s.get("id")]
    registry_ids = [next(iter(find_ids(str(s["id"]))), None) for s in secondary
                    if s.get("type") == "REGISTRY" or find_ids(str(s["id"]))]
    if secondary and any(registry_ids):
        add("identifiers", [i for i in registry_ids if i], "; ".join(
            f"{s['id']} ({s.get('type') or '?'}{', ' + s['domain'] if s.get('domain') else ''})"
            for s in secondary), f"{m}.secondaryIdInfos[].id", qualifier="self")
    for key, qual in (("officialTitle", "official"), ("briefTitle", "brief")):
        if ident.get(key):
            add("title", squash(ident[key]), ident[key], f"{m}.{key}", qualifier=qual)

    status = proto.get("statusModule") or {}
    m = f"{p}.statusModule"
    if "overallStatus" in status:
        add("status", normalize_status(str(status["overallStatus"] or "")),
            status["overallStatus"], f"{m}.overallStatus")
    dates: tuple[tuple[str, str, str | None], ...] = (("startDateStruct", "start_date", None),
                             ("primaryCompletionDateStruct", "completion_date", "primary"),
                             ("completionDateStruct", "completion_date", "overall"))
    for key, field, date_qual in dates:
        struct = status.get(key)
        if isinstance(struct, dict) and "date" in struct:
            date_type = str(struct.get("type") or "").lower() or None
            add(field, parse_date(str(struct["date"] or "")), struct["date"], f"{m}.{key}.date",
                qualifier=" ".join(filter(None, (date_qual, date_type))) or None)
    posted = status.get("studyFirstPostDateStruct")
    if isinstance(posted, dict) and "date" in posted:
        add("registration_date", parse_date(str(posted["date"] or "")), posted["date"],
            f"{m}.studyFirstPostDateStruct.date", qualifier="first posted")
    elif "studyFirstSubmitDate" in status:
        add("registration_date", parse_date(str(status["studyFirstSubmitDate"] or "")),
            status["studyFirstSubmitDate"], f"{m}.studyFirstSubmitDate",
            qualifier="first submitted")

    sponsors = proto.get("sponsorCollaboratorsModule") or {}
    m = f"{p}.sponsorCollaboratorsModule"
    lead = dig(sponsors, "leadSponsor.name")
    if lead:
        add("sponsor", squash(lead), lead, f"{m}.leadSponsor.name")
    # Collaborators are not necessarily funders (a university site, a CRO): no funding reading.

    conditions = dig(proto, "conditionsModule.conditions") or []
    if conditions:
        add("indication", "; ".join(conditions), "; ".join(conditions),
            f"{p}.conditionsModule.conditions")
    names = [i["name"] for i in dig(proto, "armsInterventionsModule.interventions") or []
             if i.get("name")]
    if names:
        add("product_name", names, "; ".join(names),
            f"{p}.armsInterventionsModule.interventions[].name")

    readings += _design(proto, p)
    readings += _outcomes(proto, p)
    # How long participants stay in the study, as the title or descriptions say it (the
    # outcomes' time frames are when each is measured, not the follow-up).
    described = [(str(ident[k]), f"{p}.identificationModule.{k}")
                 for k in ("officialTitle", "briefTitle")
                 if ident.get(k)][:1]
    described += [(str(text), f"{p}.descriptionModule.{k}") for k, text in
                  (proto.get("descriptionModule") or {}).items()
                  if k in ("briefSummary", "detailedDescription") and text]
    follow_up = registry_follow_up(described)
    if follow_up is not None:
        readings.append(follow_up)

    refs = dig(proto, "referencesModule.references") or []
    pmids = [normalize_id(f"PMID:{r['pmid']}") for r in refs if r.get("pmid")]
    if pmids:
        add("identifiers", pmids, "; ".join(f"{r.get('type') or '?'}: {r.get('citation') or ''}"
                                            f" PMID {r['pmid']}" for r in refs if r.get("pmid")),
            f"{p}.referencesModule.references[].pmid", qualifier="cited")

    results = study.get("resultsSection") or {}
    readings += _adverse_events(results, f"{root}.resultsSection")
    readings += _analysed(results, proto, f"{root}.resultsSection")
    return readings


def _design(proto: dict, p: str) -> list[Reading]:
    design = proto.get("designModule") or {}
    m = f"{p}.designModule"
    readings: list[Reading] = []
    if "phases" in design:
        raw = design["phases"] or []
        phases = [parse_phase(str(ph)) for ph in raw]
        value = None if any(ph is None for ph in phases) else sorted({x for ph in phases
                                                                     for x in ph or []})
        readings.append(Reading(field="phase", value=value, quote=", ".join(map(str, raw)),
                                locator=f"{m}.phases"))
    info = design.get("designInfo") or {}
    allocation, model = info.get("allocation"), info.get("interventionModel")
    masking = dig(info, "maskingInfo.masking")
    arm_types = {str(a.get("type")) for a in dig(proto, "armsInterventionsModule.armGroups") or []}
    tags = set()
    if masking == "NONE":
        tags.add("open-label")
    elif masking in ("SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"):
        tags.add("blinded")
    tags.update({"RANDOMIZED": ["randomised"], "NON_RANDOMIZED": ["non-randomised"]}
                .get(str(allocation), []))
    if model == "SINGLE_GROUP" and not arm_types & CONTROL_ARMS:  # a comparator arm: not one
        tags.add("single-arm")
    if arm_types & CONTROL_ARMS:
        tags.add("controlled")
    stated = {"allocation": allocation, "interventionModel": model, "masking": masking}
    quote = "; ".join(f"{k}: {v}" for k, v in stated.items() if v)
    if arm_types & CONTROL_ARMS:
        quote += f"; armGroups: {', '.join(sorted(arm_types & CONTROL_ARMS))}"
    if model == "CROSSOVER" and allocation == "RANDOMIZED":
        tags.add("controlled")  # each participant has the compared conditions in turn
    # The title says in words what coded fields may leave out: a 'Placebo-Controlled' trial
    # whose arms are typed EXPERIMENTAL, a 'Non-randomized' one with allocation N/A.
    title = str(dig(proto, "identificationModule.officialTitle") or
                dig(proto, "identificationModule.briefTitle") or "")
    worded = design_words(title) if title else set()
    added = set()
    described = " ".join(str(v) for k, v in (proto.get("descriptionModule") or {}).items()
                         if k in ("briefSummary", "detailedDescription") and v)
    if "single-arm" not in tags and ("controlled" in worded or (
            allocation in ("RANDOMIZED", "NON_RANDOMIZED") and
            "controlled" in described_design(described))):
        added.add("controlled")  # 'a randomized, blinded, controlled trial comparing …'
        title = title if "controlled" in worded else "(description)"
    if "non-randomised" in worded and allocation != "RANDOMIZED" and "single-arm" not in tags:
        added.add("non-randomised")
    if added - tags:
        tags |= added
        quote += f"; title: {title}"
    if quote:
        readings.append(Reading(field="design", value=sorted(tags), quote=quote.strip("; "),
                                locator=f"{m}.designInfo"))
    enrollment = design.get("enrollmentInfo")
    if isinstance(enrollment, dict) and "count" in enrollment:
        count = enrollment["count"]
        enrolled = count if isinstance(count, int) and not isinstance(count, bool) else None
        kind = str(enrollment.get("type") or "")
        readings.append(Reading(
            field="enrollment", value=enrolled, unit="participants",
            qualifier=ENROLLMENT_TYPES.get(kind),
            quote=f'"count": {json.dumps(count)}, "type": {json.dumps(kind or None)}',
            locator=f"{m}.enrollmentInfo.count"))
    return readings


def outcome_text(outcome: dict) -> str:
    """'measure (time frame)': the time frame is part of what the registry promised."""
    measure = squash(outcome.get("measure") or "")
    frame = squash(outcome.get("timeFrame") or "")
    return f"{measure} ({frame})" if frame else measure


def _outcomes(proto: dict, p: str) -> list[Reading]:
    module = proto.get("outcomesModule") or {}
    m = f"{p}.outcomesModule"
    readings: list[Reading] = []
    for key, field in (("primaryOutcomes", "primary_outcomes"),
                       ("secondaryOutcomes", "secondary_outcomes")):
        outcomes = [o for o in module.get(key) or [] if isinstance(o, dict)]
        if outcomes:
            texts = [outcome_text(o) for o in outcomes]
            readings.append(Reading(field=field, value=[t for t in texts if t] or None,
                                    quote=" | ".join(texts), locator=f"{m}.{key}[]"))
    # A time frame is when an outcome is measured, not how long the trial follows its
    # participants: no follow_up is read from it (outcome rules compare time points).
    return readings


def _adverse_events(results: dict, r: str) -> list[Reading]:
    """Event counts summed over terms and groups (serious + other for adverse_events).

    A term's count is its numEvents, or 0 where numAffected is 0 (no one affected, no event);
    where only people affected are given the number of events is unknown (None). With no
    terms listed, eventGroups saying 0 affected of some at risk give 0; anything else gives
    nothing (e.g. every group with 0 at risk: the data were not collected)."""
    module = results.get("adverseEventsModule")
    if not isinstance(module, dict):
        return []
    m = f"{r}.adverseEventsModule"
    groups = [g for g in module.get("eventGroups") or [] if isinstance(g, dict)]
    found: dict[str, tuple[int | None, str, str]] = {}  # key → (events, quote, locator)
    for key, prefix in (("seriousEvents", "serious"), ("otherEvents", "other")):
        events = [e for e in module.get(key) or [] if isinstance(e, dict)]
        stats = [st for e in events for st in e.get("stats") or [] if isinstance(st, dict)]
        if key in module and events:
            counts = [_events(st) for st in stats]
            shown = ", ".join(str(st.get("numEvents")) for st in stats) or "none"
            quote = f"{key} numEvents: {shown}"
            if stats and None in counts:
                if any(st.get("numEvents") is None and st.get("numAffected") for st in stats):
                    quote += "; numAffected given without numEvents: events not counted"
            found[key] = (sum(c for c in counts if c is not None)
                          if stats and None not in counts else None,
                          quote, f"{m}.{key}[].stats[].numEvents")
            continue
        affected = [g.get(f"{prefix}NumAffected") for g in groups]
        at_risk = [g.get(f"{prefix}NumAtRisk") for g in groups]
        if affected and all(a == 0 for a in affected) and \
                any(isinstance(n, int) and n > 0 for n in at_risk):
            found[key] = (0, f"no {key} listed; eventGroups {prefix}NumAffected: "
                             f"{', '.join(map(str, affected))}",
                          f"{m}.eventGroups[].{prefix}NumAffected")
    readings: list[Reading] = []
    if "seriousEvents" in found:
        value, quote, locator = found["seriousEvents"]
        readings.append(Reading(field="serious_adverse_events", value=value, unit="events",
                                quote=quote, locator=locator))
    if found:
        values = [v for v, _, _ in found.values()]
        threshold = module.get("frequencyThreshold")
        locators = [loc for _, _, loc in found.values()]
        readings.append(Reading(
            field="adverse_events", value=sum(v for v in values if v is not None)
            if None not in values else None, unit="events",
            quote="; ".join(q for _, q, _ in found.values()),
            qualifier=f"other events above {threshold}% threshold" if threshold else None,
            locator=f"{m}.{{{','.join(found)}}}[].stats[].numEvents"
            if all(loc.endswith(".numEvents") for loc in locators) else ", ".join(locators)))
    return readings


def _events(stat: dict) -> int | None:
    events, affected = stat.get("numEvents"), stat.get("numAffected")
    if isinstance(events, int) and not isinstance(events, bool):
        return events
    return 0 if events is None and affected == 0 else None


def _analysed(results: dict, proto: dict, r: str) -> list[Reading]:
    """Participants analysed for the primary outcome(s): the sum over groups of each primary
    outcome's denominator, when every primary outcome gives the same total and it is no more
    than the actual enrollment (a larger sum counts someone twice: crossover, per-period or
    overlapping groups). Otherwise nothing: which population is "the" analysis is unclear."""
    measures = [o for o in dig(results, "outcomeMeasuresModule.outcomeMeasures") or []
                if isinstance(o, dict) and o.get("type") == "PRIMARY"]
    totals: list[tuple[int, str]] = []
    for measure in measures:
        titles = {g.get("id"): str(g.get("title") or "") for g in measure.get("groups") or []
                  if isinstance(g, dict)}
        denoms = [d for d in measure.get("denoms") or [] if isinstance(d, dict)
                  and str(d.get("units") or "").lower() == "participants"]
        counts = [c for c in (denoms[0].get("counts") or []) if isinstance(c, dict)] \
            if len(denoms) == 1 else []
        values = [str(c.get("value") or "") for c in counts]
        if not counts or not all(v.isdigit() for v in values) or \
                any(titles.get(c.get("groupId"), "").strip().lower() == "total" for c in counts):
            return []
        totals.append((sum(int(v) for v in values), ", ".join(values)))
    enrollment = dig(proto, "designModule.enrollmentInfo") or {}
    count = enrollment.get("count") if isinstance(enrollment, dict) else None
    if not totals or len({t for t, _ in totals}) != 1 or enrollment.get("type") != "ACTUAL" \
            or not isinstance(count, int) or not 0 < totals[0][0] <= count:
        return []
    return [Reading(field="sample_size_analysed", value=totals[0][0], unit="participants",
                    qualifier="primary outcome",
                    quote=f"primary outcome denoms (Participants): {totals[0][1]}",
                    locator=f"{r}.outcomeMeasuresModule.outcomeMeasures[type=PRIMARY].denoms")]


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """GET /studies/{NCT} of the API v2."""
    nct = identifier.strip().upper()
    if not re.fullmatch(r"NCT\d{8}", nct) or nct == "NCT00000000":
        raise ConfigError(f"{identifier!r} is not an NCT number; give one like NCT04802733")
    return f"{bases['ctgov']}/studies/{nct}"


# --- the change history (History of Changes tab) ------------------------------------------
#
# Undocumented endpoints behind the website's History of Changes tab (`{ctgov_int}` is
# https://clinicaltrials.gov/api/int). What we know of their shape comes from
# bgcarlisle/cthist (commit 9490d337ed170a16840818a47bdcdf8b42ec893d), the R package that
# reads them:
#
#   R/clinicaltrials_gov_dates.R:
#       url <- paste0("https://clinicaltrials.gov/api/int/studies/", nctid, "?history=true")
#       index <- jsonlite::read_json(url, simplifyVector=TRUE)
#       newdates <- index$history$changes %>% ...
#           dplyr::rename("version_number" = "version") %>%
#           dplyr::rename("version_date" = "date") %>%
#           dplyr::rename("overall_status" = "status")
#   R/clinicaltrials_gov_version.R:
#       url <- paste0("https://clinicaltrials.gov/api/int/studies/", nctid, "/history/",
#                     versionno)
#       version <- jsonlite::read_json(url, simplifyVector=TRUE)
#       prot <- version$study$protocolSection          # read like a v2 study
#       results_posted <- version$study$hasResults
#
# cthist reads the whole change list in one response (no page token: the list does not
# page), numbers versions from 0, and reads each version's `study` as a v2 study. The
# `/studies/{NCT}/history` form of the list answers `{"changes": [...]}` directly; the
# `?history=true` form nests it as `{"history": {"changes": [...]}, "study": ...}`. Both are
# accepted; anything else is reported as a changed shape, never guessed at.

HISTORY_SHAPE = ('{"changes": [{"version", "date", "status", "moduleLabels", ...}]} '
                 '(or {"history": {"changes": [...]}})')
VERSION_SHAPE = '{"studyVersion": N, "study": {"protocolSection": {...}}}'


def _shape_changed(doc: Document, expected: str, seen: Any, why: str) -> ParseError:
    keys = sorted(seen)[:8] if isinstance(seen, dict) else type(seen).__name__
    return ParseError(f"{doc.source}: ClinicalTrials.gov's history endpoint changed its shape "
                      f"({why}; saw {keys}); expected {expected}. The endpoint is "
                      "undocumented: check https://clinicaltrials.gov's History of Changes tab "
                      "and report this so the reader can follow it")


def history_changes(doc: Document) -> list[dict[str, Any]]:
    """The change list: one {version, date, status, module_labels} per version, in version
    order. A list of another shape is a ParseError saying the endpoint's shape changed."""
    try:
        data = json.loads(doc.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ParseError(f"{doc.source}: the history change list is not JSON ({e}); "
                         "fetch it again") from e
    found = data.get("changes") if isinstance(data, dict) else None
    if found is None and isinstance(data, dict) and isinstance(data.get("history"), dict):
        found = data["history"].get("changes")
    if not isinstance(found, list):
        raise _shape_changed(doc, HISTORY_SHAPE, data, "no 'changes' list")
    out: list[dict[str, Any]] = []
    for i, change in enumerate(found):
        version = change.get("version") if isinstance(change, dict) else None
        date = change.get("date") if isinstance(change, dict) else None
        if not isinstance(version, int) or isinstance(version, bool) or version < 0 \
                or not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise _shape_changed(doc, HISTORY_SHAPE, change,
                                 f"changes[{i}] has no whole 'version' and ISO 'date'")
        labels = change.get("moduleLabels") or []
        out.append({"version": version, "date": date,
                    "status": normalize_status(str(change.get("status") or "")),
                    "module_labels": [str(x) for x in labels] if isinstance(labels, list)
                    else []})
    versions = [c["version"] for c in out]
    if len(set(versions)) != len(versions):
        raise _shape_changed(doc, HISTORY_SHAPE, data, "a version number repeats")
    return sorted(out, key=lambda c: c["version"])


def read_version(doc: Document, nct: str | None = None, number: int | None = None
                 ) -> tuple[int, list[Reading], dict[str, Any]]:
    """One version of the record: (version number, the v2 study's readings, facts of the
    version that are not claims: `results_posted`, the date results were first posted).
    Located under `$.study`, so a reviewer finds each quote in the version's file."""
    data = doc.json
    study = data.get("study") if isinstance(data, dict) else None
    number_seen = data.get("studyVersion") if isinstance(data, dict) else None
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise _shape_changed(doc, VERSION_SHAPE, data, "no study.protocolSection")
    if not isinstance(number_seen, int) or isinstance(number_seen, bool):
        raise _shape_changed(doc, VERSION_SHAPE, data, "no whole 'studyVersion'")
    if number is not None and number_seen != number:
        raise ParseError(f"{doc.source}: asked for version {number}, the answer is version "
                         f"{number_seen}; fetch it again")
    own = dig(study, "protocolSection.identificationModule.nctId")
    if nct and own and str(own).upper() != nct.upper():
        raise ParseError(f"{doc.source}: a version of {own}, not of {nct}; fetch it again")
    posted = dig(study, "protocolSection.statusModule.resultsFirstPostDateStruct.date")
    facts = {"results_posted": parse_date(str(posted)) if posted else None,
             "has_results": bool(study.get("hasResults"))}
    return number_seen, read_study(study, "$.study"), facts


def history_url(identifier: str, bases: Mapping[str, str], version: int | None = None) -> str:
    """GET {ctgov_int}/studies/{NCT}/history (the change list) or .../history/{version}."""
    nct = url_for(identifier, {"ctgov": ""}).removeprefix("/studies/")
    base = bases["ctgov_int"].rstrip("/")
    return f"{base}/studies/{nct}/history" + ("" if version is None else f"/{int(version)}")
