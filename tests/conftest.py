"""Shared fixtures: a private copy of the Amchepry dossier (config + snapshots) per test, and
a CLI runner. Tests edit the copy to plant discrepancies; the bundled fixtures never change."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from auditor.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"  # test-only records (bluerock)
#: The bundled demo's snapshot folder (package data): amchepry/ holds the Amchepry dossier.
DEMO = ROOT / "auditor" / "demo"


@dataclass
class Dossier:
    """A temporary project folder: config.toml, snapshots/amchepry/ and the audit.db path."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def db(self) -> Path:
        return self.root / "audit.db"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def snapshot(self, name: str) -> Path:
        return self.snapshots / "amchepry" / name

    def edit(self, name: str, old: str, new: str, encoding: str = "utf-8") -> None:
        """Plant a discrepancy: replace text in a snapshot (which must contain it)."""
        path = self.snapshot(name)
        text = path.read_bytes().decode(encoding)
        assert old in text, f"{old!r} not in {name}"
        path.write_bytes(text.replace(old, new).encode(encoding))

    def audit(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["audit", "--config", str(self.config), *args])

    def db_digest(self) -> str | None:
        return hashlib.sha256(self.db.read_bytes()).hexdigest() if self.db.exists() else None


@pytest.fixture
def dossier(tmp_path: Path) -> Dossier:
    shutil.copytree(DEMO / "amchepry", tmp_path / "snapshots" / "amchepry")
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert 'snapshots = "auditor/demo"' in text
    (tmp_path / "config.toml").write_text(
        text.replace('snapshots = "auditor/demo"', 'snapshots = "snapshots"'), encoding="utf-8")
    return Dossier(tmp_path)


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))
    return run
