"""Saving what a fetch brought: one conditional GET of a URL into a source's snapshot, byte for
byte with its manifest entry. Shared by page sources and their attachments, so both say
"304", "unchanged" and "saved" the same way."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from auditor import snapshots
from auditor.acquire.http import Client, Response
from auditor.config import Config
from auditor.errors import AuditorError
from auditor.models import Snapshot, SourceRef, now_utc

EXTENSIONS = {"ctgov": ".json", "crossref": ".json", "europepmc": ".json", "pubmed": ".xml",
              "ictrp": ".xml", "jrct": ".html", "mhlw": ".html", "pmda": ".html",
              "page": ".html", "mhlw_excel": ".xlsx", "mhlw_pdf": ".pdf", "umin": ".html",
              "ctgov_xml": ".xml", "jats": ".xml",
              "isrctn": ".xml", "euctr": ".txt", "ctis": ".json"}

Status = Literal["saved", "unchanged", "not_modified", "failed"]


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
        return self.status != "failed"


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
        return FetchResult(ref.name, response.url, "not_modified", previous)
    if check is not None:
        check(response)
    if previous is not None and snapshots.sha256(response.body) == previous.sha256:
        return FetchResult(ref.name, response.url, "unchanged", previous)
    return save_response(config, ref, path, response, note=note)


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
