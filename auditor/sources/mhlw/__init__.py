"""MHLW notices (HTML, often Shift_JIS): price-listing amendments (薬価基準 / 保険適用 tables of
product, pack, price and the date the listing applies from) and insurance-use notices
(留意事項通知: prose naming the product, its approval type and indication).

A listing page names many products: every product row becomes a price reading qualified by its
product name, and the diff engine picks the subject's row by its aliases.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import claim_readings, fact_readings_in, sentences
from auditor.read.tables import cell_text, header_records, label_values, norm_label
from auditor.read.values import approval_tags, fold
from auditor.sources.mhlw.columns import PageDate, effective_date, price_rows, reimbursement_of

KIND = "mhlw"
ROLE = "regulator"

_INDICATION_LABEL = (r"^(?:効能、?効果又は性能|効能又は効果|効能・効果|効能、効果|適応症?"
                     r"|indications?)$")
_INDICATION_PROSE = [r"効能、?効果又は性能(?:は|として|:)\s*「([^」]+)」",
                     r"「([^」]+)」を効能、?効果又は性能"]
_NAME_WITH_GENERIC = re.compile(
    r"([^\s「」()、。:]+)\s*\(\s*(?:一般的名称|一般名)\s*:\s*([^)]+)\)")


def detect(doc: Document) -> bool:
    if "mhlw.go.jp" in doc.url:
        return True
    text = doc.text[:20000]
    return ("厚生労働省" in text and "医薬品医療機器総合機構" not in text
            and re.search(r"薬価|保険適用|留意事項|保医発", text) is not None)


def parse(doc: Document) -> list[Reading]:
    soup = doc.html
    if not cell_text(soup.body or soup):
        raise ParseError(f"{doc.source}: MHLW page has no text; re-fetch it or check the URL")
    page_date = _page_effective_date(soup)
    readings = _price_tables(soup, page_date)
    readings += reimbursement_of(readings)
    readings += _notice(soup)
    readings += _claims(soup)
    title = soup.find("title")
    if title is not None and cell_text(title):
        readings.append(Reading(field="title", value=cell_text(title), quote=cell_text(title),
                                locator="title"))
    return readings


def _page_effective_date(soup: BeautifulSoup) -> PageDate | None:
    """The sentence the listing applies from ('令和8年5月20日から適用'), with its paragraph."""
    counts: dict[str, int] = {}
    located = []
    for p in _paragraphs(soup):
        counts[p.name] = counts.get(p.name, 0) + 1
        located.append((f"{p.name}[{counts[p.name]}]", cell_text(p)))
    return effective_date(located)


def _price_tables(soup: BeautifulSoup, page_date: PageDate | None) -> list[Reading]:
    readings: list[Reading] = []
    for n, table in enumerate(soup.find_all("table"), start=1):
        parsed = header_records(table)
        if parsed is not None:
            headers, rows = parsed
            readings += price_rows(headers, [(f"table[{n}] row {number}",
                                              [cell_text(c) for c in cells])
                                             for number, _tr, cells in rows], page_date)
    return readings


def _notice(soup: BeautifulSoup) -> list[Reading]:
    """Approval type, indication and product names from a notice's labelled rows and prose."""
    readings: list[Reading] = []
    indication: Reading | None = None
    for label, cell, where in label_values(soup):
        if indication is None and re.search(_INDICATION_LABEL, norm_label(label)):
            indication = Reading(field="indication", value=cell_text(cell) or None,
                                 quote=cell_text(cell), locator=where)
    tags: set[str] = set()
    tag_quotes: dict[str, str] = {}  # sentence → locator
    names: list[str] = []
    name_quotes: dict[str, str] = {}
    counts: dict[str, int] = {}
    for p in _paragraphs(soup):
        counts[p.name] = counts.get(p.name, 0) + 1
        for j, sentence in enumerate(sentences(cell_text(p)), start=1):
            where = f"{p.name}[{counts[p.name]}], sentence {j}"
            folded = fold(sentence)
            if "承認" in folded and approval_tags(folded):
                tags.update(approval_tags(folded))
                tag_quotes.setdefault(sentence, where)
            for pattern in _INDICATION_PROSE:
                m = re.search(pattern, folded)
                if indication is None and m:
                    indication = Reading(field="indication", value=m.group(1).strip(),
                                         quote=sentence, locator=where)
            for m in _NAME_WITH_GENERIC.finditer(folded):
                new = [n for n in (m.group(1), m.group(2).strip()) if n not in names]
                if new:
                    names += new
                    name_quotes.setdefault(sentence, where)
    if tags:
        readings.append(Reading(field="approval", value=sorted(tags),
                                quote=" … ".join(tag_quotes),
                                locator="; ".join(tag_quotes.values())))
    if indication is not None:
        readings.append(indication)
    if names:
        readings.append(Reading(field="product_name", value=names,
                                quote=" … ".join(name_quotes),
                                locator="; ".join(name_quotes.values())))
    return readings


def _claims(soup: BeautifulSoup) -> list[Reading]:
    """Claim language in the notice's prose: a notice too can take a listing for proof."""
    counts: dict[str, int] = {}
    texts = []
    for p in _paragraphs(soup):
        counts[p.name] = counts.get(p.name, 0) + 1
        texts.append((cell_text(p), f"{p.name}[{counts[p.name]}]"))
    title = soup.find("title")
    facts = fact_readings_in(([(cell_text(title), "title")] if title is not None else []) + texts)
    return claim_readings(texts) + facts


def _paragraphs(soup: BeautifulSoup) -> list[Tag]:
    """Prose blocks: <p> and <li> outside tables (table cells are read as rows)."""
    return [p for p in soup.find_all(["p", "li"]) if p.find_parent("table") is None]
