"""The small exception hierarchy. Every message says what went wrong, where, and what to do."""


class AuditorError(Exception):
    """Base class: the CLI turns any of these into a one-line message and exit code 2."""


class ConfigError(AuditorError):
    """config.toml is unreadable, has an unknown key or a bad value."""


class SnapshotError(AuditorError):
    """A snapshot file is missing, unreadable, or escapes the snapshot folder."""


class ParseError(AuditorError):
    """A source document is malformed (bad JSON, XML or HTML, wrong shape)."""


class FetchError(AuditorError):
    """A source could not be fetched after retries."""
