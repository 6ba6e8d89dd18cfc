"""Output: a registry record's timeline for `auditor history NCT…`: every version (number,
date, status, the modules it changed) and, under the version that made them, the amendments
the rules found, each naming both versions."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from auditor.models import SEVERITY_ORDER, Finding, RegistryVersion
from auditor.outputs.terminal import terminal_width


def _made_by(finding: Finding) -> int | None:
    versions = finding.details.get("versions") or []
    return int(versions[-1]) if versions else None


def timeline_text(registry_id: str, folder: str, versions: list[RegistryVersion],
                  findings: list[Finding], missing: list[str]) -> str:
    """One line per version, its amendments indented beneath it."""
    lines = [f"{registry_id}: {len(versions)} versions ({folder})"]
    width = max((len(v.status or "?") for v in versions), default=1)
    for v in versions:
        labels = ", ".join(v.module_labels) or "(no modules listed)"
        lines.append(f"version {v.version:<3} {v.date}  {(v.status or '?'):<{width}}  {labels}")
        made = [f for f in findings if _made_by(f) == v.version]
        for f in sorted(made, key=lambda f: (-SEVERITY_ORDER[f.severity], f.field)):
            lines += textwrap.wrap(f"{f.severity:<6} {f.field}: {f.message}",
                                   width=max(60, terminal_width(100)), initial_indent="    ",
                                   subsequent_indent=" " * 11)
    lines += [f"not read: {m}" for m in missing]
    return "\n".join(lines)


def timeline_json(registry_id: str, folder: str, versions: list[RegistryVersion],
                  findings: list[Finding], missing: list[str]) -> dict[str, Any]:
    return {"registry_id": registry_id, "folder": folder, "missing": missing,
            "versions": [{"version": v.version, "date": v.date, "status": v.status,
                          "module_labels": v.module_labels, "url": v.url,
                          "snapshot_sha256": v.snapshot_sha256,
                          "amendments": [{"rule": f.rule, "field": f.field,
                                          "severity": f.severity, "message": f.message,
                                          "details": f.details}
                                         for f in findings if _made_by(f) == v.version]}
                         for v in versions]}


def registry_rows_text(rows: list[dict[str, Any]]) -> str:
    """The `registry_timeline` rows of an audited subject: a line per version, its amendments
    (severity: message) beneath it."""
    lines: list[str] = []
    width = max(60, terminal_width(100))
    for r in rows:
        labels = ", ".join(json.loads(r["module_labels"] or "[]")) or "(no modules listed)"
        lines.append(f"{r['registry_id']} version {r['version']:<3} {r['date']}  "
                     f"{r['status'] or '?'}  {labels}")
        for message in filter(None, (r["amendment_messages"] or "").split(" | ")):
            lines += textwrap.wrap(message, width=width, initial_indent="    ",
                                   subsequent_indent="        ")
    return "\n".join(lines)
