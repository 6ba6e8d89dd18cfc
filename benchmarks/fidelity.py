"""Fidelity of the rules against the labelled cases in tests/cases: true positives, false
positives and false negatives per rule, precision and recall, and whether the goals are met.

    .venv/bin/python benchmarks/fidelity.py [--cases tests/cases] [--verbose]

A true positive is an `[[expected]]` label some finding matches; a false negative, one no
finding matches; a false positive, a finding no label of its case expects (a violated
`[[not_expected]]` is one of those, so it is counted once). Goals: overall precision and
recall ≥ 0.9, no rule below 0.8 on either, and every rule labelled positive at least once.
Exits 1 when a goal is missed, 2 when a case cannot be run.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.casefile import load_cases, run_case, score  # noqa: E402

from auditor.rules import RULES  # noqa: E402

OVERALL_GOAL = 0.9
RULE_GOAL = 0.8


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=ROOT / "tests" / "cases")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="print every false positive and false negative")
    args = parser.parse_args(argv)

    cases = load_cases(args.cases)
    if not cases:
        print(f"no cases under {args.cases}; each case is a folder with a case.toml",
              file=sys.stderr)
        return 2
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    labelled_negative: Counter[str] = Counter()
    problems: list[str] = []
    for case in cases:
        try:
            _, findings = run_case(case)
        except Exception as e:  # a broken case is reported, not a crash of the whole run
            print(f"{case.name}: cannot run ({type(e).__name__}: {e})", file=sys.stderr)
            return 2
        result = score(case, findings)
        for label in result["tp"]:
            tp[label["rule"]] += 1
        for label in result["fn"]:
            fn[label["rule"]] += 1
            problems.append(f"{case.name}: FN {label}")
        for f in result["fp"]:
            fp[f.rule] += 1
            problems.append(f"{case.name}: FP {f.rule}: {f.message}")
        for label in case.not_expected:
            labelled_negative[label["rule"]] += 1

    rules = sorted(set(RULES) | set(tp) | set(fp) | set(fn))
    misses: list[str] = []
    print(f"{len(cases)} cases ({sum(c.language == 'ja' for c in cases)} Japanese)\n")
    print(f"{'rule':34} {'TP':>4} {'FP':>4} {'FN':>4} {'neg':>4}  {'prec':>4}  {'rec':>4}")
    for name in rules:
        p = ratio(tp[name], tp[name] + fp[name])
        r = ratio(tp[name], tp[name] + fn[name])
        print(f"{name:34} {tp[name]:4} {fp[name]:4} {fn[name]:4} {labelled_negative[name]:4}"
              f"  {fmt(p)}  {fmt(r)}")
        if name not in RULES:
            misses.append(f"{name}: labelled but no such rule (typo in a case.toml?)")
        if tp[name] + fn[name] == 0:
            misses.append(f"{name}: no case expects it; add a labelled positive case")
        for what, value in (("precision", p), ("recall", r)):
            if value is not None and value < RULE_GOAL:
                misses.append(f"{name}: {what} {value:.2f} < {RULE_GOAL}")
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision = ratio(total_tp, total_tp + total_fp)
    recall = ratio(total_tp, total_tp + total_fn)
    print(f"{'overall':34} {total_tp:4} {total_fp:4} {total_fn:4} "
          f"{sum(labelled_negative.values()):4}  {fmt(precision)}  {fmt(recall)}")
    for what, value in (("precision", precision), ("recall", recall)):
        if value is None or value < OVERALL_GOAL:
            misses.append(f"overall {what} {fmt(value).strip()} < {OVERALL_GOAL}")
    if args.verbose and problems:
        print("\n" + "\n".join(problems))
    if misses:
        print("\ngoals missed:\n  " + "\n  ".join(misses))
        return 1
    print(f"\ngoals met: overall precision and recall ≥ {OVERALL_GOAL}, every rule ≥ {RULE_GOAL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
