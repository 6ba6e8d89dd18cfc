"""The command line: each command is a thin call into the library.

Exit codes: 0 no open finding at or above --fail-on; 1 some are; 2 an error (bad config,
missing or malformed snapshot, ...), in which case the database is left as it was; 3 an
internal error (a bug): one line naming the command and the file holding the full traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, NamedTuple

import click

from auditor import __version__, api, store
from auditor.config import Config, find_config, load_config, require_subjects
from auditor.errors import AuditorError
from auditor.models import FIELDS, SEVERITY_ORDER, Finding
from auditor.outputs.formats import FORMATS, VERSION, findings_document, flat_finding, render
from auditor.outputs.terminal import (
    claims_table,
    color_wanted,
    comparison_table,
    findings_table,
    paragraph,
    plural,
    summary_line,
)
from auditor.outputs.timeline import registry_rows_text, timeline_json, timeline_text
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


def _remember_json(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """--json or --nl was given: an error is then printed as JSON on stdout too (ctx.meta is
    shared)."""
    ctx.meta["json"] = ctx.meta.get("json") or value in (True, "json", "nl")
    return value


def listing(output: bool = True, dest: str = "fmt") -> Any:
    """The options of every command that lists things: --json, --nl, --csv, --tsv (one of
    them; default: a table for people) and, with `output`, -o FILE."""
    helps = {"json": "Print one JSON document (shape in README, with a version key).",
             "nl": "Print newline-delimited JSON: one record a line.",
             "csv": "Print CSV, a header row first.", "tsv": "Print tab-separated values."}

    def decorate(f: Any) -> Any:
        if output:
            f = click.option("-o", "--output", type=click.Path(dir_okay=False),
                             help="Write to this file instead of stdout.")(f)
        for fmt in reversed(FORMATS):
            f = click.option(f"--{fmt}", dest, flag_value=fmt, callback=_remember_json,
                             help=helps[fmt])(f)
        return f
    return decorate


def _emit(text: str, output: str | None, color: bool = False) -> None:
    """Print, or write to -o FILE (UTF-8). `color`: the text's colour codes were asked for (a
    terminal, or --color), so click must not strip them."""
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False, color=color or None)


def _remember_look(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta[f"look.{param.name}"] = value
    return value


def look_options(f: Any) -> Any:
    """--wide and --color/--no-color of the commands that print tables for people; kept in
    ctx.meta (read by `_look`) so the commands' signatures stay as they are."""
    f = click.option("--color/--no-color", "color", default=None, expose_value=False,
                     callback=_remember_look,
                     help="Colour severity words (default: only on a terminal, and not when "
                          "NO_COLOR is set; this flag wins over NO_COLOR).")(f)
    return click.option("--wide", is_flag=True, expose_value=False, callback=_remember_look,
                        help="Quotes and values in full, one line a row, the table as wide "
                             "as its content (for `less -S` or a file).")(f)


class Look(NamedTuple):
    """How the terminal tables look: `wide` (--wide) and `color` (severity words coloured)."""

    wide: bool
    color: bool


def _look(output: str | None) -> Look:
    """--wide, and colour only when stdout is a terminal (never for -o FILE) unless
    --color/--no-color says otherwise."""
    meta = click.get_current_context().meta
    forced = meta.get("look.color")
    color = color_wanted(forced) if forced is not None or not output else False
    return Look(wide=bool(meta.get("look.wide")), color=color)


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
@click.option("-v", "--verbose", count=True,
              help="Show the library's log on stderr: -v what it fetches and retries, -vv "
                   "debug.")
def cli(verbose: int) -> None:
    """Check that trial registries, papers, regulators and companies tell the same story.

    \b
    First run, in an empty folder (offline, on the bundled Amchepry dossier):
      auditor init && auditor audit
    """
    log = logging.getLogger("auditor")  # each invocation sets it afresh (CliRunner reuses one)
    log.handlers = [h for h in log.handlers if not isinstance(h, _StderrHandler)]
    log.setLevel(logging.NOTSET)
    if verbose:
        log.addHandler(_StderrHandler())
        log.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The library's log lines on whatever stderr is when they are written."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _config_file(path: str | None) -> Path:
    """--config, else $AUDITOR_CONFIG, else config.toml here or in the nearest folder above."""
    return Path(path) if path else find_config()


def _config(path: str | None) -> Config:
    return load_config(_config_file(path))


config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             help="The config file naming subjects and their sources "
                                  "(default: $AUDITOR_CONFIG, else config.toml here or in the "
                                  "nearest folder above).")


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
@listing()
@look_options
@click.option("--quiet", "-q", is_flag=True,
              help="Print nothing but errors, no progress bar (cron).")
@click.option("--digest", type=click.Path(dir_okay=False),
              help="Write what is new and resolved since the last run to this Markdown file "
                   "(for cron to mail).")
@click.option("--wait", type=float, default=0, show_default=True, metavar="SECONDS",
              help="If another audit holds the database's lock, wait this long for it "
                   "(0: exit 2 at once).")
@click.option("--notify", "notify", multiple=True, metavar="URL",
              help="Send the digest to this Apprise URL (mailto://, slack://, ntfy://, "
                   "json://...) when the run opened, reopened or resolved findings; "
                   "repeatable, added to [notify] urls. A failure is reported on stderr "
                   "and does not change the exit code.")
def audit(config_path: str | None, db_path: str | None, offline: bool, fail_on: str | None,
          new_only: bool, subjects: tuple[str, ...], fmt: str | None, output: str | None,
          quiet: bool, digest: str | None, wait: float, notify: tuple[str, ...]) -> None:
    """Audit every subject in config.toml and record findings in SQLite. Exit 0: no open
    finding at or above --fail-on; 1: some; 2: an error (nothing written).

    \b
    Example:
      auditor audit --fail-on high --json -o findings.json
    """
    from auditor.config import notify_url_problem
    from auditor.outputs.notify import redact

    config = _config(config_path)
    require_subjects(config)
    for url in notify:  # checked before the audit: a typo would notify no one
        problem = notify_url_problem(url)
        if problem:
            raise AuditorError(f"--notify {redact(url)} {problem}")
    db = db_path or config.database_path
    result = api.audit(config, db, fetch=not offline, subjects=list(subjects) or None,
                       keep_claims=fmt == "json", wait=wait,
                       progress=None if not quiet else False)
    if digest:
        Path(digest).write_text(api.digest(db, result.run.id), encoding="utf-8")
    for delivery in api.notify(db, result.run.id, [*config.notify.urls, *notify]):
        if not delivery.ok:  # reported and recorded; the findings decide the exit code
            click.echo(f"warning: {delivery.line()}", err=True)
        elif not quiet and not fmt:
            click.echo(delivery.line(), err=True)
    threshold = SEVERITY_ORDER[fail_on or config.auditor.fail_on]
    counted = [f for f in result.findings if not new_only or f.id in result.new]
    failing = [f for f in counted if SEVERITY_ORDER[f.severity] >= threshold]
    if fmt:
        stored = {r["id"]: r for r in api.findings(db, status="all",
                                                   subjects=result.subjects)}
        doc = findings_document(result.findings, stored=stored,
                                claims=result.claims if fmt == "json" else None)
        _emit(render(fmt, doc["findings"], document=doc, flat=flat_finding), output)
    elif not quiet or output:
        look = _look(output)
        lines: list[str] = []
        if len(result.subjects) <= SHOW_FIELDS_FOR:
            for subject in result.subjects:
                lines.append(comparison_table([c for c in result.comparisons
                                               if c.subject == subject], wide=look.wide))
                profile = profile_line(db, subject)
                if profile:
                    lines.append(paragraph(f"{subject} {profile}", wide=look.wide))
                lines.append("")
        shown = sorted(result.findings, key=lambda f: (f.id not in result.new,
                                                        -SEVERITY_ORDER[f.severity]))
        lines.append(findings_table(shown[:SHOW_FINDINGS], new=set(result.new),
                                    wide=look.wide, color=look.color))
        if len(shown) > SHOW_FINDINGS:
            lines.append(f"… and {len(shown) - SHOW_FINDINGS} more: `auditor findings`, "
                         "`auditor report SUBJECT` or `auditor serve` list them all")
        lines += ["", paragraph(summary_line(result, db), wide=look.wide)]
        _emit("\n".join(lines) + "\n", output, look.color)
    sys.exit(1 if failing else 0)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@listing()
@look_options
@click.option("--fail-on", type=click.Choice(list(SEVERITY_ORDER)), default="medium",
              show_default=True, help="Exit 1 when a finding is at or above this severity.")
@click.option("--save", "save", metavar="SUBJECT",
              help="Keep this comparison as a new subject in config.toml (fetched snapshots "
                   "or the files go to its snapshot folder).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Used, if found, for fetch settings and the snapshot folder when an "
                   "identifier is given (default: as for audit); needed for --save.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
              help="Compare papers with the registry version in force on this date (default: "
                   "the last version before the trial started).")
@click.option("--history/--no-history", default=True, show_default=True,
              help="Fetch a ClinicalTrials.gov record's change history (each version once) "
                   "and judge its amendments.")
def compare(sources: tuple[str, ...], fmt: str | None, output: str | None, fail_on: str,
            save: str | None, config_path: str | None, as_of: str | None,
            history: bool) -> None:
    """Compare snapshot files (PATH, or KIND:PATH when the format is ambiguous), or give one
    identifier (DOI, PMID, registry id: NCT, jRCT, ISRCTN, EudraCT with its country, CTIS; or a
    registry or doi.org page URL) to fetch the paper and its registrations, or the
    registration and its papers, and compare them: no config needed.

    \b
    Examples:
      auditor compare 10.1038/s41586-025-08700-0
      auditor compare NCT04802733 --save bluerock
      auditor compare NCT03418623 --as-of 2019-01-01
      auditor compare paper.json pubmed:record.xml --csv
    """
    path = _config_file(config_path)
    config = load_config(path) if path.exists() else None
    result = api.compare(*sources, config=config, save=save, as_of=as_of, history=history)
    claims, findings, comparisons = result.claims, result.findings, result.comparisons
    if result.fetched and not fmt:
        click.echo(f"fetched {', '.join(result.fetched)} → {result.snapshot_folder}", err=True)
        if result.versions:
            click.echo(f"change history: {len(result.versions)} versions of "
                       f"{', '.join(sorted({v.registry_id for v in result.versions}))}",
                       err=True)
    for failure in result.failed:
        click.echo(f"not compared: {failure}", err=True)
    if result.saved:
        click.echo(f"saved as subject {result.saved.subject!r} with "
                   f"{plural(len(result.saved.sources), 'source')} → {result.saved.config}",
                   err=True)
    if fmt:
        doc = findings_document(findings, claims=claims if fmt == "json" else None)
        _emit(render(fmt, doc["findings"], document=doc, flat=flat_finding), output)
    elif len({c.source for c in claims}) == 1 and not result.fetched:
        look = _look(output)
        text = claims_table(claims, wide=look.wide) + "\n"  # one file: what it says
        if findings:
            text += "\n" + findings_table(findings, wide=look.wide, color=look.color) + "\n"
        _emit(text, output, look.color)
    else:
        look = _look(output)
        _emit(comparison_table(comparisons, wide=look.wide) + "\n\n"
              + findings_table(findings, wide=look.wide, color=look.color) + "\n",
              output, look.color)
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
@click.option("--subject", "subjects", multiple=True,
              help="Only this subject (repeatable); an unknown one is an error (exit 2).")
@click.option("--severity", type=click.Choice(list(SEVERITY_ORDER)),
              help="Only findings at or above this severity.")
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable).")
@click.option("--field", "fields_", multiple=True, help="Only this field (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (most severe first).")
@listing()
@look_options
def findings_cmd(config_path: str | None, db_path: str | None, status: str,
                 subjects: tuple[str, ...], severity: str | None, rules: tuple[str, ...],
                 fields_: tuple[str, ...], limit: int | None, fmt: str | None,
                 output: str | None) -> None:
    """List findings recorded in the database, most severe first.

    \b
    Examples:
      auditor findings --severity medium --subject amchepry
      auditor findings --rule enrollment_mismatch --csv -o enrollment.csv
    """
    path = _existing_db(config_path, db_path)
    rows = api.findings(path, status=status, subjects=list(subjects), severity=severity,
                        rules=list(rules), fields=list(fields_), limit=limit)
    if fmt:
        doc = findings_document(rows)
        _emit(render(fmt, doc["findings"], document=doc, flat=flat_finding), output)
        return
    states = {r["id"]: _review_state(r) for r in rows if r["review"] or r["status"] != "open"}
    look = _look(output)
    _emit(findings_table([Finding(**{k: r[k] for k in Finding.model_fields}) for r in rows],
                         reviews=states, wide=look.wide, color=look.color) + "\n",
          output, look.color)


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
@listing()
def history(subject: str, config_path: str | None, db_path: str | None, fmt: str | None,
            output: str | None) -> None:
    """What changed for one subject, run by run: findings opened, reopened and resolved. For
    an NCT id, the registry record's versions (kept by `auditor compare NCT…` or a source with
    history = true): date, status and modules changed, and the amendments found.

    \b
    Examples:
      auditor history amchepry --csv -o amchepry-history.csv
      auditor history NCT03418623
    """
    if re.fullmatch(r"(?i)NCT\d{8}", subject.strip()):
        path = _config_file(config_path)
        config = load_config(path) if path.exists() else None
        found = api.registry_history(subject, config)
        parts = (found.registry_id, found.folder, found.versions, found.findings, found.missing)
        if fmt:
            doc = {"version": VERSION, **timeline_json(*parts)}
            _emit(render(fmt, doc["versions"], document=doc), output)
        else:
            _emit(timeline_text(*parts) + "\n", output)
        return
    db = store.open_db(_existing_db(config_path, db_path))
    store.subject_row(db, subject)  # an unknown subject is an error (exit 2), as for `report`
    rows = store.history(db, subject)
    timeline = store.registry_timeline(db, subject)
    if fmt:
        _emit(render(fmt, rows, document={"version": VERSION, "subject": subject,
                                          "events": rows,
                                          **({"registry_versions": timeline}
                                             if timeline else {})}), output)
        return
    text = "" if rows else f"no history for {subject!r}\n"
    for r in rows:
        text += (f"{r['started_at']}  {r['event']:9} {r['severity']:6} {r['field']:20} "
                 f"{r['message']}\n")
    if timeline:
        text += "\n" + registry_rows_text(timeline) + "\n"
    _emit(text, output)


@cli.command()
@listing()
def fields(fmt: str | None, output: str | None) -> None:
    """Print the field vocabulary used in claims, findings and the database.

    \b
    Example:
      auditor fields --json
    """
    rows = [{"field": name, "description": text} for name, text in FIELDS.items()]
    if fmt:
        _emit(render(fmt, rows, key="fields"), output)
        return
    _emit("".join(f"{r['field']:24} {r['description']}\n" for r in rows), output)


@cli.command()
@config_option
@click.option("--source", "names", multiple=True, metavar="NAME",
              help="Fetch only this source (repeatable); default: every source with a url "
                   "or identifier.")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures, no progress bar (cron).")
@listing()
def fetch(config_path: str | None, names: tuple[str, ...], quiet: bool, fmt: str | None,
          output: str | None) -> None:
    """Fetch sources into snapshots. Exit 0 if all fetched, 1 if some failed or brought a
    broken copy (an error page served with HTTP 200: the last good snapshot is kept).

    \b
    Example:
      auditor fetch --source pubmed --source crossref
    """
    from auditor.acquire.fetch import skipped_line, skipped_sources
    from auditor.acquire.fetch import summary_line as fetch_line

    config = _config(config_path)
    require_subjects(config)
    results = api.fetch(config, names=list(names) or None,
                        progress=False if quiet else None)
    if fmt:
        rows = [{"source": r.source, "status": r.status, "url": r.url,
                 "snapshot": r.snapshot.path if r.snapshot else None,
                 "sha256": r.snapshot.sha256 if r.snapshot else None, "error": r.error}
                for r in results]
        _emit(render(fmt, rows, key="sources"), output)
    else:
        for result in results:
            if not quiet or not result.ok:
                click.echo(fetch_line(result), err=quiet)
        skipped = skipped_line(skipped_sources(config, list(names) or None))
        if skipped and not quiet:
            click.echo(skipped)
    sys.exit(0 if all(r.ok for r in results) else 1)


def _existing_db(config_path: str | None, db_path: str | None) -> Path:
    path = Path(db_path or _config(config_path).database_path)
    if not path.exists():
        raise AuditorError(f"{path}: no audit database yet; run `auditor audit` first")
    return path


@cli.command()
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="The audit database (default: [auditor] database in config).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@click.option("--setting", "settings", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A Datasette setting, passed through (repeatable), e.g. "
                   "--setting default_page_size 50.")
@click.option("-o", "--open", "open_browser", is_flag=True,
              help="Open Datasette in a web browser once it is up (its index leads to the "
                   "findings).")
@click.option("--immutable", is_flag=True,
              help="Open the database immutable (datasette -i): faster, but audits run while "
                   "serving are not seen until restart.")
@click.option("--print-command", is_flag=True,
              help="Print the plain `datasette` command that does the same, and exit.")
def serve(config_path: str | None, db_path: str | None, host: str, port: int,
          settings: tuple[tuple[str, str], ...], open_browser: bool, immutable: bool,
          print_command: bool) -> None:
    """Browse findings in Datasette, read-only: the findings page first, a page per finding
    and per subject, with the shipped metadata and views. Nothing is written to the database
    (`datasette audit.db` shows the same pages: the plugin comes with auditor).

    
    Example:
      auditor serve --db audit.db -p 8080 --open
    """
    import shlex
    import signal
    import subprocess

    from auditor.store.pages import stale_views_of
    from auditor.store.views import (
        METADATA_DATABASE,
        METADATA_PATH,
        datasette_args,
        metadata_for,
    )

    path = _existing_db(config_path, db_path)
    extra = [arg for name, value in settings for arg in ("--setting", name, value)]
    if open_browser:
        extra.append("--open")
    if print_command:
        if path.stem != METADATA_DATABASE:
            click.echo(f"note: metadata.json describes a database named {METADATA_DATABASE!r}; "
                       f"the auditor plugin applies it to {path.name} too", err=True)
        click.echo(shlex.join(["datasette", *datasette_args(path, METADATA_PATH, host=host,
                                                            port=port, immutable=immutable),
                               *extra]))
        return
    stale = stale_views_of(path)
    if stale:
        click.echo(f"note: {path} has views from another auditor version ({', '.join(stale)}); "
                   "`auditor audit` rewrites them (serve writes nothing)", err=True)
    with tempfile.TemporaryDirectory(prefix="auditor-serve-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(metadata_for(path), ensure_ascii=False), encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "datasette",
                                 *datasette_args(path, metadata, host=host, port=port,
                                                 immutable=immutable), *extra])
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
@listing(dest="as_list")
def report_cmd(subject: str, config_path: str | None, db_path: str | None, fmt: str,
               output: str | None, as_list: str | None) -> None:
    """A report on one subject: fields by source, findings with quotes, and the gaps. With
    --json, --nl, --csv or --tsv: the subject's open findings, in the shape of `findings`.

    \b
    Examples:
      auditor report amchepry --format html -o amchepry.html
      auditor report amchepry --json
    """
    path = _existing_db(config_path, db_path)
    if as_list:
        store.subject_row(store.open_db(path), subject)  # unknown: exit 2
        doc = findings_document(api.findings(path, subjects=[subject]))
        _emit(render(as_list, doc["findings"], document=doc, flat=flat_finding), output)
        return
    _emit(api.report(path, subject, fmt), output)


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
         max_pages: int | None, out: str, db_path: str, restart: bool, config_path: str | None,
         quiet: bool, wait: float) -> None:
    """Stream a whole registry query (or its bulk download) into snapshots and claims,
    resumably: re-run the same command after an interruption to go on where it stopped.
    Exit 0 when done, 1 if malformed studies were skipped, 2 on an error.

    \b
    Example:
      auditor bulk ctgov --query.term "iPS cell" --out bulk/ --db bulk.db
    """
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
        found = _config_file(config_path)
        config = load_config(found) if found.exists() else Config()
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
           config_path: str | None, db_path: str | None, as_json: bool) -> None:
    """Review a finding (its id, or 6+ leading characters of it): dismiss, confirm, contest or
    reopen it, with a note. The review holds over later audits while the finding's values and
    snapshots are unchanged; when they change, the finding reopens and says so.

    \b
    Example:
      auditor review 3f1c2a --dismiss --note "same cohort, counted at consent"
    """
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
@listing(output=False)
def evidence(finding_id: str, output: str, config_path: str | None, db_path: str | None,
             fmt: str | None) -> None:
    """Write a finding's evidence (its id, or 6+ leading characters) as a zip for a
    fact-checker: the finding as JSON, the exact bytes of every snapshot it cites (named by
    sha256) and their manifest entries. --json, --nl, --csv, --tsv list what went in (-o is
    the zip here).

    \b
    Example:
      auditor evidence 3f1c2a -o 3f1c2a.zip --json
    """
    config = _config(config_path)
    done = api.evidence(config, _existing_db(config_path, db_path), finding_id, output)
    if fmt:
        rows = [{"finding_id": done["finding_id"], "output": done["output"], "snapshot": name}
                for name in done["snapshots"]]
        click.echo(render(fmt, rows, document={"version": VERSION, **done}), nl=False)
        return
    click.echo(f"{done['finding_id']}: {plural(len(done['snapshots']), 'snapshot')} → "
               f"{done['output']}")


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@click.option("--demo/--no-demo", default=None,
              help="Copy the bundled Amchepry dossier into FOLDER/snapshots/amchepry and "
                   "configure it as a subject (default: when FOLDER is empty or new).")
def init(folder: str, demo: bool | None) -> None:
    """Start a project in FOLDER (default: here): a commented starter config.toml and, with
    --demo, the bundled dossier, so that `auditor audit` runs at once, offline. An existing
    config.toml is never overwritten (exit 2).

    \b
    Example:
      mkdir desk && cd desk && auditor init && auditor audit
    """
    done = api.init(folder, demo=demo)
    files = plural(len(done.snapshots), "file")
    click.echo(f"wrote {done.config}" + (f" and the demo dossier ({files} under "
                                         f"{Path(done.snapshots[0]).parent})"
                                         if done.snapshots else ""))
    click.echo("next: `auditor audit`" if done.demo else
               "next: `auditor add SUBJECT --nct … --doi …`, then `auditor audit`")


@cli.command()
@click.argument("subject")
@click.option("--nct", multiple=True, metavar="NCT", help="A ClinicalTrials.gov id (repeatable).")
@click.option("--doi", multiple=True, metavar="DOI", help="A paper's DOI (repeatable).")
@click.option("--pmid", multiple=True, metavar="PMID", help="A PubMed id (repeatable).")
@click.option("--jrct", multiple=True, metavar="JRCT", help="A jRCT id (repeatable).")
@click.option("--url", "urls", multiple=True, metavar="URL",
              help="A page: a registry or PubMed page names its record; any other is read as "
                   "a web page (repeatable).")
@click.option("--name", help="The subject's display name (default: SUBJECT).")
@click.option("--discover/--no-discover", default=True, show_default=True,
              help="Fetch the given records and add the ones they link to (a paper's "
                   "registrations, a registration's papers), as `compare` finds them.")
@config_option
def add(subject: str, nct: tuple[str, ...], doi: tuple[str, ...], pmid: tuple[str, ...],
        jrct: tuple[str, ...], urls: tuple[str, ...], name: str | None, discover: bool,
        config_path: str | None) -> None:
    """Add a subject with its sources to config.toml, keeping the file's comments. Offline,
    the sources given are added alone and discovery is reported skipped; `auditor fetch`
    then saves them.

    \b
    Example:
      auditor add bluerock --nct NCT04802733 --doi 10.1038/s41586-025-08845-y
    """
    path = _config_file(config_path)
    done = api.add_subject(path, subject, identifiers=[*nct, *doi, *pmid, *jrct],
                           urls=list(urls), name=name, discover=discover)
    for failure in done.failed:
        click.echo(f"not fetched: {failure}", err=True)
    if done.skipped:
        click.echo(f"{done.skipped}; added the sources given only", err=True)
    click.echo(f"added subject {subject!r} with {plural(len(done.sources), 'source')} "
               f"({', '.join(s['name'] for s in done.sources)}) → {done.config}")
    click.echo("next: `auditor audit`" if done.fetched else
               "next: `auditor fetch`, then `auditor audit`")


if __name__ == "__main__":
    cli()
