"""The library's front door: the compositions a Python user (and every CLI command) calls.

    import auditor
    config = auditor.load_config("config.toml")
    result = auditor.audit(config, fetch=True)       # fetch → failures → audit, one call
    for finding in result.findings:
        print(finding.severity, finding.message)

    found = auditor.compare("10.1038/s41586-025-08700-0")   # no config needed
    text = auditor.report("audit.db", "amchepry")
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from auditor import snapshots, store
from auditor import sources as source_kinds
from auditor.acquire.discover import Discovery, classify
from auditor.acquire.discover import discover as discover_links
from auditor.acquire.fetch import FetchResult, fetch_sources
from auditor.acquire.http import Client
from auditor.audit import AuditResult, compare_documents, run_audit
from auditor.config import Config, Settings
from auditor.diff import compare_fields, judge
from auditor.errors import AuditorError
from auditor.lock import audit_lock
from auditor.models import Claim, Comparison, Finding, Subject
from auditor.outputs.subject_report import digest_markdown, subject_report


def audit(config: Config, db: sqlite_utils.Database | str | Path | None = None, *,
          fetch: bool = False, subjects: list[str] | None = None, keep_claims: bool = False,
          client: Client | None = None, wait: float = 0, progress: bool | None = False
          ) -> AuditResult:
    """Audit every subject of `config` (or those named) into the database (default: the
    config's), holding the database's audit lock. With `fetch`, every source is fetched first;
    a source that fails is audited from its last good snapshot and reported unavailable."""
    if isinstance(db, sqlite_utils.Database):
        database, file = db, store.file_of(db)
    else:
        file = str(db or config.database_path)
        database = None
    with audit_lock(file, wait=wait) if file else contextlib.nullcontext():
        database = database if database is not None else store.open_db(file)
        failures: dict[str, str] = {}
        if fetch:
            results = fetch_sources(config, client=client, progress=progress)
            failures = {r.source: r.error or "failed" for r in results if r.status == "failed"}
        result = run_audit(config, database, offline=not fetch, failures=failures,
                           keep_claims=keep_claims, subject_ids=subjects)
        keep = config.retention
        if file and (keep.keep_versions is not None or keep.keep_days is not None):
            # after the audit, under its lock: what it cites is known and nothing is writing
            result.pruned = len(snapshots.prune(
                config.snapshot_dir, keep_versions=keep.keep_versions,
                keep_days=keep.keep_days, cited=store.cited_shas(database)))
        return result


def fetch(config: Config, *, names: list[str] | None = None, client: Client | None = None,
          progress: bool | None = False) -> list[FetchResult]:
    """Fetch the config's sources (or those named) into its snapshot folder."""
    return fetch_sources(config, names=names, client=client, progress=progress)


@dataclass
class CompareResult:
    """A one-off comparison: every claim read, the findings, and the field table."""

    claims: list[Claim]
    findings: list[Finding]
    comparisons: list[Comparison]
    fetched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    snapshot_folder: Path | None = None


def compare(*sources_or_ids: str | Path | tuple[str | None, Path], config: Config | None = None,
            client: Client | None = None) -> CompareResult:
    """Compare snapshot files (paths, `KIND:PATH` strings or `(kind, path)` pairs), or start
    from one identifier (DOI, PMID, NCT or jRCT id): fetch it and what it links to, then
    compare. One file alone gives what that source says (its claims). No database is
    written."""
    if not sources_or_ids:
        raise AuditorError("nothing to compare: give two snapshot files, or one DOI, PMID, NCT "
                           "or jRCT id")
    config = config or Config(auditor=Settings(snapshots="snapshots"))
    first = sources_or_ids[0]
    if len(sources_or_ids) == 1 and isinstance(first, str) and not Path(first).exists() \
            and classify(first):
        found = discover(first, config, client=client)
        subject = Subject(id="compare", name=first, adhoc=True)
        judged = judge(subject, found.claims, config)
        return CompareResult(found.claims, judged.findings,
                             compare_fields(subject, found.claims, judged.findings,
                                            judged.compared),
                             fetched=found.fetched, failed=found.failed,
                             snapshot_folder=config.snapshot_dir / "compare")
    if len(sources_or_ids) == 1 and not _kind_and_path(first)[1].exists():
        raise AuditorError(f"{first}: no such file, and not a DOI, PMID, NCT or jRCT id; give "
                           "snapshot files, or one identifier to fetch and compare")
    claims, findings, comparisons = compare_documents(
        [_kind_and_path(s) for s in sources_or_ids], config=config)
    return CompareResult(claims, findings, comparisons)


def _kind_and_path(source: str | Path | tuple[str | None, Path]) -> tuple[str | None, Path]:
    """'KIND:PATH' → (kind, path) when KIND is a source kind; a plain path → (None, path)."""
    if isinstance(source, tuple):
        return source
    text = str(source)
    kind, sep, rest = text.partition(":")
    if sep and kind in source_kinds.KINDS:
        return kind, Path(rest)
    return None, Path(text)


def discover(identifier: str, config: Config, *, client: Client | None = None) -> Discovery:
    """Fetch the record for one identifier and the records it links to; read their claims."""
    return discover_links(identifier, config, client=client)


def report(db: sqlite_utils.Database | str | Path, subject: str, fmt: str = "md") -> str:
    """A report on one audited subject, Markdown (`md`) or a standalone HTML page (`html`)."""
    return subject_report(_database(db), subject, fmt)


def digest(db: sqlite_utils.Database | str | Path, run_id: str | None = None) -> str:
    """What a run (default: the last) opened, reopened and resolved, as Markdown."""
    return digest_markdown(_database(db), run_id)


def notify(db: sqlite_utils.Database | str | Path, run_id: str, urls: list[str]) -> list[Any]:
    """Send a run's digest to these Apprise URLs when it opened, reopened or resolved
    findings; returns one Delivery per target (ok, or why not), also kept in the database's
    `notifications` table. Never raises for a target that fails."""
    from auditor.outputs.notify import notify_digest

    return notify_digest(_database(db), run_id, urls)


def review(db: sqlite_utils.Database | str | Path, finding_id: str, decision: str,
           note: str | None, reviewer: str) -> dict[str, Any]:
    """Record a desk's review (dismissed, confirmed, contested or reopened) of one finding,
    given by id or an unambiguous prefix; returns the review with the finding's status."""
    return store.reviews.add(_database(db), finding_id, decision, note, reviewer)


def evidence(config: Config, db: sqlite_utils.Database | str | Path, finding_id: str,
             out: str | Path) -> dict[str, Any]:
    """Write one finding's evidence bundle (a zip: the finding, the bytes of every snapshot it
    cites, their manifest entries) for a fact-checker."""
    from auditor.outputs.bundle import write_bundle

    return write_bundle(_database(db), config.snapshot_dir, finding_id, Path(out))


def _database(db: sqlite_utils.Database | str | Path) -> sqlite_utils.Database:
    if isinstance(db, sqlite_utils.Database):
        return db
    if not Path(db).exists():
        raise AuditorError(f"{db}: no audit database yet; run `auditor audit` first")
    return store.open_db(db)
