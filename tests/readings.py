"""A helper the parser tests share: pick the one reading of a field."""

from __future__ import annotations

from auditor.models import Reading

ANY = object()


def one(readings: list[Reading], field: str, locator_start: str = "",
        qualifier: object = ANY) -> Reading:
    """The single reading of `field` (whose locator starts so, with this qualifier)."""
    found = [r for r in readings if r.field == field and r.locator.startswith(locator_start)
             and (qualifier is ANY or r.qualifier == qualifier)]
    assert len(found) == 1, [(r.field, r.qualifier, r.locator) for r in found]
    return found[0]
