"""WHO ICTRP trial search XML export (``Trials_downloaded_from_ICTRP``): one ``Trial`` per
registration, covering JPRN (jRCT, UMIN), EU CTR, ISRCTN and the other primary registries.

Two layouts are read: the current export puts every field directly under ``Trial``
(``Trial/TrialID``, ``Trial/Secondary_ID`` as ';'-separated text), an older one wraps the main
fields in ``Trial/Main`` and lists repeated values as children (``Secondary_IDs/Secondary_ID``,
``Primary_outcome/Prim_outcome``). Registration dates are day first ('23/03/2017').
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.values import (
    design_tags,
    find_ids,
    normalize_status,
    parse_day_first_date,
    parse_int,
    parse_phase,
    squash,
)

KIND = "ictrp"
ROLE = "registry"
ROOT = "Trials_downloaded_from_ICTRP"

#: Child element names of list-valued fields in the older nested layout.
_ITEMS = {"Primary_outcome": "Prim_outcome", "Secondary_outcome": "Sec_outcome",
          "Secondary_IDs": "Secondary_ID", "Countries": "Country", "Source_Support": "Source_Name",
          "Source_support": "Source_Name"}
_SEPARATORS = re.compile(r"\s*(?:;|<br\s*/?>|\r?\n)\s*", re.IGNORECASE)


def detect(doc: Document) -> bool:
    try:
        return doc.xml.tag == ROOT
    except ParseError:
        return False


def _trial(doc: Document) -> Element:
    """The one Trial of the document; several need the id in the source's URL or selectors."""
    root = doc.xml
    if root.tag != ROOT:
        raise ParseError(f"{doc.source}: not a WHO ICTRP export (root <{root.tag}>, expected "
                         f"<{ROOT}>); export the trial again with 'Export results to XML'")
    trials = root.findall("Trial")
    if not trials:
        raise ParseError(f"{doc.source}: the ICTRP export holds no <Trial>; check the search "
                         "that produced it")
    if len(trials) == 1:
        return trials[0]
    wanted = doc.selectors.get("trial_id") or _id_in(doc.url)
    for trial in trials:
        own = _text(trial, "TrialID")
        if wanted and own and wanted.lower() in own.lower():
            return trial
    raise ParseError(f"{doc.source}: the ICTRP export holds {len(trials)} trials; give the one "
                     "to read as selectors.trial_id (e.g. 'JPRN-jRCT2090220384') in config.toml")


def _id_in(url: str | None) -> str | None:
    m = re.search(r"TrialID=([\w.-]+)", url or "")
    return m.group(1) if m else None


def _element(trial: Element, name: str) -> Element | None:
    for path in (f"Main/{name}", name):
        found = trial.find(path)
        if found is not None:
            return found
    return None


def _text(trial: Element, name: str) -> str | None:
    """A field's text, whitespace squashed; None when absent or empty."""
    el = _element(trial, name)
    text = squash("".join(el.itertext())) if el is not None else ""
    return text or None


def _items(trial: Element, name: str) -> list[str] | None:
    """A list-valued field: child elements in the nested layout, ';'/<br> text in the flat one."""
    el = _element(trial, name)
    if el is None:
        return None
    children = [squash("".join(c.itertext())) for c in el.findall(_ITEMS.get(name, "_"))]
    if children:
        return [c for c in children if c]
    raw = "".join(el.itertext())
    return [squash(part) for part in _SEPARATORS.split(raw) if squash(part)]


def _quote(trial: Element, name: str) -> str:
    """The source text of a field: its text, or its child items joined in the nested layout."""
    el = _element(trial, name)
    children = el.findall(_ITEMS.get(name, "_")) if el is not None else []
    if children:
        return "; ".join(squash("".join(c.itertext())) for c in children)
    return _text(trial, name) or ""


def _where(trial: Element, name: str) -> str:
    main = "Main/" if trial.find(f"Main/{name}") is not None else ""
    return f"{ROOT}/Trial/{main}{name}"


def _target_size(text: str) -> int | None:
    """'7', or per-group targets 'Group A:49;Group B:49;' summed (ChiCTR writes them so)."""
    groups = re.findall(r"[^:;]+:\s*(\d+)\s*(?:;|$)", text)
    if len(groups) > 1:
        return sum(int(g) for g in groups)
    return parse_int(text)


def parse(doc: Document) -> list[Reading]:
    trial = _trial(doc)
    readings: list[Reading] = []

    def add(field: str, name: str, value, unit: str | None = None,
            qualifier: str | None = None) -> None:
        readings.append(Reading(field=field, value=value, unit=unit, qualifier=qualifier,
                                quote=_quote(trial, name), locator=_where(trial, name)))

    own: list[str] = []
    trial_id = _text(trial, "TrialID")
    if trial_id:
        own = find_ids(trial_id)[:1] or [trial_id]
        add("identifiers", "TrialID", own, qualifier="self")
    for name in ("Secondary_IDs", "Secondary_ID", "SecondaryIDs"):
        items = _items(trial, name)
        if items:
            cited = [i for item in items for i in find_ids(item) if i not in own]
            add("identifiers", name, list(dict.fromkeys(cited)) or None, qualifier="cited")
            break
    title = "Public_title" if _text(trial, "Public_title") else "Scientific_title"
    if _text(trial, title):
        add("title", title, _text(trial, title))
    registered = "Date_registration" if _text(trial, "Date_registration") else "Date_registration3"
    readers: list[tuple[str, str, Callable[[str], Any], str | None, str | None]] = [
        ("enrollment", "Target_size", _target_size, "participants", "planned"),
        ("status", "Recruitment_Status", normalize_status, None, None),
        ("phase", "Phase", parse_phase, None, None),
        ("registration_date", registered, parse_day_first_date, None, None),
        ("start_date", "Date_enrollement", parse_day_first_date, None, None),
        ("sponsor", "Primary_sponsor", str, None, None),
        ("indication", "Condition", str, None, None),
    ]
    for field, name, read, unit, qualifier in readers:
        text = _text(trial, name)
        if text:
            add(field, name, read(text), unit, qualifier)
    for field, name in (("primary_outcomes", "Primary_outcome"),
                        ("secondary_outcomes", "Secondary_outcome"),
                        ("funding", "Source_Support"), ("funding", "Source_support")):
        items = _items(trial, name)
        if items:
            add(field, name, items)
    design = [(n, t) for n in ("Study_type", "Study_design") if (t := _text(trial, n))]
    quote = " / ".join(t for _, t in design)
    if _text(trial, "Study_design") or design_tags(quote):  # 'Interventional' alone says little
        readings.append(Reading(field="design", value=design_tags(quote) or None, quote=quote,
                                locator=", ".join(_where(trial, n) for n, _ in design)))
    return readings
