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
from datetime import UTC
from pathlib import Path
from typing import Any

from auditor.errors import SnapshotError
from auditor.models import Snapshot, now_utc

MANIFEST = "manifest.json"


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


def load(root: Path, relative: str, *, source: str, kind: str,
         url: str | None = None) -> tuple[Snapshot, bytes]:
    """Read one snapshot and its manifest entry. The sha256 is always of the bytes on disk."""
    path = safe_path(root, relative)
    if not path.is_file():
        raise SnapshotError(
            f"{path}: snapshot for source {source!r} is missing; run `auditor fetch` "
            "or fix the `snapshot` path in config.toml"
        )
    body = path.read_bytes()
    entry = read_manifest(path.parent).get(path.name, {})
    snapshot = Snapshot(
        source=source,
        kind=kind,
        url=entry.get("url") or url or path.as_uri(),
        final_url=entry.get("final_url"),
        retrieved_at=entry.get("retrieved_at")
        or now_from_mtime(path),
        media_type=entry.get("media_type") or guess_media_type(path),
        sha256=sha256(body),
        path=relative,
        provenance=entry.get("provenance", "fetched"),
        status=entry.get("status"),
        headers=entry.get("headers", {}),
        note=entry.get("note"),
    )
    return snapshot, body


def load_file(path: Path, *, kind: str) -> tuple[Snapshot, bytes]:
    """A snapshot from any file (for `auditor compare`), using a manifest beside it if any."""
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file; give the path of a saved snapshot")
    return load(path.parent, path.name, source=path.stem, kind=kind)


def now_from_mtime(path: Path) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(
        microsecond=0).isoformat()


def guess_media_type(path: Path) -> str:
    return {".json": "application/json", ".xml": "application/xml", ".html": "text/html",
            ".htm": "text/html"}.get(path.suffix.lower(), "application/octet-stream")


def save(root: Path, relative: str, body: bytes, snapshot: Snapshot) -> Snapshot:
    """Write body and its manifest entry atomically (a kill never leaves half a file)."""
    path = safe_path(root, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, body)
    snapshot = snapshot.model_copy(update={"sha256": sha256(body), "path": relative})
    manifest = read_manifest(path.parent)
    entry = snapshot.model_dump(exclude={"path", "source", "kind"}, exclude_none=True)
    entry = {"file": path.name, "source": snapshot.source, "kind": snapshot.kind, **entry}
    manifest[path.name] = entry
    write_manifest(path.parent, manifest)
    return snapshot


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


__all__ = ["load", "load_file", "now_utc", "read_manifest", "register", "safe_path", "save",
           "sha256", "write_json", "write_manifest"]
