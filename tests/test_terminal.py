"""The terminal summary fits the terminal: no line wider than COLUMNS display cells, with
Japanese counted as two cells each, at 80, 100 and 160 columns."""

from __future__ import annotations

import unicodedata

import pytest

from auditor.outputs.terminal import cells_wide, wrap_cells


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


@pytest.mark.parametrize("columns", [80, 100, 160])
def test_the_audit_summary_fits_the_terminal(dossier, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    result = dossier.audit()
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert max(width(line) for line in lines) <= columns
    assert any("アムシェプリ" in line for line in lines), "Japanese values are shown"


def test_japanese_text_wraps_by_display_cells():
    text = "既存の薬物療法で運動症状が十分にコントロールされないパーキンソン病"
    lines = wrap_cells(text, 20)
    assert all(cells_wide(line) <= 20 for line in lines)
    assert "".join(lines) == text


def test_words_are_not_cut_when_a_space_allows():
    assert wrap_cells("safety and adverse events over 24 months", 12) == [
        "safety and", "adverse", "events over", "24 months"]


def test_mixed_english_and_japanese_cells_break_between_words_not_inside_them():
    text = ("jrct-en: Parkinson's disease; mhlw-notice: "
            "既存の薬物療法で運動症状が十分にコントロールされないパーキンソン病; pmda-approval: ア")
    lines = wrap_cells(text, 40)
    assert lines == ["jrct-en: Parkinson's disease; mhlw-",
                     "notice: 既存の薬物療法で運動症状が十分に",
                     "コントロールされないパーキンソン病;",
                     "pmda-approval: ア"]
    assert all(cells_wide(line) <= 40 for line in lines)
