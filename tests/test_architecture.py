"""The rooms of ARCHITECTURE.md hold: SQL lives in the store package only."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "auditor"
#: An SQL statement in a string: a keyword, then what only SQL puts after it.
SQL = re.compile(r"""["'](?:select\s[\w.*, ]+\sfrom|insert\s+into|update\s+\w+\s+set|"""
                 r"""delete\s+from|create\s+(?:table|index|view|trigger)|pragma\s+\w+)\b""",
                 re.IGNORECASE)


def test_no_sql_outside_the_store_package():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "store":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if SQL.search(line) or re.search(r"\.(execute|executemany|query)\(", line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert not offenders, "SQL outside auditor/store/:\n" + "\n".join(offenders)


def test_the_grep_sees_sql_when_there_is_some(tmp_path):
    assert SQL.search('db.execute("select id from findings")')
    assert SQL.search("'PRAGMA user_version'")
    assert not SQL.search('"Select the rows you want"')
    assert not SQL.search('"update the config"')


def test_no_import_cycles():
    """No module imports, however indirectly, a module that imports it (grimp is what
    lint-imports reads the layers with)."""
    import grimp

    graph = grimp.build_graph("auditor")
    cycles = sorted({tuple(sorted((m, other))) for m in graph.modules
                     for other in graph.find_modules_directly_imported_by(m)
                     if graph.chain_exists(importer=other, imported=m)})
    assert not cycles, cycles
