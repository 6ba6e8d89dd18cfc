"""The terminal summary fits the terminal: no line wider than COLUMNS display cells, with
Japanese counted as two cells each, at 80, 100 and 160 columns; `--wide` prints quotes whole,
one line a row; severities are the words JSON uses; colour only on a terminal, NO_COLOR
honoured, escape codes never counted as cells."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata

import click
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.models import Finding, RegistryVersion
from auditor.outputs.terminal import ANSI, cells_wide, color_wanted, wrap_cells
from auditor.outputs.timeline import timeline_text


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


# --- a compact default and --wide ---------------------------------------------------------

def _longest_quote(dossier) -> str:
    data = json.loads(dossier.audit("--json").stdout)
    quotes = [" ".join(s["quote"].split()) for f in data["findings"] for s in f["sources"]
              if s["quote"]]
    return max(quotes, key=len)


def test_wide_prints_a_long_quote_of_the_dossier_whole_and_the_default_shortens_it(
        dossier, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    quote = _longest_quote(dossier)
    assert len(quote) > 140, "the dossier has a quote longer than the compact limit"
    compact = dossier.audit().output
    assert "…”" in compact
    assert quote not in compact
    wide = dossier.audit("--wide").output
    assert any(quote in line for line in wide.splitlines())
    assert "…”" not in wide, "with --wide no quote is shortened"


def test_wide_prints_one_line_a_finding_as_wide_as_its_content(dossier, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    dossier.audit()
    result = CliRunner().invoke(cli, ["findings", "--config", str(dossier.config), "--wide"])
    lines = result.output.splitlines()
    count = int(lines[0].split()[0])
    assert len(lines) == count + 3  # "N findings", header, rule, a line each
    assert max(width(line) for line in lines) > 80, "not fitted to the terminal"
    start = lines[1].index("field")  # every row's field begins under the header's
    assert all(row[start - 2:start] == "  " and row[start] != " " for row in lines[3:])


# --- severities in one form ---------------------------------------------------------------

def test_severities_are_the_words_json_uses_and_a_new_finding_is_marked_new(dossier):
    result = dossier.audit("--no-color")
    table = result.output.split("5 findings\n")[1].split("\n\n")[0]
    first_cells = {line.split("  ")[0] for line in table.splitlines()[2:] if line[:1].strip()}
    severities = {f["severity"] for f in json.loads(dossier.audit("--json").stdout)["findings"]}
    assert {cell.split()[0] for cell in first_cells} == severities
    assert all(cell.endswith(" NEW") for cell in first_cells)
    assert not re.search(r"\b(MED|HIGH)\b", result.output)


def test_a_registry_timeline_names_severities_in_words():
    finding = Finding(subject="s", field="primary_outcomes", kind="changed",
                      rule="primary_outcome_amended", severity="medium",
                      message="the primary outcome was replaced", sources=[],
                      details={"versions": [0, 1]})
    versions = [RegistryVersion(source="ctgov", registry_id="NCT00000001", version=v,
                                date=f"2020-0{v + 1}-01", status="RECRUITING",
                                module_labels=["Outcome Measures"], claims=[])
                for v in (0, 1)]
    text = timeline_text("NCT00000001", "snapshots", versions, [finding], [])
    assert "    medium primary_outcomes: the primary outcome was replaced" in text.splitlines()


# --- colour only on a terminal, NO_COLOR honoured ------------------------------------------

def test_output_has_no_colour_codes_when_it_is_not_a_terminal(dossier):
    result = dossier.audit()
    assert "\x1b[" not in result.output


@pytest.mark.parametrize("columns", [80, 100])
def test_color_colours_severity_words_and_the_table_still_fits(dossier, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    result = dossier.audit("--color")
    assert click.style("medium", fg="yellow") in result.output
    assert click.style("low", fg="cyan") in result.output
    plain = ANSI.sub("", result.output)
    assert "\x1b[" not in plain
    assert max(width(line) for line in plain.splitlines()) <= columns
    assert max(cells_wide(line) for line in result.output.splitlines()) <= columns


def test_an_explicit_color_flag_wins_over_no_color(dossier, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" in dossier.audit("--color").output
    assert "\x1b[" not in dossier.audit("--no-color").output


def test_colour_is_on_for_a_real_terminal_unless_no_color_is_set(monkeypatch):
    leader, follower = os.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as tty:
            monkeypatch.delenv("NO_COLOR", raising=False)
            assert color_wanted(None, tty)
            monkeypatch.setenv("NO_COLOR", "")  # empty: not set, says no-color.org
            assert color_wanted(None, tty)
            monkeypatch.setenv("NO_COLOR", "1")
            assert not color_wanted(None, tty)
            assert color_wanted(True, tty)
    finally:
        os.close(leader)
        os.close(follower)
    with tempfile.TemporaryFile("w") as file:
        monkeypatch.delenv("NO_COLOR")
        assert not color_wanted(None, file)


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a real pseudo-terminal and return what it printed."""
    leader, follower = os.openpty()
    process = subprocess.Popen([sys.executable, "-c", "from auditor.cli import cli; cli()", *args],
                               stdout=follower, stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    process.wait(timeout=120)
    return out.decode("utf-8")


def test_findings_on_a_terminal_are_coloured_and_no_color_turns_it_off(dossier):
    dossier.audit()
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    args = ["findings", "--config", str(dossier.config)]
    coloured = _run_on_a_terminal(args, env)
    assert click.style("medium", fg="yellow") in coloured
    assert max(cells_wide(line) for line in coloured.splitlines()) <= 100
    assert "\x1b[" not in _run_on_a_terminal(args, {**env, "NO_COLOR": "1"})
