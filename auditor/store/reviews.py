"""A desk's review of findings: dismissed, confirmed, contested or reopened, with who, when and
why. A review holds while the finding's evidence (its values and snapshot hashes) is what the
reviewer saw; when the evidence changes the next audit reopens the finding and says so.

Imported by `auditor.store` (so it imports nothing of it); all its SQL is here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from auditor.errors import AuditorError
from auditor.models import Finding, digest, now_utc

#: Statuses a review sets; a finding in one of them is still current (not resolved).
REVIEWED = ("dismissed", "confirmed", "contested")
#: What `--status open` means: current and not dismissed.
OPEN = ("open", "confirmed", "contested")
#: Every status of a finding that the last audit still found.
CURRENT = ("open", *REVIEWED)
#: CLI verb → the decision recorded (and the status it sets; "reopened" sets "open").
DECISIONS = {"dismiss": "dismissed", "confirm": "confirmed", "contest": "contested",
             "reopen": "reopened"}
#: A finding id prefix shorter than this is too likely to be ambiguous.
MIN_PREFIX = 6


def fingerprint(sides: Iterable[tuple[str, str | None, str | None]]) -> str:
    """The evidence a reviewer saw: each side's (source, value as stored JSON, snapshot
    sha256), order-free. Quotes and messages may be reworded without reopening a review."""
    return digest(sorted((source, value or "", sha or "") for source, value, sha in sides))


def finding_fingerprint(finding: Finding) -> str:
    """The fingerprint of a finding as an audit made it (values serialised as stored)."""
    return fingerprint((s.source, json.dumps(s.value, ensure_ascii=False, default=str),
                        s.snapshot_sha256) for s in finding.sources)


def stored_fingerprint(db: sqlite_utils.Database, finding_id: str) -> str:
    """The fingerprint of a finding as the database holds it now."""
    return fingerprint((r[0], r[1], r[2]) for r in db.execute(
        "select source, value, snapshot_sha256 from finding_sources where finding_id = ?",
        [finding_id]))


def latest(db: sqlite_utils.Database, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The last review of each of these findings (those never reviewed are absent)."""
    if not ids or not db.table("reviews").exists():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" for _ in chunk)
        for row in db.query(f"select * from reviews where finding_id in ({marks}) "
                            "order by reviewed_at, rowid", chunk):
            out[row["finding_id"]] = row
    return out


def history(db: sqlite_utils.Database, finding_id: str) -> list[dict[str, Any]]:
    """Every review of one finding, oldest first."""
    return list(db.query("select * from reviews where finding_id = ? order by reviewed_at, rowid",
                         [finding_id]))


def state(review: dict[str, Any] | None, finding: Finding, *, now: str, run_id: str
          ) -> tuple[str, dict[str, Any] | None]:
    """The status an audit gives a finding it found, and the automatic "reopened" review to
    record when the evidence changed under a review (else None)."""
    if not review or review["decision"] not in REVIEWED:
        return "open", None
    current = finding_fingerprint(finding)
    if review["evidence"] == current:
        return review["decision"], None
    was = f"{review['decision']} by {review['reviewer']} on {review['reviewed_at'][:10]}"
    note = f"evidence changed since it was {was}"
    if review["note"]:
        note += f" (“{review['note']}”)"
    return "open", {"id": secrets.token_hex(8), "finding_id": finding.id,
                    "decision": "reopened", "note": note, "reviewer": "auditor",
                    "reviewed_at": now, "evidence": current, "run_id": run_id}


def resolve_id(db: sqlite_utils.Database, given: str) -> str:
    """A finding id from the full id or an unambiguous prefix of at least MIN_PREFIX chars."""
    given = given.strip().lower()
    if db.execute("select 1 from findings where id = ?", [given]).fetchone():
        return given
    if len(given) < MIN_PREFIX:
        raise AuditorError(f"finding {given!r}: give at least {MIN_PREFIX} characters of the "
                           "id (`auditor findings` lists them)")
    found = [r[0] for r in db.execute(
        "select id from findings where substr(id, 1, ?) = ? order by id limit 6",
        [len(given), given])]
    if not found:
        raise AuditorError(f"no finding with id {given!r} in the database; "
                           "`auditor findings --status all` lists them")
    if len(found) > 1:
        raise AuditorError(f"finding id {given!r} is ambiguous: {', '.join(found)}; "
                           "give more characters")
    return found[0]


def add(db: sqlite_utils.Database, given: str, decision: str, note: str | None,
        reviewer: str, *, run_id: str | None = None) -> dict[str, Any]:
    """Record a review of one finding and set its status; returns the review row. A resolved
    finding keeps its status: the review applies if it comes back with the same evidence."""
    if decision not in DECISIONS.values():
        raise AuditorError(f"unknown review decision {decision!r}; use one of "
                           f"{', '.join(DECISIONS.values())}")
    with db.atomic():
        finding_id = resolve_id(db, given)
        status = db.execute("select status from findings where id = ?",
                            [finding_id]).fetchone()[0]
        row = {"id": secrets.token_hex(8), "finding_id": finding_id, "decision": decision,
               "note": note or None, "reviewer": reviewer, "reviewed_at": now_utc(),
               "evidence": stored_fingerprint(db, finding_id), "run_id": run_id}
        db.execute("insert into reviews (id, finding_id, decision, note, reviewer, reviewed_at, "
                   "evidence, run_id) values (:id, :finding_id, :decision, :note, :reviewer, "
                   ":reviewed_at, :evidence, :run_id)", row)
        if status != "resolved":
            db.execute("update findings set status = ? where id = ?",
                       ["open" if decision == "reopened" else decision, finding_id])
    return {**row, "status": "open" if decision == "reopened" and status != "resolved"
            else (decision if status != "resolved" else status)}
