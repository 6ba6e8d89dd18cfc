"""A ClinicalTrials.gov record's change history: the change list and every version, as the
website's History of Changes tab reads them (the endpoints and what we know of their shape:
sources/ctgov.py, "the change history").

    GET {ctgov_int}/studies/{NCT}/history            → changes.json   (conditional GET)
    GET {ctgov_int}/studies/{NCT}/history/{version}  → version-{N}.json (once, ever)

Each version is a snapshot of its own in `<folder>/ctgov-<NCT>-history/`, with its manifest
entry (URL, retrieval time, sha256). A posted version never changes, so one already on disk is
never requested again: a fetch killed half-way resumes where it stopped, and a re-run costs one
conditional request for the change list. Every request goes through the one HTTP client
(`http.py`: per-host rate limit, retries, deadlines). A version that cannot be fetched (a 404)
is named in the result; the others are kept and judged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from auditor import snapshots
from auditor.acquire.http import Client, Response
from auditor.acquire.saving import FetchResult, Status, default_path, fetch_into, save_response
from auditor.config import Config
from auditor.errors import AuditorError, SnapshotError
from auditor.models import RegistryVersion, SourceRef, stamp
from auditor.read.documents import Document
from auditor.sources import BASES, ctgov

CHANGES = "changes.json"


def folder_for(parent: str, nct: str) -> str:
    """Where one record's history is kept, inside a snapshot folder (e.g. 'compare')."""
    name = f"ctgov-{nct.upper()}-history"
    parent = parent.strip("/")
    return f"{parent}/{name}" if parent not in ("", ".") else name


def version_file(number: int) -> str:
    return f"version-{number}.json"


@dataclass
class HistoryResult:
    """What fetching one record's history did."""

    nct: str
    folder: str
    changes: list[dict] = field(default_factory=list)
    fetched: list[int] = field(default_factory=list)  # versions requested this time
    kept: list[int] = field(default_factory=list)  # versions already on disk: not requested
    failed: dict[int, str] = field(default_factory=dict)  # version → why it is missing
    error: str | None = None  # the change list could not be fetched (nor an earlier copy)

    @property
    def problems(self) -> list[str]:
        out = [f"{self.nct} history: {self.error}"] if self.error else []
        return out + [f"{self.nct} history version {n}: {why}"
                      for n, why in sorted(self.failed.items())]


def _ref(source: str, subject: str, path: str) -> SourceRef:
    return SourceRef(name=source, subject=subject, kind="ctgov", snapshot=path)


def _doc(root: Path, path: str, name: str) -> tuple[snapshots.Snapshot, Document]:
    snap, body = snapshots.load(root, path, source=name, kind="ctgov")
    return snap, Document(body, snap.media_type, snap.url, f"{name} ({path})")


def fetch_history(config: Config, nct: str, client: Client, parent: str, *,
                  source: str, subject: str = "compare",
                  bases: dict[str, str] | None = None) -> HistoryResult:
    """Fetch the change list (conditionally) and every version not yet on disk."""
    bases = {**BASES, **config.fetch.bases, **(bases or {})}
    folder = folder_for(parent, nct)
    result = HistoryResult(nct=nct.upper(), folder=folder)
    changes_path = f"{folder}/{CHANGES}"
    name = f"{source} history"

    def valid_list(response: Response) -> None:
        ctgov.history_changes(Document(response.body, "application/json", response.url, name))

    try:
        fetch_into(config, _ref(name, subject, changes_path), client,
                   ctgov.history_url(nct, bases), changes_path, check=valid_list)
    except AuditorError as e:
        if not (config.snapshot_dir / changes_path).is_file():
            result.error = str(e)
            return result
        result.error = f"{e}; the change list fetched before is used"
    try:
        result.changes = ctgov.history_changes(_doc(config.snapshot_dir, changes_path, name)[1])
    except AuditorError as e:
        result.error = str(e)
        return result
    for change in result.changes:
        number = change["version"]
        path = f"{folder}/{version_file(number)}"
        if _have(config, path, nct, number):
            result.kept.append(number)
            continue
        url = ctgov.history_url(nct, bases, number)
        try:
            response = client.get(url, source=f"{source} version {number}")
            ctgov.read_version(Document(response.body, response.media_type, url,
                                        f"{name} version {number}"), nct, number)
        except AuditorError as e:
            result.failed[number] = str(e)
            continue
        save_response(config, _ref(f"{source} version {number}", subject, path), path, response,
                      note=f"{nct} version {number} of {change['date']} (History of Changes)")
        result.fetched.append(number)
    return result


def _have(config: Config, path: str, nct: str, number: int) -> bool:
    """A version on disk that reads as that version: never fetched again."""
    if not (config.snapshot_dir / path).is_file():
        return False
    try:
        ctgov.read_version(_doc(config.snapshot_dir, path, "kept")[1], nct, number)
    except AuditorError:
        return False  # half a file from by hand, or another record's: fetch it again
    return True


def load_history(root: Path, folder: str, nct: str, *, source: str,
                 subject: str = "compare") -> tuple[list[RegistryVersion], dict[int, str]]:
    """The versions kept in `root/folder` (see folder_for), read into claims, oldest first;
    and what is missing, version → why (in the change list without a file, or a file that
    does not read)."""
    if not (root / folder / CHANGES).is_file():
        return [], {}
    changes = ctgov.history_changes(_doc(root, f"{folder}/{CHANGES}", source)[1])
    versions: list[RegistryVersion] = []
    missing: dict[int, str] = {}
    for change in changes:
        path = f"{folder}/{version_file(change['version'])}"
        if not (root / path).is_file():
            missing[change["version"]] = f"{nct} history version {change['version']} " \
                                         f"({change['date']}): not fetched yet"
            continue
        try:
            snap, doc = _doc(root, path, source)
            number, readings, facts = ctgov.read_version(doc, nct, change["version"])
        except (AuditorError, SnapshotError) as e:
            missing[change["version"]] = f"{nct} history version {change['version']}: {e}"
            continue
        versions.append(RegistryVersion(
            source=source, registry_id=nct.upper(), version=number, date=change["date"],
            status=change["status"], module_labels=change["module_labels"],
            claims=stamp(readings, subject=subject, ref=_ref(source, subject, path),
                         snapshot=snap, role="registry"),
            url=snap.url, snapshot_sha256=snap.sha256, results_posted=facts["results_posted"],
            path=path, retrieved_at=snap.retrieved_at))
    return versions, missing


def history_folders(root: Path) -> list[tuple[str, str]]:
    """(parent folder, NCT) of every history kept under a snapshot folder."""
    found = []
    for changes in sorted(root.glob(f"**/ctgov-NCT*-history/{CHANGES}")):
        folder = changes.parent
        nct = folder.name.removeprefix("ctgov-").removesuffix("-history")
        found.append((str(folder.parent.relative_to(root)), nct))
    return found


# --- a configured source's history (`history = true` on a ctgov source) ------------------

def nct_of(ref: SourceRef) -> str | None:
    """The NCT number a ClinicalTrials.gov source names (its identifier, else its URL)."""
    found = re.search(r"NCT\d{8}", f"{ref.identifier or ''} {ref.url or ''}", re.IGNORECASE)
    return found.group(0).upper() if found else None


def source_folder(ref: SourceRef) -> str:
    """The folder beside the source's snapshot where its history is kept."""
    return str(PurePosixPath(ref.snapshot or default_path(ref)).parent)


def fetch_source_history(config: Config, ref: SourceRef, client: Client,
                         bases: dict[str, str] | None = None) -> FetchResult:
    """Fetch a configured source's history; one result, named '<source> history', failed
    when the change list or any version could not be fetched (the rest are kept)."""
    name = f"{ref.name} history"
    nct = nct_of(ref)
    if nct is None:
        return FetchResult(name, ref.url or "", "failed", None,
                           f"source {ref.name!r}: history = true, but no NCT number in its "
                           "identifier or url; give identifier = \"NCT…\"")
    bases = {**BASES, **config.fetch.bases, **(bases or {})}
    result = fetch_history(config, nct, client, source_folder(ref), source=ref.name,
                           subject=ref.subject, bases=bases)
    url = ctgov.history_url(nct, bases)
    if result.error and not result.changes or result.failed:
        return FetchResult(name, url, "failed", None, "; ".join(result.problems))
    status: Status = "saved" if result.fetched else "unchanged"
    return FetchResult(name, url, status, None,
                       f"{len(result.changes)} versions, {len(result.fetched)} new")


def source_history(config: Config, ref: SourceRef) -> tuple[list[RegistryVersion], list[str]]:
    """The versions of a configured source kept on disk (none before its history is fetched),
    and what is missing."""
    nct = nct_of(ref)
    if not ref.history or nct is None:
        return [], []
    versions, missing = load_history(config.snapshot_dir, folder_for(source_folder(ref), nct),
                                     nct, source=ref.name, subject=ref.subject)
    return versions, list(missing.values())
