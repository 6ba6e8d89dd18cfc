"""A failing fetch is the source's state: low severity unless the config says otherwise, shown
in `source_freshness`, the digest and the terminal summary, and cleared by the next good fetch.
A source that was never fetched is "not read", never "shown from its last good snapshot".
Offline, `auditor compare` of an identifier fails at once with one line (JSON under --json)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from auditor import store
from auditor.acquire import discover
from auditor.acquire.http import make_client
from auditor.cli import cli
from auditor.config import load_config

pytest_plugins = ["faultserver"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DOI = "10.1038/s41586-025-08700-0"


def project(tmp_path: Path, base: str, extra: str = "") -> Path:
    """A crossref paper that is served, and a ClinicalTrials.gov record that is not (the
    registry is down), neither fetched before."""
    config = tmp_path / "config.toml"
    config.write_text(f"""
[auditor]
database = "{tmp_path / 'audit.db'}"
snapshots = "{tmp_path / 'snapshots'}"

[fetch]
retries = 0
backoff = 0.01
bases = {{ crossref = "{base}", ctgov = "{base}/ctgov" }}

[[subjects]]
id = "amchepry"
name = "Amchepry"
aliases = ["raguneprocel"]

[[subjects.sources]]
name = "paper"
kind = "crossref"
identifier = "{DOI}"

[[subjects.sources]]
name = "registry"
kind = "ctgov"
identifier = "NCT04802733"
{extra}""", encoding="utf-8")
    return config


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def unavailable(db_path: Path) -> list[dict]:
    return [f for f in store.findings(store.open_db(db_path), status=None)
            if f["rule"] == "source_unavailable"]


@pytest.fixture
def served(fault_server):
    fault_server.add_fixture(f"/works/{DOI}", f"amchepry/crossref-{DOI.replace('/', '_')}.json")
    fault_server.add("/ctgov/studies/NCT04802733", b"", fault="500")
    return fault_server


def test_a_source_never_fetched_that_fails_is_unavailable_not_an_error(tmp_path, served):
    config = project(tmp_path, served.url(""))
    digest = tmp_path / "digest.md"
    result = run("audit", "--config", str(config), "--fetch", "--digest", str(digest))
    assert result.exit_code in (0, 1), result.output  # not 2: the paper was still audited
    [down] = unavailable(tmp_path / "audit.db")
    assert down["severity"] == "low"  # the source's state, not a discrepancy
    assert "registry unavailable since" in down["message"] and "HTTP 500" in down["message"]
    assert "there is no earlier snapshot, so the source is not read" in down["message"]
    assert "last good" not in down["message"]
    assert "1 failing to fetch: registry" in result.output  # the terminal summary
    text = digest.read_text(encoding="utf-8")
    assert "## Sources failing or broken (1)" in text
    assert "**failing** amchepry · registry" in text and "HTTP 500" in text
    db = store.open_db(tmp_path / "audit.db")
    row = db.execute("select state, state_detail from source_freshness where source = "
                     "'registry'").fetchone()
    assert row[0] == "failing" and "HTTP 500" in row[1]
    paper = db.execute("select state from source_freshness where source = 'paper'").fetchone()
    assert paper[0] == "ok"
    # given by kind + identifier alone, the paper was saved by the fetch and read back
    assert (tmp_path / "snapshots/amchepry/paper.json").is_file()
    assert db.execute("select count(*) from current_claims where source = 'paper'"
                      ).fetchone()[0] > 5


def test_a_failure_clears_itself_on_the_next_good_fetch(tmp_path, served):
    config = project(tmp_path, served.url(""))
    run("audit", "--config", str(config), "--fetch", "-q")
    [down] = unavailable(tmp_path / "audit.db")
    offline = run("audit", "--config", str(config), "-q")  # offline carries the failure
    assert offline.exit_code in (0, 1), offline.output
    assert [f["status"] for f in unavailable(tmp_path / "audit.db")] == ["open"]
    served.add_fixture("/ctgov/studies/NCT04802733", "amchepry/crossref-"
                       f"{DOI.replace('/', '_')}.json")  # any 200 JSON: the registry is back
    served.add("/ctgov/studies/NCT04802733", json.dumps(
        {"protocolSection": {"identificationModule": {"nctId": "NCT04802733",
                                                      "briefTitle": "raguneprocel"}}}))
    back = run("audit", "--config", str(config), "--fetch", "-q")
    assert back.exit_code in (0, 1), back.output
    db = store.open_db(tmp_path / "audit.db")
    assert db["findings"].get(down["id"])["status"] == "resolved"
    row = db.execute("select state from source_freshness where source = 'registry'").fetchone()
    assert row[0] == "ok"


def test_the_severity_of_a_fetch_failure_is_configurable(tmp_path, served):
    config = project(tmp_path, served.url(""),
                     '\n[rules.source_unavailable]\nseverity = "high"\n')
    result = run("audit", "--config", str(config), "--fetch", "-q")
    assert result.exit_code == 1  # high is at or above fail_on
    assert [f["severity"] for f in unavailable(tmp_path / "audit.db")] == ["high"]


def test_fetch_failures_can_be_switched_off(tmp_path, served):
    config = project(tmp_path, served.url(""),
                     '\n[rules.source_unavailable]\nenabled = false\n')
    run("audit", "--config", str(config), "--fetch", "-q")
    assert unavailable(tmp_path / "audit.db") == []


def test_fetch_says_how_many_sources_it_skipped_and_why(dossier, fault_server):
    text = "\n".join(line for line in dossier.config.read_text().splitlines()
                     if not line.startswith(("url = ", "identifier = ")))
    dossier.config.write_text(text.replace('name = "pubmed"', 'name = "pubmed"\n'
                                           'identifier = "40240591"').replace(
        "[fetch]\n", f"[fetch]\nretries = 0\nbases = {{ eutils = \"{fault_server.url('')}\" }}\n"))
    fault_server.add_fixture("/efetch.fcgi", "amchepry/pubmed-40240591.xml",
                             content_type="application/xml")
    result = run("fetch", "--config", str(dossier.config))
    assert result.exit_code == 0, result.output
    config = load_config(dossier.config)
    skipped = [s for s in config.sources if not (s.url or s.identifier)]
    assert f"{len(skipped)} sources skipped: snapshot only, no url or identifier to fetch " \
        "(jrct-ja, jrct-en, crossref" in result.output, result.output


class NoNetwork(httpx.BaseTransport):
    """What httpx raises when a name cannot be resolved (socket.gaierror below): no real DNS
    failure may be produced here."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(str(request.url))
        cause = socket.gaierror(-3, "Temporary failure in name resolution")
        raise httpx.ConnectError(f"[Errno -3] {cause.strerror}", request=request) from cause


@pytest.mark.parametrize("as_json", [False, True])
def test_offline_compare_of_an_identifier_fails_at_once_with_one_line(monkeypatch, tmp_path,
                                                                      as_json):
    transport = NoNetwork()
    monkeypatch.setattr(discover, "make_client",
                        lambda settings: make_client(settings, transport=transport))
    monkeypatch.chdir(tmp_path)  # no config.toml: the defaults (4 retries, 1 s backoff)
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["compare", DOI, *(["--json"] if as_json else [])])
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "cannot resolve api.crossref.org" in line
    assert "offline" in line
    assert len(transport.calls) == 1  # a name that does not resolve is not retried
    assert elapsed < 15  # did not hang (the issue's bound is 3 s; no retry is what keeps it)
    if as_json:
        error = json.loads(result.stdout)["error"]
        assert error["type"] == "FetchError" and "cannot resolve" in error["message"]


def test_the_report_does_not_show_a_never_fetched_source_from_a_last_good_snapshot(tmp_path,
                                                                                  served):
    config = project(tmp_path, served.url(""))
    run("audit", "--config", str(config), "--fetch", "-q")
    notes = store.report_notes(store.open_db(tmp_path / "audit.db"), "amchepry")
    questions = [text for section, text in notes if section == "question"]
    assert any("Sources never fetched (registry) are not read" in q for q in questions)
    assert not any("last good snapshot" in q for q in questions)
