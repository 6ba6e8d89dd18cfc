"""EU CTIS (Clinical Trials Information System) trials, from the public portal's API (a
``POST /ctis-public-api/search`` answer's row is read too, for what a row states):
``GET /ctis-public-api/retrieve/{EU CT number}`` → one JSON object with ``ctNumber``,
``ctPublicStatusCode`` and the ``authorizedApplication``: ``authorizedPartI`` (the trial's
protocol data: ``trialDetails.clinicalTrialIdentifiers``, ``trialDetails.trialInformation``,
``sponsors``, ``rowSubjectCount``), ``authorizedPartsII`` (one per member state, with its
``recruitmentSubjectCount``), ``memberStatesConcerned`` and ``eudraCt`` (a trial transitioned
from EudraCT). The API is undocumented; the paths are those rfhb/ctrdata reads (CTIS relaunched
on 2024-06-17 with this layout, "CTIS2" in ctrdata's notes).

Read as stated, nothing worked out: the planned number of participants is the sum of the
member states' counts and the rest-of-world count (as ctrdata sums them); ``Ended`` (code 8)
includes early termination, so it is unknown whether the trial completed or stopped (status
None); ``totalNumberEnrolled`` is not read (whether it is a target or a count is not
documented); ``startDateEU`` is the start only for a trial not transitioned from EudraCT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document, dig
from auditor.read.values import design_tags, find_ids, parse_date, parse_phase, squash

KIND = "ctis"
ROLE = "registry"
_NUMBER = re.compile(r"(\d{4}-\d{6}-\d{2}-\d{2})")
_P1 = "/authorizedApplication/authorizedPartI"

#: ctPublicStatusCode → ClinicalTrials.gov's status (labels from ctrdata's f_statusRecruitment)
STATUS_CODES: dict[int, tuple[str, str | None]] = {
    1: ("Under evaluation", None),
    2: ("Authorised, recruitment pending", "NOT_YET_RECRUITING"),
    3: ("Authorised, recruiting", "RECRUITING"),
    4: ("Ongoing, recruiting", "RECRUITING"),
    5: ("Ongoing, recruitment ended", "ACTIVE_NOT_RECRUITING"),
    6: ("Temporarily halted", "SUSPENDED"),
    7: ("Suspended", "SUSPENDED"),
    8: ("Ended", None),  # completed or terminated early: not said
    9: ("Expired", None),
    10: ("Revoked", "WITHDRAWN"),
    11: ("Not authorised", "WITHDRAWN"),
    12: ("Cancelled", "WITHDRAWN"),
}
#: trialCategory.trialPhase codes (ctrdata's CTIS value list) → phases
PHASE_CODES = {1: ["1"], 2: ["1"], 3: ["1"], 4: ["2"], 5: ["3"], 6: ["4"], 7: ["1", "2"],
               8: ["1", "2"], 9: ["1", "2"], 10: ["2", "3"], 11: ["3", "4"]}




def _str(value: Any) -> str:
    return squash(str(value)) if isinstance(value, (str, int, float)) else ""


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    m = _NUMBER.search(identifier.strip())
    if not m or not m.group(1).replace("-", "").strip("0"):
        raise ConfigError(f"{identifier!r} is not an EU CT number; give one like "
                          "2023-501234-12-00 (CTIS numbers have four parts; a three-part "
                          "number is EudraCT: kind = \"euctr\")")
    return f"{bases['ctis']}/retrieve/{m.group(1)}"


def _rows(data: Any) -> list[dict] | None:
    """The trial rows of a search answer (``{"pagination", "data": [...]}``), else None."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list) \
            or "pagination" not in data:
        return None
    return [r for r in data["data"] if isinstance(r, dict)
            and _NUMBER.fullmatch(_str(r.get("ctNumber")))]


def detect(doc: Document) -> bool:
    if b'"ctNumber"' not in doc.body[:8192]:
        return False
    try:
        data = doc.json
    except ParseError:
        return False
    if _rows(data):
        return True
    return isinstance(data, dict) and bool(_NUMBER.fullmatch(_str(data.get("ctNumber")))) \
        and isinstance(data.get("authorizedApplication"), dict)


def parse(doc: Document) -> list[Reading]:
    data = doc.json
    rows = _rows(data)
    if rows is not None:
        return _search_row(doc, rows)
    if not isinstance(data, dict) or not _NUMBER.fullmatch(_str(data.get("ctNumber"))):
        raise ParseError(f"{doc.source}: not a CTIS trial (no ctNumber like 2023-501234-12-00 "
                         "at the top); fetch /ctis-public-api/retrieve/{EU CT number} again")
    app = data.get("authorizedApplication")
    if not isinstance(app, dict) or not isinstance(app.get("authorizedPartI"), dict):
        raise ParseError(f"{doc.source}: CTIS trial {data['ctNumber']} has no "
                         "authorizedApplication.authorizedPartI (not authorised yet, or the "
                         "API changed shape); check the record on euclinicaltrials.eu")
    part1 = app["authorizedPartI"]
    readings: list[Reading] = []

    def add(field: str, value: Any, quote: str, locator: str, **extra: Any) -> None:
        readings.append(Reading(field=field, value=value, quote=quote, locator=locator, **extra))

    number = _str(data["ctNumber"])
    add("identifiers", [f"CTIS{number}"], number, "/ctNumber", qualifier="self")
    cited: list[tuple[str, str]] = []
    eudract = _str(dig(app, "eudraCt.eudraCtCode"))
    if eudract:
        cited.append((eudract, "/authorizedApplication/eudraCt/eudraCtCode"))
    ids = "trialDetails.clinicalTrialIdentifiers.secondaryIdentifyingNumbers"
    for key in ("nctNumber", "isrctnNumber", "whoUniversalTrialNumber"):
        value = _str(dig(part1, f"{ids}.{key}.number"))
        if value:
            cited.append((value, f"{_P1}/{ids.replace('.', '/')}/{key}/number"))
    for n, extra in enumerate(dig(part1, f"{ids}.additionalRegistries") or []):
        value = _str(dig(extra, "number")) if isinstance(extra, dict) else ""
        if value:
            cited.append((value, f"{_P1}/{ids.replace('.', '/')}/additionalRegistries/{n}/number"))
    if cited:
        found = list(dict.fromkeys(i for text, _ in cited for i in find_ids(text)
                                   if not i.startswith(("DOI:", f"CTIS{number}"))))
        add("identifiers", found or None, "; ".join(t for t, _ in cited),
            ", ".join(p for _, p in cited), qualifier="cited")

    titles = "trialDetails.clinicalTrialIdentifiers"
    for key, qualifier in (("fullTitle", "official"), ("publicTitle", "public"),
                           ("shortTitle", "acronym")):
        text = _str(dig(part1, f"{titles}.{key}"))
        if text:
            add("title", text, text, f"{_P1}/{titles.replace('.', '/')}/{key}",
                qualifier=qualifier)

    code = _str(data.get("ctPublicStatusCode"))
    if code.isdigit():
        label, status = STATUS_CODES.get(int(code), (code, None))
        add("status", status, f"{code} ({label})", "/ctPublicStatusCode")

    info = "trialDetails.trialInformation"
    phase = _str(dig(part1, f"{info}.trialCategory.trialPhase"))
    if phase:
        phases = PHASE_CODES.get(int(phase)) if phase.isdigit() else parse_phase(phase)
        add("phase", phases, phase, f"{_P1}/{info.replace('.', '/')}/trialCategory/trialPhase")
    for key, field in (("primaryEndPoints", "primary_outcomes"),
                       ("secondaryEndPoints", "secondary_outcomes")):
        points = [p for p in dig(part1, f"{info}.endPoint.{key}") or [] if isinstance(p, dict)]
        texts = [_str(p.get("endPoint")) for p in sorted(points, key=_number)]
        texts = [t for t in texts if t]
        if texts:
            add(field, texts, " | ".join(texts),
                f"{_P1}/{info.replace('.', '/')}/endPoint/{key}/endPoint")
    conditions = [_str(c.get("medicalCondition")) for c in
                  dig(part1, f"{info}.medicalCondition.partIMedicalConditions") or []
                  if isinstance(c, dict) and _str(c.get("medicalCondition"))]
    if conditions:
        add("indication", "; ".join(conditions), "; ".join(conditions),
            f"{_P1}/{info.replace('.', '/')}/medicalCondition/partIMedicalConditions")
    # startDateEU: the start in the EU/EEA. For a trial transitioned from EudraCT it is
    # sometimes the day of the transition decision (two real records: decisionDate's day) and
    # sometimes the start under EudraCT (ctrdata's demo record: 2021, transitioned 2024); which
    # one is not said, so there the start stays unknown
    start_eu = _str(data.get("startDateEU"))
    if start_eu and dig(app, "eudraCt.isTransitioned") is not True:
        add("start_date", parse_date(start_eu), start_eu, "/startDateEU")
    for key, field, qualifier in (("estimatedRecruitmentStartDate", "start_date", "estimated"),
                                  ("estimatedEndDate", "completion_date", "overall estimated")):
        text = _str(dig(part1, f"{info}.trialDuration.{key}"))
        if text:
            add(field, parse_date(text), text,
                f"{_P1}/{info.replace('.', '/')}/trialDuration/{key}", qualifier=qualifier)

    states = list(dict.fromkeys(_str(m.get("mscName")) for m in
                                app.get("memberStatesConcerned") or []
                                if isinstance(m, dict) and _str(m.get("mscName"))))
    if states:
        add("countries", states, "; ".join(states),
            "/authorizedApplication/memberStatesConcerned/*/mscName",
            qualifier="member states concerned")
    readings += _enrollment(app, part1)
    readings += _sponsor(part1)
    readings += _design(part1)
    return readings


def _number(point: dict) -> int:
    """An end point's 'number' (their order on the page), 0 when missing."""
    number = point.get("number")
    return number if isinstance(number, int) else 0


def _enrollment(app: dict, part1: dict) -> list[Reading]:
    parts = [p for p in app.get("authorizedPartsII") or [] if isinstance(p, dict)]
    counts = [p.get("recruitmentSubjectCount") for p in parts]
    row = part1.get("rowSubjectCount")
    numbers = [c for c in [*counts, row] if isinstance(c, int)]
    if not numbers:
        return []
    quote = " + ".join(str(c) for c in counts if isinstance(c, int))
    if isinstance(row, int):
        quote += f" (member states) + {row} (rest of world)" if quote else f"{row} (rest of world)"
    return [Reading(field="enrollment", value=sum(numbers), unit="participants",
                    qualifier="planned", quote=quote,
                    locator="/authorizedApplication/authorizedPartsII/*/recruitmentSubjectCount"
                            f" + {_P1}/rowSubjectCount")]


def _sponsor(part1: dict) -> list[Reading]:
    sponsors = [s for s in part1.get("sponsors") or [] if isinstance(s, dict)]
    primary = [s for s in sponsors if s.get("primary") is True or s.get("isPrimary") is True]
    for n, sponsor in enumerate(primary or sponsors):
        name = _str(dig(sponsor, "organisation.name"))
        if name:
            index = sponsors.index(sponsor) if sponsor in sponsors else n
            return [Reading(field="sponsor", value=name, quote=name,
                            locator=f"{_P1}/sponsors/{index}/organisation/name")]
    return []


def _design(part1: dict) -> list[Reading]:
    path = "trialDetails.protocolInformation.studyDesign.periodDetails"
    periods = [p for p in dig(part1, path) or [] if isinstance(p, dict)]
    words = [w for p in periods for w in (_str(p.get("allocationMethod")),
                                          _str(p.get("blindingMethod"))) if w]
    if not words:
        return []
    text = " / ".join(words)
    return [Reading(field="design", value=design_tags(text) or None, quote=text,
                    locator=f"{_P1}/{path.replace('.', '/')}/*/allocationMethod")]


def _search_row(doc: Document, rows: list[dict]) -> list[Reading]:
    """One trial's row of a ``POST /ctis-public-api/search`` answer: the row asked for
    (``selectors.trial_id``), or the only one. A row is a summary: its ``ctStatus`` is the
    public status code (the retrieve answer's ``ctStatus`` is the application's status), its
    end points are one text joined with ', ' (where one end point ends is lost, so they are not
    read), and its ``startDateEU`` cannot be told from a transition day (no ``eudraCt`` in a
    row), so it is not read either."""
    wanted = _NUMBER.search(str(doc.selectors.get("trial_id") or ""))
    numbers = [_str(r.get("ctNumber")) for r in rows]
    chosen = [r for r, n in zip(rows, numbers, strict=True)
              if not wanted or n == wanted.group(1)]
    if len(chosen) != 1:
        raise ParseError(f"{doc.source}: the CTIS search answer holds {len(rows)} trials "
                         f"({', '.join(numbers) or 'none'}) and none is the one asked for "
                         f"({wanted.group(1) if wanted else 'no id given'}); set "
                         "selectors.trial_id, or fetch /ctis-public-api/retrieve/{EU CT number}")
    row = chosen[0]
    at = f"/data/{rows.index(row)}"
    readings: list[Reading] = []

    def add(field: str, value: Any, quote: str, key: str, **extra: Any) -> None:
        readings.append(Reading(field=field, value=value, quote=quote, locator=f"{at}/{key}",
                                **extra))

    number = _str(row["ctNumber"])
    add("identifiers", [f"CTIS{number}"], number, "ctNumber", qualifier="self")
    for key, qualifier in (("ctTitle", "official"), ("shortTitle", "acronym")):
        text = _str(row.get(key))
        if text:
            add("title", text, text, key, qualifier=qualifier)
    code = _str(row.get("ctStatus"))
    if code.isdigit():
        label, status = STATUS_CODES.get(int(code), (code, None))
        add("status", status, f"{code} ({label})", "ctStatus")
    phase = _str(row.get("trialPhase"))
    if phase:
        add("phase", parse_phase(phase), phase, "trialPhase")
    sponsor = _str(row.get("sponsor"))
    if sponsor:
        add("sponsor", sponsor, sponsor, "sponsor")
    conditions = _str(row.get("conditions"))
    if conditions:
        add("indication", conditions, conditions, "conditions")
    countries = [c for c in row.get("trialCountries") or [] if isinstance(c, str) and c]
    if countries:  # "France:3": the country and a code of its own
        add("countries", list(dict.fromkeys(c.rsplit(":", 1)[0].strip() for c in countries)),
            "; ".join(countries), "trialCountries", qualifier="member states concerned")
    return readings
