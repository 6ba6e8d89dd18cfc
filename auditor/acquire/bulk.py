"""Registry-wide imports: stream ClinicalTrials.gov into snapshots and claims, one page (or one
batch of archive members) at a time, resumable after any interruption.

Two inputs, one pipeline:

* the search API, `GET /api/v2/studies?...&pageSize=&pageToken=`, page after page;
* the bulk download (`GET /api/v2/studies/download?format=json.zip`, saved as
  `ctg-studies.json.zip`: one JSON file per study, in shard folders like `35/NCT02252835.json`),
  read member by member with `zipfile`, never unpacked.

Each study becomes its own snapshot `OUT/ctgov/NN/NCTxxxxxxNN.json` (NN: its last two digits,
the archive's own layout) with an entry in that folder's manifest (the single-study URL, when,
provenance "fetched"), and its own subject `NCT…` with one registry
source `ctgov:NCT…` in the database. A study's snapshot is its canonical JSON,
`json.dumps(study, sort_keys=True, ensure_ascii=False, separators=(",", ":"))` in UTF-8: not
the server's bytes (a search page holds many studies), but the same bytes whichever way the
study arrived, so an unchanged study keeps its sha256 and its claims.

Order per page: snapshot files, then the manifest, then the claims (one transaction), then the
checkpoint `OUT/ctgov/.checkpoint.json` (written atomically). A kill anywhere repeats at most
the page in progress, and repeating it adds nothing: unchanged files are left alone and claims
are keyed by content. Memory holds one page, one shard's manifest at a time and, for an archive,
the zip's central directory (about 0.3 KB per member).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import sqlite_utils

from auditor import snapshots, store
from auditor.acquire.fetch import BASES, ctgov_pages
from auditor.acquire.http import Client
from auditor.errors import AuditorError, FetchError, ParseError
from auditor.models import Claim, Snapshot, SourceRef, Subject, now_utc
from auditor.read.documents import Document

FOLDER = "ctgov"
CHECKPOINT = ".checkpoint.json"
ROLE = "registry"
#: How many malformed members are named in the report (all are counted).
EXAMPLES = 5
#: A study larger than this (the largest real one is about 3.6 MB) is reported, not read.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
NCT = re.compile(r"NCT\d{8}")


class BulkInterrupted(AuditorError):
    """A page could not be fetched or written; what was committed stays, a re-run resumes."""


@dataclass
class BulkResult:
    """Totals since the checkpoint was started (a resumed run includes earlier runs)."""

    mode: str
    studies: int = 0
    claims: int = 0
    unchanged: int = 0
    pages: int = 0
    malformed: int = 0
    examples: list[str] = field(default_factory=list)
    done: bool = False
    resumed_at: int = 0  # page or member index this run started from
    this_run: int = 0  # pages or batches processed by this run

    @property
    def exit_code(self) -> int:
        return 1 if self.malformed else 0

    def summary(self) -> str:
        unit = "pages" if self.mode == "search" else "batches"
        state = "complete" if self.done else "not finished (re-run the same command to go on)"
        lines = [f"ctgov {self.mode}: {self.studies:,} studies, {self.claims:,} claims, "
                 f"{self.unchanged:,} unchanged, {self.pages:,} {unit}; {state}"]
        if self.resumed_at:
            lines.append(f"resumed at {'page' if self.mode == 'search' else 'member'} "
                         f"{self.resumed_at + 1}")
        if self.malformed:
            what = "studies" if self.mode == "search" else "members"
            lines.append(f"{self.malformed:,} malformed {what} skipped, e.g.:")
            lines += [f"  {e}" for e in self.examples]
        return "\n".join(lines)


# --- checkpoint -------------------------------------------------------------------------

def checkpoint_path(out: Path) -> Path:
    return out / FOLDER / CHECKPOINT


def _start(out: Path, identity: dict[str, Any], restart: bool) -> dict[str, Any]:
    """The checkpoint to continue from: the saved one if it is for the same query, a fresh one
    if there is none or `restart`; a different query is refused (it would mix two imports)."""
    path = checkpoint_path(out)
    fresh = {"identity": identity, "pages": 0, "next_page_token": None, "next_member": 0,
             "studies": 0, "claims": 0, "unchanged": 0, "malformed": 0, "examples": [],
             "done": False, "started_at": now_utc(), "updated_at": None}
    if restart or not path.exists():
        return fresh
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AuditorError(f"{path}: checkpoint is not valid JSON ({e}); pass --restart to "
                           "start the import again") from e
    if saved.get("identity") != identity:
        raise AuditorError(
            f"{path}: this folder holds an import of a different "
            f"{'query' if identity['mode'] == 'search' else 'archive'} "
            f"({_describe(saved.get('identity') or {})}); use another --out, or pass --restart "
            f"to start {_describe(identity)} here")
    return {**fresh, **saved}


def _describe(identity: dict[str, Any]) -> str:
    if identity.get("mode") == "archive":
        return f"archive {identity.get('archive')} ({identity.get('size')} bytes)"
    params = identity.get("params") or {}
    text = "&".join(f"{k}={v}" for k, v in params.items()) or "everything"
    return f"search {text} (page size {identity.get('page_size')})"


def _result(mode: str, cp: dict[str, Any], resumed_at: int, this_run: int) -> BulkResult:
    return BulkResult(mode=mode, studies=cp["studies"], claims=cp["claims"],
                      unchanged=cp["unchanged"], pages=cp["pages"], malformed=cp["malformed"],
                      examples=list(cp["examples"]), done=cp["done"], resumed_at=resumed_at,
                      this_run=this_run)


# --- one page of studies into snapshots and claims ---------------------------------------

def canonical(study: dict[str, Any]) -> bytes:
    """The snapshot bytes of one study (see the module docstring)."""
    return json.dumps(study, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def shard_of(nct: str) -> str:
    """The study's subfolder: its last two digits, as in the download archive (`35/NCT02252835`).
    A hundred manifests of ~1% each, instead of one that every page would rewrite whole."""
    return nct[-2:]


def _replace(path: Path, body: bytes) -> None:
    """Write then rename: a kill never leaves half a file. No fsync per file (that costs
    more than the parsing): the page is synced once, before its manifest is written."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)


def _read_manifest(folder: Path) -> dict[str, dict]:
    """One shard's manifest, read fresh (snapshots.read_manifest caches every version it has
    seen, which a bulk import that rewrites it per page would pile up)."""
    try:
        data = json.loads((folder / snapshots.MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AuditorError(f"{folder / snapshots.MANIFEST}: manifest is not valid JSON ({e}); "
                           "delete it and re-run with --restart") from e
    return {entry["file"]: entry for entry in data.get("snapshots", [])}


def nct_of(study: Any) -> str:
    """The study's NCT number; ParseError if it has none (then it is not a v2 study)."""
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise ParseError("not a ClinicalTrials.gov v2 study (no protocolSection)")
    nct = str((study["protocolSection"].get("identificationModule") or {}).get("nctId") or "")
    if not NCT.fullmatch(nct):
        raise ParseError(f"protocolSection.identificationModule.nctId is {nct or 'missing'!r}, "
                         "not an NCT number")
    return nct


@dataclass
class Item:
    """One study on its way in, and where it came from (for the report and the manifest)."""

    name: str  # "page 2, studies[5]" or the archive member's name
    study: Any = None
    error: str | None = None


class _Sink:
    """Writes pages of studies: files, manifest, claims; counts into the checkpoint."""

    def __init__(self, out: Path, db: sqlite_utils.Database) -> None:
        from auditor.sources import ctgov, parse, parser_version

        self.root = out
        self.folder = out / FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = db
        self.version = parser_version()
        self.parse = partial(parse, ctgov.KIND)  # shape errors, size and time limits: ParseError

    def write(self, items: list[Item], cp: dict[str, Any], *, retrieved_at: str,
              note: str) -> None:
        good: list[tuple[str, bytes, Item]] = []
        for item in items:
            if item.error is None:
                try:
                    good.append((nct_of(item.study), canonical(item.study), item))
                except ParseError as e:
                    item.error = str(e)
                except (RecursionError, ValueError, TypeError) as e:  # too deep to write out
                    item.error = f"cannot be written as JSON ({type(e).__name__}: {e})"
        shas = {nct: snapshots.sha256(body) for nct, body, _ in good}
        parsed = store.parsed_snapshots(self.db, list(shas.values()), self.version)
        records: list[tuple[Subject, SourceRef, str, Snapshot, list[Claim]]] = []
        shards: dict[str, list[tuple[str, bytes, Item]]] = {}
        for nct, body, item in good:
            shards.setdefault(shard_of(nct), []).append((nct, body, item))
        for shard, members in sorted(shards.items()):
            folder = self.folder / shard
            folder.mkdir(exist_ok=True)
            manifest = _read_manifest(folder)
            changed = False
            for nct, body, item in members:
                sha, file = shas[nct], f"{nct}.json"
                entry = manifest.get(file)
                same = entry is not None and entry.get("sha256") == sha and \
                    (folder / file).is_file()
                entry = entry or {}
                snap = Snapshot(source=f"ctgov:{nct}", kind="ctgov",
                                url=f"{BASES['ctgov']}/studies/{nct}",
                                retrieved_at=entry["retrieved_at"] if same else retrieved_at,
                                media_type="application/json", sha256=sha,
                                path=f"{FOLDER}/{shard}/{file}", provenance="fetched",
                                note=entry.get("note") if same else note.format(name=item.name))
                claims: list[Claim] = []
                if sha not in parsed:
                    try:
                        claims = self._claims(nct, body, snap)
                    except ParseError as e:  # sources.parse turns any shape error into one
                        item.error = str(e)
                        continue
                else:
                    cp["unchanged"] += 1
                if not same:
                    snapshots.keep_current(self.folder.parent, snap.path)  # claims cite it
                    _replace(folder / file, body)
                    manifest[file] = {"file": file, "source": snap.source, "kind": snap.kind,
                                      **snap.model_dump(exclude={"path", "source", "kind"},
                                                        exclude_none=True)}
                    changed = True
                title = ((item.study["protocolSection"].get("identificationModule") or {})
                         .get("briefTitle") or nct)
                ref = SourceRef(name=snap.source, subject=nct, kind="ctgov", url=snap.url,
                                snapshot=snap.path, role=ROLE)
                records.append((Subject(id=nct, name=str(title)), ref, ROLE, snap, claims))
            if changed:
                os.sync()  # the page's files reach the disk before the manifest names them
                snapshots.write_manifest(folder, manifest)
        try:
            cp["claims"] += store.write_bulk(self.db, records, self.version)
        except sqlite3.OperationalError as e:
            raise BulkInterrupted(f"could not write claims to the database ({e}); the snapshots "
                                  "of this page are saved: re-run the same command to resume"
                                  ) from e
        cp["studies"] += len(records)
        for item in items:
            if item.error is not None:
                cp["malformed"] += 1
                if len(cp["examples"]) < EXAMPLES:
                    cp["examples"].append(f"{item.name}: {item.error}")

    def _claims(self, nct: str, body: bytes, snap: Snapshot) -> list[Claim]:
        from auditor.models import stamp

        doc = Document(body, snap.media_type, snap.url, f"{snap.source} ({snap.path})")
        ref = SourceRef(name=snap.source, subject=nct, kind="ctgov", url=snap.url,
                        snapshot=snap.path)
        return stamp(self.parse(doc), subject=nct, ref=ref, snapshot=snap, role=ROLE)


# --- the search API ----------------------------------------------------------------------

def search(client: Client, params: dict[str, str], out: Path, db: sqlite_utils.Database, *,
           page_size: int = 100, max_pages: int | None = None, restart: bool = False,
           base: str = BASES["ctgov"],
           progress: bool = False, wait: float = 0.0) -> BulkResult:
    """Page through a ClinicalTrials.gov v2 search into OUT/ctgov and the database.

    Raises BulkInterrupted naming the page when one cannot be fetched after the client's
    retries; everything before it is committed and a re-run resumes at that page.
    """
    if not 1 <= page_size <= 1000:
        raise AuditorError(f"--page-size {page_size}: ClinicalTrials.gov allows 1 to 1000")
    identity = {"mode": "search", "params": dict(sorted(params.items())),
                "page_size": page_size}
    with _folder_lock(out), _db_lock(db, wait):
        cp = _start(out, identity, restart)
        resumed_at = cp["pages"]
        sink = _Sink(out, db)
        done_now = 0
        bar = _bar(progress, None, "pages")
        pages = ctgov_pages(lambda url: _page(client, url, cp["pages"] + 1, cp), params,
                            page_size=page_size, base=base, token=cp["next_page_token"])
        try:
            while not cp["done"] and (max_pages is None or done_now < max_pages):
                page = cp["pages"] + 1
                url, data, next_token = next(pages)
                found = data.get("studies")
                if not isinstance(found, list):
                    raise BulkInterrupted(
                        f"ctgov search page {page}: {url} has no 'studies' list; check the "
                        f"query, then re-run the same command to resume from page {page}")
                items = [Item(f"page {page}, studies[{i}]", s) for i, s in enumerate(found)]
                del data["studies"], found
                sink.write(items, cp, retrieved_at=now_utc(),
                           note=f"One study ({{name}}) of GET {url}; the bytes are canonical "
                                "JSON (sorted keys, compact, UTF-8), not the server's.")
                cp.update(pages=page, next_page_token=next_token,
                          done=not next_token or next_token == cp["next_page_token"],
                          updated_at=now_utc())
                snapshots.write_json(checkpoint_path(out), cp)
                done_now += 1
                bar.update(1)
        finally:
            bar.close()
    return _result("search", cp, resumed_at, done_now)


def _page(client: Client, url: str, page: int, cp: dict[str, Any]) -> dict[str, Any]:
    saved = (f"pages 1-{page - 1} ({cp['studies']:,} studies) are saved; " if page > 1
             else "nothing was saved; ")
    try:
        response = client.get(url, source="ctgov bulk")
    except FetchError as e:
        raise BulkInterrupted(f"ctgov search page {page} failed: {e} {saved}re-run the same "
                              f"command to resume from page {page}") from e
    try:
        data = json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BulkInterrupted(f"ctgov search page {page}: {response.url} did not return JSON "
                              f"({e}); {saved}re-run the same command to resume from page "
                              f"{page}") from e
    if not isinstance(data, dict):
        raise BulkInterrupted(f"ctgov search page {page}: {response.url} returned JSON that is "
                              f"not an object; {saved}re-run to resume from page {page}")
    return data


# --- the bulk download archive -----------------------------------------------------------

def archive(path: Path, out: Path, db: sqlite_utils.Database, *, batch_size: int = 100,
            max_pages: int | None = None, restart: bool = False,
            progress: bool = False, wait: float = 0.0) -> BulkResult:
    """Import a ClinicalTrials.gov JSON archive member by member. Malformed members are
    counted, named (the first few) and skipped; the checkpoint is the next member's index."""
    try:
        size = path.stat().st_size
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise AuditorError(f"{path}: no such archive; download it from "
                           "https://clinicaltrials.gov/api/v2/studies/download?format=json.zip"
                           ) from None
    except (zipfile.BadZipFile, OSError) as e:
        raise AuditorError(f"{path}: not a readable zip archive ({e}); download it again"
                           ) from e
    with zf, _folder_lock(out), _db_lock(db, wait):
        members = [i for i in zf.infolist()
                   if not i.is_dir() and i.filename.lower().endswith(".json")]
        identity = {"mode": "archive", "archive": path.name, "size": size,
                    "members": len(members)}
        cp = _start(out, identity, restart)
        resumed_at = cp["next_member"]
        retrieved = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(
            microsecond=0).isoformat()
        sink = _Sink(out, db)
        done_now = 0
        bar = _bar(progress, len(members), "studies", initial=resumed_at)
        try:
            for start in range(resumed_at, len(members), batch_size):
                if max_pages is not None and done_now >= max_pages:
                    break
                batch = members[start:start + batch_size]
                sink.write(list(_read(zf, batch)), cp, retrieved_at=retrieved,
                           note=f"Member {{name}} of {path.name} (the ClinicalTrials.gov JSON "
                                "download; retrieved_at is the archive's mtime); the bytes are "
                                "canonical JSON (sorted keys, compact, UTF-8).")
                cp.update(next_member=start + len(batch), pages=cp["pages"] + 1,
                          updated_at=now_utc())
                snapshots.write_json(checkpoint_path(out), cp)
                done_now += 1
                bar.update(len(batch))
            if cp["next_member"] >= len(members) and not cp["done"]:
                cp.update(done=True, updated_at=now_utc())
                snapshots.write_json(checkpoint_path(out), cp)
        finally:
            bar.close()
    return _result("archive", cp, resumed_at, done_now)


def _read(zf: zipfile.ZipFile, batch: list[zipfile.ZipInfo]) -> Iterator[Item]:
    for info in batch:
        item = Item(info.filename)
        try:
            if info.file_size > MAX_MEMBER_BYTES:
                raise ValueError(f"{info.file_size:,} bytes, larger than {MAX_MEMBER_BYTES:,}")
            item.study = json.loads(zf.read(info))
        except json.JSONDecodeError as e:
            item.error = f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}"
        except RecursionError:
            item.error = "JSON nested too deeply to read (no real study is)"
        except (zipfile.BadZipFile, zlib.error, UnicodeDecodeError, ValueError, OSError) as e:
            item.error = f"{type(e).__name__}: {e}"
        yield item


# --- helpers ------------------------------------------------------------------------------

def _db_lock(db: sqlite_utils.Database, wait: float) -> Any:
    """The database's writer lock, the one audits take: an audit and an import never write
    one database at once (the second waits `wait` seconds, then exits 2 naming the holder)."""
    import contextlib

    from auditor.lock import audit_lock

    file = store.file_of(db)
    return audit_lock(file, wait=wait, what="bulk import") if file else contextlib.nullcontext()


class _folder_lock:
    """One import per output folder at a time (two would interleave one checkpoint)."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def __enter__(self) -> None:
        from auditor.lock import LockBusy, audit_lock

        (self.out / FOLDER).mkdir(parents=True, exist_ok=True)
        self._cm = audit_lock(checkpoint_path(self.out), what="bulk import")
        try:
            self._cm.__enter__()
        except LockBusy:
            raise AuditorError(f"{self.out / FOLDER}: another bulk import is writing here; "
                               "wait for it to finish or use another --out") from None

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)


def _bar(show: bool, total: int | None, unit: str, initial: int = 0) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit=unit, disable=not show, file=sys.stderr,
                desc="bulk ctgov")


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB (for the benchmark and the report)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


__all__ = ["BulkInterrupted", "BulkResult", "archive", "canonical", "checkpoint_path",
           "nct_of", "search"]
