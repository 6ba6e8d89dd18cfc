"""The command line: each command is a thin call into the library.

Exit codes: 0 no open finding at or above --fail-on; 1 some are; 2 an error (bad config,
missing or malformed snapshot, ...), in which case the database is left as it was; 3 an
internal error (a bug): one line naming the command and the file holding the full traceback.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import click

from auditor import __version__, api, store
from auditor.config import Config, load_config, require_subjects
from auditor.errors import AuditorError
from auditor.models import FIELDS, SEVERITY_ORDER, Finding
from auditor.outputs.terminal import (
    claims_table,
    comparison_table,
    findings_json,
    findings_table,
    paragraph,
    plural,
    summary_line,
)
from auditor.outputs.watch import profile_line

#: A terminal summary stays readable: field tables for a few subjects, the top findings.
SHOW_FIELDS_FOR = 3
SHOW_FINDINGS = 40


#: Exit code of an unexpected exception: distinct from 1 (findings) and 2 (input or config).
INTERNAL_ERROR = 3


class AuditorGroup(click.Group):
    """Turns AuditorError into one line on stderr and exit code 2, and any other exception
    into one line naming the command and the log holding its traceback, exit code 3: cron
    must never read a crash as "findings found"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AuditorError as e:
            click.echo(f"error: {e}", err=True)
            if ctx.meta.get("json"):  # a script reads stdout: give it an error object
                click.echo(json.dumps({"error": {"type": type(e).__name__, "message": str(e)}},
                                      ensure_ascii=False))
            sys.exit(2)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as e:
            command = " ".join(["auditor", *filter(None, [ctx.invoked_subcommand])])
            log = _log_trace(command, e)
            where = f"full traceback in {log}" if log else "no traceback file could be written"
            summary = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            click.echo(f"internal error in `{command}`: {summary[:300]}; {where}. This is a "
                       "bug: please report it with that file.", err=True)
            if ctx.meta.get("json"):
                click.echo(json.dumps({"error": {"type": "InternalError", "message": summary,
                                                 "traceback": str(log or "")}},
                                      ensure_ascii=False))
            sys.exit(INTERNAL_ERROR)


def _log_trace(command: str, error: BaseException) -> Path | None:
    """Write the traceback to a file in the user's cache folder (else the temp folder)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = (f"{command} (argv: {sys.argv!r})\n"
            + "".join(traceback.format_exception(error)))
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    for folder in (Path(cache) / "auditor", Path(tempfile.gettempdir()) / "auditor"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{stamp}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """--json was given: an error is then printed as JSON on stdout too (ctx.meta is shared)."""
    ctx.meta["json"] = ctx.meta.get("json") or value
    return value


@click.group(cls=AuditorGroup)
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Check that trial registries, papers, regulators and companies tell the same story."""


def _config(path: str) -> Config:
    return load_config(path)


config_option = click.option("--config", "config_path", default="config.toml",
                             show_default=True, type=click.Path(dir_okay=False),
                             help="The config file naming subjects and their sources.")


@cli.command()
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="SQLite database to write (default: [auditor] database in config).")
@click.option("--offline/--fetch", default=True, show_default=True,
              help="Replay saved snapshots (default) or fetch every source first.")
@click.option("--fail-on", type=click.Choice(list(SEVERITY_ORDER)),
              help="Exit 1 when an open finding is at or above this severity "
                   "(default: [auditor] fail_on in config).")
@click.option("--new-only", is_flag=True,
              help="Count only findings that are new in this run for the exit code (cron).")
@click.option("--subject", "subjects", multiple=True, help="Audit only this subject.")
@click.option("--json", "as_json", is_flag=True, callback=_remember_json,
              help="Print findings as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (cron).")
@click.option("--digest", type=click.Path(dir_okay=False),
              help="Write what is new and resolved since the last run to this Markdown file "
                   "(for cron to mail).")
@click.option("--wait", type=float, default=0, show_default=True, metavar="SECONDS",
              help="If another audit holds the database's lock, wait this long for it "
                   "(0: exit 2 at once).")
def audit(config_path: str, db_path: str | None, offline: bool, fail_on: str | None,
          new_only: bool, subjects: tuple[str, ...], as_json: bool, quiet: bool,
          digest: str | None, wait: float) -> None:
    """Audit every subject in config.toml and record findings in SQLite."""
    config = load_config(config_path)
    require_subjects(config)
    db = db_path or config.database_path
    result = api.audit(config, db, fetch=not offline, subjects=list(subjects) or None,
                       keep_claims=as_json, wait=wait, progress=None if not quiet else False)
    if digest:
        Path(digest).write_text(api.digest(db, result.run.id), encoding="utf-8")
    threshold = SEVERITY_ORDER[fail_on or config.auditor.fail_on]
    counted = [f for f in result.findings if not new_only or f.id in result.new]
    failing = [f for f in counted if SEVERITY_ORDER[f.severity] >= threshold]
    if as_json:
        click.echo(json.dumps(findings_json(result.findings, result.claims), indent=2,
                              ensure_ascii=False, default=str))
    elif not quiet:
        if len(result.subjects) <= SHOW_FIELDS_FOR:
            for subject in result.subjects:
                click.echo(comparison_table([c for c in result.comparisons
                                             if c.subject == subject]))
                profile = profile_line(db, subject)
                if profile:
                    click.echo(paragraph(f"{subject} {profile}"))
                click.echo()
        shown = sorted(result.findings, key=lambda f: (f.id not in result.new,
                                                        -SEVERITY_ORDER[f.severity]))
        click.echo(findings_table(shown[:SHOW_FINDINGS], new=set(result.new)))
        if len(shown) > SHOW_FINDINGS:
            click.echo(f"… and {len(shown) - SHOW_FINDINGS} more: `auditor findings`, "
                       "`auditor report SUBJECT` or `auditor serve` list them all")
        click.echo()
        click.echo(paragraph(summary_line(result, db)))
    sys.exit(1 if failing else 0)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, callback=_remember_json,
              help='Print {"findings": [...], "claims": [...]} (shape documented in README).')
@click.option("--fail-on", type=click.Choice(list(SEVERITY_ORDER)), default="medium",
              show_default=True, help="Exit 1 when a finding is at or above this severity.")
@click.option("--config", "config_path", default="config.toml", show_default=True,
              type=click.Path(dir_okay=False),
              help="Used, if it exists, for fetch settings and the snapshot folder when an "
                   "identifier is given.")
def compare(sources: tuple[str, ...], as_json: bool, fail_on: str, config_path: str) -> None:
    """Compare snapshot files (PATH, or KIND:PATH when the format is ambiguous), or give one
    identifier (DOI, PMID, NCT or jRCT id) to fetch the paper and its registrations, or the
    registration and its papers, and compare them: no config needed."""
    config = load_config(config_path) if Path(config_path).exists() else None
    result = api.compare(*sources, config=config)
    claims, findings, comparisons = result.claims, result.findings, result.comparisons
    if result.fetched and not as_json:
        click.echo(f"fetched {', '.join(result.fetched)} → {result.snapshot_folder}")
    for failure in result.failed:
        click.echo(f"not compared: {failure}", err=True)
    if as_json:
        click.echo(json.dumps(findings_json(findings, claims), indent=2, ensure_ascii=False,
                              default=str))
    elif len({c.source for c in claims}) == 1 and not result.fetched:
        click.echo(claims_table(claims))  # one file: what that source says
        if findings:
            click.echo()
            click.echo(findings_table(findings))
    else:
        click.echo(comparison_table(comparisons))
        click.echo()
        click.echo(findings_table(findings))
    sys.exit(1 if any(SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on]
                      for f in findings) else 0)


@cli.command("findings")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False))
@click.option("--status", type=click.Choice(["open", "dismissed", "confirmed", "contested",
                                            "resolved", "all"]), default="open",
              show_default=True,
              help="open: current and not dismissed (open, confirmed or contested); a review "
                   "status; resolved; or all.")
@click.option("--subject", default=None)
@click.option("--json", "as_json", is_flag=True, callback=_remember_json)
def findings_cmd(config_path: str, db_path: str | None, status: str, subject: str | None,
                 as_json: bool) -> None:
    """List findings recorded in the database."""
    path = db_path or _config(config_path).database_path
    if not Path(path).exists():
        raise AuditorError(f"{path}: no audit database yet; run `auditor audit` first")
    rows = store.findings(store.open_db(path), status=None if status == "all" else status,
                          subject=subject)
    if as_json:
        click.echo(json.dumps({"findings": rows}, indent=2, ensure_ascii=False, default=str))
        return
    states = {r["id"]: _review_state(r) for r in rows if r["review"] or r["status"] != "open"}
    click.echo(findings_table([Finding(**{k: r[k] for k in Finding.model_fields})
                               for r in rows], reviews=states))


def _review_state(row: dict[str, Any]) -> str:
    """'dismissed by ana: duplicate of …' for the findings table."""
    review = row["review"]
    if not review:
        return str(row["status"])
    text = f"{row['status']}" + (f", last review {review['decision']} by {review['reviewer']}"
                                 if review["decision"] != row["status"] else
                                 f" by {review['reviewer']}")
    return text + (f": {review['note']}" if review["note"] else "")


@cli.command()
@click.argument("subject")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, callback=_remember_json)
def history(subject: str, config_path: str, db_path: str | None, as_json: bool) -> None:
    """What changed for one subject, run by run: findings opened, reopened and resolved."""
    path = db_path or _config(config_path).database_path
    if not Path(path).exists():
        raise AuditorError(f"{path}: no audit database yet; run `auditor audit` first")
    db = store.open_db(path)
    store.subject_row(db, subject)  # an unknown subject is an error (exit 2), as for `report`
    rows = store.history(db, subject)
    if as_json:
        click.echo(json.dumps({"subject": subject, "events": rows}, indent=2,
                              ensure_ascii=False))
        return
    if not rows:
        click.echo(f"no history for {subject!r}")
    for r in rows:
        click.echo(f"{r['started_at']}  {r['event']:9} {r['severity']:6} {r['field']:20} "
                   f"{r['message']}")


@cli.command()
def fields() -> None:
    """Print the field vocabulary used in claims, findings and the database."""
    for name, text in FIELDS.items():
        click.echo(f"{name:24} {text}")


@cli.command()
@config_option
@click.option("--source", "names", multiple=True, metavar="NAME",
              help="Fetch only this source (repeatable); default: every source with a url "
                   "or identifier.")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures, no progress bar (cron).")
def fetch(config_path: str, names: tuple[str, ...], quiet: bool) -> None:
    """Fetch sources into snapshots. Exit 0 if all fetched, 1 if some failed."""
    from auditor.acquire.fetch import summary_line as fetch_line

    config = load_config(config_path)
    require_subjects(config)
    results = api.fetch(config, names=list(names) or None,
                        progress=False if quiet else None)
    for result in results:
        if not quiet or not result.ok:
            click.echo(fetch_line(result), err=quiet)
    sys.exit(0 if all(r.ok for r in results) else 1)


def _existing_db(config_path: str, db_path: str | None) -> Path:
    path = Path(db_path or _config(config_path).database_path)
    if not path.exists():
        raise AuditorError(f"{path}: no audit database yet; run `auditor audit` first")
    return path


@cli.command()
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="The audit database (default: [auditor] database in config).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--immutable", is_flag=True,
              help="Open the database immutable (datasette -i): faster, but audits run while "
                   "serving are not seen until restart.")
@click.option("--print-command", is_flag=True,
              help="Print the plain `datasette` command that does the same, and exit.")
def serve(config_path: str, db_path: str | None, host: str, port: int, immutable: bool,
          print_command: bool) -> None:
    """Browse findings in Datasette, read-only, with the shipped metadata and views."""
    import shlex
    import signal
    import subprocess
    import tempfile

    from auditor.store.views import (
        METADATA_DATABASE,
        METADATA_PATH,
        create_views,
        datasette_args,
        metadata_for,
    )

    path = _existing_db(config_path, db_path)
    if print_command:
        if path.stem != METADATA_DATABASE:
            click.echo(f"note: metadata.json describes a database named {METADATA_DATABASE!r}; "
                       f"name the file {METADATA_DATABASE}.db or use `auditor serve`", err=True)
        click.echo(shlex.join(["datasette", *datasette_args(path, METADATA_PATH, host=host,
                                                            port=port, immutable=immutable)]))
        return
    create_views(store.open_db(path))
    with tempfile.TemporaryDirectory(prefix="auditor-serve-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(metadata_for(path), ensure_ascii=False), encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "datasette",
                                 *datasette_args(path, metadata, host=host, port=port,
                                                 immutable=immutable)])
        signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            code = proc.wait()
    sys.exit(code)


@cli.command("report")
@click.argument("subject")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="The audit database (default: [auditor] database in config).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md",
              show_default=True, help="Markdown for a briefing, or a standalone HTML page.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to this file instead of stdout.")
def report_cmd(subject: str, config_path: str, db_path: str | None, fmt: str,
               output: str | None) -> None:
    """A report on one subject: fields by source, findings with quotes, and the gaps."""
    text = api.report(_existing_db(config_path, db_path), subject, fmt)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@cli.command()
@click.argument("kind", type=click.Choice(["ctgov"]))
@click.option("--query.term", "--query-term", "query_term", help="Search: query.term.")
@click.option("--query.intr", "--query-intr", "query_intr", help="Search: query.intr.")
@click.option("--query.spons", "--query-spons", "query_spons", help="Search: query.spons.")
@click.option("--query.cond", "--query-cond", "query_cond", help="Search: query.cond.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Any other search parameter, e.g. filter.overallStatus=RECRUITING.")
@click.option("--archive", type=click.Path(dir_okay=False),
              help="Import the JSON download (ctg-studies.json.zip) instead of searching.")
@click.option("--page-size", default=100, show_default=True, type=int,
              help="Studies per page (search) or per committed batch (archive).")
@click.option("--max-pages", type=int, help="Stop after this many pages or batches this run.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for the snapshots: OUT/ctgov/NCT….json, manifest and checkpoint.")
@click.option("--db", "db_path", default="audit.db", show_default=True,
              type=click.Path(dir_okay=False), help="SQLite database to write claims to.")
@click.option("--restart", is_flag=True,
              help="Ignore the checkpoint in OUT and start from the beginning.")
@config_option
@click.option("--quiet", "-q", is_flag=True, help="Print only problems (no progress bar).")
@click.option("--wait", type=float, default=0, show_default=True, metavar="SECONDS",
              help="If an audit (or another import) holds the database's lock, wait this long "
                   "for it (0: exit 2 at once).")
def bulk(kind: str, query_term: str | None, query_intr: str | None, query_spons: str | None,
         query_cond: str | None, params: tuple[str, ...], archive: str | None, page_size: int,
         max_pages: int | None, out: str, db_path: str, restart: bool, config_path: str,
         quiet: bool, wait: float) -> None:
    """Stream a whole registry query (or its bulk download) into snapshots and claims,
    resumably: re-run the same command after an interruption to go on where it stopped.
    Exit 0 when done, 1 if malformed studies were skipped, 2 on an error."""
    from auditor.acquire import bulk as bulk_import
    from auditor.acquire.fetch import BASES
    from auditor.acquire.http import make_client
    from auditor.lock import require_folder

    progress = not quiet and sys.stderr.isatty()
    require_folder(db_path)
    db = store.open_db(db_path)
    if archive:
        result = bulk_import.archive(Path(archive), Path(out), db, batch_size=page_size,
                                     max_pages=max_pages, restart=restart, progress=progress,
                                     wait=wait)
    else:
        query = {k: v for k, v in (("query.term", query_term), ("query.intr", query_intr),
                                   ("query.spons", query_spons), ("query.cond", query_cond))
                 if v}
        for param in params:
            key, sep, value = param.partition("=")
            if not sep or not key:
                raise AuditorError(f"--param {param!r}: give KEY=VALUE, e.g. "
                                   "filter.overallStatus=RECRUITING")
            query[key] = value
        config = load_config(config_path) if Path(config_path).exists() else Config()
        base = {**BASES, **config.fetch.bases}["ctgov"]
        with make_client(config.fetch) as client:
            result = bulk_import.search(client, query, Path(out), db, page_size=page_size,
                                        max_pages=max_pages, restart=restart, base=base,
                                        progress=progress, wait=wait)
    if result.done and not result.this_run:
        click.echo(f"{out}: this import is already complete; pass --restart to run it again",
                   err=True)
    if not quiet or result.malformed:
        click.echo(result.summary(), err=quiet)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("finding_id")
@click.option("--dismiss", "decision", flag_value="dismissed",
              help="Not a real problem: no longer reported or counted while its evidence is "
                   "unchanged.")
@click.option("--confirm", "decision", flag_value="confirmed", help="Checked and real.")
@click.option("--contest", "decision", flag_value="contested",
              help="Disputed (by a sponsor, an author...): still reported.")
@click.option("--reopen", "decision", flag_value="reopened", help="Undo a review: open again.")
@click.option("--note", help="Why (required except with --reopen): kept with the review.")
@click.option("--by", "reviewer", help="Who reviews (default: the login name).")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="The audit database (default: [auditor] database in config).")
@click.option("--json", "as_json", is_flag=True, callback=_remember_json,
              help="Print the review recorded as JSON.")
def review(finding_id: str, decision: str | None, note: str | None, reviewer: str | None,
           config_path: str, db_path: str | None, as_json: bool) -> None:
    """Review a finding (its id, or 6+ leading characters of it): dismiss, confirm, contest or
    reopen it, with a note. The review holds over later audits while the finding's values and
    snapshots are unchanged; when they change, the finding reopens and says so."""
    import getpass

    if not decision:
        raise AuditorError(f"review {finding_id}: say what to do: --dismiss, --confirm, "
                           "--contest or --reopen")
    if decision != "reopened" and not (note or "").strip():
        raise AuditorError(f"review {finding_id}: give --note TEXT saying why it is {decision}")
    row = api.review(_existing_db(config_path, db_path), finding_id, decision, note,
                     reviewer or getpass.getuser())
    if as_json:
        click.echo(json.dumps({"review": row}, indent=2, ensure_ascii=False))
        return
    click.echo(f"{row['finding_id']}: {row['decision']} by {row['reviewer']} "
               f"({row['reviewed_at']}); status now {row['status']}")


@cli.command()
@click.argument("finding_id")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The zip file to write.")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="The audit database (default: [auditor] database in config).")
def evidence(finding_id: str, output: str, config_path: str, db_path: str | None) -> None:
    """Write a finding's evidence (its id, or 6+ leading characters) as a zip for a
    fact-checker: the finding as JSON, the exact bytes of every snapshot it cites (named by
    sha256) and their manifest entries."""
    config = _config(config_path)
    done = api.evidence(config, _existing_db(config_path, db_path), finding_id, output)
    click.echo(f"{done['finding_id']}: {plural(len(done['snapshots']), 'snapshot')} → "
               f"{done['output']}")


if __name__ == "__main__":
    cli()
