"""The run lock, with real processes: one holds the lock, another `auditor audit` meets it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlite_utils

from auditor.lock import LockBusy, audit_lock, lock_path

ROOT = Path(__file__).resolve().parents[1]
AUDITOR = str(Path(sys.executable).parent / "auditor")
HOLD = """
import sys, time
from auditor.lock import audit_lock
with audit_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@contextmanager
def holder(db: Path, seconds: float) -> Iterator[subprocess.Popen]:
    """Another process holding the lock on `db` for `seconds` (ended when the test is done)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)


def audit(db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([AUDITOR, "audit", "--config", str(ROOT / "config.toml"), "--db",
                             str(db), "-q", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_lock_file_sits_next_to_the_database(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "audit.db") == tmp_path / "audit.db.lock"


def test_holder_pid_is_in_the_lock_file_while_held(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with audit_lock(db) as path:
        assert path.read_text().split() == [str(os.getpid()), "audit"]
    assert path.read_text() == ""


def test_second_audit_exits_2_at_once_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with holder(db, 60) as proc:
        started = time.monotonic()
        second = audit(db)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert time.monotonic() - started < 20
        assert f"another audit is running (pid {proc.pid}) on {db}" in err
        assert "--wait" in err
    assert not db.exists() or "runs" not in sqlite_utils.Database(db).table_names()


def test_second_audit_waits_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with holder(db, 2) as proc:
        started = time.monotonic()
        second = audit(db, "--wait", "60")
        out, err = second.communicate(timeout=90)
        assert proc.wait(timeout=10) == 0
    assert second.returncode in (0, 1), err
    assert time.monotonic() - started >= 1.5
    assert sqlite_utils.Database(db)["runs"].count == 1


def test_wait_gives_up_after_its_time(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with holder(db, 60):
        started = time.monotonic()
        with pytest.raises(LockBusy, match="another audit is running"):
            with audit_lock(db, wait=0.5):
                pass
        assert 0.5 <= time.monotonic() - started < 5


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with holder(db, 60) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        with audit_lock(db, wait=0):
            assert lock_path(db).exists()


def test_two_audits_started_together_both_run_one_after_the_other(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    runs = [audit(db, "--wait", "120") for _ in range(2)]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in runs]
    assert [code for code, _ in results] in ([0, 0], [1, 1]), results
    stored = list(sqlite_utils.Database(db).query(
        "select started_at, finished_at from runs order by started_at, rowid"))
    assert len(stored) == 2
    assert stored[0]["finished_at"] <= stored[1]["started_at"]
