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


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return "?"
    return text if text.isdigit() else "?"


@contextmanager
def audit_lock(db_path: str | Path, *, wait: float = 0.0, poll: float = 0.1) -> Iterator[Path]:
    """Hold the exclusive lock for `db_path`; wait up to `wait` seconds, then raise LockBusy."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"another audit is running (pid {_holder(fd)}) on {db_path}; "
                        "try again later or pass --wait SECONDS") from None
                time.sleep(min(poll, max(deadline - time.monotonic(), 0.0)) or poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
