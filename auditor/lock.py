"""The run lock: two audits of one database never overlap (cron may start one while another runs).

An exclusive `fcntl.flock` on `DATABASE.lock` next to the database. The kernel drops the lock
when the process exits, however it exits, so a killed audit never leaves a stale lock; the file
itself stays (deleting it would let a third process lock a different inode). The holder writes
its pid into the file so the one refused can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from auditor.errors import AuditorError


class LockBusy(AuditorError):
    """Another process holds the audit lock and did not let go within the wait."""


def lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".lock")


def _holder(fd: int) -> tuple[str, str]:
    """(pid, what) of the holder, from the lock file: "1234 bulk import"; "?" if unknown."""
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return "?", "audit"
    pid, _, what = text.partition(" ")
    return (pid if pid.isdigit() else "?"), (what or "audit")


def require_folder(db_path: str | Path) -> None:
    """A database goes only into a folder that exists: a typo in `database` must not create a
    tree of folders silently (nor fail later as "unable to open database file")."""
    folder = Path(db_path).parent
    if not folder.is_dir():
        raise AuditorError(f"{db_path}: the database's folder {folder} does not exist; create "
                           f"it (mkdir -p {folder}) or fix `database` in config.toml (or --db)")


@contextmanager
def audit_lock(db_path: str | Path, *, wait: float = 0.0, poll: float = 0.1,
               what: str = "audit") -> Iterator[Path]:
    """Hold the exclusive lock for `db_path`; wait up to `wait` seconds, then raise LockBusy.
    Every writer of the database takes it (`what` says which, for the one refused)."""
    require_folder(db_path)
    path = lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid, holder = _holder(fd)
                    raise LockBusy(
                        f"another {holder} is running (pid {pid}) on {db_path}; "
                        "try again later or pass --wait SECONDS") from None
                time.sleep(min(poll, max(deadline - time.monotonic(), 0.0)) or poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {what}\n".encode("ascii", "replace"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
