"""A crash is never a traceback and never exit 1: one line naming the command and the log
holding the full trace, exit 3 ("internal error"), distinct from 1 (findings) and 2 (input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import api
from auditor.cli import INTERNAL_ERROR, cli

FIXTURES = Path(__file__).resolve().parent.parent / "auditor" / "demo" / "amchepry"
JRCT = str(FIXTURES / "jrct-jRCT2090220384-en.html")


@pytest.fixture
def crashing_compare(monkeypatch):
    """api.compare made to fail as a bug would: a TypeError deep inside."""
    def boom(*args, **kwargs):
        raise TypeError("'NoneType' object is not subscriptable")
    monkeypatch.setattr(api, "compare", boom)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


def test_a_crash_is_one_line_exit_3_and_the_trace_is_logged(tmp_path, cache,
                                                             crashing_compare):
    result = CliRunner().invoke(cli, ["compare", JRCT, "--config", str(tmp_path / "none")])
    assert result.exit_code == INTERNAL_ERROR == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("internal error in `auditor compare`: TypeError: 'NoneType' object")
    assert "Traceback" not in result.output
    logs = list((cache / "auditor").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    trace = logs[0].read_text("utf-8")
    assert "Traceback (most recent call last)" in trace and "in boom" in trace
    assert "TypeError: 'NoneType' object is not subscriptable" in trace


def test_with_json_the_crash_is_also_an_error_object_on_stdout(tmp_path, cache,
                                                               crashing_compare):
    result = CliRunner().invoke(cli, ["compare", JRCT, "--json",
                                      "--config", str(tmp_path / "none")])
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "InternalError" and error["message"].startswith("TypeError")
    assert Path(error["traceback"]).is_file()


def test_an_unwritable_cache_falls_back_to_the_temp_folder(tmp_path, monkeypatch,
                                                           crashing_compare):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = CliRunner().invoke(cli, ["compare", JRCT, "--config", str(tmp_path / "none")])
    assert result.exit_code == 3
    assert str(tmp_path / "tmp" / "auditor" / "crash-") in result.stderr


def test_input_errors_stay_exit_2_and_findings_exit_1_or_0(tmp_path, cache):
    missing = CliRunner().invoke(cli, ["audit", "--config", str(tmp_path / "absent.toml")])
    assert missing.exit_code == 2 and missing.stderr.startswith("error: ")
    ok = CliRunner().invoke(cli, ["compare", JRCT, "--config", str(tmp_path / "none")])
    assert ok.exit_code in (0, 1), ok.output
    assert not (cache / "auditor").exists()  # nothing crashed, nothing logged


def test_click_usage_errors_are_not_internal_errors(cache):
    result = CliRunner().invoke(cli, ["compare"])
    assert result.exit_code == 2 and "Missing argument" in result.output
    assert not (cache / "auditor").exists()
