"""Live fetch into snapshots: one GET per configured source, saved byte for byte with its
manifest entry. Idempotent, so cron can run it again and again: a 304 or an identical body
changes nothing on disk, and a failure keeps the last good snapshot.

Hosts are fetched concurrently (one lane per host, `fetch.concurrency` hosts at a time). Within
a host the per-host rate limit in `http.py` spaces requests 1/rate apart; a host whose limit is
faster than a typical response (more than 4/s) gets a few requests in flight so the limit, not
the latency, sets the pace.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from tqdm import tqdm

from auditor import sources
from auditor.acquire.attachments import fetch_attachments
from auditor.acquire.history import fetch_source_history
from auditor.acquire.http import Client, Response, make_client, rate_for
from auditor.acquire.saving import (
    FetchResult,
    default_path,
    failed,
    fetch_into,
)
from auditor.config import Config
from auditor.errors import AuditorError, ConfigError, ParseError
from auditor.models import SourceRef
from auditor.sources import BASES

#: Kinds with no stable per-identifier URL: the config must give `url`. (WHO ICTRP has no
#: documented public per-trial export endpoint; its XML export is a download from the portal.)
#: umin: a UMIN id does not give the receipt number (R…) of its ctr_view.cgi page;
#: ctgov_xml: the legacy XML API was retired in 2024, so only archived snapshots are read.
NEEDS_URL = tuple(k for k in sources.KINDS if not hasattr(sources.module(k), "url_for"))


#: A typical response time; sets how many requests a fast-limited host may have in flight.
ASSUMED_LATENCY = 0.25

def _bases(bases: dict[str, str] | None) -> dict[str, str]:
    return {**BASES, **(bases or {})}


def url_for(kind: str, identifier: str, *, language: str | None = None,
            bases: dict[str, str] | None = None) -> str:
    """The URL of one record. jRCT takes `en:jRCT...` (or language="en") for the English page."""
    if kind in sources.KINDS and kind not in NEEDS_URL:
        return sources.module(kind).url_for(identifier, _bases(bases), language)
    if kind in NEEDS_URL:
        raise ConfigError(f"source kind {kind!r} has no URL pattern; give `url` in config.toml")
    raise ConfigError(f"unknown source kind {kind!r}; use one of {', '.join(sources.KINDS)}")


def source_url(ref: SourceRef, bases: dict[str, str] | None = None) -> str:
    if ref.url:
        return ref.url
    if ref.identifier:
        try:
            return url_for(ref.kind, ref.identifier, bases=bases)
        except ConfigError as e:
            raise ConfigError(f"source {ref.name!r}: {e}") from None
    raise ConfigError(f"source {ref.name!r} has only a snapshot and nothing to fetch; "
                      "give it a url or identifier")


# --- search helpers ----------------------------------------------------------------------

def _json(response: Response, what: str) -> dict:
    try:
        return json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ParseError(f"{what}: {response.url} did not return JSON ({e}); "
                         "try again later or check the query") from e


def esearch(client: Client, term: str, *, db: str = "pubmed", retmax: int = 100,
            bases: dict[str, str] | None = None) -> list[str]:
    """PubMed ids matching a query (E-utilities esearch, JSON)."""
    url = f"{_bases(bases)['eutils']}/esearch.fcgi?" + urlencode(
        {"db": db, "term": term, "retmax": retmax, "retmode": "json"})
    data = _json(client.get(url, source="esearch"), "esearch")
    return list(data.get("esearchresult", {}).get("idlist", []))


def elink(client: Client, ids: list[str], *, dbfrom: str = "pubmed", db: str = "pubmed",
          linkname: str | None = None, bases: dict[str, str] | None = None) -> list[str]:
    """Ids linked to `ids` (E-utilities elink, JSON), optionally of one link name."""
    params = {"dbfrom": dbfrom, "db": db, "id": ",".join(ids), "retmode": "json"}
    if linkname:
        params["linkname"] = linkname
    url = f"{_bases(bases)['eutils']}/elink.fcgi?" + urlencode(params)
    data = _json(client.get(url, source="elink"), "elink")
    found: list[str] = []
    for linkset in data.get("linksets", []):
        for group in linkset.get("linksetdbs", []):
            if linkname is None or group.get("linkname") == linkname:
                found += [str(x) for x in group.get("links", []) if str(x) not in found]
    return found


def ctgov_pages(get_page: Callable[[str], dict[str, Any]], params: dict[str, str], *,
                page_size: int, base: str, token: str | None = None
                ) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """The one loop over ClinicalTrials.gov v2 search pages: (url, page, next token) per page,
    following nextPageToken (from `token`, to resume) until there is none or it repeats.
    `get_page` fetches and decodes one page URL, raising as its caller needs."""
    while True:
        query = {**params, "pageSize": str(page_size), "format": "json"}
        if token:
            query["pageToken"] = token
        url = f"{base.rstrip('/')}/studies?" + urlencode(query)
        data = get_page(url)
        next_token = data.get("nextPageToken")
        yield url, data, next_token
        if not next_token or next_token == token:
            return
        token = next_token


def ctgov_search(client: Client, params: dict[str, str], *, page_size: int = 100,
                 max_pages: int = 100, bases: dict[str, str] | None = None) -> Iterator[dict]:
    """Studies matching a ClinicalTrials.gov v2 query, following nextPageToken lazily."""
    pages = ctgov_pages(lambda url: _json(client.get(url, source="ctgov search"), "ctgov search"),
                        params, page_size=page_size, base=_bases(bases)["ctgov"])
    for _url, data, _next in itertools.islice(pages, max_pages):
        yield from data.get("studies", [])


# --- fetching sources into snapshots ------------------------------------------------------

def fetch_one(config: Config, ref: SourceRef, client: Client,
              bases: dict[str, str] | None = None) -> FetchResult:
    """GET one source and save it unless the server said 304 or the bytes are the same;
    then, if the source says `follow`, the Excel/PDF files its page links to."""
    result = _fetch_page(config, ref, client, bases)
    if ref.follow and result.ok:
        result = replace(result, attachments=tuple(fetch_attachments(config, ref, result,
                                                                     client)))
    if ref.history and ref.kind == "ctgov" and result.ok:  # its versions, each once
        result = replace(result, attachments=(*result.attachments, fetch_source_history(
            config, ref, client, bases)))
    return result


def _fetch_page(config: Config, ref: SourceRef, client: Client,
                bases: dict[str, str] | None) -> FetchResult:
    bases = bases or config.fetch.bases
    url = source_url(ref, bases)
    path = ref.snapshot or default_path(ref)
    try:
        return fetch_into(config, ref, client, url, path)
    except AuditorError as e:
        return failed(config, ref, url, path, str(e))


def selected_sources(config: Config, names: list[str] | None) -> list[SourceRef]:
    """The sources to fetch: those named, or every source with a url or identifier."""
    if names:
        known = {s.name: s for s in config.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"no source named {', '.join(map(repr, unknown))} in config; "
                              f"known: {', '.join(known) or 'none'}")
        return [known[n] for n in names]
    return [s for s in config.sources if s.url or s.identifier]


def skipped_sources(config: Config, names: list[str] | None) -> list[SourceRef]:
    """The sources a fetch of every source leaves out: those given only as a snapshot file
    (no url or identifier to fetch). None when sources are named."""
    return [] if names else [s for s in config.sources if not (s.url or s.identifier)]


def skipped_line(skipped: list[SourceRef]) -> str | None:
    """'5 sources skipped: snapshot only, no url or identifier to fetch (a, b, …)'."""
    if not skipped:
        return None
    names = ", ".join(s.name for s in skipped[:8]) + (", …" if len(skipped) > 8 else "")
    return (f"{len(skipped)} source{'s' if len(skipped) != 1 else ''} skipped: snapshot only, "
            f"no url or identifier to fetch ({names})")


def in_flight_for(host: str, config: Config) -> int:
    """Requests one host may have in flight: enough to keep it busy at its rate limit when a
    response takes ASSUMED_LATENCY; the limiter still spaces the requests 1/rate apart."""
    return max(1, math.ceil(rate_for(host, config.fetch) * ASSUMED_LATENCY))


def fetch_sources(config: Config, *, client: Client | None = None,
                  progress: bool | None = None, names: list[str] | None = None,
                  bases: dict[str, str] | None = None) -> list[FetchResult]:
    """Fetch every selected source into config.snapshot_dir; results in config order.

    Raises ConfigError before any request if a source has no URL; every other problem is a
    `failed` result with its reason, so one bad source never stops the others.
    """
    refs = selected_sources(config, names)
    bases = bases or config.fetch.bases
    lanes: dict[str, list[SourceRef]] = {}
    for ref in refs:
        host = urlsplit(source_url(ref, bases)).hostname or ""
        lanes.setdefault(host, []).append(ref)
    own = client is None
    http = client or make_client(config.fetch)
    show = sys.stderr.isatty() if progress is None else progress
    results: dict[str, FetchResult] = {}
    bar = tqdm(total=len(refs), disable=not show, unit="source", file=sys.stderr,
               desc="fetch")

    def run_one(ref: SourceRef) -> None:
        try:
            results[ref.name] = fetch_one(config, ref, http, bases)
        except Exception as e:  # a bug met by one source must not end the others' fetches
            logging.getLogger(__name__).exception("fetching %s", ref.name)
            results[ref.name] = FetchResult(
                ref.name, source_url(ref, bases), "failed", None,
                f"source {ref.name!r}: internal error while fetching ({type(e).__name__}: "
                f"{str(e)[:200]}); the other sources were fetched; please report this")
        bar.update(1)

    def run_lane(host: str, lane: list[SourceRef]) -> None:
        in_flight = min(len(lane), in_flight_for(host, config))
        if in_flight == 1:
            for ref in lane:
                run_one(ref)
            return
        with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="fetch") as pool:
            list(pool.map(run_one, lane))

    try:
        workers = max(1, min(config.fetch.concurrency, len(lanes)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="host") as pool:
            futures = [pool.submit(run_lane, host, lane) for host, lane in lanes.items()]
            for future in as_completed(futures):
                future.result()
    finally:
        bar.close()
        if own:
            http.close()
    return [r for ref in refs for r in (results[ref.name], *results[ref.name].attachments)]


def summary_line(result: FetchResult) -> str:
    """One line per source for the CLI: name, status and the reason or the file."""
    if result.status in ("failed", "broken"):
        return f"{result.source}: {result.status}: {result.error}"
    where = f" → {result.snapshot.path}" if result.snapshot else ""
    return f"{result.source}: {result.status.replace('_', ' ')}{where}"


__all__ = [
    "BASES",
    "FetchResult",
    "ctgov_search",
    "default_path",
    "elink",
    "esearch",
    "fetch_one",
    "fetch_sources",
    "skipped_line",
    "skipped_sources",
    "summary_line",
    "url_for",
]
