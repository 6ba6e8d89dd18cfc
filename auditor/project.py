"""The project folder: `init` writes a commented starter config.toml (and copies the bundled
Amchepry dossier, the demo, out of the package); `add_subject` and `save_files` append a
subject and its sources to config.toml.

config.toml is edited with tomlkit, which round-trips a TOML file with its comments, order and
layout (the standard library's tomllib only reads): the user's own notes in the file survive
every `auditor add`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit
import tomlkit.items
from tomlkit.exceptions import TOMLKitError

from auditor import snapshots, sources
from auditor.acquire.discover import classify, start_of
from auditor.acquire.discover import discover as discover_links
from auditor.acquire.http import Client
from auditor.config import Config, config_from_dict, load_config
from auditor.errors import AuditorError, ConfigError, FetchError
from auditor.read.documents import Document

#: The demo subject, shipped as package data in auditor/demo/<DEMO_SUBJECT>/.
DEMO_SUBJECT = "amchepry"
#: Where the starter config's demo subject begins: `init --no-demo` writes what comes before.
_DEMO_MARK = "# The demo subject:"
_EXAMPLE = """\
# Add subjects with `auditor add`, e.g.
#   auditor add mytrial --nct NCT01234567 --doi 10.1000/example
# or write them by hand:
#
# [[subjects]]
# id = "mytrial"
# name = "My trial"
#
# [[subjects.sources]]
# name = "registry"
# kind = "ctgov"            # see README.md for every kind
# identifier = "NCT01234567"
"""


def demo_files() -> resources.abc.Traversable:
    """The package's demo folder: config.toml (the starter) and amchepry/ (its snapshots)."""
    return resources.files("auditor") / "demo"


@dataclass
class InitResult:
    """What `init` wrote: the config, and the demo snapshot files (relative to the folder)."""

    config: Path
    demo: bool
    snapshots: list[str] = field(default_factory=list)


def init(folder: str | Path = ".", *, demo: bool | None = None) -> InitResult:
    """Write folder/config.toml, a commented starter; with `demo` (default: when the folder is
    empty or new) also the Amchepry dossier into its snapshot folder, so that `auditor audit`
    runs offline at once. An existing config.toml is never overwritten."""
    folder = Path(folder)
    config = folder / "config.toml"
    if config.exists():
        raise AuditorError(f"{config}: already exists; edit it, add subjects with `auditor add`, "
                           "or run `auditor init` in another folder")
    if demo is None:
        demo = not folder.exists() or not any(folder.iterdir())
    text = (demo_files() / "config.toml").read_text(encoding="utf-8")
    if _DEMO_MARK not in text:  # the package's own starter lost its marker: a build bug
        raise AuditorError("the bundled starter config has no demo section; reinstall auditor")
    settings = config_from_dict(tomlkit.parse(text).unwrap()).auditor
    written: list[str] = []
    if demo:
        target = folder / settings.snapshots / DEMO_SUBJECT
        if target.exists():
            raise AuditorError(f"{target}: already exists; move it away or run `auditor init "
                               "--no-demo`")
        target.mkdir(parents=True)
        for entry in sorted((demo_files() / DEMO_SUBJECT).iterdir(), key=lambda e: e.name):
            if entry.is_file():
                (target / entry.name).write_bytes(entry.read_bytes())
                written.append(f"{settings.snapshots}/{DEMO_SUBJECT}/{entry.name}")
    else:
        text = text[:text.index(_DEMO_MARK)] + _EXAMPLE
        folder.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    return InitResult(config=config, demo=demo, snapshots=written)


@dataclass
class AddResult:
    """A subject written to config.toml: its sources, what discovery fetched and why it did
    not run (offline) or what it could not fetch."""

    config: Path
    subject: str
    sources: list[dict[str, Any]]
    fetched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: str | None = None  # why discovery did not run


def source_name(kind: str, ident: str) -> str:
    """The name `auditor add` (and discovery) give a source: kind and identifier."""
    return f"{kind}-{re.sub(r'[^A-Za-z0-9.-]+', '_', ident)}"


def given_sources(identifiers: list[str], urls: list[str]) -> list[dict[str, Any]]:
    """The sources for identifiers and URLs as given: a DOI → Crossref and Europe PMC, a jRCT
    id → its Japanese and English pages, a registry or PubMed page URL → its record; any other
    URL → a web page (kind "page")."""
    out: list[dict[str, Any]] = []
    for ident in [*identifiers, *urls]:
        if classify(ident):
            out += [{"name": source_name(k, i), "kind": k, "identifier": i}
                    for k, i in start_of(ident)]
        elif ident in urls and urlsplit(ident).scheme in ("http", "https"):
            host = (urlsplit(ident).hostname or "page").removeprefix("www.")
            out.append({"name": f"page-{host}", "kind": "page", "url": ident})
        else:
            raise AuditorError(f"{ident!r}: not a DOI, PMID, NCT or jRCT id, nor an http(s) URL")
    return _unique(out)


def _unique(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeated sources; a name used twice gets -2, -3..."""
    out: list[dict[str, Any]] = []
    for s in found:
        if any(o["kind"] == s["kind"] and o.get("identifier", o.get("url")) ==
               s.get("identifier", s.get("url")) for o in out):
            continue
        names = {o["name"] for o in out}
        base, n = s["name"], 2
        while s["name"] in names:
            s = {**s, "name": f"{base}-{n}"}
            n += 1
        out.append(s)
    return out


def add_subject(config_path: str | Path, subject: str, *, identifiers: Sequence[str] = (),
                urls: Sequence[str] = (), name: str | None = None, discover: bool = True,
                client: Client | None = None) -> AddResult:
    """Append subject `subject` with a source for each identifier and URL to config.toml,
    keeping its comments. With `discover`, the records they link to (a paper's registrations,
    a registration's papers) are fetched into the snapshot folder and added too, as `auditor
    compare ID` finds them; if the network is unreachable the given sources are added alone
    and `skipped` says why."""
    config = load_config(config_path)
    check_new(config, subject)
    wanted = given_sources(list(identifiers), list(urls))
    if not wanted:
        raise AuditorError(f"add {subject}: give at least one --nct, --doi, --pmid, --jrct or "
                           "--url")
    result = AddResult(config=Path(config_path), subject=subject, sources=[])
    found: list[dict[str, Any]] = []
    ids = [i for i in [*identifiers, *urls] if classify(i)]
    if discover and ids:
        try:
            links = discover_links(ids, config, client=client, folder=subject)
        except FetchError as e:
            result.skipped = f"discovery skipped: {e}"
        else:
            result.fetched, result.failed = links.fetched, links.failed
            found = [{"name": n, "kind": k, "identifier": i} for n, k, i in links.records]
    elif ids:
        result.skipped = "discovery skipped (--no-discover)"
    result.sources = _unique([*found, *wanted])
    _append(Path(config_path), subject, name or subject, result.sources)
    return result


def save_records(config: Config, subject: str, records: list[tuple[str, str, str]]
                 ) -> AddResult:
    """Keep a comparison started from an identifier as a subject: the records discovery
    fetched (already in the snapshot folder's `subject`/) become its sources."""
    path = _path_of(config)
    check_new(config, subject)
    found = _unique([{"name": n, "kind": k, "identifier": i} for n, k, i in records])
    _append(path, subject, subject, found)
    return AddResult(config=path, subject=subject, sources=found, fetched=[n for n, _, _ in
                                                                           records])


def save_files(config: Config, subject: str, files: list[tuple[str | None, Path]]
               ) -> AddResult:
    """Keep a comparison of snapshot files as a subject: the files are copied (with their
    manifest entries) into the snapshot folder's `subject`/ and named as its sources."""
    path = _path_of(config)
    check_new(config, subject)
    target = config.snapshot_dir / subject
    entries: list[dict[str, Any]] = []
    for kind, file in files:
        snapshot, body = snapshots.load_file(file, kind=kind or "?")
        kind = kind or sources.detect(Document(body, snapshot.media_type, snapshot.url,
                                               str(file)))
        if kind is None:
            raise AuditorError(f"{file}: cannot tell what kind of source this is; write it as "
                               "KIND:PATH")
        entries.append({"name": file.stem, "kind": kind,
                        "snapshot": f"{subject}/{file.name}", "_body": body,
                        "_entry": snapshots.read_manifest(file.parent).get(file.name, {})})
    target.mkdir(parents=True, exist_ok=True)
    for e in entries:
        body, entry = e.pop("_body"), e.pop("_entry")
        copy = Path(e["snapshot"]).name
        (target / copy).write_bytes(body)
        kept = {k: v for k, v in entry.items() if k not in ("file", "sha256", "versions")}
        snapshots.register(target, copy, **{"source": e["name"], "kind": e["kind"], **kept})
    added = _unique(entries)
    _append(path, subject, subject, added)
    return AddResult(config=path, subject=subject, sources=added)


def _path_of(config: Config) -> Path:
    if config.path is None or not config.path.is_file():
        raise AuditorError("no config.toml to add the subject to; run `auditor init` first")
    return config.path


def check_new(config: Config, subject: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", subject):
        raise AuditorError(f"subject {subject!r}: use letters, digits, '.', '_' or '-' (it "
                           "names a snapshot folder)")
    if any(s.id == subject for s in config.subjects):
        raise AuditorError(f"{config.path}: subject {subject!r} already exists; choose another "
                           "id or edit its [[subjects]] table")


def _append(path: Path, subject: str, name: str, found: list[dict[str, Any]]) -> None:
    """Append one [[subjects]] table with its [[subjects.sources]] to the end of the file (the
    text before it is kept byte for byte, comments included; tomlkit writes the new tables
    with TOML's quoting), check that the result is a valid config, and replace the file
    atomically."""
    text = path.read_text(encoding="utf-8")
    try:
        subjects = tomlkit.parse(text).get("subjects")
    except TOMLKitError as e:
        raise ConfigError(f"{path}: {e}; fix the TOML syntax on that line") from e
    if subjects is not None and not isinstance(subjects, tomlkit.items.AoT):
        raise ConfigError(f"{path}: 'subjects' must be an array of tables ([[subjects]]) to "
                          "add one; edit it by hand")
    table = tomlkit.table()
    table.add("id", subject)
    table.add("name", name)
    sources_aot = tomlkit.aot()
    for s in found:
        src = tomlkit.table()
        for key, value in s.items():
            src.add(key, value)
        sources_aot.append(src)
    table.add("sources", sources_aot)
    chunk = tomlkit.document()
    chunk.add("subjects", tomlkit.aot())
    chunk["subjects"].append(table)  # type: ignore[union-attr]
    out = text.rstrip("\n") + "\n\n" + tomlkit.dumps(chunk)
    try:
        data = tomlkit.parse(out).unwrap()
    except TOMLKitError as e:  # e.g. `subjects` defined inline earlier in the file
        raise ConfigError(f"{path}: cannot append a [[subjects]] table ({e}); edit it by "
                          "hand") from e
    config_from_dict(data, path=path, text=out)  # still a valid config
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
