"""Bad input gets a one-line error naming the file, exit code 2, and an untouched database."""

from __future__ import annotations

import pytest


@pytest.fixture
def audited(dossier):
    """A dossier with one good audit already in its database."""
    assert dossier.audit().exit_code in (0, 1)
    return dossier


def _fails_cleanly(dossier, *names: str) -> str:
    before = dossier.db_digest()
    result = dossier.audit()
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    for name in names:
        assert name in message, message
    assert dossier.db_digest() == before
    return message


@pytest.mark.parametrize("old,new,expected", [
    ('fail_on = "medium"', 'fail_on = "urgent"', ["config.toml, line 9", "fail_on"]),
    ('kind = "pubmed"', 'kind = "pubmeds"', ["line 49", "pubmeds"]),
    ('name = "pubmed"', 'name = "pubmed"\ncolour = "blue"', ["line 49", "unknown key", "colour"]),
    ('stale_after_days = 365', 'stale_after_days = "soon"', ["line 10", "stale_after_days"]),
    ('[[subjects]]', '[[subjects]\n', ["config.toml", "line"]),
])
def test_bad_config_line(audited, old, new, expected):
    text = audited.config.read_text()
    assert old in text
    audited.config.write_text(text.replace(old, new, 1))
    _fails_cleanly(audited, *expected)


def test_missing_snapshot(audited):
    audited.snapshot("pubmed-40240591.xml").unlink()
    message = _fails_cleanly(audited, "pubmed-40240591.xml", "pubmed")
    assert "auditor fetch" in message


@pytest.mark.parametrize("file,garbage,says", [
    ("crossref-10.1038_s41586-025-08700-0.json", b'{"status": "ok", "message": {',
     "malformed JSON"),
    ("pubmed-40240591.xml", b"<PubmedArticleSet><PubmedArticle>", "malformed XML"),
    ("jrct-jRCT2090220384-en.html", b"\x00\x01 not a page at all", "not an HTML page"),
    ("pubmed-40240591.xml",
     b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
     "XML refused"),
])
def test_malformed_snapshot(audited, file, garbage, says):
    audited.snapshot(file).write_bytes(garbage)
    _fails_cleanly(audited, file, says)


def test_snapshot_path_escaping_the_folder_is_refused(audited):
    text = audited.config.read_text()
    audited.config.write_text(text.replace('"amchepry/pubmed-40240591.xml"',
                                           '"../../etc/passwd"'))
    _fails_cleanly(audited, "escapes the snapshot folder")


def test_a_source_name_used_twice(audited):
    text = audited.config.read_text()
    audited.config.write_text(text.replace('name = "pubmed"', 'name = "crossref"'))
    _fails_cleanly(audited, "source name 'crossref' is used twice")
