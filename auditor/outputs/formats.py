"""Listing formats in one place, as sqlite-utils and pip-audit offer them: `json` (one
document with a `version` key), `nl` (newline-delimited JSON, one record a line), `csv` and
`tsv` (one flat row a record, a header first). And the one JSON shape of a finding, the same
from `audit`, `compare`, `findings` and `report`, so a script reads them all alike.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from auditor.models import Claim, Finding

#: The formats every listing command accepts (--json, --nl, --csv, --tsv).
FORMATS = ("json", "nl", "csv", "tsv")
#: Version of the JSON shapes below; raised when a key changes meaning or goes away.
VERSION = 1
#: The keys of a finding's side, in order.
SIDE_KEYS = ("source", "kind", "value", "quote", "locator", "url", "snapshot_sha256")
#: What only the database knows about a finding (null from `compare`, which stores nothing).
STORED_KEYS = ("status", "first_seen", "last_seen", "review")


def finding_record(finding: Finding | Mapping[str, Any],
                   stored: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A finding as JSON: its identity, rule, message, both sides with their quotes, the rule's
    details, and (from the database) its status, first and last sighting and last review."""
    f = finding.model_dump() if isinstance(finding, Finding) else dict(finding)
    stored = stored if stored is not None else (f if "status" in f else {})
    return {
        "id": _id_of(finding),
        "subject": f["subject"], "field": f["field"], "kind": f["kind"], "rule": f["rule"],
        "severity": f["severity"], "message": f["message"],
        "sources": [{k: side.get(k) for k in SIDE_KEYS} for side in f.get("sources") or []],
        "details": f.get("details") or {},
        **{k: stored.get(k) for k in STORED_KEYS},
    }


def claim_record(c: Claim) -> dict[str, Any]:
    return {"subject": c.subject, "source": c.source, "kind": c.source_kind, "role": c.role,
            "field": c.field, "qualifier": c.qualifier, "value": c.value, "unit": c.unit,
            "quote": c.quote, "locator": c.locator, "url": c.url,
            "snapshot_sha256": c.snapshot_sha256}


def findings_document(findings: Iterable[Finding | Mapping[str, Any]], *,
                      claims: list[Claim] | None = None,
                      stored: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """{"version": 1, "findings": [...]} and, where the command read them, "claims": [...].
    `stored` maps a finding id to its database row (status, review...)."""
    records = [finding_record(f, (stored or {}).get(_id_of(f))) for f in findings]
    doc: dict[str, Any] = {"version": VERSION, "findings": records}
    if claims is not None:
        doc["claims"] = [claim_record(c) for c in claims]
    return doc


def _id_of(f: Finding | Mapping[str, Any]) -> str:
    return f.id if isinstance(f, Finding) else str(f["id"])


def flat_finding(record: Mapping[str, Any]) -> dict[str, Any]:
    """A finding as one CSV row: the sides joined with ' | ' in source order."""
    sides = record["sources"]
    review = record.get("review") or {}
    return {
        **{k: record[k] for k in ("id", "subject", "severity", "rule", "field", "kind",
                                  "message")},
        "status": record.get("status"),
        "sources": " | ".join(str(s["source"]) for s in sides),
        "values": " | ".join(_cell(s["value"]) for s in sides),
        "quotes": " | ".join(_cell(s["quote"]) for s in sides),
        "urls": " | ".join(_cell(s["url"]) for s in sides),
        "first_seen": record.get("first_seen"), "last_seen": record.get("last_seen"),
        "review": (f"{review.get('decision')} by {review.get('reviewer')}: "
                   f"{review.get('note') or ''}".rstrip(": ") if review else None),
    }


def _cell(value: Any) -> str:
    """A value in a CSV cell: text as is, anything else as JSON; unknown is empty."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                          default=str)


def render(fmt: str, records: list[dict[str, Any]], *, document: dict[str, Any] | None = None,
           key: str = "items", flat: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
           ) -> str:
    """The text of a listing: `json` prints `document` (default {"version": 1, key: records}),
    `nl` each record on its own line, `csv`/`tsv` the records flattened by `flat` (nested
    values as JSON)."""
    if fmt == "json":
        doc = document if document is not None else {"version": VERSION, key: records}
        return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "nl":
        return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
    if fmt in ("csv", "tsv"):
        rows = [flat(r) if flat else dict(r) for r in records]
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, delimiter="," if fmt == "csv" else "\t",
                                lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
