"""PMDA approval information for regenerative medical products (HTML, Japanese or English):
販売名, 一般的名称, 承認の種類 (条件及び期限付承認), 効能、効果又は性能, 承認条件, 承認日.

Two layouts are read the same way: a label/value page for one product, and an approved-products
list (one row per product, the same labels as column headers). A list gives one reading per
product, qualified by its brand name.
"""

from __future__ import annotations

import re

from bs4 import Tag

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import claim_readings, fact_readings_in
from auditor.read.tables import cell_text, header_records, label_values, norm_label, split_names
from auditor.read.values import approval_tags, fold, parse_date

KIND = "pmda"
ROLE = "regulator"

#: Label patterns (matched on norm_label: folded, no spaces) → what the value is.
LABELS: dict[str, str] = {
    "brand": r"^(?:販売名|brandname|productname)",
    "generic": r"^(?:一般的名称|一般名|nonproprietaryname|genericname|inn)",
    "kind": (r"^(?:承認の?種類|承認区分|承認の区分|承認"
             r"|typeofapproval|approvaltype|approvalcategory)$"),
    "indication": r"^(?:効能、?効果又は性能|効能又は効果|効能・効果|効能、効果|indications?"
                  r"|indications?orperformance)",
    "conditions": r"^(?:承認条件|条件及び期限|承認の?条件|conditionsofapproval|approvalconditions)",
    "date": r"^(?:承認日|承認年月日|(?:date)?of?approval(?:date)?|approvaldate)$",
    "remarks": r"^(?:備考|remarks)$",
}
_NONE = r"^(?:なし|無し|該当なし|-|ー|―|none|n/?a)?$"


def detect(doc: Document) -> bool:
    if "pmda.go.jp" in doc.url:
        return True
    text = doc.text[:20000]
    return "医薬品医療機器総合機構" in text or (
        "販売名" in text and re.search(r"承認(?:の種類|区分|条件|日)", text) is not None)


def _role(label: str) -> str | None:
    key = norm_label(label)
    return next((role for role, pattern in LABELS.items() if re.search(pattern, key)), None)


def parse(doc: Document) -> list[Reading]:
    soup = doc.html
    records: list[tuple[dict[str, tuple[Tag, str, str]], str | None]] = []
    single: dict[str, tuple[Tag, str, str]] = {}
    for label, cell, where in label_values(soup):
        role = _role(label)
        if role and role not in single:
            single[role] = (cell, label, where)
    if single:
        records.append((single, None))
    for n, table in enumerate(soup.find_all("table"), start=1):
        parsed = header_records(table)
        if parsed is None:
            continue
        headers, rows = parsed
        roles = {i: _role(h) for i, h in enumerate(headers)}
        if "brand" not in roles.values():
            continue
        for number, _tr, cells in rows:
            where = f"table[{n}] row {number}, column"
            record = {role: (cells[i], headers[i], f"{where} '{headers[i]}'")
                      for i, role in roles.items() if role and i < len(cells)}
            brand = cell_text(record["brand"][0]) if "brand" in record else None
            if brand:
                records.append((record, brand))
    if not records:
        raise ParseError(f"{doc.source}: no PMDA approval fields found (販売名, 承認の種類, "
                         "効能、効果又は性能); check the URL or re-fetch the page")
    readings: list[Reading] = []
    for record, qualifier in records:
        readings += _record(record, qualifier)
    paragraphs = [p for p in soup.find_all(["p", "li"]) if p.find_parent("table") is None]
    readings += claim_readings((cell_text(p), f"{p.name}[{i}]")
                               for i, p in enumerate(paragraphs, start=1))
    stated = {r.field for r in readings}  # a labelled row outranks a sentence
    readings += [r for r in fact_readings_in(
        [(f"{label}: {cell_text(cell)}", f"table row '{label}'")
         for label, cell, _ in label_values(soup)]
        + [(cell_text(p), f"{p.name}[{i}]") for i, p in enumerate(paragraphs, start=1)])
        if r.field not in stated]
    return readings


def _record(record: dict[str, tuple[Tag, str, str]], qualifier: str | None) -> list[Reading]:
    readings: list[Reading] = []

    def text(role: str) -> str:
        return cell_text(record[role][0]) if role in record else ""

    names = split_names(text("brand")) + [g for g in split_names(text("generic"))
                                          if g not in split_names(text("brand"))]
    if names:
        roles = [r for r in ("brand", "generic") if r in record]
        readings.append(Reading(field="product_name", value=names, qualifier=qualifier,
                                quote=" / ".join(text(r) for r in roles),
                                locator="; ".join(record[r][2] for r in roles)))
    tags: set[str] = set()
    quotes: list[str] = []
    places: list[str] = []
    for role in ("kind", "remarks"):
        found = approval_tags(text(role)) if text(role) else []
        if found:
            tags.update(t for t in found if t != "post-marketing obligations" or role == "kind")
            quotes.append(text(role))
            places.append(record[role][2])
    if "conditions" in record and not re.fullmatch(_NONE, fold(text("conditions")).strip(),
                                                   re.IGNORECASE):
        tags.add("post-marketing obligations")
        quotes.append(text("conditions"))
        places.append(record["conditions"][2])
    if tags:
        readings.append(Reading(field="approval", value=sorted(tags), qualifier=qualifier,
                                quote=" … ".join(quotes), locator="; ".join(places)))
    elif "kind" in record:
        readings.append(Reading(field="approval", value=None, qualifier=qualifier,
                                quote=text("kind"), locator=record["kind"][2]))
    if "indication" in record:
        readings.append(Reading(field="indication", value=text("indication") or None,
                                qualifier=qualifier, quote=text("indication"),
                                locator=record["indication"][2]))
    if "date" in record:
        readings.append(Reading(field="approval_date", value=parse_date(text("date")),
                                qualifier=qualifier, quote=text("date"),
                                locator=record["date"][2]))
    return readings
