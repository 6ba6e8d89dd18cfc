"""Link discovery: from one identifier (DOI, PMID, NCT or jRCT id) find the paper's
registrations and the registration's papers, fetch them all, and hand them to `compare`.

    DOI  → Crossref (clinical-trial-number, ids in the abstract) + Europe PMC (PMID)
    PMID → PubMed (DataBank accession numbers, DOI)
    NCT  → ClinicalTrials.gov (references → PMIDs)
    jRCT → jRCT page, Japanese and English (secondary ids)

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
from auditor.read.values import normalize_id

MAX_DOCUMENTS = 12


def classify(identifier: str) -> tuple[str, str] | None:
    """(kind, id) for an identifier this module can start from, or None."""
    ident = _from_page_url(identifier.strip())
    if re.fullmatch(r"(?i)(doi:\s*|https?://(dx\.)?doi\.org/)?10\.\d{4,9}/\S+", ident):
        return "crossref", normalize_id(ident).removeprefix("DOI:")
    if re.fullmatch(r"NCT\d{8}", ident, re.IGNORECASE) and ident[3:].strip("0"):
        return "ctgov", ident.upper()
    if re.fullmatch(r"jRCT(?:[a-z]\d{9}|\d{10})", ident):  # jRCT2…, jRCTs…, jRCTb…
        return "jrct", ident
    if re.fullmatch(r"(?i)(pmid:?\s*)?\d{5,9}", ident):
        return "pubmed", re.sub(r"\D", "", ident)
    return None


#: The pages a person reads, whose address names the record: the study page, the jRCT page,
#: the PubMed page (the identifier is taken from it; the fetch goes to the service's API).
_PAGE_URLS = [
    r"https?://(?:www\.)?clinicaltrials\.gov/(?:study|ct2/show(?:/record)?)/(NCT\d{8})\b.*",
    r"https?://jrct\.(?:niph|mhlw)\.go\.jp/(?:en-)?latest-detail/(jRCT\w+?)(?:[/?#].*)?",
    r"https?://pubmed\.ncbi\.nlm\.nih\.gov/(\d{5,9})/?(?:[?#].*)?",
]


def _from_page_url(text: str) -> str:
    """'https://clinicaltrials.gov/study/NCT04802733' → 'NCT04802733'; anything else as given."""
    for pattern in _PAGE_URLS:
        m = re.fullmatch(pattern, text, re.IGNORECASE)
        if m:
            return m.group(1)
    return text


def _next(kind: str, ident: str) -> list[tuple[str, str]]:
    """The documents worth fetching for one identifier found in another document."""
    found = classify(ident.removeprefix("DOI:").removeprefix("PMID:"))
    if found is None:
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
        raise AuditorError(f"{identifier!r} is neither a file nor a DOI, PMID, NCT or jRCT id; "
                           "give a snapshot path or an identifier like 10.1038/s41586-025-08700-0")
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
                            snapshot=f"{folder}/{name}{EXTENSIONS[kind]}")
            result = fetch_one(config, ref, http)
            if not result.ok or result.snapshot is None:
                if not out.fetched:
                    raise FetchError(result.error or f"{name}: fetch failed")
                out.failed.append(f"{name}: {result.error}")
                continue
            out.fetched.append(name)
            out.records.append((name, kind, ident))
            snapshot, body = snapshots.load(config.snapshot_dir, ref.snapshot or "",
                                            source=name, kind=kind)
            doc = Document(body, snapshot.media_type, snapshot.url, name)
            try:
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
