"""`auditor evidence`: one finding's evidence as a zip a fact-checker can open without the
tool: the finding (JSON), the exact bytes of every snapshot it cites, and their manifest
entries (URL, retrieval time, provenance)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import sqlite_utils

from auditor import snapshots
from auditor.store import file_of
from auditor.store.evidence import finding_evidence

README = """Evidence for finding {id} ({subject} · {field} · {rule}).

finding.json    the finding: message, each side's value, quote, locator, URL and snapshot
                sha256, and its reviews
snapshots/      the bytes of each cited snapshot, named by their sha256 (check with sha256sum)
manifest.json   for each snapshot: where it was saved, the URL, when it was retrieved, its
                provenance (fetched, verbatim, reconstructed), and its folder's manifest entry
"""


def write_bundle(db: sqlite_utils.Database, snapshot_dir: Path, finding_id: str, out: Path
                 ) -> dict[str, Any]:
    """Write the bundle; returns what went in (finding id, snapshot files). Fails, writing
    nothing, when a cited version's bytes are no longer on disk."""
    finding, rows = finding_evidence(db, finding_id)
    database = file_of(db)
    stores = (snapshots.versions_for(Path(database)),) if database else ()
    files: list[tuple[str, bytes]] = []
    entries = []
    for row in rows:
        body = snapshots.resolve(snapshot_dir, row["path"], row["sha256"], stores)
        name = f"snapshots/{row['sha256']}{PurePosixPath(row['path']).suffix}"
        files.append((name, body))
        file = snapshots.safe_path(snapshot_dir, row["path"])
        entry = snapshots.read_manifest(file.parent).get(file.name)
        current = file.is_file() and snapshots.sha256(file.read_bytes()) == row["sha256"]
        entries.append({"file": name, "source": row["source"], "sha256": row["sha256"],
                        "path": row["path"], "url": row["url"], "final_url": row["final_url"],
                        "retrieved_at": row["retrieved_at"], "media_type": row["media_type"],
                        "provenance": row["provenance"], "status": row["status"],
                        "current": current,
                        "manifest_entry": entry})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", README.format(**finding))
        z.writestr("finding.json", json.dumps(finding, indent=2, ensure_ascii=False,
                                              default=str))
        z.writestr("manifest.json", json.dumps({"snapshots": entries}, indent=2,
                                               ensure_ascii=False, default=str))
        for name, body in files:
            z.writestr(name, body)
    tmp.replace(out)
    return {"finding_id": finding["id"], "output": str(out),
            "snapshots": [name for name, _ in files]}
