"""State that heals: what a changed config, a full disk or a killed process leaves behind is
never stale claims, a half-written database or orphan processes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402


def _claims(db: Path, source: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(
            "select claims.field, claims.value, claims.locator from claims join sources on "
            "claims.source = sources.name and claims.snapshot_sha256 = sources.snapshot_sha256 "
            "where claims.source = ?", [source]).fetchall())


def _select(dossier, selector: str) -> None:
    """Give the press release source one selector (replacing any given before)."""
    anchor = 'snapshot = "amchepry/sumitomo-press-release-approval.html"\n'
    lines = [line for line in dossier.config.read_text().splitlines(keepends=True)
             if not line.startswith("selectors = { approval")]
    text = "".join(lines)
    assert anchor in text
    dossier.config.write_text(text.replace(
        anchor, anchor + f'selectors = {{ approval = "{selector}" }}\n'))


def test_a_selector_changed_in_config_takes_effect_on_an_existing_database(dossier, tmp_path):
    _select(dossier, "title")
    assert dossier.audit().exit_code in (0, 1)
    before = _claims(dossier.db, "sumitomo-press")
    assert before and all("css 'title'" in c[2] for c in before)
    _select(dossier, "h1")
    assert dossier.audit().exit_code in (0, 1)
    after = _claims(dossier.db, "sumitomo-press")
    assert after != before and all("css 'h1'" in c[2] for c in after)
    dossier.db.rename(tmp_path / "old.db")  # a fresh database reads the same
    assert dossier.audit().exit_code in (0, 1)
    assert _claims(dossier.db, "sumitomo-press") == after


def test_a_kind_changed_in_config_takes_effect_on_an_existing_database(dossier):
    assert dossier.audit().exit_code in (0, 1)
    as_page = _claims(dossier.db, "mhlw-notice")
    text = dossier.config.read_text()
    old = 'name = "mhlw-notice"\nkind = "mhlw"'
    assert old in text
    dossier.config.write_text(text.replace(old, 'name = "mhlw-notice"\nkind = "page"'))
    assert dossier.audit().exit_code in (0, 1)
    with sqlite3.connect(dossier.db) as conn:
        kinds = {r[0] for r in conn.execute(
            "select source_kind from claims where source = 'mhlw-notice'")}
    assert _claims(dossier.db, "mhlw-notice") != as_page
    assert "page" in kinds


def test_an_audit_into_a_database_folder_that_does_not_exist_is_refused(dossier):
    text = dossier.config.read_text()
    dossier.config.write_text(text.replace('database = "audit.db"',
                                           'database = "nosuch/dir/audit.db"'))
    result = dossier.audit()
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "nosuch/dir" in line and "does not exist" in line
    assert "mkdir -p" in line and "audit.db:" in line and ".lock" not in line
    assert not (dossier.root / "nosuch").exists()


def _ours(tag: str) -> list[int]:
    """Processes carrying this test's environment tag: the audit and all it started."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"AUDITOR_TEST_TAG={tag}".encode() in environ:
            found.append(int(pid))
    return found


@pytest.fixture(scope="module")
def corpus_400(tmp_path_factory) -> Path:
    """400 generated subjects: enough that the audit parses in worker processes."""
    folder = tmp_path_factory.mktemp("corpus")
    corpus.generate(folder, 400)
    return folder


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_eleven_kill_9s_of_an_audit_at_random_moments_leave_no_process_behind(corpus_400):
    tag = uuid.uuid4().hex
    env = {**os.environ, "AUDITOR_TEST_TAG": tag}
    rng = random.Random(13)
    with_workers = 0
    for _ in range(11):
        proc = subprocess.Popen([sys.executable, "-m", "auditor.cli", "audit", "-q",
                                 "--config", str(corpus_400 / "config.toml")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and len(_ours(tag)) < 3:
            time.sleep(0.01)  # the forkserver and the workers are up
        with_workers += len(_ours(tag)) >= 3
        time.sleep(rng.uniform(0, 1.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert with_workers >= 6, "too few kills came while the workers were running"
    deadline = time.monotonic() + 30  # a generous "did not hang" guard: they exit at once
    while _ours(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ours(tag) == []


def _logical(db: Path) -> tuple:
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        return tuple(sorted(conn.execute(f"select * from {table}").fetchall(), key=repr)
                     for table in ("runs", "findings", "claims", "sources", "source_runs"))


def test_a_full_disk_is_one_line_and_leaves_the_database_as_it_was(dossier):
    from auditor import api, store
    from auditor.config import load_config
    from auditor.errors import AuditorError

    assert dossier.audit().exit_code in (0, 1)
    before = _logical(dossier.db)
    dossier.edit("crossref-10.1038_s41586-025-08700-0.json", "Parkinson", "Parkinson's")
    db = store.open_db(dossier.db)
    pages = db.execute("pragma page_count").fetchone()[0]
    db.execute(f"pragma max_page_count = {pages}")  # a real SQLITE_FULL on the next page
    with pytest.raises(AuditorError) as full:
        api.audit(load_config(dossier.config), db)
    message = str(full.value)
    assert "\n" not in message and "the disk is full" in message
    assert "database or disk is full" in message and "rolled back" in message
    db.conn.close()
    assert _logical(dossier.db) == before
    assert dossier.audit().exit_code in (0, 1)  # with room again, the audit goes through
    assert _logical(dossier.db) != before
