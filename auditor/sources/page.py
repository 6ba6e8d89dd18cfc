"""Company pages and press releases (HTML): pipeline tables, approval announcements.

Their layout differs from site to site, so config.toml may name CSS selectors per field in
``selectors`` (field → selector). Special keys: ``prose`` (paragraphs read as prose, claim
language included), ``pipeline`` (pipeline table rows or tables), ``approval`` (the approval
sentence). Without selectors every ``<p>`` is read as prose and every table row that names a
development stage as a pipeline row.

Table reading (rowspan/colspan, header rows, label/value rows) is in ``auditor/tables.py``.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from auditor.errors import ConfigError, ParseError
from auditor.models import FIELDS, Reading
from auditor.read.documents import Document
from auditor.read.prose import read_prose, sentences
from auditor.read.tables import (
    cell_text,
    column,
    header_records,
    norm_label,
    split_names,
    table_rows,
)
from auditor.read.values import (
    approval_tags,
    parse_date,
    parse_money,
    parse_pack,
    parse_phase,
    squash,
)

KIND = "page"
ROLE = "company"

# --- the company page parser ------------------------------------------------------------------

SPECIAL = ("prose", "pipeline")
_STAGE = (r"phase|approved|approval|filed|launched|marketed|preclinical|"
          r"承認|申請|臨床|発売|第\s*\d\s*相")
_REGIONS = (r"^(japan|u\.?s\.?a?|united states|europe|eu|china|global|asia|"
            r"日本|国内|米国|欧州|中国)$")
_INDICATION = re.compile(
    r"\bfor\s+((?:the treatment of\s+)?(?:patients|adults|people|individuals)\s+(?:with|whose)\b"
    r"[^.;]*)", re.IGNORECASE)
_BRAND = re.compile(r"\b([A-Z][A-Za-z-]{2,})\s*[®™]?\s*\(\s*(?:generic name:?\s*|INN:?\s*)?"
                    r"([a-z][a-z-]{4,}(?:\s[a-z]{3,})?)\s*\)")


def detect(doc: Document) -> bool:
    """Any HTML page: the generic fallback, so it is the last kind tried."""
    try:
        soup = doc.html
    except ParseError:
        return False
    return soup.find(["p", "table"]) is not None


def parse(doc: Document) -> list[Reading]:
    soup = doc.html
    body = soup.body or soup
    if not squash(body.get_text(" ")):
        raise ParseError(f"{doc.source}: HTML page has no text; re-fetch it or check the URL")
    if doc.selectors:
        return _with_selectors(doc, soup)
    return _fallback(soup)


def _with_selectors(doc: Document, soup: BeautifulSoup) -> list[Reading]:
    readings: list[Reading] = []
    for key, selector in doc.selectors.items():
        if key not in SPECIAL and key not in FIELDS:
            raise ConfigError(f"{doc.source}: selector key {key!r} is not a field; use one of "
                              f"{', '.join(SPECIAL)} or a field name ({', '.join(FIELDS)})")
        try:
            elements = soup.select(selector)
        except Exception as e:  # soupsieve raises its own SelectorSyntaxError
            raise ConfigError(f"{doc.source}: selector {selector!r} for {key!r} is not valid "
                              f"CSS ({e}); fix it in config.toml") from e
        where = f"css '{selector}'"
        if not elements:
            field = "claim_language" if key == "prose" else key
            readings.append(Reading(field=field, value=None, quote="",
                                    locator=f"{where} matched nothing (page changed?)"))
            continue
        texts = [cell_text(e) for e in elements]
        if key == "prose":
            readings += _prose(elements, where)
        elif key == "pipeline":
            readings += _pipeline_from(elements, where)
        else:
            readings += _field(key, " ".join(texts), texts, where)
    return readings


def _field(key: str, text: str, texts: list[str], where: str) -> list[Reading]:
    """One field from the text of the elements a selector picked."""
    if key == "approval":
        tags = approval_tags(text)
        return [Reading(field="approval", value=tags or None, quote=text, locator=where)]
    if key == "product_name":
        brands = [m for t in texts for m in [_BRAND.search(t)] if m]
        names = ([n for m in brands for n in m.groups()] if brands
                 else [n for t in texts for n in split_names(t)])
        return [Reading(field="product_name", value=list(dict.fromkeys(names)) or None,
                        quote=" | ".join(texts), locator=where)]
    if key == "price":
        money = parse_money(text)
        value = None if money is None else {
            "amount": money[0], "currency": money[1], "pack": parse_pack(text),
            "effective_date": parse_date(text)}
        return [Reading(field="price", value=value, quote=text, locator=where)]
    if key in ("approval_date", "publication_date", "start_date", "completion_date",
               "registration_date"):
        return [Reading(field=key, value=parse_date(text), quote=text, locator=where)]
    if key in ("indication", "title", "sponsor", "conflicts_of_interest"):
        return [Reading(field=key, value=text or None, quote=text, locator=where)]
    found = [r for r in read_prose(text, where, claim_language=True) if r.field == key]
    return found or [Reading(field=key, value=None, quote=text, locator=where)]


def _prose(elements: list[Tag], where: str) -> list[Reading]:
    """read_prose on each element; the first reading per field wins, claim sentences all count."""
    readings: list[Reading] = []
    seen: set[str] = set()
    for i, element in enumerate(elements, start=1):
        text = cell_text(element)
        if not text:
            continue
        for r in read_prose(text, f"{where} [{i}]", claim_language=True):
            if r.field == "claim_language" or r.field not in seen:
                readings.append(r)
                seen.add(r.field)
    return readings


def _fallback(soup: BeautifulSoup) -> list[Reading]:
    paragraphs = [p for p in soup.find_all("p") if cell_text(p)]
    readings = _prose(paragraphs, "p")
    pipeline = _pipeline_from(soup.find_all("table"), "")
    readings += pipeline
    texts = [(f"p [{i}]", cell_text(p)) for i, p in enumerate(paragraphs, start=1)]
    readings += _approval_and_indication(texts, pipeline)
    readings += _product_names(texts, pipeline)
    title = soup.find("h1") or soup.find("title")
    if title is not None and cell_text(title):
        readings.append(Reading(field="title", value=cell_text(title), quote=cell_text(title),
                                locator=title.name))
    return readings


def _approval_and_indication(texts: list[tuple[str, str]],
                             pipeline: list[Reading]) -> list[Reading]:
    """The first sentence naming an approval gives its tags; one naming patients, the indication."""
    approval = indication = None
    for where, text in texts:
        for i, sentence in enumerate(sentences(text), start=1):
            mentions = re.search(r"approv|承認", sentence, re.IGNORECASE)
            if approval is None and mentions and approval_tags(sentence):
                approval = Reading(field="approval", value=approval_tags(sentence),
                                   quote=sentence, locator=f"{where}, sentence {i}")
            m = _INDICATION.search(sentence)
            if indication is None and mentions and m:
                indication = Reading(field="indication", value=m.group(1).strip(),
                                     quote=sentence, locator=f"{where}, sentence {i}")
    if approval is None:
        for row in pipeline:
            if approval_tags(row.quote):
                approval = Reading(field="approval", value=approval_tags(row.quote),
                                   quote=row.quote, locator=row.locator)
                break
    return [r for r in (approval, indication) if r is not None]


def _product_names(texts: list[tuple[str, str]], pipeline: list[Reading]) -> list[Reading]:
    """Brand (generic) pairs in prose, and program names of pipeline rows."""
    readings: list[Reading] = []
    for where, text in texts:
        m = _BRAND.search(text)
        if m:
            readings.append(Reading(field="product_name", value=[m.group(1), m.group(2)],
                                    quote=m.group(0), locator=where))
            break
    programs: list[str] = []
    for row in pipeline:
        for name in split_names(row.value.get("program") or ""):
            if name not in programs:
                programs.append(name)
    if programs:
        readings.append(Reading(field="product_name", value=programs, qualifier="pipeline",
                                quote="; ".join(dict.fromkeys(r.value["program"] for r in pipeline
                                                              if r.value.get("program"))),
                                locator="pipeline table, program column"))
    return readings


# --- pipeline tables --------------------------------------------------------------------------


def _pipeline_from(elements: list[Tag], where: str) -> list[Reading]:
    """Pipeline readings from selected tables or rows; rows are read under their table's header."""
    readings: list[Reading] = []
    tables: dict[int, Tag] = {}
    rows: dict[int, set[int]] = {}
    for element in elements:
        table = element if element.name == "table" else element.find_parent("table")
        if table is None:
            continue
        tables.setdefault(id(table), table)
        if element.name == "tr":
            rows.setdefault(id(table), set()).add(id(element))
    for n, (key, table) in enumerate(tables.items(), start=1):
        readings += _pipeline_table(table, f"{where} table[{n}]".strip(), rows.get(key))
    return readings


def _pipeline_table(table: Tag, where: str, only: set[int] | None) -> list[Reading]:
    parsed = header_records(table)
    if parsed is not None:
        headers, rows = parsed
    else:
        headers = []
        rows = [(i, tr, cells) for i, (tr, cells) in enumerate(table_rows(table), start=1)]
    program = column(headers, r"program|product|compound|code|generic|製品|"
                              r"開発(?:コード|番号|品)|一般名")
    indication = column(headers, r"indication|disease|target|適応|対象疾患|予定適応")
    region = column(headers, r"region|country|area|地域|国")
    stage = column(headers, r"stage|phase|status|開発段階|ステージ|状況")
    region_columns = [i for i, h in enumerate(headers) if re.search(_REGIONS, norm_label(h))]
    readings: list[Reading] = []
    for number, tr, cells in rows:
        if only is not None and id(tr) not in only:
            continue
        texts = [cell_text(c) for c in cells]
        quote = " | ".join(dict.fromkeys(t for t in texts if t))
        locator = f"{where} row {number}"
        if region_columns:
            for i in region_columns:
                if i < len(texts) and texts[i] and re.search(_STAGE, texts[i], re.IGNORECASE):
                    readings.append(_pipeline_reading(
                        texts, program, indication, headers[i], texts[i], quote,
                        f"{locator}, column '{headers[i]}'"))
            continue
        if stage is None or stage >= len(texts):
            guess = [i for i, t in enumerate(texts) if re.search(_STAGE, t, re.IGNORECASE)]
            if not guess:
                continue
            stage_text = texts[guess[0]]
        else:
            stage_text = texts[stage]
        if not stage_text:
            continue
        region_text = texts[region] if region is not None and region < len(texts) else None
        readings.append(_pipeline_reading(texts, program if headers else 0, indication,
                                          region_text, stage_text, quote, locator))
    return readings


def _pipeline_reading(texts: list[str], program: int | None, indication: int | None,
                      region: str | None, stage: str, quote: str, locator: str) -> Reading:
    def at(i: int | None) -> str | None:
        return texts[i] or None if i is not None and i < len(texts) else None

    value = {"program": at(program), "indication": at(indication), "region": region or None,
             "phase": parse_phase(stage), "status": stage}
    return Reading(field="pipeline", value=value, qualifier=region or None, quote=quote,
                   locator=locator)
