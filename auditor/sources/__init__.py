"""One module per source kind. Each module defines:

- ``KIND``: its name in config.toml (``kind = "jrct"``);
- ``ROLE``: registry, publication, regulator or company;
- ``parse(doc: Document) -> list[Reading]``: every field it can read, each with quote and locator;
- ``detect(doc: Document) -> bool``: whether a document looks like this kind (for `compare`).

A field the parser cannot read is simply absent, or a Reading with value None ("unknown"):
never a guess.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path
from types import ModuleType

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document

#: kind → module name. Order matters for detection: most specific first.
KINDS: dict[str, str] = {
    "mhlw_excel": "mhlw.excel",  # binary formats first: mhlw detects any mhlw.go.jp URL
    "mhlw_pdf": "mhlw.pdf",
    "ctgov": "ctgov",
    "crossref": "crossref",
    "europepmc": "europepmc",
    "jats": "jats",  # root <article> with front/article-meta: never a PubmedArticleSet
    "pubmed": "pubmed",
    "ictrp": "ictrp",
    "ctgov_xml": "ctgov_xml",
    "isrctn": "isrctn",
    "ctis": "ctis",  # JSON with ctNumber: before page, after ctgov (protocolSection)
    "euctr": "euctr",  # plain text; HTML kinds never read it
    "umin": "umin",  # before jrct: a UMIN page may cite a jRCT id and share its labels
    "jrct": "jrct",
    "mhlw": "mhlw",
    "pmda": "pmda",
    "page": "page",
}

ROLES = ("registry", "publication", "regulator", "company")

#: Base URLs of the services whose records a source kind can name by identifier (its module's
#: `url_for`); config.toml's [fetch.bases] and the tests' local servers override them.
BASES: dict[str, str] = {
    "ctgov": "https://clinicaltrials.gov/api/v2",
    #: the undocumented API behind the website's History of Changes tab (sources/ctgov.py)
    "ctgov_int": "https://clinicaltrials.gov/api/int",
    "jrct": "https://jrct.niph.go.jp",
    "crossref": "https://api.crossref.org",
    "eutils": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
    "europepmc": "https://www.ebi.ac.uk/europepmc/webservices/rest",
    "isrctn": "https://www.isrctn.com",
    "euctr": "https://www.clinicaltrialsregister.eu",
    "ctis": "https://euclinicaltrials.eu/ctis-public-api",
    "umin": "https://center6.umin.ac.jp",  # receipt-number pages (discover), no url_for
}


def bare_doi(identifier: str) -> str:
    """'doi:10.1038/x' or 'https://doi.org/10.1038/x' → '10.1038/x'; a DOI that could leave
    the service's path ('..' segments, '?', '#') is refused (ConfigError)."""
    doi = re.sub(r"(?i)^(doi:\s*|https?://(dx\.)?doi\.org/)", "", identifier.strip())
    if not re.fullmatch(r"10\.\d{4,9}/\S+", doi) or any(
            part in (".", "..") for part in doi.split("/")) or re.search(r"[?#\\]", doi):
        raise ConfigError(f"{identifier!r} is not a DOI; give one like 10.1038/s41586-025-08700-0")
    return doi


def module(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise ConfigError(f"unknown source kind {kind!r}; use one of: {', '.join(KINDS)}")
    return importlib.import_module(f"{__name__}.{KINDS[kind]}")


def role_of(kind: str) -> str:
    return module(kind).ROLE


#: What a reader raises on a document of a shape it did not expect (a string where a list
#: was, a missing key, nesting that overflows the stack, an encoding nobody knows).
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, LookupError,
                RecursionError, OverflowError)


def parse(kind: str, doc: Document) -> list[Reading]:
    """The kind's readings of `doc`. A document whose shape the reader did not expect is a
    ParseError naming the source and the place in our code that choked, never a traceback:
    the audit reports that source as broken and goes on with the rest. A document over its
    kind's size cap or time budget ([limits]) is a LimitError, a ParseError too."""
    from auditor.sources.limits import check_size, time_budget

    reader = module(kind)
    check_size(kind, len(doc.body), doc.source, doc.limits)
    try:
        with time_budget(doc):
            return reader.parse(doc)
    except ParseError:
        raise
    except SHAPE_ERRORS as e:
        raise ParseError(f"{doc.source}: not the {kind} shape expected ({type(e).__name__}: "
                         f"{str(e)[:120]} at {_place(e)}); re-fetch the source, check its "
                         "kind in config.toml, or report the file if it is a real record"
                         ) from e


def _place(error: BaseException) -> str:
    """'sources/crossref.py:142' — the innermost frame of ours in the traceback."""
    place = "?"
    tb = error.__traceback__
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename)
        if "auditor" in path.parts:
            place = f"{'/'.join(path.parts[path.parts.index('auditor') + 1:])}:{tb.tb_lineno}"
        tb = tb.tb_next
    return place


def detect(doc: Document) -> str | None:
    """The kind of a document whose kind was not given, or None."""
    for kind in KINDS:
        try:
            if module(kind).detect(doc):
                return kind
        except Exception:  # a detector that chokes on a foreign format just says no
            continue
    return None


def parser_version() -> str:
    """A hash of the reading code (read/ and sources/): claims cached for a snapshot are reused
    only while it holds."""
    h = hashlib.sha256()
    package = Path(__file__).parent
    for p in sorted([*(package.parent / "read").glob("*.py"), *package.rglob("*.py")]):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]
