"""The report's gaps and questions: what the sources do not support, and what a reader should
ask next. Judged here, at audit time, from the claims, the findings and the sources' state,
and stored with the audit; the subject report only renders them."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.models import ENROLLED_QUALIFIERS, FIELDS, Claim, Finding
from auditor.rules.evidence import reported_sources
from auditor.rules.regulatory import registries_for
from auditor.sources import ROLES

#: Fields that describe the trial and its results: a registry is expected to hold them too.
TRIAL_RESULT_FIELDS = ["enrollment", "follow_up", "primary_outcomes", "secondary_outcomes",
                       "adverse_events", "serious_adverse_events", "sample_size_analysed",
                       "status", "start_date", "completion_date"]
#: Fields whose absence is not a gap (no notice, no claim language is the good case).
ABSENCE_IS_FINE = {"publication_notices", "claim_language", "source_health", "independence"}
#: Registry kinds (as `registries_for` gives them) → (registry name, identifier prefix, kind).
REGISTRY_NAMES: dict[tuple[str, ...], tuple[str, str, str]] = {
    ("ctgov",): ("ClinicalTrials.gov", "NCT", "ctgov"),
    ("jrct", "ictrp"): ("jRCT", "jRCT", "jrct"),
}


@dataclass(frozen=True)
class SourceState:
    """What the gaps need to know of a source besides its claims."""

    name: str
    kind: str
    role: str
    provenance: str
    failing: bool


def label(name: str) -> str:
    return name.replace("_", " ")


def gaps_and_questions(claims: list[Claim], findings: list[Finding],
                       sources: list[SourceState]) -> tuple[list[str], list[str]]:
    """What the sources do not support, and the questions that follow from it."""
    gaps: list[str] = []
    questions: list[str] = []
    by_field: dict[str, list[Claim]] = {}
    for c in claims:
        by_field.setdefault(c.field, []).append(c)
    roles_present = {s.role for s in sources}
    for role in ROLES:
        if role not in roles_present:
            gaps.append(f"No {role} source is configured for this subject.")
    registries = sorted({s.name for s in sources if s.role == "registry"})
    if registries:
        silent = [f for f in TRIAL_RESULT_FIELDS if f in by_field
                  and not any(c.role == "registry" for c in by_field[f])]
        for f in silent:
            others = sorted({c.source for c in by_field[f]})
            gaps.append(f"No registry source reports {label(f)}; only {', '.join(others)} do.")
        reported, _ = reported_sources(claims)  # the registrations of the reported trial
        asked = [r for r in registries if r in reported] or registries
        if silent:
            questions.append(f"Will the registry ({', '.join(asked)}) record "
                             f"{', '.join(label(f) for f in silent)}, or do these rest on the "
                             "publication and company texts alone?")
        enrol = by_field.get("enrollment", [])
        if enrol and all(c.qualifier == "planned" for c in enrol if c.role == "registry") \
                and any(c.role == "registry" for c in enrol) \
                and any(c.qualifier in ENROLLED_QUALIFIERS for c in enrol):
            entered = sorted({c.source for c in enrol if c.qualifier in ENROLLED_QUALIFIERS})
            gaps.append("The registries give only the planned enrollment; the actual number "
                        "comes from " + ", ".join(entered) + ".")
    for f, cs in by_field.items():
        names = sorted({c.source for c in cs})
        roles = sorted({c.role for c in cs})
        if len(names) == 1:
            gaps.append(f"{label(f).capitalize()} rests on one source only: {names[0]} "
                        f"({cs[0].role}).")
        elif len(roles) == 1 and roles[0] in ("regulator", "company") and len(sources) > 1:
            gaps.append(f"{label(f).capitalize()} comes only from the {roles[0]}: "
                        f"{', '.join(names)}; no other kind of source states it.")
    ids = " ".join(c.value_text() for c in by_field.get("identifiers", []))
    kinds = {s.kind for s in sources}
    for c in by_field.get("pipeline", []):
        region = (c.qualifier or "").strip()
        expected = REGISTRY_NAMES.get(registries_for({"region": region}) or ())
        if expected and expected[1] not in ids and expected[2] not in kinds:
            value = c.value
            status = f" ({value['status']})" if isinstance(value, dict) and value.get("status") \
                else ""
            gaps.append(f"{c.source} lists a {region} programme{status}, but no source "
                        f"cites a {expected[0]} ({expected[1]}…) registration, and a {expected[0]} "
                        "record is not among the configured sources (what the dossier lacks, "
                        "not a fact about the world).")
            questions.append(f"Where is the {region} study registered, and does its registration "
                             "match the Japanese one?")
    unstated = [f for f in FIELDS if f not in by_field and f not in ABSENCE_IS_FINE]
    if unstated:
        gaps.append("No source states: " + ", ".join(label(f) for f in unstated) + ".")
    approval = " ".join(c.value_text() for c in by_field.get("approval", []))
    if "time-limited" in approval and "approval_date" not in by_field:
        questions.append("When was the approval granted and when does its time limit end? "
                         "No source here states an approval date.")
    for finding in findings:
        questions.append(f"{label(finding.field).capitalize()}: {finding.message}. Is this "
                         "explained in the sources, or does one of them need correcting?")
    reconstructed = [s.name for s in sources if s.provenance == "reconstructed"]
    if reconstructed:
        questions.append(f"{len(reconstructed)} snapshot(s) were reconstructed by hand, not "
                         f"fetched ({', '.join(reconstructed)}): re-fetch them before quoting.")
    failing = [s.name for s in sources if s.failing and s.provenance != "none"]
    if failing:
        questions.append(f"Failing sources ({', '.join(failing)}) are shown from their last "
                         "good snapshot: has anything changed since?")
    never = [s.name for s in sources if s.failing and s.provenance == "none"]
    if never:  # provenance "none": no copy was ever saved
        questions.append(f"Sources never fetched ({', '.join(never)}) are not read at all: "
                         "what do they say?")
    return gaps, questions
