"""`auditor compare`: a one-off comparison of snapshot files, same rules as the audit."""

from __future__ import annotations

import json
import shutil


def _pair_config(dossier, files):
    """A config whose sources are named like `compare` names them (the file stem)."""
    kinds = {"jrct": "jrct", "crossref": "crossref", "pubmed": "pubmed", "mhlw": "mhlw"}
    lines = ['[[subjects]]', 'id = "compare"', 'name = "compare"', '']
    for f in files:
        stem = f.rsplit(".", 1)[0]
        kind = kinds[stem.split("-")[0]]
        lines += ['[[subjects.sources]]', f'name = "{stem}"', f'kind = "{kind}"',
                  f'snapshot = "amchepry/{f}"', '']
    text = dossier.config.read_text().split("[[subjects]]")[0] + "\n".join(lines)
    dossier.config.write_text(text)


def test_compare_prints_the_same_findings_as_the_audit_for_that_pair(dossier, run_cli):
    files = ["jrct-jRCT2090220384-en.html", "crossref-10.1038_s41586-025-08700-0.json"]
    dossier.edit(files[0], "Size</th><td>7</td>", "Size</th><td>8</td>")
    result = run_cli("compare", "--json", *[str(dossier.snapshot(f)) for f in files])
    assert result.exit_code == 1, result.output
    compared = json.loads(result.stdout)
    _pair_config(dossier, files)
    audited = json.loads(dossier.audit("--json").stdout)

    def key(doc):
        return sorted((f["rule"], f["field"], f["kind"], f["message"]) for f in doc["findings"])

    assert key(compared) == key(audited)
    assert any(f["rule"] == "enrollment_mismatch" for f in compared["findings"])


def test_compare_json_shape_is_stable(dossier, run_cli):
    files = ["jrct-jRCT2090220384-en.html", "pubmed-40240591.xml"]
    dossier.edit(files[0], "Size</th><td>7</td>", "Size</th><td>8</td>")
    doc = json.loads(run_cli("compare", "--json",
                             *[str(dossier.snapshot(f)) for f in files]).stdout)
    assert set(doc) == {"version", "findings", "claims"}
    assert doc["version"] == 1
    f = doc["findings"][0]
    assert {"subject", "field", "kind", "rule", "severity", "message", "sources"} <= set(f)
    assert f["status"] is None and f["review"] is None  # compare stores nothing
    assert {"source", "kind", "value", "quote", "locator"} <= set(f["sources"][0])
    c = doc["claims"][0]
    assert {"subject", "source", "field", "value", "quote", "locator", "snapshot_sha256"} <= set(c)


def test_compare_finds_another_pack_size_in_a_price_list(dossier, run_cli, tmp_path):
    original = dossier.snapshot("mhlw-price-listing-20260519.html")
    changed = tmp_path / "mhlw-price-listing-edited.html"
    shutil.copy(original, changed)
    text = changed.read_bytes().decode("cp932")
    changed.write_bytes(text.replace("１８バイアル１組", "１２バイアル１組").encode("cp932"))
    result = run_cli("compare", "--json", f"mhlw:{original}", f"mhlw:{changed}")
    findings = json.loads(result.stdout)["findings"]
    [pack] = [f for f in findings if f["rule"] == "price_mismatch"]
    assert pack["details"]["aspect"] == "pack"
    quotes = [s["quote"] for s in pack["sources"]]
    assert any("１８バイアル１組" in q for q in quotes)
    assert any("１２バイアル１組" in q for q in quotes)


def test_compare_detects_formats_and_refuses_unknown_ones(run_cli, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes")
    other = tmp_path / "other.txt"
    other.write_text("more notes")
    result = run_cli("compare", str(junk), str(other))
    assert result.exit_code == 2
    assert "cannot tell what kind of source" in result.stderr and "KIND:PATH" in result.stderr


def test_compare_one_file_shows_what_that_source_says(run_cli):
    from conftest import DEMO

    result = run_cli("compare", str(DEMO / "amchepry" / "jrct-jRCT2090220384-en.html"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("jrct-jRCT2090220384-en (jrct, registry): what it says")
    assert any(line.startswith("enrollment (planned)") and "7 participants" in line
               for line in lines)
    assert "quote" in lines[1] and "where" in lines[1]


def test_an_unknown_subject_is_an_error_for_history_as_for_report(dossier, run_cli):
    assert dossier.audit("-q").exit_code in (0, 1)
    for command in ("history", "report"):
        result = run_cli(command, "nosuch", "--config", str(dossier.config), "--db",
                         str(dossier.db))
        assert result.exit_code == 2, (command, result.output)
        assert "no audited subject 'nosuch'" in result.output and "amchepry" in result.output
