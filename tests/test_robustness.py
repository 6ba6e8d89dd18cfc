"""The fault and bad-input matrix: kill -9 mid-audit, a reader during an audit, random input to
every normalizer and parser, and secrets that must never reach the database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import sources
from auditor.errors import AuditorError
from auditor.read import outcomes, prose, values
from auditor.read.documents import Document

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402


@pytest.fixture(scope="module")
def big_dossier(tmp_path_factory) -> Path:
    """A generated corpus large enough that an audit takes a few seconds."""
    folder = tmp_path_factory.mktemp("corpus")
    corpus.generate(folder, 400)
    return folder


def _audit(folder: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "auditor.cli", "audit", "-q", "--config",
                             str(folder / "config.toml"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _state(db: Path) -> tuple:
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        return (conn.execute("select count(*) from runs").fetchone()[0],
                sorted(r[0] for r in conn.execute("select id || status from findings")),
                conn.execute("select count(*) from claims").fetchone()[0])


def test_kill_minus_nine_mid_audit_loses_nothing(big_dossier):
    assert _audit(big_dossier).wait(120) in (0, 1)
    db = big_dossier / "audit.db"
    before = _state(db)
    for path in list((big_dossier / "snapshots").glob("bx-*/ctgov.json")):  # lots to write
        path.write_text(path.read_text().replace('"count": ', '"count": 1'))
    wal = Path(str(db) + "-wal")
    mark = wal.stat().st_mtime_ns if wal.exists() else 0
    proc = _audit(big_dossier)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_mtime_ns != mark:
            break  # it has started writing its transaction
        time.sleep(0.005)
    assert proc.poll() is None, "the audit finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _state(db) == before
    assert _audit(big_dossier).wait(120) == 1
    runs, findings, _ = _state(db)
    assert runs == before[0] + 1
    assert len(findings) == len(set(findings))
    assert findings != before[1]


def test_a_reader_is_never_locked_out_during_an_audit(big_dossier):
    db = big_dossier / "audit.db"
    if not db.exists():
        assert _audit(big_dossier).wait(120) in (0, 1)
    for path in list((big_dossier / "snapshots").glob("bx-0001*/crossref.json")):
        path.write_text(path.read_text().replace("open-label", "open label"))
    proc = _audit(big_dossier)
    reads = 0
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
    while proc.poll() is None:
        reader.execute("select count(*) from findings where status = 'open'").fetchone()
        reads += 1
    reader.close()
    assert proc.returncode in (0, 1), proc.stderr.read()
    assert reads > 10


VALUE_PARSERS = [values.parse_number, values.parse_int, values.parse_duration_months,
                 values.parse_date, values.parse_money, values.normalize_status,
                 values.parse_phase, values.design_tags, values.find_ids, values.normalize_id,
                 outcomes.outcome_key, outcomes.time_points, values.kanji_to_int]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.sampled_from(
    ["７例", "二十四か月", "令和99年13月40日", "55,306,737円", "Phase IV/0", "NCT1234",
     "１２バイアル", "10.1038/", "R0.0.0", "", "年月日", "999999999999999999999 months"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_value_parsers_never_crash(text):
    for parse in VALUE_PARSERS:
        parse(text)
    for reading in prose.read_prose(text, "random", claim_language=True):
        assert reading.quote and reading.locator


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(list(sources.KINDS)),
       body=st.binary(max_size=300) | TEXT.map(lambda t: f"<html><body><table><tr><th>{t}</th>"
                                                          f"<td>{t}</td></tr></table><p>{t}</p>"
                                                          "</body></html>".encode()))
def test_every_parser_gives_readings_or_a_clear_error(kind, body):
    doc = Document(body, None, "http://127.0.0.1/random", f"random-{kind}")
    try:
        readings = sources.parse(kind, doc)
    except AuditorError as e:
        assert f"random-{kind}" in str(e)
    else:
        assert all(r.field for r in readings)


def test_secrets_never_reach_the_database(dossier, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", "sekrit-api-key-123")
    monkeypatch.setenv("AUDITOR_CONTACT_EMAIL", "watchdog@example.org")
    assert dossier.audit().exit_code in (0, 1)
    blob = dossier.db.read_bytes()
    for extra in dossier.root.glob("audit.db-*"):
        blob += extra.read_bytes()
    assert b"sekrit-api-key-123" not in blob and b"watchdog@example.org" not in blob


def test_datasette_keeps_answering_during_an_audit(big_dossier):
    """The real `auditor serve` (Datasette) reads the database while an audit writes it."""
    import httpx
    from test_datasette import AUDITOR, free_port, wait_until_up

    db = big_dossier / "audit.db"
    if not db.exists():
        assert _audit(big_dossier).wait(120) in (0, 1)
    for path in list((big_dossier / "snapshots").glob("bx-0002*/pubmed.xml")):
        path.write_text(path.read_text().replace("open-label", "open label"))
    port = free_port()
    serve = subprocess.Popen([AUDITOR, "serve", "--db", str(db), "--port", str(port)],
                             start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(serve, base)
        proc = _audit(big_dossier)
        answers = []
        while proc.poll() is None:
            r = httpx.get(f"{base}/audit/findings.json", params={"_shape": "array",
                                                                "_size": "5"}, timeout=30)
            answers.append((r.status_code, "locked" in r.text))
        assert proc.returncode in (0, 1), proc.stderr.read()
        assert answers and all(a == (200, False) for a in answers), answers[:5]
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=20)


def test_bytes_that_decode_in_no_charset_are_refused_not_parsed_with_replacements():
    from auditor.errors import ParseError
    from auditor.read.documents import decode

    body = "薬価 55306737".encode("shift_jis") + b"\xff\xfe\xfd\x80\x81" * 3
    try:
        text = decode(body, "text/html; charset=utf-8", source="mhlw-price")
    except ParseError as e:
        assert "mhlw-price" in str(e) and "re-fetch" in str(e)
    else:
        assert "\ufffd" not in text, "decoded with replacement characters"
