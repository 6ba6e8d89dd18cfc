"""Diff rules: small pure functions from one subject's claims to findings.

Each rule has a stable name, a default severity and a one-line explanation, and is grouped
with its family (counts, outcomes, amendments, status, design, regulatory, identifiers,
language, integrity, dosing, funding, registrations). config.toml may switch a rule off or
change its threshold or severity:

    [rules.outcome_switching]
    threshold = 70
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.models import (
    Claim,
    Finding,
    FindingKind,
    FindingSource,
    RegistryVersion,
    Severity,
    Subject,
)


@dataclass
class Context:
    """What a rule sees: one subject's current claims, and its settings."""

    subject: Subject
    claims: list[Claim]
    threshold: float | None = None
    severity: Severity | None = None  # set in config.toml for the rule; None: the rule decides
    options: dict[str, Any] = field(default_factory=dict)
    #: field → sources whose values a rule actually compared (and so can call consistent).
    compared: dict[str, set[str]] = field(default_factory=dict)
    #: Earlier versions of registry records (their change history), oldest first per source.
    versions: list[RegistryVersion] = field(default_factory=list)
    #: Compare papers with the registry as it stood on this date (YYYY-MM-DD), source → date;
    #: without one, with the last version before the trial started.
    as_of: dict[str, str] = field(default_factory=dict)

    def mark_compared(self, name: str, claims: list[Claim]) -> None:
        """Record that these claims' values were compared with each other for `name`."""
        sources = {c.source for c in claims if c.value is not None}
        if len(sources) > 1:
            self.compared.setdefault(name, set()).update(sources)

    def field(self, name: str, role: str | None = None) -> list[Claim]:
        return [c for c in self.claims
                if c.field == name and (role is None or c.role == role)]

    def known(self, name: str, role: str | None = None) -> list[Claim]:
        """Claims of a field whose value could be read (not 'unknown')."""
        return [c for c in self.field(name, role) if c.value is not None]

    def roles(self) -> set[str]:
        return {c.role for c in self.claims}

    def sources(self, role: str | None = None) -> list[str]:
        return sorted({c.source for c in self.claims if role is None or c.role == role})


@dataclass(frozen=True)
class Rule:
    name: str
    fields: tuple[str, ...]
    severity: Severity
    explanation: str
    check: Callable[[Context], list[Finding]]


RULES: dict[str, Rule] = {}
FAMILIES = ("trials", "counts", "outcomes", "amendments", "status", "design", "regulatory",
            "identifiers", "language", "integrity", "dosing", "funding", "registrations")


def rule(name: str, *, fields: tuple[str, ...], severity: Severity, explanation: str
         ) -> Callable[[Callable[[Context], list[Finding]]], Callable[[Context], list[Finding]]]:
    """Register a rule under a stable name."""

    def register(fn: Callable[[Context], list[Finding]]) -> Callable[[Context], list[Finding]]:
        RULES[name] = Rule(name, fields, severity, explanation, fn)
        fn.rule_name = name  # type: ignore[attr-defined]
        return fn

    return register


def side(claim: Claim, value: Any = None) -> FindingSource:
    """One side of a finding, from the claim it rests on."""
    return FindingSource(source=claim.source, kind=claim.source_kind,
                         value=claim.value if value is None else value, quote=claim.quote,
                         locator=claim.locator, url=claim.url,
                         snapshot_sha256=claim.snapshot_sha256)


def absence(source: str, kind: str, what: str) -> FindingSource:
    """A named absence: the source was read and does not state the field."""
    return FindingSource(source=source, kind=kind, value=None, quote=None,
                         locator=f"(not stated: {what})")


def finding(ctx: Context, name: str, kind: FindingKind, message: str,
            sides: list[FindingSource], field: str | None = None,
            severity: Severity | None = None, **details: Any) -> Finding:
    """A finding of rule `name`. Its severity: the one config.toml sets for the rule, else
    the one this finding calls for (`severity`), else the rule's default."""
    r = RULES[name]
    return Finding(subject=ctx.subject.id, field=field or r.fields[0], kind=kind, rule=name,
                   severity=ctx.severity or severity or r.severity, message=message,
                   sources=sides, details=details)


def load_all() -> dict[str, Rule]:
    for family in FAMILIES:
        importlib.import_module(f"{__name__}.{family}")
    return RULES



def clusters(claims: list[Claim], same: Callable[[Any, Any], bool]) -> list[list[Claim]]:
    """Group claims whose values are `same` as the first claim of a group."""
    groups: list[list[Claim]] = []
    for c in claims:
        for g in groups:
            if same(g[0].value, c.value):
                g.append(c)
                break
        else:
            groups.append([c])
    return groups


def describe(groups: list[list[Claim]]) -> str:
    """'7 participants (crossref, pubmed) vs 8 participants (jrct-ja)'."""
    return " vs ".join(
        f"{g[0].value_text()} ({', '.join(sorted({c.source for c in g}))})" for g in groups)


def disagreement(ctx: Context, name: str, claims: list[Claim],
                 same: Callable[[Any, Any], bool] = lambda a, b: a == b,
                 severity: Severity | None = None, **details: Any) -> list[Finding]:
    """One mismatch finding if the claims' values fall into more than one group."""
    groups = clusters([c for c in claims if c.value is not None], same)
    if claims:
        ctx.mark_compared(claims[0].field, claims)
    if len(groups) < 2:
        return []
    field = claims[0].field
    return [finding(ctx, name, "mismatch", f"{field} differs between sources: {describe(groups)}",
                    [side(c) for g in groups for c in g], field=field, severity=severity,
                    **details)]


def one_per_source(claims: list[Claim]) -> list[Claim]:
    """The first claim of each source (a source may state a field in several places)."""
    seen: dict[str, Claim] = {}
    for c in claims:
        seen.setdefault(c.source, c)
    return list(seen.values())


load_all()


def rules_version() -> str:
    """A hash of the rule code (rules/ and diff.py): an unchanged subject is skipped only while
    it holds."""
    h = hashlib.sha256()
    package = Path(__file__).parent
    for p in sorted([package.parent / "diff.py", *package.glob("*.py")]):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]
