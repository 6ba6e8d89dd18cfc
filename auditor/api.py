"""The library's front door: the compositions a Python user (and every CLI command) calls.

    import auditor
    config = auditor.load_config("config.toml")
    result = auditor.audit(config, fetch=True)       # fetch → failures → audit, one call
    for finding in result.findings:
        print(finding.severity, finding.message)

    found = auditor.compare("10.1038/s41586-025-08700-0")   # no config needed
    text = auditor.report("audit.db", "amchepry")

    auditor.init("newdesk")                          # starter config.toml + the demo dossier
    auditor.add_subject("newdesk/config.toml", "bluerock", identifiers=["NCT04802733"])
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from tqdm import tqdm

from auditor import project, snapshots, store
from auditor import sources as source_kinds
from auditor.acquire.discover import Discovery, classify
from auditor.acquire.discover import discover as discover_links
from auditor.acquire.fetch import FetchResult, fetch_sources
from auditor.acquire.history import folder_for
from auditor.acquire.http import Client
from auditor.audit import AuditResult, compare_documents, run_audit
from auditor.config import Config, Settings, check_date
from auditor.diff import compare_fields, judge
from auditor.errors import AuditorError
from auditor.lock import audit_lock
from auditor.models import SEVERITY_ORDER, Claim, Comparison, Finding, RegistryVersion, Subject
from auditor.outputs.subject_report import digest_markdown, subject_report
from auditor.project import AddResult, InitResult


def audit(config: Config, db: sqlite_utils.Database | str | Path | None = None, *,
          fetch: bool = False, subjects: list[str] | None = None, keep_claims: bool = False,
          client: Client | None = None, wait: float = 0, progress: bool | None = False
          ) -> AuditResult:
    """Audit every subject of `config` (or those named) into the database (default: the
    config's), holding the database's audit lock. With `fetch`, every source is fetched first;
    a source that fails is audited from its last good snapshot and reported unavailable.
    `progress`: a bar of subjects done on stderr (None: only when stderr is a terminal)."""
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
        show = sys.stderr.isatty() if progress is None else progress
        total = len([s for s in config.subjects if not subjects or s.id in subjects])
        with tqdm(total=total, disable=not show, unit="subject", file=sys.stderr,
                  desc="audit", leave=False) as bar:
            result = run_audit(config, database, offline=not fetch, failures=failures,
                               keep_claims=keep_claims, subject_ids=subjects,
                               on_subject=lambda _id: bar.update(1))
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
    saved: AddResult | None = None  # with `save`: the subject written to config.toml
    #: Earlier versions of the registry records compared (their change history).
    versions: list[RegistryVersion] = field(default_factory=list)
    #: How each record was reached from the one before (discovery's links).
    links: list[dict[str, str | None]] = field(default_factory=list)


def compare(*sources_or_ids: str | Path | tuple[str | None, Path], config: Config | None = None,
            client: Client | None = None, save: str | None = None, as_of: str | None = None,
            history: bool = True) -> CompareResult:
    """Compare snapshot files (paths, `KIND:PATH` strings or `(kind, path)` pairs), or start
    from one identifier (DOI, PMID, registry id or page URL): fetch it and what it links to, then
    compare. One file alone gives what that source says (its claims). No database is
    written. With `save` (a subject id), the comparison is kept as that subject in the
    config's file: the fetched snapshots go to its folder, the files are copied there. From
    an identifier, a ClinicalTrials.gov record's change history is fetched too (unless
    `history` is False): papers are compared with the last version before the trial
    started, or the version in force on `as_of` (YYYY-MM-DD), and its amendments judged."""
    if as_of is not None:
        as_of = check_date(as_of, "as_of")
    if not sources_or_ids:
        raise AuditorError("nothing to compare: give two snapshot files, or one DOI, PMID or "
                           "registry id (NCT, jRCT, ISRCTN, EudraCT, CTIS)")
    if save and (config is None or config.path is None or not config.path.exists()):
        raise AuditorError(f"compare --save {save}: no config.toml to add it to; run `auditor "
                           "init` first or pass --config")
    if save and config is not None:
        project.check_new(config, save)
    config = config or Config(auditor=Settings())
    first = sources_or_ids[0]
    if len(sources_or_ids) == 1 and isinstance(first, str) and not Path(first).exists() \
            and classify(first):
        folder = save or "compare"
        found = discover_links(first, config, client=client, folder=folder,
                               history=history or bool(as_of))
        subject = Subject(id=folder, name=first, adhoc=True)
        judged = judge(subject, found.claims, config, versions=found.versions,
                       as_of={"*": as_of} if as_of else None)
        saved = project.save_records(config, save, found.records) if save else None
        return CompareResult(found.claims, judged.findings,
                             compare_fields(subject, found.claims, judged.findings,
                                            judged.compared),
                             fetched=found.fetched, failed=found.failed,
                             snapshot_folder=config.snapshot_dir / folder, saved=saved,
                             versions=found.versions, links=found.links)
    if as_of is not None:
        raise AuditorError("--as-of needs a registry's change history: give one NCT id (or a "
                           "DOI or PMID that leads to one), not snapshot files")
    if len(sources_or_ids) == 1 and not _kind_and_path(first)[1].exists():
        raise AuditorError(f"{first}: no such file, and not a DOI, PMID or registry id (NCT, "
                           "jRCT, ISRCTN, EudraCT, CTIS); give snapshot files, or one identifier "
                           "to fetch and compare")
    files = [_kind_and_path(s) for s in sources_or_ids]
    claims, findings, comparisons = compare_documents(files, config=config)
    saved = project.save_files(config, save, files) if save else None
    return CompareResult(claims, findings, comparisons, saved=saved)


def init(folder: str | Path = ".", *, demo: bool | None = None) -> InitResult:
    """Start a project: folder/config.toml (commented) and, with `demo` (default: when the
    folder is empty), the bundled Amchepry dossier, ready for an offline `audit`."""
    return project.init(folder, demo=demo)


def add_subject(config_path: str | Path, subject: str, *, identifiers: list[str] | None = None,
                urls: list[str] | None = None, name: str | None = None, discover: bool = True,
                client: Client | None = None) -> AddResult:
    """Append a subject with a source per identifier (NCT, DOI, PMID, jRCT) and URL to
    config.toml, keeping its comments; with `discover`, the records they link to are fetched
    and added too (offline: the given ones alone, and the result says discovery was
    skipped)."""
    return project.add_subject(config_path, subject, identifiers=identifiers or [],
                               urls=urls or [], name=name, discover=discover, client=client)


def _kind_and_path(source: str | Path | tuple[str | None, Path]) -> tuple[str | None, Path]:
    """'KIND:PATH' → (kind, path) when KIND is a source kind; a plain path → (None, path)."""
    if isinstance(source, tuple):
        return source
    text = str(source)
    kind, sep, rest = text.partition(":")
    if sep and kind in source_kinds.KINDS:
        return kind, Path(rest)
    return None, Path(text)


@dataclass
class RegistryHistory:
    """A registry record's versions as kept on disk, and the amendments judged over them."""

    registry_id: str
    folder: str
    versions: list[RegistryVersion]
    findings: list[Finding]
    missing: list[str]


def registry_history(identifier: str, config: Config | None = None) -> RegistryHistory:
    """The change history of one ClinicalTrials.gov record kept in the snapshot folder (by
    `auditor compare NCT…` or `auditor fetch` of a source with history = true), and what the
    amendment rules find over it. Nothing is fetched."""
    from auditor.acquire.history import history_folders, load_history
    from auditor.rules.amendments import AMENDMENT_RULES
    from auditor.sources import ctgov

    config = config or Config(auditor=Settings(snapshots="snapshots"))
    nct = ctgov.url_for(identifier, {"ctgov": ""}).removeprefix("/studies/")
    found = [(parent, folder_nct) for parent, folder_nct in history_folders(config.snapshot_dir)
             if folder_nct == nct]
    if not found:
        raise AuditorError(f"no change history of {nct} in {config.snapshot_dir}; run "
                           f"`auditor compare {nct}` (or `auditor fetch` with history = true "
                           "on its source) first")
    best: tuple[list[RegistryVersion], dict[int, str], str] | None = None
    for parent, _ in found:
        folder = folder_for(parent, nct)
        versions, missing = load_history(config.snapshot_dir, folder, nct, source=nct)
        if best is None or len(versions) > len(best[0]):
            best = (versions, missing, folder)
    assert best is not None
    versions, missing, folder = best
    subject = Subject(id=nct, name=nct, adhoc=True)
    findings = [f for f in judge(subject, [], config, versions=versions).findings
                if f.rule in AMENDMENT_RULES]
    return RegistryHistory(nct, str(config.snapshot_dir / folder), versions, findings,
                           list(missing.values()))


def discover(identifier: str, config: Config, *, client: Client | None = None) -> Discovery:
    """Fetch the record for one identifier and the records it links to; read their claims."""
    return discover_links(identifier, config, client=client)


def findings(db: sqlite_utils.Database | str | Path, *, status: str = "open",
             subjects: list[str] | None = None, severity: str | None = None,
             rules: list[str] | None = None, fields: list[str] | None = None,
             limit: int | None = None) -> list[dict[str, Any]]:
    """Stored findings, most severe first, as rows with their sides and last review. `status`
    "open" (open, confirmed or contested), a review status, "resolved" or "all"; `severity`
    keeps those at or above it; an unknown subject is an error."""
    database = _database(db)
    for subject in subjects or []:
        store.subject_row(database, subject)
    each: list[str | None] = list(subjects) if subjects else [None]
    rows = [r for subject in each
            for r in store.findings(database, status=None if status == "all" else status,
                                    subject=subject)]
    if len(subjects or []) > 1:
        rows.sort(key=lambda r: -SEVERITY_ORDER[r["severity"]])
    floor = SEVERITY_ORDER[severity] if severity else -1
    rows = [r for r in rows if SEVERITY_ORDER[r["severity"]] >= floor
            and (not rules or r["rule"] in rules) and (not fields or r["field"] in fields)]
    return rows[:limit] if limit else rows


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
