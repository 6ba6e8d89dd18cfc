"""Configs that used to load without a word are refused at load time, each with one line
naming the file, the line and the key, and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import FOLLOW_TYPES, load_config
from auditor.errors import ConfigError

SUBJECT = '[[subjects]]\nid = "x"\nname = "X"\n'
SOURCE = '\n[[subjects.sources]]\nname = "{name}"\nkind = "{kind}"\n{extra}\n'


def source(extra: str = 'snapshot = "x.json"', *, name: str = "s", kind: str = "ctgov") -> str:
    return SOURCE.format(name=name, kind=kind, extra=extra)


GOOD = SUBJECT + source()

# (case, config text, the line the error must name, text the error must contain)
CASES = [
    ("duplicate subject id", SUBJECT + source() + "\n" + SUBJECT + source(name="t"), 11,
     "subjects[1].id: subject id 'x' is used twice"),
    ("duplicate source name", SUBJECT + source() + source(), 11,
     "source name 's' is used twice"),
    ("file url", SUBJECT + source('url = "file:///etc/passwd"'), 8,
     "url: 'file:///etc/passwd' is not an http(s) address"),
    ("javascript url", SUBJECT + source('url = "javascript:alert(1)"'), 8,
     "is not an http(s) address (scheme 'javascript')"),
    ("link-local url", SUBJECT + source('url = "http://169.254.169.254/latest/meta-data"'), 8,
     "169.254.169.254 is a private or link-local address"),
    ("private url", SUBJECT + source('url = "http://10.0.0.5/admin"'), 8,
     "10.0.0.5 is a private or link-local address"),
    ("ipv6 link-local url", SUBJECT + source('url = "http://[fe80::1]/x"'), 8,
     "fe80::1 is a private or link-local address"),
    ("private base", '[fetch]\nbases = { ctgov = "http://192.168.1.1/api" }\n' + GOOD, 2,
     "fetch.bases.ctgov: 192.168.1.1 is a private or link-local address"),
    ("ftp base", '[fetch]\nbases = { ctgov = "ftp://example.org/api" }\n' + GOOD, 2,
     "fetch.bases.ctgov: 'ftp://example.org/api' is not an http(s) address"),
    ("negative timeout", "[fetch]\ntimeout = -1\n" + GOOD, 2,
     "fetch.timeout: input should be greater than 0"),
    ("nan total timeout", "[fetch]\ntotal_timeout = nan\n" + GOOD, 2,
     "fetch.total_timeout: input should be a finite number"),
    ("zero connect timeout", "[fetch]\nconnect_timeout = 0\n" + GOOD, 2,
     "fetch.connect_timeout: input should be greater than 0"),
    ("negative body cap", "[fetch]\nmax_body_bytes = -5\n" + GOOD, 2,
     "fetch.max_body_bytes: input should be greater than 0"),
    ("negative retries", "[fetch]\nretries = -1\n" + GOOD, 2,
     "fetch.retries: input should be greater than or equal to 0"),
    ("infinite retry wait", "[fetch]\nmax_retry_wait = inf\n" + GOOD, 2,
     "fetch.max_retry_wait: input should be a finite number"),
    ("zero concurrency", "[fetch]\nconcurrency = 0\n" + GOOD, 2,
     "fetch.concurrency: input should be greater than or equal to 1"),
    ("nan rate limit", "[fetch]\nrate_limits = { default = nan }\n" + GOOD, 2,
     "fetch.rate_limits.default: must be a number of requests per second > 0"),
    ("nan threshold", GOOD + "\n[rules.outcome_switching]\nthreshold = nan\n", 11,
     "rules.outcome_switching.threshold: input should be a finite number"),
    ("negative threshold", GOOD + "\n[rules.outcome_switching]\nthreshold = -3\n", 11,
     "input should be greater than or equal to 0"),
    ("negative stale days", "[auditor]\nstale_after_days = -1\n" + GOOD, 2,
     "auditor.stale_after_days"),
    ("unknown role", SUBJECT + source('snapshot = "x.json"\nrole = "blogger"'), 9,
     "role: unknown role 'blogger'; use one of registry, publication, regulator, company"),
    ("unknown follow type", SUBJECT + source('snapshot = "x.html"\nfollow = "xlsx,docx"',
                                             kind="mhlw"), 9,
     "follow: unknown type docx in 'xlsx,docx'; use xlsx, pdf"),
    ("subjects not tables", "subjects = [1]\n", 1,
     "subjects[0]: must be a table (got 1)"),
    ("sources not tables", '[[subjects]]\nid = "x"\nname = "X"\nsources = "x"\n', 4,
     "subjects[0].sources: must be an array of tables"),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case, text, line, message", CASES, ids=[c[0] for c in CASES])
def test_a_bad_config_is_refused_with_file_line_and_key(tmp_path, case, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value).startswith(f"{path}, line {line}: "), str(e.value)
    assert message in str(e.value)


@pytest.mark.parametrize("case, text, line, message", CASES, ids=[c[0] for c in CASES])
def test_the_cli_refuses_it_in_one_line_with_exit_2(tmp_path, case, text, line, message):
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, ["audit", "--config", str(path),
                                      "--db", str(tmp_path / "audit.db")])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "audit.db").exists()


@pytest.mark.parametrize("command", ["audit", "fetch"])
@pytest.mark.parametrize("text", ["", "[auditor]\nfail_on = \"high\"\n"])
def test_a_config_without_subjects_is_an_error(tmp_path, command, text):
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, [command, "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {path}: no subjects: run auditor init or add a "
                             "[[subjects]] table\n")


@pytest.mark.parametrize("text", [
    '[fetch]\nallow_hosts = ["10.0.0.5"]\n' + SUBJECT + source('url = "http://10.0.0.5/x"'),
    SUBJECT + source('url = "http://127.0.0.1:8000/x"'),  # this machine: a mirror, a test
    SUBJECT + source('url = "https://www.mhlw.go.jp/x.html"\nfollow = "pdf, XLSX"',
                     kind="mhlw"),
    SUBJECT + source('snapshot = "x.json"\nrole = "company"'),
    "[fetch]\nretries = 0\nbackoff = 0\nmax_retry_wait = 0\n" + GOOD,
])
def test_what_is_allowed_still_loads(tmp_path, text):
    assert load_config(write(tmp_path, text)).sources


def test_follow_types_are_those_attachments_fetches():
    from auditor.acquire.attachments import KIND_BY_EXTENSION
    assert FOLLOW_TYPES == tuple(KIND_BY_EXTENSION)
