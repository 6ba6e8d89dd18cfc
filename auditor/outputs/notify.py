"""Notifications with Apprise (the library changedetection.io uses: e-mail, Slack, Matrix, ntfy,
webhooks...): the digest of an audit that opened, reopened or resolved findings, sent to each
URL of `[notify] urls` and `auditor audit --notify`. A target that fails is reported and
recorded (the `notifications` table), never silently lost, and never fails the audit: the
findings are in the database whatever became of the message.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlite_utils

from auditor import store
from auditor.models import now_utc
from auditor.outputs.subject_report import digest_markdown

#: Query parameters that carry secrets in Apprise URLs.
_SECRET = re.compile(r"pass|token|key|secret|auth|sig|pw", re.IGNORECASE)


@dataclass(frozen=True)
class Delivery:
    """What became of one notification: the target (redacted), whether it was accepted."""

    target: str
    ok: bool
    error: str | None = None

    def line(self) -> str:
        """One line for stderr: 'notify json://127.0.0.1:9/hook failed: ...'."""
        return f"notify {self.target} " + ("sent" if self.ok else f"failed: {self.error}")


def redact(url: str) -> str:
    """The URL with its password, secret query values and long path tokens masked: what may
    be printed and stored. (Apprise's own privacy URL is used when it can read the URL.)"""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.partition("://")[0] + "://****"
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:****@{host}" if ":" in user else f"****@{host}"
    path = "/".join("****" if len(p) >= 20 else p for p in parts.path.split("/"))
    query = urlencode([(k, "****" if _SECRET.search(k) else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit(parts._replace(netloc=netloc, path=path, query=query))


def send(urls: list[str], title: str, body: str) -> list[Delivery]:
    """Send one message to each URL, separately, so one failing target neither hides nor
    stops the others; the reason of a failure is what Apprise logged."""
    import apprise

    deliveries = []
    for url in dict.fromkeys(urls):
        notifier = apprise.Apprise()
        if not notifier.add(url):
            deliveries.append(Delivery(redact(url), False,
                                       "not a notification URL Apprise can use"))
            continue
        target = redact(notifier[0].url(privacy=True).split("?")[0])
        try:
            with apprise.LogCapture(level=logging.WARNING) as log:
                accepted = bool(notifier.notify(body=body, title=title,
                                                body_format=apprise.NotifyFormat.MARKDOWN))
            said = [re.sub(r"^\S+ \S+ - \w+ - ", "", line).strip()
                    for line in log.getvalue().splitlines() if line.strip()]
        except Exception as e:  # a notifier's bug must not cost the audit its result
            accepted, said = False, [f"{type(e).__name__}: {e}"]
        deliveries.append(Delivery(target, accepted, None if accepted else
                                   (" ".join(said[-2:]) or "the service refused it")[:300]))
    return deliveries


def worth_sending(db: sqlite_utils.Database, run_id: str) -> bool:
    """Only a run that opened, reopened or resolved findings is worth a message."""
    return bool(store.run_events(db, run_id))


def notify_digest(db: sqlite_utils.Database, run_id: str, urls: list[str]) -> list[Delivery]:
    """Send the run's digest to every URL when the run changed something, and record what
    became of each; [] when there was nothing to say or no one to tell."""
    if not urls or not worth_sending(db, run_id):
        return []
    events = store.run_events(db, run_id)
    opened = sum(1 for e in events if e["event"] in ("new", "reopened"))
    resolved = len(events) - opened
    subjects = sorted({e["subject"] for e in events})
    title = (f"auditor: {opened} new, {resolved} resolved"
             f" ({', '.join(subjects[:3])}{', …' if len(subjects) > 3 else ''})")
    deliveries = send(urls, title, digest_markdown(db, run_id))
    now = now_utc()
    store.record_notifications(db, run_id, [{**asdict(d), "ok": int(d.ok), "sent_at": now}
                                            for d in deliveries])
    return deliveries
