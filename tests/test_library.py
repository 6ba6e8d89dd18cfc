"""The library front door: what `import auditor` offers, and a whole audit with fetch driven
through it alone, as a Python user would (no CLI)."""

from __future__ import annotations

import auditor

pytest_plugins = ["faultserver"]  # the fault_server fixture


def test_the_front_door_exports_exactly_these_names():
    assert sorted(auditor.__all__) == sorted([
        "FIELDS", "SEVERITY_ORDER", "AuditResult", "AuditorError", "Claim", "CompareResult",
        "Comparison", "Config", "ConfigError", "FetchError", "Finding", "FindingSource",
        "ParseError", "Reading", "Snapshot", "SnapshotError", "SourceRef", "Subject",
        "__version__", "add_subject", "audit", "compare", "digest", "discover", "fetch", "init",
        "load_config", "report"])
    for name in auditor.__all__:
        assert hasattr(auditor, name), name


def test_an_audit_with_fetch_through_the_library_alone(dossier, fault_server):
    s = fault_server
    paper = dossier.snapshot("crossref-10.1038_s41586-025-08700-0.json").read_bytes()
    s.add("/works/10.1038/s41586-025-08700-0",
          paper.replace(b"Seven patients with Parkinson", b"Eight patients with Parkinson"))
    s.add("/eutils/efetch.fcgi", b"", fault="500")
    base = s.url("")
    text = "\n".join(line for line in dossier.config.read_text().splitlines()
                     if not line.startswith(("url = ", 'identifier = "NCT')))
    dossier.config.write_text(text.replace(
        "[fetch]\n", f"[fetch]\nretries = 1\nbackoff = 0.01\nbases = {{ crossref = \"{base}\", "
                     f"eutils = \"{base}/eutils\" }}\n"))

    config = auditor.load_config(dossier.config)
    result = auditor.audit(config, dossier.db, fetch=True)

    assert isinstance(result, auditor.AuditResult)
    assert result.fetch_failures.keys() == {"pubmed"}
    rules = {f.rule for f in result.findings}
    assert "source_unavailable" in rules
    enrollment = [f for f in result.findings if f.field == "enrollment"]
    assert enrollment and "8" in enrollment[0].message and "7" in enrollment[0].message
    assert all(isinstance(f, auditor.Finding) for f in result.findings)
    assert {c.field for c in result.comparisons} >= {"enrollment", "phase", "price"}
    text = auditor.report(dossier.db, "amchepry")
    assert "Amchepry" in text and "enrollment" in text


def test_compare_two_files_without_a_database(tmp_path):
    from conftest import DEMO

    result = auditor.compare(DEMO / "amchepry/crossref-10.1038_s41586-025-08700-0.json",
                             f"pubmed:{DEMO / 'amchepry/pubmed-40240591.xml'}")
    fields = {c.field: c.verdict for c in result.comparisons}
    assert fields["enrollment"] == "consistent"
    assert {c.source for c in result.claims} == {"crossref-10.1038_s41586-025-08700-0",
                                                  "pubmed-40240591"}
    assert not list(tmp_path.iterdir()), "compare writes no database"


def test_nothing_to_compare_is_a_clear_error():
    import pytest

    with pytest.raises(auditor.AuditorError, match="nothing to compare"):
        auditor.compare()


def test_a_source_given_only_by_kind_and_identifier_is_fetched_and_audited(tmp_path,
                                                                           fault_server):
    """No snapshot path in the config: fetch saves it under the snapshot folder, the audit
    reads it back from there."""
    from conftest import DEMO

    s = fault_server
    s.add("/works/10.1038/s41586-025-08700-0",
          (DEMO / "amchepry/crossref-10.1038_s41586-025-08700-0.json").read_bytes())
    config = tmp_path / "config.toml"
    config.write_text(f"""
[auditor]
database = "{tmp_path / 'audit.db'}"
snapshots = "{tmp_path / 'snapshots'}"

[fetch]
retries = 1
backoff = 0.01
bases = {{ crossref = "{s.url('')}" }}

[[subjects]]
id = "amchepry"
name = "Amchepry"

[[subjects.sources]]
name = "paper"
kind = "crossref"
identifier = "10.1038/s41586-025-08700-0"
""")
    loaded = auditor.load_config(config)
    import pytest

    with pytest.raises(auditor.AuditorError, match="has not been fetched yet"):
        auditor.audit(loaded)
    result = auditor.audit(loaded, fetch=True)
    assert (tmp_path / "snapshots/amchepry/paper.json").is_file()
    assert {c.field for c in result.comparisons} >= {"enrollment", "follow_up"}
    assert not result.fetch_failures
