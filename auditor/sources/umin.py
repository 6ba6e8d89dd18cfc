"""UMIN-CTR (UMIN Clinical Trials Registry) pages: the detail page of one registration
(``ctr_view.cgi?recptno=R…``) and the search-result list (``index.cgi?…ctrno=UMIN…``).

The detail page is a set of tables whose label cells are bilingual ("目標参加者数/Target
sample size") and whose value cells are either two columns (Japanese, English) or one cell
holding both ("限定募集中/Enrolling by invitation"). Labels repeat under different section
headers (機関名/Institute under 実施責任組織/Sponsor and under 研究費提供組織/Funding Source),
so each row remembers its section. The page declares ``<meta charset="ja">``, which is no
charset: the Document decodes by the HTTP header or by detection. Values carry bare CR line
ends: text is read through BeautifulSoup, which treats them as whitespace.

A row the page leaves empty gives no reading; a filled row whose value cannot be read gives
value None ("unknown"), never a guess. UMIN's own status words are mapped one by one: the
generic status words would read 限定募集中 (enrolling by invitation) as 募集中 (recruiting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from bs4 import Tag

from auditor.errors import ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.tables import cell_lines, outcome_items
from auditor.read.values import (
    design_tags,
    find_ids,
    fold,
    parse_date,
    parse_int,
    parse_phase,
    squash,
)

KIND = "umin"
ROLE = "registry"

#: Label patterns per key, matched in full against the folded, lower-cased label, its Japanese
#: part or its English part ("目標参加者数/Target sample size").
LABELS: dict[str, list[str]] = {
    "self_id": [r"umin試験id", r"umin id", r"umin trial id", r"unique id issued by umin"],
    "title": [r"科学的試験名", r"scientific title"],
    "public_title": [r"一般向け試験名", r"public title"],
    "indication": [r"対象疾患名", r"condition"],
    "phase": [r"試験のフェーズ", r"developmental phase"],
    "primary_outcomes": [r"主要アウトカム評価項目", r"primary outcomes?"],
    "secondary_outcomes": [r"副次アウトカム評価項目", r"(?:key )?secondary outcomes?"],
    "enrollment_planned": [r"目標参加者数", r"target sample size"],
    "enrollment_actual": [r"組み入れ参加者数",
                          r"number of participants that the trial has enrolled"],
    "status": [r"試験進捗状況", r"recruitment status"],
    "design": [r"基本デザイン", r"basic design", r"ランダム化", r"randomization", r"ブラインド化",
               r"blinding", r"コントロール", r"control"],
    "other_ids_flag": [r"他機関から発行された試験id", r"secondary ids"],
    "other_ids": [r"試験id\d+", r"study id_?\d+"],
    "disclosed": [r"一般公開日(?:\(本登録希望日\))?",
                  r"date of disclosure of the study information"],
    "registered": [r"登録日時", r"registered date"],
    "start_date": [r"登録・組入れ開始\(予定\)日", r"anticipated trial start date"],
    "completion_date": [r"フォロー終了\(予定\)日", r"last follow-up date"],
    "organisation": [r"機関名", r"institute", r"organization"],
}
_COMPILED = {key: [re.compile(p) for p in patterns] for key, patterns in LABELS.items()}
#: Section headers whose 機関名/Institute rows name the sponsor or a funder.
_SPONSOR_SECTION = re.compile(r"実施責任組織|^sponsor$")
_FUNDING_SECTION = re.compile(r"研究費提供組織|funding source")

#: UMIN's recruitment status vocabulary (Japanese and English) → ClinicalTrials.gov's. A value
#: not in this table is unknown (None): 主たる結果の公表済み says results are out, not whether
#: the trial was completed or stopped.
STATUSES: dict[str, str] = {
    "開始前": "NOT_YET_RECRUITING", "preinitiation": "NOT_YET_RECRUITING",
    "一般募集中": "RECRUITING", "open public recruiting": "RECRUITING",
    "限定募集中": "ENROLLING_BY_INVITATION", "enrolling by invitation": "ENROLLING_BY_INVITATION",
    "一般募集終了": "ACTIVE_NOT_RECRUITING", "no longer recruiting": "ACTIVE_NOT_RECRUITING",
    "試験終了": "COMPLETED", "completed": "COMPLETED",
    "試験中止": "TERMINATED", "terminated": "TERMINATED",
}

_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_UMIN_ID = re.compile(r"\bUMIN\d{9}\b")


def split_bilingual(text: str) -> tuple[str, str]:
    """'限定募集中/Enrolling by invitation' → ('限定募集中', 'Enrolling by invitation'); a text
    with no Japanese-then-English slash is its own Japanese part (or English part if ASCII)."""
    t = squash(text)
    m = re.fullmatch(r"(.*?[^\s/])\s*/\s*([A-Za-z][^\u3040-\u30ff\u4e00-\u9fff]*)", t)
    if m and _CJK.search(m.group(1)):
        return m.group(1).strip(), m.group(2).strip()
    return ("", t) if not _CJK.search(t) else (t, "")


@dataclass
class Row:
    """One label row of the detail page: its label, its section and its value cells."""

    label: str
    section: str
    cells: list[Tag] = field(default_factory=list)

    @property
    def text(self) -> str:
        return squash(" ".join(c.get_text(" ") for c in self.cells))

    @property
    def locator(self) -> str:
        where = f"{self.section} / " if self.section else ""
        return f"table row '{where}{self.label}'"

    def columns(self) -> tuple[Tag | None, Tag | None]:
        """(Japanese cell, English cell) of a two-column row; (cell, None) otherwise."""
        filled = [c for c in self.cells if squash(c.get_text(" "))]
        if len(self.cells) == 2 and len(filled) == 2 and \
                not _CJK.search(self.cells[1].get_text(" ")):
            return self.cells[0], self.cells[1]
        return (filled[0] if filled else None), None


def _norm(text: str) -> str:
    return squash(fold(text)).lower().rstrip(":： ").strip()


def _variants(label: str) -> list[str]:
    """The label, and its parts: Japanese, English, and without a note such as
    '（機関選択不可の場合）' (when the institution is not in the list)."""
    norm = _norm(label)
    bare = squash(re.sub(r"\([^)]*[\u3040-\u30ff\u4e00-\u9fff][^)]*\)", " ", norm))
    out = [norm]
    for text in dict.fromkeys((norm, bare)):
        out += [part for part in split_bilingual(text) if part]
    return list(dict.fromkeys(out))


def _key(label: str) -> str | None:
    variants = _variants(label)
    for key, patterns in _COMPILED.items():
        if any(p.fullmatch(v) for p in patterns for v in variants):
            return key
    return None


def _rows(doc: Document) -> list[Row]:
    """Label rows in page order, each with the section header above it."""
    rows: list[Row] = []
    section = ""
    for tr in doc.html.find_all("tr"):
        cells = tr.find_all(["td", "th"], recursive=False)
        if not cells or cells[0].find("b") is None:
            continue
        label = squash(cells[0].get_text(" "))
        if not label:
            continue
        if len(cells) == 1:
            if str(cells[0].get("colspan") or "1") not in ("", "1"):
                section = label
            continue
        rows.append(Row(label, section, cells[1:]))
    return rows


def _by_key(rows: list[Row]) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {}
    for row in rows:
        key = _key(row.label)
        if key:
            found.setdefault(key, []).append(row)
    return found


def _status(text: str) -> str | None:
    ja, en = split_bilingual(text)
    for part in (en, ja):
        status = STATUSES.get(_norm(part))
        if status:
            return status
    return None


def _phase(text: str) -> list[str] | None:
    phase = parse_phase(text)
    if phase is None:
        ja, en = split_bilingual(text)
        phase = parse_phase(en) if en else None
        if phase is None and ja:
            phase = parse_phase(ja)
    return phase


def _design(rows: list[Row]) -> list[str]:
    """Tags from the design rows: the Japanese words, and the English ones once UMIN's
    explanations are cut ('Open -no one is blinded' is open-label, not blinded)."""
    tags: set[str] = set()
    for row in rows:
        ja, en = split_bilingual(row.text)
        en = re.sub(r"\s+-\s*\S.*$", "", en)  # 'Double blind -all involved are blinded'
        en = re.sub(r"(?i)^open$", "open-label", en)
        en = re.sub(r"(?i)^uncontrolled$", "", en)  # 無対照 says no control, not one arm
        tags.update(design_tags(ja))
        tags.update(design_tags(en))
    return sorted(tags)


def _is_search_page(doc: Document) -> bool:
    return bool(re.search(r"ctr_view\.cgi\?recptno=", doc.text)) and \
        bool(re.search(r"UMIN試験ID|UMIN ID", doc.text)) and \
        doc.html.find("a", href=re.compile(r"ctr_view\.cgi\?recptno=")) is not None and \
        not any(_key(r.label) == "self_id" for r in _rows(doc))


def detect(doc: Document) -> bool:
    """A UMIN-CTR detail page (its UMIN ID row and two more UMIN labels) or search page."""
    try:
        if not _UMIN_ID.search(doc.text):
            return False
        rows = _by_key(_rows(doc))
        if any(_UMIN_ID.search(r.text) for r in rows.get("self_id", [])):
            return len(set(rows) - {"self_id"}) >= 2
        return _is_search_page(doc)
    except ParseError:
        return False


def parse(doc: Document) -> list[Reading]:
    all_rows = _rows(doc)
    rows = _by_key(all_rows)
    if "self_id" not in rows and _is_search_page(doc):
        return parse_search(doc)
    if not rows:
        raise ParseError(f"{doc.source}: no UMIN-CTR label/value rows found (UMIN試験ID, "
                         "目標参加者数/Target sample size ...); check that the URL is a UMIN-CTR "
                         "ctr_view.cgi?recptno=R… page")
    readings: list[Reading] = []

    def filled(key: str) -> list[Row]:
        return [r for r in rows.get(key, []) if r.text]

    def first(key: str) -> Row | None:
        return next(iter(filled(key)), None)

    def add(field_name: str, row: Row, value: object, unit: str | None = None,
            qualifier: str | None = None, quote: str | None = None) -> None:
        readings.append(Reading(field=field_name, value=value, unit=unit, qualifier=qualifier,
                                quote=quote if quote is not None else row.text,
                                locator=row.locator))

    def texts(field_name: str, row: Row | None, outcomes: bool = False) -> None:
        """Japanese and English readings of a bilingual text row."""
        if row is None:
            return
        ja_cell, en_cell = row.columns()
        for cell, lang in ((ja_cell, "ja"), (en_cell, "en")):
            if cell is None:
                continue
            text = squash(cell.get_text(" "))
            if lang == "ja" and not _CJK.search(text):
                lang = "en"
            value = outcome_items(cell_lines(cell)) if outcomes else text
            add(field_name, row, value or None, qualifier=lang, quote=text)

    own: list[str] = []
    for id_row in filled("self_id"):
        own = [i for i in find_ids(id_row.text) if i.startswith("UMIN")][:1]
        if own:
            add("identifiers", id_row, own, qualifier="self")
            break
    cited_rows = filled("other_ids")
    if cited_rows:
        cited = list(dict.fromkeys(i for r in cited_rows for i in find_ids(r.text)
                                   if i not in own))
        readings.append(Reading(field="identifiers", value=cited or None, qualifier="cited",
                                quote=" … ".join(r.text for r in cited_rows),
                                locator=", ".join(r.locator for r in cited_rows)))

    # the title row with an English column (the header block repeats the Japanese title only)
    titles = filled("title") or filled("public_title")
    texts("title", next((r for r in titles if r.columns()[1] is not None), first("title")))
    for key, counted in (("enrollment_planned", "planned"), ("enrollment_actual", "actual")):
        row = first(key)
        if row:
            add("enrollment", row, parse_int(row.text), "participants", counted)
    row = first("status")
    if row:
        add("status", row, _status(row.text))
    row = first("phase")
    if row:
        add("phase", row, _phase(row.text))
    texts("primary_outcomes", first("primary_outcomes"), outcomes=True)
    texts("secondary_outcomes", first("secondary_outcomes"), outcomes=True)
    texts("indication", first("indication"))

    dates = (("disclosed", "registration_date", None),
             ("registered", "registration_date", "first submitted"),
             ("start_date", "start_date", "anticipated"),
             ("completion_date", "completion_date", "overall anticipated"))
    for key, field_name, qualifier in dates:
        row = first(key)
        if row:
            add(field_name, row, parse_date(row.text), qualifier=qualifier)

    for section, field_name in ((_SPONSOR_SECTION, "sponsor"), (_FUNDING_SECTION, "funding")):
        orgs = [r for r in filled("organisation") if section.search(_norm(r.section))]
        if orgs:
            readings += _organisation(orgs, field_name)

    design_rows = [r for r in filled("design") if "design" in _norm(r.section) or
                   "デザイン" in r.section]
    if design_rows:
        readings.append(Reading(field="design", value=_design(design_rows) or None,
                                quote=" / ".join(r.text for r in design_rows),
                                locator=", ".join(r.locator for r in design_rows)))
    return readings


def _organisation(rows: list[Row], field_name: str) -> list[Reading]:
    """The sponsor or funder: UMIN's chosen institution, or the name typed in when the list
    had none (その他 + 機関名（機関選択不可の場合）); Japanese and English."""
    out: list[Reading] = []
    ja_cell, en_cell = rows[0].columns()
    ja = squash(ja_cell.get_text(" ")) if ja_cell is not None else ""
    ja_row = rows[0]
    if ja in ("", "その他", "Other", "Others"):
        typed = [r for r in rows[1:] if "機関選択不可" in r.label and r.text]
        if typed:
            ja_row, ja = typed[0], typed[0].text
        else:
            ja = ""
    if ja:
        value: object = [ja] if field_name == "funding" else ja
        out.append(Reading(field=field_name, value=value, qualifier="ja", quote=ja,
                           locator=ja_row.locator))
    if en_cell is not None:
        en = squash(en_cell.get_text(" "))
        out.append(Reading(field=field_name, value=[en] if field_name == "funding" else en,
                           qualifier="en", quote=en, locator=rows[0].locator))
    return out


# --- the search-result page -----------------------------------------------------------------

#: Search-result column headers → what the column holds.
COLUMNS = {"id": r"umin試験id", "acronym": r"科学的試験名略称|acronym", "indication": r"対象疾患名",
           "sponsor": r"実施責任組織", "status": r"試験進捗状況|recruitment status"}


def parse_search(doc: Document) -> list[Reading]:
    """The one result row of a search page (or the row of the id in the URL or selectors)."""
    table = next((t for t in doc.html.find_all("table")
                  if t.find("a", href=re.compile(r"ctr_view\.cgi\?recptno="))), None)
    if table is None:
        raise ParseError(f"{doc.source}: no UMIN-CTR search results table found")
    trs: list[Tag] = list(table.find_all("tr", recursive=False) or table.find_all("tr"))
    header = [squash(c.get_text(" ")) for c in trs[0].find_all(["td", "th"], recursive=False)]
    columns: dict[str, int] = {}
    for key, pattern in COLUMNS.items():
        for i, name in enumerate(header):
            if key not in columns and re.search(pattern, _norm(name)):
                columns[key] = i
    if "id" not in columns:
        raise ParseError(f"{doc.source}: the search results table has no UMIN試験ID column")
    results: list[tuple[int, str, list[Tag]]] = []
    for n, tr in enumerate(trs[1:], start=1):
        row_cells = list(tr.find_all(["td", "th"], recursive=False))
        if len(row_cells) != len(header):
            continue
        ids = _UMIN_ID.findall(row_cells[columns["id"]].get_text(" "))
        if ids:
            results.append((n, ids[0], row_cells))
    wanted = doc.selectors.get("trial_id") or next(
        iter(parse_qs(urlparse(doc.url or "").query).get("ctrno", [])), None)
    chosen = [r for r in results if r[1] == wanted] if wanted else results
    if len(chosen) != 1:
        found = ", ".join(r[1] for r in results) or "none"
        raise ParseError(f"{doc.source}: the search page lists {len(results)} trials ({found});"
                         " point the source at one trial's ctr_view.cgi?recptno= page, or set "
                         "selectors.trial_id")
    n, umin_id, cells = chosen[0]

    def locator(key: str) -> str:
        return f"search results row {n}, column '{header[columns[key]]}'"

    def text(key: str) -> str:
        return squash(cells[columns[key]].get_text(" ")) if key in columns else ""

    readings = [Reading(field="identifiers", value=[umin_id], qualifier="self",
                        quote=text("id"), locator=locator("id"))]
    disclosed = parse_date(text("id").replace(umin_id, ""))
    if disclosed:
        readings.append(Reading(field="registration_date", value=disclosed, quote=text("id"),
                                locator=locator("id")))
    if text("acronym"):
        readings.append(Reading(field="title", value=text("acronym"), qualifier="acronym",
                                quote=text("acronym"), locator=locator("acronym")))
    if text("status"):
        readings.append(Reading(field="status", value=_status(text("status")),
                                quote=text("status"), locator=locator("status")))
    if text("indication"):
        readings.append(Reading(field="indication", value=text("indication"), qualifier="ja",
                                quote=text("indication"), locator=locator("indication")))
    if text("sponsor"):
        readings.append(Reading(field="sponsor", value=text("sponsor"), qualifier="ja",
                                quote=text("sponsor"), locator=locator("sponsor")))
    return readings
