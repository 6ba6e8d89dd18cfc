"""The development corpus in tests/real: every file is listed with its origin, every label
names a file and a record in it, and every quote is found in that record's text; and the
extraction benchmark scores what it says it scores."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "real"
sys.path.insert(0, str(ROOT / "benchmarks"))

import extraction  # noqa: E402

from auditor.models import Reading  # noqa: E402

FOLDERS = sorted(p.parent for p in REAL.rglob("MANIFEST.json"))


def squashed(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(REAL)))
def test_every_file_has_its_origin(folder):
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", manifest["repo"])
    assert re.fullmatch(r"[0-9a-f]{12}|[0-9a-f]{40}", manifest["commit"])
    listed = {f["file"] for f in manifest["files"]}
    on_disk = {p.name for p in folder.iterdir()} - {"MANIFEST.json", "labels.jsonl"}
    assert listed == on_disk
    assert all(f.get("path") and "verbatim" in f for f in manifest["files"])


@pytest.mark.parametrize("folder", [f for f in FOLDERS if (f / "labels.jsonl").exists()],
                         ids=lambda p: str(p.relative_to(REAL)))
def test_every_quote_is_in_its_record(folder):
    text_of: dict[str, str] = {}
    for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        name = row["file"]
        if name not in text_of:
            raw = (folder / name).read_text(encoding="utf-8", errors="replace")
            if name.endswith(".json"):  # compare with the strings, not their JSON escapes
                raw = json.dumps(json.loads(raw), ensure_ascii=False)
            text_of[name] = squashed(raw)
            text_of[name] = text_of[name].replace('\\"', '"')
        for fld, fact in row["facts"].items():
            quote = fact.get("quote")
            if quote:
                assert squashed(quote).replace('\\"', '"') in text_of[name], \
                    f"{name} [{row['record']}] {fld}: quote not in the record: {quote[:80]}"


def label(**facts) -> extraction.Label:
    return extraction.Label(Path("."), "f.xml", "123", "pubmed", True,
                            {k: {"value": v} for k, v in facts.items()})


def reading(field: str, value) -> Reading:
    return Reading(field=field, value=value, quote="q", locator="l")


def verdicts(lab: extraction.Label, readings: list[Reading]) -> dict[str, str]:
    return {o.field: o.verdict for o in extraction.score_label(lab, readings)}


def test_a_right_value_and_a_right_silence_are_correct():
    assert verdicts(label(enrollment=322, funding=None),
                    [reading("enrollment", 322)]) == {"enrollment": "correct",
                                                      "funding": "correct"}


def test_a_different_value_is_wrong_and_a_value_for_nothing_is_spurious():
    assert verdicts(label(enrollment=196, funding=None),
                    [reading("enrollment", 96), reading("funding", ["Acme"])]) == \
        {"enrollment": "wrong", "funding": "spurious"}


def test_an_unknown_value_is_missed_not_wrong():
    assert verdicts(label(follow_up=31.7), [reading("follow_up", None)]) == \
        {"follow_up": "missed"}


def test_outcomes_match_item_by_item():
    lab = label(primary_outcomes=["progression-free survival", "overall survival"])
    assert verdicts(lab, [reading("primary_outcomes", ["Overall survival",
                                                       "Progression-free survival"])]) == \
        {"primary_outcomes": "correct"}
    assert verdicts(lab, [reading("primary_outcomes", ["progression-free survival"])]) == \
        {"primary_outcomes": "wrong"}, "a dropped co-primary is not the same list"
