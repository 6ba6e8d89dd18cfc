"""config.toml → models. Errors name the file, the key and the line, and say what to do."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from auditor.errors import ConfigError
from auditor.models import SEVERITY_ORDER, Finding, Limits, SourceRef, Subject

#: What `follow` may name: the attachment types acquire/attachments.py fetches.
FOLLOW_TYPES = ("xlsx", "pdf")


class FetchSettings(BaseModel):
    """How to be polite to public APIs. Secrets may come from the environment instead."""

    model_config = ConfigDict(extra="forbid")
    contact_email: str = ""
    ncbi_api_key: str = ""
    user_agent: str = "auditor/0.1 (source-consistency auditor; mailto:{contact_email})"
    # Numbers in range, never NaN or infinite: a negative timeout or body cap is a typo.
    timeout: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    connect_timeout: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    total_timeout: float = Field(default=120.0, gt=0, allow_inf_nan=False)
    max_body_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    retries: int = Field(default=4, ge=0, le=100)
    backoff: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    max_retry_wait: float = Field(default=120.0, ge=0, allow_inf_nan=False)
    concurrency: int = Field(default=4, ge=1, le=64)
    #: Hosts a redirect may reach although they are on another site (or internal).
    allow_hosts: list[str] = Field(default_factory=list)
    #: Base URLs of the services (ctgov, ctgov_int, jrct, crossref, eutils, europepmc), for a
    #: mirror.
    bases: dict[str, str] = Field(default_factory=dict)
    rate_limits: dict[str, float] = Field(default_factory=lambda: {
        "eutils.ncbi.nlm.nih.gov": 3.0, "api.crossref.org": 10.0,
        "clinicaltrials.gov": 5.0, "www.ebi.ac.uk": 5.0, "default": 2.0})


class RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    threshold: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    severity: str | None = None


#: Findings made outside rules/ (by the audit and the run-to-run comparison).
BUILTIN_RULES = ("source_changed", "source_unavailable", "source_broken")


class IgnoreRule(BaseModel):
    """`[[ignore]]`: noise a desk never wants; every given key must match, and a reason is
    required so the next reader knows why the finding is not reported."""

    model_config = ConfigDict(extra="forbid")
    rule: str | None = None
    field: str | None = None
    source: str | None = None
    finding: str | None = None
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _selects(self) -> IgnoreRule:
        if not (self.rule or self.field or self.source or self.finding):
            raise ValueError("give at least one of rule, field, source or finding")
        return self

    def matches(self, finding: Finding) -> bool:
        """True when every key given matches (finding: its id or an id prefix)."""
        return ((not self.rule or finding.rule == self.rule)
                and (not self.field or finding.field == self.field)
                and (not self.source or any(s.source == self.source for s in finding.sources))
                and (not self.finding or finding.id.startswith(self.finding)))


class NotifySettings(BaseModel):
    """`[notify]`: Apprise URLs (mailto://, slack://, ntfy://, json://...) that receive the
    digest of an audit that opened, reopened or resolved findings. Secrets may come from the
    environment instead: AUDITOR_NOTIFY_URLS (space-separated) adds to these."""

    model_config = ConfigDict(extra="forbid")
    urls: list[str] = Field(default_factory=list)


def notify_url_problem(url: str) -> str | None:
    """What is wrong with a notification URL (Apprise does not know its scheme or cannot read
    it), or None. The URL is not repeated: it may hold a password."""
    import apprise

    scheme = url.partition("://")[0] if "://" in url else ""
    if not scheme:
        return "is not a URL (write it as scheme://..., e.g. mailto://, ntfy://, json://)"
    if not apprise.Apprise().add(url):
        return (f"is not a notification URL Apprise can use (scheme {scheme!r}); see "
                "https://github.com/caronc/apprise/wiki for the URL of each service")
    return None


class RetentionSettings(BaseModel):
    """`[retention]`: how many replaced versions of each snapshot to keep, and for how long.
    Unset (the default), every version is kept forever. A version any audit read, or that a
    finding cites, is kept whatever these say."""

    model_config = ConfigDict(extra="forbid")
    keep_versions: int | None = Field(default=None, ge=0)
    keep_days: int | None = Field(default=None, ge=0)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    database: str = "audit.db"
    snapshots: str = "snapshots"
    fail_on: str = "medium"
    stale_after_days: int = Field(default=365, ge=0)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Path | None = None
    auditor: Settings = Field(default_factory=Settings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    limits: Limits = Field(default_factory=Limits)
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    subjects: list[Subject] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    ignore: list[IgnoreRule] = Field(default_factory=list)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    #: `[company_groups]`: group name → the other names it appears under (subsidiaries,
    #: former names, joint ventures), added to the default vocabulary the rules ship with.
    company_groups: dict[Annotated[str, Field(min_length=1)],
                         list[Annotated[str, Field(min_length=1)]]] = Field(default_factory=dict)

    def company_group_map(self) -> dict[str, list[str]]:
        """The rules' default company groups extended by this config's."""
        from auditor.rules.funding import merge_groups

        return merge_groups(self.company_groups)

    def ignored(self, finding: Finding) -> IgnoreRule | None:
        """The first [[ignore]] entry that matches this finding, or None."""
        return next((i for i in self.ignore if i.matches(finding)), None)

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


#: Names the config to use when no --config is given (before the search up the folders).
CONFIG_ENV = "AUDITOR_CONFIG"


def find_config(start: str | Path | None = None) -> Path:
    """The config to use when none is named: $AUDITOR_CONFIG; else config.toml in `start`
    (default: the working folder) or the nearest folder above it that has one, as git finds
    its repository; else start/config.toml, whose absence load_config reports."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named)
    here = Path(start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / "config.toml").is_file():
            return folder / "config.toml"
    return here / "config.toml"


def load_config(path: str | Path) -> Config:
    """Read and validate config.toml; secrets may come from AUDITOR_CONTACT_EMAIL/NCBI_API_KEY."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; run `auditor init` to write a starter (or "
            "pass --config or create config.toml)") from None
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
        if not isinstance(raw, dict):
            line = _line_of(text, "subjects") if text else None
            raise ConfigError(f"{where}{f', line {line}' if line else ''}: subjects[{i}]: "
                              f"must be a table (got {raw!r}); write it as [[subjects]]")
        raw = dict(raw)
        raw_sources = raw.pop("sources", [])
        if not isinstance(raw_sources, list) or not all(isinstance(s, dict)
                                                        for s in raw_sources):
            line = _line_of(text, "sources", "subjects", i) if text else None
            raise ConfigError(f"{where}{f', line {line}' if line else ''}: subjects[{i}]."
                              "sources: must be an array of tables; write each as "
                              "[[subjects.sources]]")
        for j, src in enumerate(raw_sources):
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
    seen_ids: set[str] = set()
    for n, subject in enumerate(config.subjects):
        if subject.id in seen_ids:
            fail(f"subjects[{n}].id: subject id {subject.id!r} is used twice; give each "
                 "[[subjects]] its own id (or merge their sources under one)", "id",
                 "subjects", n)
        seen_ids.add(subject.id)
    allowed = {h.strip().lower().rstrip(".") for h in config.fetch.allow_hosts}
    for service, base in config.fetch.bases.items():
        problem = _url_problem(base, allowed)
        if problem:
            fail(f"fetch.bases.{service}: {problem}", "bases", "fetch")
    for host, rate in config.fetch.rate_limits.items():
        if not (math.isfinite(rate) and rate > 0):
            fail(f"fetch.rate_limits.{host}: must be a number of requests per second > 0 "
                 f"(got {rate!r})", "rate_limits", "fetch")
    for kind, cap in config.limits.bytes.items():
        if kind != "default" and kind not in sources.KINDS:
            fail(f"limits.bytes.{kind}: unknown kind; use default or one of "
                 f"{', '.join(sources.KINDS)}", kind, "limits.bytes")
        if cap <= 0:
            fail(f"limits.bytes.{kind}: must be a number of bytes > 0 (got {cap!r})", kind,
                 "limits.bytes")
    for n, src in enumerate(config.sources):
        if src.url is not None:
            problem = _url_problem(src.url, allowed)
            if problem:
                fail(f"source {src.name!r}: url: {problem}", "url", "subjects.sources", n)
        if src.role is not None and src.role not in sources.ROLES:
            fail(f"source {src.name!r}: role: unknown role {src.role!r}; use one of "
                 f"{', '.join(sources.ROLES)} (or leave it out: the kind gives it)", "role",
                 "subjects.sources", n)
        if src.follow is not None:
            wanted = [e.strip().lower().lstrip(".") for e in src.follow.split(",")]
            unknown = [e or "(empty)" for e in wanted if e not in FOLLOW_TYPES]
            if unknown:
                fail(f"source {src.name!r}: follow: unknown type {', '.join(unknown)} in "
                     f"{src.follow!r}; use {', '.join(FOLLOW_TYPES)} (comma-separated)",
                     "follow", "subjects.sources", n)
        if src.as_of is not None:
            try:
                check_date(src.as_of, "as_of")
            except ConfigError as e:
                fail(f"source {src.name!r}: {e}", "as_of", "subjects.sources", n)
        if (src.history or src.as_of) and src.kind != "ctgov":
            fail(f"source {src.name!r}: history and as_of are for ClinicalTrials.gov sources "
                 f"(kind = \"ctgov\"), not {src.kind!r}; remove them", "history",
                 "subjects.sources", n)
        if src.kind not in sources.KINDS:
            fail(f"source {src.name!r}: unknown kind {src.kind!r}; use one of "
                 f"{', '.join(sources.KINDS)}", "kind", "subjects.sources", n)
        if not (src.snapshot or src.url or src.identifier):
            fail(f"source {src.name!r}: give a snapshot, url or identifier", "name",
                 "subjects.sources", n)
        if src.subject not in ids:
            fail(f"source {src.name!r}: subject has no id", "id", "subjects")
    seen: set[str] = set()
    for n, name in enumerate(s.name for s in config.sources):
        if name in seen:
            fail(f"source name {name!r} is used twice; names must be unique", "name",
                 "subjects.sources", n)
        seen.add(name)
    known = sorted({*rules.RULES, *BUILTIN_RULES})
    for name, setting in config.rules.items():
        if name not in known:
            fail(f"unknown rule {name!r}; known rules: {', '.join(known)}",
                 "enabled", f"rules.{name}")
        if setting.severity and setting.severity not in SEVERITY_ORDER:
            fail(f"rule {name!r}: severity must be one of {', '.join(SEVERITY_ORDER)}",
                 "severity", f"rules.{name}")
    for n, url in enumerate(config.notify.urls):  # a typo would silently notify no one
        problem = notify_url_problem(url)
        if problem:
            fail(f"notify.urls[{n}] {problem}", "urls", "notify")
    for n, entry in enumerate(config.ignore):  # a typo would silently ignore nothing
        if entry.rule and entry.rule not in {*rules.RULES, *BUILTIN_RULES}:
            fail(f"[[ignore]] rule {entry.rule!r} is not a rule; known rules: "
                 f"{', '.join(sorted({*rules.RULES, *BUILTIN_RULES}))}", "rule", "ignore", n)


def check_date(text: str, what: str) -> str:
    """A YYYY-MM-DD date (an as-of date), or a ConfigError saying how to write one."""
    from datetime import date

    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not a date; write it as YYYY-MM-DD, e.g. "
                          "2019-01-01") from None


def _url_problem(url: str, allowed: set[str]) -> str | None:
    """What is wrong with a configured URL: a scheme other than http(s), no host, or a
    private or link-local address that `[fetch] allow_hosts` does not name. Loopback is
    allowed: a server on this machine (a mirror, the tests' servers) is the operator's own."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError as e:
        return f"{url!r} is not a URL ({e})"
    if parts.scheme not in ("http", "https"):
        return (f"{url!r} is not an http(s) address (scheme {parts.scheme or 'missing'!r}); "
                "use an https:// URL, or a snapshot = \"...\" for a saved file")
    if not host:
        return f"{url!r} names no host"
    if host in allowed:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None
    if ip.is_link_local or ip.is_private or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return (f"{host} is a private or link-local address; if you mean it, name it in "
                "[fetch] allow_hosts")
    return None


def require_subjects(config: Config) -> None:
    """An audit or fetch of nothing is a mistake, not "no findings"."""
    if not config.subjects:
        where = str(config.path or "config")
        raise ConfigError(f"{where}: no subjects: run auditor init or add a [[subjects]] "
                          "table")


def _apply_environment(config: Config) -> None:
    """Secrets from the environment win over the file, so they need not be committed."""
    extra = os.environ.get("AUDITOR_NOTIFY_URLS", "").split()
    for url in extra:
        problem = notify_url_problem(url)
        if problem:
            raise ConfigError(f"AUDITOR_NOTIFY_URLS: a URL {problem}")
    config.notify.urls += [u for u in extra if u not in config.notify.urls]
    email = os.environ.get("AUDITOR_CONTACT_EMAIL")
    key = os.environ.get("NCBI_API_KEY")
    if email:
        config.fetch.contact_email = email
    if key:
        config.fetch.ncbi_api_key = key
