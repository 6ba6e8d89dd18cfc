"""Source health: a page that now serves "Page not found" (with HTTP 200), a login wall, an
empty shell, a document that no longer names the subject, or a selector that matched before
and matches nothing now gives one `source_broken` finding for that source and nothing else
from it; its last good snapshot stays current, and the finding resolves when the page is back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

pytest.register_assert_rewrite("faultserver")
from faultserver import HostMap, fast_settings  # noqa: E402

from auditor import snapshots, store  # noqa: E402
from auditor.acquire.fetch import fetch_sources  # noqa: E402
from auditor.acquire.http import make_client  # noqa: E402
from auditor.config import load_config  # noqa: E402
from auditor.models import Reading  # noqa: E402
from auditor.read.documents import Document  # noqa: E402
from auditor.rules import health  # noqa: E402
from auditor.store.evidence import cited_snapshots  # noqa: E402

pytest_plugins = ["faultserver"]

PRESS = "sumitomo-press-release-approval.html"
ROOT = Path(__file__).resolve().parent.parent

#: What a company site serves, with HTTP 200, for a release it moved or took down.
NOT_FOUND = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<title>ページが見つかりません | Page not found | Sumitomo Pharma</title></head>
<body><header><a href="/">Sumitomo Pharma</a></header>
<main><h1>Page not found</h1>
<p>The page you are looking for may have been moved or deleted.</p>
<p><a href="/en/news/">News Releases</a></p></main></body></html>
"""
LOGIN = """<html><head><title>Sign in | Members</title></head><body>
<form action="/login" method="post"><label>User <input name="user"></label>
<label>Password <input type="password" name="pw"></label><button>Sign in</button></form>
</body></html>"""
SHELL = """<!doctype html><html><head><title>Sumitomo Pharma</title>
<script src="/app.js"></script></head><body><div id="root"></div>
<noscript>You need to enable JavaScript to run this app.</noscript></body></html>"""
OTHER_RELEASE = """<!DOCTYPE html><html><head><title>Notice of Change of Representative
Director | News Releases | Sumitomo Pharma</title></head><body><main><article>
<h1>Notice of Change of Representative Director</h1>
<p>Sumitomo Pharma Co., Ltd. announced today that its Board of Directors resolved a change of
its Representative Director, effective at the close of the annual general meeting.</p>
<p>The change is made to strengthen the management structure of the company.</p>
</article></main></body></html>"""


def findings_of(db_path: Path, **where: str) -> list[dict]:
    rows = store.findings(store.open_db(db_path), status=None)
    return [f for f in rows if all(f[k] == v for k, v in where.items())]


def about(finding: dict, source: str) -> bool:
    return any(s["source"] == source for s in finding["sources"])


def replace_page(dossier, body: str) -> None:
    dossier.snapshot(PRESS).write_text(body, encoding="utf-8")


def state(dossier) -> dict[str, str]:
    return {f["id"]: f["status"] for f in findings_of(dossier.db)}


def test_a_page_not_found_body_gives_one_source_broken_finding_and_nothing_else(dossier):
    dossier.audit("-q")
    good_sha = store.open_db(dossier.db)["sources"].get("sumitomo-press")["snapshot_sha256"]
    before = state(dossier)
    replace_page(dossier, NOT_FOUND)
    dossier.audit("-q")
    after = state(dossier)
    changed = {i: s for i, s in after.items() if before.get(i) != s}
    [broken] = [f for f in findings_of(dossier.db) if f["id"] in changed]
    assert len(changed) == 1, changed  # no field finding appears, none resolves
    assert (broken["rule"], broken["kind"], broken["field"]) == \
        ("source_broken", "source_broken", "source_health")
    assert broken["status"] == "open" and about(broken, "sumitomo-press")
    assert "an error page" in broken["message"]
    assert "Page not found" in broken["message"], broken["message"]  # what was seen, quoted
    assert "last good snapshot" in broken["message"]
    db = store.open_db(dossier.db)
    assert db["sources"].get("sumitomo-press")["snapshot_sha256"] == good_sha  # still current
    outcome = db.execute("select last_outcome from source_freshness where source = "
                         "'sumitomo-press'").fetchone()[0]
    assert outcome == "broken"
    # the broken copy is evidence: its sha256 is cited and resolves to the bytes seen
    [bad] = [s for s in broken["sources"] if s["snapshot_sha256"] != good_sha]
    body = snapshots.resolve(dossier.snapshots, f"amchepry/{PRESS}",
                             bad["snapshot_sha256"], (snapshots.versions_for(dossier.db),))
    assert b"Page not found" in body
    assert all(r["path"] for r in cited_snapshots(sqlite_utils.Database(dossier.db)))


def test_the_broken_finding_resolves_when_the_page_is_back(dossier):
    original = dossier.snapshot(PRESS).read_bytes()
    dossier.audit("-q")
    before = state(dossier)
    replace_page(dossier, NOT_FOUND)
    dossier.audit("-q")
    [broken] = findings_of(dossier.db, rule="source_broken")
    dossier.snapshot(PRESS).write_bytes(original)
    dossier.audit("-q")
    after = state(dossier)
    assert after[broken["id"]] == "resolved"
    assert {i: s for i, s in after.items() if i != broken["id"]} == before


def test_a_second_broken_audit_counts_the_streak(dossier):
    dossier.audit("-q")
    replace_page(dossier, NOT_FOUND)
    dossier.audit("-q")
    replace_page(dossier, NOT_FOUND.replace("moved or deleted", "moved, renamed or deleted"))
    dossier.audit("-q")
    [broken] = findings_of(dossier.db, rule="source_broken")
    assert broken["status"] == "open"
    assert "broken 2 times in a row" in broken["message"], broken["message"]


def test_a_document_that_no_longer_names_the_subject_is_broken(dossier):
    dossier.audit("-q")
    before = state(dossier)
    replace_page(dossier, OTHER_RELEASE)
    dossier.audit("-q")
    changed = {i for i, s in state(dossier).items() if before.get(i) != s}
    [broken] = [f for f in findings_of(dossier.db) if f["id"] in changed]
    assert broken["rule"] == "source_broken"
    assert "no longer names the subject" in broken["message"]
    assert "Notice of Change of Representative" in broken["message"]


def add_selectors(dossier, selectors: str) -> None:
    text = dossier.config.read_text(encoding="utf-8")
    entry = 'snapshot = "amchepry/sumitomo-press-release-approval.html"'
    dossier.config.write_text(text.replace(entry, f"{entry}\nselectors = {selectors}"),
                              encoding="utf-8")


def test_a_selector_that_matched_before_and_matches_nothing_now_is_broken(dossier):
    add_selectors(dossier, '{ approval = "div.news-body p", title = "h1.news-title" }')
    dossier.audit("-q")
    claims = store.open_db(dossier.db).execute(
        "select field, value from current_claims where source = 'sumitomo-press'").fetchall()
    assert ("approval", None) not in claims and any(f == "approval" for f, _ in claims)
    before = state(dossier)
    dossier.edit(PRESS, 'class="news-body"', 'class="release-text"')  # the site was redesigned
    dossier.audit("-q")
    changed = {i for i, s in state(dossier).items() if before.get(i) != s}
    [broken] = [f for f in findings_of(dossier.db) if f["id"] in changed]
    assert broken["rule"] == "source_broken"
    assert "css 'div.news-body p' matched nothing" in broken["message"], broken["message"]
    still = store.open_db(dossier.db).execute(
        "select field, value from current_claims where source = 'sumitomo-press'").fetchall()
    assert sorted(still) == sorted(claims)  # the last good copy's claims are still current


def test_source_broken_can_be_switched_off(dossier):
    dossier.config.write_text(dossier.config.read_text(encoding="utf-8")
                              + "\n[rules.source_broken]\nenabled = false\n", encoding="utf-8")
    dossier.audit("-q")
    replace_page(dossier, NOT_FOUND)
    dossier.audit("-q")
    assert not findings_of(dossier.db, rule="source_broken")


# --- at fetch time -----------------------------------------------------------------------


def test_a_fetch_that_brings_an_error_page_keeps_the_last_good_snapshot(dossier, fault_server):
    good = dossier.snapshot(PRESS).read_bytes()
    url = fault_server.add("/news/approval.html", good, content_type="text/html")
    text = dossier.config.read_text(encoding="utf-8")
    entry = 'snapshot = "amchepry/sumitomo-press-release-approval.html"'
    dossier.config.write_text(text.replace(entry, f'{entry}\nurl = "{url}"'), encoding="utf-8")
    config = load_config(dossier.config)
    config.fetch = fast_settings()

    def fetch():
        with make_client(config.fetch, transport=HostMap(fault_server.port)) as client:
            [result] = fetch_sources(config, client=client, progress=False,
                                     names=["sumitomo-press"])
        return result

    assert fetch().ok
    saved = dossier.snapshot(PRESS).read_bytes()
    dossier.audit("-q")
    fault_server.add("/news/approval.html", NOT_FOUND, content_type="text/html")
    first = fetch()
    assert (first.status, first.ok) == ("broken", False)
    assert "an error page" in (first.error or "") and "is kept as current" in (first.error or "")
    assert dossier.snapshot(PRESS).read_bytes() == saved  # never overwritten
    mark = snapshots.broken_mark(dossier.snapshots, f"amchepry/{PRESS}")
    assert mark and mark["count"] == 1
    assert snapshots.resolve(dossier.snapshots, f"amchepry/{PRESS}",
                             mark["sha256"]) == NOT_FOUND.encode()
    second = fetch()
    assert "2 broken fetches in a row" in (second.error or "")
    dossier.audit("-q")
    [broken] = findings_of(dossier.db, rule="source_broken")
    assert "broken 2 times in a row" in broken["message"]
    assert "last good snapshot" in broken["message"]
    fault_server.add("/news/approval.html", saved, content_type="text/html")  # it is back
    assert fetch().ok
    assert snapshots.broken_mark(dossier.snapshots, f"amchepry/{PRESS}") is None
    dossier.audit("-q")
    assert findings_of(dossier.db, rule="source_broken")[0]["status"] == "resolved"


# --- what counts as broken ---------------------------------------------------------------


@pytest.mark.parametrize(("body", "reason", "seen"), [
    (NOT_FOUND, "an error page", "Page not found"),
    (LOGIN, "a login page", "Sign in"),
    (SHELL, "an empty shell", "Sumitomo Pharma"),
    ("<html><head><title>x</title></head><body>  </body></html>", "an empty page", "x"),
    ("<html><body><h1>お探しのページは見つかりませんでした</h1></body></html>", "an error page",
     "お探しのページ"),
])
def test_error_pages_login_walls_and_empty_shells_are_recognised(body, reason, seen):
    problem = health.page_problem(Document(body.encode(), "text/html", "", "t"))
    assert problem is not None and problem.reason.startswith(reason)
    assert seen in problem.seen


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures").rglob("*.html"))
                         + sorted((ROOT / "tests/real").rglob("*.html")),
                         ids=lambda p: p.name)
def test_real_and_reconstructed_pages_are_not_taken_for_error_pages(path):
    assert health.page_problem(Document(path.read_bytes(), "text/html", "", path.name)) is None


def reading(field: str, value: object, locator: str = "p") -> Reading:
    return Reading(field=field, value=value, quote="q", locator=locator)


def test_a_sharp_fall_in_claims_is_broken_and_a_small_one_is_not():
    before = [reading(f, 1) for f in ("title", "enrollment", "phase", "status", "design")]
    assert health.claims_fell(before, before[:3]) is None  # 5 → 3: a record may lose fields
    fell = health.claims_fell(before, before[:2])
    assert fell is not None and "from 5 to 2" in fell.reason
    assert "design" in fell.seen and "status" in fell.seen
    assert health.claims_fell(before, before[:3], percent=30) is not None


def test_a_selector_that_never_matched_is_not_news():
    dead = [reading("approval", None, "css 'p.x' matched nothing (page changed?)")]
    assert health.dead_selectors([], dead) is None
    assert health.dead_selectors([reading("approval", ["conditional"])], dead) is not None


def test_a_registry_label_renamed_while_its_value_stays_is_broken_not_a_change(dossier):
    dossier.audit("-q")
    before = state(dossier)
    dossier.edit("jrct-jRCT2090220384-en.html", ">Primary Outcome(s)<", ">Main endpoint(s)<")
    dossier.audit("-q")
    changed = {i for i, s in state(dossier).items() if before.get(i) != s}
    [broken] = [f for f in findings_of(dossier.db) if f["id"] in changed]
    assert broken["rule"] == "source_broken" and about(broken, "jrct-en")
    assert "label 'Primary Outcome(s)' matched nothing" in broken["message"], broken["message"]
    assert "Safety: adverse events over 24 months" in broken["message"]


def test_a_registry_row_removed_with_its_value_is_a_change_not_a_broken_source(dossier):
    dossier.audit("-q")
    text = dossier.snapshot("jrct-jRCT2090220384-en.html").read_text(encoding="utf-8")
    start = text.index("Primary Outcome(s)")
    row_start = text.rindex("<tr", 0, start)
    row_end = text.index("</tr>", start) + len("</tr>")
    dossier.snapshot("jrct-jRCT2090220384-en.html").write_text(
        text[:row_start] + text[row_end:], encoding="utf-8")
    dossier.audit("-q")
    assert not findings_of(dossier.db, rule="source_broken")
    changed = [f for f in findings_of(dossier.db, rule="source_changed")
               if f["field"] == "primary_outcomes" and about(f, "jrct-en")]
    assert changed and "now not stated" in changed[0]["message"]


def test_a_label_check_needs_a_telling_value_still_on_the_page():
    before = [Reading(field="primary_outcomes", value=["safety"], quote="Safety: adverse events",
                      locator="table row 'Primary Outcome(s)'"),
              Reading(field="enrollment", value=7, quote="7",
                      locator="table row 'Target Sample Size'")]
    relabelled = "Main endpoint(s) Safety: adverse events Planned size 7"
    assert health.dead_labels(before, [], relabelled) is not None
    assert health.dead_labels(before[1:], [], relabelled) is None  # "7" proves nothing
    assert health.dead_labels(before, [], "Primary Outcome(s) Safety: adverse events") is None


def test_a_first_fetch_that_brings_an_error_page_is_broken_with_no_good_copy(tmp_path,
                                                                            fault_server):
    from auditor.audit import run_audit
    from auditor.config import Config, Settings
    from auditor.models import SourceRef, Subject

    url = fault_server.add("/news", NOT_FOUND, content_type="text/html")
    config = Config(path=tmp_path / "config.toml",
                    auditor=Settings(snapshots="snaps", database=str(tmp_path / "audit.db")),
                    fetch=fast_settings(), subjects=[Subject(id="s", name="Amchepry")],
                    sources=[SourceRef(subject="s", name="press", kind="page", url=url)])
    with make_client(config.fetch, transport=HostMap(fault_server.port)) as client:
        [result] = fetch_sources(config, client=client, progress=False)
    assert result.status == "broken"
    assert "there is no earlier snapshot of this source" in (result.error or "")
    audited = run_audit(config, store.open_db(config.database_path))
    [broken] = audited.findings
    assert broken.rule == "source_broken"
    assert "there is no good copy, so the source is not read" in broken.message
    assert audited.claims == [] and audited.broken == ["press"]
    db = store.open_db(config.database_path)
    assert db["sources"].get("press")["snapshot_sha256"] is None  # nothing good to call current
    assert all(r["path"] for r in cited_snapshots(sqlite_utils.Database(config.database_path)))
