"""Saving what a fetch brought: one conditional GET of a URL into a source's snapshot, byte for
byte with its manifest entry. Shared by page sources and their attachments, so both say
"304", "unchanged" and "saved" the same way."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from auditor import snapshots, sources
from auditor.acquire.http import Client, Response
from auditor.config import Config
from auditor.errors import AuditorError
from auditor.models import Snapshot, SourceRef, now_utc
from auditor.read.documents import Document
from auditor.rules import health

EXTENSIONS = {"ctgov": ".json", "crossref": ".json", "europepmc": ".json", "pubmed": ".xml",
              "ictrp": ".xml", "jrct": ".html", "mhlw": ".html", "pmda": ".html",
              "page": ".html", "mhlw_excel": ".xlsx", "mhlw_pdf": ".pdf", "umin": ".html",
              "ctgov_xml": ".xml", "jats": ".xml",
              "isrctn": ".xml", "euctr": ".txt", "ctis": ".json"}

Status = Literal["saved", "unchanged", "not_modified", "broken", "failed"]


@dataclass(frozen=True)
class FetchResult:
    """What happened to one source. On failure `snapshot` is the last good one, if any."""

    source: str
    url: str
    status: Status
    snapshot: Snapshot | None = None
    error: str | None = None
    attachments: tuple[FetchResult, ...] = ()  # files the page links to (`follow`)

    @property
    def ok(self) -> bool:
        """Fetched and good: a broken copy (an error page served with HTTP 200) is not."""
        return self.status not in ("failed", "broken")


def default_path(ref: SourceRef) -> str:
    """Where a source's snapshot goes when the config names none: <subject>/<name>.<ext>."""
    return f"{ref.subject}/{ref.name}{EXTENSIONS.get(ref.kind, '.bin')}"


_LOCKS_LOCK = threading.Lock()
_FOLDER_LOCKS: dict[str, threading.Lock] = {}


def _folder_lock(config: Config, path: str) -> threading.Lock:
    """One lock per snapshot folder: sources saved there share one manifest.json."""
    folder = str(snapshots.safe_path(config.snapshot_dir, path).parent)
    with _LOCKS_LOCK:
        return _FOLDER_LOCKS.setdefault(folder, threading.Lock())


def _previous(config: Config, ref: SourceRef, path: str) -> tuple[Snapshot | None, dict]:
    """The last saved snapshot of this source and its manifest entry, if there is one."""
    file = snapshots.safe_path(config.snapshot_dir, path)
    if not file.is_file():
        return None, {}
    entry = snapshots.read_manifest(file.parent).get(file.name, {})
    snapshot, _ = snapshots.load(config.snapshot_dir, path, source=ref.name, kind=ref.kind)
    return snapshot, entry


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def save_response(config: Config, ref: SourceRef, path: str, response: Response,
                  note: str | None = None) -> FetchResult:
    """Save a response's body byte for byte as the source's snapshot, with its manifest entry."""
    snapshot = Snapshot(
        source=ref.name, kind=ref.kind, url=response.url, final_url=response.final_url,
        retrieved_at=now_utc(), media_type=response.media_type,
        sha256=snapshots.sha256(response.body), path=path, provenance="fetched",
        status=response.status, headers=response.headers, note=note)
    with _folder_lock(config, path):
        saved = snapshots.save(config.snapshot_dir, path, response.body, snapshot)
    return FetchResult(ref.name, response.url, "saved", saved)


def fetch_into(config: Config, ref: SourceRef, client: Client, url: str, path: str, *,
               check: Callable[[Response], None] | None = None,
               note: str | None = None) -> FetchResult:
    """GET `url` (conditionally, with the saved ETag/Last-Modified) and save it as `path`
    unless the server said 304 or the bytes are the same. `check` may refuse a body by raising
    AuditorError; every AuditorError propagates to the caller."""
    previous, entry = _previous(config, ref, path)
    headers = entry.get("headers", {}) if entry.get("provenance") == "fetched" else {}
    response = client.get(url, source=ref.name, etag=_header(headers, "ETag"),
                          last_modified=_header(headers, "Last-Modified"))
    if response.not_modified:
        if previous is None:
            raise AuditorError(f"source {ref.name!r}: HTTP 304 but no saved snapshot; delete "
                               "its manifest entry and fetch again")
        _healed(config, path, entry)
        return FetchResult(ref.name, response.url, "not_modified", previous)
    if check is not None:
        check(response)
    if previous is not None and snapshots.sha256(response.body) == previous.sha256:
        if not (entry.get("broken") or {}).get("sha256") == previous.sha256:
            _healed(config, path, entry)
        return FetchResult(ref.name, response.url, "unchanged", previous)
    problem = broken_copy(config, ref, path, response, previous)
    if problem is not None:
        return keep_broken(config, ref, path, response, problem, previous)
    return save_response(config, ref, path, response, note=note)


def broken_copy(config: Config, ref: SourceRef, path: str, response: Response,
                previous: Snapshot | None) -> health.Problem | None:
    """What is wrong with a body served with HTTP 200, if anything: an error page, a login
    wall or an empty shell; a document that no longer names the subject; a configured
    selector that gave a value in the saved copy and matches nothing in this one."""
    if not config.rule(health.RULE).enabled:
        return None
    doc = Document(response.body, response.media_type, response.url, ref.name, ref.selectors)
    problem = health.page_problem(doc)
    if problem is not None or previous is None:
        return problem
    try:
        body = snapshots.safe_path(config.snapshot_dir, path).read_bytes()
    except OSError:
        return None
    before = Document(body, previous.media_type, previous.url, ref.name, ref.selectors)
    subject = next((s for s in config.subjects if s.id == ref.subject), None)
    if subject is not None and not subject.adhoc:
        problem = health.lost_mention(before, doc, health.names_of(subject, ref))
    if problem is None and ref.selectors:
        try:
            problem = health.dead_selectors(sources.parse(ref.kind, before),
                                            sources.parse(ref.kind, doc))
        except AuditorError:  # the audit reports a page that cannot be read
            return None
    return problem


def keep_broken(config: Config, ref: SourceRef, path: str, response: Response,
                problem: health.Problem, previous: Snapshot | None) -> FetchResult:
    """Keep a broken copy's bytes as evidence without making it current: the last good
    snapshot stays the one the manifest names and the audit reads."""
    with _folder_lock(config, path):
        mark = snapshots.mark_broken(config.snapshot_dir, path, response.body, {
            "source": ref.name, "kind": ref.kind, "url": response.url,
            "media_type": response.media_type, "retrieved_at": now_utc(),
            "problem": problem.reason, "seen": problem.seen, "where": problem.where})
    again = f" ({mark['count']} broken fetches in a row)" if mark["count"] > 1 else ""
    kept = (f"the last good snapshot, retrieved {previous.retrieved_at}, is kept as current"
            if previous is not None else "there is no earlier snapshot of this source")
    current = previous
    if current is None:
        current, _ = snapshots.load(config.snapshot_dir, path, source=ref.name, kind=ref.kind)
    return FetchResult(ref.name, response.url, "broken", current,
                       f"{problem.reason}: “{problem.seen[:120]}”{again}; {kept}")


def _healed(config: Config, path: str, entry: dict) -> None:
    """A good answer after broken ones: drop the broken mark from the manifest entry."""
    if entry.get("broken"):
        with _folder_lock(config, path):
            snapshots.clear_broken(config.snapshot_dir, path)


def last_good(config: Config, ref: SourceRef, path: str) -> Snapshot | None:
    """The source's saved snapshot, kept when a fetch fails; None if there is none (or it
    cannot be read)."""
    try:
        return _previous(config, ref, path)[0]
    except AuditorError:
        return None


def failed(config: Config, ref: SourceRef, url: str, path: str, error: str) -> FetchResult:
    """A failed fetch, saying whether an earlier snapshot of the source is kept (and from
    when) or there is none: never "the last good snapshot" of a source never fetched."""
    last = last_good(config, ref, path)
    kept = (f"; the last good snapshot, retrieved {last.retrieved_at}, is kept" if last
            else "; there is no earlier snapshot of this source")
    return FetchResult(ref.name, url, "failed", last, error.rstrip(".") + kept)
