"""The Datasette plugin shipped with auditor (entry point group `datasette`), so a plain
`datasette audit.db` opens on findings: a findings page (severity badges, message, both sides'
values and quotes, review state), a page per finding (every quote, locator, snapshot hash and a
link to the page a person reads), and a page per subject (a sources × fields matrix and a
timeline drawn as SVG). It also brings the shipped metadata, folds the column help on table
pages, and renders severities, finding ids and source URLs in every table.

Render, never judge: every value comes from the store (`auditor.store.pages`), read on
Datasette's read-only connections.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from auditor.models import SEVERITY_ORDER
from auditor.outputs.datasette_plugin.links import human_url, label, record_links
from auditor.outputs.datasette_plugin.timeline import timeline_svg
from auditor.store import pages
from auditor.store.reviews import OPEN
from auditor.store.views import METADATA_DATABASE, METADATA_PATH

#: The name Datasette gives this plugin's static folder (the distribution's name).
PLUGIN = "auditor"
PAGE_SIZE = 50
STATUSES = ("open", "confirmed", "contested", "dismissed", "resolved", "all")
#: Columns holding a value as JSON, shown as text (the JSON stays in the cell's title).
JSON_VALUE_COLUMNS = {"open_findings": ("value_a", "value_b"),
                      "finding_sources": ("value",), "finding_quotes": ("value",),
                      "claims": ("value",), "current_claims": ("value",)}
URL_COLUMNS = {"url", "url_a", "url_b", "registry_url", "publication_url", "final_url"}


def _audit_databases(datasette: Any) -> list[str]:
    return list(getattr(datasette, "_auditor_databases", []))


@hookimpl
def startup(datasette: Any) -> Callable[[], Any]:
    async def find_audit_databases() -> None:
        found = []
        for name, db in datasette.databases.items():
            if name.startswith("_"):
                continue
            try:
                if await db.execute_fn(lambda conn: pages.is_audit_db(sqlite_utils.Database(conn))):
                    found.append(name)
            except sqlite3.Error:
                continue
        datasette._auditor_databases = found
    return find_audit_databases


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None
                 ) -> dict[str, Any]:
    """The shipped metadata (titles, column help, facets, canned queries) for every audit
    database, whatever its file is called; `--metadata` given to Datasette takes precedence."""
    names = _audit_databases(datasette)
    if not names:
        return {}
    meta = _shipped_metadata()
    described = meta["databases"][METADATA_DATABASE]
    return {**{k: v for k, v in meta.items() if k != "databases"},
            "databases": {name: described for name in names}}


def _shipped_metadata() -> dict[str, Any]:
    cached = getattr(_shipped_metadata, "cache", None)
    if cached is None:
        cached = json.loads(Path(METADATA_PATH).read_text(encoding="utf-8"))
        _shipped_metadata.cache = cached  # type: ignore[attr-defined]
    return cached


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.static_plugins(PLUGIN, "auditor.css")]


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Any]]]:
    return [
        (r"^/-/findings$", first_findings),
        (r"^/(?P<database>[^/]+)/-/findings$", findings_page),
        (r"^/(?P<database>[^/]+)/-/findings/(?P<finding_id>[0-9a-f]{6,64})$", finding_page),
        (r"^/(?P<database>[^/]+)/-/subjects/(?P<subject>[^/]+)$", subject_page),
    ]


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> dict[str, Any] | Callable[..., Any]:
    if template != "index.html":
        return {}

    async def overview() -> dict[str, Any]:
        out = []
        for name in _audit_databases(datasette):
            db = datasette.get_database(name)
            counts, subjects = await db.execute_fn(lambda conn: (
                pages.status_counts(sqlite_utils.Database(conn)),
                pages.subjects_list(sqlite_utils.Database(conn))))
            out.append({"name": name, "counts": counts, "subjects": subjects,
                        "open": sum(counts.get(s, 0) for s in OPEN)})
        return {"auditor_overview": out}
    return overview


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if database not in _audit_databases(datasette) or value is None or table is None:
        return None
    if column == "severity" and value in SEVERITY_ORDER:
        return badge(str(value))
    if column == "finding_id" or (column == "id" and table == "findings"):
        return Markup(f'<a href="{finding_url(datasette, database, str(value))}">'
                      f"{escape(value)}</a>")
    if column in URL_COLUMNS and isinstance(value, str) and value.startswith("http"):
        return link(value)
    if column in JSON_VALUE_COLUMNS.get(table, ()) and isinstance(value, str):
        try:
            return Markup(f'<span title="{escape(value)}">{escape(value_text(json.loads(value)))}'
                          "</span>")
        except ValueError:
            return None
    return None


# --- helpers the templates use ----------------------------------------------------------------

def badge(severity: str) -> Markup:
    return Markup(f'<span class="auditor-badge sev-{escape(severity)}">{escape(severity)}</span>')


def link(url: str | None) -> Markup:
    """A link to the page a person reads for this source URL."""
    page = human_url(url)
    if not page:
        return Markup("")
    return Markup(f'<a href="{escape(page)}" title="{escape(url)}">{escape(label(page))}</a>')


def finding_url(datasette: Any, database: str, finding_id: str) -> str:
    return datasette.urls.database(database) + f"/-/findings/{finding_id}"


def subject_url(datasette: Any, database: str, subject: str) -> str:
    return datasette.urls.database(database) + f"/-/subjects/{subject}"


def value_text(value: Any) -> str:
    """A side's value as stored JSON, shown plainly (None: not stated)."""
    if value is None:
        return "not stated"
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# --- the pages --------------------------------------------------------------------------------

async def _audit_db(datasette: Any, request: Any) -> tuple[str, Any]:
    name = request.url_vars["database"]
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    if name not in _audit_databases(datasette):
        raise NotFound(f"{name} is not an audit database (no findings table); "
                       "run `auditor audit` to write one")
    return name, datasette.get_database(name)


async def _render(datasette: Any, request: Any, template: str, context: dict[str, Any]
                  ) -> Response:
    helpers = {"badge": badge, "link": link, "value_text": value_text,
               "finding_url": lambda db, fid: finding_url(datasette, db, fid),
               "subject_url": lambda db, s: subject_url(datasette, db, s),
               "states": pages.CELL_STATES}
    return Response.html(await datasette.render_template(template, {**helpers, **context},
                                                         request=request))


async def first_findings(datasette: Any, request: Any) -> Response:
    names = _audit_databases(datasette)
    if not names:
        raise NotFound("no audit database is open; run `auditor audit`, then "
                       "`datasette audit.db`")
    return Response.redirect(datasette.urls.database(names[0]) + "/-/findings")


async def findings_page(datasette: Any, request: Any) -> Response:
    name, db = await _audit_db(datasette, request)
    status = request.args.get("status") or "open"
    if status not in STATUSES:
        status = "open"
    severity = request.args.get("severity") or None
    if severity not in SEVERITY_ORDER:
        severity = None
    subject = request.args.get("subject") or None
    try:
        page = max(int(request.args.get("page") or 1), 1)
    except ValueError:
        page = 1
    rows, total = await db.execute_fn(lambda conn: pages.findings_list(
        sqlite_utils.Database(conn), status=status, subject=subject, severity=severity,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))
    counts = await db.execute_fn(lambda conn: pages.status_counts(sqlite_utils.Database(conn)))
    # What each status link lists: "open" is every current finding not dismissed.
    counts = {**counts, "open": sum(counts.get(s, 0) for s in OPEN),
              "all": sum(counts.values())}

    def with_args(**changes: Any) -> str:
        args = {"status": status, "severity": severity, "subject": subject, **changes}
        query = urlencode({k: v for k, v in args.items() if v and not (k == "status"
                                                                      and v == "open")})
        return "?" + query if query else "?"
    return await _render(datasette, request, "auditor_findings.html", {
        "database": name, "findings": rows, "total": total, "status": status,
        "severity": severity, "subject": subject, "counts": counts, "page": page,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), "with_args": with_args,
        "statuses": STATUSES, "severities": sorted(SEVERITY_ORDER, key=lambda s: SEVERITY_ORDER[s],
                                                   reverse=True)})


async def finding_page(datasette: Any, request: Any) -> Response:
    name, db = await _audit_db(datasette, request)
    finding_id = request.url_vars["finding_id"]
    finding = await db.execute_fn(lambda conn: pages.finding_detail(
        sqlite_utils.Database(conn), finding_id))
    if finding is None:
        raise NotFound(f"no finding {finding_id} in {name}; the findings page lists them")
    return await _render(datasette, request, "auditor_finding.html", {
        "database": name, "f": finding,
        "details_json": json.dumps(finding["details"], indent=2, ensure_ascii=False)})


async def subject_page(datasette: Any, request: Any) -> Response:
    name, db = await _audit_db(datasette, request)
    subject = request.url_vars["subject"]
    page = await db.execute_fn(lambda conn: pages.subject_detail(
        sqlite_utils.Database(conn), subject))
    if page is None:
        raise NotFound(f"no audited subject {subject!r} in {name}")
    current = [f for f in page["findings"] if f["status"] in OPEN]
    return await _render(datasette, request, "auditor_subject.html", {
        "database": name, "s": page, "current": current,
        "others": [f for f in page["findings"] if f not in current],
        "records": record_links(page["identifiers"]), "timeline": timeline_svg(page)})
