"""Europe PMC REST search results (``search?query=DOI:"..."&resultType=core&format=json``).

Europe PMC mirrors PubMed and adds PMC ids, full-text links and its own grant matching, so
it is a second reading of the same paper: where it disagrees with PubMed, one of them lags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import TRIAL_FIELDS, Part, read_parts, reports_a_trial
from auditor.read.values import normalize_id, parse_date, squash, strip_markup
from auditor.sources import bare_doi, notices
from auditor.sources.notices import notice, notice_type
from auditor.sources.pubmed import one_design, publication_type_readings

KIND = "europepmc"
ROLE = "publication"

RESULT = "$.resultList.result[0]"


def detect(doc: Document) -> bool:
    data = doc.json
    return isinstance(data, dict) and isinstance((data.get("resultList") or {}).get("result"),
                                                 list)


def _record(doc: Document) -> dict:
    data = doc.json
    results = (data.get("resultList") or {}).get("result") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise ParseError(f"{doc.source}: not a Europe PMC search response (no resultList.result);"
                         " query the REST search endpoint with format=json")
    if len(results) != 1:
        raise ParseError(f"{doc.source}: Europe PMC returned {len(results)} records; narrow the "
                         "query to one paper (DOI:\"...\" or EXT_ID:pmid AND SRC:MED)")
    if not isinstance(results[0], dict):
        raise ParseError(f"{doc.source}: resultList.result[0] is not an object; re-fetch")
    return results[0]


def abstract_sections(html: str) -> list[tuple[str | None, str]]:
    """(label, text) parts of an abstract; structured ones come as <h4>Label</h4>text."""
    parts = re.split(r"<h4>(.*?)</h4>", html or "", flags=re.IGNORECASE | re.DOTALL)
    sections: list[tuple[str | None, str]] = [(None, parts[0])]
    pairs = zip(parts[1::2], parts[2::2], strict=False)
    sections += [(squash(_text(label)), body) for label, body in pairs]
    return [(label or None, _text(body)) for label, body in sections if _text(body)]


def _text(html: str) -> str:
    return strip_markup(html, sep="") if html.strip() else ""


def parse(doc: Document) -> list[Reading]:
    rec = _record(doc)
    readings: list[Reading] = []

    keys = [k for k in ("pmid", "pmcid", "doi") if rec.get(k)]
    if keys:
        ids = [normalize_id(f"PMID:{rec['pmid']}" if k == "pmid" else str(rec[k])) for k in keys]
        readings.append(Reading(field="identifiers", value=ids, qualifier="self",
                                quote="; ".join(f"{k} {rec[k]}" for k in keys),
                                locator=", ".join(f"{RESULT}.{k}" for k in keys)))

    title = _text(rec.get("title") or "")
    if title:
        readings.append(Reading(field="title", value=title, quote=title,
                                locator=f"{RESULT}.title"))

    readings += _publication_date(rec)

    parts = [Part(text, f"{RESULT}.abstractText" + (f" <h4>{label}</h4>" if label else ""),
                  label)
             for label, text in abstract_sections(rec.get("abstractText") or "")]
    readings += read_parts(parts, title=Part(title, f"{RESULT}.title"),
                           claim_language="conclusions")

    types = [squash(t) for t in (rec.get("pubTypeList") or {}).get("pubType", []) if t]
    trial = reports_a_trial(title, parts, types)
    readings += publication_type_readings(types, f"{RESULT}.pubTypeList.pubType[]")

    grants = (rec.get("grantsList") or {}).get("grant", [])
    agencies = list(dict.fromkeys(g.get("agency") for g in grants if g.get("agency")))
    if agencies:
        quote = "; ".join(" ".join(filter(None, (g.get("grantId"), g.get("agency"))))
                          for g in grants)
        readings.append(Reading(field="funding", value=agencies, quote=quote,
                                locator=f"{RESULT}.grantsList.grant[].agency"))

    readings += _notices(rec)
    if not trial:  # a review, a cohort, a survey: what it says is not a trial's facts
        readings = [r for r in readings if r.field not in TRIAL_FIELDS]
    return one_design(readings)


def _publication_date(rec: dict) -> list[Reading]:
    """Europe PMC's first publication date (the earlier of e-pub and print)."""
    for key in ("firstPublicationDate", "electronicPublicationDate"):
        if rec.get(key):
            first = str(rec[key])
            return [Reading(field="publication_date", value=parse_date(first), quote=first,
                            locator=f"{RESULT}.{key}")]
    raw = (rec.get("journalInfo") or {}).get("printPublicationDate")
    if raw:
        return [Reading(field="publication_date", value=parse_date(str(raw)), quote=str(raw),
                        locator=f"{RESULT}.journalInfo.printPublicationDate")]
    return []


def _notices(rec: dict) -> list[Reading]:
    found: list[dict] = []
    quotes: list[str] = []
    for cc in (rec.get("commentCorrectionList") or {}).get("commentCorrection", []):
        raw = str(cc.get("type", "")).strip()
        kind = notice_type(raw)
        if kind is None or kind == raw.lower():
            continue  # other links ("Comment in", "Update of") are not notices
        source, ident = cc.get("source"), cc.get("id")
        found.append(notice(kind, pmid=str(ident) if source == "MED" and ident else None,
                            citation=cc.get("reference")))
        quotes.append(f"{cc.get('type')}: {cc.get('reference') or ''} ({source}:{ident})")
    return notices.reading(found, "; ".join(quotes),
                           f"{RESULT}.commentCorrectionList.commentCorrection[]")


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """The core search result for one DOI."""
    query = quote(f'DOI:"{bare_doi(identifier)}"', safe="/:")
    return f"{bases['europepmc']}/search?query={query}&resultType=core&format=json"
