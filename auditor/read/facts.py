"""Facts with units and bases that prose states about a cell therapy and its approval: dose,
immunosuppression, imaging safety, durability, the approval's conditions and reimbursement.

Each reader gives a value only from what a sentence says: a dose without a stated basis has
basis None (and is compared with no other), an immunosuppressant named without a duration has
months None. A duration of immunosuppression is never a follow-up (the follow-up reader skips
sentences about it; here it is the drug's). English and Japanese forms are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from auditor.models import Reading, dose_text
from auditor.read.values import fold, kanji_to_int, parse_date, parse_duration_months

__all__ = ["FACT_FIELDS", "dose_text", "fact_readings", "mentions_immunosuppression"]

#: Fields these readers give (the prose reader adds them to every text it reads).
FACT_FIELDS = ("dose", "immunosuppression", "imaging_safety", "durability",
               "approval_conditions", "approval_date", "reimbursement", "independence")

# --- dose -----------------------------------------------------------------------------------

_SCALE = {"million": 1e6, "millions": 1e6, "billion": 1e9, "thousand": 1e3, "万": 1e4,
          "億": 1e8}
_POWER = r"\s*(?:×|x|\*)\s*10\^(\d{1,2})"
_WORD = r"\s*(million|billion|thousand|万|億)"
_AMT = rf"(\d+(?:\.\d+)?)(?:{_POWER}|{_WORD})?"
#: '2.1–2.6 × 10⁶ cells', '5 million or 10 million cells', '5-10 million cells', '500万個'.
DOSE = re.compile(rf"(?<![\d.]){_AMT}(?:\s*(-|to|~|～|〜|or|または|から)\s*{_AMT})?(?:{_POWER})?"
                  r"\s*(?:(?:個の)?[^\s\d.;。、]{0,25}?(?:cells?|細胞)|個)", re.IGNORECASE)
_PER_SIDE = re.compile(r"\b(?:per|each|a|one|every) (?:hemisphere|side|putamen|hemiputamen)\b|"
                       r"/\s*(?:hemisphere|side)\b|\bunilateral(?:ly)?\b|片側(?:あたり|当たり|に)?|"
                       r"一側", re.IGNORECASE)
_TOTAL = re.compile(r"\b(?:into|in|to) both (?:sides|hemispheres|putamina|putamens)\b|"
                    r"\bbilaterally in total\b|\bin total\b|\btotal (?:dose|of)\b|両側(?:に|へ|の)?"
                    r"(?:合計|計)?|合計", re.IGNORECASE)
_PER_KG = re.compile(r"(?:/|per )\s*kg\b|/\s*㎏", re.IGNORECASE)
_ARM = re.compile(r"\b(low|high|medium|middle)[- ]dose\b|(低|高|中)用量", re.IGNORECASE)
_ARM_JA = {"低": "low", "高": "high", "中": "medium"}


def _cells(amount: str, exp: str | None, word: str | None) -> float | None:
    value = float(amount)
    if exp:
        return value * 10 ** int(exp) if 3 <= int(exp) <= 12 else None
    if word:
        return value * _SCALE[word.lower()]
    return None


def _superscripts(text: str) -> str:
    """'10⁶' and '10^6' → '10^6' before NFKC turns the superscript into a bare digit."""
    sup = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
    return re.sub(r"10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "10^" + m.group(1).translate(sup), text)


def read_doses(sentence: str) -> list[dict[str, Any]]:
    """The cell doses a sentence states: [{'min', 'max', 'basis', 'arm'}], cells as numbers;
    basis 'per hemisphere', 'total' or 'per kg', or None when the sentence does not say."""
    text = fold(_superscripts(sentence))
    out = []
    for m in DOSE.finditer(text):
        g = m.groups()  # lo: 0-2; separator: 3; hi: 4-6; a power after both: 7
        lo_n, lo_exp, lo_word, sep, hi_n, hi_exp, hi_word, after_exp = g
        shared_exp, shared_word = after_exp or hi_exp, hi_word
        lo = _cells(lo_n, lo_exp or (shared_exp if not lo_word else None),
                    lo_word or (shared_word if not lo_exp else None))
        hi = _cells(hi_n, hi_exp or after_exp, hi_word) if hi_n else lo
        if lo is None or hi is None or hi < 1e3:
            continue
        after = text[m.end():m.end() + 60]
        before = text[max(0, m.start() - 60):m.start()]
        window = before[-30:] + " " + after
        basis = ("per kg" if _PER_KG.search(after[:12]) else
                 "per hemisphere" if _PER_SIDE.search(window) else
                 "total" if _TOTAL.search(window) else None)
        arm_m = None
        for a in _ARM.finditer(before + text[m.start():m.end()] + after[:20]):
            arm_m = a
        arm = None
        if arm_m:
            arm = (arm_m.group(1) or "").lower() or _ARM_JA.get(arm_m.group(2) or "")
            arm = "medium" if arm == "middle" else arm
        if sep and sep.lower() in ("or", "または"):  # '5 million or 10 million': two doses
            out.append({"min": lo, "max": lo, "basis": basis, "arm": arm})
            out.append({"min": hi, "max": hi, "basis": basis, "arm": arm})
        else:
            out.append({"min": min(lo, hi), "max": max(lo, hi), "basis": basis, "arm": arm})
    return out


# --- immunosuppression ----------------------------------------------------------------------

IMMUNOSUPPRESSANTS = {
    "tacrolimus": r"tacrolimus|FK-?506|タクロリムス",
    "ciclosporin": r"cyclosporin[e]?|ciclosporin|シクロスポリン",
    "mycophenolate": r"mycophenol\w*|ミコフェノール\w*",
    "azathioprine": r"azathioprine|アザチオプリン",
    "sirolimus": r"sirolimus|rapamycin|シロリムス",
    "everolimus": r"everolimus|エベロリムス",
    "prednisolone": r"(?:methyl)?prednisolone|プレドニゾロン",
    "basiliximab": r"basiliximab|バシリキシマブ",
}
_IMMUNO = re.compile(r"immunosuppress\w*|immune[- ]suppress\w*|免疫抑制", re.IGNORECASE)
_DRUGS = {name: re.compile(rf"(?<![A-Za-z])(?:{rx})", re.IGNORECASE)
          for name, rx in IMMUNOSUPPRESSANTS.items()}
_DUR_UNIT = r"(?:years?|months?|weeks?|days?|年間?|か月間?|ヶ月間?|カ月間?|週間?)"
#: 'for 15 months', 'for 1 year after transplantation', '移植後1年間': a duration given to the
#: drug by a preposition (English) or by 間 (Japanese), never a bare time point.
_DURATION = re.compile(r"\b(?:for|over|during)\s+(?:the (?:first )?)?(\d+(?:\.\d+)?|one|two|three|"
                       r"six|twelve)\s*-?\s*(years?|months?|weeks?|days?)\b|"
                       r"(\d+|[一二三六]|十二)\s*(年間|か月間|ヶ月間|カ月間|週間)", re.IGNORECASE)
_WORDS = {"one": "1", "two": "2", "three": "3", "six": "6", "twelve": "12"}


def mentions_immunosuppression(sentence: str) -> bool:
    text = fold(sentence)
    return bool(_IMMUNO.search(text) or any(rx.search(text) for rx in _DRUGS.values()))


def read_immunosuppression(sentence: str) -> dict[str, Any] | None:
    """{'drugs': [...], 'months': float | None} when a sentence speaks of immunosuppression."""
    text = fold(sentence)
    drugs = [name for name, rx in _DRUGS.items() if rx.search(text)]
    anchor = [m.end() for rx in _DRUGS.values() for m in rx.finditer(text)] + \
        [m.end() for m in _IMMUNO.finditer(text)]
    if not anchor:
        return None
    months = None
    for m in _DURATION.finditer(text, max(0, min(anchor) - 40)):
        if re.search(r"follow|観察|追跡", text[max(0, m.start() - 25):m.start()], re.IGNORECASE):
            continue  # 'follow-up 2 years' is not the drug's
        if m.start() > max(anchor) + 60:
            break
        raw, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        amount = _WORDS.get(raw.lower(), raw)
        if not amount[0].isdigit():
            number = kanji_to_int(amount)
            amount = str(number) if number is not None else amount
        months = parse_duration_months(f"{amount} {unit}")
        if months is not None:
            break
    return {"drugs": drugs, "months": months}


# --- imaging safety -------------------------------------------------------------------------

_NO = r"(?:no|without|absence of|did not (?:show|reveal|detect|find)|free of)"
_OVERGROWTH = r"(?:graft (?:overgrowth|expansion|enlargement)|overgrowth of (?:the )?grafts?)"
_TUMOUR = r"(?:tumou?r(?:s| formation|igenicity)?|tumou?rigenic growth|neoplasm\w*)"
IMAGING_NEGATIVE = {
    "graft_overgrowth": re.compile(
        rf"\b{_NO}\b[^.;]{{0,40}}?{_OVERGROWTH}|{_OVERGROWTH}[^.;]{{0,30}}?\b(?:was|were) not "
        r"(?:observed|seen|detected|found)|移植片の(?:過剰)?増殖[^。]{0,15}(?:認められなかった|"
        r"見られなかった|なかった|なし)|過剰増殖[^。]{0,15}(?:認められなかった|なし)",
        re.IGNORECASE),
    "tumour": re.compile(
        rf"\b{_NO}\b[^.;]{{0,40}}?{_TUMOUR}|did not form tumou?rs|{_TUMOUR}[^.;]{{0,30}}?\b"
        r"(?:was|were) not (?:observed|seen|detected|found)|腫瘍(?:形成|化)?[^。]{0,15}"
        r"(?:認められなかった|見られなかった|なかった|なし)", re.IGNORECASE),
}
IMAGING_POSITIVE = {
    "graft_overgrowth": re.compile(rf"{_OVERGROWTH}\b[^.;]{{0,30}}?\b(?:was|were) (?:observed|"
                                   r"seen|detected|found)|移植片の過剰増殖が認められた",
                                   re.IGNORECASE),
    "tumour": re.compile(r"\b(?:tumou?rs? (?:formed|developed)|tumou?r formation (?:was|were) "
                         r"(?:observed|seen|detected|found))|腫瘍(?:形成)?が認められた",
                         re.IGNORECASE),
}
_MODALITY = re.compile(r"\b(MRI|PET|CT)\b|磁気共鳴", re.IGNORECASE)
_SURVEILLANCE = re.compile(r"\b(?:surveillance|monitor\w*|will be|to be|should|must)\b|監視|"
                           r"すること", re.IGNORECASE)


def read_imaging_safety(sentence: str) -> dict[str, Any] | None:
    """{'graft_overgrowth': bool, 'tumour': bool, 'modality': 'MRI' | ...} for what a sentence
    reports seen or not seen; a plan to watch for tumours reports nothing."""
    text = fold(sentence)
    value: dict[str, Any] = {}
    for key, rx in IMAGING_NEGATIVE.items():
        if rx.search(text):
            value[key] = False
    for key, rx in IMAGING_POSITIVE.items():
        if key not in value and rx.search(text):
            value[key] = True
    if not value or (_SURVEILLANCE.search(text) and not re.search(
            r"\b(?:no|did not|was not|were not)\b|なかった", text, re.IGNORECASE)):
        return None
    m = _MODALITY.search(text)
    value["modality"] = ("MRI" if m.group(0) == "磁気共鳴" else m.group(1).upper()) if m else None
    return value


# --- durability -----------------------------------------------------------------------------

_EFFECT = r"(?:improvements?|benefits?|effects?|responses?|gains?|changes?|signals?|" \
          r"survival|improved|efficacy)"
_LASTED = r"(?:maintained|sustained|persisted|lasted|durable|remained|were seen|was seen|" \
          r"observed|continued)"
DURABILITY = re.compile(
    rf"\b{_EFFECT}\b[^.;]{{0,60}}?\b{_LASTED}\b[^.;]{{0,30}}?\b(?:for|at|up to|through|over|"
    rf"until|beyond) (?:at least |the )?(?:(\d+(?:\.\d+)?)[\s-]*({_DUR_UNIT})|(years|decades))\b",
    re.IGNORECASE)
DURABILITY_JA = re.compile(r"(?:効果|改善)[^。]{0,20}?(\d+)\s*(年|か月|ヶ月|カ月)[^。]{0,10}"
                           r"(?:持続|維持)")


def read_durability(sentence: str) -> dict[str, Any] | None:
    """{'months': float | None, 'stated': text}: an effect said to last a stated time ('for
    years': months None, a claim without a number)."""
    text = fold(sentence)
    m = DURABILITY.search(text)
    if m:
        if m.group(3):
            return {"months": None, "stated": m.group(3).lower()}
        months = parse_duration_months(f"{m.group(1)} {m.group(2)}")
        return {"months": months, "stated": f"{m.group(1)} {m.group(2)}"} if months else None
    m = DURABILITY_JA.search(text)
    if m:
        months = parse_duration_months(f"{m.group(1)}{m.group(2)}")
        return {"months": months, "stated": m.group(1) + m.group(2)} if months else None
    return None


# --- approval conditions and reimbursement --------------------------------------------------

_APPROVED = re.compile(r"\bapprov\w*|承認|authori[sz]\w*", re.IGNORECASE)
_DATE_EN = re.compile(r"\b(?:on )?((?:January|February|March|April|May|June|July|August|"
                      r"September|October|November|December) \d{1,2}, \d{4}|\d{1,2} (?:January|"
                      r"February|March|April|May|June|July|August|September|October|November|"
                      r"December) \d{4}|\d{4}-\d{2}-\d{2})")
_DATE_JA = re.compile(r"((?:令和|平成)\s*\d+\s*年\s*\d+\s*月\s*\d+\s*日|\d{4}\s*年\s*\d+\s*月\s*"
                      r"\d+\s*日)")
_LIMIT = re.compile(r"\b(?:within|up to|for|of|not exceeding|no more than|over) (\d+|one|two|"
                    r"three|four|five|six|seven|eight|nine|ten) years?\b|"
                    r"(\d+|[一二三四五六七八九十])\s*年(?:以内|間|を超えない)", re.IGNORECASE)
_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10}
_POST_N = re.compile(r"\b(\d+) (?:patients|cases|subjects)\b|(\d+)\s*(?:例|症例|名)")
POST_MARKETING_DESIGNS = {
    "use-results survey": r"use[- ]results? survey|使用成績調査|post[- ]marketing (?:surveillance|"
                          r"survey)",
    "post-marketing clinical study": r"post[- ]marketing (?:clinical )?(?:study|trial)|"
                                     r"製造販売後臨床試験",
    "registry": r"\b(?:post[- ]marketing|patient|product|all-case) registry\b|レジストリ",
}
_POST = re.compile("|".join(POST_MARKETING_DESIGNS.values()), re.IGNORECASE)


def _approval_date(text: str) -> str | None:
    if not _APPROVED.search(text):
        return None
    for m in list(_DATE_EN.finditer(text)) + list(_DATE_JA.finditer(text)):
        window = text[max(0, m.start() - 60):m.end() + 40]
        if re.search(r"approv\w*|承認", window, re.IGNORECASE) and not re.search(
                r"appl(?:y|ied|ication)|申請|submi|filed|収載|listed|price|ethic|review board|"
                r"\bIRB\b|committee|protocol|consent|倫理|委員会", window, re.IGNORECASE):
            return parse_date(m.group(1).replace(" ", "") if "年" in m.group(1) else m.group(1))
    return None


def read_approval_conditions(sentence: str) -> dict[str, Any] | None:
    """{'time_limit_years', 'deadline', 'post_marketing_n', 'post_marketing_design'} a sentence
    states about an approval's conditions; keys it does not state are left out."""
    text = fold(sentence)
    value: dict[str, Any] = {}
    conditional = re.search(r"conditional|time[- ]limited|条件及び期限付|条件・期限付|"
                            r"conditions? (?:of|for) (?:the )?approval|approval conditions?|"
                            r"承認条件|期限", text, re.IGNORECASE)
    post = _POST.search(text)
    if (conditional and _APPROVED.search(text)) or post:
        m = _LIMIT.search(text)
        if m:
            raw = (m.group(1) or m.group(2) or "").lower()
            years = _NUM_WORDS.get(raw) or (int(raw) if raw.isdigit() else kanji_to_int(raw))
            if years and years <= 15:
                value["time_limit_years"] = years
    if conditional or post:
        for m in list(_DATE_EN.finditer(text)) + list(_DATE_JA.finditer(text)):
            before = text[max(0, m.start() - 30):m.start()]
            after = text[m.end():m.end() + 8]
            if re.search(r"\b(?:by|until|no later than|deadline|expires?(?: on)?)\s*(?:on )?$|"
                         r"期限[はが:：]?\s*$", before, re.IGNORECASE) or after.startswith("まで"):
                value["deadline"] = parse_date(m.group(1).replace(" ", "") if "年" in m.group(1)
                                               else m.group(1))
                break
    if post:
        designs = [name for name, rx in POST_MARKETING_DESIGNS.items()
                   if re.search(rx, text, re.IGNORECASE)]
        value["post_marketing_design"] = designs
        for m in _POST_N.finditer(text):
            n = int(m.group(1) or m.group(2))
            if abs(m.start() - post.start()) <= 80:
                value["post_marketing_n"] = n
                break
    return value or None


_LISTED = re.compile(r"(?:NHI )?price[- ]list(?:ing)?|listed (?:on|in) the (?:NHI )?(?:drug )?"
                     r"price|reimburse\w*|insurance (?:coverage|listing)|薬価(?:基準)?(?:へ)?"
                     r"(?:の)?収載|保険適用", re.IGNORECASE)
_YEN = re.compile(r"(\d{1,3}(?:,\d{3})+|\d{4,})\s*(?:yen|円)|(?:JPY|¥)\s*(\d{1,3}(?:,\d{3})+|"
                  r"\d{4,})", re.IGNORECASE)
_BILLING = re.compile(r"留意事項|billing (?:notice|consideration|rule)s?|保医発", re.IGNORECASE)


def read_reimbursement(sentence: str) -> dict[str, Any] | None:
    """{'listed', 'price', 'currency', 'billing_notice'}: a sentence on the product's listing
    for reimbursement; keys it does not state are left out."""
    text = fold(sentence)
    if not (_LISTED.search(text) or _BILLING.search(text)):
        return None
    value: dict[str, Any] = {}
    m = _DATE_EN.search(text) or _DATE_JA.search(text)
    if m and _LISTED.search(text):
        value["listed"] = parse_date(m.group(1).replace(" ", "") if "年" in m.group(1)
                                     else m.group(1))
    money = _YEN.search(text)
    if money:
        value["price"] = int((money.group(1) or money.group(2)).replace(",", ""))
        value["currency"] = "JPY"
    if _BILLING.search(text) and not re.search(r"別途通知|separately|will follow", text):
        value["billing_notice"] = True  # 'considerations will be notified separately': not it
    return {k: v for k, v in value.items() if v is not None} or None


# --- independence -------------------------------------------------------------------------

INDEPENDENT = re.compile(
    r"\bindependent(?:ly)?\b[^.;]{0,40}?\b(?:stud(?:y|ies)|trials?|research|investigat\w*|"
    r"conducted|evaluation|academic)|\b(?:stud(?:y|ies)|trials?) (?:was |were )?(?:conducted )?"
    r"independent(?:ly)? of\b|独立(?:した|に)?[^。]{0,10}(?:試験|研究|評価)", re.IGNORECASE)
_NOT_INDEPENDENT = re.compile(r"\b(?:not|never|no longer|non-?)[- ]independent|独立していない",
                              re.IGNORECASE)


def read_independence(sentence: str) -> bool:
    """Whether a sentence calls a study or its investigators independent (not 'not')."""
    text = fold(sentence)
    return bool(INDEPENDENT.search(text)) and not _NOT_INDEPENDENT.search(text)


# --- a whole text ---------------------------------------------------------------------------


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for k, v in more.items():
        if k not in into:
            into[k] = v
        elif isinstance(v, list):
            into[k] = into[k] + [x for x in v if x not in into[k]]


def fact_readings(texts: Iterable[tuple[str, str]]) -> list[Reading]:
    """The fact fields of (sentence, locator) pairs: one reading per field, its value merged
    over the sentences that state it, quoting each."""
    found: dict[str, tuple[Any, list[str], list[str]]] = {}

    def add(field: str, value: Any, sentence: str, where: str, merge: bool = True) -> None:
        if field not in found:
            found[field] = (value, [sentence], [where])
            return
        old, quotes, places = found[field]
        if isinstance(old, list):
            new = [x for x in value if x not in old]
            if not new:
                return
            old += new
        elif isinstance(old, dict) and merge:
            before = dict(old)
            _merge(old, value)
            if old == before:
                return
        else:
            return
        quotes.append(sentence)
        places.append(where)

    for sentence, where in texts:
        doses = read_doses(sentence)
        if doses:
            add("dose", doses, sentence, where)
        immuno = read_immunosuppression(sentence)
        if immuno:
            if "immunosuppression" in found and found["immunosuppression"][0]["months"] is None \
                    and immuno["months"] is not None:
                found["immunosuppression"][0]["months"] = immuno["months"]
                found["immunosuppression"][1].append(sentence)
                found["immunosuppression"][2].append(where)
            add("immunosuppression", immuno, sentence, where)
        imaging = read_imaging_safety(sentence)
        if imaging:
            add("imaging_safety", imaging, sentence, where)
        durable = read_durability(sentence)
        if durable:
            add("durability", durable, sentence, where, merge=False)
        conditions = read_approval_conditions(sentence)
        if conditions:
            add("approval_conditions", conditions, sentence, where)
        date = _approval_date(fold(sentence))
        if date:
            add("approval_date", date, sentence, where)
        if read_independence(sentence):
            add("independence", [sentence], sentence, where)
        reimbursed = read_reimbursement(sentence)
        if reimbursed:
            add("reimbursement", reimbursed, sentence, where)
    units = {"dose": "cells"}
    return [Reading(field=f, value=v, unit=units.get(f), quote=" … ".join(dict.fromkeys(q)),
                    locator="; ".join(dict.fromkeys(p)))
            for f, (v, q, p) in found.items()]
