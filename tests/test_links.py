"""Link discovery over real HTTP: `auditor compare DOI` (or PMID, NCT, jRCT id) fetches the paper
and its registration from a local server that plays the public APIs, and compares them."""

from __future__ import annotations

import json

import pytest

from auditor.acquire.discover import classify

pytest_plugins = ["faultserver"]  # the fault_server fixture

A = "amchepry/"


@pytest.fixture
def services(fault_server, tmp_path):
    """The Amchepry documents served where the real services put them, and a config whose
    [fetch] bases point there."""
    s = fault_server
    s.add_fixture("/works/10.1038/s41586-025-08700-0",
                  A + "crossref-10.1038_s41586-025-08700-0.json")
    s.add_fixture("/europepmc/search", A + "europepmc-40240591.json")
    s.add_fixture("/eutils/efetch.fcgi?db=pubmed&id=40240591",
                  A + "pubmed-40240591.xml", content_type="text/xml")
    s.add_fixture("/latest-detail/jRCT2090220384", A + "jrct-jRCT2090220384-ja.html",
                  content_type="text/html; charset=utf-8")
    s.add_fixture("/en-latest-detail/jRCT2090220384", A + "jrct-jRCT2090220384-en.html",
                  content_type="text/html; charset=utf-8")
    base = s.url("")
    config = tmp_path / "config.toml"
    config.write_text(f"""
[auditor]
snapshots = "snapshots"

[fetch]
retries = 1
backoff = 0.01

[fetch.bases]
crossref = "{base}"
europepmc = "{base}/europepmc"
eutils = "{base}/eutils"
jrct = "{base}"
ctgov = "{base}/ctgov"
""")
    return s, config


@pytest.mark.parametrize("text,kind", [
    ("10.1038/s41586-025-08700-0", "crossref"), ("doi:10.1038/S41586-025-08700-0", "crossref"),
    ("NCT04802733", "ctgov"), ("jRCT2090220384", "jrct"), ("PMID: 40240591", "pubmed"),
    ("notes.txt", None), ("NCT00000000", None),
    ("https://doi.org/10.1038/s41586-025-08700-0", "crossref"),
    ("https://clinicaltrials.gov/study/NCT04802733", "ctgov"),
    ("https://clinicaltrials.gov/ct2/show/NCT04802733?term=x", "ctgov"),
    ("https://jrct.niph.go.jp/en-latest-detail/jRCT2090220384", "jrct"),
    ("https://jrct.mhlw.go.jp/latest-detail/jRCTs051180190", "jrct"),
    ("https://pubmed.ncbi.nlm.nih.gov/40240591/", "pubmed"),
    ("https://example.org/NCT04802733", None)])
def test_classify(text, kind):
    """Ids, doi.org URLs and the registry and PubMed pages a person copies from a browser."""
    assert (classify(text) or (None,))[0] == kind


def test_a_page_url_gives_the_record_id():
    assert classify("https://clinicaltrials.gov/study/NCT04802733") == ("ctgov", "NCT04802733")
    assert classify("https://jrct.mhlw.go.jp/latest-detail/jRCTs051180190") == (
        "jrct", "jRCTs051180190")


def test_compare_a_doi_finds_and_fetches_its_registration(services, run_cli):
    server, config = services
    result = run_cli("compare", "--config", str(config), "--json", "10.1038/s41586-025-08700-0")
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    sources = {c["source"] for c in doc["claims"]}
    assert {"crossref-10.1038_s41586-025-08700-0", "europepmc-10.1038_s41586-025-08700-0",
            "pubmed-40240591", "jrct-jRCT2090220384", "jrct-en_jRCT2090220384"} <= sources
    enrollment = {c["source"]: c["value"] for c in doc["claims"] if c["field"] == "enrollment"}
    assert set(enrollment.values()) == {7}
    assert server.count("/latest-detail/jRCT2090220384") == 1
    saved = config.parent / "snapshots" / "compare"
    assert (saved / "manifest.json").exists() and len(list(saved.glob("*.html"))) == 2


def test_a_planted_registry_difference_is_found_from_the_doi_alone(services, run_cli):
    server, config = services
    page = server.routes["/en-latest-detail/jRCT2090220384"]
    page.body = page.body.replace(b"Size</th><td>7</td>", b"Size</th><td>8</td>")
    result = run_cli("compare", "--config", str(config), "--json", "10.1038/s41586-025-08700-0")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    [f] = [f for f in findings if f["rule"] == "enrollment_mismatch"]
    assert {s["value"] for s in f["sources"]} == {7, 8}


def test_an_unreachable_start_is_a_clear_error(services, run_cli):
    _, config = services
    result = run_cli("compare", "--config", str(config), "10.5555/not-served")
    assert result.exit_code == 2
    assert "10.5555" in result.stderr and "404" in result.stderr


def test_compare_an_nct_id_starts_from_the_registry(services, run_cli):
    server, config = services
    server.add_fixture("/ctgov/studies/NCT04802733", "bluerock/ctgov-NCT04802733.json")
    result = run_cli("compare", "--config", str(config), "--json", "NCT04802733")
    assert result.exit_code == 0, result.output
    claims = json.loads(result.stdout)["claims"]
    assert {c["source"] for c in claims} == {"ctgov-NCT04802733"}
    assert [c["value"] for c in claims if c["field"] == "enrollment"] == [12]


def test_a_fetched_record_over_the_configs_size_cap_is_not_read(services, run_cli):
    """Discovery keeps config.toml's [limits] as an audit does: a linked record larger than its
    kind's cap is named as not compared, and the rest is compared."""
    _, config = services
    config.write_text(config.read_text() + "\n[limits.bytes]\npubmed = 1000\n")
    result = run_cli("compare", "--config", str(config), "10.1038/s41586-025-08700-0")
    assert "not compared: pubmed-40240591: " in result.stderr, result.stderr
    assert "too large" in result.stderr and "[limits.bytes] pubmed" in result.stderr
    assert "crossref" in result.stdout
