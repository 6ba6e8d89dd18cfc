"""One audit: load every source's snapshot, parse it into claims, run the rules, compare with
the previous audit, and write it all in one transaction."""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import sqlite3
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import sqlite_utils

from auditor import rules, snapshots, sources, store
from auditor.acquire.saving import default_path
from auditor.config import Config
from auditor.diff import changes, compare_fields, judge
from auditor.errors import AuditorError, LimitError
from auditor.models import (
    AuditRun,
    Claim,
    Comparison,
    Finding,
    FindingSource,
    Limits,
    Reading,
    Snapshot,
    SourceRef,
    Subject,
    digest,
    now_utc,
    stamp,
)
from auditor.read.documents import DEFAULT_LIMITS, Document
from auditor.rules.evidence import evidence_profile, watch_list
from auditor.rules.gaps import SourceState, gaps_and_questions


@dataclass
class AuditResult:
    """What one audit did, its findings and field comparisons in memory. A subject found
    unchanged since the last audit keeps the findings it had (carried forward from the store)."""

    run: AuditRun
    subjects: list[str]
    findings: list[Finding]
    comparisons: list[Comparison]
    claims: list[Claim]
    new: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    skipped: int = 0
    #: Sources whose fetch failed before this audit (audit with fetch), name → error.
    fetch_failures: dict[str, str] = field(default_factory=dict)
    #: Findings found again that a review keeps dismissed: not in `findings`, not counted.
    dismissed: list[str] = field(default_factory=list)
    #: Findings matched by an [[ignore]] entry of the config this run: not reported at all.
    ignored: int = 0


def load_snapshot(snapshot_dir: Path, ref: SourceRef, versions: Path | None = None,
                  limits: Limits | None = None) -> tuple[Snapshot, Document]:
    """Load a source's snapshot as a Document; errors name the source and the file. A source
    given by url or identifier alone is read where `auditor fetch` saves it. With `versions`
    (the database's store), the bytes the audit will cite are kept there."""
    if not ref.snapshot and not (ref.url or ref.identifier):
        raise AuditorError(f"source {ref.name!r} has no snapshot, url or identifier; add "
                           "`snapshot = \"...\"` (or identifier) to its entry in config.toml")
    path = ref.snapshot or default_path(ref)
    if not ref.snapshot and not (snapshot_dir / path).is_file():
        raise AuditorError(f"source {ref.name!r} has not been fetched yet (no "
                           f"{snapshot_dir / path}); run `auditor fetch` or `auditor audit "
                           "--fetch`")
    snapshot, body = snapshots.load(snapshot_dir, path, source=ref.name, kind=ref.kind,
                                    url=ref.url, limits=limits)
    if versions is not None:
        snapshots.keep(versions, body, snapshot.sha256, Path(path).suffix)
    return snapshot, Document(body, snapshot.media_type, snapshot.url,
                              f"{ref.name} ({snapshot_dir / path})", ref.selectors,
                              limits or DEFAULT_LIMITS)


def _load(snapshot_dir: Path, ref: SourceRef, versions: Path | None, limits: Limits,
          refused: dict[str, LimitError]) -> tuple[SourceRef, Snapshot, Document]:
    """load_snapshot, but a file over its size cap is described, not read: the source is
    refused (in `refused`, its reading fails with that error) and the audit goes on."""
    try:
        return (ref, *load_snapshot(snapshot_dir, ref, versions, limits))
    except LimitError as e:
        refused[ref.name] = e
        snapshot = snapshots.describe(snapshot_dir, ref.snapshot or default_path(ref),
                                      source=ref.name, kind=ref.kind, url=ref.url)
        return ref, snapshot, Document(b"", snapshot.media_type, snapshot.url, ref.name,
                                       ref.selectors, limits)


def broken(subject: str, ref: SourceRef, snapshot: Snapshot, error: str) -> Finding:
    """A source whose current copy cannot be read (over a size, page, cell or time limit):
    its claims are left out, and the finding names the copy and the limit."""
    return Finding(
        subject=subject, field="source_health", kind="unavailable", rule="source_broken",
        severity="medium",
        message=f"{ref.name} unreadable: {error}; its claims are left out of this audit",
        sources=[FindingSource(source=ref.name, kind=ref.kind, value=snapshot.sha256,
                               url=snapshot.url, locator=f"snapshot {snapshot.path}",
                               quote="(not read)")])


def unavailable(subject: str, ref: SourceRef, error: str, since: str | None,
                last: Snapshot | None) -> Finding:
    """A source that could not be fetched: the last good snapshot on one side, the named
    absence of a current copy on the other."""
    sides = [FindingSource(source=ref.name, kind=ref.kind, value=None, url=ref.url,
                           locator=f"(not stated: no current copy; fetch failed: {error})")]
    if last is not None:
        sides.insert(0, FindingSource(
            source=ref.name, kind=ref.kind, value=last.sha256, url=last.url,
            quote=f"last good snapshot, retrieved {last.retrieved_at}",
            locator=f"snapshot {last.path}", snapshot_sha256=last.sha256))
    return Finding(
        subject=subject, field="source_health", kind="unavailable", rule="source_unavailable",
        severity="medium",
        message=f"{ref.name} unavailable since {since or 'this run'}: {error}; "
                "the last good snapshot is used", sources=sides)


def run_audit(config: Config, db: sqlite_utils.Database | None = None, *,
              offline: bool = True, failures: dict[str, str] | None = None,
              subject_ids: list[str] | None = None, keep_claims: bool = False
              ) -> AuditResult:
    """Audit every subject (or the ones named). `failures` maps source name → fetch error.

    A subject whose snapshots, parser code, rule code and settings are all as they were at the
    last audit is not parsed or checked again: its open findings are carried forward.
    """
    db = db if db is not None else store.open_db(config.database_path)
    try:
        return _run_audit(config, db, offline=offline, failures=failures,
                          subject_ids=subject_ids, keep_claims=keep_claims)
    except sqlite3.OperationalError as e:
        if e.sqlite_errorcode != sqlite3.SQLITE_FULL:
            raise
        raise AuditorError(f"{store.file_of(db) or 'database'}: the disk is full (or the "
                           f"database reached its size limit: {e}); this audit was rolled back "
                           "and the database is as it was: free some space and run it again"
                           ) from e


def _run_audit(config: Config, db: sqlite_utils.Database, *, offline: bool,
               failures: dict[str, str] | None, subject_ids: list[str] | None,
               keep_claims: bool) -> AuditResult:
    if offline:  # an offline run cannot know better than the last fetch: carry its failures
        failures = {**store.failing_sources(db), **(failures or {})}
    failures = failures or {}
    run = AuditRun(id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" +
                   secrets.token_hex(3), started_at=now_utc(),
                   config_path=str(config.path) if config.path else None, offline=offline)
    version = sources.parser_version()
    file = store.file_of(db)  # an in-memory database cites nothing that outlives it
    versions = snapshots.versions_for(Path(file)) if file else None
    settings = digest(version, rules.rules_version(), config.rules and
                      {k: v.model_dump() for k, v in config.rules.items()},
                      [i.model_dump() for i in config.ignore], config.limits.model_dump())
    subjects = [s for s in config.subjects if not subject_ids or s.id in subject_ids]
    if subject_ids and not subjects:
        raise AuditorError(f"no subject named {', '.join(subject_ids)} in config")
    by_subject: dict[str, list[SourceRef]] = {}
    named = {r.name for r in config.sources}
    for ref in config.sources:
        by_subject.setdefault(ref.subject, []).append(ref)
        if ref.follow:  # the PDF/Excel files saved from the page are sources too
            from auditor.acquire.attachments import attachments_of

            by_subject[ref.subject] += [a for a in attachments_of(config, ref)
                                        if a.name not in named]
    skipped: list[str] = []
    refused: dict[str, LimitError] = {}
    ignored: list[Finding] = []
    findings: list[Finding] = []
    comparisons: list[Comparison] = []
    pending: deque[tuple[Subject, list, str, list[Future[list[Reading]]]]] = deque()
    with store.RunWriter(db, run) as writer, Parsing(len(subjects)) as parsing:
        for subject in subjects:
            refs = by_subject.get(subject.id, [])
            loaded = [_load(config.snapshot_dir, ref, versions, config.limits, refused)
                      for ref in refs]
            fingerprint = digest(settings, subject.model_dump(),
                                 [(r.model_dump(), s.sha256, failures.get(r.name))
                                  for r, s, _ in loaded])
            if writer.fingerprint(subject.id) == fingerprint:
                writer.unchanged_subject(subject, [(r.name, s.sha256) for r, s, _ in loaded])
                skipped.append(subject.id)
                continue
            readings = [parsing.read(db, ref, snapshot, doc,
                                     parse_key(version, ref, snapshot, config.limits),
                                     refused.get(ref.name))
                        for ref, snapshot, doc in loaded]
            pending.append((subject, loaded, fingerprint, readings))
            while len(pending) > parsing.window:
                _audit_subject(writer, config, *pending.popleft(), version, failures,
                               findings, comparisons, ignored, parsing.fresh)
        while pending:
            _audit_subject(writer, config, *pending.popleft(), version, failures, findings,
                           comparisons, ignored, parsing.fresh)
        run = writer.finish()
    findings = [f for f in findings if f.id not in writer.dismissed]
    if skipped:
        findings += store.current_findings(db, skipped)
        comparisons += store.current_comparisons(db, skipped)
    audited = [s.id for s in subjects]
    order = {s: i for i, s in enumerate(audited)}
    findings.sort(key=lambda f: (order[f.subject], f.field, f.rule, f.message))
    comparisons.sort(key=lambda c: (order[c.subject], c.field))
    return AuditResult(
        run=run, subjects=audited, findings=findings, comparisons=comparisons,
        claims=store.current_claims(db, audited) if keep_claims else [], new=sorted(writer.new),
        resolved=sorted(writer.resolved), skipped=len(skipped), fetch_failures=failures,
        dismissed=sorted(writer.dismissed), ignored=len(ignored))


def _audit_subject(writer: store.RunWriter, config: Config, subject: Subject,
                   loaded: list[tuple[SourceRef, Snapshot, Document]], fingerprint: str,
                   readings: list[Future[list[Reading]]], version: str,
                   failures: dict[str, str], all_findings: list[Finding],
                   all_comparisons: list[Comparison], ignored: list[Finding],
                   fresh: set[tuple[str, str]]) -> list[Claim]:
    db = writer.db
    claims: list[Claim] = []
    previous: list[Claim] = []
    findings: list[Finding] = []
    roles: dict[str, str] = {}
    outcomes: dict[str, tuple[str, str | None]] = {}
    for (ref, snapshot, _), read in zip(loaded, readings, strict=True):
        role = roles[ref.name] = ref.role or sources.role_of(ref.kind)
        try:
            claims += stamp(read.result(), subject=subject.id, ref=ref, snapshot=snapshot,
                            role=role)
        except LimitError as e:  # too large or too slow: this source is out, the rest go on
            outcomes[ref.name] = ("broken", str(e))
            findings.append(broken(subject.id, ref, snapshot, str(e)))
            continue
        previous += store.previous_claims(db, ref.name)
        if ref.name in failures:
            outcomes[ref.name] = ("failed", failures[ref.name])
            findings.append(unavailable(subject.id, ref, failures[ref.name],
                                        store.failing_since(db, ref.name), snapshot))
    judged = judge(subject, claims, config)
    findings += judged.findings
    if previous:
        findings += changes(subject.id, previous, claims)
    comparisons = compare_fields(subject, claims, findings, judged.compared)
    gaps, questions = gaps_and_questions(
        claims, [f for f in findings if f.kind != "changed"],
        [SourceState(r.name, r.kind, roles[r.name], s.provenance,
                     r.name in failures or r.name in outcomes) for r, s, _ in loaded])
    profile = evidence_profile(claims)
    watch = watch_list(claims, [f for f in findings if f.kind != "changed"], profile,
                       {c.field: c.verdict for c in comparisons})
    if config.ignore:  # the desk's [[ignore]] noise: judged (verdicts stay honest), not kept
        ignored += [f for f in findings if config.ignored(f)]
        findings = [f for f in findings if not config.ignored(f)]
    all_findings += findings
    all_comparisons += comparisons
    writer.subject(
        subject, fingerprint=fingerprint, sources=[r for r, _, _ in loaded],
        roles=roles, snapshots=[(s, parse_key(version, r, s, config.limits))
                                for r, s, _ in loaded], claims=claims,
        findings=findings, source_outcomes=outcomes,
        replace_claims=[(r.name, s.sha256) for r, s, _ in loaded if (r.name, s.sha256) in fresh],
        notes=[("gap", g) for g in gaps] + [("question", q) for q in questions]
        + [("profile", profile.line())] + [("watch", w) for w in watch],
        comparisons=[{"subject": c.subject, "field": c.field, "verdict": c.verdict,
                      "values": json.dumps(c.values, ensure_ascii=False),
                      "run_id": writer.run.id} for c in comparisons])
    return claims


def parse_key(version: str, ref: SourceRef, snapshot: Snapshot, limits: Limits) -> str:
    """What a source's claims depend on besides its bytes: the reading code, and every input
    its reader sees (name, kind, selectors, URL, media type, limits). Claims cached for a
    snapshot are reused only under the same key, so a selector or kind changed in config.toml
    takes effect on an existing database as on a fresh one."""
    return digest(version, ref.name, ref.kind, ref.selectors, snapshot.url,
                  snapshot.media_type, limits.model_dump())


def _parse(kind: str, body: bytes, media_type: str | None, url: str, source: str,
           selectors: dict[str, str], limits: Limits) -> list[Reading]:
    """Parse one document; runs in a worker process, so it takes plain values."""
    return sources.parse(kind, Document(body, media_type, url, source, selectors, limits))


def _die_with(lifeline: Connection) -> None:
    """In each parse worker: exit when the audit does, however it ends. The audit alone holds
    the pipe's other end, so a kill -9 closes it and this read returns; without it the
    workers (and, through them, the forkserver and the resource tracker, which they keep
    alive) would outlive the audit."""
    def watch() -> None:
        try:
            lifeline.recv_bytes()
        except (EOFError, OSError):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


class Parsing:
    """Parses the documents of an audit: in worker processes when there are many subjects
    (parsing is the CPU-bound part, and the main process keeps writing meanwhile), inline
    otherwise. A snapshot parsed before by the same code is read back from the database."""

    #: Below this many subjects a pool costs more than it saves.
    MIN_SUBJECTS = 64

    def __init__(self, subjects: int, workers: int | None = None) -> None:
        cpus = workers or min(os.cpu_count() or 1, 4)
        self.pool = None
        self._lifeline: Connection | None = None
        if cpus > 1 and subjects >= self.MIN_SUBJECTS:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["auditor.audit"])
            ends, self._lifeline = context.Pipe(duplex=False)
            self.pool = ProcessPoolExecutor(cpus, mp_context=context,
                                            initializer=_die_with, initargs=(ends,))
        #: Subjects whose documents may be in flight before the oldest is written.
        self.window = 8 * cpus if self.pool else 0
        #: (source, sha256) parsed afresh: claims an earlier key left for them are replaced.
        self.fresh: set[tuple[str, str]] = set()

    def __enter__(self) -> Parsing:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self._lifeline is not None:
            self._lifeline.close()

    def read(self, db: sqlite_utils.Database, ref: SourceRef, snapshot: Snapshot,
             doc: Document, version: str, refused: LimitError | None = None
             ) -> Future[list[Reading]]:
        if refused is not None:
            failed: Future[list[Reading]] = Future()
            failed.set_exception(refused)
            return failed
        cached = store.claims_for_snapshot(db, snapshot.sha256, version)
        mine = [c for c in cached or [] if c.source == ref.name]
        if not mine:
            self.fresh.add((ref.name, snapshot.sha256))
        if mine or self.pool is None:
            done: Future[list[Reading]] = Future()
            try:
                done.set_result(
                    [Reading(**c.model_dump(include=set(Reading.model_fields))) for c in mine]
                    if mine else sources.parse(ref.kind, doc))
            except AuditorError as e:
                done.set_exception(e)
            return done
        return self.pool.submit(_parse, ref.kind, doc.body, doc.media_type, doc.url,
                                doc.source, doc.selectors, doc.limits)


def compare_documents(paths: list[tuple[str | None, Path]], *, subject: Subject | None = None,
                      config: Config | None = None) -> tuple[list[Claim], list[Finding],
                                                             list[Comparison]]:
    """A one-off comparison of snapshot files, no database: (kind or None, path) pairs."""
    subject = subject or Subject(id="compare", name="compare", adhoc=True)
    claims: list[Claim] = []
    limits = config.limits if config is not None else DEFAULT_LIMITS
    for kind, path in paths:
        snapshot, body = snapshots.load_file(path, kind=kind or "?", limits=limits)
        doc = Document(body, snapshot.media_type, snapshot.url, str(path), limits=limits)
        kind = kind or sources.detect(doc)
        if kind is None:
            raise AuditorError(f"{path}: cannot tell what kind of source this is; "
                               f"write it as KIND:PATH with KIND one of {', '.join(sources.KINDS)}")
        ref = SourceRef(name=path.stem, subject=subject.id, kind=kind, snapshot=path.name)
        claims += stamp(sources.parse(kind, doc), subject=subject.id, ref=ref,
                        snapshot=snapshot.model_copy(update={"kind": kind}),
                        role=sources.role_of(kind))
    judged = judge(subject, claims, config)
    return claims, judged.findings, compare_fields(subject, claims, judged.findings,
                                                   judged.compared)
