"""One audit: load every source's snapshot, parse it into claims, run the rules, compare with
the previous audit, and write it all in one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from . import snapshots, sources, store
from .config import Config
from .diff import Comparison, changes, compare_fields, run_rules
from .documents import Document
from .errors import AuditorError
from .models import (
    AuditRun,
    Claim,
    Finding,
    FindingSource,
    Reading,
    Snapshot,
    SourceRef,
    Subject,
    now_utc,
)

_PARSER_FILES = ["documents.py", "prose.py", "values.py", *[f"sources/{m}.py" for m in
                                                              sources.KINDS.values()]]


def parser_version() -> str:
    """A hash of the parsing code: claims cached for a snapshot are reused only while it holds."""
    h = hashlib.sha256()
    base = Path(__file__).parent
    for name in _PARSER_FILES:
        p = base / name
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


@dataclass
class AuditResult:
    run: AuditRun
    findings: list[Finding]
    claims: list[Claim]
    comparisons: list[Comparison]
    new: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)


def stamp(readings: list[Reading], *, subject: str, ref: SourceRef, snapshot: Snapshot,
          role: str) -> list[Claim]:
    """Readings + provenance → claims."""
    return [Claim(**r.model_dump(), subject=subject, source=ref.name, source_kind=ref.kind,
                  role=role, url=snapshot.final_url or snapshot.url,
                  snapshot_sha256=snapshot.sha256) for r in readings]


def load_snapshot(snapshot_dir: Path, ref: SourceRef) -> tuple[Snapshot, Document]:
    """Load a source's snapshot as a Document; errors name the source and the file."""
    if not ref.snapshot:
        raise AuditorError(f"source {ref.name!r} has no snapshot; run `auditor fetch` or add "
                           "`snapshot = \"...\"` to its entry in config.toml")
    snapshot, body = snapshots.load(snapshot_dir, ref.snapshot, source=ref.name, kind=ref.kind,
                                    url=ref.url)
    return snapshot, Document(body, snapshot.media_type, snapshot.url,
                              f"{ref.name} ({snapshot_dir / ref.snapshot})", ref.selectors)


def unavailable(subject: str, ref: SourceRef, error: str, since: str | None,
                last: Snapshot | None) -> Finding:
    return Finding(
        subject=subject, field="identifiers", kind="unavailable", rule="source_unavailable",
        severity="medium",
        message=f"{ref.name} unavailable since {since or 'this run'}: {error}; "
                "the last good snapshot is used",
        sources=[FindingSource(source=ref.name, kind=ref.kind, value=None,
                               url=ref.url, locator=f"(fetch failed: {error})",
                               snapshot_sha256=last.sha256 if last else None)])


def run_audit(config: Config, db: sqlite_utils.Database | None = None, *,
              offline: bool = True, failures: dict[str, str] | None = None,
              subject_ids: list[str] | None = None) -> AuditResult:
    """Audit every subject (or the ones named). `failures` maps source name → fetch error."""
    failures = failures or {}
    db = db if db is not None else store.open_db(config.database_path)
    started = now_utc()
    run = AuditRun(id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" +
                   secrets.token_hex(3), started_at=started,
                   config_path=str(config.path) if config.path else None, offline=offline)
    version = parser_version()
    subjects = [s for s in config.subjects if not subject_ids or s.id in subject_ids]
    if subject_ids and not subjects:
        raise AuditorError(f"no subject named {', '.join(subject_ids)} in config")
    all_claims: list[Claim] = []
    all_findings: list[Finding] = []
    all_comparisons: list[Comparison] = []
    seen_snapshots: list[tuple[Snapshot, str]] = []
    roles: dict[str, str] = {}
    refs: list[SourceRef] = []
    outcomes: dict[str, tuple[str, str | None]] = {}
    for subject in subjects:
        claims: list[Claim] = []
        previous: list[Claim] = []
        subject_findings: list[Finding] = []
        for ref in [r for r in config.sources if r.subject == subject.id]:
            refs.append(ref)
            role = ref.role or sources.role_of(ref.kind)
            roles[ref.name] = role
            snapshot, readings = _cached_read(db, config.snapshot_dir, ref, version)
            seen_snapshots.append((snapshot, version))
            claims += stamp(readings, subject=subject.id, ref=ref, snapshot=snapshot, role=role)
            previous += store.previous_claims(db, ref.name)
            if ref.name in failures:
                since = db.execute("select failing_since from sources where name = ?",
                                   [ref.name]).fetchone() if db["sources"].exists() else None
                outcomes[ref.name] = ("failed", failures[ref.name])
                subject_findings.append(unavailable(subject.id, ref, failures[ref.name],
                                                    since[0] if since else None, snapshot))
        subject_findings += run_rules(subject, claims, config)
        if previous:
            subject_findings += changes(subject.id, previous, claims)
        all_claims += claims
        all_findings += subject_findings
        all_comparisons += compare_fields(subject, claims, subject_findings)
    run = run.model_copy(update={"finished_at": now_utc(), "status": "ok",
                                 "sources": len(refs), "claims": len(all_claims)})
    before = store.open_finding_ids(db, [s.id for s in subjects])
    run = store.write_run(
        db, run, subjects=subjects, sources=refs, roles=roles, snapshots=seen_snapshots,
        claims=all_claims, findings=all_findings,
        comparisons=[{"subject": c.subject, "field": c.field, "verdict": c.verdict,
                      "values": c.values, "run_id": run.id} for c in all_comparisons],
        source_outcomes=outcomes)
    ids = {f.id for f in all_findings}
    return AuditResult(run=run, findings=all_findings, claims=all_claims,
                       comparisons=all_comparisons, new=sorted(ids - before),
                       resolved=sorted(before - ids))


def _cached_read(db: sqlite_utils.Database, snapshot_dir: Path, ref: SourceRef,
                 version: str) -> tuple[Snapshot, list[Reading]]:
    """Parse a snapshot unless this exact snapshot was parsed by this code before."""
    snapshot, doc = load_snapshot(snapshot_dir, ref)
    cached = store.claims_for_snapshot(db, snapshot.sha256, version)
    mine = [c for c in cached or [] if c.source == ref.name]
    if mine:
        return snapshot, [Reading(**c.model_dump(include=set(Reading.model_fields)))
                          for c in mine]
    return snapshot, sources.parse(ref.kind, doc)


def compare_documents(paths: list[tuple[str | None, Path]], *, subject: Subject | None = None,
                      config: Config | None = None) -> tuple[list[Claim], list[Finding],
                                                             list[Comparison]]:
    """A one-off comparison of snapshot files, no database: (kind or None, path) pairs."""
    subject = subject or Subject(id="compare", name="compare")
    claims: list[Claim] = []
    for kind, path in paths:
        snapshot, body = snapshots.load_file(path, kind=kind or "?")
        doc = Document(body, snapshot.media_type, snapshot.url, str(path))
        kind = kind or sources.detect(doc)
        if kind is None:
            raise AuditorError(f"{path}: cannot tell what kind of source this is; "
                               f"write it as KIND:PATH with KIND one of {', '.join(sources.KINDS)}")
        ref = SourceRef(name=path.stem, subject=subject.id, kind=kind, snapshot=path.name)
        claims += stamp(sources.parse(kind, doc), subject=subject.id, ref=ref,
                        snapshot=snapshot.model_copy(update={"kind": kind}),
                        role=sources.role_of(kind))
    findings = run_rules(subject, claims, config)
    return claims, findings, compare_fields(subject, claims, findings)
