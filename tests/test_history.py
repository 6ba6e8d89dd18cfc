"""A ClinicalTrials.gov record's change history over real HTTP: the change list and every
version fetched from a local server playing the History of Changes endpoints, each version once
and resumably; the paper compared with the registry as it stood before the trial started (or on
an as-of date); and the amendments between versions judged by when they were made.

The record is NCT03418623 (verbatim, the current version) with four earlier versions
reconstructed by editing named fields (fixtures/ctgov-history/README.md): the primary outcome
was the BOLD signal until version 3 (2019-05-02, after the start on 2018-03-08) made it
glutamate, the outcome the (reconstructed) paper reports."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.acquire.history import fetch_history, folder_for, load_history
from auditor.acquire.http import make_client
from auditor.config import load_config
from auditor.errors import ParseError
from auditor.read.documents import Document
from auditor.sources import ctgov

pytest_plugins = ["faultserver"]

NCT = "NCT03418623"
HERE = Path(__file__).resolve().parent.parent / "fixtures" / "ctgov-history" / NCT
VERSIONS = 5


@pytest.fixture
def registry(fault_server, tmp_path):
    """The record, its change list and versions, and the paper, served where the services put
    them; a config whose [fetch.bases] (ctgov_int included) point there."""
    s = fault_server
    s.add("/ctgov/studies/" + NCT, (HERE / "study.json").read_bytes())
    s.add(f"/int/studies/{NCT}/history", (HERE / "history.json").read_bytes(),
          etag='"changes-1"')
    for n in range(VERSIONS):
        s.add(f"/int/studies/{NCT}/history/{n}", (HERE / f"version-{n}.json").read_bytes())
    s.add("/eutils/efetch.fcgi?db=pubmed&id=99999999",
          (HERE / "pubmed-99999999.xml").read_bytes(), content_type="text/xml")
    base = s.url("")
    config = tmp_path / "config.toml"
    config.write_text(f"""
[auditor]
snapshots = "snapshots"

[fetch]
retries = 1
backoff = 0.01

[fetch.rate_limits]
default = 1000.0

[fetch.bases]
ctgov = "{base}/ctgov"
ctgov_int = "{base}/int"
eutils = "{base}/eutils"
crossref = "{base}"
europepmc = "{base}/europepmc"
""")
    return s, config


def test_compare_an_nct_quotes_both_versions_of_a_primary_outcome_changed_after_the_start(
        registry, run_cli):
    server, config = registry
    result = run_cli("compare", "--config", str(config), "--json", NCT)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    amended = [f for f in findings if f["rule"] == "primary_outcome_amended"]
    assert len(amended) == 1, amended
    f = amended[0]
    assert f["field"] == "primary_outcomes" and f["severity"] == "medium"
    assert "version 2 of 2019-01-15" in f["message"] and "version 3 of 2019-05-02" in f["message"]
    assert "after the start (2018-03-08)" in f["message"]
    sides = f["sources"]
    assert [s["source"] for s in sides] == [f"ctgov-{NCT} version 2 of 2019-01-15",
                                            f"ctgov-{NCT} version 3 of 2019-05-02"]
    assert "BOLD" in sides[0]["quote"] and "glutamate" in sides[1]["quote"]
    assert sides[0]["snapshot_sha256"] != sides[1]["snapshot_sha256"]
    assert sides[1]["url"].endswith(f"/int/studies/{NCT}/history/3")


def _compare(run_cli, config, *args):
    result = run_cli("compare", "--config", str(config), "--json", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def _switching(findings):
    return [f for f in findings if f["rule"] == "outcome_switching"]


def test_the_paper_is_compared_with_the_last_version_before_the_start(registry, run_cli):
    """COMPare's rule: version 0 (posted 2018-02-01) is the last before the start on
    2018-03-08; it registered the BOLD signal, the paper reports glutamate."""
    _, config = registry
    switched = _switching(_compare(run_cli, config, "PMID:99999999"))
    missing = [f for f in switched if f["kind"] == "missing"]
    assert len(missing) == 1, switched
    assert "blood oxygenation level dependent" in missing[0]["message"]
    assert (f"ctgov-{NCT} version 0 of 2018-02-01, the last version before the start on "
            "2018-03-08") in missing[0]["message"]
    assert missing[0]["sources"][0]["url"].endswith("/history/0")
    promoted = [f for f in switched if f["details"].get("category") ==
                "secondary promoted to primary"]
    assert promoted and "version 0 of 2018-02-01" in promoted[0]["message"]


def test_as_of_before_the_change_compares_the_paper_with_the_old_outcome(registry, run_cli):
    _, config = registry
    switched = _switching(_compare(run_cli, config, "PMID:99999999", "--as-of", "2018-12-01"))
    assert switched, "the paper's glutamate outcome was not the primary on 2018-12-01"
    assert all(f"ctgov-{NCT} version 1 of 2018-03-20, the version in force on 2018-12-01"
               in f["message"] for f in switched)


def test_as_of_after_the_change_compares_the_paper_with_the_new_outcome(registry, run_cli):
    _, config = registry
    findings = _compare(run_cli, config, "PMID:99999999", "--as-of", "2019-06-01")
    assert _switching(findings) == []
    assert [f["rule"] for f in findings if f["field"] == "primary_outcomes"] == [
        "primary_outcome_amended"]  # the amendment itself is still reported


def test_an_as_of_that_is_not_a_date_is_refused(registry, run_cli):
    _, config = registry
    result = run_cli("compare", "--config", str(config), NCT, "--as-of", "last year")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_each_version_is_fetched_once_and_the_change_list_conditionally(registry, run_cli):
    server, config = registry
    _compare(run_cli, config, NCT)
    _compare(run_cli, config, NCT)
    assert [server.count(f"/int/studies/{NCT}/history/{n}") for n in range(VERSIONS)] == \
        [1] * VERSIONS
    lists = server.hits[f"/int/studies/{NCT}/history"]
    assert len(lists) == 2
    assert lists[1].headers.get("If-None-Match") == '"changes-1"' and lists[1].status == 304


def test_a_version_that_404s_is_named_and_the_others_are_kept(registry, run_cli):
    server, config = registry
    server.add(f"/int/studies/{NCT}/history/3", b'{"message": "not found"}', status=404)
    result = run_cli("compare", "--config", str(config), "--json", NCT)
    assert result.exit_code in (0, 1), result.output
    assert f"{NCT} history version 3:" in result.stderr and "404" in result.stderr
    folder = Path(load_config(config).snapshot_dir) / folder_for("compare", NCT)
    assert sorted(p.name for p in folder.glob("version-*.json")) == [
        f"version-{n}.json" for n in (0, 1, 2, 4)]
    amended = [f for f in json.loads(result.stdout)["findings"]
               if f["rule"] == "primary_outcome_amended"]
    assert [f["details"]["versions"] for f in amended] == [[2, 4]]  # 3 missing: 2 → 4
    server.add(f"/int/studies/{NCT}/history/3", (HERE / "version-3.json").read_bytes())
    _compare(run_cli, config, NCT)
    assert server.count(f"/int/studies/{NCT}/history/3") == 2
    assert [server.count(f"/int/studies/{NCT}/history/{n}") for n in (0, 1, 2, 4)] == [1] * 4


def test_a_change_list_of_another_shape_says_the_endpoint_changed(registry, run_cli):
    server, config = registry
    server.add(f"/int/studies/{NCT}/history", b'{"versions": [{"v": 0}]}')
    result = run_cli("compare", "--config", str(config), NCT)
    assert result.exit_code in (0, 1), result.output
    assert "history endpoint changed its shape" in result.stderr
    assert "saw ['versions']" in result.stderr
    assert server.count(f"/int/studies/{NCT}/history/0") == 0


def test_a_version_of_another_shape_is_refused_and_not_saved(registry, run_cli):
    server, config = registry
    server.add(f"/int/studies/{NCT}/history/2", b'{"studyVersion": 2, "record": {}}')
    result = run_cli("compare", "--config", str(config), NCT)
    assert "history version 2:" in result.stderr and "changed its shape" in result.stderr
    folder = Path(load_config(config).snapshot_dir) / folder_for("compare", NCT)
    assert not (folder / "version-2.json").exists() and (folder / "version-3.json").exists()


def test_the_nested_change_list_of_the_history_true_form_reads_too():
    """cthist reads `?history=true`, whose change list sits under `history`."""
    body = json.dumps({"study": {}, "history": json.loads((HERE / "history.json").read_text())})
    changes = ctgov.history_changes(Document(body.encode(), "application/json", "u", "t"))
    assert [c["version"] for c in changes] == list(range(VERSIONS))
    assert changes[3] == {"version": 3, "date": "2019-05-02", "status": "RECRUITING",
                          "module_labels": ["Study Status", "Outcome Measures"]}


def test_a_version_answering_for_another_number_is_refused():
    body = (HERE / "version-2.json").read_bytes()
    with pytest.raises(ParseError, match="asked for version 3"):
        ctgov.read_version(Document(body, "application/json", "u", "t"), NCT, 3)


def test_a_long_history_is_read_from_one_response(fault_server, tmp_path):
    """cthist reads the whole change list from one response (the list does not page): sixty
    versions, every one fetched."""
    changes = [{"version": n, "date": f"20{10 + n // 12:02d}-{n % 12 + 1:02d}-01",
                "status": "RECRUITING", "moduleLabels": ["Study Status"]} for n in range(60)]
    fault_server.add(f"/int/studies/{NCT}/history", json.dumps({"changes": changes}))
    study = json.loads((HERE / "study.json").read_text())
    for n in range(60):
        fault_server.add(f"/int/studies/{NCT}/history/{n}",
                         json.dumps({"studyVersion": n, "study": study}))
    config = load_config(_config(tmp_path, fault_server.url("")))
    with make_client(config.fetch) as client:
        result = fetch_history(config, NCT, client, "compare", source="ctgov")
    assert result.fetched == list(range(60)) and not result.problems
    versions, missing = load_history(config.snapshot_dir, folder_for("compare", NCT), NCT,
                                     source="ctgov")
    assert [v.version for v in versions] == list(range(60)) and missing == {}


def test_a_mirror_without_ctgov_int_fetches_no_history(registry, run_cli, tmp_path):
    server, config = registry
    text = config.read_text().replace('ctgov_int = ', '# ctgov_int = ')
    config.write_text(text)
    result = run_cli("compare", "--config", str(config), NCT)
    assert "change history not fetched" in result.stderr and "ctgov_int" in result.stderr
    assert server.count(f"/int/studies/{NCT}/history") == 0


def _config(tmp_path, base):
    path = tmp_path / "config.toml"
    path.write_text(f"""
[auditor]
snapshots = "snapshots"

[fetch]
retries = 0

[fetch.rate_limits]
default = 1000.0

[fetch.bases]
ctgov = "{base}/ctgov"
ctgov_int = "{base}/int"
""")
    return path


def test_a_history_fetch_killed_half_way_resumes_where_it_stopped(registry, tmp_path):
    """A real kill (SIGKILL) of `auditor compare` while versions are still coming: the versions
    saved before it are never requested again; the next run fetches only the rest."""
    server, config = registry
    for n in range(VERSIONS):
        server.add(f"/int/studies/{NCT}/history/{n}", (HERE / f"version-{n}.json").read_bytes(),
                   latency=0.4)
    folder = Path(load_config(config).snapshot_dir) / folder_for("compare", NCT)
    auditor = [str(Path(sys.executable).parent / "auditor"), "compare", "--config", str(config),
               "--json", NCT]
    process = subprocess.Popen(auditor, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # a "did not hang" guard of 60 s, far above the ~1 s needed
            if (folder / "version-1.json").exists():
                break
            time.sleep(0.1)
        process.kill()
    finally:
        process.wait(timeout=60)
    saved = sorted(int(p.stem.split("-")[1]) for p in folder.glob("version-*.json"))
    assert 1 in saved and len(saved) < VERSIONS, saved
    result = subprocess.run(auditor, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    assert all(server.count(f"/int/studies/{NCT}/history/{n}") == 1 for n in saved)
    assert sorted(p.name for p in folder.glob("version-*.json")) == [
        f"version-{n}.json" for n in range(VERSIONS)]
    assert "primary_outcome_amended" in result.stdout


def test_history_of_an_nct_prints_its_versions_and_what_each_changed(registry, run_cli):
    server, config = registry
    _compare(run_cli, config, NCT)
    requests = server.count(f"/int/studies/{NCT}/history")
    result = run_cli("history", NCT, "--config", str(config))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{NCT}: 5 versions (")
    assert lines[1].split()[:4] == ["version", "0", "2018-02-01", "NOT_YET_RECRUITING"]
    v3 = next(i for i, line in enumerate(lines) if line.startswith("version 3"))
    assert "Study Status, Outcome Measures" in lines[v3]
    below = " ".join(lines[v3 + 1:next(i for i, line in enumerate(lines)
                                         if line.startswith("version 4"))])
    assert "primary_outcomes:" in below and "status:" in below
    assert server.count(f"/int/studies/{NCT}/history") == requests  # read from disk only
    data = json.loads(run_cli("history", NCT, "--config", str(config), "--json").stdout)
    assert [v["version"] for v in data["versions"]] == list(range(VERSIONS))
    assert {a["rule"] for a in data["versions"][3]["amendments"]} == {
        "primary_outcome_amended", "status_backwards", "completion_date_slipped"}


def test_history_of_an_nct_never_fetched_says_how_to_get_it(registry, run_cli):
    _, config = registry
    result = run_cli("history", "NCT01234567", "--config", str(config))
    assert result.exit_code == 2
    assert "no change history of NCT01234567" in result.output
    assert "auditor compare NCT01234567" in result.output


def test_history_requests_keep_to_the_host_s_rate_limit(registry, run_cli):
    """[fetch.rate_limits] spaces every request to the host, versions included: at 5 per
    second no two history requests are less than 0.2 s apart (a lower bound: no clock race)."""
    server, config = registry
    config.write_text(config.read_text().replace("default = 1000.0", "default = 5.0"))
    _compare(run_cli, config, NCT)
    times = sorted(h.at for path, hits in server.hits.items() if path.startswith("/int/")
                   for h in hits)
    assert len(times) == 1 + VERSIONS
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.2 * 0.95


def test_no_history_fetches_none(registry, run_cli):
    server, config = registry
    findings = _compare(run_cli, config, NCT, "--no-history")
    assert not [f for f in findings if f["rule"] == "primary_outcome_amended"]
    assert not any(path.startswith("/int/") for path in server.hits)
