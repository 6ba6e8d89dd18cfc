"""Crossref REST API work records (``GET /works/{doi}``): the paper's metadata, funders,
registered trial numbers, update notices (corrections, retractions) and the JATS abstract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import TRIAL_FIELDS, Part, read_parts, reports_a_trial
from auditor.read.values import date_parts_to_iso, normalize_id, strip_markup
from auditor.sources import bare_doi, notices
from auditor.sources.notices import notice, notice_type

KIND = "crossref"
ROLE = "publication"
#: relation names that link a paper to a notice about it (their type: notices.TYPES)
RELATION_NOTICES = ("is-retracted-by", "has-retraction", "is-corrected-by", "has-correction",
                    "has-expression-of-concern")


def detect(doc: Document) -> bool:
    data = doc.json
    return isinstance(data, dict) and data.get("message-type") in ("work", "work-list")


def _message(doc: Document) -> dict:
    data = doc.json
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise ParseError(f"{doc.source}: not a Crossref work record (no 'message' object); "
                         "check the DOI or re-fetch")
    return data["message"]


def parse(doc: Document) -> list[Reading]:
    msg = _message(doc)
    readings: list[Reading] = []
    doi = msg.get("DOI")
    title = " ".join(msg.get("title") or [])
    if doi:
        readings.append(Reading(field="identifiers", value=[normalize_id(doi)], qualifier="self",
                                quote=f"DOI {doi}", locator="message.DOI"))
    # The registrations the publisher deposited for the paper ('nct03797326', lower case as
    # deposited): the trials it reports, cited, in the registries' own spelling.
    trials = [str(t.get("clinical-trial-number")) for t in msg.get("clinical-trial-number", [])
              if isinstance(t, dict) and t.get("clinical-trial-number")]
    if trials:
        readings.append(Reading(field="identifiers", value=list(dict.fromkeys(
            normalize_id(t) for t in trials)), qualifier="cited",
            quote=f"clinical-trial-number {', '.join(trials)}",
            locator="message.clinical-trial-number[]"))
    dates = [(key, (msg.get(key) or {}).get("date-parts")) for key in
             ("published", "published-print", "published-online", "issued") if msg.get(key)]
    readable = [(key, parts) for key, parts in dates if date_parts_to_iso(parts or [])]
    if dates:  # a date that is there but unreadable (e.g. [[null]]) is "unknown"
        key, parts = (readable or dates)[0]
        readings.append(Reading(field="publication_date", value=date_parts_to_iso(parts or []),
                                quote=f"{key}: {parts}", locator=f"message.{key}"))
    funders = [f.get("name") for f in msg.get("funder", []) if f.get("name")]
    if funders:
        readings.append(Reading(field="funding", value=funders, quote="; ".join(funders),
                                locator="message.funder[].name"))
    readings += _notices(msg)
    abstract = msg.get("abstract")
    parts = []
    if abstract:
        text = re.sub(r"^Abstract\s+", "", strip_markup(abstract))
        parts = [Part(text, "message.abstract")]
        readings += read_parts(parts, title=Part(title, "message.title"),
                               claim_language="conclusions")
    elif title:  # no abstract deposited: the title alone may still give phase and design
        readings += read_parts([], title=Part(title, "message.title"))
    if title:
        readings.append(Reading(field="title", value=title, quote=title, locator="message.title"))
    # a review, a survey: not a trial's facts; a deposited registration says it is a trial
    if not trials and not reports_a_trial(title, parts):
        readings = [r for r in readings if r.field not in TRIAL_FIELDS]
    return readings


def _notices(msg: dict) -> list[Reading]:
    """Corrections, retractions and expressions of concern, each as {type, doi, updates, date}:
    `doi` is the notice, `updates` the paper it is about.

    Crossref puts ``update-to`` on the notice (pointing back at the paper) and, since it took
    in Retraction Watch, ``updated-by`` on the paper; ``relation`` links either way.
    """
    own = normalize_id(msg["DOI"]) if msg.get("DOI") else None
    found: list[dict] = []
    keys: list[str] = []

    def add(kind: str | None, doi: str | None, paper: str | None, updated: dict | None,
            key: str) -> None:
        found.append(notice(notice_type(kind) or str(kind), doi=doi, updates=paper,
                            date=date_parts_to_iso((updated or {}).get("date-parts") or [])))
        if key not in keys:
            keys.append(key)

    for u in msg.get("update-to") or []:
        add(u.get("type"), msg.get("DOI"), u.get("DOI"), u.get("updated"), "message.update-to")
    for u in msg.get("updated-by") or []:
        add(u.get("type"), u.get("DOI"), msg.get("DOI"), u.get("updated"), "message.updated-by")
    relation = msg.get("relation") or {}
    for rel_type in RELATION_NOTICES:
        for rel in relation.get(rel_type) or []:
            seen = {(n["type"], n["doi"]) for n in found}
            if (notice_type(rel_type), normalize_id(rel.get("id") or "")) not in seen:
                add(rel_type, rel.get("id"), msg.get("DOI"), None, f"message.relation.{rel_type}")
    quote = "; ".join(f"{n['type']} {n['doi'] or '?'}"
                      + (f" of {n['updates']}" if n["updates"] != own else "") for n in found)
    return notices.reading(found, quote, ", ".join(keys))


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """GET /works/{DOI}, the DOI quoted so it stays inside /works/."""
    return f"{bases['crossref']}/works/{quote(bare_doi(identifier), safe='/')}"
