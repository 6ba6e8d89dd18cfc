"""The labelled case corpus (tests/cases): every case's expected findings are found, its
labelled non-findings are not, and nothing else is reported. See tests/cases/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.casefile import Case, load_cases, run_case, score

from auditor.rules import RULES

CASES = load_cases(Path(__file__).resolve().parent / "cases")


def explain(case: Case, result: dict) -> str:
    lines = [f"{case.name}: {case.description}"]
    lines += [f"  missed (FN): {label}" for label in result["fn"]]
    lines += [f"  unexpected (FP): [{f.rule}/{f.details.get('category', '')}] {f.message}"
              for f in result["fp"]]
    lines += [f"  labelled non-finding reported: {label}" for label in result["violated"]]
    return "\n".join(lines)


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c.known_gap)) if c.known_gap
    else c for c in CASES], ids=[c.name for c in CASES])
def test_case_findings_match_labels(case: Case) -> None:
    _, findings = run_case(case)
    result = score(case, findings)
    assert not (result["fn"] or result["fp"] or result["violated"]), explain(case, result)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_labels_name_real_rules(case: Case) -> None:
    """A typo in a [[not_expected]] rule would make the label pass silently."""
    unknown = [label for label in case.expected + case.not_expected
               if label.get("rule") not in RULES]
    assert not unknown, f"{case.name}: labels name no registered rule: {unknown}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_is_described_and_labelled(case: Case) -> None:
    assert case.language in ("en", "ja")
    assert len(case.description) > 40, f"{case.name}: say what a reviewer would conclude"
    assert case.expected or case.not_expected, f"{case.name}: label at least one (non-)finding"


def test_known_gaps_are_few() -> None:
    """A case the tool cannot pass yet says why; they stay a small share of the corpus."""
    gaps = [c.name for c in CASES if c.known_gap]
    assert len(gaps) <= len(CASES) // 20, gaps


def test_corpus_size_and_languages() -> None:
    assert len(CASES) >= 45
    assert sum(c.language == "ja" for c in CASES) >= 12


def test_every_rule_has_a_positive_case() -> None:
    expected = {label["rule"] for c in CASES for label in c.expected}
    assert set(RULES) <= expected, f"rules without a labelled positive: {set(RULES) - expected}"


def test_score_counts_a_missed_label_and_an_extra_finding() -> None:
    """score() itself: a label nothing matches is a FN, a finding nothing expects is a FP."""
    case = next(c for c in CASES if c.name == "phase-mismatch")
    _, findings = run_case(case)
    relabelled = Case(case.path, case.description, case.language, case.subject, case.sources,
                      expected=[{"rule": "design_conflict"}],
                      not_expected=[{"rule": "phase_mismatch"}])
    result = score(relabelled, findings)
    assert result["fn"] == [{"rule": "design_conflict"}]
    assert [f.rule for f in result["fp"]] == ["phase_mismatch"]
    assert result["violated"] == [{"rule": "phase_mismatch"}]
