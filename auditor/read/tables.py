"""HTML tables as the registries and regulators publish them: label/value rows and header
rows, with rowspan and colspan expanded so a cell is never read from the wrong column. Shared
by the jRCT, MHLW, PMDA and company-page parsers (and the Excel reader's header matching).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from auditor.read.values import fold, squash


def cell_text(cell: Tag | None) -> str:
    """A cell's visible text, whitespace collapsed; <br> counts as a space."""
    return squash(cell.get_text(" ")) if cell is not None else ""


def norm_label(text: str) -> str:
    """A label for matching: folded, no spaces, brackets or trailing colon; '効能、効果' stays."""
    return re.sub(r"[\s:：【】\[\]「」*※]+", "", fold(text)).lower()


def table_grid(table: Tag) -> list[list[Tag]]:
    """The table's rows as lists of cells, rowspan/colspan expanded (a spanning cell repeats)."""
    return [cells for _, cells in table_rows(table)]


def table_rows(table: Tag) -> list[tuple[Tag, list[Tag]]]:
    """(tr, cells) per row, rowspan/colspan expanded: the grid with each row's own <tr>."""
    grid: list[tuple[Tag, list[Tag]]] = []
    pending: dict[int, tuple[Tag, int]] = {}  # column → (cell, rows still to fill)
    for tr in _own_rows(table):
        row: list[Tag] = []
        cells = iter(tr.find_all(["td", "th"], recursive=False))
        col = 0
        while True:
            if col in pending:
                cell, left = pending[col]
                row.append(cell)
                pending[col] = (cell, left - 1)
                if left - 1 <= 0:
                    del pending[col]
                col += 1
                continue
            next_cell = next(cells, None)
            if next_cell is None:
                if any(c >= col for c in pending):
                    col = min(c for c in pending if c >= col)
                    continue
                break
            cell = next_cell
            span = _int_attr(cell, "colspan")
            down = _int_attr(cell, "rowspan")
            for _ in range(span):
                row.append(cell)
                if down > 1:
                    pending[col] = (cell, down - 1)
                col += 1
        if row:
            grid.append((tr, row))
    return grid


def _own_rows(table: Tag) -> Iterator[Tag]:
    """Rows of this table, not of tables nested in its cells."""
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is table:
            yield tr


def _int_attr(cell: Tag, name: str) -> int:
    try:
        return max(1, min(int(str(cell.get(name) or "1")), 100))
    except ValueError:
        return 1


def header_records(table: Tag) -> tuple[list[str], list[tuple[int, Tag, list[Tag]]]] | None:
    """(header texts, [(row number, tr, cells)]) for a table whose first row is a header row.

    A header row is one in <thead> or made only of <th>; a table of label/value rows
    (<th> then <td>) is not a header table.
    """
    grid = table_rows(table)
    if len(grid) < 2:
        return None
    first = grid[0][1]
    in_thead = first[0].find_parent("thead") is not None
    if not in_thead and not all(c.name == "th" for c in first):
        return None
    if not in_thead and len(first) == 1:
        return None
    headers = [cell_text(c) for c in first]
    rows = [(i, tr, row) for i, (tr, row) in enumerate(grid[1:], start=1)
            if not all(c.name == "th" for c in row)]
    return headers, rows


def label_values(soup: BeautifulSoup | Tag) -> list[tuple[str, Tag, str]]:
    """(label, value cell, locator) for label/value rows (<th>label<td>value) and <dt>/<dd>."""
    found: list[tuple[str, Tag, str]] = []
    for table in soup.find_all("table"):
        if header_records(table) is not None:
            continue
        for row in table_grid(table):
            if len(row) >= 2 and row[0] is not row[-1]:
                label = cell_text(row[0])
                if label:
                    found.append((label, row[-1], f"table row '{label}'"))
    for dt in soup.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            label = cell_text(dt)
            found.append((label, dd, f"dl dt '{label}'"))
    return found


def column(headers: list[str], *patterns: str) -> int | None:
    """Index of the first header matching any pattern (on the folded, squashed label)."""
    for pattern in patterns:
        for i, header in enumerate(headers):
            if re.search(pattern, norm_label(header), re.IGNORECASE):
                return i
    return None


def split_names(text: str) -> list[str]:
    """'Amchepry (raguneprocel)', 'アムシェプリ（一般的名称：ラグネプロセル）' → each name once."""
    t = fold(text)
    parts = re.split(r"[()/、,;]|\bgeneric name\b:?|\bINN\b:?|"
                     r"一般的?名称?:?|開発(?:コード|番号):?", t, flags=re.IGNORECASE)
    names: list[str] = []
    for part in parts:
        name = part.strip(" :・®™")
        if name and name not in names and len(name) > 1:
            names.append(name)
    return names


# --- a registry cell's lines and outcome lists ------------------------------------------------

_BREAKS = {"br", "p", "li", "div", "tr"}
_ENUMERATOR = re.compile(r"^(?:[①-⑳]|\(?\d{1,2}[).．、]|\d{1,2}\.(?!\d)|[・•\-*])\s*")
#: A numbered line that names a group of outcomes, not an outcome itself: '1) 有効性',
#: '(2) 短期安全性（移植後100 日まで）', '2) Short-term safety (up to 100 days ...)'.
_HEADING = re.compile(r"(?:(?:短期|長期|晩期|早期)?(?:有効性|安全性)|(?:(?:short|long)[- ]term |"
                      r"late |early )?(?:efficacy|safety))\s*(?:[(（][^)）]*[)）])?", re.IGNORECASE)
#: A line ending so continues on the next one ('Cumulative incidence of relapse and').
_CONTINUES = re.compile(r"(?:,|、|\band|\bor|\bof|&|及び|および)$", re.IGNORECASE)


def cell_lines(cell: Tag) -> list[str]:
    """A cell's text split at line breaks, paragraphs and list items; blank lines dropped."""
    parts: list[str] = []
    for node in cell.descendants:
        if isinstance(node, NavigableString) and not isinstance(node, Comment):
            parts.append(str(node))
        elif isinstance(node, Tag) and node.name in _BREAKS:
            parts.append("\n")
    return [squash(line) for line in "".join(parts).split("\n") if squash(line)]


def outcome_items(lines: list[str]) -> list[str]:
    """One item per outcome, as registries (jRCT, UMIN-CTR) list them in one cell: numbered
    lines start new items and unnumbered lines continue them; a numbered heading ('1) 有効性')
    is dropped and each line under it is an item; a line ending in ',' or 'and' continues on
    the next line."""
    numbered = any(_ENUMERATOR.match(line) for line in lines)
    items: list[str] = []
    joined = False  # the next line continues the last item
    under_heading = False
    for i, line in enumerate(lines):
        if _ENUMERATOR.match(line):
            text = _ENUMERATOR.sub("", line, count=1)
            following = lines[i + 1] if i + 1 < len(lines) else None  # a heading heads lines
            under_heading = bool(_HEADING.fullmatch(text)) and following is not None and \
                not _ENUMERATOR.match(following)
            if under_heading:
                joined = False
                continue
            items.append(text)
        elif items and (joined or (numbered and not under_heading)):
            items[-1] = f"{items[-1]} {line}"
        else:
            items.append(line)
        joined = bool(items) and bool(_CONTINUES.search(items[-1]))
    return [item for item in items if item]
