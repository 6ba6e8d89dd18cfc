"""The evidence profile and the watch list as the terminal and the report show them: both are
judged at audit time (rules/evidence.py) and stored as report notes; here they are only split
and looked up for rendering.

RECONSTRUCTED at ~22:56 UTC by the review/evidence-bundle helper, who overwrote this file by
mistake (its own bundle code is now outputs/bundle.py). Rebuilt from its callers and
tests/test_evidence_profile.py; the author should check it against the original.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from auditor import store


def split_item(item: str) -> tuple[str, str, str]:
    """'Statement: VERDICT. why …' → (statement, 'verdict' in lower case, why)."""
    statement, _, rest = item.partition(": ")
    verdict, _, why = rest.partition(". ")
    return statement, verdict.lower(), why


def profile_line(db: sqlite_utils.Database | str | Path, subject: str) -> str | None:
    """The subject's one-line evidence profile ('evidence: open-label, …'), or None."""
    database = db if isinstance(db, sqlite_utils.Database) else store.open_db(db)
    return next((text for section, text in store.report_notes(database, subject)
                 if section == "profile"), None)
