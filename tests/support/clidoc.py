"""The CLI reference in README.md is generated from --help, so it never drifts:

    python -m auditor.clidoc --write README.md     # rewrite the block between the markers
    python -m auditor.clidoc --check README.md     # exit 1 if it is out of date (a test does this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from auditor.cli import cli

START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def reference() -> str:
    runner = CliRunner()
    parts = []
    for name in sorted(cli.commands):
        text = runner.invoke(cli, [name, "--help"], prog_name="auditor", terminal_width=88).output
        parts.append(f"### `auditor {name}`\n\n```\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


def block() -> str:
    return f"{START}\n\n{reference()}\n{END}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("--write", "--check"):
        click.echo(__doc__, err=True)
        return 2
    path = Path(argv[1])
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        click.echo(f"{path}: no {START} … {END} markers", err=True)
        return 2
    new = pattern.sub(lambda _: block(), text)
    if argv[0] == "--check":
        if new != text:
            click.echo(f"{path}: the CLI reference is out of date; run "
                       f"python -m auditor.clidoc --write {path}", err=True)
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
