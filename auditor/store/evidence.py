"""What a fact-checker needs to re-open a finding's evidence: the finding, and the snapshot
rows (path, URL, retrieval) of every sha256 it cites; and every sha256 the database cites."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from auditor.errors import AuditorError


def finding_evidence(db: sqlite_utils.Database, given: str
                     ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the finding as `auditor findings --json` shows it, the snapshots rows it cites)."""
    from auditor.store import findings_where, reviews

    finding_id = reviews.resolve_id(db, given)
    [finding] = findings_where(db, "id = ?", [finding_id])
    finding["reviews"] = reviews.history(db, finding_id)
    shas = list(dict.fromkeys(s["snapshot_sha256"] for s in finding["sources"]
                              if s["snapshot_sha256"]))
    rows = {r["sha256"]: r for r in db.query(
        f"select * from snapshots where sha256 in ({','.join('?' for _ in shas)})", shas)} \
        if shas else {}
    missing = [sha for sha in shas if sha not in rows]
    if missing:
        raise AuditorError(f"finding {finding_id} cites snapshots {', '.join(missing)} that the "
                           "database does not record; re-run `auditor audit`")
    return finding, [rows[sha] for sha in shas]


def cited_snapshots(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every (sha256, path, where) the database cites: snapshots, claims and finding quotes,
    each sha256 with the path its snapshots row gives (None when there is no such row)."""
    return list(db.query(
        "with cited as (select sha256, 'snapshots' as place from snapshots "
        "union select distinct snapshot_sha256, 'claims' from claims "
        "where snapshot_sha256 is not null "
        "union select distinct snapshot_sha256, 'finding_sources' from finding_sources "
        "where snapshot_sha256 is not null) "
        "select cited.sha256, cited.place, snapshots.path from cited "
        "left join snapshots on snapshots.sha256 = cited.sha256 order by cited.sha256"))
