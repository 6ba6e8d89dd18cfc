"""Value parsers shared by every source: numbers (Japanese too), durations, dates, money,
status and phase vocabularies, design tags and identifiers.

Each parser returns None when it cannot read its input: the caller records "unknown",
never a guess.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date

# --- text -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """NFKC-fold: full-width digits, letters and commas become ASCII; ヶ stays; curly quotes
    become straight ones (Crossref writes Parkinson’s)."""
    folded = unicodedata.normalize("NFKC", text or "").replace("\u3000", " ")
    return folded.translate(_QUOTES)


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u2212": "-", "\u2013": "-"})


def squash(text: str) -> str:
    """Collapse runs of whitespace (HTML text nodes are full of them)."""
    return re.sub(r"\s+", " ", text or "").strip()


def strip_markup(markup: str, sep: str = " ") -> str:
    """Text of a JATS/HTML fragment (an abstract string): tags dropped, entities decoded.
    Much cheaper than building a parse tree for a few paragraphs."""
    return squash(html.unescape(re.sub(r"<[^>]*>", sep, markup)))


# --- numbers --------------------------------------------------------------------------------

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                 "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
                 "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20,
                 "twenty-four": 24, "thirty": 30, "thirty-six": 36, "forty-eight": 48,
                 "seventeen": 17, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_UNITS_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
# 'Twenty-eight participants' must read 28, not the 'eight' at its end.
_WORD_NUMBERS.update(_TENS)
_WORD_NUMBERS.update({f"{t}-{u}": v + i for t, v in _TENS.items()
                      for i, u in enumerate(_UNITS_WORDS, start=1)})


def kanji_to_int(text: str) -> int | None:
    """Read small kanji numerals such as 七 or 二十四; None if any character is not one."""
    if not text or any(c not in _KANJI_DIGITS and c not in _KANJI_UNITS for c in text):
        return None
    total, current = 0, 0
    for c in text:
        if c in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[c] if current else _KANJI_DIGITS[c]
        else:
            total += (current or 1) * _KANJI_UNITS[c]
            current = 0
    return total + current


_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")


def parse_number(text: str) -> float | None:
    """The first number in text: '55,306,737円' → 55306737, '７例' → 7, '二十四か月' → 24."""
    folded = fold(text)
    m = _NUMBER.search(folded)
    if m:
        whole = int(m.group(1).replace(",", ""))
        return float(f"{whole}.{m.group(2)}") if m.group(2) else float(whole)
    kanji = re.search(r"[〇零一二三四五六七八九十百千]+", folded)
    if kanji:
        value = kanji_to_int(kanji.group(0))
        return float(value) if value is not None else None
    word = re.search(r"\b(" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")\b",
                     folded.lower())
    return float(_WORD_NUMBERS[word.group(1)]) if word else None


def parse_int(text: str) -> int | None:
    number = parse_number(text)
    if number is None or number != int(number):
        return None
    return int(number)


# --- durations ------------------------------------------------------------------------------

_DURATION_UNITS: list[tuple[str, float]] = [
    (r"years?|yrs?|年間?", 12.0),
    (r"months?|mos?|か月|カ月|ヶ月|ケ月|箇月|ヵ月|ｹ月|月間", 1.0),
    (r"weeks?|wks?|週間?", 12.0 / 52.0),
    (r"days?|日間", 12.0 / 365.0),
]
_DURATION = re.compile(
    r"(\d+(?:\.\d+)?|[〇一二三四五六七八九十百]+|"
    + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
    + r")[\s-]*(" + "|".join(u for u, _ in _DURATION_UNITS) + r")",
    re.IGNORECASE,
)


def parse_duration_months(text: str) -> float | None:
    """A duration in months: '24 months', '2 years', '104 weeks', '24か月', '２年間' → 24 (≈)."""
    m = _DURATION.search(fold(text))
    if not m:
        return None
    raw = m.group(1)
    amount = float(raw) if raw[0].isdigit() else (
        kanji_to_int(raw) if raw[0] in _KANJI_DIGITS or raw[0] in _KANJI_UNITS
        else _WORD_NUMBERS.get(raw.lower()))
    if amount is None:
        return None
    unit = m.group(2).lower()
    for pattern, factor in _DURATION_UNITS:
        if re.fullmatch(pattern, unit, re.IGNORECASE):
            return round(float(amount) * factor, 2)
    return None


# --- dates ----------------------------------------------------------------------------------

_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    try:
        if day:
            return date(year, month or 1, day).isoformat()
        if month:
            date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return f"{year:04d}" if 1800 < year < 2200 else None
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """A partial ISO date from ISO, English, Japanese (年月日) or era (令和8年5月20日) text."""
    t = fold(text).strip()
    m = re.search(r"(令和|平成|昭和)\s*(元|\d{1,2})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?", t)
    if m:
        year = _ERAS[m.group(1)] + (1 if m.group(2) == "元" else int(m.group(2)))
        return _iso(year, int(m.group(3)), int(m.group(4)) if m.group(4) else None)
    m = re.search(r"\b([RHS])\s*(\d{1,2})\.(\d{1,2})\.(\d{1,2})\b", t)
    if m:
        return _iso(_ERAS[m.group(1)] + int(m.group(2)), int(m.group(3)), int(m.group(4)))
    m = re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?", t)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
    # '2026-03-27T09:59:26Z' (ISO date-times: ISRCTN, CTIS) reads as its date
    m = re.search(r"\b(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?!\d)", t)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
    low = t.lower()
    m = re.search(r"\b(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})\b", low)
    if m and m.group(2) in _MONTHS:
        return _iso(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    m = re.search(r"\b([a-z]{3,9})\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})\b", low)
    if m and m.group(1) in _MONTHS:
        return _iso(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)) if m.group(2) else None)
    # PubMed and Europe PMC write year first: '2025 Apr 16', '2025 May'
    m = re.search(r"\b(\d{4})\s+([a-z]{3,9})\.?(?:\s+(\d{1,2}))?\b", low)
    if m and m.group(2) in _MONTHS:
        return _iso(int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3)) if m.group(3) else None)
    m = re.fullmatch(r"(\d{4})", t)
    return _iso(int(m.group(1))) if m else None


def parse_day_first_date(text: str) -> str | None:
    """Registry exports that write dates day first (WHO ICTRP: '23/03/2017' is 23 March).

    Also reads compact '20170323' and anything parse_date reads. An impossible day-first date
    ('03/23/2017') gives None rather than a month-first guess.
    """
    t = fold(text).strip()
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?", t)
    if m:
        return _iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return parse_date(t)


def date_parts_to_iso(parts: list) -> str | None:
    """Crossref's {"date-parts": [[2025, 4, 16]]} (or the inner [2025, 4, 16]) → '2025-04-16';
    None for [[null]] and other unreadable parts."""
    if parts and isinstance(parts[0], list):
        parts = parts[0]
    if not parts or not all(isinstance(p, int) or (isinstance(p, str) and p.isdigit())
                            for p in parts[:3]):
        return None
    return _iso(*[int(p) for p in parts[:3]])


# --- money ----------------------------------------------------------------------------------


def parse_money(text: str) -> tuple[int, str] | None:
    """(amount, ISO currency) from '55,306,737円', '¥55,306,737', 'JPY 55,306,737', '$1,200'."""
    t = fold(text)
    amount = parse_number(t)
    if amount is None:
        return None
    if re.search(r"円|¥|\bJPY\b|\byen\b", t, re.IGNORECASE):
        currency = "JPY"
    elif re.search(r"\$|\bUSD\b", t):
        currency = "USD"
    elif re.search(r"€|\bEUR\b", t):
        currency = "EUR"
    else:
        return None
    return int(amount), currency


# --- vocabularies ---------------------------------------------------------------------------

STATUSES = ("NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING",
            "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN", "UNKNOWN")
_STATUS_WORDS: list[tuple[str, str]] = [
    (r"not yet recruiting|pending|募集前|未募集", "NOT_YET_RECRUITING"),
    (r"enrolling by invitation", "ENROLLING_BY_INVITATION"),
    (r"active,? not recruiting|not recruiting|recruitment (?:complete|closed)|募集終了|"
     r"募集中断|追跡中|実施中", "ACTIVE_NOT_RECRUITING"),
    (r"\brecruiting\b|募集中", "RECRUITING"),
    (r"suspended|中断", "SUSPENDED"),
    (r"terminated|中止", "TERMINATED"),
    (r"withdrawn|取下げ|取り下げ", "WITHDRAWN"),
    (r"complete[d]?|研究終了|試験終了|終了", "COMPLETED"),
]


def normalize_status(text: str) -> str | None:
    """Registry status words (English or Japanese) → ClinicalTrials.gov's vocabulary."""
    t = fold(text).strip()
    upper = t.upper().replace(" ", "_").replace(",", "")
    if upper in STATUSES:
        return upper
    for pattern, status in _STATUS_WORDS:
        if re.search(pattern, t, re.IGNORECASE):
            return status
    return None


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}


def parse_phase(text: str) -> list[str] | None:
    """'Phase I/II', 'PHASE1, PHASE2', '第1/2相', 'Phase 1/2a' → ['1', '2']; 'NA' → []."""
    t = fold(text).lower()
    if re.fullmatch(r"\s*(n/?a|not applicable|該当せず|該当なし)\s*", t):
        return []
    phases: set[str] = set()
    # 'phase-II' reads as phase II; 'the phase in which' is no phase I
    for m in re.finditer(r"(?:phase|第)[\s-]*([0-4]|iv|iii|ii|i)(?:[a-b])?(?![a-z])"
                         r"((?:\s*[/,&-]\s*(?:phase\s*)?(?:[0-4]|iv|iii|ii|i)[a-b]?(?![a-z]))*)",
                         t):
        for token in [m.group(1), *re.findall(r"(iv|iii|ii|i|[0-4])", m.group(2) or "")]:
            phases.add(_ROMAN.get(token, token))
    if "early_phase1" in t or "early phase 1" in t:
        phases.add("1")
    return sorted(phases) or None


#: Design tags and the words that signal them (English and Japanese).
DESIGN_WORDS: dict[str, str] = {
    "open-label": r"open[- ]label|non[- ]?blind|unblinded|masking:? none|\bnone \(open label\)|"
                  r"非盲検|オープン|masking not used",
    "blinded": r"(?<!non-)(?<!non)\b(?:single|double|triple|quadruple)[- ]blind|\bblinded\b|"
               r"masked|盲検(?<!非盲検)",
    "randomised": r"(?<!non-)(?<!non)\brandomi[sz]ed\b|ランダム化(?!なし)|無作為化",
    "non-randomised": r"non[- ]?randomi[sz]ed|非ランダム化|非無作為化",
    "single-arm": r"single[- ](?:arm|group)|単群|uncontrolled|single assignment|単一群|非対照",
    "controlled": r"(?<!un)controlled|placebo|対照(?:群)?あり|比較対照|"
                  r"\b(?:active|dose[- ]comparison|historical|no[- ]treatment) control\b|"
                  r"プラセボ対照|実薬(?:\(治療\))?対照|用量比較|無治療対照|標準治療対照",
}


def design_tags(text: str) -> list[str]:
    """Design tags a text states; the Japanese '非盲検' counts as open-label, not blinded."""
    t = fold(text)
    tags = {tag for tag, pattern in DESIGN_WORDS.items() if re.search(pattern, t, re.IGNORECASE)}
    if "open-label" in tags and re.search(r"非盲検", t) and not re.search(r"(?<!非)盲検", t):
        tags.discard("blinded")
    if "non-randomised" in tags and not re.search(r"(?<!non-)(?<!non)\brandomi[sz]ed|(?<!非)"
                                                  r"ランダム化", t, re.IGNORECASE):
        tags.discard("randomised")
    return sorted(tags)


# --- identifiers ----------------------------------------------------------------------------

#: Trial registry ids: kind → pattern with an ``id`` group; _canonical() rewrites each match to
#: the registry's own spelling (prefix, no space). EudraCT numbers become EUCTR… with any
#: country suffix kept (EUCTR2010-012345-12-GB); EU CTIS numbers, which have a fourth numeric
#: part, become CTIS… (CTIS2023-501234-12-00) and are never read as EudraCT numbers.
ID_PATTERNS: dict[str, str] = {
    "NCT": r"\bNCT\s?(?P<id>\d{8})\b",
    "jRCT": r"\bjRCT(?P<id>[a-z]\d{9}|\d{10})\b",
    "UMIN": r"\bUMIN\s?(?P<id>\d{9})\b",
    "JMA": r"\bJMA-IIA(?P<id>\d{5})\b",
    "JapicCTI": r"\bJapicCTI-?(?P<id>\d{6})\b",
    "ISRCTN": r"\bISRCTN\s?(?P<id>\d{8})\b",
    "CTIS": r"\b(?:(?:CTIS|EU\s?CT)(?:\s*(?:No\.?|number))?[\s:]*)?"
            r"(?P<id>\d{4}-\d{6}-\d{2}-\d{2})\b",
    "EUCTR": r"\b(?:(?:EUCTR|EudraCT)(?:\s*(?:No\.?|number))?[\s:]*)?"
             r"(?P<id>\d{4}-\d{6}-\d{2}(?:-(?:[A-Z]{2}|3RD))?)\b(?!-\d)",
    "ChiCTR": r"\bChiCTR(?P<id>-?(?:[A-Z]{2,4}-)?\d{8,10})\b",
    "ACTRN": r"\bACTRN\s?(?P<id>\d{14})\b",
    "DRKS": r"\bDRKS\s?(?P<id>\d{8})\b",
    "CTRI": r"\bCTRI/(?P<id>\d{4}/\d{2,3}/\d{6})\b",
    "NTR": r"\bNTR\s?(?P<id>\d{3,5})\b",
    "KCT": r"\bKCT(?P<id>\d{7})\b",
    "PACTR": r"\bPACTR(?P<id>\d{15})\b",
    "TCTR": r"\bTCTR(?P<id>\d{11})\b",
    "IRCT": r"\bIRCT(?P<id>\d{10,14}N\d{1,3})\b",
    "CTR": r"\bCTR(?P<id>20\d{6})\b",  # China drug trial registry (chinadrugtrials.org.cn)
    "DOI": r"\b10\.\d{4,9}/[^\s\"<>,;]+[^\s\"<>,;.)]",
}
_ID_PREFIX = {"JMA": "JMA-IIA", "JapicCTI": "JapicCTI-", "CTRI": "CTRI/"}


def _canonical(kind: str, m: re.Match[str]) -> str | None:
    """A registry id match in the registry's spelling; None for a placeholder of zeros."""
    core = m.group("id")
    if not re.sub(r"\D", "", core).strip("0"):
        return None  # NCT00000000, UMIN000000000: a form's placeholder, not a trial
    core = core.lower() if kind == "jRCT" else core.upper()
    return f"{_ID_PREFIX.get(kind, kind)}{core}"


def find_ids(text: str) -> list[str]:
    """Registry ids and DOIs in a text, normalized: 'DOI:10.1038/…' keeps the DOI prefix,
    'UMIN 000033564' → 'UMIN000033564', '2010-012345-12' → 'EUCTR2010-012345-12'."""
    found: list[str] = []
    t = fold(text)
    for kind, pattern in ID_PATTERNS.items():
        for m in re.finditer(pattern, t, re.IGNORECASE if kind == "DOI" else 0):
            ident = f"DOI:{m.group(0).lower()}" if kind == "DOI" else _canonical(kind, m)
            if ident and ident not in found:
                found.append(ident)
    return found


def normalize_id(ident: str) -> str:
    """Canonical form for comparing ids: DOIs lower-case with a DOI: prefix, PMIDs as PMID:n,
    registry ids in the registry's spelling whatever their case or spacing ('nct03797326',
    'UMIN 000033564', a bare EudraCT or CTIS number)."""
    s = fold(ident).strip()
    if re.match(r"(?i)^(doi:|https?://(dx\.)?doi\.org/)", s):
        return "DOI:" + re.sub(r"(?i)^(doi:|https?://(dx\.)?doi\.org/)", "", s).lower()
    if s.startswith("10."):
        return "DOI:" + s.lower()
    if re.match(r"(?i)^pmid:?\s*\d+$", s):
        return "PMID:" + re.sub(r"\D", "", s)
    for kind, pattern in ID_PATTERNS.items():
        m = re.fullmatch(pattern, s, re.IGNORECASE) if kind != "DOI" else None
        if m:
            return _canonical(kind, m) or s
    return s


# --- regulatory vocabulary ------------------------------------------------------------------

#: Approval tags and the words that signal them (English and Japanese).
APPROVAL_WORDS: dict[str, str] = {
    "conditional": r"\bconditional(?:ly)?\b|条件(?:及び|・|付き?|と)?期限付き?|条件付き?承認",
    "time-limited": r"time[- ]limited|期限付き?|(?:conditional|条件)[^.。]{0,20}(?:and|及び|・)"
                    r"\s*(?:time[- ]limited|期限)",
    "full": r"\bfull (?:marketing )?approval\b|\bfully approved\b|本承認|通常承認",
    "post-marketing obligations": r"post[- ]marketing (?:clinical )?(?:stud(?:y|ies)|"
                                  r"obligations?|requirements?|commitments?|surveillance|trials?)|"
                                  r"製造販売後(?:臨床試験|調査|承認条件)|承認条件",
}


def approval_tags(text: str) -> list[str]:
    """Approval tags a text states: '条件及び期限付承認' → ['conditional', 'time-limited']."""
    t = fold(text)
    return sorted(tag for tag, pattern in APPROVAL_WORDS.items()
                  if re.search(pattern, t, re.IGNORECASE))


#: Pack units as the sources write them, one name per container: MHLW's 瓶 and バイアル and an
#: English "vial" are the same container (calling 18瓶 and 18 vials different packs raised a
#: false HIGH price finding); 組 / set and 1患者当たり / per patient are read by parse_pack.
_PACK_UNITS = {"バイアル": "vial", "vials?": "vial", "瓶": "vial", "bottles?": "vial",
               "袋": "bag", "bags?": "bag", "キット": "kit", "kits?": "kit",
               "シリンジ": "syringe", "syringes?": "syringe", "管": "ampoule",
               "ampoules?": "ampoule"}


def parse_pack(text: str) -> str | None:
    """A pack as '18 vials' from '18バイアル1組', '１８バイアル１組', '18-vial set', '1 vial'."""
    t = fold(text)
    for pattern, unit in _PACK_UNITS.items():
        m = re.search(rf"(\d+)\s*-?\s*(?:{pattern})", t, re.IGNORECASE)
        if m:
            n = int(m.group(1))
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return None
