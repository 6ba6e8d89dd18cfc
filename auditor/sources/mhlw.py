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
from auditor.read.prose import sentences
from auditor.read.tables import (
    cell_text,
    column,
    header_records,
    label_values,
    norm_label,
    split_names,
)
from auditor.read.values import (
    approval_tags,
    fold,
    parse_date,
    parse_money,
    parse_number,
    parse_pack,
)

KIND = "mhlw"
ROLE = "regulator"

_GENERIC = r"一般的名称|一般名|成分名|nonproprietary|generic"
_NAME = r"販売名|品名|製品名|名称|brandname|productname"
_SPEC = r"規格|包装|pack|specification"
_PRICE = r"価格|薬価|金額|price"
_DATE = r"適用(?:年月)?日|収載日|適用開始|effective"
_JDATE = (r"((?:令和|平成)\s*(?:元|\d{1,2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|"
          r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
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
    readings += _notice(soup)
    title = soup.find("title")
    if title is not None and cell_text(title):
        readings.append(Reading(field="title", value=cell_text(title), quote=cell_text(title),
                                locator="title"))
    return readings


def _page_effective_date(soup: BeautifulSoup) -> tuple[str, str] | None:
    """(ISO date, sentence) the listing applies from: '令和8年5月20日から適用' or '適用日: …'."""
    for p in _paragraphs(soup):
        for sentence in sentences(cell_text(p)):
            folded = fold(sentence)
            for pattern in (_JDATE + r"\s*(?:から|より)\s*(?:適用|実施|施行)",
                            r"適用(?:年月)?日\s*[:は]?\s*" + _JDATE):
                m = re.search(pattern, folded)
                date = parse_date(m.group(1)) if m else None
                if date:
                    return date, sentence
    return None


def _price_tables(soup: BeautifulSoup, page_date: tuple[str, str] | None) -> list[Reading]:
    readings: list[Reading] = []
    for n, table in enumerate(soup.find_all("table"), start=1):
        parsed = header_records(table)
        if parsed is None:
            continue
        headers, rows = parsed
        generic = column(headers, _GENERIC)
        name = next((i for i, h in enumerate(headers)
                     if re.search(_NAME, norm_label(h), re.IGNORECASE) and i != generic), None)
        price = column(headers, _PRICE)
        if name is None or price is None:
            continue
        spec, when = column(headers, _SPEC), column(headers, _DATE)
        yen_header = "円" in headers[price] or "yen" in headers[price].lower()
        for number, _tr, cells in rows:
            texts = [cell_text(c) for c in cells]
            product = texts[name] if name < len(texts) else ""
            if not product:
                continue
            readings += row_readings(texts, f"table[{n}] row {number} ('{product}')", product,
                                     price=price, spec=spec, when=when, generic=generic,
                                     yen=yen_header, page_date=page_date,
                                     date_where="the notice text")
    return readings


def row_readings(texts: list[str], where: str, product: str, *, price: int, spec: int | None,
                 when: int | None, generic: int | None, yen: bool,
                 page_date: tuple[str, str] | None, date_where: str) -> list[Reading]:
    """The price and product_name readings of one price-table row (HTML, Excel or PDF).
    Without a date column the page's 「…から適用」 sentence dates the row and is quoted too."""
    quote = " | ".join(dict.fromkeys(t for t in texts if t))
    value = _price_value(texts, price, spec, when, yen, page_date)
    dated_by_page = (value is not None and page_date is not None and when is None
                     and value["effective_date"] == page_date[0])
    names = split_names(product)
    if generic is not None and generic < len(texts):
        names += [g for g in split_names(texts[generic]) if g not in names]
    return [
        Reading(field="price", value=value, qualifier=product,
                quote=f"{quote} … {page_date[1]}" if dated_by_page and page_date else quote,
                locator=f"{where}; effective date from {date_where}" if dated_by_page
                else where),
        Reading(field="product_name", value=names, qualifier=product, quote=quote,
                locator=where)]


def _price_value(texts: list[str], price: int, spec: int | None, when: int | None,
                 yen_header: bool, page_date: tuple[str, str] | None) -> dict | None:
    """The price dict, or None when the amount cannot be read (the caller records unknown)."""
    raw = texts[price] if price < len(texts) else ""
    money = parse_money(raw)
    if money is None and yen_header and re.fullmatch(r"[\d,.\s]+", fold(raw) or "x"):
        number = parse_number(raw)
        money = (int(number), "JPY") if number is not None else None
    if money is None:
        return None
    pack_text = texts[spec] if spec is not None and spec < len(texts) else ""
    effective = parse_date(texts[when]) if when is not None and when < len(texts) else None
    if effective is None and page_date is not None:
        effective = page_date[0]
    return {"amount": money[0], "currency": money[1],
            "pack": parse_pack(pack_text) or (fold(pack_text) or None),
            "effective_date": effective}


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


def _paragraphs(soup: BeautifulSoup) -> list[Tag]:
    """Prose blocks: <p> and <li> outside tables (table cells are read as rows)."""
    return [p for p in soup.find_all(["p", "li"]) if p.find_parent("table") is None]
