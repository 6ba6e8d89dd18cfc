"""What the Datasette pages read: findings with both sides, one finding with all its evidence,
and a subject's sources × fields matrix and timeline. Read-only: every function here only
selects, so it runs on Datasette's read-only connections.

The matrix cell states restate what the audit stored (claims, the field's comparison verdict,
the sources named in its findings); nothing is judged again here.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from auditor.store import finding_filter, reviews
from auditor.store.views import VIEWS, _statement

#: Tables a database needs for the pages to make sense: the plugin ignores other databases.
AUDIT_TABLES = ("findings", "finding_sources", "subjects", "sources")

#: Cell states of the sources × fields matrix, in legend order, with what each means.
CELL_STATES: dict[str, str] = {
    "agree": "compared with the other sources and consistent",
    "differ": "named in a finding on this field",
    "partly": "some sources' values were compared; no finding",
    "cannot compare": "stated, but no rule could compare it (one source, another language, "
                      "no rule for the field)",
    "silent": "the source says nothing about this field",
}


def is_audit_db(db: sqlite_utils.Database) -> bool:
    """Whether this database was written by `auditor audit`."""
    names = set(db.table_names())
    return all(t in names for t in AUDIT_TABLES)


def stale_views(db: sqlite_utils.Database) -> list[str]:
    """Views missing or older than this version's SQL (`auditor audit` rewrites them); read
    only, so `auditor serve` can warn without writing."""
    stored = {r[0]: r[1] for r in db.execute(
        "select name, sql from sqlite_master where type = 'view'")}
    return [name for name, sql in VIEWS.items() if stored.get(name) != _statement(name, sql)]


def stale_views_of(path: str | Path) -> list[str]:
    """`stale_views` of a database file, opened read-only (mode=ro): nothing is written."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return stale_views(sqlite_utils.Database(conn))
    finally:
        conn.close()


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def _sides(db: sqlite_utils.Database, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" for _ in chunk)
        for s in db.query(f"select * from finding_sources where finding_id in ({marks}) "
                          "order by finding_id, position", chunk):
            s["value"] = _json(s["value"])
            out.setdefault(s["finding_id"], []).append(s)
    return out


def _with_sides(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    sides = _sides(db, ids)
    reviewed = reviews.latest(db, ids)
    for row in rows:
        row["details"] = _json(row.get("details")) or {}
        row["sources"] = sides.get(row["id"], [])
        row["review"] = reviewed.get(row["id"])
    return rows


def findings_list(db: sqlite_utils.Database, *, status: str = "open",
                  subject: str | None = None, severity: str | None = None,
                  limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """(a page of findings, most severe first, each with its sides and last review; how many
    match). `status` "open" means current and not dismissed; "all" means every finding."""
    where, params = finding_filter(status=status, subject=subject, severity=severity)
    clause = f"where {' and '.join(where)}" if where else ""
    total = db.execute(f"select count(*) from findings {clause}", params).fetchone()[0]
    rows = list(db.query(
        f"select * from findings {clause} order by severity_rank desc, subject, field, rule, id "
        "limit ? offset ?", [*params, limit, offset]))
    return _with_sides(db, rows), int(total)


def status_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Findings by status (open, confirmed, contested, dismissed, resolved)."""
    return {r[0]: r[1] for r in db.execute(
        "select status, count(*) from findings group by status order by status")}


def finding_detail(db: sqlite_utils.Database, finding_id: str) -> dict[str, Any] | None:
    """One finding with every side, the snapshot rows its sides cite, its reviews and its
    events (new, reopened, resolved, with the run's time); None when there is no such id."""
    rows = list(db.query("select * from findings where id = ?", [finding_id]))
    if not rows:
        return None
    [finding] = _with_sides(db, rows)
    shas = list(dict.fromkeys(s["snapshot_sha256"] for s in finding["sources"]
                              if s["snapshot_sha256"]))
    marks = ",".join("?" for _ in shas)
    finding["snapshots"] = {r["sha256"]: r for r in db.query(
        f"select * from snapshots where sha256 in ({marks})", shas)} if shas else {}
    finding["reviews"] = reviews.history(db, finding_id)
    finding["events"] = list(db.query(
        "select e.event, e.at, e.run_id from finding_events e where e.finding_id = ? "
        "order by e.at, e.rowid", [finding_id]))
    finding["subject_name"] = next((r[0] for r in db.execute(
        "select name from subjects where id = ?", [finding["subject"]])), finding["subject"])
    return finding


def subjects_list(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every subject with its count of open findings and its most severe open one."""
    return list(db.query(
        "select s.id, s.name, "
        f"(select count(*) from findings f where f.subject = s.id and f.status in "
        f"{reviews.OPEN!r}) as open_findings, "
        "(select count(*) from sources o where o.subject = s.id) as sources "
        "from subjects s order by open_findings desc, s.id"))


def subject_detail(db: sqlite_utils.Database, subject: str) -> dict[str, Any] | None:
    """A subject's page: its sources, the sources × fields matrix (each cell: state, value,
    quote), its findings (every status) and what the timeline draws; None when unknown."""
    rows = list(db.query("select * from subjects where id = ?", [subject]))
    if not rows:
        return None
    page: dict[str, Any] = dict(rows[0])
    page["aliases"] = _json(page.get("aliases")) or []
    sources = list(db.query(
        "select s.name, s.kind, s.role, s.url, s.last_fetched, s.failing_since, s.last_error, "
        "s.snapshot_sha256, sn.provenance from sources s "
        "left join snapshots sn on sn.sha256 = s.snapshot_sha256 "
        "where s.subject = ? order by case s.role when 'registry' then 0 "
        "when 'publication' then 1 when 'regulator' then 2 else 3 end, s.name", [subject]))
    claims = list(db.query(
        "select c.source, c.field, c.value_text, c.qualifier, c.quote, c.locator from claims c "
        "join sources s on s.name = c.source and s.snapshot_sha256 = c.snapshot_sha256 "
        "where s.subject = ? order by c.field, c.source, c.rowid", [subject]))
    verdicts = {r[0]: r[1] for r in db.execute(
        "select field, verdict from comparisons where subject = ?", [subject])}
    findings = list(db.query(
        "select * from findings where subject = ? order by status not in "
        f"{reviews.OPEN!r}, severity_rank desc, field, rule, id", [subject]))
    findings = _with_sides(db, findings)
    page["sources"] = sources
    page["identifiers"] = [c["value_text"] for c in claims
                           if c["field"] == "identifiers" and c["value_text"]]
    page["findings"] = findings
    page["matrix"] = _matrix(sources, claims, verdicts, findings)
    page["verdicts"] = verdicts
    page["runs"] = list(db.query(
        "select distinct r.id, r.started_at from runs r join source_runs sr on sr.run_id = r.id "
        "join sources s on s.name = sr.source where s.subject = ? and r.status = 'ok' "
        "order by r.started_at, r.rowid", [subject]))
    page["events"] = list(db.query(
        "select e.event, e.at, f.id as finding_id, f.severity, f.field, f.message "
        "from finding_events e join findings f on f.id = e.finding_id where f.subject = ? "
        "order by e.at, e.rowid", [subject]))
    page["versions"] = list(db.query(
        "select sn.source, s.role, sn.sha256, sn.retrieved_at, sn.provenance from snapshots sn "
        "join sources s on s.name = sn.source where s.subject = ? and s.role = 'registry' "
        "order by sn.source, sn.retrieved_at", [subject]))
    return page


def _matrix(sources: list[dict[str, Any]], claims: list[dict[str, Any]],
            verdicts: dict[str, str], findings: list[dict[str, Any]]
            ) -> dict[str, Any]:
    """fields (rows) × sources (columns) → {state, value, quote, locator, finding}."""
    said: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for c in claims:
        said.setdefault((c["field"], c["source"]), []).append(c)
    flagged: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        if f["status"] not in reviews.OPEN or f["kind"] == "changed":
            continue
        for s in f["sources"]:
            flagged.setdefault((f["field"], s["source"]), f)
    # The fields some source states (source health and the like are in the findings only).
    fields = sorted({c["field"] for c in claims})
    names = [s["name"] for s in sources]
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for fld in fields:
        verdict = verdicts.get(fld)
        row: dict[str, dict[str, Any]] = {}
        for name in names:
            stated = said.get((fld, name), [])
            finding = flagged.get((fld, name))
            if not stated:
                state = "silent"
            elif finding:
                state = "differ"
            elif verdict == "consistent":
                state = "agree"
            elif verdict == "partly compared":
                state = "partly"
            else:
                state = "cannot compare"
            values = list(dict.fromkeys(
                c["value_text"] + (f" ({c['qualifier']})" if c["qualifier"] else "")
                for c in stated if c["value_text"]))
            row[name] = {"state": state, "value": "; ".join(values),
                         "quote": stated[0]["quote"] if stated else None,
                         "locator": stated[0]["locator"] if stated else None,
                         "finding": finding["id"] if finding else None}
        cells[fld] = row
    return {"fields": fields, "sources": names, "cells": cells}
