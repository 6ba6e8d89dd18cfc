"""The only module that knows the SQLite schema. Written with sqlite-utils.

One audit is one transaction (`Database.atomic()`): a failure or a kill leaves the previous
state intact. Findings have stable ids, so a re-run updates first_seen / last_seen / status
instead of adding duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from auditor.errors import AuditorError
from auditor.models import (
    SEVERITY_ORDER,
    AuditRun,
    Claim,
    Finding,
    RegistryVersion,
    Snapshot,
    SourceRef,
    Subject,
    digest,
    now_utc,
)
from auditor.store import reviews

SCHEMA_VERSION = 5  # 2: report_notes; 3: reviews; 4: registry_versions, links; 5: notifications

TABLES: dict[str, dict[str, Any]] = {
    "subjects": {"columns": {"id": str, "name": str, "aliases": str, "fingerprint": str,
                             "claims": int},
                 "pk": "id"},
    "sources": {"columns": {"name": str, "subject": str, "kind": str, "role": str, "url": str,
                            "snapshot_path": str, "snapshot_sha256": str, "last_fetched": str,
                            "last_changed": str, "failing_since": str, "last_error": str},
                "pk": "name"},
    "runs": {"columns": {"id": str, "started_at": str, "finished_at": str, "status": str,
                         "config_path": str, "offline": int, "sources": int, "claims": int,
                         "findings_open": int, "findings_new": int, "findings_resolved": int},
             "pk": "id"},
    "snapshots": {"columns": {"sha256": str, "source": str, "kind": str, "url": str,
                              "final_url": str, "retrieved_at": str, "media_type": str,
                              "path": str, "provenance": str, "status": int, "note": str,
                              "parser_version": str, "first_seen_run": str},
                  "pk": "sha256"},
    "source_runs": {"columns": {"run_id": str, "source": str, "snapshot_sha256": str,
                                "outcome": str, "error": str},
                    "pk": ("run_id", "source")},
    "claims": {"columns": {"id": str, "subject": str, "source": str, "source_kind": str,
                           "role": str, "field": str, "qualifier": str, "value": str,
                           "value_text": str, "unit": str, "quote": str, "locator": str,
                           "url": str, "snapshot_sha256": str},
               "pk": "id"},
    "findings": {"columns": {"id": str, "subject": str, "field": str, "kind": str, "rule": str,
                             "severity": str, "severity_rank": int, "message": str,
                             "status": str, "first_seen_run": str, "last_seen_run": str,
                             "first_seen": str, "last_seen": str, "resolved_run": str,
                             "resolved_at": str, "details": str, "evidence": str},
                 "pk": "id"},
    "finding_sources": {"columns": {"finding_id": str, "position": int, "source": str,
                                    "kind": str, "value": str, "quote": str, "locator": str,
                                    "url": str, "snapshot_sha256": str},
                        "pk": ("finding_id", "position")},
    "finding_events": {"columns": {"run_id": str, "finding_id": str, "event": str, "at": str},
                       "pk": ("run_id", "finding_id")},
    "report_notes": {"columns": {"subject": str, "position": int, "section": str, "text": str,
                                 "run_id": str},
                     "pk": ("subject", "position")},
    "comparisons": {"columns": {"subject": str, "field": str, "verdict": str, "values": str,
                                "run_id": str},
                    "pk": ("subject", "field")},
    "reviews": {"columns": {"id": str, "finding_id": str, "decision": str, "note": str,
                            "reviewer": str, "reviewed_at": str, "evidence": str,
                            "run_id": str},
                "pk": "id"},
    # One row per version of a registry record's change history (sources with history).
    "registry_versions": {"columns": {"source": str, "version": int, "subject": str,
                                      "registry_id": str, "date": str, "status": str,
                                      "module_labels": str, "primary_outcomes": str,
                                      "enrollment": int, "enrollment_type": str,
                                      "start_date": str, "primary_completion": str,
                                      "results_posted": str, "url": str,
                                      "snapshot_sha256": str, "run_id": str},
                          "pk": ("source", "version")},
    # How each source was placed in a trial: which registry id, read by which reader from
    # which snapshot (titles never make a link).
    "links": {"columns": {"id": str, "subject": str, "trial": str, "registry_id": str,
                          "source": str, "reader": str, "snapshot_sha256": str,
                          "locator": str, "quote": str, "how": str, "made_by": str,
                          "run_id": str},
              "pk": "id"},
    "notifications": {"columns": {"run_id": str, "target": str, "ok": int, "error": str,
                                  "sent_at": str},
                      "pk": ("run_id", "target")},
}
FOREIGN_KEYS = {
    "sources": [("subject", "subjects", "id")],
    "claims": [("source", "sources", "name"), ("snapshot_sha256", "snapshots", "sha256")],
    "finding_sources": [("finding_id", "findings", "id")],
    "finding_events": [("run_id", "runs", "id"), ("finding_id", "findings", "id")],
    "source_runs": [("run_id", "runs", "id")],
    "reviews": [("finding_id", "findings", "id")],
    "notifications": [("run_id", "runs", "id")],
}


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the audit database in WAL mode, so readers never block."""
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 30000")
    ensure_schema(db)
    return db


def file_of(db: sqlite_utils.Database) -> str:
    """The file a database was opened from ('' for an in-memory one)."""
    return str(db.conn.execute("pragma database_list").fetchone()[2] or "")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create what is missing: tables, indexes, full-text search and the browsing views."""
    from auditor.store.views import create_views  # the browsing views over these tables

    if db.table("findings").exists() and db.execute("PRAGMA user_version").fetchone()[0] == \
            SCHEMA_VERSION:
        create_views(db)
        return
    with db.atomic():
        for name, spec in TABLES.items():
            if not db.table(name).exists():
                db.table(name).create(spec["columns"], pk=spec["pk"], not_null=None)
        for name, keys in FOREIGN_KEYS.items():
            existing = {(fk.column, fk.other_table) for fk in db.table(name).foreign_keys}
            for column, other, other_column in keys:
                if (column, other) not in existing:
                    db.table(name).add_foreign_key(column, other, other_column, ignore=True)
        for table, columns in [("claims", ["subject", "field"]), ("claims", ["snapshot_sha256"]),
                               ("findings", ["subject", "status"]), ("findings", ["rule"]),
                               ("finding_sources", ["source"]), ("sources", ["subject"]),
                               ("claims", ["source", "snapshot_sha256"]),
                               ("reviews", ["finding_id"]),
                               ("registry_versions", ["registry_id"]),
                               ("links", ["subject"]), ("links", ["registry_id"])]:
            db.table(table).create_index(columns, if_not_exists=True)
    # Finding quotes only: a trigram index (which Japanese needs) on every claim made writing
    # claims 15x slower; claims are filtered with quote__contains instead.
    if not db.table("finding_sources_fts").exists():
        db.table("finding_sources").enable_fts(["quote"], create_triggers=True, tokenize="trigram")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.enable_wal()
    create_views(db)


def claims_for_snapshot(db: sqlite_utils.Database, sha: str, parser_version: str
                        ) -> list[Claim] | None:
    """Claims already parsed from this exact snapshot by this parser version, or None."""
    row = db.execute("select parser_version from snapshots where sha256 = ?", [sha]).fetchone()
    if not row or row[0] != parser_version:
        return None
    return [_claim(r) for r in db.table("claims").rows_where("snapshot_sha256 = ?", [sha])]


def previous_claims(db: sqlite_utils.Database, source: str) -> list[Claim]:
    """The claims of the snapshot this source had at the last successful run."""
    row = db.execute("select snapshot_sha256 from sources where name = ?", [source]).fetchone()
    if not row or not row[0]:
        return []
    return [_claim(r) for r in db.table("claims").rows_where("snapshot_sha256 = ? and source = ?",
                                                         [row[0], source])]


def _claim(row: dict[str, Any]) -> Claim:
    return Claim(field=row["field"], value=json.loads(row["value"]), unit=row["unit"],
                 qualifier=row["qualifier"], quote=row["quote"], locator=row["locator"],
                 subject=row["subject"], source=row["source"], source_kind=row["source_kind"],
                 role=row["role"], url=row["url"], snapshot_sha256=row["snapshot_sha256"])


#: Rows per IN (...) list: well under SQLite's limit on bound parameters.
CHUNK = 500


def in_chunks(items: list[str]) -> Iterator[tuple[list[str], str]]:
    """Slices of `items` small enough for one IN (...) list, each with its placeholders."""
    for i in range(0, len(items), CHUNK):
        chunk = items[i:i + CHUNK]
        yield chunk, ",".join("?" for _ in chunk)


def write_rows(db: sqlite_utils.Database, table: str, rows: list[dict[str, Any]],
               pk: str | tuple[str, ...], mode: str) -> None:
    """Write plain rows (str, int, float or None values) with one executemany per shape.

    The same semantics as sqlite-utils' upsert_all / insert_all(replace=, ignore=) without its
    per-value conversion, which was a quarter of a large audit: `upsert` inserts a row or
    updates only the columns it gives; `replace` and `ignore` resolve a primary-key conflict."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(row), []).append(row)
    keys = (pk,) if isinstance(pk, str) else pk
    for columns, group in shapes.items():
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        if mode == "upsert":
            updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in keys)
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            sql = (f'INSERT INTO "{table}" ({names}) VALUES ({marks}) '
                   f"ON CONFLICT({', '.join(keys)}) {action}")
        else:
            verb = {"replace": "INSERT OR REPLACE", "ignore": "INSERT OR IGNORE"}[mode]
            sql = f'{verb} INTO "{table}" ({names}) VALUES ({marks})'
        db.conn.executemany(sql, [tuple(r[c] for c in columns) for r in group])


class RunWriter:
    """Writes one audit, subject by subject, inside one transaction.

    Memory stays bounded by one subject; a failure or a kill anywhere rolls the whole run back.
    Findings whose content has not changed only get their last_seen bumped, in one statement.
    """

    def __init__(self, db: sqlite_utils.Database, run: AuditRun) -> None:
        self.db = db
        self.run = run
        self.now = run.started_at
        self.seen: set[str] = set()
        self.new: list[str] = []
        #: Findings found again that stay dismissed by a review (not reported, not counted).
        self.dismissed: set[str] = set()
        self.subjects: list[str] = []
        self.sources = 0
        self.claims = 0
        self._atomic = db.atomic()
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self._touched: list[str] = []
        self._carried: list[str] = []
        self._fingerprints = dict(db.execute("select id, fingerprint from subjects").fetchall())
        self._stale: dict[str, list[str]] = {"finding_sources": [], "comparisons": [],
                                             "report_notes": [], "links": []}
        self._replaced: list[tuple[str, str]] = []

    BATCH = 5000

    def _add(self, table: str, rows: list[dict[str, Any]]) -> None:
        self._rows.setdefault(table, []).extend(rows)

    def flush(self) -> None:
        """Write buffered rows: few large statements instead of many small ones."""
        db = self.db
        self._carry_forward()
        for column, table in (("finding_id", "finding_sources"), ("subject", "comparisons"),
                              ("subject", "report_notes"), ("subject", "links")):
            for chunk, marks in in_chunks(self._stale[table]):
                db.execute(f"delete from {table} where {column} in ({marks})", chunk)
            self._stale[table].clear()
        db.conn.executemany("delete from claims where source = ? and snapshot_sha256 = ?",
                            self._replaced)
        self._replaced = []
        for table, pk, mode in (
                ("subjects", "id", "upsert"), ("snapshots", "sha256", "upsert"),
                ("sources", "name", "upsert"), ("source_runs", ("run_id", "source"), "replace"),
                ("claims", "id", "ignore"), ("findings", "id", "upsert"),
                ("finding_sources", ("finding_id", "position"), "replace"),
                ("finding_events", ("run_id", "finding_id"), "replace"),
                ("comparisons", ("subject", "field"), "replace"),
                ("report_notes", ("subject", "position"), "replace"),
                ("reviews", "id", "ignore"),
                ("registry_versions", ("source", "version"), "replace"),
                ("links", "id", "replace")):
            write_rows(db, table, self._rows.pop(table, []), pk, mode)
        ids, self._touched = self._touched, []
        for chunk, marks in in_chunks(ids):
            db.execute(f"update findings set last_seen_run = ?, last_seen = ? where id in "
                       f"({marks})", [self.run.id, self.now, *chunk])

    def _maybe_flush(self) -> None:
        if sum(len(r) for r in self._rows.values()) >= self.BATCH:
            self.flush()

    def __enter__(self) -> RunWriter:
        self._atomic.__enter__()
        self.db.table("runs").insert(self.run.model_dump(), pk="id", replace=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._atomic.__exit__(*exc)

    def fingerprint(self, subject_id: str) -> str | None:
        """The fingerprint recorded when this subject was last checked."""
        return self._fingerprints.get(subject_id)

    def unchanged_subject(self, subject: Subject, sources: list[tuple[str, str]]) -> None:
        """Nothing this subject depends on changed: its open findings are seen again as they
        are (changes reported last time are not repeated, so those resolve). `sources` are
        (name, snapshot sha256) pairs. The work is batched at the next flush."""
        self.subjects.append(subject.id)
        self.sources += len(sources)
        self._carried.append(subject.id)
        last = last_outcomes(self.db, [name for name, _ in sources])
        self._add("source_runs", [  # unchanged: still failing or broken if it was
            {"run_id": self.run.id, "source": name, "snapshot_sha256": sha,
             "outcome": last.get(name, ("ok", None))[0],
             "error": last.get(name, ("ok", None))[1]} for name, sha in sources])
        self._maybe_flush()

    def _carry_forward(self) -> None:
        """Touch the open findings and count the claims of the unchanged subjects."""
        subjects, self._carried = self._carried, []
        for chunk, marks in in_chunks(subjects):
            current = self.db.execute(
                f"select id, status from findings where subject in ({marks}) and status in "
                f"{reviews.CURRENT!r} and rule != 'source_changed'", chunk).fetchall()
            self._touch([r[0] for r in current])
            self.dismissed.update(r[0] for r in current if r[1] == "dismissed")
            self.claims += sum(r[0] for r in self.db.execute(
                f"select claims from subjects where id in ({marks})", chunk) if r[0])

    def _touch(self, ids: list[str]) -> None:
        self.seen.update(ids)
        self._touched.extend(ids)

    def subject(self, subject: Subject, *, fingerprint: str, sources: list[SourceRef],
                roles: dict[str, str], snapshots: list[tuple[Snapshot, str]],
                claims: list[Claim], findings: list[Finding],
                comparisons: list[dict[str, Any]],
                source_outcomes: dict[str, tuple[str, str | None]],
                notes: list[tuple[str, str]] | None = None,
                evidence: list[Snapshot] | None = None,
                replace_claims: list[tuple[str, str]] | None = None) -> None:
        """Write one audited subject. `snapshots` are the copies read (each source's current
        one); `evidence`, copies only cited (a broken copy a finding quotes);
        `replace_claims`, (source, sha256) pairs parsed afresh, whose claims from an earlier
        parse (other selectors, another kind) are deleted before these are written."""
        db, now, run = self.db, self.now, self.run
        self._replaced += replace_claims or []
        self.subjects.append(subject.id)
        self.sources += len(sources)
        self.claims += len(claims)
        self._add("subjects", [{"id": subject.id, "name": subject.name,
                                "aliases": json.dumps(subject.aliases, ensure_ascii=False),
                                "fingerprint": fingerprint, "claims": len(claims)}])
        shas = [s.sha256 for s, _ in snapshots] + [s.sha256 for s in evidence or []]
        known = {r[0] for r in db.execute(
            f"select sha256 from snapshots where sha256 in ({','.join('?' for _ in shas)})",
            shas)} if shas else set()
        read = {s.sha256 for s, _ in snapshots}
        self._add("snapshots", [{**s.model_dump(exclude={"headers"}), "parser_version": None,
                                 "first_seen_run": run.id} for s in evidence or []
                                if s.sha256 not in known and s.sha256 not in read])
        self._add("snapshots",
                  [{**s.model_dump(exclude={"headers"}), "parser_version": version,
                    "first_seen_run": run.id} for s, version in snapshots if s.sha256 not in known]
                  + [{"sha256": s.sha256, "parser_version": version}
                     for s, version in snapshots if s.sha256 in known])
        current = {s.source: s for s, _ in snapshots}
        names = [r.name for r in sources]
        previous = {r[0]: r[1:] for r in db.execute(
            "select name, snapshot_sha256, last_changed, failing_since from sources where name "
            f"in ({','.join('?' for _ in names)})", names)} if names else {}
        rows = []
        for ref in sources:
            outcome, error = source_outcomes.get(ref.name, ("ok", None))
            snap = current.get(ref.name)
            prev = previous.get(ref.name)
            changed = snap is not None and (not prev or prev[0] != snap.sha256)
            rows.append({
                "name": ref.name, "subject": ref.subject, "kind": ref.kind,
                "role": roles.get(ref.name, ""), "url": ref.url or (snap.url if snap else None),
                "snapshot_path": ref.snapshot,
                "snapshot_sha256": snap.sha256 if snap else (prev[0] if prev else None),
                "last_fetched": snap.retrieved_at if snap else None,
                "last_changed": now if changed else (prev[1] if prev else None),
                "failing_since": None if outcome != "failed" else ((prev[2] if prev else None)
                                                                   or now),
                "last_error": error if outcome == "failed" else None,
            })
        self._add("sources", rows)
        self._add("source_runs", [
            {"run_id": run.id, "source": r["name"], "snapshot_sha256": r["snapshot_sha256"],
             "outcome": source_outcomes.get(str(r["name"]), ("ok", None))[0],
             "error": source_outcomes.get(str(r["name"]), ("ok", None))[1]} for r in rows])
        self._add("claims", [{"id": c.id, **c.model_dump(exclude={"value"}),
                              "value": json.dumps(c.value, ensure_ascii=False, default=str),
                              "value_text": c.value_text()} for c in claims])
        self._findings(findings)
        self._stale["comparisons"].append(subject.id)
        self._add("comparisons", comparisons)
        self._stale["report_notes"].append(subject.id)
        self._add("report_notes", [{"subject": subject.id, "position": i, "section": section,
                                    "text": text, "run_id": run.id}
                                   for i, (section, text) in enumerate(notes or [])])
        self._maybe_flush()

    def registry_versions(self, subject: str, versions: list[RegistryVersion],
                          parser_version: str) -> None:
        """The versions of the subject's registry records: a row each, and their snapshots
        (so a finding quoting a version can be bundled with its bytes)."""
        rows, snaps = [], []
        for v in versions:
            def first(field: str, qualifier: str = "") -> Claim | None:
                return next((c for c in v.claims if c.field == field and c.value is not None
                             and (c.qualifier or "").startswith(qualifier)), None)
            outcomes, enrollment = first("primary_outcomes"), first("enrollment")
            start, completion = first("start_date"), first("completion_date", "primary")
            status = first("status")
            rows.append({
                "source": v.source, "version": v.version, "subject": subject,
                "registry_id": v.registry_id, "date": v.date,
                "status": str(status.value) if status else v.status,
                "module_labels": json.dumps(v.module_labels, ensure_ascii=False),
                "primary_outcomes": outcomes.value_text() if outcomes else None,
                "enrollment": enrollment.value if enrollment else None,
                "enrollment_type": enrollment.qualifier if enrollment else None,
                "start_date": str(start.value) if start else None,
                "primary_completion": str(completion.value) if completion else None,
                "results_posted": v.results_posted, "url": v.url,
                "snapshot_sha256": v.snapshot_sha256, "run_id": self.run.id})
            snaps.append({"sha256": v.snapshot_sha256, "source": f"{v.source} version "
                          f"{v.version}", "kind": "ctgov", "url": v.url, "final_url": None,
                          "retrieved_at": v.retrieved_at, "media_type": "application/json",
                          "path": v.path, "provenance": "fetched", "status": None,
                          "note": f"{v.registry_id} {v.label()}",
                          "parser_version": parser_version, "first_seen_run": self.run.id})
        self._add("registry_versions", rows)
        self._add("snapshots", snaps)

    def links(self, subject: str, links: list[dict[str, Any]]) -> None:
        """How the subject's sources were placed in trials (replacing the last audit's)."""
        self._stale["links"].append(subject)
        self._add("links", [{**link, "subject": subject, "run_id": self.run.id,
                             "id": digest(subject, link.get("trial"), link.get("registry_id"),
                                          link.get("source"), link.get("locator"),
                                          link.get("snapshot_sha256"), link.get("made_by"))}
                            for link in links])

    def _findings(self, findings: list[Finding]) -> None:
        db, now, run = self.db, self.now, self.run
        ids = [f.id for f in findings]
        existing = {r[0]: r[1:] for r in db.execute(
            "select id, status, first_seen_run, first_seen, evidence from findings "
            f"where id in ({','.join('?' for _ in ids)})", ids)} if ids else {}
        reviewed = reviews.latest(db, ids)
        unchanged, rows, sides, events = [], [], [], []
        for f in findings:
            old = existing.get(f.id)
            evidence = digest(f.message, f.severity, f.model_dump(include={"sources", "details"}))
            status, reopened = reviews.state(reviewed.get(f.id), f, now=now, run_id=run.id)
            if reopened:
                self._add("reviews", [reopened])
            if status == "dismissed":
                self.dismissed.add(f.id)
            if old and old[0] == status and old[3] == evidence:
                unchanged.append(f.id)
                continue
            self.seen.add(f.id)
            rows.append({"id": f.id, "subject": f.subject, "field": f.field, "kind": f.kind,
                         "rule": f.rule, "severity": f.severity,
                         "severity_rank": SEVERITY_ORDER[f.severity], "message": f.message,
                         "status": status, "last_seen_run": run.id, "last_seen": now,
                         "resolved_run": None, "resolved_at": None,
                         "details": json.dumps(f.details, ensure_ascii=False, default=str),
                         "evidence": evidence, "first_seen_run": old[1] if old else run.id,
                         "first_seen": old[2] if old else now})
            sides += [{"finding_id": f.id, "position": i, **s.model_dump(exclude={"value"}),
                       "value": json.dumps(s.value, ensure_ascii=False, default=str)}
                      for i, s in enumerate(f.sources)]
            if status == "open" and (not old or old[0] != "open"):
                event = "new" if not old else "reopened"
                events.append({"run_id": run.id, "finding_id": f.id, "event": event, "at": now})
                self.new.append(f.id)
        self._touch(unchanged)
        self._stale["finding_sources"].extend(str(r["id"]) for r in rows)
        self._add("findings", rows)
        self._add("finding_sources", sides)
        self._add("finding_events", events)

    def finish(self) -> AuditRun:
        """Resolve the open findings of audited subjects that were not seen this run."""
        self.flush()
        resolved: list[str] = []
        for chunk, marks in in_chunks(self.subjects):
            resolved += [r[0] for r in self.db.execute(
                f"select id from findings where status in {reviews.CURRENT!r} "
                f"and subject in ({marks})", chunk) if r[0] not in self.seen]
        for chunk, marks in in_chunks(resolved):
            self.db.execute(f"update findings set status = 'resolved', resolved_run = ?, "
                            f"resolved_at = ? where id in ({marks})",
                            [self.run.id, self.now, *chunk])
        self.db.table("finding_events").insert_all(
            [{"run_id": self.run.id, "finding_id": fid, "event": "resolved", "at": self.now}
             for fid in resolved], pk=("run_id", "finding_id"), replace=True)
        self.resolved = resolved
        self.run = self.run.model_copy(update={
            "finished_at": now_utc(), "status": "ok", "sources": self.sources,
            "claims": self.claims, "findings_open": len(self.seen - self.dismissed),
            "findings_new": len(self.new), "findings_resolved": len(resolved)})
        self.db.table("runs").upsert(self.run.model_dump(), pk="id")
        return self.run


def last_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    rows = list(db.table("runs").rows_where("status = 'ok'", order_by="started_at desc, rowid desc",
                                      limit=1))
    return rows[0] if rows else None


def findings(db: sqlite_utils.Database, *, status: str | None = "open",
             subject: str | None = None) -> list[dict[str, Any]]:
    """Findings with their sources and last review, as plain dicts (the JSON output shape).
    `status` "open" means current and not dismissed (open, confirmed or contested)."""
    where, params = finding_filter(status=status, subject=subject)
    return findings_where(db, " and ".join(where) or None, params)


def finding_filter(*, status: str | None = None, subject: str | None = None,
                   severity: str | None = None) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters selecting findings: `status` "open" is current and not
    dismissed (open, confirmed or contested), None or "all" is every status."""
    where: list[str] = []
    params: list[Any] = []
    if status == "open":
        where.append(f"status in {reviews.OPEN!r}")
    elif status and status != "all":
        where.append("status = ?")
        params.append(status)
    for column, value in (("subject", subject), ("severity", severity)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    return where, params


def findings_where(db: sqlite_utils.Database, where: str | None, params: list[Any]
                   ) -> list[dict[str, Any]]:
    rows = list(db.table("findings").rows_where(where, params,
                                          order_by="severity_rank desc, subject, field, rule"))
    sides: dict[str, list[dict[str, Any]]] = {}
    ids = [r["id"] for r in rows]
    for chunk, marks in in_chunks(ids):
        for s in db.table("finding_sources").rows_where(f"finding_id in ({marks})", chunk,
                                                  order_by="finding_id, position"):
            sides.setdefault(s["finding_id"], []).append(
                {**s, "value": json.loads(s["value"]) if s["value"] else None})
    reviewed = reviews.latest(db, ids)
    for row in rows:
        row["details"] = json.loads(row["details"] or "{}")
        row["sources"] = sides.get(row["id"], [])
        last = reviewed.get(row["id"])
        row["review"] = {k: last[k] for k in ("decision", "note", "reviewer", "reviewed_at")} \
            if last else None
    return rows


def current_findings(db: sqlite_utils.Database, subjects: list[str]) -> list[Finding]:
    """Open findings of these subjects, as models (for printing and JSON)."""
    out: list[Finding] = []
    for chunk, marks in in_chunks(subjects):
        for row in findings_where(db, f"status in {reviews.OPEN!r} and subject in ({marks})",
                                  chunk):
            out.append(Finding(**{k: row[k] for k in Finding.model_fields}))
    return out


def current_comparisons(db: sqlite_utils.Database, subjects: list[str]) -> list[Any]:
    from auditor.models import Comparison

    out = []
    for chunk, marks in in_chunks(subjects):
        for r in db.table("comparisons").rows_where(f"subject in ({marks})", chunk,
                                              order_by="subject, field"):
            out.append(Comparison(r["subject"], r["field"], r["verdict"], json.loads(r["values"])))
    return out


def current_claims(db: sqlite_utils.Database, subjects: list[str]) -> list[Claim]:
    """The claims of each source's current snapshot, for these subjects."""
    out: list[Claim] = []
    for chunk, marks in in_chunks(subjects):
        out += [_claim(r) for r in db.query(
            "select claims.* from claims join sources on claims.source = sources.name "
            "and claims.snapshot_sha256 = sources.snapshot_sha256 "
            f"where sources.subject in ({marks}) "
            "order by sources.subject, claims.rowid", chunk)]
    return out


def history(db: sqlite_utils.Database, subject: str) -> list[dict[str, Any]]:
    """Every run's events for one subject, oldest first: new, reopened and resolved findings."""
    return list(db.query(
        "select runs.id as run, runs.started_at, finding_events.event, findings.severity, "
        "findings.field, findings.rule, findings.message from finding_events "
        "join findings on findings.id = finding_events.finding_id "
        "join runs on runs.id = finding_events.run_id where findings.subject = ? "
        "order by runs.started_at, runs.rowid, finding_events.event, findings.field",
        [subject]))


def registry_timeline(db: sqlite_utils.Database, subject: str) -> list[dict[str, Any]]:
    """The subject's registry versions, oldest first, each with the amendments it made (the
    `registry_timeline` view)."""
    if not db.table("registry_versions").exists():
        return []
    return list(db.query("select * from registry_timeline where subject = ? "
                         "order by registry_id, version", [subject]))


def failing_sources(db: sqlite_utils.Database) -> dict[str, str]:
    """Sources whose last fetch failed: name → the error."""
    if not db.table("sources").exists():
        return {}
    return {r[0]: r[1] or "fetch failed" for r in db.execute(
        "select name, last_error from sources where failing_since is not null")}


def parsed_snapshots(db: sqlite_utils.Database, shas: list[str], parser_version: str
                     ) -> set[str]:
    """Which of these snapshots already have claims from this parser version (bulk re-runs
    skip parsing them)."""
    found: set[str] = set()
    for chunk, marks in in_chunks(shas):
        found |= {r[0] for r in db.execute(
            f"select sha256 from snapshots where parser_version = ? and sha256 in ({marks})",
            [parser_version, *chunk])}
    return found


def write_bulk(db: sqlite_utils.Database,
               records: list[tuple[Subject, SourceRef, str, Snapshot, list[Claim]]],
               parser_version: str) -> int:
    """One transaction for a batch of single-source subjects (a registry-wide import): each
    record is (subject, source, role, snapshot, claims). Idempotent: claims are keyed by
    content, so re-writing a batch after a kill adds nothing. An existing subject keeps its
    fingerprint (so the next audit re-checks it). Returns the claims written."""
    now = now_utc()
    names = [ref.name for _, ref, _, _, _ in records]
    previous: dict[str, tuple[str | None, str | None]] = {}
    for chunk, marks in in_chunks(names):
        previous.update({r[0]: (r[1], r[2]) for r in db.execute(
            f"select name, snapshot_sha256, last_changed from sources where name in ({marks})",
            chunk)})
    subjects, snaps, sources, claims = [], {}, [], []
    for subject, ref, role, snap, found in records:
        subjects.append({"id": subject.id, "name": subject.name,
                         "aliases": json.dumps(subject.aliases, ensure_ascii=False)})
        snaps[snap.sha256] = {**snap.model_dump(exclude={"headers"}),
                              "parser_version": parser_version}
        old_sha, old_changed = previous.get(ref.name, (None, None))
        sources.append({"name": ref.name, "subject": ref.subject, "kind": ref.kind,
                        "role": role, "url": snap.url, "snapshot_path": ref.snapshot,
                        "snapshot_sha256": snap.sha256, "last_fetched": snap.retrieved_at,
                        "last_changed": now if old_sha != snap.sha256 else old_changed,
                        "failing_since": None, "last_error": None})
        claims += [{"id": c.id, **c.model_dump(exclude={"value"}),
                    "value": json.dumps(c.value, ensure_ascii=False, default=str),
                    "value_text": c.value_text()} for c in found]
    with db.atomic():
        db.table("subjects").upsert_all(subjects, pk="id", batch_size=500)
        db.table("snapshots").upsert_all(list(snaps.values()), pk="sha256", batch_size=500)
        db.table("sources").upsert_all(sources, pk="name", batch_size=500)
        db.table("claims").insert_all(claims, pk="id", batch_size=500, ignore=True)
    return len(claims)


# --- what reports read ---------------------------------------------------------------------

def subject_row(db: sqlite_utils.Database, subject: str) -> dict[str, Any]:
    """The audited subject's row; AuditorError naming the known subjects when absent."""
    table = db.table("subjects")
    rows = list(table.rows_where("id = ?", [subject])) if table.exists() else []
    if not rows:
        raise _no_subject(db, subject)
    return rows[0]


def _no_subject(db: sqlite_utils.Database, subject: str) -> AuditorError:
    known = [r[0] for r in db.execute("select id from subjects order by id")] \
        if db.table("subjects").exists() else []
    return AuditorError(f"no audited subject {subject!r} in the database"
                        + (f"; known: {', '.join(known)}" if known
                           else "; run `auditor audit` first"))


def subject_claims(db: sqlite_utils.Database, subject: str) -> list[dict[str, Any]]:
    """The subject's current claims (those of each source's current snapshot)."""
    from auditor.store.views import CURRENT_CLAIMS

    return list(db.query(
        f"select source, role, field, qualifier, value_text, value, quote, locator, url "
        f"from ({CURRENT_CLAIMS}) where subject = ? order by source, field, locator", [subject]))


def verdicts(db: sqlite_utils.Database, subject: str) -> dict[str, str]:
    """field → verdict of the subject's last comparison."""
    return {r[0]: r[1] for r in db.execute(
        "select field, verdict from comparisons where subject = ?", [subject])}


def subject_sources(db: sqlite_utils.Database, subject: str) -> list[dict[str, Any]]:
    """The subject's sources with their freshness and the provenance of their snapshot."""
    return list(db.query(
        "select s.name, s.kind, s.role, s.url, s.last_fetched, s.failing_since, sn.provenance "
        "from sources s left join snapshots sn on sn.sha256 = s.snapshot_sha256 "
        "where s.subject = ? order by s.name", [subject]))


def run_row(db: sqlite_utils.Database, run_id: str | None = None) -> dict[str, Any]:
    """One run (the last one when no id is given); AuditorError when there is none."""
    runs = db.table("runs")
    run = (runs.get(run_id) if run_id else last_run(db)) if runs.exists() else None
    if not run:
        raise AuditorError("no audit run in the database yet; run `auditor audit` first")
    return dict(run)


def run_events(db: sqlite_utils.Database, run_id: str) -> list[dict[str, Any]]:
    """The findings a run opened, reopened or resolved, most severe first."""
    return list(db.query(
        "select e.event, f.id, f.subject, f.severity, f.field, f.message "
        "from finding_events e join findings f on f.id = e.finding_id where e.run_id = ? "
        "order by f.severity_rank desc, f.subject, f.field, f.id", [run_id]))


def finding_quotes(db: sqlite_utils.Database, finding_id: str, *, limit: int = 2
                   ) -> list[dict[str, Any]]:
    """The first sides of a finding: source, quote, locator, url."""
    return list(db.query("select source, quote, locator, url from finding_sources "
                         "where finding_id = ? order by position limit ?", [finding_id, limit]))


def last_outcomes(db: sqlite_utils.Database, names: list[str]
                  ) -> dict[str, tuple[str, str | None]]:
    """name → (outcome, error) of each source's latest audit: ok, failed or broken."""
    out: dict[str, tuple[str, str | None]] = {}
    for chunk, marks in in_chunks(names):
        for name, outcome, error in db.execute(
                "select sr.source, sr.outcome, sr.error from source_runs sr "
                "join runs r on r.id = sr.run_id where sr.source in "
                f"({marks}) order by r.started_at, r.rowid", chunk):
            out[name] = (outcome, error)
    return out


def source_shas(db: sqlite_utils.Database) -> dict[str, str]:
    """name → sha256 of the copy each source's last audit read."""
    return {r[0]: r[1] for r in db.execute(
        "select name, snapshot_sha256 from sources where snapshot_sha256 is not null")}


def source_snapshot(db: sqlite_utils.Database, source: str
                    ) -> tuple[Snapshot, str | None] | None:
    """The snapshot a source had at its last audit (its last good copy) and the parser
    version its claims come from, or None."""
    row = db.execute("select sn.* from sources s join snapshots sn on sn.sha256 = "
                     "s.snapshot_sha256 where s.name = ?", [source]).fetchone()
    if row is None:
        return None
    data = dict(zip([d[0] for d in db.execute("select * from snapshots limit 0").description],
                    row, strict=True))
    version = data.pop("parser_version", None)
    data.pop("first_seen_run", None)
    fields = {k: v for k, v in data.items() if k in Snapshot.model_fields and v is not None}
    return Snapshot(**fields), version


def broken_streak(db: sqlite_utils.Database, source: str) -> tuple[int, str | None]:
    """How many of the latest audits in a row found this source broken, and when the first of
    them started."""
    count, since = 0, None
    for outcome, started in db.execute(
            "select sr.outcome, r.started_at from source_runs sr join runs r on r.id = "
            "sr.run_id where sr.source = ? order by r.started_at desc, r.rowid desc",
            [source]):
        if outcome != "broken":
            break
        count, since = count + 1, started
    return count, since


def cited_shas(db: sqlite_utils.Database) -> set[str]:
    """Every snapshot sha256 the database cites: snapshots read, claims, finding quotes and
    each source's current copy (old versions among them are never pruned)."""
    return {r[0] for r in db.execute(
        "select sha256 from snapshots union select snapshot_sha256 from claims "
        "union select snapshot_sha256 from finding_sources "
        "union select snapshot_sha256 from sources") if r[0]}


def source_states(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Sources not in good health at their latest audit (failing to fetch, or broken), with
    why: the source_freshness rows whose state is not ok, failing first."""
    return list(db.query("select source, subject, state, state_detail, failing_since, "
                         "last_fetched from source_freshness where state != 'ok'"))


def failing_since(db: sqlite_utils.Database, source: str) -> str | None:
    """When a source's fetches started failing, or None."""
    row = db.execute("select failing_since from sources where name = ?", [source]).fetchone()
    return row[0] if row else None


def report_notes(db: sqlite_utils.Database, subject: str) -> list[tuple[str, str]]:
    """(section, text) of the subject's last audit, in order: gaps, questions, the evidence
    profile and the watch list (sections gap, question, profile, watch)."""
    table = db.table("report_notes")
    if not table.exists():
        return []
    return [(r["section"], r["text"]) for r in table.rows_where("subject = ?", [subject],
                                                                 order_by="position")]


def record_notifications(db: sqlite_utils.Database, run_id: str,
                         deliveries: list[dict[str, Any]]) -> None:
    """Keep what became of each notification of a run (target redacted, ok, error)."""
    db.table("notifications").upsert_all(
        [{"run_id": run_id, **d} for d in deliveries], pk=("run_id", "target"))


def notifications(db: sqlite_utils.Database, run_id: str | None = None
                  ) -> list[dict[str, Any]]:
    """Notifications sent (or not) for a run, or for every run."""
    if not db.table("notifications").exists():
        return []
    where, params = ("run_id = ?", [run_id]) if run_id else (None, [])
    return list(db.table("notifications").rows_where(where, params, order_by="sent_at"))


def count_dismissed(db: sqlite_utils.Database) -> int:
    """Findings still found but dismissed on review (the digest says they are not counted)."""
    return int(db.execute("select count(*) from findings where status = 'dismissed'")
               .fetchone()[0])
