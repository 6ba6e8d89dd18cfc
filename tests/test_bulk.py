"""Registry-wide imports: ClinicalTrials.gov search pages over real HTTP (the fault server
standing in for clinicaltrials.gov) and the JSON download archive, into snapshots, claims and
a checkpoint that lets an interrupted import go on where it stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import snapshots, store
from auditor.acquire import bulk
from auditor.acquire.bulk import BulkInterrupted, canonical
from auditor.acquire.http import make_client
from auditor.cli import cli
from auditor.errors import AuditorError

pytest.register_assert_rewrite("faultserver")
from faultserver import API_KEY, EMAIL, FIXTURES, HostMap, fast_settings  # noqa: E402

pytest_plugins = ["faultserver"]

SEARCH = "/api/v2/studies"
ROOT = Path(__file__).resolve().parent.parent
#: A real-shaped study record (reconstructed fixture), the model for generated ones.
BLUEROCK = json.loads((FIXTURES / "bluerock" / "ctgov-NCT04802733.json").read_text())


def study(n: int) -> dict:
    """The BlueRock record with another NCT number and enrollment (a made-up test study)."""
    record = json.loads(json.dumps(BLUEROCK))
    nct = f"NCT{90000000 + n:08d}"
    record["protocolSection"]["identificationModule"]["nctId"] = nct
    record["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = n
    return record


def nct(record: dict) -> str:
    return record["protocolSection"]["identificationModule"]["nctId"]


def page(records: list[dict], token: str | None) -> bytes:
    data: dict = {"studies": records}
    if token:
        data["nextPageToken"] = token
    return json.dumps(data).encode()


PAGES = [[BLUEROCK, study(1)], [study(2), study(3)], [study(4)]]


def serve_pages(server, **page2: object) -> None:
    """Three search pages chained by nextPageToken (t2, t3); faults for page 2 if given."""
    server.add(SEARCH, page(PAGES[0], "t2"))
    server.add(f"{SEARCH}?pageToken=t2", page(PAGES[1], "t3"), **page2)
    server.add(f"{SEARCH}?pageToken=t3", page(PAGES[2], None))


def requests_for(server, token: str | None) -> int:
    return sum(1 for hit in server.hits.get(SEARCH, []) if hit.query.get("pageToken") == token)


def run_search(server, out: Path, db, **kwargs: object) -> bulk.BulkResult:
    settings = fast_settings(**kwargs.pop("settings", {}))  # type: ignore[arg-type]
    with make_client(settings, transport=HostMap(server.port)) as client:
        return bulk.search(client, {"query.intr": "dopaminergic"}, out, db, page_size=2,
                           **kwargs)  # type: ignore[arg-type]


def saved(out: Path, nct: str) -> Path:
    """Where a study's snapshot goes: a shard folder named by its last two digits."""
    return out / "ctgov" / nct[-2:] / f"{nct}.json"


def all_saved(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "ctgov").glob("*/NCT*.json"))


def manifest_entries(out: Path) -> dict[str, dict]:
    entries: dict[str, dict] = {}
    for folder in (out / "ctgov").iterdir():
        if folder.is_dir():
            entries.update(snapshots.read_manifest(folder))
    return entries


def checkpoint(out: Path) -> dict:
    return json.loads(bulk.checkpoint_path(out).read_text())


def counts(db) -> tuple[int, int, int]:
    return tuple(db.execute(f"select count(*) from {t}").fetchone()[0]
                 for t in ("subjects", "sources", "claims"))  # type: ignore[return-value]


# --- search pages ------------------------------------------------------------------------

def test_three_pages_become_snapshots_claims_and_a_checkpoint(tmp_path, fault_server):
    serve_pages(fault_server)
    db = store.open_db(tmp_path / "audit.db")
    result = run_search(fault_server, tmp_path / "out", db)

    everything = [s for p in PAGES for s in p]
    out = tmp_path / "out"
    for record in everything:
        assert saved(out, nct(record)).read_bytes() == canonical(record)
    manifest = manifest_entries(out)
    assert sorted(manifest) == all_saved(out) == sorted(f"{nct(r)}.json" for r in everything)
    entry = manifest["NCT04802733.json"]
    assert (entry["url"], entry["provenance"], entry["source"]) == (
        "https://clinicaltrials.gov/api/v2/studies/NCT04802733", "fetched", "ctgov:NCT04802733")
    assert entry["sha256"] == snapshots.sha256(canonical(BLUEROCK))
    path = db.execute("select snapshot_path from sources where name = 'ctgov:NCT04802733'"
                      ).fetchone()[0]
    loaded, body = snapshots.load(out, path, source="ctgov:NCT04802733", kind="ctgov")
    assert (path, loaded.url, loaded.provenance, body) == (
        "ctgov/33/NCT04802733.json", entry["url"], "fetched", canonical(BLUEROCK))

    enrollment = dict(db.execute(
        "select subject, value from claims where field = 'enrollment'").fetchall())
    assert enrollment == {"NCT04802733": "12", "NCT90000001": "1", "NCT90000002": "2",
                          "NCT90000003": "3", "NCT90000004": "4"}
    assert db.execute("select distinct role from claims").fetchall() == [("registry",)]
    assert counts(db)[:2] == (5, 5)

    cp = checkpoint(tmp_path / "out")
    assert (cp["pages"], cp["studies"], cp["next_page_token"], cp["done"]) == (3, 5, None, True)
    assert cp["claims"] == counts(db)[2]
    assert (result.studies, result.pages, result.done, result.exit_code) == (5, 3, True, 0)
    queries = [hit.query for hit in fault_server.hits[SEARCH]]
    assert [q.get("pageToken") for q in queries] == [None, "t2", "t3"]
    assert all(q["query.intr"] == "dopaminergic" and q["pageSize"] == "2" for q in queries)


def test_a_page_that_keeps_failing_stops_the_run_and_a_rerun_resumes_there(tmp_path,
                                                                          fault_server):
    # The server counts requests per path (page 1 is the first): retries=2 makes requests 2-4
    # page 2's three tries, all 500; the fifth (the re-run's) succeeds.
    serve_pages(fault_server, fault="500", times=4)
    db = store.open_db(tmp_path / "audit.db")
    with pytest.raises(BulkInterrupted, match=r"page 2 failed.*HTTP 500.*re-run the same "
                                              r"command to resume from page 2"):
        run_search(fault_server, tmp_path / "out", db)
    cp = checkpoint(tmp_path / "out")
    assert (cp["pages"], cp["next_page_token"], cp["studies"], cp["done"]) == (1, "t2", 2, False)
    assert counts(db)[0] == 2

    result = run_search(fault_server, tmp_path / "out", db)
    assert (result.resumed_at, result.this_run, result.studies, result.done) == (1, 2, 5, True)
    assert counts(db)[:2] == (5, 5)
    assert (requests_for(fault_server, None), requests_for(fault_server, "t2"),
            requests_for(fault_server, "t3")) == (1, 4, 1)


def test_cli_reports_the_interruption_and_resumes(tmp_path, fault_server):
    serve_pages(fault_server, fault="500", times=3)  # page 1, then page 2's two tries
    config = tmp_path / "config.toml"
    config.write_text(
        "[fetch]\nretries = 1\nbackoff = 0.01\nrate_limits = { default = 1000.0 }\n"
        f'bases = {{ ctgov = "http://127.0.0.1:{fault_server.port}/api/v2" }}\n')
    args = ["bulk", "ctgov", "--query.intr", "dopaminergic", "--page-size", "2", "--out",
            str(tmp_path / "out"), "--db", str(tmp_path / "audit.db"), "--config", str(config)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 2
    assert "page 2 failed" in first.output and "resume from page 2" in first.output
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "5 studies" in second.output and "resumed at page 2" in second.output
    assert requests_for(fault_server, None) == 1
    third = CliRunner().invoke(cli, args)
    assert third.exit_code == 0 and "already complete" in third.output
    assert len(fault_server.hits[SEARCH]) == 5  # 1 + 2 failed + 1 + 1; the third run asked none


def test_max_pages_stops_early_and_the_next_run_goes_on(tmp_path, fault_server):
    serve_pages(fault_server)
    db = store.open_db(tmp_path / "audit.db")
    first = run_search(fault_server, tmp_path / "out", db, max_pages=1)
    assert (first.pages, first.done, counts(db)[0]) == (1, False, 2)
    second = run_search(fault_server, tmp_path / "out", db)
    assert (second.pages, second.done, counts(db)[0]) == (3, True, 5)
    assert requests_for(fault_server, None) == 1


@pytest.mark.parametrize(("restart", "refused"), [(False, True), (True, False)])
def test_a_different_query_is_refused_unless_restart(tmp_path, fault_server, restart, refused):
    serve_pages(fault_server)
    db = store.open_db(tmp_path / "audit.db")
    run_search(fault_server, tmp_path / "out", db, max_pages=1)
    with make_client(fast_settings(), transport=HostMap(fault_server.port)) as client:
        def other() -> bulk.BulkResult:
            return bulk.search(client, {"query.spons": "BlueRock"}, tmp_path / "out", db,
                               page_size=2, restart=restart)
        if refused:
            with pytest.raises(AuditorError, match=r"different query \(search "
                                                   r"query.intr=dopaminergic.*--restart"):
                other()
        else:
            assert other().done
    assert checkpoint(tmp_path / "out")["identity"]["params"] == (
        {"query.intr": "dopaminergic"} if refused else {"query.spons": "BlueRock"})


def test_a_rerun_of_unchanged_studies_rewrites_nothing(tmp_path, fault_server):
    serve_pages(fault_server)
    db = store.open_db(tmp_path / "audit.db")
    run_search(fault_server, tmp_path / "out", db)
    folder = tmp_path / "out" / "ctgov"
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*/NCT*.json")}
    claims = counts(db)[2]
    again = run_search(fault_server, tmp_path / "out", db, restart=True)
    assert again.unchanged == 5 and counts(db)[2] == claims
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*/NCT*.json")} == before
    assert len(before) == 5


def test_secrets_never_reach_the_snapshots(tmp_path, fault_server):
    serve_pages(fault_server)
    run_search(fault_server, tmp_path / "out", store.open_db(tmp_path / "audit.db"))
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert EMAIL not in text and API_KEY not in text, path


# --- the download archive ----------------------------------------------------------------

def make_archive(path: Path, records: list[dict], extra: dict[str, bytes] | None = None) -> Path:
    """A zip laid out like ctg-studies.json.zip: shard folder by the last two digits."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for record in records:
            zf.writestr(f"{nct(record)[-2:]}/{nct(record)}.json", json.dumps(record, indent=2))
        for name, body in (extra or {}).items():
            zf.writestr(name, body)
    return path


MALFORMED = {"07/NCT90000007.json": b'{"protocolSection": {"identificationModule": ',
             "08/NCT90000008.json": b'{"studies": []}',
             "09/NCT90000009.json": b'{"protocolSection": {"identificationModule": '
                                    b'{"nctId": "12345"}}}'}


def test_archive_import_skips_and_names_malformed_members(tmp_path):
    records = [BLUEROCK, *(study(n) for n in range(1, 6))]
    zipped = make_archive(tmp_path / "ctg-studies.json.zip", records, MALFORMED)
    result = CliRunner().invoke(cli, ["bulk", "ctgov", "--archive", str(zipped), "--out",
                                      str(tmp_path / "out"), "--db", str(tmp_path / "a.db"),
                                      "--page-size", "4"])
    assert result.exit_code == 1, result.output
    assert "6 studies" in result.output and "3 malformed members skipped" in result.output
    assert "07/NCT90000007.json: malformed JSON at line 1" in result.output
    assert "08/NCT90000008.json: not a ClinicalTrials.gov v2 study" in result.output
    assert "09/NCT90000009.json: protocolSection.identificationModule.nctId is '12345'" in (
        result.output)
    db = store.open_db(tmp_path / "a.db")
    assert counts(db)[:2] == (6, 6)
    assert all_saved(tmp_path / "out") == sorted(f"{nct(r)}.json" for r in records)
    cp = checkpoint(tmp_path / "out")
    assert (cp["next_member"], cp["malformed"], cp["done"]) == (9, 3, True)


def test_archive_and_search_give_the_same_snapshot(tmp_path, fault_server):
    serve_pages(fault_server)
    db = store.open_db(tmp_path / "audit.db")
    run_search(fault_server, tmp_path / "out", db)
    claims = counts(db)[2]
    zipped = make_archive(tmp_path / "a.zip", [BLUEROCK])
    result = bulk.archive(zipped, tmp_path / "from-zip", db)
    assert result.unchanged == 1 and counts(db)[2] == claims
    assert saved(tmp_path / "from-zip", "NCT04802733").read_bytes() == (
        saved(tmp_path / "out", "NCT04802733").read_bytes())


def test_another_archive_in_the_same_folder_is_refused(tmp_path):
    db = store.open_db(tmp_path / "a.db")
    bulk.archive(make_archive(tmp_path / "a.zip", [study(1)]), tmp_path / "out", db)
    with pytest.raises(AuditorError, match="different archive.*--restart"):
        bulk.archive(make_archive(tmp_path / "b.zip", [study(1), study(2)]), tmp_path / "out",
                     db)


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such archive"), (b"not a zip", "not a readable zip archive")])
def test_unreadable_archives_are_refused(tmp_path, content, message):
    path = tmp_path / "x.zip"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AuditorError, match=message):
        bulk.archive(path, tmp_path / "out", store.open_db(tmp_path / "a.db"))


def test_kill_9_during_an_archive_import_then_a_rerun_completes_without_duplicates(tmp_path):
    n = 1500
    zipped = make_archive(tmp_path / "big.zip", [study(i) for i in range(n)])
    args = [sys.executable, "-m", "auditor.cli", "bulk", "ctgov", "--archive", str(zipped),
            "--out", str(tmp_path / "out"), "--db", str(tmp_path / "audit.db"),
            "--page-size", "10", "--quiet"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cp_file = bulk.checkpoint_path(tmp_path / "out")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads(cp_file.read_text())["next_member"] >= 100:
                break
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = checkpoint(tmp_path / "out")
    assert 100 <= killed_at["next_member"] < n and not killed_at["done"]

    rerun = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    db = store.open_db(tmp_path / "audit.db")
    clean = store.open_db(tmp_path / "clean.db")
    bulk.archive(zipped, tmp_path / "clean", clean)
    assert counts(db) == counts(clean) and counts(db)[:2] == (n, n)
    ids = {r[0] for r in db.execute("select id from claims")}
    assert ids == {r[0] for r in clean.execute("select id from claims")}
    assert checkpoint(tmp_path / "out")["done"]
    assert len(all_saved(tmp_path / "out")) == n
    assert len(manifest_entries(tmp_path / "out")) == n


def deep_study(n: int, depth: int) -> bytes:
    """A study whose description nests `depth` lists deep (a hostile or broken record)."""
    text = json.dumps(study(n))
    assert '"protocolSection": {' in text
    return text.replace('"protocolSection": {', '"protocolSection": {"deep": '
                        + "[" * depth + "]" * depth + ", ", 1).encode()


def test_an_archive_with_deep_members_in_a_late_batch_finishes_and_names_them(tmp_path):
    records = [study(n) for n in range(1, 10)]
    deep = {"97/NCT90000097.json": deep_study(97, 100_000),  # too deep for json to load
            "98/NCT90000098.json": deep_study(98, 500)}  # loads, deeper than any record
    zipped = make_archive(tmp_path / "ctg-studies.json.zip", records, deep)
    args = ["bulk", "ctgov", "--archive", str(zipped), "--out", str(tmp_path / "out"),
            "--db", str(tmp_path / "a.db"), "--page-size", "4"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "9 studies" in result.output and "2 malformed members skipped" in result.output
    assert "97/NCT90000097.json: JSON nested too deeply to read" in result.output
    assert "98/NCT90000098.json: " in result.output and "nested more than" in result.output
    assert checkpoint(tmp_path / "out")["done"]
    again = CliRunner().invoke(cli, args)  # the import is finished, not stuck at that batch
    assert again.exit_code == 1 and "already complete" in again.output


def test_bulk_and_audit_share_the_database_lock(tmp_path):
    from auditor.lock import audit_lock

    db_path = tmp_path / "a.db"
    zipped = make_archive(tmp_path / "a.zip", [study(1)])
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from auditor.lock import audit_lock\n"
         "with audit_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)",
         str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = CliRunner().invoke(cli, ["bulk", "ctgov", "--archive", str(zipped), "--out",
                                          str(tmp_path / "out"), "--db", str(db_path)])
        assert result.exit_code == 2
        assert f"another audit is running (pid {holder.pid}) on {db_path}" in result.stderr
        assert not (tmp_path / "out" / "ctgov" / "01").exists()
    finally:
        holder.kill()
        holder.wait()
    with audit_lock(db_path, what="bulk import"):
        config = tmp_path / "config.toml"
        config.write_text(f'[auditor]\ndatabase = "{db_path}"\n[[subjects]]\nid = "x"\n'
                          'name = "X"\n')
        audited = CliRunner().invoke(cli, ["audit", "--config", str(config)])
        assert audited.exit_code == 2
        assert f"another bulk import is running (pid {os.getpid()})" in audited.stderr
    assert CliRunner().invoke(cli, ["bulk", "ctgov", "--archive", str(zipped), "--out",
                                    str(tmp_path / "out"), "--db", str(db_path)]).exit_code == 0


def test_a_database_folder_that_does_not_exist_is_refused_not_created(tmp_path):
    zipped = make_archive(tmp_path / "a.zip", [study(1)])
    result = CliRunner().invoke(cli, ["bulk", "ctgov", "--archive", str(zipped), "--out",
                                      str(tmp_path / "out"), "--db",
                                      str(tmp_path / "nosuch" / "dir" / "a.db")])
    assert result.exit_code == 2
    assert "database's folder" in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "nosuch").exists()
