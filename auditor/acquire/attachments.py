"""Attachments of MHLW/PMDA index pages: the Excel and PDF files that hold the numbers.

A price-listing notice is an HTML page that links its tables as .xlsx and .pdf files. A source
with ``follow = "xlsx,pdf"`` has, after its page is fetched, each same-site link to those files
fetched too and saved as its own snapshot beside the page:
``<subject>/<page stem>.attachments/<file name>``, with a manifest entry naming the page it was
linked from. `attachments_of` turns what was saved into sources the audit can read.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from auditor import snapshots, sources
from auditor.acquire.http import Client, Response, site
from auditor.acquire.saving import FetchResult, default_path, failed, fetch_into
from auditor.config import Config
from auditor.errors import AuditorError, ConfigError
from auditor.models import SourceRef
from auditor.read.documents import Document

#: File extension → the source kind that reads it.
KIND_BY_EXTENSION = {"xlsx": "mhlw_excel", "pdf": "mhlw_pdf"}


def follow_extensions(ref: SourceRef) -> list[str]:
    """The extensions `ref.follow` names ('xlsx,pdf' → ['xlsx', 'pdf'])."""
    wanted = [e.strip().lower().lstrip(".") for e in (ref.follow or "").split(",") if e.strip()]
    unknown = [e for e in wanted if e not in KIND_BY_EXTENSION]
    if unknown:
        raise ConfigError(f"source {ref.name!r}: follow = {ref.follow!r} names "
                          f"{', '.join(unknown)}; use {', '.join(KIND_BY_EXTENSION)} "
                          "(comma-separated) in config.toml")
    return wanted


def attachment_folder(page_path: str) -> str:
    """'amchepry/mhlw-price.html' → 'amchepry/mhlw-price.attachments'."""
    path = PurePosixPath(page_path)
    return str(path.with_name(f"{path.stem}.attachments"))


def linked_files(page: Document, page_url: str, extensions: list[str]) -> list[str]:
    """Absolute URLs of the page's <a href> links to files of those extensions, same site
    only (a link to another site is not the notice's own attachment), each once, in order."""
    home = site(urlsplit(page_url).hostname or "")
    found: list[str] = []
    for a in page.html.find_all("a", href=True):
        url = urljoin(page_url, str(a["href"]).strip()).split("#")[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or site(parts.hostname or "") != home:
            continue
        if _extension(url) in extensions and url not in found:
            found.append(url)
    return found


def _extension(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).suffix.lower().lstrip(".")


def file_name(url: str, taken: set[str]) -> str:
    """A safe file name from the URL's last path segment, made unique among `taken`."""
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    name = re.sub(r"[^\w.\-]+", "_", name).lstrip(".") or f"attachment.{_extension(url)}"
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{stem}-{n}{suffix}"
    taken.add(unique)
    return unique


def fetch_attachments(config: Config, ref: SourceRef, page_result: FetchResult,
                      client: Client) -> list[FetchResult]:
    """Fetch the files the page of `ref` links to; one result per file, named
    '<source>/<file>'. Nothing is fetched when the page itself failed."""
    if not page_result.ok or page_result.snapshot is None:
        return []
    page_path = page_result.snapshot.path
    try:
        extensions = follow_extensions(ref)
        snapshot, body = snapshots.load(config.snapshot_dir, page_path, source=ref.name,
                                        kind=ref.kind)
        page_url = snapshot.final_url or snapshot.url
        urls = linked_files(Document(body, snapshot.media_type, page_url, ref.name),
                            page_url, extensions)
    except AuditorError as e:
        return [FetchResult(f"{ref.name}/attachments", page_result.url, "failed", None,
                            f"source {ref.name!r}: cannot list its attachments: {e}")]
    folder = attachment_folder(page_path)
    taken: set[str] = set()
    results = []
    for url in urls:
        name = file_name(url, taken)
        attachment = SourceRef(name=f"{ref.name}/{name}", subject=ref.subject,
                               kind=KIND_BY_EXTENSION[_extension(url)], url=url,
                               snapshot=f"{folder}/{name}")
        results.append(_fetch_attachment(config, attachment, client, page_url))
    return results


def _fetch_attachment(config: Config, ref: SourceRef, client: Client,
                      page_url: str) -> FetchResult:
    """As a page source, but the body must be the file its extension says (a server often
    answers a dead link with an HTML page) and the manifest names the linking page."""
    assert ref.url is not None and ref.snapshot is not None
    url = ref.url

    def is_the_file(response: Response) -> None:
        if not sources.module(ref.kind).detect(Document(response.body, response.media_type)):
            raise AuditorError(
                f"attachment {ref.name!r}: {response.url} did not return a "
                f"{_extension(url)} file (got {response.media_type}, "
                f"{len(response.body):,} bytes); check the link on {page_url}")

    try:
        return fetch_into(config, ref, client, url, ref.snapshot, check=is_the_file,
                          note=f"attachment linked from {page_url}")
    except AuditorError as e:
        message = str(e) if str(e).startswith("attachment") else f"attachment {ref.name!r}: {e}"
        return failed(config, ref, url, ref.snapshot, message)


def attachments_of(config: Config, ref: SourceRef) -> list[SourceRef]:
    """The saved attachments of a page source, as sources the audit can read (kind by
    extension, name '<source>/<file>'), in file-name order."""
    folder = attachment_folder(ref.snapshot or default_path(ref))
    directory = snapshots.safe_path(config.snapshot_dir, folder)
    if not directory.is_dir():
        return []
    manifest = snapshots.read_manifest(directory)
    found: list[SourceRef] = []
    for file in sorted(directory.iterdir()):
        kind = KIND_BY_EXTENSION.get(file.suffix.lower().lstrip("."))
        if kind is None or not file.is_file():
            continue
        found.append(SourceRef(name=f"{ref.name}/{file.name}", subject=ref.subject, kind=kind,
                               url=manifest.get(file.name, {}).get("url"),
                               snapshot=f"{folder}/{file.name}"))
    return found
