"""Attachments of MHLW index pages: found, fetched over real HTTP, saved, and audited."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import store
from auditor.acquire.attachments import (
    attachment_folder,
    attachments_of,
    file_name,
    follow_extensions,
    linked_files,
    site,
)
from auditor.acquire.fetch import fetch_sources
from auditor.acquire.http import make_client
from auditor.audit import run_audit
from auditor.cli import cli
from auditor.config import Config, Settings
from auditor.errors import ConfigError
from auditor.models import SourceRef, Subject
from auditor.read.documents import Document

pytest.register_assert_rewrite("faultserver")
from faultserver import DEMO, HostMap, fast_settings  # noqa: E402
from test_mhlw_pdf import NOTICE, make_pdf  # noqa: E402

pytest_plugins = ["faultserver"]

XLSX = (DEMO / "amchepry" / "mhlw-price-listing-20260519.xlsx").read_bytes()
PDF = make_pdf([NOTICE])
PAGE_URL = "https://www.mhlw.go.jp/topics/2026/05/tp20260519-01.html"
INDEX = """<html><head><meta charset="Shift_JIS"><title>薬価基準の一部改正</title></head><body>
<p>令和８年５月２０日から適用</p>
<ul>
<li><a href="/content/12400000/list.xlsx">薬価基準収載品目リスト（Excel）</a></li>
<li><a href="https://mhlw.go.jp/content/12400000/notice.pdf#page=1">通知（PDF）</a></li>
<li><a href="/content/12400000/list.xlsx">同じファイル</a></li>
<li><a href="https://example.org/elsewhere.xlsx">他サイト</a></li>
<li><a href="/content/12400000/memo.docx">Word</a></li>
<li><a href="mailto:info@mhlw.go.jp">mail</a></li>
</ul></body></html>""".encode("cp932")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- finding the links ---------------------------------------------------------------------

@pytest.mark.parametrize("host, expected", [
    ("www.mhlw.go.jp", "mhlw.go.jp"), ("mhlw.go.jp", "mhlw.go.jp"),
    ("www.pmda.go.jp", "pmda.go.jp"), ("www.example.co.uk", "example.co.uk"),
    ("api.example.org", "example.org"), ("127.0.0.1", "127.0.0.1"),
])
def test_site(host, expected):
    assert site(host) == expected


@pytest.mark.parametrize("extensions, expected", [
    (["xlsx", "pdf"], ["https://www.mhlw.go.jp/content/12400000/list.xlsx",
                       "https://mhlw.go.jp/content/12400000/notice.pdf"]),
    (["pdf"], ["https://mhlw.go.jp/content/12400000/notice.pdf"]),
])
def test_linked_files_are_same_site_of_the_wanted_kinds_each_once(extensions, expected):
    page = Document(INDEX, "text/html; charset=Shift_JIS", PAGE_URL, "page")
    assert linked_files(page, PAGE_URL, extensions) == expected


@pytest.mark.parametrize("url, taken, expected", [
    ("https://x.go.jp/content/list.xlsx", set(), "list.xlsx"),
    ("https://x.go.jp/a/list.xlsx", {"list.xlsx"}, "list-2.xlsx"),
    ("https://x.go.jp/a/%E8%96%AC%E4%BE%A1%20list.pdf", set(), "薬価_list.pdf"),
    ("https://x.go.jp/a/..pdf", set(), "pdf"),
])
def test_file_name(url, taken, expected):
    assert file_name(url, set(taken)) == expected


def test_attachment_folder():
    assert attachment_folder("amchepry/mhlw-price.html") == "amchepry/mhlw-price.attachments"


@pytest.mark.parametrize("follow, expected", [
    ("xlsx", ["xlsx"]), ("xlsx, .PDF", ["xlsx", "pdf"]), (None, []),
])
def test_follow_extensions(follow, expected):
    ref = SourceRef(name="p", subject="s", kind="mhlw", follow=follow)
    assert follow_extensions(ref) == expected


def test_follow_of_an_unknown_extension_is_a_config_error():
    with pytest.raises(ConfigError, match="follow = 'xls' names xls; use xlsx, pdf"):
        follow_extensions(SourceRef(name="p", subject="s", kind="mhlw", follow="xls"))


# --- fetching over HTTP ----------------------------------------------------------------------

def make_config(tmp_path: Path, url: str = PAGE_URL, follow: str | None = "xlsx,pdf") -> Config:
    return Config(path=tmp_path / "config.toml",
                  auditor=Settings(snapshots="snaps", database="audit.db"),
                  fetch=fast_settings(max_body_bytes=1_000_000),
                  subjects=[Subject(id="amchepry", name="Amchepry (raguneprocel)",
                                    aliases=["アムシェプリ", "raguneprocel"])],
                  sources=[SourceRef(name="mhlw-price", subject="amchepry", kind="mhlw",
                                     url=url, follow=follow)])


def serve(server, *, xlsx: dict | None = None, pdf: dict | None = None) -> None:
    server.add("/topics/2026/05/tp20260519-01.html", INDEX,
               content_type="text/html; charset=Shift_JIS", etag='"page"')
    server.add("/content/12400000/list.xlsx",
               **({"body": XLSX, "content_type": XLSX_TYPE, "etag": '"x1"'} | (xlsx or {})))
    server.add("/content/12400000/notice.pdf", PDF, content_type="application/pdf",
               **({"last_modified": "Tue, 19 May 2026 00:00:00 GMT"} | (pdf or {})))


def run(config: Config, port: int):
    with make_client(config.fetch, transport=HostMap(port)) as client:
        return fetch_sources(config, client=client, progress=False)


def on_disk(config: Config) -> dict[str, tuple[bytes, int]]:
    root = config.snapshot_dir
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def manifest(config: Config, folder: str) -> dict[str, dict]:
    data = json.loads((config.snapshot_dir / folder / "manifest.json").read_text("utf-8"))
    return {e["file"]: e for e in data["snapshots"]}


def test_fetch_saves_the_page_and_each_attachment_beside_it(tmp_path, fault_server):
    serve(fault_server)
    config = make_config(tmp_path)
    results = run(config, fault_server.port)
    assert [(r.source, r.status) for r in results] == [
        ("mhlw-price", "saved"), ("mhlw-price/list.xlsx", "saved"),
        ("mhlw-price/notice.pdf", "saved")]
    files = on_disk(config)
    assert sorted(files) == [
        "amchepry/manifest.json", "amchepry/mhlw-price.attachments/list.xlsx",
        "amchepry/mhlw-price.attachments/manifest.json",
        "amchepry/mhlw-price.attachments/notice.pdf", "amchepry/mhlw-price.html"]
    assert files["amchepry/mhlw-price.attachments/list.xlsx"][0] == XLSX
    assert files["amchepry/mhlw-price.attachments/notice.pdf"][0] == PDF
    entries = manifest(config, "amchepry/mhlw-price.attachments")
    assert entries["list.xlsx"]["kind"] == "mhlw_excel"
    assert entries["notice.pdf"]["url"] == "https://mhlw.go.jp/content/12400000/notice.pdf"
    assert {e["note"] for e in entries.values()} == {f"attachment linked from {PAGE_URL}"}
    assert fault_server.count("/elsewhere.xlsx") == fault_server.count(
        "/content/12400000/memo.docx") == 0
    assert fault_server.count("/content/12400000/list.xlsx") == 1  # linked twice, fetched once


def test_without_follow_no_attachment_is_fetched(tmp_path, fault_server):
    serve(fault_server)
    config = make_config(tmp_path, follow=None)
    assert [r.source for r in run(config, fault_server.port)] == ["mhlw-price"]
    assert fault_server.count("/content/12400000/list.xlsx") == 0


def test_refetch_with_304_on_the_page_and_attachments_writes_nothing(tmp_path, fault_server):
    serve(fault_server)
    config = make_config(tmp_path)
    run(config, fault_server.port)
    before = on_disk(config)
    time.sleep(0.01)  # so a rewrite would show in the modification times
    again = run(config, fault_server.port)
    assert [r.status for r in again] == ["not_modified"] * 3
    for path in ("/content/12400000/list.xlsx", "/content/12400000/notice.pdf"):
        assert (fault_server.hits[path][-1].status, fault_server.hits[path][-1].body_bytes) == (
            304, 0)
    assert on_disk(config) == before


@pytest.mark.parametrize("xlsx, message", [
    ({"fault": "truncate"}, "truncated body"),
    # a dead link answered with an HTML page
    ({"body": b"<html>not found</html>", "content_type": "text/html"},
     "did not return a xlsx file (got text/html, 22 bytes)"),
])
def test_a_broken_attachment_fails_alone_and_keeps_the_page(tmp_path, fault_server, xlsx,
                                                            message):
    serve(fault_server, xlsx=xlsx)
    config = make_config(tmp_path)
    results = {r.source: r for r in run(config, fault_server.port)}
    assert {name: r.status for name, r in results.items()} == {
        "mhlw-price": "saved", "mhlw-price/list.xlsx": "failed",
        "mhlw-price/notice.pdf": "saved"}
    error = results["mhlw-price/list.xlsx"].error
    assert error.startswith("attachment 'mhlw-price/list.xlsx': ") and message in error
    assert sorted(on_disk(config)) == [
        "amchepry/manifest.json", "amchepry/mhlw-price.attachments/manifest.json",
        "amchepry/mhlw-price.attachments/notice.pdf", "amchepry/mhlw-price.html"]


def test_a_failed_page_fetches_no_attachments(tmp_path, fault_server):
    serve(fault_server)
    fault_server.add("/topics/2026/05/tp20260519-01.html", status=404)
    results = run(make_config(tmp_path), fault_server.port)
    assert [(r.source, r.status) for r in results] == [("mhlw-price", "failed")]
    assert fault_server.count("/content/12400000/list.xlsx") == 0


def test_cli_fetch_saves_and_prints_the_page_and_its_attachments(tmp_path, fault_server):
    serve(fault_server)
    url = fault_server.add("/topics/index.html", (
        '<html><body><a href="../content/12400000/list.xlsx">Excel</a>'
        '<a href="/content/12400000/notice.pdf">PDF</a></body></html>'),
        content_type="text/html")
    config = tmp_path / "config.toml"
    config.write_text("\n".join([
        '[auditor]', 'snapshots = "snaps"', '[fetch]', 'retries = 0',
        'rate_limits = { default = 1000.0 }', '[[subjects]]', 'id = "amchepry"',
        'name = "Amchepry"', '[[subjects.sources]]', 'name = "mhlw-price"', 'kind = "mhlw"',
        f'url = "{url}"', 'follow = "xlsx,pdf"']) + "\n")
    result = CliRunner().invoke(cli, ["fetch", "--config", str(config)])
    assert result.exit_code == 0, result.output
    folder = "amchepry/mhlw-price.attachments"
    assert result.output.strip().splitlines() == [
        "mhlw-price: saved → amchepry/mhlw-price.html",
        f"mhlw-price/list.xlsx: saved → {folder}/list.xlsx",
        f"mhlw-price/notice.pdf: saved → {folder}/notice.pdf"]
    assert (tmp_path / "snaps" / folder / "list.xlsx").read_bytes() == XLSX


# --- auditing what was saved ----------------------------------------------------------------

def test_attachments_of_lists_saved_files_as_sources(tmp_path, fault_server):
    serve(fault_server)
    config = make_config(tmp_path)
    assert attachments_of(config, config.sources[0]) == []
    run(config, fault_server.port)
    refs = attachments_of(config, config.sources[0])
    assert [(r.name, r.kind, r.snapshot) for r in refs] == [
        ("mhlw-price/list.xlsx", "mhlw_excel", "amchepry/mhlw-price.attachments/list.xlsx"),
        ("mhlw-price/notice.pdf", "mhlw_pdf", "amchepry/mhlw-price.attachments/notice.pdf")]
    assert refs[0].url == "https://www.mhlw.go.jp/content/12400000/list.xlsx"


def test_an_audit_reads_the_price_from_the_saved_excel_attachment(tmp_path, fault_server):
    serve(fault_server)
    config = make_config(tmp_path)
    run(config, fault_server.port)
    page = config.sources[0].model_copy(update={"snapshot": "amchepry/mhlw-price.html"})
    audited = config.model_copy(update={"sources": [page]})  # the audit finds attachments
    result = run_audit(audited, store.open_db(tmp_path / "audit.db"), keep_claims=True)
    prices = {(c.source, c.qualifier): c for c in result.claims if c.field == "price"}
    excel = prices[("mhlw-price/list.xlsx", "アムシェプリ")]
    assert excel.value == {"amount": 55306737, "currency": "JPY", "pack": "18 vials",
                           "effective_date": "2026-05-20"}
    assert (excel.source_kind, excel.role) == ("mhlw_excel", "regulator")
    assert excel.url == "https://www.mhlw.go.jp/content/12400000/list.xlsx"
    assert excel.locator == "sheet '再生医療等製品' row 5 ('アムシェプリ')"
    assert prices[("mhlw-price/notice.pdf", "アムシェプリ")].value == excel.value
