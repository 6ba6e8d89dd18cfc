"""Snapshots: saved byte for byte with a manifest entry, loaded back unchanged, never outside
their folder."""

from __future__ import annotations

import json

import pytest

from auditor import snapshots
from auditor.errors import SnapshotError
from auditor.models import Snapshot

BODY = "<html><body><table><tr><th>目標症例数</th><td>７</td></tr></table></body></html>".encode(
    "cp932")


def snapshot(**kw) -> Snapshot:
    return Snapshot(source="jrct-ja", kind="jrct", url="https://jrct.niph.go.jp/x",
                    retrieved_at="2026-11-25T00:00:00+00:00",
                    media_type="text/html; charset=Shift_JIS", sha256="", path="", **kw)


def test_save_then_load_is_byte_for_byte(tmp_path):
    saved = snapshots.save(tmp_path, "amchepry/jrct.html", BODY, snapshot())
    loaded, body = snapshots.load(tmp_path, "amchepry/jrct.html", source="jrct-ja", kind="jrct")
    assert body == BODY
    assert loaded.sha256 == saved.sha256 == snapshots.sha256(BODY)
    assert loaded.media_type == "text/html; charset=Shift_JIS"
    assert loaded.url == "https://jrct.niph.go.jp/x"
    manifest = json.loads((tmp_path / "amchepry/manifest.json").read_text())
    assert [e["file"] for e in manifest["snapshots"]] == ["jrct.html"]
    assert not [p for p in (tmp_path / "amchepry").iterdir() if p.name.startswith(".")]


def test_a_second_save_replaces_the_entry_and_keeps_the_others(tmp_path):
    snapshots.save(tmp_path, "a/one.html", BODY, snapshot())
    snapshots.save(tmp_path, "a/two.html", BODY, snapshot())
    snapshots.save(tmp_path, "a/one.html", BODY + b"<p>x</p>", snapshot())
    entries = json.loads((tmp_path / "a/manifest.json").read_text())["snapshots"]
    assert [e["file"] for e in entries] == ["one.html", "two.html"]
    assert entries[0]["sha256"] == snapshots.sha256(BODY + b"<p>x</p>")


def test_the_hash_is_always_of_the_bytes_on_disk(tmp_path):
    snapshots.save(tmp_path, "a/one.html", BODY, snapshot())
    (tmp_path / "a/one.html").write_bytes(b"<html>edited</html>")
    loaded, _ = snapshots.load(tmp_path, "a/one.html", source="s", kind="jrct")
    assert loaded.sha256 == snapshots.sha256(b"<html>edited</html>")


@pytest.mark.parametrize("path", ["../outside.html", "/etc/passwd", "a/../../outside.html"])
def test_paths_outside_the_folder_are_refused(tmp_path, path):
    root = tmp_path / "snaps"
    root.mkdir()
    with pytest.raises(SnapshotError, match="escapes the snapshot folder"):
        snapshots.load(root, path, source="s", kind="jrct")


def test_a_link_out_of_the_folder_is_refused(tmp_path):
    root = tmp_path / "snaps"
    root.mkdir()
    (tmp_path / "secret.html").write_text("<html>secret</html>")
    (root / "link.html").symlink_to(tmp_path / "secret.html")
    with pytest.raises(SnapshotError, match="escapes"):
        snapshots.load(root, "link.html", source="s", kind="jrct")


def test_a_missing_snapshot_says_what_to_do(tmp_path):
    with pytest.raises(SnapshotError, match="auditor fetch"):
        snapshots.load(tmp_path, "nope.html", source="s", kind="jrct")


def test_a_broken_manifest_is_named(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/one.html").write_bytes(BODY)
    (tmp_path / "a/manifest.json").write_text("{not json")
    with pytest.raises(SnapshotError, match="manifest is not valid JSON"):
        snapshots.load(tmp_path, "a/one.html", source="s", kind="jrct")
