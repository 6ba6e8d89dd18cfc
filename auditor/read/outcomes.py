"""Outcome texts as comparable keys: the measure's content words (abbreviations and synonyms
folded to one name each) and its time point, kept apart.

A registry writes "Change From Baseline in HbA1c at Week 40 (Time Frame: Baseline, Week 40)",
the paper "the change in glycated hemoglobin level from baseline to week 40": the same measure
(key {hba1c}) at the same time point (9.2 months). "30-Day Sustained Abstinence" and "7-Day
Point Prevalence Abstinence" share a word but are different measures: an "N-day" before a
measure is part of its definition, not a time point. A pharmacokinetic outcome is named by its
parameter: "Trough Serum Concentration (Ctrough)", "Ctau" and "pre-dose concentration" are one
(ctrough), a Cmax is never an AUC, and a paper's "pharmacokinetic parameters (Ctau, Cmax, and
AUC0-tau) of X" is one outcome per parameter (`per_parameter`), each matched or missed on its own.

The vocabulary below is the one place synonyms live (documented in README.md, "Outcome
vocabulary"); a Japanese registry text is put into English by GLOSSARY first, and a text that
is still mostly Japanese is not comparable (never silently dropped: the rules say so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from auditor.read.values import fold, parse_duration_months

#: 'area under the (plasma) concentration-time curve' as registries and papers write it.
_CONCENTRATION_CURVE = tuple(
    f"area under {the}{matrix}concentration{sep}time{sep2}curve"
    for the in ("the ", "") for matrix in ("", "plasma ", "serum ", "blood ")
    for sep in ("-", " ", " versus ", " vs ", " vs. ") for sep2 in (" ", "-"))


def _concentration(kind: str) -> tuple[str, ...]:
    """'maximum plasma concentration', 'maximum serum concentrations', 'maximum
    concentration'…: one PK parameter whatever the matrix and number."""
    return tuple(f"{kind} {matrix}{noun}" for matrix in ("plasma ", "serum ", "blood ", "drug ",
                                                         "")
                 for noun in ("concentrations", "concentration"))


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
    "auc": ("area under the curve", *_CONCENTRATION_CURVE, "auc"),
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
    "bcva": ("best-corrected visual acuity", "best corrected visual acuity", "bcva"),
    "etdrs": ("early treatment diabetic retinopathy study", "etdrs"),
    "fvc": ("forced vital capacity", "fvc"),
    "nrs": ("numerical rating scale", "numeric rating scale", "numerical rating score", "nrs"),
    "cmax": (*_concentration("maximum"), *_concentration("maximum observed"),
             *_concentration("maximum measured"),
             *_concentration("peak"), "cmax"),
    "ctrough": (*_concentration("trough"), *_concentration("pre-dose"),
                *_concentration("predose"),
                "concentrations at the end of the dosing interval",
                "concentration at the end of the dosing interval", "ctrough", "ctau"),
    "cmin": (*_concentration("minimum"), "cmin"),
    "tmax": ("time to maximum plasma concentration", "time to maximum serum concentration",
             "time to maximum concentration", "time to peak concentration",
             "time to reach maximum concentration", "tmax"),
    "t_half": ("terminal elimination half-life", "terminal half-life", "elimination half-life",
               "half-life", "half life", "t1/2"),
    "clearance": ("apparent clearance", "total clearance", "systemic clearance", "clearance",
                  "cl/f", "cl"),
    "vd": ("apparent volume of distribution", "volume of distribution", "vd", "vss", "vz",
           "vz/f"),
    "crcl": ("creatinine clearance", "crcl"),
    # Routes of administration: a qualifier of a measure (weight 1), exclusive of each other.
    "sc_route": ("subcutaneous", "subcutaneously", "sub-cutaneous", "s.c.", "sc"),
    "im_route": ("intramuscular", "intramuscularly", "i.m.", "im"),
    "iv_route": ("intravenous", "intravenously", "i.v."),
}

#: Pharmacokinetic parameters: each names its own measure (a paper's Cmax is not a
#: registry's AUC), and a text that names several ('pharmacokinetic parameters (Ctau, Cmax and
#: AUC0-tau) of X') is one outcome per parameter (`per_parameter`).
PK_PARAMETERS = frozenset({"cmax", "ctrough", "cmin", "tmax", "auc", "t_half", "clearance",
                           "vd"})
#: Words that only spell out a PK parameter already named ('Maximum iberdomide concentration
#: (Cmax)', 'Cmax (maximum measured concentration of X)', 'area under the X plasma
#: concentration-time curve … AUC(TAU)'): dropped once the parameter is named, so that
#: 'maximum' (which otherwise changes a measure) and the matrix do not set it apart.
_PK_SPELLING = {"cmax": {"maximum", "maximal", "max", "peak"},
                "tmax": {"maximum", "maximal", "max", "peak", "reach"},
                "ctrough": {"trough"}, "cmin": {"minimum"}, "auc": {"area", "under", "curve"}}
_PK_MATRIX = frozenset({"concentration", "plasma", "serum", "blood", "measured", "observed"})
#: PK parameters spelt out around the analyte's name ('area under the iberdomide plasma
#: concentration-time curve', 'maximum iberdomide concentration', 'time to maximum iberdomide
#: plasma concentration'): up to three words between the kind and 'concentration', kept (the
#: analyte).
_BETWEEN = r"((?:[\w-]+\s+){0,3}?)"
_PK_SPELLED = [
    (re.compile(r"\btime to (?:reach )?(?:the )?(?:maximum|peak) " + _BETWEEN
                + r"concentrations?\b"), "tmax"),
    (re.compile(r"\barea under (?:the )?" + _BETWEEN + r"concentration[- ]?(?:versus |vs\.? )?"
                r"time[- ]curve\b"), "auc"),
    (re.compile(r"\b(?:maximum|peak) (?:observed |measured )?" + _BETWEEN
                + r"concentrations?\b"), "cmax"),
    (re.compile(r"\btrough " + _BETWEEN + r"concentrations?\b"), "ctrough"),
    (re.compile(r"\bminimum (?:observed |measured )?" + _BETWEEN + r"concentrations?\b"),
     "cmin"),
]
#: Names that qualify a measure rather than name it: they weigh single.
QUALIFIERS = frozenset({"sc_route", "im_route", "iv_route"})
#: 'AUC0-tau', 'AUC(0-tau)', 'AUC[0-∞]', 'AUCinf', 'AUClast': one parameter, its interval
#: written as a subscript.
_AUC_INTERVAL = re.compile(
    r"\bauc\s*(?:[\[(]\s*)?(?:0\s*-\s*(?:tau|τ|t|inf|infinity|∞|last|\d+\s*h?)|tau|τ|inf|last)"
    r"(?:\s*[\])])?(?![\w])", re.IGNORECASE)

#: Words that say how a measure is reported rather than what it is.
GENERIC = frozenset("""
a an the of in at to from for by with and or as on into within per each any all its their
measured measure measures measurement assessed assessment evaluated evaluation determined defined
using use via based according ratio percent change changes changed
baseline score scores scale total mean median average patients patient participants participant
subjects subject people persons individuals who that which was were is are be been level levels
value values time period periods during after over up through until visit visits study trial
outcome outcomes endpoint endpoints end point points primary secondary efficacy main key
experiencing experienced with without having had reported reporting developing
following after administration administered parameter parameters
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
    # pharmacokinetics (薬物動態): the parameters as Japanese registrations write them
    "薬物動態": "pharmacokinetics", "最高血中濃度到達時間": "time to maximum concentration",
    "最高血漿中濃度到達時間": "time to maximum concentration",
    "最高血中濃度": "maximum concentration", "最高血漿中濃度": "maximum concentration",
    "血中濃度-時間曲線下面積": "area under the concentration-time curve",
    "血漿中濃度-時間曲線下面積": "area under the concentration-time curve",
    "血中濃度時間曲線下面積": "area under the concentration-time curve",
    "血漿中濃度時間曲線下面積": "area under the concentration-time curve",
    "トラフ濃度": "trough concentration", "消失半減期": "elimination half-life",
    "半減期": "half-life", "分布容積": "volume of distribution", "クリアランス": "clearance",
    "皮下投与": "subcutaneous", "筋肉内投与": "intramuscular", "静脈内投与": "intravenous",
}

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
                 "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20,
                 "twenty-four": 24, "twenty-six": 26, "thirty": 30, "thirty-six": 36,
                 "forty-eight": 48, "fifty-two": 52}
_AMOUNT = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_UNIT = r"(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?|h|minutes?|mins?)\b"
_DURATION = _AMOUNT + r"\s*" + _UNIT
#: Time points of an outcome: "at 12 months", "by week 52", "weeks 12 and 24", "12 months after
#: transplantation", Japanese "24か月". Averaging windows ("for 7 days", "over the last 4
#: weeks") and a hyphenated "30-day" before a noun (it defines the measure) are not time points.
_LIST = r"\d+(?:\s*(?:,|and|or|&|-|–|—|to)\s*\d+)*"  # "9-12 and 21-24"
_TIME_POINT = re.compile(
    r"\b(?:at|after|by|to|until|through|up to|within|over|during)\s+(?:the\s+)?(?:first\s+)?"
    r"(?:(?:weeks?|months?|days?|years?)\s+" + _LIST + "|" + _DURATION + ")"
    r"(?:\s*(?:after|post|following)[- ](?:the\s+)?(?:completion\s+of\s+)?\w+)?"
    r"|\b(?:weeks?|months?|days?|years?)\s+" + _LIST + r"\b"
    r"|(?<![\w-])" + _DURATION + r"(?![- ](?!after|post|following)[a-z])"
    r"|\d+\s*(?:か月|ヶ月|カ月|週|年|日)間?(?:後)?",
    re.IGNORECASE)
_WINDOW = re.compile(r"\b(?:for|over the (?:last|past|previous|preceding))\s+" + _DURATION,
                     re.IGNORECASE)
#: "How many": incidence, frequency, number, rate, proportion of X are one measure of X (and
#: not its intensity or duration).
HOW_MANY = frozenset("""rate rates proportion proportions percentage number numbers incidence
occurrence occurrences frequency frequencies count counts""".split())
#: Words that make another measure of the same thing: "discontinuation due to adverse events"
#: is not "incidence of adverse events"; a "peak dose" is not a "mean total dose".
CHANGING = frozenset({"discontinuation", "discontinued", "discontinue", "withdrawal", "withdrew",
                      "peak", "maximum", "maximal", "max", "minimum", "trough", "cumulative",
                      "remission", "relapse", "recurrence", "hospitalization", "death"})
#: British → American spellings, so 'tumour', 'randomised', 'haemoglobin' match.
_SPELLING = [(r"haem", "hem"), (r"oedema", "edema"), (r"anaem", "anem"), (r"oesoph", "esoph"),
             (r"our\b", "or"), (r"ised\b", "ized"), (r"ise\b", "ize"), (r"isation\b", "ization"),
             (r"yse\b", "yze"), (r"tre\b", "ter"), (r"paed", "ped")]


@dataclass(frozen=True)
class OutcomeKey:
    """What an outcome is (content words, synonyms folded) and when (the time points it names,
    in months; empty when it names none)."""

    text: str
    words: frozenset[str]
    months: frozenset[float]
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
    for pattern, american in _SPELLING:
        word = re.sub(pattern, american, word)
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        else word


#: The vocabulary's names (as stemmed): they weigh double when measures are compared.
_CANONICAL = frozenset(_stem(name) for name in VOCABULARY if name not in QUALIFIERS)


def split_time_frame(text: str) -> tuple[str, str]:
    """(measure, time frame): a registry's trailing '(…)' group, nested brackets and all, is
    its time frame when it names a time or says 'Time Frame'."""
    s = text.rstrip()
    if not s.endswith(")"):
        return text, ""
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(s[i], 0)
        if depth == 0:
            frame = s[i:]
            if i > 0 and re.search(r"time\s*frame|\d|baseline|week|month|day|year|visit|cycle",
                                   frame, re.IGNORECASE):
                return s[:i].rstrip(), frame
            return text, ""
    return text, ""


#: Months per unit (a month is 365.25 / 12 days).
_MONTHS_PER = {"min": 1 / 43830, "h": 1 / 730.5, "hr": 1 / 730.5, "hour": 1 / 730.5,
               "d": 1 / 30.4375, "day": 1 / 30.4375, "w": 7 / 30.4375, "wk": 7 / 30.4375,
               "week": 7 / 30.4375, "mo": 1.0, "month": 1.0, "y": 12.0, "yr": 12.0,
               "year": 12.0}


def _amount(text: str) -> float | None:
    """A duration in months: '12 weeks' → 2.76, 'four weeks' → 0.92, '15 minutes' → ~0."""
    m = re.search(_DURATION, text, re.IGNORECASE)
    if not m:
        return parse_duration_months(text)
    number = re.match(_AMOUNT, m.group(0), re.IGNORECASE)
    assert number is not None
    raw = number.group(0).lower()
    amount = float(_NUMBER_WORDS[raw]) if raw in _NUMBER_WORDS else float(raw)
    unit = re.sub(r"[^a-z]", "", m.group(0)[number.end():].lower())
    unit = {"minutes": "min", "minute": "min", "mins": "min"}.get(unit, unit)
    unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _MONTHS_PER else unit
    factor = _MONTHS_PER.get(unit)
    return round(amount * factor, 4) if factor else None


def time_points(text: str) -> frozenset[float]:
    """The time points an outcome text names, in months ('at weeks 12 and 24' → 2.77, 5.54).
    A registry's time frame wins over durations among the measure's words."""
    measure, frame = split_time_frame(fold(text))
    found: set[float] = set()
    for part in (frame, _WINDOW.sub(" ", measure)):
        for m in _TIME_POINT.finditer(part):
            phrase = m.group(0)
            listed = re.search(r"\b(weeks?|months?|days?|years?)\s+(" + _LIST + ")", phrase,
                               re.IGNORECASE)
            if listed:
                unit = listed.group(1).rstrip("s")
                for n in re.findall(r"\d+", listed.group(2)):
                    months = _amount(f"{n} {unit}s")
                    if months:
                        found.add(months)
                continue
            months = _amount(phrase)
            if months:
                found.add(months)
        if found:
            break
    return frozenset(found)


def time_point(text: str) -> float | None:
    """The longest time point an outcome text names, in months, or None."""
    points = time_points(text)
    return max(points) if points else None


_FUNCTION_WORDS = frozenset("of and the in for to a an on with by at or from as".split())
#: "forced vital capacity (FVC)": a long form, then its abbreviation in brackets.
_DEFINED = re.compile(r"((?:[A-Za-z][\w'-]*\s+){1,8}?)\(\s*([A-Z][A-Za-z0-9-]{1,9})\s*[;,)]")


def abbreviations(texts: list[str]) -> dict[str, str]:
    """Abbreviations the sources define themselves ('forced vital capacity (FVC)' → FVC):
    the long form is the shortest run of words before the brackets whose initials spell it."""
    found: dict[str, str] = {}
    for text in texts:
        for m in _DEFINED.finditer(fold(text)):
            words, abbr = m.group(1).split(), m.group(2)
            letters = "".join(c.lower() for c in abbr if c.isalpha())
            if not letters or abbr in found or re.search(r"\d", abbr):
                continue  # EASI-50 is not a name for the whole index
            for n in range(1, len(words) + 1):
                candidate = words[-n:]
                initials = "".join(part[0].lower() for w in candidate
                                   for part in w.split("-") if part
                                   if w.lower() not in _FUNCTION_WORDS or w is candidate[0])
                if initials == letters:
                    found[abbr] = " ".join(candidate)
                    break
    return found


def undefined_abbreviations(abbrs: set[str], texts: list[str]) -> dict[str, str]:
    """Long forms of abbreviations no source defines ('CH' in a registry whose title says
    'Cluster Headache'): a run of words in the sources whose initials spell it, taken only
    when exactly one such phrase exists (an ambiguous abbreviation stays as it is)."""
    found: dict[str, str] = {}
    words_of = [re.findall(r"[A-Za-z][\w'-]*", fold(t)) for t in texts]
    for abbr in abbrs:
        letters = abbr.lower()
        phrases = set()
        for words in words_of:
            for i in range(len(words) - len(letters) + 1):
                run = words[i:i + len(letters)]
                if all(w[0].lower() == c and len(w) > 2 and w.lower() not in _FUNCTION_WORDS
                       for w, c in zip(run, letters, strict=True)):
                    phrases.add(" ".join(w.lower() for w in run))
        if not phrases:  # 'CAB' for cabotegravir, 'IM' for intramuscular: letters in order
            pattern = re.compile(letters[0] + "".join(f"[a-z]*{c}" for c in letters[1:]))
            phrases = {w.lower() for words in words_of for w in words
                       if len(w) >= 2 * len(letters) + 2 and pattern.match(w.lower())}
        if len(phrases) == 1:
            found[abbr] = phrases.pop()
    return found


def outcome_key(text: str, defined: dict[str, str] | None = None) -> OutcomeKey:
    """The comparable key of one outcome text; `defined` expands the abbreviations the
    sources define (see `abbreviations`)."""
    raw = english(fold(text))
    cjk = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", raw))
    measure, _frame = split_time_frame(raw)
    measure = _AUC_INTERVAL.sub("AUC", measure)
    measure = re.sub(r"\(([A-Z]{2,}[A-Za-z0-9]*)\)\s*(\d+)\b", r"(\1) \1\2", measure)  # (EASI) 75
    measure = re.sub(r"\b([A-Z]{2,}[A-Za-z]*)[- ](\d+)\b", r"\1\2", measure)  # EASI-75, ACR 20
    body = _TIME_POINT.sub(" ", _WINDOW.sub(" ", measure))
    for abbr, long in (defined or {}).items():  # after the time points: 'after BNCT' is one
        body = re.sub(rf"(?<![\w-]){re.escape(abbr)}(?![\w-])", long, body)
    # ON/OFF in capitals are medication states; lower-case "on" is a preposition.
    body = re.sub(r"\bON\b", " on state ", body)
    body = re.sub(r"\b(grade|stage|type|class)\s+(\d+|[IV]+)\b", r"\1\2", body, flags=re.I)
    t = body.lower()
    for spelled, name in _PK_SPELLED:
        t = spelled.sub(rf" {name} \1 ", t)
    for pattern, name in _PHRASES:
        t = pattern.sub(f" {name} ", t)
    t = re.sub(r"(\d+)[- ](day|week|month|year)s?\b", r"\1\2", t)  # "30-day" defines a measure
    words = frozenset("how_many" if w in HOW_MANY else _stem(w)
                      for w in re.findall(r"[a-z0-9_]+", t)
                      if w not in GENERIC and not w.isdigit())
    for param in words & PK_PARAMETERS:
        words -= _PK_MATRIX | _PK_SPELLING.get(param, set())
    if words & PK_PARAMETERS:  # a Cmax is a pharmacokinetic measure: 'pharmacokinetics' covers it
        words |= {"pk"}
    comparable = bool(words) and cjk <= max(2, len(raw) // 5)
    return OutcomeKey(text, words, time_points(raw), comparable)


#: How a PK parameter is named in a message about one parameter of a list.
PK_LABELS = {"cmax": "Cmax", "ctrough": "Ctrough", "cmin": "Cmin", "tmax": "Tmax", "auc": "AUC",
             "t_half": "t1/2", "clearance": "clearance", "vd": "volume of distribution"}


def per_parameter(key: OutcomeKey) -> list[tuple[str, OutcomeKey]]:
    """A text naming several PK parameters ('pharmacokinetic parameters (Ctau, Cmax, and
    AUC0-tau) of X') is, to a reader, one outcome per parameter, each as qualified as the list
    (analyte, route, matrix): one key per parameter, labelled, so that each registered
    parameter is matched (or missed) on its own and a Cmax is never taken for an AUC. A text
    naming at most one parameter is itself, unlabelled."""
    params = key.words & PK_PARAMETERS
    if len(params) < 2:
        return [("", key)]
    return [(PK_LABELS[p], OutcomeKey(key.text, key.words - (params - {p}), key.months,
                                      key.comparable)) for p in sorted(params)]


def same_time(a: OutcomeKey, b: OutcomeKey, tolerance: float = 0.1) -> bool | None:
    """Whether two outcomes share a time point, within `tolerance` of the longer (52 weeks =
    12 months, 4 weeks = one month, 12 weeks = 3 months); None if either names none. A PK
    parameter's time frame that lists three or more times is its sampling schedule: any time
    within it (up to its last time) is the same time."""
    if not a.months or not b.months:
        return None
    for schedule, other in ((a, b), (b, a)):
        if schedule.words & PK_PARAMETERS and len(schedule.months) >= 3:
            last = max(schedule.months)
            if all(y <= last + max(tolerance * last, 0.1) for y in other.months):
                return True
    return any(abs(x - y) <= max(tolerance * max(x, y), 0.1) for x in a.months
               for y in b.months)


#: Names that exclude each other: two measures naming different members of one group are
#: different measures, whatever else they share ("PFS" is not "OS"; OFF is not ON).
EXCLUSIVE: tuple[frozenset[str], ...] = (
    frozenset({"pfs", "os", "efs", "dfs", "rfs", "ttp", "dor"}),
    frozenset({"on_state", "off_state"}),
    frozenset({"sbp", "dbp"}),
    frozenset({"ldl_c", "hdl_c"}),
    frozenset({"serious_adverse_event", "adverse_event"}),
    frozenset({"part_2", "part_3"}),
    PK_PARAMETERS,
    QUALIFIERS,
)


def _numbered(words: frozenset[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for w in words:
        m = re.fullmatch(r"([a-z]+?)(\d+)(day|week|month|year)?", w)
        if m:
            found.setdefault(m.group(1) + (m.group(3) or ""), set()).add(w)
    return found


def _contradict(a: frozenset[str], b: frozenset[str]) -> bool:
    for group in EXCLUSIVE:
        left, right = a & group, b & group
        if left and right and not left & right:
            return True
    if (a ^ b) & CHANGING:
        return True
    # EASI-50 is not EASI-75, grade 3 not grade 4, a 30-day not a 7-day measure
    na, nb = _numbered(a), _numbered(b)
    return any(na[k] and nb[k] and not na[k] & nb[k] for k in na.keys() & nb.keys())


def _weight(words: frozenset[str]) -> int:
    return sum(2 if w in _CANONICAL else 1 for w in words)


def _shared(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    """Words of `a` found in `b`, a long word also when misspelled ('Repsonse')."""
    found = set(a & b)
    for w in a - b:
        if len(w) >= 6 and any(len(o) >= 6 and fuzz.ratio(w, o) >= 85 for o in b - a):
            found.add(w)
    return frozenset(found)


def similarity(a: OutcomeKey, b: OutcomeKey) -> float:
    """0–100: the weighted share of the shorter measure's words found in the other (the
    vocabulary's names weigh double), so a registry's longer statement of the same measure
    scores high; 0 when the two name measures that exclude each other (PFS vs OS, ON vs OFF,
    EASI-50 vs EASI-75) or a word changes the measure ('discontinuation due to adverse
    events' is not 'adverse events')."""
    if not a.words or not b.words or _contradict(a.words, b.words):
        return 0.0
    small, large = (a.words, b.words) if _weight(a.words) <= _weight(b.words) \
        else (b.words, a.words)
    return 100.0 * _weight(_shared(small, large)) / _weight(small)
