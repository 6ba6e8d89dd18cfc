"""Extraction accuracy of the readers on real records: the hand labels in tests/real/ against
what each source kind's parser reads, field by field.

    .venv/bin/python benchmarks/extraction.py [--corpus tests/real] [--kind pubmed] [-v]

For each labelled fact: **correct** (the reader gives the labelled value, or says nothing
where the record states nothing), **wrong** (a different value: worse than missing),
**missed** (the record states it, the reader gives nothing or "unknown"), **spurious** (the
record states nothing, the reader gives a value). These are development-set figures: the
labels were written on these records, and readers have been tuned while looking at them.
Goals (issue 14): overall ≥ 0.95 correct, wrong + spurious ≤ 1% of labelled facts, and
≥ 0.90 correct on enrollment, primary outcomes, follow-up and funding. Exits 1 when a goal
is missed, 2 when the corpus cannot be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor import sources  # noqa: E402
from auditor.errors import AuditorError  # noqa: E402
from auditor.models import Reading  # noqa: E402
from auditor.read.documents import Document  # noqa: E402
from auditor.read.values import (  # noqa: E402
    find_ids,  # noqa: E402
    fold,
    normalize_status,
    parse_date,
)

OVERALL_GOAL = 0.95
WRONG_LIMIT = 0.01
FIELD_GOAL = 0.90
GOAL_FIELDS = ("enrollment", "primary_outcomes", "follow_up", "funding")
#: Fields scored; others in a label (notes, sponsor of a paper...) are shown but not scored.
SCORED = ("enrollment", "sample_size_analysed", "primary_outcomes", "secondary_outcomes",
          "follow_up", "phase", "design", "funding", "identifiers", "adverse_events",
          "serious_adverse_events", "sponsor", "status", "start_date")
#: Item similarity (rapidfuzz token_set_ratio, 0–100) at which two outcome or funder texts
#: are the same item.
ITEM_MATCH = 85
REGISTRY_ID = re.compile(r"^(NCT|ISRCTN|UMIN|jRCT|JMA-|EUCTR|CTIS|ChiCTR|ACTRN|DRKS|NTR|"
                         r"CTRI|KCT|IRCT|PACTR|SLCTR|TCTR|RBR|LBCTR|JPRN|CTR)", re.IGNORECASE)


@dataclass
class Label:
    folder: Path
    file: str
    record: str
    kind: str
    trial: bool | None
    facts: dict[str, dict[str, Any]]


@dataclass
class Outcome:
    """One scored fact."""

    kind: str
    record: str
    field: str
    verdict: str  # correct, wrong, missed, spurious
    expected: Any
    got: Any
    quote: str = ""


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def load_labels(corpus: Path, kind: str | None = None) -> list[Label]:
    labels = []
    for path in sorted(corpus.rglob("labels.jsonl")):
        folder = path.parent
        folder_kind = folder.parent.name
        if kind and folder_kind != kind:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{n}: not JSON ({e}); fix the label line") from e
            labels.append(Label(folder, row["file"], str(row["record"]), folder_kind,
                                row.get("trial"), row.get("facts", {})))
    return labels


# --- one record as a document the parser reads --------------------------------------------

def _pubmed_article(body: bytes, pmid: str) -> bytes:
    """The one PubmedArticle of a set whose PMID is `pmid`, wrapped as a one-article set."""
    for m in re.finditer(rb"<PubmedArticle>.*?</PubmedArticle>", body, re.DOTALL):
        own = re.search(rb"<MedlineCitation[^>]*>\s*<PMID[^>]*>\s*([0-9]+)\s*</PMID>", m.group(0))
        if own and own.group(1) == pmid.encode():  # its own PMID, not one it comments on
            return b"<?xml version=\"1.0\"?>\n<PubmedArticleSet>" + m.group(0) + \
                b"</PubmedArticleSet>"
    raise LookupError(f"PMID {pmid} not in the file")


def _json_record(data: Any, record: str, kind: str) -> dict[str, Any]:
    """The one record of a JSON file (a list, a search page, or a single record)."""
    if kind == "ctgov":
        items = data if isinstance(data, list) else data.get("studies", [data])
        for study in items:
            nct = (((study.get("protocolSection") or {}).get("identificationModule") or {})
                   .get("nctId"))
            if nct == record:
                return study
    elif kind == "europepmc":
        for result in (data.get("resultList") or {}).get("result", []):
            if record in (str(result.get("id")), str(result.get("pmid")),
                          str(result.get("doi", "")).lower(), result.get("pmcid")):
                return {"version": data.get("version"), "hitCount": 1,
                        "resultList": {"result": [result]}}
    elif kind == "crossref":
        message = data.get("message", {})
        items = message.get("items") if isinstance(message.get("items"), list) else [message]
        for item in items:
            if str(item.get("DOI", "")).lower() == record.lower():
                return {"status": "ok", "message-type": "work", "message-version": "1.0.0",
                        "message": item}
    raise LookupError(f"{record} not in the file")


def document(label: Label) -> Document:
    path = label.folder / label.file
    body = path.read_bytes()
    if label.kind == "pubmed":
        body = _pubmed_article(body, label.record)
    elif label.kind in ("ctgov", "europepmc", "crossref"):
        body = json.dumps(_json_record(json.loads(body), label.record, label.kind),
                          ensure_ascii=False).encode("utf-8")
    # a download of several registry records (EU CTR: one per member state; an ISRCTN query
    # answer, one <fullTrial> per match; a CTIS search answer, one row per trial) is read for the
    # record labelled
    selectors = {"trial_id": label.record} if label.kind in ("euctr", "isrctn", "ctis") else {}
    return Document(body, None, url=f"file://{path}", source=f"{label.kind}:{label.record}",
                    selectors=selectors)


# --- comparing a reading with a label ------------------------------------------------------

def _items(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if str(v).strip()]


def _norm_text(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text).lower()).strip(" .;:")


def same_items(expected: list[str], got: list[str]) -> bool:
    """Every labelled item matches one read item and every read item one labelled item."""
    if len(expected) != len(got):
        return False
    left = [_norm_text(x) for x in got]
    for item in (_norm_text(x) for x in expected):
        scores = [fuzz.token_set_ratio(item, other) for other in left]
        if not scores or max(scores) < ITEM_MATCH:
            return False
        left.pop(scores.index(max(scores)))
    return True


def _registry_ids(values: list[str], own: str) -> list[str]:
    out = []
    for v in values:
        ident = v.strip()
        if REGISTRY_ID.match(ident) and ident.upper() != own.upper() and ident not in out:
            out.append(ident)
    return out


def _canonical_id(ident: str) -> str:
    found = find_ids(ident)
    return (found[0] if found else ident).upper()


def reader_value(fld: str, readings: list[Reading], label: Label) -> Any:
    """What the reader says about a field: None when it says nothing or 'unknown'."""
    mine = [r for r in readings if r.field == fld and r.value not in (None, [], "")]
    if fld == "design":
        tags = sorted({t for r in mine for t in r.value})
        return tags or None
    if fld == "phase":
        phases = sorted({p for r in mine for p in r.value})
        return phases or None
    if fld in ("identifiers", "funding"):
        values = [str(v) for r in mine for v in (r.value if isinstance(r.value, list)
                                                  else [r.value])]
        if fld == "identifiers":
            values = _registry_ids(values, label.record)
        return list(dict.fromkeys(values)) or None
    if fld in ("primary_outcomes", "secondary_outcomes"):
        return [str(v) for v in mine[0].value] if mine else None
    return mine[0].value if mine else None


def agrees(fld: str, expected: Any, got: Any) -> bool:
    if fld in ("enrollment", "sample_size_analysed", "adverse_events",
               "serious_adverse_events"):
        return isinstance(got, int) and got == expected
    if fld == "follow_up":
        return isinstance(got, (int, float)) and abs(float(got) - float(expected)) <= 0.15
    if fld in ("phase", "design"):
        return sorted(_items(expected)) == sorted(_items(got))
    if fld == "identifiers":  # a label writes ids as the record does; compare canonical forms
        return sorted(_canonical_id(i) for i in _items(expected)) == \
            sorted(_canonical_id(i) for i in _items(got))
    if fld in ("primary_outcomes", "secondary_outcomes", "funding"):
        return same_items(_items(expected), _items(got))
    if fld == "status":
        return got == normalize_status(str(expected))
    if fld == "start_date":
        return got == parse_date(str(expected))
    if fld == "sponsor":
        return fuzz.token_set_ratio(_norm_text(str(expected)), _norm_text(str(got))) >= ITEM_MATCH
    return bool(got == expected)


def score_label(label: Label, readings: list[Reading]) -> Iterator[Outcome]:
    for fld in SCORED:
        if fld not in label.facts:
            continue
        fact = label.facts[fld]
        expected = fact.get("value")
        if expected == [] and fld != "phase":
            expected = None
        got = reader_value(fld, readings, label)
        if expected is None:
            verdict = "correct" if got is None else "spurious"
        elif got is None:
            verdict = "missed" if not (fld == "phase" and expected == []) else "missed"
        else:
            verdict = "correct" if agrees(fld, expected, got) else "wrong"
        if fld == "phase" and expected == [] and got is None:
            verdict = "correct"  # "not applicable" and silence agree
        yield Outcome(label.kind, label.record, fld, verdict, expected, got,
                      fact.get("quote", ""))


def run(corpus: Path, kind: str | None = None) -> Score:
    score = Score()
    for label in load_labels(corpus, kind):
        where = f"{label.folder.relative_to(corpus)}/{label.file} [{label.record}]"
        if label.kind not in sources.KINDS:
            score.unreadable.append(f"{where}: no reader for kind {label.kind!r}")
            readings: list[Reading] = []
        else:
            try:
                readings = sources.parse(label.kind, document(label))
            except (AuditorError, LookupError) as e:
                score.unreadable.append(f"{where}: {e}")
                readings = []
        score.outcomes += score_label(label, readings)
    return score


def table(score: Score) -> tuple[str, bool]:
    by_field: dict[str, Counter[str]] = defaultdict(Counter)
    stated: Counter[str] = Counter()
    for o in score.outcomes:
        by_field[o.field][o.verdict] += 1
        if o.expected is not None:
            stated[o.field] += 1
    lines = [f"{'field':24} {'facts':>5} {'stated':>6} {'correct':>7} {'wrong':>5} "
             f"{'missed':>6} {'spur.':>5} {'acc.':>5} {'acc. stated':>11}"]
    total: Counter[str] = Counter()
    ok = True
    for fld in SCORED:
        c = by_field.get(fld)
        if not c:
            continue
        n = sum(c.values())
        total.update(c)
        stated_correct = sum(1 for o in score.outcomes if o.field == fld
                             and o.expected is not None and o.verdict == "correct")
        acc = c["correct"] / n
        acc_stated = stated_correct / stated[fld] if stated[fld] else float("nan")
        lines.append(f"{fld:24} {n:5} {stated[fld]:6} {c['correct']:7} {c['wrong']:5} "
                     f"{c['missed']:6} {c['spurious']:5} {acc:5.2f} {acc_stated:11.2f}")
        if fld in GOAL_FIELDS and acc < FIELD_GOAL:
            ok = False
    n = sum(total.values())
    if not n:
        return "no labelled facts", False
    acc = total["correct"] / n
    bad = (total["wrong"] + total["spurious"]) / n
    stated_all = sum(stated.values())
    stated_correct = sum(1 for o in score.outcomes if o.expected is not None
                         and o.verdict == "correct")
    lines.append(f"{'overall':24} {n:5} {stated_all:6} {total['correct']:7} {total['wrong']:5} "
                 f"{total['missed']:6} {total['spurious']:5} {acc:5.2f} "
                 f"{stated_correct / stated_all:11.2f}")
    ok = ok and acc >= OVERALL_GOAL and bad <= WRONG_LIMIT
    lines.append("")
    lines.append(f"wrong or spurious: {bad:.1%} of labelled facts (limit {WRONG_LIMIT:.0%}); "
                 f"development-set figures")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "real")
    parser.add_argument("--kind", help="only this source kind (pubmed, ctgov, ...)")
    parser.add_argument("--field", help="with -v: only this field's problems")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="print every wrong, missed and spurious fact")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such folder; give --corpus tests/real", file=sys.stderr)
        return 2
    score = run(args.corpus, args.kind)
    text, ok = table(score)
    records = len({(o.kind, o.record) for o in score.outcomes})
    print(f"{records} labelled records, {len(score.outcomes)} labelled facts "
          f"({args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus})")
    print(text)
    if score.unreadable:
        print(f"\n{len(score.unreadable)} records not read (their facts count as missed):")
        for line in score.unreadable[:20]:
            print(f"  {line}")
    if args.verbose:
        print()
        for o in score.outcomes:
            if o.verdict != "correct" and (not args.field or o.field == args.field):
                print(f"{o.verdict:8} {o.kind}:{o.record} {o.field}: expected {o.expected!r}, "
                      f"got {o.got!r}" + (f"\n         quote: {o.quote[:160]}" if o.quote else ""))
    print("\ngoals met" if ok else "\ngoals not met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
