"""Crossref REST API work records (``GET /works/{doi}``): the paper's metadata, funders,
registered trial numbers, update notices (corrections, retractions) and the JATS abstract.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from ..documents import Document
from ..errors import ParseError
from ..models import Reading
from ..prose import read_prose
from ..values import date_parts_to_iso, normalize_id, squash

KIND = "crossref"
ROLE = "publication"
API = "https://api.crossref.org/works/{doi}"


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
        ids = [normalize_id(doi)]
        trials = [t.get("clinical-trial-number") for t in msg.get("clinical-trial-number", [])]
        ids += [t for t in trials if t]
        readings.append(Reading(
            field="identifiers", value=ids, qualifier="self",
            quote=f"DOI {doi}" + (f"; clinical-trial-number {', '.join(trials)}" if trials else ""),
            locator="message.DOI, message.clinical-trial-number"))
    for key in ("published", "published-print", "published-online", "issued"):
        parts = (msg.get(key) or {}).get("date-parts")
        if parts and date_parts_to_iso(parts):
            readings.append(Reading(field="publication_date", value=date_parts_to_iso(parts),
                                    quote=f"{key}: {parts}", locator=f"message.{key}"))
            break
    funders = [f.get("name") for f in msg.get("funder", []) if f.get("name")]
    if funders:
        readings.append(Reading(field="funding", value=funders, quote="; ".join(funders),
                                locator="message.funder[].name"))
    notices = [
        {"type": u.get("type"), "doi": u.get("DOI"),
         "date": date_parts_to_iso((u.get("updated") or {}).get("date-parts") or [])}
        for u in msg.get("update-to", [])
    ]
    relation = msg.get("relation") or {}
    for rel_type in ("is-retracted-by", "has-retraction", "is-corrected-by", "has-correction",
                     "has-expression-of-concern"):
        for rel in relation.get(rel_type, []):
            notices.append({"type": rel_type, "doi": rel.get("id"), "date": None})
    if notices:
        readings.append(Reading(field="publication_notices", value=notices,
                                quote="; ".join(f"{n['type']} {n['doi']}" for n in notices),
                                locator="message.update-to / message.relation"))
    abstract = msg.get("abstract")
    if abstract:
        text = re.sub(r"^Abstract\s+", "", squash(BeautifulSoup(abstract, "lxml").get_text(" ")))
        readings += read_prose(text, "message.abstract")
    if title:
        readings.append(Reading(field="title", value=title, quote=title, locator="message.title"))
    return readings
