"""The small exception hierarchy. Every message says what went wrong, where, and what to do."""

from __future__ import annotations


class AuditorError(Exception):
    """Base class: the CLI turns any of these into a one-line message and exit code 2."""


class ConfigError(AuditorError):
    """config.toml is unreadable, has an unknown key or a bad value."""


class SnapshotError(AuditorError):
    """A snapshot file is missing, unreadable, or escapes the snapshot folder."""


class ParseError(AuditorError):
    """A source document is malformed (bad JSON, XML or HTML, wrong shape)."""


class LimitError(ParseError):
    """A document over a size, page, cell or time limit ([limits] in config.toml): too large
    or too slow to read, so that source is left out and the audit goes on."""

    @classmethod
    def too_large(cls, source: str, what: str, setting: str) -> LimitError:
        return cls(f"{source}: too large: {what} ({setting} in config.toml); raise it there "
                   "if the document is genuine, or re-fetch it")

    @classmethod
    def too_slow(cls, source: str, seconds: float, where: str) -> LimitError:
        return cls(f"{source}: too slow: reading it took more than {seconds:g} s ({where}; "
                   "[limits] seconds in config.toml); raise it there if the document is "
                   "genuine, or re-fetch it")


class FetchError(AuditorError):
    """A source could not be fetched after retries."""
