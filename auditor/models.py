"""Pydantic models shared by every stage: fetch → snapshot → claims → findings → store.

A Claim is one thing one source says about one field of one subject, with the quote and the
place it was read from. A Finding compares claims of the same (subject, field) across sources.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from auditor.errors import LimitError

#: The field vocabulary. Every claim, finding, JSON document and table uses these names.
FIELDS: dict[str, str] = {
    "enrollment": "Number of participants (planned or actual; qualifier says which)",
    "follow_up": "Follow-up duration, in months",
    "primary_outcomes": "Primary endpoints, as a list of outcome texts",
    "secondary_outcomes": "Secondary endpoints, as a list of outcome texts",
    "adverse_events": "Number of adverse events reported",
    "serious_adverse_events": "Number of serious adverse events reported",
    "status": "Recruitment / overall status (ClinicalTrials.gov vocabulary)",
    "phase": "Trial phase, as a list such as ['1', '2']",
    "design": "Design tags: open-label, blinded, randomised, non-randomised, single-arm, "
              "controlled",
    "start_date": "Study start or first enrolment date (partial ISO)",
    "completion_date": "Primary or overall completion date (partial ISO)",
    "registration_date": "Date first registered (partial ISO)",
    "publication_date": "Date a paper was published (partial ISO)",
    "sponsor": "Lead sponsor",
    "funding": "Funders named by the source",
    "conflicts_of_interest": "Competing-interest statement",
    "approval": "Approval type tags: conditional, time-limited, full, post-marketing obligations",
    "approval_date": "Date of the regulatory approval (partial ISO)",
    "indication": "Approved or studied indication",
    "price": "Price: amount, currency, pack, effective date",
    "countries": "Countries where the trial recruits, as a registry lists them",
    "identifiers": "Identifiers the source gives for itself or cites: jRCT, NCT, UMIN, DOI, PMID",
    "sample_size_analysed": "Number of participants analysed for efficacy",
    "publication_notices": "Corrections, retractions or expressions of concern on a paper",
    "product_name": "Product names and aliases",
    "claim_language": "Sentences that make efficacy claims",
    "title": "Title of the registration, paper or notice",
    "pipeline": "A company's development programme: region, phase, status",
    "source_health": "Whether a source could be fetched and read as it was before",
    "dose": "Cell doses: min and max cells, basis (per hemisphere, total, per kg, or not "
            "stated), arm (low/high dose)",
    "immunosuppression": "Immunosuppressants named and how long they were given, in months "
                         "(never read as follow-up)",
    "imaging_safety": "Graft overgrowth and tumour formation reported seen or not seen, and the "
                      "imaging (MRI, PET)",
    "durability": "The longest time an effect is said to have lasted, in months ('for years': "
                  "no number)",
    "approval_conditions": "The approval's conditions: time limit in years, deadline, "
                           "post-marketing commitment (number of patients, design)",
    "reimbursement": "Reimbursement listing: listing date, price, currency, billing notice",
    "independence": "Sentences that call a trial or its investigators independent",
}

#: Qualifiers of an enrollment count of people who entered the trial, as opposed to a
#: registry's planned or estimated target: registries say "actual", papers say which.
ENROLLED_QUALIFIERS = frozenset({"actual", "randomised", "enrolled", "treated"})

FieldName = str
Severity = Literal["info", "low", "medium", "high"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3}
FindingKind = Literal["mismatch", "missing", "changed", "stale", "unavailable", "overclaim",
                      "source_broken"]
UNKNOWN = "unknown"


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def digest(*parts: Any) -> str:
    """A short stable id from JSON-able parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


class Subject(BaseModel):
    """The therapy (or trial) audited: every source of it speaks of this one thing."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    #: A one-off comparison (`auditor compare`) names no product: rules that pick a product's
    #: rows by name take every row instead.
    adhoc: bool = False


class SourceRef(BaseModel):
    """One source of one subject, as config.toml declares it."""

    model_config = ConfigDict(extra="forbid")
    name: str
    subject: str
    kind: str
    url: str | None = None
    identifier: str | None = None
    snapshot: str | None = None  # path of the saved snapshot, relative to the snapshot folder
    selectors: dict[str, str] = Field(default_factory=dict)
    role: str | None = None  # registry, publication, regulator, company (default: from kind)
    follow: str | None = None  # "xlsx", "pdf" or "xlsx,pdf": fetch linked attachments too
    #: ctgov: fetch the record's change history too, and judge its versions (amendments).
    history: bool = False
    #: ctgov with history: compare the paper with the version in force on this date
    #: (YYYY-MM-DD) instead of the last version before the trial started.
    as_of: str | None = None


MIB = 1024 * 1024
#: Size caps by kind where the default does not fit. An HTML page costs ~110x its size parsed
#: (an 8 MB price page: 895 MiB), JSON and XML ~20x (a 31 MB abstract: 592 MiB): these keep
#: one document's parse well under 1 GiB; real pages are under 1 MB.
DEFAULT_BYTES: dict[str, int] = {"default": 32 * MIB, "mhlw_pdf": 64 * MIB,
                                 "mhlw_excel": 32 * MIB, "jrct": 4 * MIB, "umin": 4 * MIB,
                                 "mhlw": 4 * MIB, "pmda": 4 * MIB, "page": 4 * MIB}


class Limits(BaseModel):
    """`[limits]`: what one document may cost before it is refused as too large or too slow
    (a hostile or broken file must not take the audit's memory or time)."""

    model_config = ConfigDict(extra="forbid")
    #: Bytes per document, by kind ("default" for kinds not named); checked before reading.
    bytes: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_BYTES))
    #: Seconds one document's parse may take.
    seconds: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    pdf_pages: int = Field(default=2000, gt=0)
    #: Decoded page content a PDF's text extraction reads, a stream shared by pages counted
    #: once per page (300 pages on one 3 MB stream are 900 MB of work).
    pdf_content_bytes: int = Field(default=16 * MIB, gt=0)
    xlsx_cells: int = Field(default=1_000_000, gt=0)
    #: What a workbook's zip members declare they unzip to, all together.
    xlsx_unzipped_bytes: int = Field(default=256 * MIB, gt=0)
    #: Unzipped : zipped of one member (over 1 MiB); real sheets are 5-50.
    xlsx_ratio: float = Field(default=500.0, gt=1, allow_inf_nan=False)

    def bytes_for(self, kind: str) -> tuple[int, str]:
        """The size cap for a kind and the setting that raises it (for the message)."""
        for key in (kind, "default"):
            if key in self.bytes:
                return self.bytes[key], f"[limits.bytes] {kind}"
        return DEFAULT_BYTES.get(kind, DEFAULT_BYTES["default"]), f"[limits.bytes] {kind}"

    def check_size(self, kind: str, size: int, source: str) -> None:
        """Refuse a document of `size` bytes over its kind's cap, before it is read."""
        cap, setting = self.bytes_for(kind)
        if size > cap:
            raise LimitError.too_large(source, f"{size:,} bytes, over the {kind} limit of "
                                       f"{cap:,}", setting)


class Snapshot(BaseModel):
    """A saved document and where it came from. `body` is never stored in the database."""

    model_config = ConfigDict(extra="forbid")
    source: str
    kind: str
    url: str
    final_url: str | None = None
    retrieved_at: str
    media_type: str
    sha256: str
    path: str
    provenance: Literal["verbatim", "reconstructed", "fetched"] = "fetched"
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    note: str | None = None


class Reading(BaseModel):
    """What a parser reads from a document: one field, before provenance is stamped on it."""

    field: FieldName
    value: Any
    unit: str | None = None
    qualifier: str | None = None  # e.g. planned/actual for enrollment; en/ja for language
    quote: str
    locator: str


class Claim(Reading):
    """A Reading with its provenance: which subject, source and snapshot it came from."""

    subject: str
    source: str
    source_kind: str
    role: str
    url: str
    snapshot_sha256: str

    @property
    def id(self) -> str:
        return digest(self.subject, self.source, self.field, self.qualifier, self.locator,
                      self.value, self.snapshot_sha256)

    def value_text(self) -> str:
        if self.field == "phase" and isinstance(self.value, list):
            return "phase " + "/".join(self.value) if self.value else "not applicable"
        if self.field == "dose" and isinstance(self.value, list):
            return "; ".join(dose_text(d) for d in self.value if isinstance(d, dict))
        if isinstance(self.value, dict) and self.field in FACT_TEXTS:
            return FACT_TEXTS[self.field](self.value)
        return render_value(self.value, self.unit)


def dose_text(dose: dict[str, Any]) -> str:
    """'2.1–2.6 million cells per hemisphere (low dose)'."""
    def m(x: float) -> str:
        return f"{x / 1e6:.3g}"
    amount = m(dose["min"]) if dose["min"] == dose["max"] else \
        f"{m(dose['min'])}–{m(dose['max'])}"
    arm = f" ({dose['arm']} dose)" if dose.get("arm") else ""
    return f"{amount} million cells {dose.get('basis') or 'basis not stated'}{arm}"


def _immunosuppression_text(v: dict[str, Any]) -> str:
    drugs = ", ".join(v.get("drugs") or []) or "immunosuppression"
    return f"{drugs} for {v['months']:g} months" if v.get("months") is not None else drugs


def _imaging_text(v: dict[str, Any]) -> str:
    names = {"graft_overgrowth": "graft overgrowth", "tumour": "tumour formation"}
    parts = [("no " if v[k] is False else "") + name for k, name in names.items()
             if v.get(k) is not None]
    return ", ".join(parts) + (f" ({v['modality']})" if v.get("modality") else "")


def _conditions_text(v: dict[str, Any]) -> str:
    parts = [f"time limit {v['time_limit_years']} years"] if v.get("time_limit_years") else []
    if v.get("deadline"):
        parts.append(f"deadline {v['deadline']}")
    design = " + ".join(v.get("post_marketing_design") or [])
    if design or v.get("post_marketing_n"):
        parts.append((design or "post-marketing commitment")
                     + (f", {v['post_marketing_n']} patients" if v.get("post_marketing_n")
                        else ""))
    return "; ".join(parts) or "conditions not stated"


def _reimbursement_text(v: dict[str, Any]) -> str:
    parts = [f"listed {v['listed']}"] if v.get("listed") else []
    if v.get("price") is not None:
        parts.append(f"{v.get('currency') or ''} {v['price']:,}".strip())
    if v.get("billing_notice"):
        parts.append("billing notice")
    return ", ".join(parts) or "not stated"


def _durability_text(v: dict[str, Any]) -> str:
    return f"effect said to last {v.get('stated')}"


#: How the fact fields' values read in tables ('tacrolimus for 12 months').
FACT_TEXTS = {"immunosuppression": _immunosuppression_text, "imaging_safety": _imaging_text,
              "approval_conditions": _conditions_text, "reimbursement": _reimbursement_text,
              "durability": _durability_text}


def render_value(value: Any, unit: str | None = None) -> str:
    """A value as a person would write it: '7 participants', '24 months', 'JPY 55,306,737'."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, list):
        text = "; ".join(render_value(v) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {render_value(v)}" for k, v in value.items() if v is not None)
    else:
        text = str(value)
    return f"{text} {unit}" if unit else text


class FindingSource(BaseModel):
    """One side of a finding: the claim (or the named absence) it rests on."""

    source: str
    kind: str
    value: Any = None
    quote: str | None = None
    locator: str | None = None
    url: str | None = None
    snapshot_sha256: str | None = None


class Finding(BaseModel):
    subject: str
    field: FieldName
    kind: FindingKind
    rule: str
    severity: Severity
    message: str
    sources: list[FindingSource]
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable across runs for the same disagreement; a different value is a new finding."""
        sides = sorted((s.source, json.dumps(s.value, sort_keys=True, default=str))
                       for s in self.sources)
        return digest(self.subject, self.field, self.rule, self.kind, sides)


class AuditRun(BaseModel):
    id: str
    started_at: str
    finished_at: str | None = None
    config_path: str | None = None
    offline: bool = True
    status: Literal["running", "ok", "failed"] = "running"
    sources: int = 0
    claims: int = 0
    findings_open: int = 0
    findings_new: int = 0
    findings_resolved: int = 0


def stamp(readings: list[Reading], *, subject: str, ref: SourceRef, snapshot: Snapshot,
          role: str) -> list[Claim]:
    """Readings + provenance → claims."""
    return [Claim(**r.model_dump(), subject=subject, source=ref.name, source_kind=ref.kind,
                  role=role, url=snapshot.final_url or snapshot.url,
                  snapshot_sha256=snapshot.sha256) for r in readings]


@dataclass
class RegistryVersion:
    """One version of a registry record from its change history (ClinicalTrials.gov's
    History of Changes): its number, the date it was posted, the modules it changed, and the
    claims read from it (stamped with the version's own snapshot)."""

    source: str  # the registry source whose history this is
    registry_id: str
    version: int
    date: str  # ISO date the version was posted
    status: str | None
    module_labels: list[str]
    claims: list[Claim]
    url: str = ""
    snapshot_sha256: str = ""
    results_posted: str | None = None  # resultsFirstPostDate, when the version states it
    path: str = ""  # the version's snapshot, relative to the snapshot folder
    retrieved_at: str = ""

    def label(self) -> str:
        """'version 3 of 2019-09-10': how findings name a version."""
        return f"version {self.version} of {self.date}"


@dataclass
class Comparison:
    """One (subject, field) row: every source's value and whether they agree."""

    subject: str
    field: str
    verdict: str  # consistent, finding, partly compared, not compared, single-source, unknown
    values: dict[str, str]
