"""The page a person reads for a source address: doi.org for a Crossref API URL, PubMed for an
E-utilities one, clinicaltrials.gov/study for the registry's API, the jRCT detail page; other
addresses (MHLW, PMDA, company pages) are already such pages and are kept as they are."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

DOI = re.compile(r"10\.\d{4,9}/[^\s?#&\"'<>]+")
NCT = re.compile(r"NCT\d{8}")
JRCT = re.compile(r"(en-)?latest-detail/(jRCT[a-z]?\d{7,10})", re.IGNORECASE)
PMCID = re.compile(r"PMC\d+")


def human_url(url: str | None) -> str | None:
    """The human page for a source URL (None stays None)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    if host == "api.crossref.org" and (m := DOI.search(path)):
        return f"https://doi.org/{m.group(0)}"
    if host == "eutils.ncbi.nlm.nih.gov":
        ids = parse_qs(parts.query).get("id", [""])[0].split(",")
        if ids[0].isdigit():
            return f"https://pubmed.ncbi.nlm.nih.gov/{ids[0]}/"
    if host.endswith("clinicaltrials.gov") and (m := NCT.search(path)):
        return f"https://clinicaltrials.gov/study/{m.group(0)}"
    if host.startswith("jrct.") and (m := JRCT.search(path)):
        return f"https://jrct.mhlw.go.jp/{m.group(1) or ''}latest-detail/{m.group(2)}"
    if host.endswith("ebi.ac.uk"):
        if m := PMCID.search(path):
            return f"https://europepmc.org/article/PMC/{m.group(0)}"
        if m := DOI.search(unquote(parts.query)):
            return "https://doi.org/" + m.group(0).rstrip('"')
    return url


def label(url: str | None) -> str:
    """A short text for a link: the host and the record id, no scheme or query."""
    if not url:
        return ""
    parts = urlsplit(url)
    text = (parts.hostname or "").removeprefix("www.") + unquote(parts.path).rstrip("/")
    if parts.query:
        text += "?" + parts.query
    return text if len(text) <= 60 else text[:59] + "…"


def record_links(identifiers: list[str]) -> list[tuple[str, str]]:
    """(label, human URL) for identifiers as claims state them ('DOI:10.1038/x (self)',
    'PMID:40240591', 'jRCT2090220384', 'NCT04802733'), each once."""
    out: dict[str, str] = {}
    for text in identifiers:
        for m in DOI.finditer(text):
            doi = m.group(0).rstrip(").,;")
            out[f"https://doi.org/{doi}"] = f"doi.org/{doi}"
        for m in re.finditer(r"PMID:?\s*(\d+)", text):
            out[f"https://pubmed.ncbi.nlm.nih.gov/{m.group(1)}/"] = f"PubMed {m.group(1)}"
        for m in NCT.finditer(text):
            out[f"https://clinicaltrials.gov/study/{m.group(0)}"] = m.group(0)
        for m in re.finditer(r"jRCT[a-z]?\d{7,10}", text):
            out[f"https://jrct.mhlw.go.jp/latest-detail/{m.group(0)}"] = m.group(0)
    return [(lab, url) for url, lab in out.items()]
