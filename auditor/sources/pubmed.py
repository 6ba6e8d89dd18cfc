"""PubMed E-utilities efetch XML (``db=pubmed&retmode=xml``): the indexed record of a paper.

NLM's indexing adds what the publisher's metadata often lacks: publication types (trial phase,
randomised), registry accession numbers, grants, the conflict-of-interest statement and links
to errata, retractions and expressions of concern.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import TRIAL_FIELDS, Part, read_parts, reports_a_trial
from auditor.read.values import (
    design_tags,
    find_ids,
    normalize_id,
    parse_date,
    parse_phase,
    squash,
)
from auditor.sources import notices
from auditor.sources.notices import notice, notice_type

KIND = "pubmed"
ROLE = "publication"

ARTICLE = "PubmedArticle/MedlineCitation/Article"


def detect(doc: Document) -> bool:
    return b"<PubmedArticleSet" in doc.body[:2048]


def text_of(element: Element | None) -> str:
    """All text under an element (AbstractText holds <i>, <sup> and friends), squashed."""
    return squash("".join(element.itertext())) if element is not None else ""


def publication_type_readings(types: list[str], locator: str) -> list[Reading]:
    """Phase and design from indexers' publication types ('Clinical Trial, Phase II', ...)."""
    readings: list[Reading] = []
    phases = sorted({p for t in types for p in (parse_phase(t) or [])})
    phase_types = [t for t in types if "phase" in t.lower()]
    if phases:
        readings.append(Reading(field="phase", value=phases, quote="; ".join(phase_types),
                                locator=locator))
    elif phase_types:  # a phase type we cannot read is "unknown", not absent
        readings.append(Reading(field="phase", value=None, quote="; ".join(phase_types),
                                locator=locator))
    # 'Randomized Controlled Trial' says how the trial allocated; 'Controlled Clinical Trial'
    # alone is given to some single-arm studies, so it tags nothing by itself.
    tagged = [t for t in types if design_tags(t) and re.search(r"randomi[sz]ed", t, re.I)]
    if tagged:
        readings.append(Reading(field="design", value=design_tags("; ".join(tagged)),
                                quote="; ".join(tagged), locator=locator))
    return readings


def one_design(readings: list[Reading]) -> list[Reading]:
    """The abstract's design tags and the indexers' as one reading: a source says one thing
    about its design ('open-label' in the abstract, 'Randomized Controlled Trial' in the
    types), so rules comparing sources see all of it."""
    designs = [r for r in readings if r.field == "design" and r.value]
    if len(designs) < 2:
        return readings
    merged = Reading(field="design", value=sorted({t for r in designs for t in r.value}),
                     quote=" | ".join(r.quote for r in designs),
                     locator="; ".join(r.locator for r in designs))
    first = readings.index(designs[0])
    rest = [r for r in readings if r not in designs]
    return rest[:first] + [merged] + rest[first:]


def _article(doc: Document) -> Element:
    root = doc.xml
    if root.tag != "PubmedArticleSet":
        raise ParseError(f"{doc.source}: not a PubMed efetch document (root <{root.tag}>); "
                         "fetch with db=pubmed&retmode=xml")
    articles = root.findall("PubmedArticle")
    if len(articles) != 1:
        raise ParseError(f"{doc.source}: expected one PubmedArticle, found {len(articles)}; "
                         "fetch a single PMID per snapshot")
    return articles[0]


def _date(element: Element | None) -> tuple[str | None, str]:
    """(partial ISO date, the text it came from) of a Year/Month/Day or MedlineDate element."""
    if element is None:
        return None, ""
    medline = element.findtext("MedlineDate")
    raw = medline or " ".join(filter(None, (element.findtext(k) for k in ("Year", "Month", "Day"))))
    raw = squash(raw)
    if not medline and (element.findtext("Month") or "").isdigit():
        return parse_date(raw.replace(" ", "-")), raw  # '2025 04 16' → '2025-04-16'
    return parse_date(raw), raw


def parse(doc: Document) -> list[Reading]:
    article = _article(doc)
    citation = article.find("MedlineCitation")
    art = citation.find("Article") if citation is not None else None
    if citation is None or art is None:
        raise ParseError(f"{doc.source}: PubmedArticle has no MedlineCitation/Article; "
                         "re-fetch the record")
    readings: list[Reading] = []

    id_elements = article.findall("PubmedData/ArticleIdList/ArticleId")
    pmid = squash(citation.findtext("PMID") or "")
    self_ids = [f"PMID:{pmid}"] if pmid else []
    quotes = [f"PMID {pmid}"] if pmid else []
    for el in id_elements:
        kind, value = el.get("IdType"), squash(el.text or "")
        if kind in ("doi", "pmc") and value:
            ident = normalize_id(value)
            if ident not in self_ids:
                self_ids.append(ident)
                quotes.append(f"{kind} {value}")
    if self_ids:
        readings.append(Reading(field="identifiers", value=self_ids, qualifier="self",
                                quote="; ".join(quotes),
                                locator="MedlineCitation/PMID, PubmedData/ArticleIdList"))

    title = text_of(art.find("ArticleTitle"))
    if title:
        readings.append(Reading(field="title", value=title, quote=title,
                                locator=f"{ARTICLE}/ArticleTitle"))

    readings += _publication_date(art, article)

    parts = []
    for part in art.findall("Abstract/AbstractText"):
        label = part.get("Label")
        where = f"{ARTICLE}/Abstract/AbstractText" + (f"[@Label='{label}']" if label else "")
        parts.append(Part(text_of(part), where, label, part.get("NlmCategory")))
    types = [t for t in (text_of(t) for t in art.findall("PublicationTypeList/PublicationType"))
             if t]
    trial = reports_a_trial(title, parts, types)
    readings += read_parts(parts, title=Part(title, f"{ARTICLE}/ArticleTitle"),
                           claim_language="conclusions")
    readings += publication_type_readings(types, f"{ARTICLE}/PublicationTypeList/PublicationType")

    cited: list[str] = []
    cited_quotes: list[str] = []
    for bank in art.findall("DataBankList/DataBank"):
        name = squash(bank.findtext("DataBankName") or "")
        for acc in bank.findall("AccessionNumberList/AccessionNumber"):
            number = squash(acc.text or "")
            ident = (find_ids(number) or [number])[0] if number else ""
            if ident and ident not in cited:
                cited.append(ident)
                cited_quotes.append(f"{name}: {number}")
    if cited:
        readings.append(Reading(field="identifiers", value=cited, qualifier="cited",
                                quote="; ".join(cited_quotes),
                                locator=f"{ARTICLE}/DataBankList/DataBank/AccessionNumberList"))

    grants = art.findall("GrantList/Grant")
    agencies = list(dict.fromkeys(squash(g.findtext("Agency") or "") for g in grants))
    agencies = [a for a in agencies if a]
    if agencies:
        quote = "; ".join(" ".join(filter(None, (squash(g.findtext(k) or "") for k in
                                                 ("GrantID", "Agency", "Country"))))
                          for g in grants)
        readings.append(Reading(field="funding", value=agencies, quote=quote,
                                locator=f"{ARTICLE}/GrantList/Grant/Agency"))

    coi = citation.find("CoiStatement")
    if coi is not None:
        statement = text_of(coi)
        readings.append(Reading(field="conflicts_of_interest", value=statement or None,
                                quote=statement, locator="MedlineCitation/CoiStatement"))

    readings += _notices(citation)
    if not trial:  # a review, a cohort, a survey: what it says is not a trial's facts
        readings = [r for r in readings if r.field not in TRIAL_FIELDS]
    return one_design(readings)


def _publication_date(art: Element, article: Element) -> list[Reading]:
    """The electronic publication date if indexed, else the journal issue date."""
    candidates = [
        (art.find("ArticleDate[@DateType='Electronic']"),
         f"{ARTICLE}/ArticleDate[@DateType='Electronic']"),
        (article.find("PubmedData/History/PubMedPubDate[@PubStatus='epublish']"),
         "PubmedData/History/PubMedPubDate[@PubStatus='epublish']"),
        (art.find("Journal/JournalIssue/PubDate"), f"{ARTICLE}/Journal/JournalIssue/PubDate"),
    ]
    present = [(el, where) for el, where in candidates if el is not None]
    for el, where in present:
        value, raw = _date(el)
        if value:
            return [Reading(field="publication_date", value=value, quote=raw, locator=where)]
    if present:
        el, where = present[0]
        return [Reading(field="publication_date", value=None, quote=_date(el)[1], locator=where)]
    return []


def _notices(citation: Element) -> list[Reading]:
    found: list[dict] = []
    quotes: list[str] = []
    for cc in citation.findall("CommentsCorrectionsList/CommentsCorrections"):
        kind = notice_type(cc.get("RefType"))
        if kind is None or kind == str(cc.get("RefType") or "").lower():
            continue  # PubMed's other links (Cites, CommentIn, UpdateIn...) are not notices
        ref = squash(cc.findtext("RefSource") or "")
        pmid = squash(cc.findtext("PMID") or "")
        found.append(notice(kind, doi=next(iter(find_ids(ref)), None), pmid=pmid or None,
                            citation=ref))
        quotes.append(f"{cc.get('RefType')}: {ref}" + (f" PMID: {pmid}" if pmid else ""))
    return notices.reading(found, "; ".join(quotes),
                           "MedlineCitation/CommentsCorrectionsList/CommentsCorrections[@RefType]")


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """E-utilities efetch of one PMID, as XML."""
    pmid = re.sub(r"(?i)^pmid:?\s*", "", identifier.strip())
    if not pmid.isdigit() or not pmid.strip("0"):
        raise ConfigError(f"{identifier!r} is not a PMID; give digits like 40240591")
    return f"{bases['eutils']}/efetch.fcgi?" + urlencode(
        {"db": "pubmed", "id": pmid, "retmode": "xml"})
