"""Labelled cases: a folder of snapshots plus the findings a careful reviewer expects (and the
non-findings), used by tests/test_cases.py and benchmarks/fidelity.py to score the rules.

A case folder holds `case.toml`:

    description = "Registry says 8 patients, paper 7"
    language = "en"                      # or "ja"
    [subject]
    id = "x"; name = "X"; aliases = []
    [[sources]]
    name = "registry"; kind = "ctgov"; file = "ctgov.json"    # role optional
    history = "ctgov-NCT…-history"       # ctgov: a folder of its change history (optional)
    [[expected]]
    rule = "enrollment_mismatch"; field = "enrollment"        # kind / category optional
    [[not_expected]]
    rule = "follow_up_mismatch"                               # a labelled non-finding
    known_gap = "why the tool misses it today"   # optional: the test expects it to fail
    [company_groups]                             # optional, as in config.toml
    "Example Pharma" = ["Example Pharma America"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import sources
from auditor.acquire.history import load_history
from auditor.audit import load_snapshot
from auditor.config import Config
from auditor.diff import run_rules
from auditor.models import Claim, Finding, RegistryVersion, SourceRef, Subject, stamp


@dataclass
class Case:
    path: Path
    description: str
    language: str
    subject: Subject
    sources: list[SourceRef]
    expected: list[dict[str, Any]]
    not_expected: list[dict[str, Any]] = field(default_factory=list)
    #: Why the tool does not yet pass this case (its labels stay the reviewer's truth): the
    #: test expects it to fail, and fails when it starts to pass, so the note is removed.
    known_gap: str = ""
    #: source name → the folder of its change history (ClinicalTrials.gov versions).
    histories: dict[str, str] = field(default_factory=dict)
    #: `[company_groups]` of the case, as config.toml gives them (added to the default).
    company_groups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name


def load_case(folder: Path) -> Case:
    data = tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))
    subject = Subject(**data["subject"])
    refs = [SourceRef(name=s["name"], subject=subject.id, kind=s["kind"], snapshot=s["file"],
                      role=s.get("role"), selectors=s.get("selectors", {}))
            for s in data["sources"]]
    return Case(folder, data.get("description", ""), data.get("language", "en"), subject, refs,
                data.get("expected", []), data.get("not_expected", []),
                data.get("known_gap", ""),
                {s["name"]: s["history"] for s in data["sources"] if s.get("history")},
                data.get("company_groups", {}))


def load_cases(root: Path) -> list[Case]:
    return [load_case(p.parent) for p in sorted(root.glob("*/case.toml"))]


def run_case(case: Case) -> tuple[list[Claim], list[Finding]]:
    claims: list[Claim] = []
    versions: list[RegistryVersion] = []
    for ref in case.sources:
        snapshot, doc = load_snapshot(case.path, ref)
        claims += stamp(sources.parse(ref.kind, doc), subject=case.subject.id, ref=ref,
                        snapshot=snapshot, role=ref.role or sources.role_of(ref.kind))
        if ref.name in case.histories:
            folder = case.histories[ref.name]
            nct = folder.removeprefix("ctgov-").removesuffix("-history")
            found, missing = load_history(case.path, folder, nct, source=ref.name,
                                          subject=case.subject.id)
            assert found and not missing, f"{case.name}: history {folder}: {missing}"
            versions += found
    return claims, run_rules(case.subject, claims, Config(company_groups=case.company_groups),
                             versions=versions)


def matches(label: dict[str, Any], f: Finding) -> bool:
    """A finding matches a label when every key the label gives agrees."""
    for key, value in label.items():
        if key in ("rule", "field", "kind", "severity"):
            if getattr(f, key) != value:
                return False
        elif key == "category":
            if f.details.get("category") != value:
                return False
    return True


def score(case: Case, findings: list[Finding]) -> dict[str, Any]:
    """True positives, false positives and false negatives of one case, per rule."""
    tp, fn = [], []
    for label in case.expected:
        (tp if any(matches(label, f) for f in findings) else fn).append(label)
    fp = [f for f in findings if not any(matches(label, f) for label in case.expected)]
    violated = [label for label in case.not_expected
                if any(matches(label, f) for f in findings)]
    return {"tp": tp, "fn": fn, "fp": fp, "violated": violated}
