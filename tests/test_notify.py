"""Notifications with Apprise: the digest of a run that opened, reopened or resolved findings
reaches a webhook (a real HTTP receiver on 127.0.0.1), nothing is sent when nothing changed,
and a target that fails is reported on stderr (secrets redacted) and recorded, while the
audit's exit code stays what its findings make it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from auditor import store
from auditor.outputs.notify import redact


class Receiver(ThreadingHTTPServer):
    """A webhook: keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict] = []
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server_address[1]}/hooks/audit"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(json.loads(body))
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_digest_reaches_a_webhook_given_with_notify(dossier, receiver):
    result = dossier.audit("-q", "--notify", receiver.url)
    assert result.exit_code == 1, result.output  # the dossier has medium findings
    [message] = receiver.received
    assert receiver.paths == ["/hooks/audit"]
    assert message["title"].startswith("auditor: ") and " new, 0 resolved (amchepry)" in \
        message["title"]
    assert message["message"].startswith("# auditor digest: run ")
    assert "## New findings" in message["message"]
    db = store.open_db(dossier.db)
    [sent] = store.notifications(db)
    assert sent["ok"] == 1 and sent["target"].startswith("json://127.0.0.1:")


def test_nothing_is_sent_when_nothing_changed(dossier, receiver):
    dossier.audit("-q")
    assert dossier.audit("-q", "--notify", receiver.url).exit_code == 1
    assert receiver.received == []


def test_resolved_findings_are_sent_too(dossier, receiver):
    dossier.edit("crossref-10.1038_s41586-025-08700-0.json", "Seven patients", "Eight patients")
    dossier.audit("-q")
    dossier.edit("crossref-10.1038_s41586-025-08700-0.json", "Eight patients", "Seven patients")
    dossier.audit("-q", "--notify", receiver.url)
    [message] = receiver.received
    assert "## Resolved findings" in message["message"]
    assert "0 resolved" not in message["title"]


def test_urls_in_the_config_are_notified(dossier, receiver):
    text = dossier.config.read_text(encoding="utf-8")
    dossier.config.write_text(text.replace("[[subjects]]", f'[notify]\nurls = ["{receiver.url}"]'
                                           "\n\n[[subjects]]", 1), encoding="utf-8")
    dossier.audit("-q")
    assert len(receiver.received) == 1


def test_a_failing_notifier_is_reported_and_recorded_and_the_exit_code_is_unchanged(
        dossier, receiver):
    plain = dossier.audit("-q", "--db", str(dossier.root / "other.db"))
    dead = f"json://alice:s3cr3tpw@127.0.0.1:{closed_port()}/hook"
    result = dossier.audit("-q", "--notify", dead, "--notify", receiver.url)
    assert result.exit_code == plain.exit_code == 1
    [line] = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("warning: notify json://alice:****@127.0.0.1:") and "failed" in line
    assert "s3cr3tpw" not in result.stderr
    assert len(receiver.received) == 1  # the other target still got it
    rows = {r["ok"]: r for r in store.notifications(store.open_db(dossier.db))}
    assert set(rows) == {0, 1}
    assert rows[0]["error"] and "s3cr3tpw" not in json.dumps(rows[0])


def test_a_bad_notification_url_is_refused_before_the_audit(dossier):
    result = dossier.audit("-q", "--notify", "nosuchservice://x")
    assert result.exit_code == 2 and "not a notification URL Apprise can use" in result.output
    assert not dossier.db.exists()
    text = dossier.config.read_text(encoding="utf-8")
    dossier.config.write_text(text.replace("[[subjects]]", '[notify]\nurls = ["mailto"]'
                                           "\n\n[[subjects]]", 1), encoding="utf-8")
    result = dossier.audit("-q")
    assert result.exit_code == 2 and "notify.urls[0]" in result.output
    assert "config.toml, line" in result.output


@pytest.mark.parametrize(("url", "hidden"), [
    ("mailto://user:hunter2@example.org", "hunter2"),
    ("ntfy://ntfy.sh/topic?token=tk_abcdef", "tk_abcdef"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "TIiajkdnlazkcOXrIdevi7FQ"),
])
def test_secrets_are_redacted_from_targets(url, hidden):
    assert hidden not in redact(url)
