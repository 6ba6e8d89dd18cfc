"""A first run after pip install: `auditor init` writes a starter config and the bundled demo,
`auditor add` and `compare --save` append subjects keeping the user's comments, and the
config is found from any folder below it or through AUDITOR_CONFIG."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import auditor
from auditor.cli import cli
from auditor.config import find_config, load_config

pytest_plugins = ["faultserver"]  # the fault_server fixture

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "auditor" / "demo"


def run(folder: Path, *args: str, env: dict[str, str] | None = None):
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(cli, list(args), env=env)
    finally:
        os.chdir(old)


def test_init_in_an_empty_folder_writes_the_starter_and_the_demo_and_audit_runs_offline(
        tmp_path):
    result = run(tmp_path, "init")
    assert result.exit_code == 0, result.output
    assert "next: `auditor audit`" in result.output
    shipped = sorted(p.name for p in (DEMO / "amchepry").iterdir())
    assert sorted(p.name for p in (tmp_path / "snapshots/amchepry").iterdir()) == shipped
    assert (tmp_path / "snapshots/amchepry/pubmed-40240591.xml").read_bytes() == \
        (DEMO / "amchepry/pubmed-40240591.xml").read_bytes()

    audited = run(tmp_path, "audit", "--quiet")
    assert audited.exit_code in (0, 1), audited.output  # 1: findings at or above medium
    config = load_config(tmp_path / "config.toml")
    with sqlite3.connect(tmp_path / "audit.db") as db:
        with_claims = {row[0] for row in db.execute("select distinct source from claims")}
    assert with_claims == {s.name for s in config.sources}


def test_init_never_overwrites_a_config_and_writes_no_demo_into_a_used_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    assert run(tmp_path, "init").exit_code == 0
    assert not (tmp_path / "snapshots").exists()  # not empty: no demo unless asked
    assert load_config(tmp_path / "config.toml").subjects == []
    again = run(tmp_path, "init")
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_the_repository_config_is_the_starter_reading_the_demo_where_it_lives():
    starter = (DEMO / "config.toml").read_text(encoding="utf-8")
    assert (ROOT / "config.toml").read_text(encoding="utf-8") == starter.replace(
        'snapshots = "snapshots"     #', 'snapshots = "auditor/demo"  #')


def test_add_appends_a_subject_keeping_the_comments_and_says_discovery_was_skipped_offline(
        tmp_path):
    run(tmp_path, "init")
    before = (tmp_path / "config.toml").read_text(encoding="utf-8")
    result = run(tmp_path, "add", "bluerock", "--nct", "NCT04802733", "--jrct",
                 "jRCT2090220384", "--no-discover")
    assert result.exit_code == 0, result.output
    assert "discovery skipped" in result.output
    after = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # every comment and line kept, in place
    config = load_config(tmp_path / "config.toml")
    added = [(s.name, s.kind, s.identifier) for s in config.sources if s.subject == "bluerock"]
    assert added == [("ctgov-NCT04802733", "ctgov", "NCT04802733"),
                     ("jrct-jRCT2090220384", "jrct", "jRCT2090220384"),
                     ("jrct-en_jRCT2090220384", "jrct", "en:jRCT2090220384")]
    assert run(tmp_path, "add", "bluerock", "--nct", "NCT04802733").exit_code == 2


@pytest.fixture
def services(fault_server, tmp_path):
    """An initialised folder whose [fetch] bases point at a local server playing Crossref,
    Europe PMC, PubMed and jRCT with the demo's documents."""
    s, a = fault_server, "amchepry/"
    s.add_fixture("/works/10.1038/s41586-025-08700-0",
                  a + "crossref-10.1038_s41586-025-08700-0.json")
    s.add_fixture("/europepmc/search", a + "europepmc-40240591.json")
    s.add_fixture("/eutils/efetch.fcgi?db=pubmed&id=40240591", a + "pubmed-40240591.xml",
                  content_type="text/xml")
    s.add_fixture("/latest-detail/jRCT2090220384", a + "jrct-jRCT2090220384-ja.html",
                  content_type="text/html; charset=utf-8")
    s.add_fixture("/en-latest-detail/jRCT2090220384", a + "jrct-jRCT2090220384-en.html",
                  content_type="text/html; charset=utf-8")
    auditor.init(tmp_path)
    config = tmp_path / "config.toml"
    base = s.url("")
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[fetch]\n", f"[fetch]\nretries = 0\nbases = {{ crossref = \"{base}\", europepmc = "
        f"\"{base}/europepmc\", eutils = \"{base}/eutils\", jrct = \"{base}\" }}\n"),
        encoding="utf-8")
    return s, config


DISCOVERED = {"crossref-10.1038_s41586-025-08700-0", "europepmc-10.1038_s41586-025-08700-0",
              "pubmed-40240591", "jrct-jRCT2090220384", "jrct-en_jRCT2090220384"}


def test_add_discovers_the_registration_a_paper_links_to(services):
    _, config = services
    done = auditor.add_subject(config, "again", identifiers=["10.1038/s41586-025-08700-0"])
    assert done.skipped is None
    assert {s["name"] for s in done.sources} >= DISCOVERED
    audited = run(config.parent, "audit", "--subject", "again", "--quiet")
    assert audited.exit_code in (0, 1), audited.output  # its snapshots are where audit reads


def test_compare_save_from_a_doi_keeps_what_discovery_fetched(services):
    _, config = services
    result = run(config.parent, "compare", "10.1038/s41586-025-08700-0", "--save", "paper")
    assert result.exit_code in (0, 1), result.output
    loaded = load_config(config)
    assert {s.name for s in loaded.sources if s.subject == "paper"} >= DISCOVERED
    assert (loaded.snapshot_dir / "paper" / "pubmed-40240591.xml").is_file()
    assert not (loaded.snapshot_dir / "compare").exists()


def test_verbose_shows_the_library_log_of_each_request(services):
    _, config = services
    shown = run(config.parent, "-v", "compare", "10.1038/s41586-025-08700-0")
    plain = run(config.parent, "compare", "10.1038/s41586-025-08700-0")
    assert shown.exit_code in (0, 1), shown.output
    assert "INFO auditor.acquire.http: crossref-10.1038_s41586-025-08700-0: GET" in shown.stderr
    assert "INFO" not in plain.stderr


def test_compare_save_keeps_a_comparison_of_files_as_a_subject(tmp_path):
    run(tmp_path, "init")
    paper = DEMO / "amchepry/crossref-10.1038_s41586-025-08700-0.json"
    record = DEMO / "amchepry/pubmed-40240591.xml"
    result = run(tmp_path, "compare", str(paper), f"pubmed:{record}", "--save", "kept")
    assert result.exit_code in (0, 1), result.output
    assert "saved as subject 'kept' with 2 sources" in result.output
    config = load_config(tmp_path / "config.toml")
    assert [(s.name, s.kind) for s in config.sources if s.subject == "kept"] == [
        (paper.stem, "crossref"), (record.stem, "pubmed")]
    assert (tmp_path / "snapshots/kept" / record.name).read_bytes() == record.read_bytes()
    audited = run(tmp_path, "audit", "--subject", "kept", "--quiet")
    assert audited.exit_code in (0, 1), audited.output
    assert run(tmp_path, "compare", str(paper), str(record), "--save", "kept").exit_code == 2


def test_the_config_is_found_up_the_folder_tree_or_through_auditor_config(tmp_path,
                                                                          monkeypatch):
    monkeypatch.delenv("AUDITOR_CONFIG", raising=False)
    auditor.init(tmp_path)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "config.toml"
    assert run(deep, "audit", "--quiet").exit_code in (0, 1)
    assert (tmp_path / "audit.db").exists()  # the config's folder, not the working one
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    lost = run(elsewhere, "findings")
    assert lost.exit_code == 2 and "auditor init" in lost.output
    named = run(elsewhere, "findings", "--json", env={"AUDITOR_CONFIG":
                                                      str(tmp_path / "config.toml")})
    assert named.exit_code == 0, named.output


def _build_wheel(out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    return next(out.glob("auditor-*.whl"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_ships_the_demo_dossier_and_the_starter_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (DEMO / "amchepry").iterdir():
        assert f"auditor/demo/amchepry/{path.name}" in names
    assert "auditor/demo/config.toml" in names
    assert not any(n.startswith(("fixtures/", "tests/")) for n in names)


def test_the_installed_wheel_alone_runs_init_and_audit_in_an_empty_folder(wheel, tmp_path):
    """The wheel unpacked on a path of its own (the dependencies come from this environment):
    the demo and the starter must come from inside the package, not from this checkout."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    empty = tmp_path / "desk"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    env.pop("AUDITOR_CONFIG", None)
    code = ("import sys, auditor.cli; assert auditor.cli.__file__.startswith(sys.argv[1]), "
            "auditor.cli.__file__; sys.argv[1:] = sys.argv[2:]; auditor.cli.cli()")
    init = subprocess.run([sys.executable, "-c", code, str(site), "init"], cwd=empty, env=env,
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    audited = subprocess.run([sys.executable, "-c", code, str(site), "audit", "--quiet"],
                             cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert audited.returncode in (0, 1), audited.stderr
    with sqlite3.connect(empty / "audit.db") as db:
        sources = {row[0] for row in db.execute("select distinct source from claims")}
    assert sources == {s.name for s in load_config(empty / "config.toml").sources}


def test_a_url_names_its_record_when_it_is_a_registry_or_pubmed_page_else_a_web_page(tmp_path):
    auditor.init(tmp_path / "desk")
    done = auditor.add_subject(
        tmp_path / "desk/config.toml", "pages", discover=False,
        urls=["https://clinicaltrials.gov/study/NCT04802733",
              "https://www.sumitomo-pharma.com/news/20260519.html"])
    assert done.sources == [
        {"name": "ctgov-NCT04802733", "kind": "ctgov", "identifier": "NCT04802733"},
        {"name": "page-sumitomo-pharma.com", "kind": "page",
         "url": "https://www.sumitomo-pharma.com/news/20260519.html"}]
    with pytest.raises(auditor.AuditorError, match="not a DOI"):
        auditor.add_subject(tmp_path / "desk/config.toml", "bad", identifiers=["notes.txt"])
