"""jRCT (Japan Registry of Clinical Trials) detail pages, Japanese (``/latest-detail/{id}``) and
English (``/en-latest-detail/{id}``): label/value rows in tables, read by label.

Labels differ between the two languages and have changed over the years (目標症例数 /
予定症例数 / Target sample size), so each field has a list of label patterns rather than one
fixed selector. A row whose value cannot be read gives value None ("unknown"); a row the page
does not have gives no reading at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bs4 import Tag

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.tables import cell_lines, outcome_items
from auditor.read.values import (
    design_tags,
    find_ids,
    fold,
    normalize_status,
    parse_date,
    parse_duration_months,
    parse_int,
    parse_phase,
    squash,
)

KIND = "jrct"
ROLE = "registry"

#: Label patterns per key, matched in full against the folded, lower-cased label text.
LABELS: dict[str, list[str]] = {
    "self_id": [r"臨床研究実施計画番号", r"治験実施計画番号", r"jrct\s*(?:番号|id|no\.?|number)",
                r"臨床研究実施計画・研究概要公開システム番号"],
    "title": [r"研究名称", r"試験名称", r"研究課題名", r"scientific title", r"official title",
              r"title of (?:the )?(?:study|trial)"],
    "public_title": [r"平易な研究名称", r"平易な試験名称", r"public title"],
    "enrollment_planned": [r"目標症例数", r"予定症例数", r"目標(?:とする)?(?:症例|被験者)数",
                           r"(?:実施)?予定被験者数",
                           r"target sample size", r"planned sample size", r"sample size"],
    "enrollment_actual": [r"実施症例数", r"実登録症例数", r"登録症例数",
                          r"actual (?:sample size|enrollment|enrolment)"],
    "status": [r"進捗状況", r"募集状況", r"recruitment status", r"status of recruitment"],
    "phase": [r"試験のフェーズ", r"試験等のフェーズ", r"フェーズ", r"phase", r"study phase"],
    "primary_outcomes": [r"主たる評価項目", r"主要評価項目", r"主要アウトカム評価項目",
                         r"primary outcomes?(?:\(s\))?", r"primary end ?points?(?:\(s\))?"],
    "secondary_outcomes": [r"副次的(?:な)?評価項目", r"副次評価項目", r"副次アウトカム評価項目",
                           r"secondary outcomes?(?:\(s\))?", r"secondary end ?points?(?:\(s\))?"],
    "registration_date": [r"初回公表日", r"date of first publication",
                          r"date of disclosure of the study information"],
    "submitted_date": [r"届出日", r"登録日", r"date of (?:notification|registration)"],
    "start_date": [r"最初の症例登録日", r"初回症例登録日", r"第1症例登録日", r"症例登録開始日",
                   r"date of (?:the )?first enrol?lment", r"first enrol?lment date"],
    "sponsor": [r"治験依頼者(?:の氏名(?:又は名称)?|の名称)?", r"実施責任者",
                r"研究責任\(代表\)医師(?:の氏名)?", r"研究責任医師(?:の氏名)?", r"治験調整医師",
                r"(?:primary )?sponsor(?: name)?", r"name of (?:the )?sponsor"],
    "funding": [r"資金提供者", r"資金源", r"研究資金等の提供組織(?:名称)?", r"source of funding",
                r"source of monetary support", r"funding"],
    "indication": [r"対象疾患(?:名)?", r"target disease", r"health conditions?(?:\(s\))?",
                   r"condition"],
    "design": [r"試験デザイン", r"研究デザイン", r"介入の種類", r"盲検化", r"無作為化", r"対照",
               r"割付け?(?:方法)?", r"試験等のタイプ", r"研究の種類", r"研究のタイプ",
               r"study design", r"study type", r"allocation", r"masking", r"control",
               r"assignment", r"randomi[sz]ation", r"blinding"],
    "completion_date": [r"実施期間\(終了日\)", r"研究終了(?:予定)?日"],
    "other_ids": [r"他の登録(?:id|番号)?", r"他の臨床研究登録機関への登録(?:id|番号)?",
                  r"他の臨床研究登録機関発行の研究番号",
                  r"他の臨床研究登録機関の(?:名称|番号|id)", r"secondary ids?", r"other ids?",
                  r"other registr(?:y|ies|ations?)(?: ids?)?", r"id of other registr(?:y|ies)"],
    "follow_up": [r"観察期間", r"追跡期間", r"フォローアップ期間", r"observation period",
                  r"follow[- ]?up period", r"duration of follow[- ]?up"],
}
_COMPILED = {key: [re.compile(p) for p in patterns] for key, patterns in LABELS.items()}
_JRCT = r"jRCT(?:[a-z]\d{9}|\d{10})"  # jRCT2090220384, jRCTs051180190
_JRCT_ID = rf"\b{_JRCT}\b"
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@dataclass
class Row:
    """One label/value pair of the page: its labels (outer first) and its value cell."""

    labels: list[str]
    cell: Tag
    #: further value cells of the row: the English column of a bilingual Japanese page
    extra: list[Tag] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        return squash(self.cell.get_text(" "))

    def english(self) -> Row | None:
        """The row's English value cell as a row of its own, when the page gives one."""
        if len(self.extra) == 1 and not _CJK.search(self.extra[0].get_text(" ")):
            return Row(self.labels, self.extra[0])
        return None

    def lines(self) -> list[str]:
        """The value split at line breaks, paragraphs and list items; blank lines dropped."""
        return cell_lines(self.cell)

    @property
    def locator(self) -> str:
        return f"table row '{' / '.join(self.labels)}'"


def _norm_label(text: str) -> str:
    return squash(fold(text)).lower().rstrip(":： ").strip()


def _variants(label: str) -> list[str]:
    """A label and its parts: bilingual labels are 'ja / English' or 'ja<br>English'."""
    norm = _norm_label(label)
    out = [norm]
    parts = [p.strip() for p in re.split(r"\s*/\s*", norm) if p.strip()]
    if len(parts) > 1:
        out += parts
    m = re.fullmatch(r"(.*[\u3040-\u30ff\u4e00-\u9fff)])\s+([a-z][\x20-\x7e]*)", norm)
    if m:
        out += [m.group(1).strip(), m.group(2).strip()]
    return out


def _key(label: str) -> str | None:
    variants = _variants(label)
    for key, patterns in _COMPILED.items():
        if any(p.fullmatch(v) for p in patterns for v in variants):
            return key
    return None


def _rows(doc: Document) -> Iterator[Row]:
    """Label/value rows of every table (th/td or td/td) and definition list (dt/dd)."""
    soup = doc.html
    spanning: dict[int, list[list[str | int]]] = {}  # table → [[outer label, rows left]]
    for tr in soup.find_all("tr"):
        cells = tr.find_all(["th", "td"], recursive=False)
        heads = [c for c in cells if c.name == "th"]
        values = [c for c in cells if c.name == "td" and squash(c.get_text(" "))]
        if not heads and len(values) >= 2:
            heads, values = values[:1], values[1:]
        labels = [squash(h.get_text(" ")) for h in heads if squash(h.get_text(" "))]
        carried = spanning.setdefault(id(tr.find_parent("table")), [])
        outer = [str(span[0]) for span in carried if int(span[1]) > 0]
        for span in carried:
            span[1] = int(span[1]) - 1
        for head in heads[:-1]:  # an outer label spanning the rows below it
            rowspan = str(head.get("rowspan") or "1")
            if rowspan.isdigit() and int(rowspan) > 1:
                carried.append([squash(head.get_text(" ")), int(rowspan) - 1])
        if labels and values:
            yield Row(outer + labels, values[0], values[1:])
    for dt in soup.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None and squash(dt.get_text(" ")):
            yield Row([squash(dt.get_text(" "))], dd)


def _by_key(rows: list[Row]) -> dict[str, list[Row]]:
    """Rows grouped by field key; a nested row is keyed by its innermost known label."""
    found: dict[str, list[Row]] = {}
    for row in rows:
        for label in reversed(row.labels):
            key = _key(label)
            if key:
                found.setdefault(key, []).append(row)
                break
    return found


def _language(doc: Document, rows: list[Row]) -> str:
    html = doc.html.find("html")
    lang = html.get("lang") if isinstance(html, Tag) else None
    if isinstance(lang, str) and lang:
        return lang.split("-")[0].lower()
    labels = " ".join(label for row in rows for label in row.labels)
    return "ja" if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", labels) else "en"


def _outcomes(row: Row) -> list[str]:
    return outcome_items(row.lines())


def _phase(text: str) -> list[str] | None:
    """A phase cell may hold the bare '1-2' because the label already says 'phase'."""
    phase = parse_phase(text)
    return phase if phase is not None else parse_phase(f"phase {text}")


def _self_id(doc: Document, rows: dict[str, list[Row]]) -> tuple[str, str, str] | None:
    """(id, quote, locator) for the page's own jRCT id: its id row, else the heading or title."""
    for row in rows.get("self_id", []):
        ids = [i for i in find_ids(row.text) if i.startswith("jRCT")]
        if ids:
            return ids[0], row.text, row.locator
    soup = doc.html
    for tag in soup.find_all(["h1", "h2", "h3", "title"]):
        ids = [i for i in find_ids(tag.get_text(" ")) if i.startswith("jRCT")]
        if ids:
            return ids[0], squash(tag.get_text(" ")), f"<{tag.name}>"
    m = re.search(rf"(?:en-)?latest-detail/({_JRCT})", doc.url or "")
    return (m.group(1), doc.url, "url") if m else None


def detect(doc: Document) -> bool:
    """An HTML page with a jRCT id and at least three jRCT labels."""
    try:
        if not re.search(_JRCT_ID, doc.text):
            return False
        labels = {_key(label) for row in _rows(doc) for label in row.labels}
    except ParseError:
        return False
    return len(labels - {None}) >= 3


def parse(doc: Document) -> list[Reading]:
    all_rows = list(_rows(doc))
    rows = _by_key(all_rows)
    if not rows:
        raise ParseError(f"{doc.source}: no jRCT label/value rows found (目標症例数, 進捗状況, "
                         "Target sample size ...); check that the URL is a jRCT detail page")
    lang = _language(doc, all_rows)
    readings: list[Reading] = []

    def first(key: str) -> Row | None:
        return rows[key][0] if rows.get(key) else None

    def english(key: str) -> Row | None:
        """The English column of the first `key` row that has one (Japanese pages only)."""
        if lang != "ja":
            return None
        return next((en for r in rows.get(key, []) if (en := r.english())), None)

    def add(field: str, row: Row, value, unit: str | None = None,
            qualifier: str | None = None, quote: str | None = None) -> None:
        readings.append(Reading(field=field, value=value, unit=unit, qualifier=qualifier,
                                quote=quote if quote is not None else row.text,
                                locator=row.locator))

    own = _self_id(doc, rows)
    if own:
        readings.append(Reading(field="identifiers", value=[own[0]], qualifier="self",
                                quote=own[1], locator=own[2]))
    cited: list[str] = []
    cited_rows = rows.get("other_ids", [])
    for cited_row in cited_rows:
        cited += [i for i in find_ids(cited_row.text)
                  if i not in cited and (not own or i != own[0])]
    if cited_rows:
        readings.append(Reading(
            field="identifiers", value=cited or None, qualifier="cited",
            quote=" … ".join(r.text for r in cited_rows),
            locator=", ".join(r.locator for r in cited_rows)))

    row = first("title") or first("public_title")
    if row:
        add("title", row, row.text or None, qualifier=lang)
        en = english("title") or english("public_title")
        if en:
            add("title", en, en.text, qualifier="en")
    for key, qualifier in (("enrollment_planned", "planned"), ("enrollment_actual", "actual")):
        row = first(key)
        if row:
            add("enrollment", row, parse_int(row.text), "participants", qualifier)
    row = first("status")
    if row:
        add("status", row, normalize_status(row.text))
    row = first("phase")
    if row:
        add("phase", row, _phase(row.text))
    for field in ("primary_outcomes", "secondary_outcomes"):
        row = first(field)
        if row:
            add(field, row, _outcomes(row) or None, qualifier=lang)
            en = english(field)
            if en:
                add(field, en, _outcomes(en) or None, qualifier="en")
    for field in ("registration_date", "start_date"):
        row = first(field)
        if row:
            add(field, row, parse_date(row.text))
    row = first("submitted_date")  # 届出日: notified to the MHLW, days before 初回公表日
    if row:
        add("registration_date", row, parse_date(row.text), qualifier="first submitted")
    row = first("completion_date")  # 実施期間（終了日）: the end of the planned period
    if row:
        add("completion_date", row, parse_date(row.text), qualifier="overall planned")
    row = first("follow_up")
    if row:
        add("follow_up", row, parse_duration_months(row.text), "months")
    row = first("sponsor")
    if row:
        add("sponsor", row, row.text or None, qualifier=lang)
    if rows.get("funding"):
        funders = [line for r in rows["funding"] for line in r.lines()]
        readings.append(Reading(field="funding", value=funders or None, qualifier=lang,
                                quote=" … ".join(r.text for r in rows["funding"]),
                                locator=", ".join(r.locator for r in rows["funding"])))
    row = first("indication")
    if row:
        add("indication", row, row.text or None, qualifier=lang)
        en = english("indication")
        if en:
            add("indication", en, en.text, qualifier="en")
    design_rows = rows.get("design", [])
    if design_rows:
        text = " / ".join(r.text for r in design_rows)
        readings.append(Reading(field="design", value=design_tags(text) or None, quote=text,
                                locator=", ".join(r.locator for r in design_rows)))
    return readings


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """The detail page; `en:jRCT…` (or language="en") for the English page."""
    ident = identifier.strip()
    if ident.lower().startswith("en:"):
        ident, language = ident[3:], "en"
    if not re.fullmatch(r"jRCT[a-z]?\d{7,10}", ident, re.IGNORECASE):
        raise ConfigError(f"{identifier!r} is not a jRCT id; give one like jRCT2090220384")
    page = "en-latest-detail" if language == "en" else "latest-detail"
    return f"{bases['jrct']}/{page}/{ident}"
