"""What every MHLW price table shares, whatever it came in (HTML, Excel, PDF): which column
is the product, its generic name, pack, price and date; the 「…から適用」 sentence that dates
a list; and one price-table row → price and product_name readings. One reader per job: the
three formats differ only in how they get rows of cell texts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from auditor.models import Reading
from auditor.read.prose import sentences
from auditor.read.tables import norm_label, split_names
from auditor.read.values import fold, parse_date, parse_money, parse_number, parse_pack

_GENERIC = r"一般的名称|一般名|成分名|nonproprietary|generic"
_NAME = r"販売名|品名|製品名|名称|brandname|productname"
_SPEC = r"規格|包装|pack|specification"
_PRICE = r"価格|薬価|金額|price"
_DATE = r"適用(?:年月)?日|収載日|適用開始|effective"
_JDATE = (r"((?:令和|平成)\s*(?:元|\d{1,2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|"
          r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
#: The sentence that says from when a list applies: '令和8年5月20日から適用', '適用日: …'.
EFFECTIVE = (_JDATE + r"\s*(?:から|より)?\s*(?:適用|実施|施行)",
             r"適用(?:年月)?日\s*[:は]?\s*" + _JDATE)


class Columns(NamedTuple):
    """Where a price table's cells are: name and price always, the others if present."""

    name: int
    price: int
    generic: int | None
    spec: int | None
    date: int | None


def _pick(headers: list[str], pattern: str, skip: int | None = None) -> int | None:
    """The column whose header matches, the shortest label winning: '薬価' beats
    '薬価基準収載医薬品コード', '規格' beats '同一剤形・規格の後発医薬品がある先発医薬品'."""
    found = [(len(norm_label(h)), i) for i, h in enumerate(headers)
             if i != skip and h and re.search(pattern, norm_label(h), re.IGNORECASE)]
    return min(found)[1] if found else None


def price_columns(headers: list[str]) -> Columns | None:
    """The columns of a header row, or None unless it has a product name and a price."""
    generic = _pick(headers, _GENERIC)
    name = _pick(headers, _NAME, generic)
    price = _pick(headers, _PRICE)
    if name is None or price is None or name == price:
        return None
    return Columns(name, price, generic, _pick(headers, _SPEC), _pick(headers, _DATE))


#: (ISO date, sentence, locator) of a list's 「…から適用」 text.
PageDate = tuple[str, str, str]


def price_rows(headers: list[str], rows: Iterable[tuple[str, list[str]]],
               page_date: PageDate | None) -> list[Reading]:
    """price and product_name readings of rows (locator, cells) under a header row. Rows
    without a date column are dated by `page_date`, which is then quoted after the row."""
    cols = price_columns(headers)
    if cols is None:
        return []
    yen = bool(re.search(r"円|yen|薬価", headers[cols.price], re.IGNORECASE))
    readings: list[Reading] = []
    for where, texts in rows:
        product = texts[cols.name] if cols.name < len(texts) else ""
        if product:
            readings += _row_readings(texts, f"{where} ('{product}')", product, cols, yen,
                                      page_date)
    return readings


def effective_date(texts: Iterable[tuple[str, str]]) -> PageDate | None:
    """(ISO date, sentence, locator) of the first '令和8年5月20日から適用' / '適用日: …' text."""
    for where, text in texts:
        for sentence in sentences(text):
            folded = fold(sentence)
            for pattern in EFFECTIVE:
                m = re.search(pattern, folded)
                date = parse_date(m.group(1)) if m else None
                if date:
                    return date, sentence, where
    return None


def _row_readings(texts: list[str], where: str, product: str, cols: Columns, yen: bool,
                  page_date: PageDate | None) -> list[Reading]:
    """The price and product_name readings of one price-table row."""
    quote = " | ".join(dict.fromkeys(t for t in texts if t))
    value = _price_value(texts, cols, yen, page_date[0] if page_date else None)
    dated_by_page = (value is not None and page_date is not None and cols.date is None
                     and value["effective_date"] == page_date[0])
    names = split_names(product)
    if cols.generic is not None and cols.generic < len(texts):
        names += [g for g in split_names(texts[cols.generic]) if g not in names]
    return [
        Reading(field="price", value=value, qualifier=product,
                quote=f"{quote} … {page_date[1]}" if dated_by_page and page_date else quote,
                locator=f"{where}; effective date from {page_date[2]}"
                if dated_by_page and page_date else where),
        Reading(field="product_name", value=names, qualifier=product, quote=quote,
                locator=where)]


def _price_value(texts: list[str], cols: Columns, yen_header: bool,
                 page_effective: str | None) -> dict | None:
    """The price dict, or None when the amount cannot be read (the caller records unknown)."""
    price, spec, when = cols.price, cols.spec, cols.date
    raw = texts[price] if price < len(texts) else ""
    money = parse_money(raw)
    if money is None and yen_header and re.fullmatch(r"[\d,.\s]+", fold(raw) or "x"):
        number = parse_number(raw)
        money = (int(number), "JPY") if number is not None else None
    if money is None:
        return None
    pack_text = texts[spec] if spec is not None and spec < len(texts) else ""
    effective = parse_date(texts[when]) if when is not None and when < len(texts) else None
    if effective is None:
        effective = page_effective
    return {"amount": money[0], "currency": money[1],
            "pack": parse_pack(pack_text) or (fold(pack_text) or None),
            "effective_date": effective}


def reimbursement_of(readings: list[Reading]) -> list[Reading]:
    """A price row of MHLW's price list is also the product's reimbursement listing: its
    listing (effective) date and price, quoted from the same row."""
    return [Reading(field="reimbursement", value={
        "listed": r.value.get("effective_date"), "price": r.value.get("amount"),
        "currency": r.value.get("currency")}, qualifier=r.qualifier, quote=r.quote,
        locator=r.locator) for r in readings if r.field == "price" and isinstance(r.value, dict)]
