"""The only module that knows the SQLite schema. Written with sqlite-utils.

One audit is one transaction (`Database.atomic()`): a failure or a kill leaves the previous
state intact. Findings have stable ids, so a re-run updates first_seen / last_seen / status
instead of adding duplicates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlite_utils

from .models import AuditRun, Claim, Finding, Snapshot, SourceRef, Subject

SCHEMA_VERSION = 1

TABLES: dict[str, dict[str, Any]] = {
    "subjects": {"columns": {"id": str, "name": str, "aliases": str}, "pk": "id"},
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
                             "resolved_at": str, "details": str},
                 "pk": "id"},
    "finding_sources": {"columns": {"finding_id": str, "position": int, "source": str,
                                    "kind": str, "value": str, "quote": str, "locator": str,
                                    "url": str, "snapshot_sha256": str},
                        "pk": ("finding_id", "position")},
    "finding_events": {"columns": {"run_id": str, "finding_id": str, "event": str, "at": str},
                       "pk": ("run_id", "finding_id")},
    "comparisons": {"columns": {"subject": str, "field": str, "verdict": str, "values": str,
                                "run_id": str},
                    "pk": ("subject", "field")},
}
FOREIGN_KEYS = {
    "sources": [("subject", "subjects", "id")],
    "claims": [("source", "sources", "name"), ("snapshot_sha256", "snapshots", "sha256")],
    "finding_sources": [("finding_id", "findings", "id")],
    "finding_events": [("run_id", "runs", "id"), ("finding_id", "findings", "id")],
    "source_runs": [("run_id", "runs", "id")],
}
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3}


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the audit database in WAL mode, so readers never block."""
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 30000")
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    if db["findings"].exists() and db.execute("PRAGMA user_version").fetchone()[0] == \
            SCHEMA_VERSION:
        return
    with db.atomic():
        for name, spec in TABLES.items():
            if not db[name].exists():
                db[name].create(spec["columns"], pk=spec["pk"], not_null=None)
        for name, keys in FOREIGN_KEYS.items():
            existing = {(fk.column, fk.other_table) for fk in db[name].foreign_keys}
            for column, other, other_column in keys:
                if (column, other) not in existing:
                    db[name].add_foreign_key(column, other, other_column, ignore=True)
        for table, columns in [("claims", ["subject", "field"]), ("claims", ["snapshot_sha256"]),
                               ("findings", ["subject", "status"]), ("findings", ["rule"]),
                               ("finding_sources", ["source"])]:
            db[table].create_index(columns, if_not_exists=True)
    for table in ("finding_sources", "claims"):
        if not db[f"{table}_fts"].exists():
            db[table].enable_fts(["quote"], create_triggers=True, tokenize="trigram")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.enable_wal()


def claims_for_snapshot(db: sqlite_utils.Database, sha: str, parser_version: str
                        ) -> list[Claim] | None:
    """Claims already parsed from this exact snapshot by this parser version, or None."""
    row = db.execute("select parser_version from snapshots where sha256 = ?", [sha]).fetchone()
    if not row or row[0] != parser_version:
        return None
    return [_claim(r) for r in db["claims"].rows_where("snapshot_sha256 = ?", [sha])]


def previous_claims(db: sqlite_utils.Database, source: str) -> list[Claim]:
    """The claims of the snapshot this source had at the last successful run."""
    row = db.execute("select snapshot_sha256 from sources where name = ?", [source]).fetchone()
    if not row or not row[0]:
        return []
    return [_claim(r) for r in db["claims"].rows_where("snapshot_sha256 = ? and source = ?",
                                                         [row[0], source])]


def _claim(row: dict[str, Any]) -> Claim:
    return Claim(field=row["field"], value=json.loads(row["value"]), unit=row["unit"],
                 qualifier=row["qualifier"], quote=row["quote"], locator=row["locator"],
                 subject=row["subject"], source=row["source"], source_kind=row["source_kind"],
                 role=row["role"], url=row["url"], snapshot_sha256=row["snapshot_sha256"])


def open_finding_ids(db: sqlite_utils.Database, subjects: list[str]) -> set[str]:
    marks = ",".join("?" for _ in subjects)
    return {r[0] for r in db.execute(
        f"select id from findings where status = 'open' and subject in ({marks})", subjects)}


def write_run(db: sqlite_utils.Database, run: AuditRun, *, subjects: list[Subject],
              sources: list[SourceRef], roles: dict[str, str],
              snapshots: list[tuple[Snapshot, str]], claims: list[Claim],
              findings: list[Finding], comparisons: list[dict[str, Any]],
              source_outcomes: dict[str, tuple[str, str | None]]) -> AuditRun:
    """Write one audit in one transaction and mark new, seen and resolved findings."""
    now = run.finished_at or run.started_at
    subject_ids = [s.id for s in subjects]
    with db.atomic():
        before = open_finding_ids(db, subject_ids)
        db["subjects"].upsert_all(
            [{"id": s.id, "name": s.name, "aliases": json.dumps(s.aliases, ensure_ascii=False)}
             for s in subjects], pk="id")
        db["runs"].insert(run.model_dump(), pk="id", replace=True)
        known_snapshots = {r[0] for r in db.execute("select sha256 from snapshots")}
        db["snapshots"].upsert_all(
            [{**s.model_dump(exclude={"headers"}), "parser_version": version,
              "first_seen_run": run.id}
             for s, version in snapshots if s.sha256 not in known_snapshots] +
            [{"sha256": s.sha256, "parser_version": version}
             for s, version in snapshots if s.sha256 in known_snapshots], pk="sha256")
        current = {s.source: s for s, _ in snapshots}
        source_rows = []
        for ref in sources:
            outcome, error = source_outcomes.get(ref.name, ("ok", None))
            snap = current.get(ref.name)
            prev = db.execute("select snapshot_sha256, last_changed, failing_since from sources "
                              "where name = ?", [ref.name]).fetchone()
            changed = snap is not None and (not prev or prev[0] != snap.sha256)
            source_rows.append({
                "name": ref.name, "subject": ref.subject, "kind": ref.kind,
                "role": roles.get(ref.name, ""), "url": ref.url or (snap.url if snap else None),
                "snapshot_path": ref.snapshot,
                "snapshot_sha256": snap.sha256 if snap else (prev[0] if prev else None),
                "last_fetched": snap.retrieved_at if snap else None,
                "last_changed": now if changed else (prev[1] if prev else None),
                "failing_since": None if outcome == "ok" else ((prev[2] if prev else None)
                                                               or now),
                "last_error": error,
            })
        db["sources"].upsert_all(source_rows, pk="name")
        db["source_runs"].insert_all(
            [{"run_id": run.id, "source": r["name"], "snapshot_sha256": r["snapshot_sha256"],
              "outcome": source_outcomes.get(r["name"], ("ok", None))[0],
              "error": source_outcomes.get(r["name"], ("ok", None))[1]} for r in source_rows],
            pk=("run_id", "source"), replace=True)
        db["claims"].insert_all(
            [{"id": c.id, **c.model_dump(exclude={"value"}),
              "value": json.dumps(c.value, ensure_ascii=False, default=str),
              "value_text": c.value_text()} for c in claims], pk="id", ignore=True)
        seen = set()
        events = []
        for f in findings:
            seen.add(f.id)
            existing = db.execute("select status, first_seen_run, first_seen from findings "
                                  "where id = ?", [f.id]).fetchone()
            row = {"id": f.id, "subject": f.subject, "field": f.field, "kind": f.kind,
                   "rule": f.rule, "severity": f.severity,
                   "severity_rank": SEVERITY_RANK[f.severity], "message": f.message,
                   "status": "open", "last_seen_run": run.id, "last_seen": now,
                   "resolved_run": None, "resolved_at": None,
                   "details": json.dumps(f.details, ensure_ascii=False, default=str),
                   "first_seen_run": existing[1] if existing else run.id,
                   "first_seen": existing[2] if existing else now}
            db["findings"].upsert(row, pk="id")
            if not existing:
                events.append({"run_id": run.id, "finding_id": f.id, "event": "new", "at": now})
            elif existing[0] != "open":
                events.append({"run_id": run.id, "finding_id": f.id, "event": "reopened",
                               "at": now})
            db["finding_sources"].delete_where("finding_id = ?", [f.id])
            db["finding_sources"].insert_all(
                [{"finding_id": f.id, "position": i, **s.model_dump(exclude={"value"}),
                  "value": json.dumps(s.value, ensure_ascii=False, default=str)}
                 for i, s in enumerate(f.sources)], pk=("finding_id", "position"))
        resolved = before - seen
        for fid in resolved:
            db["findings"].update(fid, {"status": "resolved", "resolved_run": run.id,
                                        "resolved_at": now})
            events.append({"run_id": run.id, "finding_id": fid, "event": "resolved", "at": now})
        db["finding_events"].insert_all(events, pk=("run_id", "finding_id"), replace=True)
        for subject in subject_ids:
            db["comparisons"].delete_where("subject = ?", [subject])
        db["comparisons"].insert_all(comparisons, pk=("subject", "field"), replace=True)
        run = run.model_copy(update={
            "findings_open": len(seen), "findings_resolved": len(resolved),
            "findings_new": sum(1 for e in events if e["event"] in ("new", "reopened"))})
        db["runs"].upsert(run.model_dump(), pk="id")
    return run


def last_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    rows = list(db["runs"].rows_where("status = 'ok'", order_by="started_at desc", limit=1))
    return rows[0] if rows else None


def findings(db: sqlite_utils.Database, *, status: str | None = "open",
             subject: str | None = None) -> list[dict[str, Any]]:
    """Findings with their sources, as plain dicts (the JSON output shape)."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if subject:
        where.append("subject = ?")
        params.append(subject)
    rows = list(db["findings"].rows_where(" and ".join(where) or None, params,
                                          order_by="severity_rank desc, subject, field, rule"))
    for row in rows:
        row["details"] = json.loads(row["details"] or "{}")
        row["sources"] = [
            {**s, "value": json.loads(s["value"]) if s["value"] else None}
            for s in db["finding_sources"].rows_where("finding_id = ?", [row["id"]],
                                                      order_by="position")]
    return rows
