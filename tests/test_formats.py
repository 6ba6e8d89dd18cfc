"""Every command that lists things speaks --json, --nl, --csv and --tsv (and -o FILE), and a
finding has one JSON shape whichever command prints it."""

from __future__ import annotations

import csv
import io
import json

import pytest

import auditor
from auditor.outputs.formats import FORMATS

pytest_plugins = ["faultserver"]  # the fault_server fixture

FILES = ["jrct-jRCT2090220384-en.html", "pubmed-40240591.xml"]


@pytest.fixture
def audited(dossier, fault_server):
    """The dossier with a planted enrollment difference, audited; its PubMed source fetched
    from the local server, the rest from nowhere (`fetch` lists both outcomes)."""
    dossier.edit(FILES[0], "Size</th><td>7</td>", "Size</th><td>8</td>")
    fault_server.add_fixture("/eutils/efetch.fcgi", "amchepry/pubmed-40240591.xml",
                             content_type="text/xml")
    text = dossier.config.read_text(encoding="utf-8")
    dossier.config.write_text(text.replace("[fetch]\n", f"[fetch]\nretries = 0\nbases = {{ "
                                           f"eutils = \"{fault_server.url('/eutils')}\" }}\n"),
                              encoding="utf-8")
    assert dossier.audit("--quiet").exit_code == 1
    return dossier


def commands(d) -> dict[str, list[str]]:
    """Each listing command, as a desk would run it on the audited dossier."""
    config = ["--config", str(d.config)]
    [first] = auditor.api.findings(d.db, rules=["enrollment_mismatch"])
    return {
        "fetch": ["fetch", *config, "--source", "pubmed"],
        "evidence": ["evidence", first["id"], "-o", str(d.root / "evidence.zip"), *config],
        "audit": ["audit", *config],
        "findings": ["findings", *config],
        "history": ["history", "amchepry", *config],
        "report": ["report", "amchepry", *config],
        "fields": ["fields"],
        "compare": ["compare", *[str(d.snapshot(f)) for f in FILES]],
    }


def parse(fmt: str, text: str) -> list[dict]:
    """The records of a listing, whichever format it is in."""
    if fmt == "json":
        doc = json.loads(text)
        assert doc["version"] == 1
        [records] = [v for k, v in doc.items() if isinstance(v, list) and k != "claims"]
        return records
    if fmt == "nl":
        return [json.loads(line) for line in text.splitlines()]
    return list(csv.DictReader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))


LISTINGS = ["audit", "findings", "history", "report", "fields", "compare", "fetch", "evidence"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", LISTINGS)
def test_every_listing_command_prints_each_format_and_writes_it_with_o(audited, run_cli,
                                                                       tmp_path, name, fmt):
    args = commands(audited)[name]
    shown = run_cli(*args, f"--{fmt}")
    assert shown.exit_code in (0, 1), shown.output
    records = parse(fmt, shown.stdout)
    assert records, f"{name} --{fmt} listed nothing"
    if name == "evidence":  # its -o is the zip it writes
        assert (audited.root / "evidence.zip").is_file()
        return
    out = tmp_path / f"{name}.{fmt}"
    kept = run_cli(*args, f"--{fmt}", "-o", str(out))
    assert kept.exit_code == shown.exit_code
    assert kept.stdout == ""
    assert len(parse(fmt, out.read_text(encoding="utf-8"))) == len(records)


def test_a_finding_has_one_json_shape_in_audit_findings_report_and_compare(audited, run_cli):
    shapes = {}
    for name in ("audit", "findings", "report", "compare"):
        doc = json.loads(run_cli(*commands(audited)[name], "--json").stdout)
        [enrollment] = [f for f in doc["findings"] if f["rule"] == "enrollment_mismatch"]
        shapes[name] = (list(enrollment), {tuple(s) for s in enrollment["sources"]})
    assert len(set(map(repr, shapes.values()))) == 1, shapes
    stored = json.loads(run_cli(*commands(audited)["findings"], "--json").stdout)["findings"]
    assert {f["status"] for f in stored} == {"open"}


def test_csv_rows_put_both_sides_of_a_finding_side_by_side(audited, run_cli):
    rows = parse("csv", run_cli(*commands(audited)["findings"], "--csv").stdout)
    [row] = [r for r in rows if r["rule"] == "enrollment_mismatch"]
    assert set(row["values"].split(" | ")) == {"7", "8"}
    assert row["sources"].count(" | ") == len(row["values"].split(" | ")) - 1


def test_findings_filters_by_severity_rule_field_subject_and_limit(audited, run_cli):
    every = parse("json", run_cli(*commands(audited)["findings"], "--json").stdout)
    assert len(every) > 1
    config = ["--config", str(audited.config)]

    def listed(*args: str) -> list[dict]:
        result = run_cli("findings", *config, "--json", *args)
        assert result.exit_code == 0, result.output
        return parse("json", result.stdout)

    assert {f["rule"] for f in listed("--rule", "enrollment_mismatch")} == {
        "enrollment_mismatch"}
    assert {f["field"] for f in listed("--field", "enrollment")} == {"enrollment"}
    assert all(f["severity"] in ("medium", "high") for f in listed("--severity", "medium"))
    assert len(listed("--severity", "medium")) < len(every)
    assert listed("--limit", "1") == every[:1]
    assert listed("--subject", "amchepry") == every


@pytest.mark.parametrize("command", [["findings", "--subject", "nosuch"],
                                     ["history", "nosuch"], ["report", "nosuch"],
                                     ["report", "nosuch", "--json"],
                                     ["audit", "--subject", "nosuch"]])
def test_an_unknown_subject_exits_2_everywhere(audited, run_cli, command):
    result = run_cli(*command, "--config", str(audited.config))
    assert result.exit_code == 2, result.output
    assert "nosuch" in result.output


def test_h_is_help_everywhere_and_every_help_has_an_example(run_cli):
    from auditor.cli import cli

    for name in ["", *cli.commands]:
        result = run_cli(*filter(None, [name]), "-h")
        assert result.exit_code == 0, name
        assert "Usage:" in result.output
        if name:
            assert "Example" in result.output, f"auditor {name} -h has no example"


def test_every_command_with_a_listing_is_in_the_parametrized_test():
    from auditor.cli import cli

    listing = {name for name, command in cli.commands.items()
               if any(p.name in ("fmt", "as_list") and getattr(p, "flag_value", None) == "nl"
                      for p in command.params)}
    assert listing == set(LISTINGS)


def test_the_audit_progress_bar_counts_subjects_only_where_asked(dossier, capsys):
    config = auditor.load_config(dossier.config)
    auditor.audit(config, dossier.db, progress=True)
    bar = capsys.readouterr().err
    assert "1/1" in bar and "subject" in bar
    dossier.edit(FILES[0], "Size</th><td>7</td>", "Size</th><td>8</td>")
    auditor.audit(config, dossier.db)  # default: a bar only when stderr is a terminal
    assert capsys.readouterr().err == ""


def test_the_readme_cli_reference_names_the_program_as_people_type_it():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "Usage: auditor audit [OPTIONS]" in readme
    assert "Usage: cli " not in readme
