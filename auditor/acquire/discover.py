"""Link discovery: from one identifier (DOI, PMID, registry id or page URL) find the paper's
registrations and the registration's papers, fetch them all, and hand them to `compare`.

    DOI  → Crossref (clinical-trial-number, ids in the abstract) + Europe PMC (PMID)
    PMID → PubMed (DataBank accession numbers, DOI)
    NCT  → ClinicalTrials.gov (references → PMIDs)
    jRCT → jRCT page, Japanese and English (secondary ids)
    ISRCTN, EudraCT (with country), CTIS, UMIN receipt number → that registry's record

Every document fetched is saved as a snapshot, so the comparison can be replayed offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from auditor import snapshots, sources
from auditor.acquire.fetch import fetch_one
from auditor.acquire.history import fetch_history, folder_for, load_history
from auditor.acquire.http import Client, make_client
from auditor.acquire.saving import EXTENSIONS
from auditor.config import Config
from auditor.errors import AuditorError, FetchError
from auditor.models import Claim, RegistryVersion, SourceRef, stamp
from auditor.read.documents import Document
from auditor.read.values import find_ids, normalize_id

MAX_DOCUMENTS = 12


def classify(identifier: str) -> tuple[str, str] | None:
    """(kind, id) for an identifier or registry page URL this module can start from, or None.
    A UMIN id gives ("umin", "UMIN…") though it cannot be fetched (its page is named by a
    receipt number, R…); an EudraCT number keeps its country suffix."""
    ident = _from_page_url(identifier.strip())
    if re.fullmatch(r"(?i)(doi:\s*|https?://(dx\.)?doi\.org/)?10\.\d{4,9}/\S+", ident):
        return "crossref", normalize_id(ident).removeprefix("DOI:")
    if re.fullmatch(r"(?i)(pmid:?\s*)?\d{5,9}", ident):
        return ("pubmed", re.sub(r"\D", "", ident)) if ident.strip("PMIDpmid: 0") else None
    if re.fullmatch(r"(?i)R\d{9}", ident) and ident[1:].strip("0"):
        return "umin", ident.upper()
    if len(ident) > 80:
        return None
    # 'nct04802733', 'isrctn12345678': the registry's prefix in any case
    ident = re.sub(r"(?i)^(nct|isrctn|umin|euctr|ctis|jrct)",
                   lambda m: "jRCT" if m.group(1).lower() == "jrct" else m.group(1).upper(), ident)
    found = find_ids(ident)
    if len(found) != 1:
        return None
    canonical = found[0]
    if normalize_id(ident) != canonical:  # an id inside other words is no identifier
        return None
    for prefix, kind in _KINDS_OF_IDS:
        if canonical.startswith(prefix):
            return kind, canonical.removeprefix("CTIS") if kind == "ctis" else canonical
    return None


#: Registry id prefixes (find_ids' canonical spelling) → the source kind that reads them.
_KINDS_OF_IDS = (("NCT", "ctgov"), ("jRCT", "jrct"), ("UMIN", "umin"), ("ISRCTN", "isrctn"),
                 ("EUCTR", "euctr"), ("CTIS", "ctis"))


#: The pages a person reads, whose address names the record: the study page, the jRCT page,
#: the PubMed page, the UMIN-CTR, ISRCTN, EU CTR and CTIS pages (the identifier is taken from
#: it; the fetch goes to the service's API or record page).
_PAGE_URLS = [
    (r"https?://(?:www\.)?clinicaltrials\.gov/(?:study|ct2/show(?:/record)?)/(NCT\d{8})\b.*",
     "{0}"),
    (r"https?://jrct\.(?:niph|mhlw)\.go\.jp/(?:en-)?latest-detail/(jRCT\w+?)(?:[/?#].*)?", "{0}"),
    (r"https?://pubmed\.ncbi\.nlm\.nih\.gov/(\d{5,9})/?(?:[?#].*)?", "{0}"),
    (r"https?://[\w.]*umin\.ac\.jp/cgi-open-bin/ctr(?:_e)?/ctr_view\.cgi\?(?:.*&)?"
     r"recptno=(R\d{9})\b.*", "{0}"),
    (r"https?://(?:www\.)?isrctn\.com/(ISRCTN\d{8})\b.*", "{0}"),
    (r"https?://(?:www\.)?clinicaltrialsregister\.eu/ctr-search/(?:trial|rest/download/trial)/"
     r"(\d{4}-\d{6}-\d{2})/([A-Za-z]{2}|3rd)\b.*", "EUCTR{0}-{1}"),
    (r"https?://(?:www\.)?clinicaltrialsregister\.eu/ctr-search/search\?query=(?:eudract_number:)?"
     r"(\d{4}-\d{6}-\d{2})\b.*", "EUCTR{0}"),
    (r"https?://(?:www\.)?euclinicaltrials\.eu/.*?(?:EUCT=|/view/|/retrieve/)"
     r"(\d{4}-\d{6}-\d{2}-\d{2})\b.*", "{0}"),
]


def _from_page_url(text: str) -> str:
    """'https://clinicaltrials.gov/study/NCT04802733' → 'NCT04802733',
    '…/ctr-search/trial/2004-000012-34/GB/' → 'EUCTR2004-000012-34-GB'; anything else as
    given."""
    for pattern, form in _PAGE_URLS:
        m = re.fullmatch(pattern, text, re.IGNORECASE)
        if m:
            return form.format(*(g.upper() if g.lower() == "3rd" or len(g) == 2 else g
                                 for g in m.groups()))
    return text


def fetchable(kind: str, ident: str) -> bool:
    """Whether an id names a record we can fetch: a UMIN id does not name its page (the
    receipt number does), an EudraCT number without a country has no one record."""
    if kind == "umin":
        return ident.startswith("R")
    if kind == "euctr":
        return bool(re.search(r"-(?:[A-Z]{2}|3RD)$", ident))
    return True


def record_url(kind: str, ident: str, bases: dict[str, str]) -> str | None:
    """The URL of a record whose kind has no `url_for` (UMIN-CTR: its receipt-number page)."""
    if kind == "umin":
        base = bases.get("umin") or sources.BASES["umin"]
        return f"{base}/cgi-open-bin/ctr/ctr_view.cgi?recptno={ident}"
    return None


def _next(kind: str, ident: str) -> list[tuple[str, str]]:
    """The documents worth fetching for one identifier found in another document."""
    found = classify(ident.removeprefix("DOI:").removeprefix("PMID:"))
    if found is None or not fetchable(*found):
        return []
    kind2, ident2 = found
    if kind2 == "crossref":
        return [("crossref", ident2), ("europepmc", ident2)]
    if kind2 == "jrct":
        return [("jrct", ident2), ("jrct", f"en:{ident2}")]
    return [found]


@dataclass
class Discovery:
    claims: list[Claim] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: Each document read, as the source a config would name: (name, kind, identifier).
    records: list[tuple[str, str, str]] = field(default_factory=list)
    #: Earlier versions of the ClinicalTrials.gov records fetched (their change history).
    versions: list[RegistryVersion] = field(default_factory=list)
    #: How each document was reached: the id, the document and reader it was found in.
    links: list[dict[str, str | None]] = field(default_factory=list)


def history_skipped(config: Config) -> str | None:
    """Why a record's change history is not fetched: [fetch.bases] points ctgov at a mirror
    but names no ctgov_int (the history would go to the real service behind its back)."""
    bases = config.fetch.bases
    if "ctgov" in bases and "ctgov_int" not in bases:
        return ("change history not fetched: [fetch.bases] ctgov points to a mirror and no "
                "ctgov_int is given; set [fetch.bases] ctgov_int too")
    return None


def start_of(identifier: str) -> list[tuple[str, str]]:
    """The documents to fetch first for one identifier (a DOI: Crossref and Europe PMC; a
    jRCT id: the Japanese and English pages); an error if it is not one we can start from."""
    start = classify(identifier)
    if start is None:
        raise AuditorError(f"{identifier!r} is neither a file nor a DOI, PMID or registry id "
                           "(NCT, jRCT, UMIN, ISRCTN, EudraCT, CTIS) or page URL; give a snapshot "
                           "path or an identifier like 10.1038/s41586-025-08700-0")
    if not fetchable(*start):
        raise AuditorError(f"{identifier!r}: " + (
            "a UMIN id does not name its page; give the page URL "
            "(https://center6.umin.ac.jp/cgi-open-bin/ctr/ctr_view.cgi?recptno=R…)"
            if start[0] == "umin" else
            "the EU CTR keeps one record per member state; give the country too, like "
            f"{start[1]}-GB, or the trial page URL (…/ctr-search/trial/<number>/<country>)"))
    return _next(*start) if start[0] in ("crossref", "jrct") else [start]


def discover(identifier: str | list[str], config: Config, *, client: Client | None = None,
             limit: int = MAX_DOCUMENTS, folder: str = "compare",
             history: bool = True) -> Discovery:
    """Fetch the document for `identifier` (or each of several) and the documents it links
    to, into config.snapshot_dir/`folder`/ (also the claims' subject), and read their
    claims. With `history`, a ClinicalTrials.gov record's change history too (every
    version, each fetched once)."""
    queue: list[tuple[str, str]] = []
    out = Discovery()
    for ident in [identifier] if isinstance(identifier, str) else identifier:
        for start in start_of(ident):
            if start not in queue:
                queue.append(start)
                out.links.append({"registry_id": ident, "source": None,
                                  "snapshot_sha256": None, "reader": None, "locator": None,
                                  "target": f"{start[0]}:{start[1]}",
                                  "how": "the identifier compared"})
    seen: set[tuple[str, str]] = set(queue)
    skip_history = history_skipped(config) if history else "change history not asked for"
    own = client is None
    http = client or make_client(config.fetch)
    try:
        while queue and len(out.fetched) < limit:
            kind, ident = queue.pop(0)
            name = f"{kind}-{re.sub(r'[^A-Za-z0-9.-]+', '_', ident)}"
            ref = SourceRef(name=name, subject=folder, kind=kind, identifier=ident,
                            url=record_url(kind, ident, config.fetch.bases),
                            snapshot=f"{folder}/{name}{EXTENSIONS[kind]}")
            result = fetch_one(config, ref, http)
            if not result.ok or result.snapshot is None:
                if not out.fetched:
                    raise FetchError(result.error or f"{name}: fetch failed")
                out.failed.append(f"{name}: {result.error}")
                continue
            out.fetched.append(name)
            out.records.append((name, kind, ident))
            try:  # the config's [limits] hold here as in an audit: a bomb is refused, not read
                snapshot, body = snapshots.load(config.snapshot_dir, ref.snapshot or "",
                                                source=name, kind=kind, limits=config.limits)
                doc = Document(body, snapshot.media_type, snapshot.url, name,
                               limits=config.limits)
                readings = sources.parse(kind, doc)
            except AuditorError as e:
                out.failed.append(f"{name}: {e}")
                continue
            out.claims += stamp(readings, subject=folder, ref=ref, snapshot=snapshot,
                                role=sources.role_of(kind))
            if kind == "ctgov":
                if skip_history is None:
                    _history(config, ident, http, name, out, folder)
                elif history:
                    out.failed.append(f"{name}: {skip_history}")
            for r in readings:
                if r.field != "identifiers" or not r.value:
                    continue
                for found in r.value:
                    for nxt in _next(kind, str(found)):
                        if nxt not in seen:
                            seen.add(nxt)
                            queue.append(nxt)
                            out.links.append({
                                "registry_id": str(found), "source": name,
                                "snapshot_sha256": snapshot.sha256, "reader": kind,
                                "locator": r.locator, "target": f"{nxt[0]}:{nxt[1]}",
                                "how": f"{r.qualifier or 'stated'} identifier"})
    finally:
        if own:
            http.close()
    return out


def _history(config: Config, nct: str, http: Client, name: str, out: Discovery,
             folder: str) -> None:
    """Fetch and read one record's change history; what is missing goes to `failed`."""
    result = fetch_history(config, nct, http, folder, source=name, subject=folder)
    out.failed += [f"{name}: {p}" for p in result.problems]
    if result.changes:
        versions, missing = load_history(config.snapshot_dir, folder_for(folder, nct), nct,
                                         source=name)
        out.versions += versions
        out.failed += [f"{name}: {why}" for n, why in missing.items() if n not in result.failed]


def snapshot_folder(config: Config) -> Path:
    return config.snapshot_dir / "compare"
