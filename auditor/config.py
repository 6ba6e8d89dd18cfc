"""config.toml → models. Errors name the file, the key and the line, and say what to do."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.errors import ConfigError
from auditor.models import SEVERITY_ORDER, SourceRef, Subject


class FetchSettings(BaseModel):
    """How to be polite to public APIs. Secrets may come from the environment instead."""

    model_config = ConfigDict(extra="forbid")
    contact_email: str = ""
    ncbi_api_key: str = ""
    user_agent: str = "auditor/0.1 (source-consistency auditor; mailto:{contact_email})"
    timeout: float = 30.0
    connect_timeout: float = 10.0
    total_timeout: float = 120.0
    max_body_bytes: int = 20 * 1024 * 1024
    retries: int = 4
    backoff: float = 1.0
    max_retry_wait: float = 120.0
    concurrency: int = 4
    #: Base URLs of the services (ctgov, jrct, crossref, eutils, europepmc), for a mirror.
    bases: dict[str, str] = Field(default_factory=dict)
    rate_limits: dict[str, float] = Field(default_factory=lambda: {
        "eutils.ncbi.nlm.nih.gov": 3.0, "api.crossref.org": 10.0,
        "clinicaltrials.gov": 5.0, "www.ebi.ac.uk": 5.0, "default": 2.0})


class RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    threshold: float | None = None
    severity: str | None = None


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    database: str = "audit.db"
    snapshots: str = "fixtures"
    fail_on: str = "medium"
    stale_after_days: int = 365


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Path | None = None
    auditor: Settings = Field(default_factory=Settings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    subjects: list[Subject] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)

    @property
    def base(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.base / p

    @property
    def database_path(self) -> Path:
        return self.resolve(self.auditor.database)

    @property
    def snapshot_dir(self) -> Path:
        return self.resolve(self.auditor.snapshots)

    def subject(self, subject_id: str) -> Subject:
        for s in self.subjects:
            if s.id == subject_id:
                return s
        raise ConfigError(f"no subject {subject_id!r} in config; known: "
                          f"{', '.join(s.id for s in self.subjects) or 'none'}")

    def rule(self, name: str) -> RuleSettings:
        return self.rules.get(name, RuleSettings())


def _line_of(text: str, key: str, table: str | None = None, index: int = 0) -> int | None:
    """1-based line of `key = ...` inside the index-th `[table]`/`[[table]]` (best effort)."""
    lines = text.splitlines()
    start, seen = 0, -1
    if table:
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(table) + r"\s*\]\]?\s*$")
        for i, line in enumerate(lines):
            if header.match(line):
                seen += 1
                if seen == index:
                    start = i
                    break
    pattern = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=")
    for i in range(start, len(lines)):
        if pattern.match(lines[i]):
            return i + 1
    return start + 1 if table and seen >= index else None


def load_config(path: str | Path) -> Config:
    """Read and validate config.toml; secrets may come from AUDITOR_CONTACT_EMAIL/NCBI_API_KEY."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; pass --config or create config.toml") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e}); save it as UTF-8") from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}; fix the TOML syntax on that line") from e
    return config_from_dict(data, path=path, text=text)


def config_from_dict(data: dict[str, Any], *, path: Path | None = None, text: str = "") -> Config:
    data = dict(data)
    subjects_raw = data.pop("subjects", [])
    sources: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    where = str(path or "config")
    if not isinstance(subjects_raw, list):
        raise ConfigError(f"{where}: 'subjects' must be an array of tables ([[subjects]])")
    for i, raw in enumerate(subjects_raw):
        raw = dict(raw)
        for j, src in enumerate(raw.pop("sources", [])):
            sources.append({"subject": raw.get("id"), **src, "_pos": (i, j)})
        subjects.append(raw)
    try:
        cleaned = [{k: v for k, v in s.items() if k != "_pos"} for s in sources]
        config = Config.model_validate({**data, "path": path, "subjects": subjects,
                                         "sources": cleaned})
    except ValidationError as e:
        err = e.errors()[0]
        loc = [str(p) for p in err["loc"]]
        key = loc[-1] if loc and not loc[-1].isdigit() else (loc[-2] if len(loc) > 1 else "?")
        table, index = _table_for(loc, sources)
        line = _line_of(text, key, table, index) if text else None
        at = f"{where}, line {line}" if line else where
        if err["type"] == "extra_forbidden":
            what = "unknown key"
        else:
            what = f"{err['msg'].lower()} (got {err.get('input')!r})"
        raise ConfigError(f"{at}: {'.'.join(loc)}: {what}"
                          "; see the config reference in README.md") from e
    _check(config, where, text)
    _apply_environment(config)
    return config


def _table_for(loc: list[str], sources: list[dict[str, Any]]) -> tuple[str | None, int]:
    if loc and loc[0] == "sources" and len(loc) > 1 and loc[1].isdigit():
        n = int(loc[1])
        return "subjects.sources", n
    if loc and loc[0] == "subjects" and len(loc) > 1 and loc[1].isdigit():
        return "subjects", int(loc[1])
    if loc and loc[0] == "rules" and len(loc) > 1:
        return f"rules.{loc[1]}", 0
    return (loc[0], 0) if loc else (None, 0)


def _check(config: Config, where: str, text: str) -> None:
    from auditor import rules, sources

    def fail(msg: str, key: str, table: str | None = None, index: int = 0) -> None:
        line = _line_of(text, key, table, index) if text else None
        raise ConfigError(f"{where}{f', line {line}' if line else ''}: {msg}")

    if config.auditor.fail_on not in SEVERITY_ORDER:
        fail(f"fail_on must be one of {', '.join(SEVERITY_ORDER)} "
             f"(got {config.auditor.fail_on!r})", "fail_on", "auditor")
    ids = {s.id for s in config.subjects}
    for n, src in enumerate(config.sources):
        if src.kind not in sources.KINDS:
            fail(f"source {src.name!r}: unknown kind {src.kind!r}; use one of "
                 f"{', '.join(sources.KINDS)}", "kind", "subjects.sources", n)
        if not (src.snapshot or src.url or src.identifier):
            fail(f"source {src.name!r}: give a snapshot, url or identifier", "name",
                 "subjects.sources", n)
        if src.subject not in ids:
            fail(f"source {src.name!r}: subject has no id", "id", "subjects")
    seen: set[str] = set()
    for name in (s.name for s in config.sources):
        if name in seen:
            fail(f"source name {name!r} is used twice; names must be unique", "name")
        seen.add(name)
    for name, setting in config.rules.items():
        if name not in rules.RULES:
            fail(f"unknown rule {name!r}; known rules: {', '.join(sorted(rules.RULES))}",
                 "enabled", f"rules.{name}")
        if setting.severity and setting.severity not in SEVERITY_ORDER:
            fail(f"rule {name!r}: severity must be one of {', '.join(SEVERITY_ORDER)}",
                 "severity", f"rules.{name}")


def _apply_environment(config: Config) -> None:
    """Secrets from the environment win over the file, so they need not be committed."""
    email = os.environ.get("AUDITOR_CONTACT_EMAIL")
    key = os.environ.get("NCBI_API_KEY")
    if email:
        config.fetch.contact_email = email
    if key:
        config.fetch.ncbi_api_key = key
