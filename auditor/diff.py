"""The diff engine: group one subject's claims by field, run the rules, and compare this
audit's claims with the previous audit's to report what changed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import cast

from auditor.config import Config
from auditor.models import (
    Claim,
    Comparison,
    Finding,
    FindingSource,
    RegistryVersion,
    Severity,
    Subject,
    render_value,
)
from auditor.rules import RULES, Context
from auditor.rules.trials import TRIAL_FIELDS, trials


@dataclass
class Judgement:
    """What the rules decided for one subject: the findings, and which sources' values of each
    field were actually compared (only those can be called consistent)."""

    findings: list[Finding]
    compared: dict[str, set[str]] = field(default_factory=dict)


def judge(subject: Subject, claims: list[Claim], config: Config | None = None, *,
          versions: list[RegistryVersion] | None = None, as_of: dict[str, str] | None = None
          ) -> Judgement:
    """Run every enabled rule. When the sources describe several trials, a rule about trial
    facts runs once per trial, on that trial's sources only. `versions`: earlier versions of
    registry records (their change history); `as_of`: source → the date to compare as of."""
    groups, _ = trials(claims)
    per_trial = [[c for c in claims if c.source in g.sources] for g in groups] \
        if len(groups) > 1 else None
    findings: dict[str, Finding] = {}
    compared: dict[str, set[str]] = {}
    for name, r in RULES.items():
        settings = config.rule(name) if config else None
        if settings is not None and not settings.enabled:
            continue
        trial_rule = name != "different_trial" and bool(set(r.fields) & TRIAL_FIELDS)
        for scope in (per_trial if per_trial and trial_rule else [claims]):
            names = {c.source for c in scope}
            ctx = Context(subject=subject, claims=scope,  # a trial's scope: its versions
                          versions=list(versions or []) if scope is claims else
                          [v for v in versions or [] if v.source in names],
                          as_of=dict(as_of or {}),
                          threshold=settings.threshold if settings else None,
                          severity=cast(Severity, settings.severity)
                          if settings and settings.severity else None,
                          options={"stale_after_days": config.auditor.stale_after_days,
                                   "company_groups": config.company_group_map()}
                          if config else {})
            for f in r.check(ctx):
                findings.setdefault(f.id, f)
            for fld, sources in ctx.compared.items():
                compared.setdefault(fld, set()).update(sources)
    return Judgement(sorted(findings.values(), key=lambda f: (f.field, f.rule, f.message)),
                     compared)


def run_rules(subject: Subject, claims: list[Claim], config: Config | None = None, *,
              versions: list[RegistryVersion] | None = None) -> list[Finding]:
    """The findings of `judge`."""
    return judge(subject, claims, config, versions=versions).findings


def compare_fields(subject: Subject, claims: list[Claim], findings: list[Finding],
                   compared: dict[str, set[str]] | None = None) -> list[Comparison]:
    """A field-by-source table, the backbone of reports and `auditor compare`. A field's
    verdict is 'finding' when a rule reported on it, so the table and the findings agree;
    'consistent' only when a rule compared every source's value and found them to agree;
    'partly compared' when it compared some; 'not compared' when no rule compared them (another
    language, no rule for the field, or different trials)."""
    compared = compared or {}
    flagged = {f.field for f in findings if f.kind != "changed"}
    rows = []
    by_field: dict[str, list[Claim]] = {}
    for c in claims:
        by_field.setdefault(c.field, []).append(c)
    for name, group in sorted(by_field.items()):
        values: dict[str, str] = {}
        for c in group:
            text = c.value_text()
            if c.qualifier and name in ("enrollment", "price", "identifiers"):
                text = f"{text} ({c.qualifier})"
            values[c.source] = "; ".join(dict.fromkeys(filter(None, [values.get(c.source), text])))
        known = [c for c in group if c.value is not None]
        sources = {c.source for c in known}
        checked = compared.get(name, set()) & sources
        if name in flagged:
            verdict = "finding"
        elif not known:
            verdict = "unknown"
        elif len(sources) == 1:
            verdict = "single-source"
        elif checked == sources:
            verdict = "consistent"
        elif len(checked) > 1:
            verdict = "partly compared"
        else:
            verdict = "not compared"
        rows.append(Comparison(subject.id, name, verdict, values))
    return rows


def changes(subject: str, previous: list[Claim], current: list[Claim]) -> list[Finding]:
    """Field-level changes of each source since the previous audit, with both quotes."""
    def key(c: Claim) -> tuple[str, str, str]:
        return (c.source, c.field, c.qualifier or "")

    def group(claims: list[Claim]) -> dict[tuple[str, str, str], list[Claim]]:
        out: dict[tuple[str, str, str], list[Claim]] = {}
        for c in claims:
            out.setdefault(key(c), []).append(c)
        return out

    before, after = group(previous), group(current)
    findings = []
    for k in sorted(set(before) | set(after)):
        old = before.get(k, [])
        new = after.get(k, [])
        old_values = sorted(json.dumps(c.value, sort_keys=True, default=str) for c in old)
        new_values = sorted(json.dumps(c.value, sort_keys=True, default=str) for c in new)
        if old_values == new_values:
            continue
        source, field, qualifier = k
        was = "; ".join(render_value(c.value, c.unit) for c in old) or "not stated"
        now = "; ".join(render_value(c.value, c.unit) for c in new) or "not stated"
        sides = [FindingSource(source=f"{source} (previous)", kind=c.source_kind, value=c.value,
                               quote=c.quote, locator=c.locator, url=c.url,
                               snapshot_sha256=c.snapshot_sha256) for c in old[:1]]
        sides += [FindingSource(source=source, kind=c.source_kind, value=c.value, quote=c.quote,
                                locator=c.locator, url=c.url, snapshot_sha256=c.snapshot_sha256)
                  for c in new[:1]]
        if not old:
            sides.insert(0, FindingSource(source=f"{source} (previous)", kind="", value=None,
                                          locator="(not stated in the previous snapshot)"))
        if not new:
            sides.append(FindingSource(source=source, kind="", value=None,
                                       locator="(not stated in the current snapshot)"))
        severity: Severity = "high" if field in ("primary_outcomes", "enrollment", "status",
                                       "approval", "price") else "medium"
        findings.append(Finding(
            subject=subject, field=field, kind="changed", rule="source_changed",
            severity=severity,
            message=f"{source} changed {field}{f' ({qualifier})' if qualifier else ''}: "
                    f"was {was}, now {now}",
            sources=sides, details={"was": was, "now": now}))
    return findings
