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
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

import sqlite_utils

from auditor import rules, snapshots, sources, store
from auditor.acquire.history import source_history
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
    RegistryVersion,
    Severity,
    Snapshot,
    SourceRef,
    Subject,
    digest,
    now_utc,
    stamp,
)
from auditor.read.documents import DEFAULT_LIMITS, Document
from auditor.rules import health
from auditor.rules.evidence import evidence_profile, watch_list
from auditor.rules.gaps import SourceState, gaps_and_questions
from auditor.rules.trials import trial_links


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
    #: Old snapshot versions deleted after the audit by the config's [retention] settings.
    pruned: int = 0

    @property
    def broken(self) -> list[str]:
        """Sources whose copy is broken (an error page, a dead selector...): their last good
        snapshot is read."""
        return sorted({f.sources[-1].source for f in self.findings
                       if f.rule == health.RULE and f.sources})


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


def over_limit(subject: str, ref: SourceRef, snapshot: Snapshot, error: str,
               severity: Severity | None = None) -> Finding:
    """A source whose current copy cannot be read (over a size, page, cell or time limit):
    its claims are left out, and the finding names the copy and the limit."""
    return Finding(
        subject=subject, field="source_health", kind="source_broken", rule="source_broken",
        severity=severity or "medium",
        message=f"{ref.name} unreadable: {error}; its claims are left out of this audit",
        sources=[FindingSource(source=ref.name, kind=ref.kind, value=snapshot.sha256,
                               url=snapshot.url, locator=f"snapshot {snapshot.path}",
                               quote="(not read)")])


#: A fetch failure is the source's state, not a discrepancy: low unless the config says.
UNAVAILABLE_SEVERITY: Severity = "low"


def unavailable(subject: str, ref: SourceRef, error: str, since: str | None,
                last: Snapshot | None, severity: Severity | None = None) -> Finding:
    """A source that could not be fetched: the last good snapshot on one side (when there is
    one), the named absence of a current copy on the other. It resolves by itself when a
    later fetch succeeds."""
    sides = [FindingSource(source=ref.name, kind=ref.kind, value=None, url=ref.url,
                           locator=f"(not stated: no current copy; fetch failed: {error})")]
    if last is not None:
        sides.insert(0, FindingSource(
            source=ref.name, kind=ref.kind, value=last.sha256, url=last.url,
            quote=f"last good snapshot, retrieved {last.retrieved_at}",
            locator=f"snapshot {last.path}", snapshot_sha256=last.sha256))
    error = error.split("; the last good snapshot, retrieved")[0]
    error = error.split("; there is no earlier snapshot")[0]
    kept = (f"its last good snapshot, retrieved {last.retrieved_at}, is used" if last
            else "there is no earlier snapshot, so the source is not read")
    return Finding(
        subject=subject, field="source_health", kind="unavailable", rule="source_unavailable",
        severity=severity or UNAVAILABLE_SEVERITY,
        message=f"{ref.name} unavailable since {since or 'this run'}: {error}; {kept}",
        sources=sides)


def _saved(config: Config, ref: SourceRef) -> bool:
    """Whether the source has a snapshot file to read."""
    try:
        return snapshots.safe_path(config.snapshot_dir, ref.snapshot or default_path(ref)
                                   ).is_file()
    except AuditorError:
        return True  # load_snapshot says what is wrong with the path


def _severity(config: Config, rule: str) -> Severity | None:
    value = config.rule(rule).severity
    return cast(Severity, value) if value else None


def broken_before_parse(config: Config, db: sqlite_utils.Database, ref: SourceRef,
                        snapshot: Snapshot, doc: Document, last_sha: str | None
                        ) -> health.Broken | None:
    """What makes this copy of a source broken before it is read: a fetch that marked it in
    the manifest (its last good copy stayed current), or an error page, login wall or empty
    shell served in its place. A copy judged at an earlier audit is not judged again."""
    if not config.rule(health.RULE).enabled:
        return None
    path = ref.snapshot or default_path(ref)
    mark = snapshots.broken_mark(config.snapshot_dir, path)
    if mark:
        return health.Broken(health.Problem(str(mark.get("problem") or "a broken copy"),
                                            str(mark.get("seen") or ""),
                                            str(mark.get("where") or "body")),
                             str(mark["sha256"]), str(mark.get("retrieved_at") or ""),
                             int(mark.get("count") or 1), mark.get("since"))
    if last_sha == snapshot.sha256:  # `last_sha`: the copy the last audit read
        return None
    problem = health.page_problem(doc)
    return _streak(db, ref, problem, snapshot) if problem else None


def broken_after_parse(config: Config, db: sqlite_utils.Database, subject: Subject,
                       ref: SourceRef, snapshot: Snapshot, doc: Document, before: list[Claim],
                       now: list[Claim], versions: Path | None) -> health.Broken | None:
    """What makes a copy that could be read broken: it no longer names the subject its last
    good copy named, a selector or label that gave a value matches nothing, or most of its
    claims are gone. (Checked once the copy parsed, so a malformed file stays an error that
    says so.)"""
    settings = config.rule(health.RULE)
    if not settings.enabled or not before or before[0].snapshot_sha256 == snapshot.sha256:
        return None  # nothing to compare with, or the very copy the last audit read
    last = store.source_snapshot(db, ref.name)
    if last is None or last[0].sha256 == snapshot.sha256:
        return None
    problem = None if subject.adhoc else health.lost_mention(
        _document(config, ref, last[0], versions), doc, health.names_of(subject, ref))
    problem = (problem or health.dead_selectors(before, now)
               or health.dead_labels(before, now, health.visible_text(doc))
               or health.claims_fell(before, now, settings.threshold))
    return _streak(db, ref, problem, snapshot) if problem else None


def _streak(db: sqlite_utils.Database, ref: SourceRef, problem: health.Problem,
            snapshot: Snapshot) -> health.Broken:
    count, since = store.broken_streak(db, ref.name)
    return health.Broken(problem, snapshot.sha256, snapshot.retrieved_at, count + 1,
                         since if count else None)


def _copy_of(broken: health.Broken, current: Snapshot) -> Snapshot:
    """The broken copy as a snapshot the database can cite: the copy read, or (marked by a
    fetch) the one kept beside it under .versions."""
    if broken.sha256 == current.sha256:
        return current
    return current.model_copy(update={"sha256": broken.sha256,
                                      "retrieved_at": broken.retrieved_at or
                                      current.retrieved_at, "provenance": "fetched",
                                      "note": f"broken copy: {broken.problem.reason}"})


def _document(config: Config, ref: SourceRef, snapshot: Snapshot, versions: Path | None
              ) -> Document | None:
    """An earlier snapshot's bytes as a Document, or None when they are no longer kept."""
    try:
        body = snapshots.resolve(config.snapshot_dir, snapshot.path, snapshot.sha256,
                                 (versions,) if versions else ())
    except AuditorError:
        return None
    return Document(body, snapshot.media_type, snapshot.url, ref.name, ref.selectors)


def run_audit(config: Config, db: sqlite_utils.Database | None = None, *,
              offline: bool = True, failures: dict[str, str] | None = None,
              subject_ids: list[str] | None = None, keep_claims: bool = False,
              on_subject: Callable[[str], None] | None = None) -> AuditResult:
    """Audit every subject (or the ones named). `failures` maps source name → fetch error;
    `on_subject` is called with each subject's id when it is done (a progress bar).

    A subject whose snapshots, parser code, rule code and settings are all as they were at the
    last audit is not parsed or checked again: its open findings are carried forward.
    """
    db = db if db is not None else store.open_db(config.database_path)
    try:
        return _run_audit(config, db, offline=offline, failures=failures,
                          subject_ids=subject_ids, keep_claims=keep_claims,
                          on_subject=on_subject)
    except sqlite3.OperationalError as e:
        if e.sqlite_errorcode != sqlite3.SQLITE_FULL:
            raise
        raise AuditorError(f"{store.file_of(db) or 'database'}: the disk is full (or the "
                           f"database reached its size limit: {e}); this audit was rolled back "
                           "and the database is as it was: free some space and run it again"
                           ) from e


def _run_audit(config: Config, db: sqlite_utils.Database, *, offline: bool,
               failures: dict[str, str] | None, subject_ids: list[str] | None,
               keep_claims: bool, on_subject: Callable[[str], None] | None) -> AuditResult:
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
    read_before = store.source_shas(db)  # one query, not one per source
    refused: dict[str, LimitError] = {}
    ignored: list[Finding] = []
    findings: list[Finding] = []
    comparisons: list[Comparison] = []
    pending: deque[tuple[Subject, list, list[SourceRef], dict[str, health.Broken], str,
                         list[Future[list[Reading]]], Histories]] = deque()
    with store.RunWriter(db, run) as writer, Parsing(len(subjects)) as parsing:
        for subject in subjects:
            refs = by_subject.get(subject.id, [])
            # A source whose fetch failed and that was never saved is unavailable, not an error
            missing = [r for r in refs if r.name in failures and not _saved(config, r)]
            loaded = [_load(config.snapshot_dir, ref, versions, config.limits, refused)
                      for ref in refs if ref not in missing]
            history = load_histories(config, refs, versions)
            broken = {r.name: b for r, s, d in loaded if r.name not in refused
                      and (b := broken_before_parse(config, db, r, s, d,
                                                    read_before.get(r.name)))}
            fingerprint = digest(settings, subject.model_dump(),
                                 [(r.model_dump(), s.sha256, failures.get(r.name))
                                  + ((broken[r.name].key(),) if r.name in broken else ())
                                  for r, s, _ in loaded]
                                 + [(r.name, failures[r.name]) for r in missing],
                                 [v.snapshot_sha256 for v in history.versions])
            if writer.fingerprint(subject.id) == fingerprint:
                writer.unchanged_subject(subject, [(r.name, s.sha256) for r, s, _ in loaded])
                skipped.append(subject.id)
                if on_subject:
                    on_subject(subject.id)
                continue
            readings = [_nothing() if r.name in broken and broken[r.name].sha256 == s.sha256
                        else parsing.read(db, r, s, d, parse_key(version, r, s, config.limits),
                                          refused.get(r.name))
                        for r, s, d in loaded]
            pending.append((subject, loaded, missing, broken, fingerprint, readings, history))
            while len(pending) > parsing.window:
                done = pending.popleft()
                _audit_subject(writer, config, *done, version, failures,
                               findings, comparisons, ignored, parsing.fresh)
                if on_subject:
                    on_subject(done[0].id)
        while pending:
            done = pending.popleft()
            _audit_subject(writer, config, *done, version, failures, findings,
                           comparisons, ignored, parsing.fresh)
            if on_subject:
                on_subject(done[0].id)
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


def _nothing() -> Future[list[Reading]]:
    """The readings of a copy that is not read (a broken one)."""
    done: Future[list[Reading]] = Future()
    done.set_result([])
    return done


def _audit_subject(writer: store.RunWriter, config: Config, subject: Subject,
                   loaded: list[tuple[SourceRef, Snapshot, Document]], missing: list[SourceRef],
                   broken: dict[str, health.Broken], fingerprint: str,
                   readings: list[Future[list[Reading]]], history: Histories, version: str,
                   failures: dict[str, str], all_findings: list[Finding],
                   all_comparisons: list[Comparison], ignored: list[Finding],
                   fresh: set[tuple[str, str]]) -> list[Claim]:
    """Judge one subject. A broken copy of a source is never compared: the claims of its last
    good snapshot are used instead, as for a source whose fetch failed (so the findings
    drawn from it neither resolve nor reappear while the page is down), or, with no good
    copy, the source is not read at all; its one `source_broken` finding says which. A copy
    over a limit (size, pages, cells, time) is left out with a `source_broken` finding."""
    db = writer.db
    file = store.file_of(db)
    versions = snapshots.versions_for(Path(file)) if file else None
    claims: list[Claim] = []
    previous: list[Claim] = []
    findings: list[Finding] = []
    roles: dict[str, str] = {}
    outcomes: dict[str, tuple[str, str | None]] = {}
    used: list[tuple[Snapshot, str]] = []
    states: list[SourceState] = []
    cited: list[Snapshot] = []
    for (ref, snapshot, doc), read in zip(loaded, readings, strict=True):
        role = roles[ref.name] = ref.role or sources.role_of(ref.kind)
        before = store.previous_claims(db, ref.name)
        try:
            mine = stamp(read.result(), subject=subject.id, ref=ref, snapshot=snapshot,
                         role=role)
        except LimitError as e:  # too large or too slow: this source is out, the rest go on
            outcomes[ref.name] = ("broken", str(e))
            findings.append(over_limit(subject.id, ref, snapshot, str(e),
                                       _severity(config, health.RULE)))
            states.append(SourceState(ref.name, ref.kind, role, snapshot.provenance, True))
            continue
        later = None if ref.name in broken else broken_after_parse(
            config, db, subject, ref, snapshot, doc, before, mine, versions)
        if later is not None:
            broken[ref.name] = later
        copy: tuple[Snapshot, str] | None = (snapshot, parse_key(version, ref, snapshot,
                                                                 config.limits))
        if ref.name in broken:
            cited.append(_copy_of(broken[ref.name], snapshot))
            if broken[ref.name].sha256 == snapshot.sha256:  # the copy read is the broken one
                last = store.source_snapshot(db, ref.name)
                good = last is not None and last[0].sha256 != snapshot.sha256
                mine = before if good else []
                copy = (last[0], last[1] or "") if good and last else None
            outcomes[ref.name] = ("broken", broken[ref.name].problem.reason)
            findings.append(health.broken_finding(
                subject.id, ref, broken[ref.name], last_good=copy[0] if copy else None,
                severity=_severity(config, health.RULE)))
        claims += mine
        previous += before
        if copy is not None:
            used.append(copy)
        states.append(SourceState(ref.name, ref.kind, role, (copy[0] if copy else snapshot)
                                  .provenance, ref.name in failures))
        if ref.name in failures:
            outcomes[ref.name] = ("failed", failures[ref.name])
            if config.rule("source_unavailable").enabled:
                findings.append(unavailable(subject.id, ref, failures[ref.name],
                                            store.failing_since(db, ref.name),
                                            copy[0] if copy else None,
                                            _severity(config, "source_unavailable")))
    for ref in missing:
        role = roles[ref.name] = ref.role or sources.role_of(ref.kind)
        outcomes[ref.name] = ("failed", failures[ref.name])
        states.append(SourceState(ref.name, ref.kind, role, "none", True))
        if config.rule("source_unavailable").enabled:
            findings.append(unavailable(subject.id, ref, failures[ref.name],
                                        store.failing_since(db, ref.name), None,
                                        _severity(config, "source_unavailable")))
    judged = judge(subject, claims, config, versions=history.versions, as_of=history.as_of)
    findings += judged.findings
    if previous:
        findings += changes(subject.id, previous, claims)
    comparisons = compare_fields(subject, claims, findings, judged.compared)
    gaps, questions = gaps_and_questions(
        claims, [f for f in findings if f.kind != "changed"], states)
    profile = evidence_profile(claims)
    watch = watch_list(claims, [f for f in findings if f.kind != "changed"], profile,
                       {c.field: c.verdict for c in comparisons})
    if config.ignore:  # the desk's [[ignore]] noise: judged (verdicts stay honest), not kept
        ignored += [f for f in findings if config.ignored(f)]
        findings = [f for f in findings if not config.ignored(f)]
    all_findings += findings
    all_comparisons += comparisons
    writer.subject(
        subject, fingerprint=fingerprint, sources=[r for r, _, _ in loaded] + missing,
        roles=roles, snapshots=used, evidence=cited, claims=claims,
        findings=findings, source_outcomes=outcomes,
        replace_claims=[(r.name, s.sha256) for r, s, _ in loaded if (r.name, s.sha256) in fresh],
        notes=[("gap", g) for g in gaps + history.missing]
        + [("question", q) for q in questions]
        + [("profile", profile.line())] + [("watch", w) for w in watch],
        comparisons=[{"subject": c.subject, "field": c.field, "verdict": c.verdict,
                      "values": json.dumps(c.values, ensure_ascii=False),
                      "run_id": writer.run.id} for c in comparisons])
    writer.registry_versions(subject.id, history.versions, version)
    writer.links(subject.id, trial_links(claims))
    return claims


@dataclass
class Histories:
    """The change histories of a subject's registry sources (`history = true`): their
    versions, the as-of date set per source, and what is missing from disk."""

    versions: list[RegistryVersion] = field(default_factory=list)
    as_of: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def load_histories(config: Config, refs: list[SourceRef], store_of_versions: Path | None
                   ) -> Histories:
    """Read the versions kept for each source with `history = true`; the bytes the audit may
    cite are kept in the database's store of versions, as the current snapshots are."""
    out = Histories()
    for ref in refs:
        if not ref.history:
            continue
        found, missing = source_history(config, ref)
        if ref.history and not found and not missing:
            missing = [f"{ref.name}: no change history fetched yet (history = true); run "
                       "`auditor fetch`"]
        out.versions += found
        out.missing += [m if m.startswith(ref.name) else f"{ref.name}: {m}" for m in missing]
        if ref.as_of:
            out.as_of[ref.name] = ref.as_of
        if store_of_versions is not None:
            for v in found:
                snapshots.keep(store_of_versions, snapshots.safe_path(
                    config.snapshot_dir, v.path).read_bytes(), v.snapshot_sha256, ".json")
    return out


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
