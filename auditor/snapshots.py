"""Save, load and replay snapshots. A folder of snapshots has a manifest.json that says, for
each file, its URL, when it was retrieved, its media type and whether it is verbatim,
reconstructed or fetched. Offline audits read the bytes exactly as saved.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.errors import SnapshotError
from auditor.models import DEFAULT_BYTES, Limits, Snapshot, now_utc

MANIFEST = "manifest.json"
#: Beside each folder's files: every version of each, byte for byte, as <sha256><suffix>.
VERSIONS = ".versions"


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@functools.lru_cache(maxsize=4096)
def _real(path: str) -> str:
    return os.path.realpath(path)


def safe_path(root: Path, relative: str) -> Path:
    """root/relative, refusing absolute paths and '..' (or links) that would leave root.
    Folder resolutions are cached: an audit reads several files from each folder."""
    real_root = _real(str(root))
    folder, name = os.path.split(os.path.normpath(os.path.join(real_root, relative)))
    candidate = os.path.join(_real(folder), name)
    if os.path.islink(candidate):
        candidate = os.path.realpath(candidate)
    if os.path.isabs(relative) or os.path.commonpath([real_root, candidate]) != real_root:
        raise SnapshotError(
            f"snapshot path {relative!r} escapes the snapshot folder {root}; "
            "use a path inside it"
        )
    return Path(candidate)


def read_manifest(folder: Path) -> dict[str, dict]:
    """file name → manifest entry, for one folder. A missing manifest is an empty one."""
    path = folder / MANIFEST
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    return dict(_manifest(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _manifest(path_text: str, mtime_ns: int, size: int) -> dict[str, dict]:
    """Parsed once per folder and version of the file, not once per snapshot."""
    path = Path(path_text)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SnapshotError(f"{path}: manifest is not valid JSON ({e}); fix or delete it") from e
    return {entry["file"]: entry for entry in data.get("snapshots", [])}


def load(root: Path, relative: str, *, source: str, kind: str, url: str | None = None,
         limits: Limits | None = None) -> tuple[Snapshot, bytes]:
    """Read one snapshot and its manifest entry. The sha256 is always of the bytes on disk.
    With `limits`, a file over its kind's size cap is refused by its size, before a byte of
    it is read into memory (LimitError; `describe` still says what it is)."""
    path = _existing(root, relative, source)
    if limits is not None:
        limits.check_size(kind, path.stat().st_size, f"{source} ({path})")
    body = path.read_bytes()
    return _snapshot(path, relative, source, kind, url, sha256(body)), body


def describe(root: Path, relative: str, *, source: str, kind: str,
             url: str | None = None) -> Snapshot:
    """A snapshot's manifest facts and sha256 without holding its bytes (hashed in chunks):
    for a file too large to read, which is still a version the audit must name."""
    path = _existing(root, relative, source)
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            h.update(chunk)
    return _snapshot(path, relative, source, kind, url, h.hexdigest())


def _existing(root: Path, relative: str, source: str) -> Path:
    path = safe_path(root, relative)
    if not path.is_file():
        raise SnapshotError(
            f"{path}: snapshot for source {source!r} is missing; run `auditor fetch` "
            "or fix the `snapshot` path in config.toml"
        )
    return path


def _snapshot(path: Path, relative: str, source: str, kind: str, url: str | None,
              sha: str) -> Snapshot:
    entry = read_manifest(path.parent).get(path.name, {})
    return Snapshot(
        source=source,
        kind=kind,
        url=entry.get("url") or url or path.as_uri(),
        final_url=entry.get("final_url"),
        retrieved_at=entry.get("retrieved_at")
        or now_from_mtime(path),
        media_type=entry.get("media_type") or guess_media_type(path),
        sha256=sha,
        path=relative,
        provenance=entry.get("provenance", "fetched"),
        status=entry.get("status"),
        headers=entry.get("headers", {}),
        note=entry.get("note"),
    )


def load_file(path: Path, *, kind: str, limits: Limits | None = None
              ) -> tuple[Snapshot, bytes]:
    """A snapshot from any file (for `auditor compare`), using a manifest beside it if any.
    `kind` "?" (not yet known) is held to the largest cap any kind has."""
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file; give the path of a saved snapshot")
    if limits is not None and kind == "?":
        biggest = max(limits.bytes_for(k)[0] for k in ["default", *limits.bytes, *DEFAULT_BYTES])
        limits = Limits(bytes={"default": biggest})
    return load(path.parent, path.name, source=path.stem, kind=kind, limits=limits)


def now_from_mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(
        microsecond=0).isoformat()


def guess_media_type(path: Path) -> str:
    return {".json": "application/json", ".xml": "application/xml", ".html": "text/html",
            ".htm": "text/html"}.get(path.suffix.lower(), "application/octet-stream")


def version_path(store: Path, sha: str, suffix: str) -> Path:
    """Where the version with this sha256 is kept in a store of versions (a `.versions`
    folder: one beside each snapshot folder for what fetches replace, one beside each
    database for what its audits cite)."""
    return store / f"{sha}{suffix}"


def versions_for(database: Path) -> Path:
    """The store of versions an audit database's citations are kept in: audit.db →
    audit.versions/, beside it (so audits never write into a folder of bundled snapshots)."""
    return database.with_suffix(VERSIONS)


def keep(store: Path, body: bytes, sha: str | None = None, suffix: str = "") -> Path:
    """Keep these bytes in a store of versions, content-addressed, once: whatever later
    replaces or edits the snapshot file, these bytes stay on disk."""
    target = version_path(store, sha or sha256(body), suffix)
    if not target.is_file():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(target, body)
        except OSError as e:
            raise SnapshotError(f"{target.parent}: cannot keep a version of a snapshot here "
                                f"({e.strerror or e}); make the folder writable: every "
                                "version an audit cites or a fetch replaces is kept") from e
    return target


def keep_current(root: Path, relative: str) -> None:
    """Keep the bytes now at root/relative (about to be replaced) in root/.versions, once."""
    path = safe_path(root, relative)
    if path.is_file():
        keep(root / VERSIONS, path.read_bytes(), suffix=path.suffix)


def resolve(root: Path, relative: str, sha: str, stores: tuple[Path, ...] = ()) -> bytes:
    """The bytes of one version of a snapshot, checked against its sha256: from root's store
    of versions, the given stores (a database's), or the file while it is that version."""
    path = safe_path(root, relative)
    candidates = [version_path(s, sha, path.suffix) for s in (root / VERSIONS, *stores)]
    for candidate in [*candidates, path]:
        if candidate.is_file():
            body = candidate.read_bytes()
            if sha256(body) == sha:
                return body
    raise SnapshotError(f"{path}: no version with sha256 {sha} is kept (looked in "
                        f"{', '.join(str(c.parent) for c in candidates)}); the evidence was "
                        "deleted or edited by hand")


def save(root: Path, relative: str, body: bytes, snapshot: Snapshot) -> Snapshot:
    """Write body and its manifest entry atomically (a kill never leaves half a file). The
    bytes it replaces are kept in root/.versions/ first; the manifest entry names the current
    version and lists those it replaced."""
    path = safe_path(root, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(path.parent)
    old = manifest.get(path.name, {})
    versions = list(old.get("versions", []))
    previous = path.read_bytes() if path.is_file() else None
    if previous is not None and sha256(previous) != sha256(body):
        keep(root / VERSIONS, previous, suffix=path.suffix)  # even bytes saved by hand
        versions = [{k: x for k, x in v.items() if k != "pruned_at"}  # kept again
                    if v["sha256"] == sha256(previous) else v for v in versions]
        if sha256(previous) not in {v["sha256"] for v in versions}:
            versions.append({"sha256": sha256(previous), "retrieved_at":
                             old.get("retrieved_at") or now_from_mtime(path)})
    _atomic_write(path, body)  # the current version: kept under .versions when replaced
    snapshot = snapshot.model_copy(update={"sha256": sha256(body), "path": relative})
    entry = snapshot.model_dump(exclude={"path", "source", "kind"}, exclude_none=True)
    entry = {"file": path.name, "source": snapshot.source, "kind": snapshot.kind, **entry}
    if versions:
        entry["versions"] = versions
    manifest[path.name] = entry
    write_manifest(path.parent, manifest)
    return snapshot


def mark_broken(root: Path, relative: str, body: bytes, record: dict[str, Any]) -> dict:
    """A fetch brought a broken copy (an error page, a dead selector...): keep its bytes in
    root/.versions and say so in the manifest entry (`broken`: sha256, retrieved_at, problem,
    how many broken fetches in a row), leaving the current file, the last good copy, as it
    is. With no current file the broken copy is saved as current, marked broken. The next
    good save drops the mark."""
    path = safe_path(root, relative)
    sha = sha256(body)
    keep(root / VERSIONS, body, sha, path.suffix)
    manifest = read_manifest(path.parent)
    entry = manifest.get(path.name)
    if entry is None or not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, body)
        entry = {"file": path.name, **{k: v for k, v in record.items()
                                         if k in ("source", "kind", "url", "media_type")},
                 "retrieved_at": record.get("retrieved_at"), "provenance": "fetched",
                 "sha256": sha}
    before = entry.get("broken") or {}
    mark = {"sha256": sha, "retrieved_at": record.get("retrieved_at"),
            "problem": record.get("problem"), "seen": record.get("seen"),
            "where": record.get("where"), "count": int(before.get("count", 0)) + 1,
            "since": before.get("since") or record.get("retrieved_at")}
    manifest[path.name] = {**entry, "broken": mark}
    write_manifest(path.parent, manifest)
    return mark


def broken_mark(root: Path, relative: str) -> dict | None:
    """The manifest's `broken` mark of a snapshot (see mark_broken), or None."""
    path = safe_path(root, relative)
    return read_manifest(path.parent).get(path.name, {}).get("broken")


def clear_broken(root: Path, relative: str) -> None:
    """Drop the `broken` mark of a snapshot's manifest entry (a good copy came back)."""
    path = safe_path(root, relative)
    manifest = read_manifest(path.parent)
    entry = dict(manifest.get(path.name, {}))  # the parsed manifest is cached: copy first
    if entry.pop("broken", None) is not None:
        manifest[path.name] = entry
        write_manifest(path.parent, manifest)


def prune(root: Path, *, keep_versions: int | None, keep_days: int | None,
          cited: set[str], now: datetime | None = None) -> list[str]:
    """Delete old replaced versions under root/.versions, by an explicit retention setting
    only: a version is kept while it is one of its file's `keep_versions` newest replaced
    versions or younger than `keep_days` (either keeps it), and always while `cited` (every
    sha256 the audit database cites) holds it. The manifest keeps a line for each pruned
    version, with `pruned_at`, so the history still says it existed. Returns the sha256s
    deleted."""
    if keep_versions is None and keep_days is None:
        return []
    now = now or datetime.now(UTC)
    store = root / VERSIONS
    pruned: list[str] = []
    for manifest_path in sorted(root.rglob(MANIFEST)):
        if VERSIONS in manifest_path.relative_to(root).parts:
            continue
        manifest = read_manifest(manifest_path.parent)
        changed = False
        for name, entry in manifest.items():
            versions = [dict(v) for v in entry.get("versions", [])]
            # newest first; versions are listed in the order they were replaced (a tie on
            # retrieved_at, which has whole seconds, goes by that order)
            alive = [v for _, _, v in sorted(
                ((str(v.get("retrieved_at") or ""), i, v) for i, v in enumerate(versions)
                 if not v.get("pruned_at")), key=lambda t: (t[0], t[1]), reverse=True)]
            for rank, version in enumerate(alive):
                sha = str(version.get("sha256"))
                young = keep_days is not None and _age_days(version, now) < keep_days
                recent = keep_versions is not None and rank < keep_versions
                if young or recent or sha in cited or sha == entry.get("sha256") or \
                        sha == (entry.get("broken") or {}).get("sha256"):
                    continue
                for file in store.glob(f"{sha}*"):
                    file.unlink()
                version["pruned_at"] = now.replace(microsecond=0).isoformat()
                pruned.append(sha)
                changed = True
            if changed:
                manifest[name] = {**entry, "versions": versions}
        if changed:
            write_manifest(manifest_path.parent, manifest)
    return pruned


def _age_days(version: dict, now: datetime) -> float:
    try:
        when = datetime.fromisoformat(str(version.get("retrieved_at")))
    except ValueError:
        return 0.0  # an undated version is kept by keep_days
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (now - when).total_seconds() / 86400


def register(folder: Path, file: str, **entry: object) -> None:
    """Add or replace one manifest entry (url, retrieved_at, media_type, provenance, note...)."""
    manifest = read_manifest(folder)
    body = (folder / file).read_bytes()
    manifest[file] = {"file": file, **entry, "sha256": sha256(body)}
    write_manifest(folder, manifest)


def write_manifest(folder: Path, entries: dict[str, dict]) -> None:
    """Write a folder's manifest.json (file name → entry), entries in file-name order."""
    write_json(folder / MANIFEST, {"snapshots": sorted(entries.values(), key=lambda e: e["file"])})


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically (a kill never leaves half a file), indented, UTF-8."""
    _atomic_write(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["broken_mark", "clear_broken", "describe", "keep", "keep_current", "load",
           "load_file", "mark_broken", "now_utc", "prune", "read_manifest", "register",
           "resolve", "safe_path", "save", "sha256", "version_path", "versions_for",
           "write_json", "write_manifest"]
