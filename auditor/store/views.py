"""SQL views over the audit database: the questions people ask, as tables Datasette can browse.

Views hold no data, so they are recreated whenever their SQL changes (`create_views` compares
the stored SQL first and rewrites nothing when it is current: safe to call on every open, and
while Datasette is reading). The column names here are described in `metadata.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlite_utils

# "Current" claims are those of the snapshot each source had at its last successful audit;
# older snapshots' claims stay in `claims` for history.
CURRENT_CLAIMS = """
select c.rowid as claim_rowid, c.subject, c.field, c.source, c.source_kind, c.role,
       c.qualifier, c.value_text, c.value, c.unit, c.quote, c.locator, c.url,
       c.snapshot_sha256, c.id as claim_id
from claims c
join sources s on s.name = c.source and s.snapshot_sha256 = c.snapshot_sha256
"""

# What a reader needs first comes first: severity, message, both sides' values and quotes, the
# review; where (locators, URLs) and bookkeeping after.
OPEN_FINDINGS = """
select f.subject, f.severity, f.message,
       a.source as source_a, a.value as value_a, a.quote as quote_a,
       b.source as source_b, b.value as value_b, b.quote as quote_b,
       f.status, r.decision || ' by ' || r.reviewer || ' on ' || substr(r.reviewed_at, 1, 10)
           as review, r.note as review_note,
       f.field, f.kind, f.rule,
       a.locator as locator_a, a.url as url_a, b.locator as locator_b, b.url as url_b,
       (select count(*) from finding_sources n where n.finding_id = f.id) as source_count,
       f.first_seen, f.last_seen, f.severity_rank, f.id as finding_id
from findings f
left join finding_sources a on a.finding_id = f.id and a.position = 0
left join finding_sources b on b.finding_id = f.id and b.position = 1
left join reviews r on r.rowid = (select r2.rowid from reviews r2 where r2.finding_id = f.id
                                  order by r2.reviewed_at desc, r2.rowid desc limit 1)
where f.status in ('open', 'confirmed', 'contested')
order by f.subject, f.severity_rank desc, f.field, f.rule
"""

# One line per claim: "source: value (qualifier)"; the sides are joined with " | ".
_SIDE = """
select subject, field,
       group_concat(source, ', ') as sources,
       group_concat(source || ': ' || coalesce(value_text, '?')
                    || coalesce(' (' || qualifier || ')', ''), ' | ') as vals,
       group_concat(source || ': ' || coalesce(quote, ''), ' | ') as quotes,
       min(url) as url
from (select * from current_claims where role = '{role}' order by subject, field, source)
group by subject, field
"""

REGISTRY_VS_PUBLICATION = f"""
with registry as ({_SIDE.format(role="registry")}),
publication as ({_SIDE.format(role="publication")}),
pairs as (select subject, field from registry union select subject, field from publication)
select p.subject, p.field,
       case when r.field is null then 'publication only'
            when u.field is null then 'registry only' else 'both' end as sides,
       cmp.verdict,
       r.vals as registry_values, u.vals as publication_values,
       r.sources as registry_sources, u.sources as publication_sources,
       r.quotes as registry_quotes, u.quotes as publication_quotes,
       r.url as registry_url, u.url as publication_url
from pairs p
left join registry r on r.subject = p.subject and r.field = p.field
left join publication u on u.subject = p.subject and u.field = p.field
left join comparisons cmp on cmp.subject = p.subject and cmp.field = p.field
order by p.subject, sides, p.field
"""

# Runs started in the same second are told apart by rowid, the order they were written in.
CHANGES_SINCE_PREVIOUS_RUN = """
with latest as (select id, started_at, rowid as n from runs where status = 'ok'
                order by started_at desc, rowid desc limit 1)
select e.run_id,
       (select r.id from runs r, latest l where r.status = 'ok' and r.rowid < l.n
        order by r.started_at desc, r.rowid desc limit 1) as previous_run,
       e.at, e.event, f.subject, f.severity, f.severity_rank, f.field, f.rule, f.kind,
       f.message, f.status, f.id as finding_id
from finding_events e
join latest on latest.id = e.run_id
join findings f on f.id = e.finding_id
order by e.event, f.severity_rank desc, f.subject, f.field
"""

# A source's state is its latest audit's outcome: failing (its fetch failed; it clears on
# the next good fetch), broken (an error page or a dead selector; its last good snapshot is
# read) or ok.
SOURCE_FRESHNESS = """
with latest as (
  select sr.source, sr.outcome, sr.error from source_runs sr join runs r on r.id = sr.run_id
  where r.rowid = (select max(r2.rowid) from source_runs sr2 join runs r2 on r2.id = sr2.run_id
                   where sr2.source = sr.source))
select s.name as source, s.subject, s.kind, s.role, s.url,
       case when s.failing_since is not null then 'failing'
            when l.outcome = 'broken' then 'broken' else 'ok' end as state,
       case when s.failing_since is not null then s.last_error
            when l.outcome = 'broken' then l.error end as state_detail,
       s.last_fetched, s.last_changed, s.failing_since, s.last_error,
       cast(julianday('now') - julianday(s.last_fetched) as integer) as days_since_fetched,
       l.outcome as last_outcome,
       sn.provenance, sn.retrieved_at, sn.media_type, sn.note as snapshot_note,
       s.snapshot_path, s.snapshot_sha256
from sources s
left join latest l on l.source = s.name
left join snapshots sn on sn.sha256 = s.snapshot_sha256
order by s.failing_since is null, l.outcome is not 'broken', s.subject, s.name
"""

# Every quote of every finding, with the finding it supports: the full-text searchable view.
FINDING_QUOTES = """
select fs.rowid as quote_rowid, f.subject, f.severity, f.status, f.field, f.rule,
       f.message, fs.position, fs.source, fs.kind as source_kind, fs.value, fs.quote,
       fs.locator, fs.url, f.id as finding_id
from finding_sources fs
join findings f on f.id = fs.finding_id
order by f.subject, f.severity_rank desc, f.id, fs.position
"""

# The amendment rules (rules/amendments.py): findings between two versions of one record.
AMENDMENT_RULES = ("primary_outcome_amended", "enrollment_amended", "completion_date_slipped",
                   "status_backwards")

# Each amendment with the two versions it compares (numbers, dates, quotes).
AMENDMENTS = f"""
select f.subject, f.severity, f.field, f.rule, f.message,
       json_extract(f.details, '$.versions[0]') as version_before,
       json_extract(f.details, '$.dates[0]') as date_before,
       json_extract(f.details, '$.versions[1]') as version_after,
       json_extract(f.details, '$.dates[1]') as date_after,
       a.quote as quote_before, b.quote as quote_after, a.url as url_before, b.url as url_after,
       f.status, f.severity_rank, f.id as finding_id
from findings f
left join finding_sources a on a.finding_id = f.id and a.position = 0
left join finding_sources b on b.finding_id = f.id and b.position = 1
where f.rule in {AMENDMENT_RULES!r} and f.status in ('open', 'confirmed', 'contested')
order by f.subject, date_after, f.severity_rank desc, f.field
"""

# A trial's registry timeline: every version, what it said, and the amendments it made.
REGISTRY_TIMELINE = """
select v.subject, v.registry_id, v.version, v.date, v.status, v.module_labels,
       v.primary_outcomes, v.enrollment, v.enrollment_type, v.start_date,
       v.primary_completion, v.results_posted,
       (select count(*) from amendments a where a.subject = v.subject
        and a.version_after = v.version and a.url_after = v.url) as amendments,
       (select group_concat(a.severity || ': ' || a.message, ' | ') from amendments a
        where a.subject = v.subject and a.version_after = v.version and a.url_after = v.url)
        as amendment_messages,
       v.source, v.url, v.snapshot_sha256
from registry_versions v
order by v.subject, v.registry_id, v.version
"""

# Order matters: a view must exist before a view that selects from it.
VIEWS: dict[str, str] = {
    "current_claims": CURRENT_CLAIMS,
    "open_findings": OPEN_FINDINGS,
    "registry_vs_publication": REGISTRY_VS_PUBLICATION,
    "changes_since_previous_run": CHANGES_SINCE_PREVIOUS_RUN,
    "amendments": AMENDMENTS,
    "registry_timeline": REGISTRY_TIMELINE,
    "source_freshness": SOURCE_FRESHNESS,
    "finding_quotes": FINDING_QUOTES,
}


def _statement(name: str, sql: str) -> str:
    return f"CREATE VIEW {name} AS {sql.strip()}"


def create_views(db: sqlite_utils.Database) -> list[str]:
    """Create or update the views; returns the names (re)written, [] when all were current."""
    stored = {r[0]: r[1] for r in db.execute(
        "select name, sql from sqlite_master where type = 'view'")}
    stale = [name for name, sql in VIEWS.items() if stored.get(name) != _statement(name, sql)]
    if not stale:
        return []
    # A changed view may be used by a later one: rewrite from the first stale one onwards.
    names = list(VIEWS)
    rewrite = names[min(names.index(n) for n in stale):]
    with db.atomic():
        for name in reversed(rewrite):
            db.execute(f"DROP VIEW IF EXISTS {name}")
        for name in rewrite:
            db.execute(_statement(name, VIEWS[name]))
    return rewrite


# --- Serving with Datasette -------------------------------------------------------------------

METADATA_PATH = Path(__file__).parent.parent / "outputs" / "metadata.json"
#: The database name metadata.json describes; Datasette names a database after its file stem.
METADATA_DATABASE = "audit"


def metadata_for(db_path: str | Path) -> dict[str, Any]:
    """The shipped metadata, keyed on this database's name (Datasette uses the file stem)."""
    meta = json.loads(METADATA_PATH.read_text(encoding="utf-8"))
    name = Path(db_path).stem
    if name != METADATA_DATABASE:
        meta["databases"] = {name: meta["databases"][METADATA_DATABASE]}
    return meta


def datasette_args(db_path: str | Path, metadata: str | Path = METADATA_PATH, *,
                   host: str = "127.0.0.1", port: int = 8001, immutable: bool = False
                   ) -> list[str]:
    """`datasette serve` arguments. Immutable (-i) is fastest but misses later audits; the
    default opens the file with read-only connections (mode=ro), so each audit shows at once."""
    db = ["-i", str(db_path)] if immutable else [str(db_path)]
    return ["serve", *db, "--metadata", str(metadata), "--host", host, "--port", str(port)]
