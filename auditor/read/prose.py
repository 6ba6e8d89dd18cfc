"""Read claims from prose: abstracts, press releases, notices. Shared by every source kind
whose facts live in sentences rather than in labelled fields.

Each reading quotes the one sentence it came from, so a reviewer can check it by eye.
"""

from __future__ import annotations

import functools
import re

from auditor.models import Reading
from auditor.read.values import (
    _WORD_NUMBERS,
    design_tags,
    find_ids,
    fold,
    parse_duration_months,
    parse_int,
    parse_phase,
    squash,
)

#: A count in digits or words, longest word first so 'twenty-eight' is not read as 'eight'.
_NUM = r"(\d[\d,]*|" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + ")"
#: A Japanese count: digits (full-width ones are folded) or kanji numerals (七例).
_JA_NUM = r"(\d+|[〇一二三四五六七八九十百千]+)"
_DUR = r"(\d+|six|twelve|eighteen|twenty-four|thirty-six|forty-eight|one|two|three|four|five)" \
       r"[\s-]*(?:years?|months?|weeks?|か月|ヶ月|カ月|年間?|週間?)"

ENROLLMENT_PATTERNS = [
    rf"\b{_NUM}\s+(?:patients|participants|subjects|individuals)\b(?:\s+with\s+[\w' -]+?)?"
    r"(?:\s*\(aged[^)]*\))?\s+(?:were|received|underwent|had|enrolled)",
    rf"(?:received|enrolled|treated|transplanted into|into the \w+ of|included|recruited)\s+"
    rf"{_NUM}\s+(?:patients|participants|subjects)",
    r"\bn\s*=\s*(\d+)",
    rf"{_JA_NUM}\s*(?:例|名|人)(?:の患者|に移植|を対象|が登録|を登録)",
    rf"(?:患者|被験者)\s*{_JA_NUM}\s*(?:例|名|人)",
]
ANALYSED_PATTERNS = [
    rf"(?:among|of) the {_NUM} patients (?:who underwent|evaluated|assessed|analy[sz]ed)"
    r"[^.]*?(?:efficacy|evaluation)",
    rf"efficacy was (?:evaluated|assessed|analy[sz]ed) in {_NUM} patients",
    rf"有効性[^。]*?{_JA_NUM}\s*(?:例|名)",
]
FOLLOW_UP_PATTERNS = [
    rf"(?:followed|follow-up|followed up|observed|monitored)[^.]{{0,40}}?(?:for|over|of|to)\s+"
    rf"{_DUR}",
    rf"{_DUR}\s+(?:of\s+)?follow-up",
    rf"(?:over|for|at|through)\s+{_DUR}(?:\s+(?:after|post)[- ]?(?:transplant\w*|surgery))?",
    r"(?:観察期間|追跡期間)[^。]*?(\d+\s*(?:か月|ヶ月|カ月|年|週))",
    r"(\d+\s*(?:か月|ヶ月|カ月|年|週))間?(?:にわたり|の観察|追跡)",
]
AE_PATTERNS = [
    rf"{_NUM}\s+(?:mild(?:[- ]to[- ]moderate|,? (?:or|and|to) moderate)?|moderate)?\s*"
    r"(?:treatment-emergent\s+)?adverse events",
    rf"{_NUM}\s+(?:mild(?:[- ]to[- ]moderate|,? (?:or|and|to) moderate)?|moderate)\s+events",
    rf"(?<!重篤な)有害事象[^。]*?{_JA_NUM}\s*件",  # 重篤な有害事象 counts are SAEs
]
SAE_NONE = (r"\bno serious adverse events?\b|serious adverse events? (?:were|was) not|"
            r"重篤な有害事象(?:は|の発現は)?(?:認められ|み?られ)?なかった|重篤な有害事象なし")
SAE_PATTERNS = [rf"{_NUM}\s+serious adverse events?", rf"重篤な有害事象[^。]*?{_JA_NUM}\s*件"]

OUTCOME_PATTERNS = {
    "primary_outcomes": r"(?:the\s+)?primary\s+(?:outcomes?|end\s?points?)\s+(?:was|were|is|are|"
                        r"included|comprised)\s+(?:the\s+)?(.+?)(?:;|\.\s|\.$|,\s+(?:and\s+)?"
                        r"(?:the\s+)?secondary|$)|主要評価項目は(.+?)(?:であ|とし|。|、副次)",
    "secondary_outcomes": r"(?:the\s+)?secondary\s+(?:outcomes?|end\s?points?)\s+(?:was|were|is|"
                          r"are|included|comprised)\s+(?:the\s+)?(.+?)(?:;|\.\s|\.$|$)|"
                          r"副次評価項目は(.+?)(?:であ|とし|。)",
}

#: Cheap pre-checks: a word every pattern of the field contains. A sentence without it cannot
#: match, so the field's patterns are not tried (most sentences state one or two fields).
GATES = {field: re.compile(words, re.IGNORECASE) for field, words in {
    "primary_outcomes": r"primary|主要評価項目",
    "secondary_outcomes": r"secondary|副次評価項目",
    "enrollment": r"patient|participant|subject|individual|\bn\s*=|例|名|人",
    "sample_size_analysed": r"patient|有効性",
    "follow_up": r"year|month|week|か月|ヶ月|カ月|年|週",
    "adverse_events": r"adverse|event|有害事象",
    "serious_adverse_events": r"serious|重篤",
}.items()}

#: Words that claim more than an early, uncontrolled study can show; rules weigh them.
CLAIM_WORDS = [
    r"\bproven\b", r"\bprove[sd]?\b", r"\bcures?\b", r"\bcured\b", r"\bcurative\b",
    r"demonstrated (?:efficacy|effectiveness|benefit)", r"\bbreakthrough\b",
    r"\brestores?\b (?:motor|function|dopamine)", r"\bclinically proven\b", r"\bestablished\b",
    r"\bhighly effective\b", r"\bsafe and effective\b", r"\bconfirm(?:s|ed)? (?:the )?efficacy",
    r"根治", r"完治", r"治癒", r"有効性が(?:証明|確認)", r"効果が実証", r"画期的",
]


def sentences(text: str) -> list[str]:
    """Split prose into sentences (English and Japanese full stops)."""
    text = squash(text)
    parts = [p.strip() for p in re.split(r"(?<=[.!?。])\s+(?=[A-Z0-9\"(])|(?<=。)", text)
             if p and p.strip()]
    out: list[str] = []
    for part in parts:
        if out and re.search(ABBREVIATIONS, out[-1]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


#: Full stops that do not end a sentence: "Sumitomo Pharma Co., Ltd. (", "Sawamoto et al. 2025".
ABBREVIATIONS = r"(?:\b(?:Co|Ltd|Inc|Corp|et al|e\.g|i\.e|vs|No|Dr|Fig|approx)\.)$"


@functools.cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _first(patterns: list[str], folded: str) -> re.Match | None:
    """The first pattern that matches the (already folded) sentence."""
    for pattern in _compiled(tuple(patterns)):
        m = pattern.search(folded)
        if m:
            return m
    return None


def read_prose(text: str, locator: str, *, qualifier: str | None = "actual",
               claim_language: bool = False) -> list[Reading]:
    """Every reading in a block of prose; the first hit per field wins, in sentence order."""
    found: dict[str, Reading] = {}
    tags: set[str] = set()
    tag_quotes: list[str] = []
    ids: list[str] = []
    id_quotes: list[str] = []
    claims: list[Reading] = []
    for i, sentence in enumerate(sentences(text), start=1):
        where = f"{locator}, sentence {i}"

        def add(field: str, value, unit: str | None = None, qual: str | None = None) -> None:
            if field not in found and value is not None:
                found[field] = Reading(field=field, value=value, unit=unit, qualifier=qual,
                                       quote=sentence, locator=where)

        folded = fold(sentence)

        def wanted(field: str) -> bool:
            """Not found yet, and the sentence has a word every pattern of the field needs."""
            return field not in found and bool(GATES[field].search(folded))

        for outcome_field, pattern in OUTCOME_PATTERNS.items():
            m = _first([pattern], folded) if wanted(outcome_field) else None
            if m:
                add(outcome_field, [squash(m.group(1) or m.group(2))])
        m = _first(ENROLLMENT_PATTERNS, folded) if wanted("enrollment") else None
        if m:
            add("enrollment", parse_int(m.group(1)), "participants", qualifier)
        m = _first(ANALYSED_PATTERNS, folded) if wanted("sample_size_analysed") else None
        if m:
            add("sample_size_analysed", parse_int(m.group(1)), "participants", "efficacy")
        m = _first(FOLLOW_UP_PATTERNS, folded) if wanted("follow_up") else None
        if m:
            add("follow_up", parse_duration_months(m.group(0)), "months")
        if wanted("serious_adverse_events"):
            if _first([SAE_NONE], folded):
                add("serious_adverse_events", 0, "events")
            else:
                m = _first(SAE_PATTERNS, folded)
                if m:
                    add("serious_adverse_events", parse_int(m.group(1)), "events")
        m = _first(AE_PATTERNS, folded) if wanted("adverse_events") else None
        if m and not re.search(r"serious", m.group(0), re.IGNORECASE):
            add("adverse_events", parse_int(m.group(1)), "events")
        phase = parse_phase(sentence)
        if phase:
            add("phase", phase)
        sentence_tags = design_tags(sentence)
        if sentence_tags:
            tags.update(sentence_tags)
            tag_quotes.append(sentence)
        for ident in find_ids(sentence):
            if ident not in ids:
                ids.append(ident)
                id_quotes.append(sentence)
        if claim_language:
            hits = [m.group(0) for p in _compiled(tuple(CLAIM_WORDS))
                    for m in [p.search(sentence)] if m]
            if hits:
                claims.append(Reading(field="claim_language", value=hits, quote=sentence,
                                      locator=where))
    readings = list(found.values())
    if tags:
        readings.append(Reading(field="design", value=sorted(tags), quote=" … ".join(tag_quotes),
                                locator=locator))
    if ids:
        readings.append(Reading(field="identifiers", value=ids, qualifier="cited",
                                quote=" … ".join(dict.fromkeys(id_quotes)), locator=locator))
    return readings + claims
