"""Publication notices (corrections, retractions, expressions of concern) as every paper
source states them, in one vocabulary and one value shape, so the integrity rule reads
Crossref, PubMed and Europe PMC alike.

A notice is {type, doi, pmid, citation, updates, date}: `doi`/`pmid` identify the notice,
`updates` the paper it is about (when the source says), `date` when it was issued. A type no
source word below names is kept as the source wrote it, never guessed to be a correction.
"""

from __future__ import annotations

from typing import Any

from auditor.models import Reading
from auditor.read.values import normalize_id

#: The sources' words → one type. PubMed CommentsCorrections RefTypes (the record is the paper
#: the notice is about: ErratumIn, not ErratumFor), Europe PMC commentCorrection types, Crossref
#: update-to / updated-by types and relation names.
TYPES: dict[str, str] = {
    "erratumin": "correction", "erratum in": "correction", "correction": "correction",
    "erratum": "correction", "corrigendum": "correction", "is-corrected-by": "correction",
    "has-correction": "correction",
    "retractionin": "retraction", "retraction in": "retraction", "retraction": "retraction",
    "is-retracted-by": "retraction", "has-retraction": "retraction",
    "partial_retraction": "retraction", "partialretractionin": "retraction",
    "withdrawal": "retraction", "removal": "retraction",
    "expressionofconcernin": "expression_of_concern",
    "expression of concern in": "expression_of_concern",
    "expression_of_concern": "expression_of_concern",
    "has-expression-of-concern": "expression_of_concern",
}
#: Source words that name links which are not notices about this paper (the record IS the
#: notice, or a comment): skipped, not read backwards.
NOT_ABOUT_THIS_PAPER = {"erratumfor", "erratum for", "retractionof", "retraction of",
                        "expressionofconcernfor", "expression of concern for", "commentin",
                        "comment in", "commentson", "comment on"}


def notice_type(word: str | None) -> str | None:
    """The one type for a source's word; the word itself when it names no known type; None
    when it names a link that is not a notice about this paper."""
    key = " ".join(str(word or "").split()).lower()
    if not key or key in NOT_ABOUT_THIS_PAPER or key.replace(" ", "") in NOT_ABOUT_THIS_PAPER:
        return None
    return TYPES.get(key) or TYPES.get(key.replace(" ", "")) or key


def notice(kind: str, *, doi: str | None = None, pmid: str | None = None,
           citation: str | None = None, updates: str | None = None,
           date: str | None = None) -> dict[str, Any]:
    """One notice in the shared shape."""
    return {"type": kind, "doi": normalize_id(doi) if doi else None,
            "pmid": f"PMID:{pmid}" if pmid and not str(pmid).startswith("PMID:") else pmid,
            "citation": citation or None, "updates": normalize_id(updates) if updates else None,
            "date": date}


def reading(notices: list[dict[str, Any]], quote: str, locator: str) -> list[Reading]:
    """The publication_notices reading, or nothing when there is no notice."""
    if not notices:
        return []
    return [Reading(field="publication_notices", value=notices, quote=quote, locator=locator)]
