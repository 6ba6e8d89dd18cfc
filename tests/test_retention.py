"""Retention: old snapshot versions are pruned only when `[retention]` says so, and never one
that audit.db cites (a version an audit read, or a finding quotes)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.register_assert_rewrite("faultserver")
from faultserver import HostMap, fast_settings  # noqa: E402

import auditor  # noqa: E402
from auditor import snapshots, store  # noqa: E402
from auditor.acquire.fetch import fetch_sources  # noqa: E402
from auditor.acquire.http import make_client  # noqa: E402
from auditor.config import Config, RetentionSettings, Settings  # noqa: E402
from auditor.models import SourceRef, Subject  # noqa: E402

pytest_plugins = ["faultserver"]


def page(n: int) -> bytes:
    return f"<html><body><p>Amchepry news, version {n}.</p></body></html>".encode()


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def project(tmp_path: Path, url: str, **retention: int) -> Config:
    return Config(path=tmp_path / "config.toml",
                  auditor=Settings(snapshots="snaps", database=str(tmp_path / "audit.db")),
                  fetch=fast_settings(), subjects=[Subject(id="s", name="Amchepry")],
                  sources=[SourceRef(subject="s", name="press", kind="page", url=url)],
                  retention=RetentionSettings(**retention))


def fetch(config: Config, server, n: int) -> None:
    server.add("/news", page(n), content_type="text/html")
    with make_client(config.fetch, transport=HostMap(server.port)) as client:
        [result] = fetch_sources(config, client=client, progress=False)
    assert result.ok, result.error


def kept(config: Config) -> set[str]:
    folder = config.snapshot_dir / ".versions"
    return {p.name.split(".")[0] for p in folder.iterdir()} if folder.is_dir() else set()


def history(config: Config, server, **_: int) -> None:
    """v1 fetched and audited; v2, v3 fetched and never audited; v4 fetched and audited."""
    fetch(config, server, 1)
    auditor.audit(config)
    for n in (2, 3, 4):
        fetch(config, server, n)


def test_without_a_retention_setting_every_version_is_kept(tmp_path, fault_server):
    config = project(tmp_path, fault_server.url("/news"))
    history(config, fault_server)
    result = auditor.audit(config)
    assert result.pruned == 0
    assert kept(config) == {sha(page(n)) for n in (1, 2, 3)}


def test_keep_versions_prunes_old_versions_no_audit_read(tmp_path, fault_server):
    config = project(tmp_path, fault_server.url("/news"), keep_versions=1)
    history(config, fault_server)
    result = auditor.audit(config)
    # v1 was read by an audit (cited), v3 is the newest replaced one, v4 is current
    assert result.pruned == 1
    assert kept(config) == {sha(page(1)), sha(page(3))}
    entry = snapshots.read_manifest(config.snapshot_dir / "s")["press.html"]
    pruned = {v["sha256"]: v.get("pruned_at") for v in entry["versions"]}
    assert pruned[sha(page(2))] and not pruned[sha(page(1))] and not pruned[sha(page(3))]
    db = store.open_db(config.database_path)
    for cited in store.cited_shas(db):  # everything the database cites still resolves
        assert sha(snapshots.resolve(config.snapshot_dir, "s/press.html", cited,
                                     (snapshots.versions_for(config.database_path),))) == cited
    assert "1 old snapshot versions pruned" in auditor.outputs.terminal.summary_line(
        result, config.database_path)


def test_keep_days_prunes_only_what_is_older_and_uncited(tmp_path, fault_server):
    config = project(tmp_path, fault_server.url("/news"))
    history(config, fault_server)
    root = config.snapshot_dir
    assert snapshots.prune(root, keep_versions=None, keep_days=30, cited=set()) == []  # young
    later = datetime.now(UTC) + timedelta(days=60)
    cited = {sha(page(1))}
    gone = snapshots.prune(root, keep_versions=None, keep_days=30, cited=cited, now=later)
    assert sorted(gone) == sorted([sha(page(2)), sha(page(3))])
    assert kept(config) == {sha(page(1))}
    # the same bytes coming back and being replaced again are kept again
    fetch(config, fault_server, 2)
    fetch(config, fault_server, 5)
    assert sha(page(2)) in kept(config)
    entry = snapshots.read_manifest(root / "s")["press.html"]
    assert not [v for v in entry["versions"] if v["sha256"] == sha(page(2))
                and v.get("pruned_at")]


def test_retention_settings_are_validated(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[retention]\nkeep_versions = -1\n", encoding="utf-8")
    with pytest.raises(auditor.AuditorError, match="retention.keep_versions"):
        auditor.load_config(config)
