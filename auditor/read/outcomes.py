"""Outcome texts as comparable keys: the measure's content words (abbreviations and synonyms
folded to one name each) and its time point, kept apart.

A registry writes "Change From Baseline in HbA1c at Week 40 (Time Frame: Baseline, Week 40)",
the paper "the change in glycated hemoglobin level from baseline to week 40": the same measure
(key {hba1c}) at the same time point (9.2 months). "30-Day Sustained Abstinence" and "7-Day
Point Prevalence Abstinence" share a word but are different measures: an "N-day" before a
measure is part of its definition, not a time point.

The vocabulary below is the one place synonyms live (documented in README.md, "Outcome
vocabulary"); a Japanese registry text is put into English by GLOSSARY first, and a text that
is still mostly Japanese is not comparable (never silently dropped: the rules say so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.read.values import fold, parse_duration_months

#: Canonical name → the ways papers and registries write it (matched as whole words, after
#: folding and lower-casing; longest first). Extend here, with a test.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "pfs": ("progression-free survival", "progression free survival", "pfs"),
    "os": ("overall survival", "os"),
    "efs": ("event-free survival", "event free survival", "efs"),
    "dfs": ("disease-free survival", "disease free survival", "dfs"),
    "rfs": ("relapse-free survival", "recurrence-free survival", "rfs"),
    "orr": ("objective response rate", "overall response rate", "orr", "objective response"),
    "dor": ("duration of response", "dor"),
    "ttp": ("time to progression", "ttp"),
    "pcr": ("pathologic complete response", "pathological complete response", "pcr"),
    "hba1c": ("glycated hemoglobin", "glycated haemoglobin", "glycosylated hemoglobin",
              "glycosylated haemoglobin", "hemoglobin a1c", "haemoglobin a1c", "hba1c", "a1c",
              "hba 1c"),
    "ldl_c": ("low-density lipoprotein cholesterol", "low density lipoprotein cholesterol",
              "ldl cholesterol", "ldl-c", "ldl c", "ldl"),
    "hdl_c": ("high-density lipoprotein cholesterol", "high density lipoprotein cholesterol",
              "hdl cholesterol", "hdl-c", "hdl"),
    "bp": ("blood pressure", "bp"),
    "sbp": ("systolic blood pressure", "sbp"),
    "dbp": ("diastolic blood pressure", "dbp"),
    "bmi": ("body mass index", "bmi"),
    "fev1": ("forced expiratory volume in 1 second", "forced expiratory volume in one second",
             "fev1", "fev 1"),
    "6mwd": ("six-minute walk distance", "6-minute walk distance", "six minute walk distance",
             "6 minute walk distance", "6-minute walk test", "six-minute walk test", "6mwd",
             "6mwt"),
    "qol": ("health-related quality of life", "quality of life", "hrqol", "qol"),
    "vas": ("visual analogue scale", "visual analog scale", "vas"),
    "mace": ("major adverse cardiovascular events", "major adverse cardiac events", "mace"),
    "all_cause_mortality": ("all-cause mortality", "all cause mortality", "death from any cause",
                            "all-cause death", "death from all causes"),
    "serious_adverse_events": ("serious adverse events", "serious adverse event", "saes", "sae"),
    "adverse_events": ("treatment-emergent adverse events", "treatment emergent adverse events",
                       "adverse events", "adverse event", "adverse reactions", "teaes", "teae",
                       "aes", "ae"),
    "dlt": ("dose-limiting toxicities", "dose-limiting toxicity", "dose limiting toxicity",
            "dose limiting toxicities", "dlts", "dlt"),
    "mtd": ("maximum tolerated dose", "maximally tolerated dose", "mtd"),
    "pk": ("pharmacokinetics", "pharmacokinetic", "pk"),
    "auc": ("area under the curve", "area under the concentration-time curve", "auc"),
    "mds_updrs": ("movement disorder society-sponsored revision of the unified parkinson's "
                  "disease rating scale", "movement disorder society unified parkinson's disease "
                  "rating scale", "mds-updrs", "mds updrs"),
    "updrs": ("unified parkinson's disease rating scale", "unified parkinson disease rating "
              "scale", "updrs"),
    "part_3": ("part iii", "part 3", "part-iii"),
    "part_2": ("part ii", "part 2"),
    "off_state": ("off state", "off-state", "off period", "off-medication", "off medication",
                  "practically defined off", "off"),
    "on_state": ("on state", "on-state", "on-medication", "on medication"),
    "fdopa_pet": ("18f-dopa pet", "18f-fluorodopa pet", "fluorodopa pet", "f-dopa pet",
                  "18f dopa pet", "dopa pet"),
    "hoehn_yahr": ("hoehn and yahr", "hoehn-yahr", "hoehn & yahr", "h&y"),
    "egfr_rate": ("estimated glomerular filtration rate", "egfr"),
    "tumor": ("tumour", "tumor", "tumors", "tumours", "tumorigenicity", "tumourigenicity"),
    "graft": ("graft survival", "graft"),
}

#: Words that say how a measure is reported rather than what it is.
GENERIC = frozenset("""
a an the of in at to from for by with and or as on into within per each any all its their
measured measure measures measurement assessed assessment evaluated evaluation determined defined
using use via based according rate rates ratio proportion proportions percentage percent number
numbers incidence occurrence occurrences frequency count counts change changes changed
baseline score scores scale total mean median average patients patient participants participant
subjects subject people persons individuals who that which was were is are be been level levels
value values time period periods during after over up through until visit visits study trial
outcome outcomes endpoint endpoints end point points primary secondary efficacy main key
experiencing experienced with without having had reported reporting developing
""".split())

#: Japanese registry words → English, so a Japanese registration can match an English paper.
GLOSSARY = {
    "有害事象": "adverse events", "重篤な": "serious ", "安全性": "safety", "有効性": "efficacy",
    "運動症状": "motor symptoms", "ドパミン": "dopamine", "ドーパミン": "dopamine",
    "産生": "production", "生着": "graft survival", "腫瘍": "tumour", "発現": "incidence",
    "変化量": "change", "変化": "change", "スコア": "score", "評価": "assessment",
    "移植": "transplantation", "細胞": "cells", "の": " ", "及び": " and ", "および": " and ",
    "と": " and ", "、": ", ", "（": " (", "）": ") ", "頻度": "frequency", "割合": "rate",
    "全生存期間": "overall survival", "無増悪生存期間": "progression-free survival",
    "奏効率": "objective response rate", "死亡": "death", "生存": "survival",
}

_DURATION = r"\d+(?:\.\d+)?\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|h)\b"
#: A time point: a preposition before a duration ("at 12 months", "up to 24 weeks"), "week 52"
#: forms, a registry's "(Time Frame: ...)" or trailing parenthetical, and Japanese durations.
#: A hyphenated "30-day" before a noun is NOT one: it defines the measure.
_TIME_POINT = re.compile(
    r"\(\s*(?:time\s*frame:?\s*)?[^()]*?\d[^()]*\)\s*$"
    r"|\b(?:at|over|for|up to|through|throughout|during|after|within|by|to|until|from)\s+"
    r"(?:the\s+)?(?:first\s+)?" + _DURATION + r"(?:\s*(?:after|post|following)[- ]?\w+)?"
    r"|\b(?:weeks?|months?|days?|years?)\s+\d+\b"
    r"|(?<![\w-])" + _DURATION + r"(?![- ]\w)"
    r"|\d+\s*(?:か月|ヶ月|カ月|週|年|日)間?(?:後)?",
    re.IGNORECASE)


@dataclass(frozen=True)
class OutcomeKey:
    """What an outcome is (content words, synonyms folded) and when (months, if stated)."""

    text: str
    words: frozenset[str]
    months: float | None
    comparable: bool


def english(text: str) -> str:
    for ja, en in sorted(GLOSSARY.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(ja, en)
    return text


def _phrases() -> list[tuple[re.Pattern[str], str]]:
    pairs = [(form, name) for name, forms in VOCABULARY.items() for form in forms]
    pairs.sort(key=lambda p: -len(p[0]))
    return [(re.compile(r"(?<![\w-])" + re.escape(form) + r"(?![\w])"), name)
            for form, name in pairs]


_PHRASES = _phrases()


def _stem(word: str) -> str:
    word = word.replace("haem", "hem").replace("randomis", "randomiz")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        else word


def time_point(text: str) -> float | None:
    """The outcome's time point in months, when its text states one ('at week 52' → 12)."""
    for m in _TIME_POINT.finditer(fold(text)):
        phrase = re.sub(r"\b(weeks?|months?|days?|years?)\s+(\d+)", r"\2 \1", m.group(0),
                        flags=re.IGNORECASE)  # "week 52" → "52 week"
        months = parse_duration_months(phrase)
        if months:
            return months
    return None


def outcome_key(text: str) -> OutcomeKey:
    """The comparable key of one outcome text."""
    raw = english(fold(text))
    cjk = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", raw))
    body = _TIME_POINT.sub(" ", raw)
    # ON/OFF in capitals are medication states; lower-case "on" is a preposition.
    body = re.sub(r"\bON\b", " on state ", body)
    t = body.lower()
    for pattern, name in _PHRASES:
        t = pattern.sub(f" {name} ", t)
    t = re.sub(r"(\d+)[- ](day|week|month|year)s?\b", r"\1\2", t)  # "30-day" defines a measure
    words = frozenset(_stem(w) for w in re.findall(r"[a-z0-9_]+", t)
                      if w not in GENERIC and not w.isdigit())
    comparable = bool(words) and cjk <= max(2, len(raw) // 5)
    return OutcomeKey(text, words, time_point(raw), comparable)


#: Names that exclude each other: two measures naming different members of one group are
#: different measures, whatever else they share ("PFS" is not "OS"; OFF is not ON).
EXCLUSIVE: tuple[frozenset[str], ...] = (
    frozenset({"pfs", "os", "efs", "dfs", "rfs", "ttp", "dor"}),
    frozenset({"on_state", "off_state"}),
    frozenset({"sbp", "dbp"}),
    frozenset({"ldl_c", "hdl_c"}),
    frozenset({"serious_adverse_event", "adverse_event"}),
    frozenset({"part_2", "part_3"}),
)


def _contradict(a: frozenset[str], b: frozenset[str]) -> bool:
    for group in EXCLUSIVE:
        left, right = a & group, b & group
        if left and right and not left & right:
            return True
    days_a = {w for w in a if re.fullmatch(r"\d+(day|week|month|year)", w)}
    days_b = {w for w in b if re.fullmatch(r"\d+(day|week|month|year)", w)}
    return bool(days_a and days_b and not days_a & days_b)


def similarity(a: OutcomeKey, b: OutcomeKey) -> float:
    """0–100: the share of the shorter measure's words found in the other (so a more detailed
    statement of the same measure scores high), and 0 when the two name measures that exclude
    each other ('30-day' vs '7-day', PFS vs OS, ON vs OFF)."""
    if not a.words or not b.words or _contradict(a.words, b.words):
        return 0.0
    return 100.0 * len(a.words & b.words) / min(len(a.words), len(b.words))
