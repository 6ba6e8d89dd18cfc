"""What one document may cost to read ([limits] in config.toml): a size cap by kind, checked
before parsing; a time budget, checked by the readers that loop over pages or rows and, in the
main thread, enforced by a timer for every reader; page and cell caps for PDF and XLSX.

A document over a limit is a LimitError (a ParseError) naming the source, the limit and the
setting that raises it: that source is left out, the audit goes on with the rest.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from auditor.errors import LimitError
from auditor.models import Limits
from auditor.read.documents import Document

#: After the budget, the timer fires again this often, in case a library swallowed the first.
_REPEAT = 0.25
_armed = threading.local()


too_large = LimitError.too_large
too_slow = LimitError.too_slow


def check_size(kind: str, size: int, source: str, limits: Limits) -> None:
    """Refuse a document of `size` bytes over its kind's cap, before it is parsed."""
    limits.check_size(kind, size, source)


class Budget:
    """One document's time budget, for readers to check as they go (works in any thread)."""

    def __init__(self, doc: Document) -> None:
        self.source = doc.source
        self.seconds = doc.limits.seconds
        self.deadline = time.monotonic() + self.seconds

    def check(self, where: str) -> None:
        if time.monotonic() > self.deadline:
            raise too_slow(self.source, self.seconds, f"stopped at {where}")


@contextmanager
def time_budget(doc: Document) -> Iterator[None]:
    """Interrupt the reader when the document's budget runs out: a timer signal raises
    LimitError in whatever Python code is running. Signals reach only the main thread, so
    elsewhere (fetch threads) this is a no-op and the readers' own checks remain; nested
    budgets keep the outer one."""
    if threading.current_thread() is not threading.main_thread() or getattr(_armed, "on",
                                                                            False):
        yield
        return
    seconds = doc.limits.seconds
    state = {"on": True}

    def expire(signum: int, frame: FrameType | None) -> None:
        if state["on"]:
            raise too_slow(doc.source, seconds, "interrupted")

    def unraisable(event: Any) -> None:
        """The timer fired in a finalizer or gc callback, which cannot raise: say nothing,
        the next tick raises in the reader."""
        if not (state["on"] and isinstance(event.exc_value, LimitError)):
            hook(event)

    hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    previous = signal.signal(signal.SIGALRM, expire)
    _armed.on = True
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
    try:
        yield
    finally:
        try:
            state["on"] = False  # the timer may fire just before: then the inner finally
        finally:
            state["on"] = False
            signal.setitimer(signal.ITIMER_REAL, 0)  # no more signals, then the old handler
            _armed.on = False
            signal.signal(signal.SIGALRM, previous)
            sys.unraisablehook = hook
