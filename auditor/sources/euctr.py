"""EU Clinical Trials Register (EudraCT) protocol records, as the register's text download
gives them (``/ctr-search/rest/download/trial/{EudraCT}/{country}``; the search's "full
details" download has the same blocks one after another): a ``Summary`` block, then one
``<code> <label>: <value>`` line per field (``F.4.2.2 In the whole clinical trial: 15``), a
value running on over the lines that follow until the next coded line or section heading.

A download holds one record per member state (and per version): the record read is the one
of the country in the URL or in the id (``EUCTR2022-002568-62-ES``, ``selectors.trial_id``),
else the first record of the EudraCT number asked for. Translations (labels ending in a
language code, ``E.1.1 … (es)``) are skipped: the English text is what other sources quote.

Not read, on purpose: ``Trial Status: Ongoing`` (it does not say whether the trial is
recruiting: status value None, unknown), the per-member-state subject count when the trial is
multinational (``F.4.1``: a part, not the trial's target), and the start date (the protocol
gives only an estimated duration, ``E.8.9``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.tables import outcome_items
from auditor.read.values import find_ids, parse_date, parse_int, squash

KIND = "euctr"
ROLE = "registry"

_EUDRACT = re.compile(r"(\d{4}-\d{6}-\d{2})(?:[-/]([A-Za-z]{2}|3[Rr][Dd]))?(?![\d-])")
#: A coded field line: 'E.5.1 Primary end point(s): …', 'B.1.3.4\tCountry: …',
#: 'E.8.1.1 Randomised: No', 'N. Competent Authority Decision: Authorised'.
_FIELD = re.compile(r"^(?P<code>[A-Z](?:\.[A-Z0-9]+)*\.?(?:\s+(?:and|to)\s+[A-Z](?:\.\d+)+)?)"
                    r"\s+(?P<label>[^:\n]{1,300}?):(?:[ \t](?P<value>.*))?$")
#: The Summary block's lines: 'EudraCT Number: 2022-002568-62', 'Trial Status: Ongoing'.
_SUMMARY = re.compile(r"^(?P<label>EudraCT Number|Sponsor's Protocol Code Number|"
                      r"National Competent Authority|Clinical Trial Type|Trial Status|"
                      r"Date on which this record was first entered in the EudraCT database|"
                      r"Link):[ \t]?(?P<value>.*)$")
#: A heading without a value: 'E.5 End points', 'B. Sponsor Information', 'Sponsor 1'.
_HEADING = re.compile(r"^(?:[A-Z](?:\.[A-Z0-9]+)*\.?\s+[^:]+|Sponsor \d+|MedDRA Classification|"
                      r"Summary)$")
_TRANSLATION = re.compile(r"\((?:[a-z]{2})\)$")
#: End-of-trial statuses (P. End of Trial Status) → ClinicalTrials.gov's; 'Ongoing' and
#: 'Restarted' say nothing about recruitment: unknown.
STATUSES = {"completed": "COMPLETED", "prematurely ended": "TERMINATED",
            "temporarily halted": "SUSPENDED", "suspended by ca": "SUSPENDED",
            "not authorised": "WITHDRAWN", "prohibited by ca": "WITHDRAWN",
            "ongoing": None, "restarted": None}
#: E.7 phase rows
PHASES = {"E.7.1": "1", "E.7.2": "2", "E.7.3": "3", "E.7.4": "4"}


@dataclass
class Line:
    code: str
    label: str
    value: str
    number: int  # line number in the file, 1-based
    more: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return squash(" ".join([self.value, *self.more]))

    @property
    def locator(self) -> str:
        return f"line {self.number}: {' '.join(filter(None, (self.code, self.label)))}"


@dataclass
class Record:
    """One member state's protocol record: its lines by code (first occurrence kept)."""

    start: int
    lines: list[Line] = field(default_factory=list)

    def get(self, code: str) -> Line | None:
        return next((ln for ln in self.lines if ln.code == code and ln.text), None)

    def all(self, code: str) -> list[Line]:
        return [ln for ln in self.lines if ln.code == code and ln.text]

    def summary(self, label: str) -> Line | None:
        return next((ln for ln in self.lines if not ln.code and ln.label == label), None)

    @property
    def eudract(self) -> str:
        line = self.summary("EudraCT Number") or self.get("A.2")
        m = _EUDRACT.search(line.text) if line else None
        return m.group(1) if m else ""

    @property
    def country(self) -> str:
        line = self.summary("Link")
        m = _EUDRACT.search(line.text) if line else None
        return (m.group(2) or "").upper() if m else ""


def records(text: str) -> list[Record]:
    """The download's records, each from its 'Summary' heading (or first line) on."""
    out: list[Record] = []
    current: Line | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.strip() == "Summary":
            out.append(Record(n))
            current = None
            continue
        if not out:  # text before the first 'Summary' (or a record without one)
            out.append(Record(n))
        m = _SUMMARY.match(line)
        if m:
            current = Line("", m.group("label"), m.group("value").strip(), n)
            out[-1].lines.append(current)
            continue
        m = _FIELD.match(line)
        if m:
            current = Line(squash(m.group("code")), squash(m.group("label")),
                           (m.group("value") or "").strip(), n)
            out[-1].lines.append(current)
            continue
        if not line.strip() or _HEADING.match(line.strip()):
            current = None
            continue
        if current is not None:
            current.more.append(line.strip())
    return [r for r in out if r.eudract]


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """The text download of one member state's record; the id must carry its country
    (EUCTR2022-002568-62-ES), as the register has one record per country."""
    m = _EUDRACT.search(identifier.strip())
    if not m or not m.group(1).replace("-", "").strip("0"):
        raise ConfigError(f"{identifier!r} is not a EudraCT number; give one like "
                          "EUCTR2022-002568-62-ES")
    if not m.group(2):
        raise ConfigError(f"{identifier!r}: the EU CTR keeps one record per member state; give "
                          "the country too, like EUCTR2022-002568-62-ES (or 3RD outside the EU)")
    country = m.group(2).upper()
    return f"{bases['euctr']}/ctr-search/rest/download/trial/{m.group(1)}/" \
           f"{country.lower() if country == '3RD' else country}"


def detect(doc: Document) -> bool:
    head = doc.body[:4096]
    return b"EudraCT Number:" in head and (b"A. Protocol Information" in doc.body or
                                           b"full details on each clinical trial" in head)


def _wanted(doc: Document) -> tuple[str, str]:
    """(EudraCT number, country) asked for by the selectors or the URL ('' when not)."""
    for text in (doc.selectors.get("trial_id") or "", urlparse(doc.url or "").path):
        m = _EUDRACT.search(text)
        if m:
            return m.group(1), (m.group(2) or "").upper()
    return "", ""


def _chosen(doc: Document) -> Record:
    found = records(doc.text)
    if not found:
        raise ParseError(f"{doc.source}: no EU CTR protocol record found (no 'EudraCT Number:' "
                         "line); download the trial's text again from clinicaltrialsregister.eu")
    number, country = _wanted(doc)
    numbers = list(dict.fromkeys(r.eudract for r in found))
    if not number:
        if len(numbers) > 1:
            raise ParseError(f"{doc.source}: the download holds {len(numbers)} trials "
                             f"({', '.join(numbers)}); set selectors.trial_id to one, like "
                             f"EUCTR{numbers[0]}-{found[0].country}")
        number = numbers[0]
    same = [r for r in found if r.eudract == number]
    if not same:
        raise ParseError(f"{doc.source}: no record of EudraCT {number} in the download (it "
                         f"holds {', '.join(numbers)})")
    if country:
        same = [r for r in same if r.country == country]
        if not same:
            raise ParseError(f"{doc.source}: no {country} record of EudraCT {number}; the "
                             "download has " + ", ".join(r.country for r in found
                                                         if r.eudract == number))
    return same[0]


def parse(doc: Document) -> list[Reading]:
    record = _chosen(doc)
    readings: list[Reading] = []

    def add(field_name: str, line: Line, value: Any, quote: str | None = None,
            **extra: Any) -> None:
        readings.append(Reading(field=field_name, value=value,
                                quote=quote if quote is not None else line.text,
                                locator=line.locator, **extra))

    own = f"EUCTR{record.eudract}" + (f"-{record.country}" if record.country else "")
    line = record.summary("EudraCT Number") or record.get("A.2")
    if line:
        add("identifiers", line, [own], qualifier="self")
    cited_lines = [ln for code in ("A.5.1", "A.5.2", "A.5.3", "A.5.4") for ln in record.all(code)
                   if not _TRANSLATION.search(ln.label)]
    cited = list(dict.fromkeys(i for ln in cited_lines for i in find_ids(ln.text)
                               if not i.startswith(("DOI:", "EUCTR" + record.eudract))))
    if cited_lines:
        readings.append(Reading(field="identifiers", value=cited or None, qualifier="cited",
                                quote=" … ".join(ln.text for ln in cited_lines),
                                locator=", ".join(ln.locator for ln in cited_lines)))

    for code, qualifier in (("A.3", "official"), ("A.3.1", "public"), ("A.3.2", "acronym")):
        title = _english(record, code)
        if title:
            add("title", title, title.text, qualifier=qualifier)
    sponsor = _english(record, "B.1.1")
    if sponsor:
        add("sponsor", sponsor, sponsor.text)
    funders = record.all("B.4.1")
    if funders:
        readings.append(Reading(field="funding",
                                value=list(dict.fromkeys(ln.text for ln in funders)),
                                quote=" … ".join(ln.text for ln in funders),
                                locator=", ".join(ln.locator for ln in funders)))
    condition = _english(record, "E.1.1")
    if condition:
        add("indication", condition, condition.text)

    for code, field_name in (("E.5.1", "primary_outcomes"), ("E.5.2", "secondary_outcomes")):
        ln = _english(record, code)
        if ln:
            items = outcome_items(_end_point_lines([ln.value, *ln.more]))
            add(field_name, ln, items or None)

    phase_lines = [ln for code in PHASES for ln in record.all(code)]
    if phase_lines:
        phases = sorted({PHASES[ln.code] for ln in phase_lines if _yes(ln.text)})
        readings.append(Reading(field="phase", value=phases or None,
                                quote=" / ".join(f"{ln.label}: {ln.text}" for ln in phase_lines),
                                locator=", ".join(ln.locator for ln in phase_lines)))
    readings += _design(record)

    whole = record.get("F.4.2.2") or (record.get("F.4.1") if record.get("F.4.2.1") is None
                                      and record.get("F.4.2.2") is None else None)
    if whole:
        add("enrollment", whole, parse_int(whole.text), unit="participants", qualifier="planned")
    status = next((ln for ln in record.all("P.") if ln.label == "End of Trial Status"), None) \
        or record.summary("Trial Status")
    if status:
        word = status.text.lower()
        add("status", status, STATUSES.get(word) if word in STATUSES else None)
    end = next((ln for ln in record.all("P.") if "global end" in ln.label.lower()), None)
    if end:
        add("completion_date", end, parse_date(end.text), qualifier="overall actual")
    first = record.summary("Date on which this record was first entered in the EudraCT "
                           "database")
    if first:
        add("registration_date", first, parse_date(first.text), qualifier="first submitted")
    readings += _countries(record, records(doc.text))
    return readings


def _countries(record: Record, everything: list[Record]) -> list[Reading]:
    """The member states of this trial's records in the download (a per-country download
    holds only its own: the qualifier says so), and the regions where sites are planned when
    the trial also runs outside the EEA (E.8.6.3: a list that may name EEA countries too)."""
    out: list[Reading] = []
    states = [(r, r.get("A.1")) for r in everything if r.eudract == record.eudract]
    named = [(r, ln) for r, ln in states if ln is not None]
    if named:
        names = list(dict.fromkeys(re.sub(r"\s+-\s+.*$", "", ln.text) for _, ln in named))
        out.append(Reading(field="countries", value=names, qualifier="member states in the file",
                           quote=" … ".join(dict.fromkeys(ln.text for _, ln in named)),
                           locator=", ".join(ln.locator for _, ln in named)))
    outside = record.get("E.8.6.3")
    if outside and outside.more:
        out.append(Reading(field="countries", value=list(dict.fromkeys(outside.more)),
                           qualifier="planned regions", quote="; ".join(outside.more),
                           locator=outside.locator))
    return out


def _english(record: Record, code: str) -> Line | None:
    return next((ln for ln in record.all(code) if not _TRANSLATION.search(ln.label)), None)


_BULLET = re.compile(r"^[•·\-–]\s*")


def _end_point_lines(raw: list[str]) -> list[str]:
    """The end point lines, bullets dropped, without the lines that only head or join them:
    'Over a 26-week initial and 5-year total follow up period:', 'The key secondary endpoint
    consists of:', and, among bulleted items, a bare 'and' or 'Safety Endpoints'."""
    lines = [(bool(_BULLET.match(t.strip())), squash(_BULLET.sub("", t.strip()))) for t in raw]
    lines = [(bulleted, t) for bulleted, t in lines if t]
    if len(lines) < 2:
        return [t for _, t in lines]
    any_bullets = any(b for b, _ in lines)
    return [t for bulleted, t in lines if not t.endswith(":")
            and not (any_bullets and not bulleted and len(t.split()) <= 2)]


def _yes(text: str) -> bool:
    return text.strip().lower() == "yes"


#: E.8 design rows → the tag a 'Yes' states
DESIGN_ROWS = {"E.8.1": "controlled", "E.8.1.1": "randomised", "E.8.1.2": "open-label",
               "E.8.1.3": "blinded", "E.8.1.4": "blinded"}


def _design(record: Record) -> list[Reading]:
    rows = [ln for code in DESIGN_ROWS for ln in record.all(code)]
    if not rows:
        return []
    tags = {DESIGN_ROWS[ln.code] for ln in rows if _yes(ln.text)}
    answered = {ln.code: _yes(ln.text) for ln in rows}
    if answered.get("E.8.1.1") is False:
        tags.add("non-randomised")
    return [Reading(field="design", value=sorted(tags) or None,
                    quote=" / ".join(f"{ln.label}: {ln.text}" for ln in rows),
                    locator=", ".join(ln.locator for ln in rows))]
