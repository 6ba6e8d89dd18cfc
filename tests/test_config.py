"""config.toml: subjects and their sources, rule settings, and secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_the_bundled_config_names_every_amchepry_source():
    config = load_config(ROOT / "config.toml")
    assert [s.id for s in config.subjects] == ["amchepry"]
    assert {s.kind for s in config.sources} == {"jrct", "crossref", "pubmed", "mhlw",
                                                "mhlw_excel", "pmda", "page", "umin",
                                                "ctgov"}
    assert all(s.subject == "amchepry" for s in config.sources)
    assert config.snapshot_dir == ROOT / "auditor" / "demo"
    assert config.database_path == ROOT / "audit.db"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


MINIMAL = """
[[subjects]]
id = "x"
name = "X"

[[subjects.sources]]
name = "paper"
kind = "crossref"
identifier = "10.5555/x"
"""


def test_defaults_and_paths_relative_to_the_config(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.auditor.fail_on == "medium"
    assert config.database_path == tmp_path / "audit.db"
    assert config.fetch.rate_limits["eutils.ncbi.nlm.nih.gov"] == 3.0


def test_rule_settings(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + """
[rules.outcome_switching]
threshold = 70

[rules.overclaim]
enabled = false
"""))
    assert config.rule("outcome_switching").threshold == 70
    assert config.rule("overclaim").enabled is False
    assert config.rule("phase_mismatch").enabled is True


def test_an_unknown_rule_is_named(tmp_path):
    with pytest.raises(ConfigError, match="unknown rule 'outcome_swiching'"):
        load_config(write(tmp_path, MINIMAL + "\n[rules.outcome_swiching]\nthreshold = 70\n"))


def test_secrets_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", "k-123")
    monkeypatch.setenv("AUDITOR_CONTACT_EMAIL", "desk@example.org")
    config = load_config(write(tmp_path, MINIMAL))
    assert (config.fetch.ncbi_api_key, config.fetch.contact_email) == ("k-123",
                                                                       "desk@example.org")


def test_a_source_with_nothing_to_read_is_refused(tmp_path):
    text = MINIMAL.replace('identifier = "10.5555/x"\n', "")
    with pytest.raises(ConfigError, match="give a snapshot, url or identifier"):
        load_config(write(tmp_path, text))


def test_a_missing_config_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="pass --config or create config.toml"):
        load_config(tmp_path / "nope.toml")
