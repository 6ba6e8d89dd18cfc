"""Read claims from prose: abstracts, press releases, notices. Shared by every source kind
whose facts live in sentences rather than in labelled fields.

Each reading quotes the one sentence it came from, so a reviewer can check it by eye.

A structured abstract comes as parts (PubMed's AbstractText with its Label and NlmCategory,
Europe PMC's <h4> sections): the section decides what a sentence can state. BACKGROUND
sentences speak of other trials, a CONCLUSIONS sentence of what is needed next, a "Main outcome
measures" section lists the primary outcomes, a "Funding" section names funders. Where a
sentence could be read two ways the reader gives nothing: a wrong value is worse than none.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from text_to_num import alpha2digit

from auditor.models import Reading
from auditor.read.facts import fact_readings, mentions_immunosuppression
from auditor.read.values import (
    design_tags,
    find_ids,
    fold,
    parse_duration_months,
    parse_int,
    parse_phase,
    squash,
)

# --- sentences ------------------------------------------------------------------------------

#: Full stops that do not end a sentence: "Sumitomo Pharma Co., Ltd. (", "Sawamoto et al. 2025",
#: "the U.S. Navy", "Prof. Brouqui", "(no. CTR20131276)".
ABBREVIATIONS = (r"(?:\b(?:Co|Ltd|Inc|Corp|et al|e\.g|i\.e|vs|No|no|Nos|Dr|Drs|Prof|Mr|Mrs|Ms|St|"
                 r"Jr|Fig|Figs|approx|resp|cf|ca|U\.S|U\.K|E\.U)\.)$")


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


def numeric(sentence: str) -> str:
    """The sentence folded, with numbers in words as digits ('One hundred ninety-six patients'
    → '196 patients', 'Twelve-month' → '12 month') for the count and duration patterns.
    Quotes keep the sentence as written."""
    folded = fold(sentence)
    folded = re.sub(r"\b([A-Za-z]+(?:-[A-Za-z]+)?)-(?=(?:years?|months?|weeks?|days?)\b)",
                    r"\1 ", folded)
    return alpha2digit(folded, "en", threshold=0) if re.search(r"[A-Za-z]", folded) else folded


def _without_parentheses(text: str) -> str:
    """Text with (…) and […] asides dropped, innermost first: '163 patients (56 men and 107
    women; mean age, 66 years) undergoing …' → '163 patients undergoing …'."""
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\s*[(\[][^()\[\]]*[)\]]", "", text)
    return text


# --- sections -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One part of a text: a structured abstract's section, or a whole unlabelled abstract."""

    text: str
    locator: str
    label: str | None = None      # the section heading as the source writes it
    category: str | None = None   # PubMed's NlmCategory, when the heading is unusual


#: Section headings → what a section can state. Order matters: "MEASUREMENTS AND MAIN RESULTS"
#: is results, "SYSTEMATIC REVIEW REGISTRATION" is a registration.
_ROLES: list[tuple[str, str]] = [
    ("registration", r"regist"),
    ("funding", r"funding|financial support|source of support|sponsorship"),
    ("outcomes", r"outcome|end ?points?\b|\bmeasures\b"),
    ("results", r"result|finding"),
    ("conclusions", r"conclusion|interpretation|discussion|implication|relevance|comment"),
    ("background", r"background|introduction|context|rationale|importance"),
    ("objective", r"objective|\baims?\b|purpose|goal|question"),
    ("methods", r"method|design|setting|participant|patient|subject|population|intervention|"
                r"material|procedure|sample|eligibility|selection|search|data|review"),
]
_CATEGORIES = {"BACKGROUND": "background", "OBJECTIVE": "objective", "METHODS": "methods",
               "RESULTS": "results", "CONCLUSIONS": "conclusions"}


def section_role(label: str | None, category: str | None = None) -> str | None:
    """'DESIGN, SETTING, AND PARTICIPANTS' → 'methods', 'Interpretation' → 'conclusions',
    'MAIN OUTCOME MEASURES' → 'outcomes'; None for an unlabelled text."""
    if label:
        low = label.lower()
        for role, pattern in _ROLES:
            if re.search(pattern, low):
                return role
    return _CATEGORIES.get((category or "").upper())


# --- the vocabulary of counts ---------------------------------------------------------------

#: A count: '1,879', '43 548' (thin-space thousands), '12'; not the 19 of COVID-19, the 5 of
#: 2.5 or grade 1/2.
_N = r"(?<![\w.,/:+-])(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?= )|\d+)(?![\d.,]\d|:\d|/\d|-\w)"
#: Who is counted: people (and the animals of veterinary trials), not eyes, lesions or clusters.
_PEOPLE = (r"(?:patients?|participants?|subjects?|individuals?|persons?|people|adults?|children|"
           r"adolescents|youths|teenagers|infants|neonates|newborns|babies|women|men|males|"
           r"females|girls|boys|mothers|fathers|parents|couples|families|volunteers|outpatients|"
           r"inpatients|pupils|students|smokers|drinkers|users|asthmatics|diabetics|"
           r"pharmacists|nurses|physicians|doctors|clinicians|surgeons|dentists|workers|"
           r"employees|veterans|soldiers|sailors|athletes|runners|donors|recipients|survivors|"
           r"primigravidae|respondents|caregivers|carers|elders|residents|mares|stallions|"
           r"horses|ponies|dogs|cats|cows|heifers|calves|pigs|piglets|sheep|ewes|lambs|goats|"
           r"cattle)")

_RANDOMISED = (r"randomi[sz]ed|randomly (?:assigned|allocated|divided|distributed|split)|"
               r"(?:assigned|allocated|divided) (?:at random|randomly)|"
               r"(?:underwent|entered|were included in) (?:the )?randomi[sz]ation")
_ENROLLED = (r"enrolled|recruited|included|entered|participated|took part|were studied|"
             r"(?:were|was) (?:allocated|assigned|selected)|allocated to|assigned to")
_TREATED = (r"received|(?:were|was) (?:treated|given|transplanted|vaccinated|injected|"
            r"administered|implanted|operated)|underwent|completed treatment")
_VERBS = [("randomised", _RANDOMISED), ("enrolled", _ENROLLED), ("treated", _TREATED)]
#: A count that is not the enrollment: a pool screened, the analysed, the planned, per arm.
#: A count of one part, cohort or stage of a trial is not the trial's enrollment (unless the
#: parts are added up in the same clause).
_PART = re.compile(r"\b(?:in|into|of|for) (?:the )?(?:part|stage|cohort|period|substudy|"
                   r"sub-study|extension) (?:[0-9]+|[ivx]+|[a-c]|one|two|three)\b", re.IGNORECASE)
_NOT_ENROLLED = re.compile(
    r"^\s*(?:(?:were|was|had been) )?(?:screened|assessed for eligibility|approached|invited|"
    r"eligible|identified|excluded|withdr[ae]w|withdrawn|lost|died|discontinued|completed|"
    r"analy[sz]ed|evaluated|evaluable|refused|declined|per (?:group|arm)|in each (?:group|arm)|"
    r"each\b|(?:were |was )?selected for (?:the )?analys|"
    r"(?:were |was )?(?:included in|available for) (?:the )?(?:[\w-]+ ){0,3}analys[ie]s)",
    re.IGNORECASE)
_PLANNED = re.compile(
    r"\b(?:needed|required|would (?:be|have)|will be|to be (?:enrolled|recruited|randomi[sz]ed|"
    r"included)|we plan(?:ned)? to|sample size (?:of|was|calculation)|power(?:ed)? to|"
    r"to detect)\b", re.IGNORECASE)
#: Words before a count that make it an object, not the subject: 'from 672 patients'.
_PREPOSITION = re.compile(
    r"\b(?:of|from|among|amongst|in|on|with|than|to|by|for|between|and|or|including|involving|"
    r"versus|vs|whom|about|over|within|into|at|per)\s+(?:the |all |a total of |these )?$",
    re.IGNORECASE)
_ADJECTIVE_USE = re.compile(r"\b(?:a|an|the|this|our|their|its|one|of)\s+(?:\w+ly\s+)?$",
                            re.IGNORECASE)

# --- durations ------------------------------------------------------------------------------

_UNIT = r"(?:years?|yrs?|months?|mos?|weeks?|wks?|days?)"
_D = rf"(\d+(?:\.\d+)?)[\s-]*{_UNIT}\b"
_FOLLOW = r"follow(?:ed)?[- ]?up"

#: (pattern, qualifier, strength): the trial's follow-up, never a treatment duration, a
#: recruitment period, a landmark rate or an outcome's time point.
FOLLOW_UP_PATTERNS: list[tuple[str, str | None, int]] = [
    (rf"\b(median|mean|average) (?:duration of |length of )?{_FOLLOW}(?: (?:period|time|"
     rf"duration))?(?: was| of| lasted| time of|,| for)?(?: (?:approximately|about|nearly|"
     rf"almost))? {_D}", "group", 1),
    (rf"\b{_FOLLOW}(?: (?:period|time|duration))? (?:was |of |for |lasted )?(?:a |an )?"
     rf"(median|mean|average) (?:of |period of |duration of )?{_D}", "group", 1),
    (rf"\b(?:followed|observed|monitored)(?: up)? (?:for|over) (?:a |an )?(median|mean|average) "
     rf"(?:of |period of |duration of )?{_D}", "group", 1),
    (rf"\b(?:over|after|during|with|for) a (median|mean) (?:{_FOLLOW} )?(?:period |time |"
     rf"duration )?of {_D}", "group", 1),
    # 'The total duration of the study after randomization is 24 weeks, including a safety
    # follow-up period of 8 weeks': the whole, before the part
    (rf"\b(?:total )?duration of (?:the )?(?:study|trial|follow[- ]?up)(?: after "
     rf"randomi[sz]ation| per (?:participant|patient|subject))? (?:was|of|is|will be) {_D}",
     "total", 2),
    (rf"\b(?:were|was|been|being) (?:followed|observed|monitored)(?: up)? (?:for|over|during|"
     rf"through) (?:a (?:total )?(?:period )?of |up to |at least |the (?:next|following) )?{_D}",
     None, 2),
    (rf"\b{_FOLLOW} (?:period |duration )?(?:of|was|lasted|for|to) (?:up to |at least )?{_D}",
     None, 2),
    (rf"\b{_FOLLOW} (?:data )?(?:were |was )?(?:collected|obtained|performed|done|conducted|"
     rf"completed)[^.;]{{0,40}}? for {_D}", "total", 2),
    (rf"\b(?:interviewed|assessed|examined|evaluated|seen|visited|contacted)\b[^.;]{{0,40}}? "
     rf"over (?:a (?:period|total) of )?{_D}", "total", 2),
    # 'There will be a further follow up 2 months after the last treatment'
    (rf"\b{_FOLLOW}(?: visit| assessment| examination)? (?:at |of )?{_D} (?:after|following|"
     r"post) (?:the )?(?:last|final|end of(?: the)?) (?:treatment|dose|dosing|intervention|"
     r"session|injection|vaccination|study (?:treatment|drug|visit))", "planned", 2),
    (rf"\b(?:over|during|in) the (?:next |following |subsequent )?{_D} (?:following|after) "
     r"(?:the )?(?:treatment|intervention|surgery|operation|procedure|discharge|"
     r"randomi[sz]ation|transplant\w*|vaccination|injection)", "total", 2),

    (rf"\b(?:results|outcomes|data|findings) (?:at|after|through|up to) {_D} (?:are|were|is) "
     r"(?:reported|presented|described)", "total", 2),
    (rf"\b{_D} results\b", "total", 3),
    # a registry's or protocol's length of participation: 'Each participant will be in the
    # study for up to 64 weeks', '… for between 6 and 42 days'
    (rf"\b(?:participants?|subjects?|patients?|volunteers?)(?: will| would)? (?:be in|stay in|"
     rf"remain in|participate in|take part in|be (?:followed|observed) in) (?:the|this) "
     rf"(?:study|trial) for (?:up to|a maximum of|between \d+(?:\.\d+)? and) {_D}", "up to", 2),
    (rf"\b(?:participants?|subjects?|patients?|volunteers?)(?: will| would)? (?:be in|stay in|"
     rf"remain in|participate in|take part in) (?:the|this) (?:study|trial) for "
     rf"(?:about |approximately |around )?{_D}", "total", 2),
    (rf"\b(?:whole|entire|total) (?:study|trial)(?: period| duration)? \(\s*{_D}\s*\)", "total", 2),
    (rf"\b(?:during|at|after) (?:the |a )?{_D}(?:'s?)? {_FOLLOW}", None, 3),
    (rf"\b{_D} (?:of )?{_FOLLOW}\b", None, 3),
]
#: 'follow-up at 2, 6, 12, and 24 weeks' → the last visit, 'up to'.
_SCHEDULE = re.compile(
    rf"\b{_FOLLOW} (?:visits? |assessments? |examinations? )?(?:at|after) ((?:\d+(?:\.\d+)?,? )+"
    rf"(?:and |or )?\d+(?:\.\d+)?) ({_UNIT})\b", re.IGNORECASE)
#: 'Subjects were recalled … at 1 day, 1 week, 1 month, and 6 months' → the last visit.
_VISITS = re.compile(
    rf"\b(?:recalled|followed up|followed|seen|reviewed|revisited|visited)\b[^.;]{{0,60}}? at "
    rf"((?:\d+(?:\.\d+)? ?(?:{_UNIT})?,? )+(?:and |or )\d+(?:\.\d+)? ?{_UNIT})\b",
    re.IGNORECASE)
#: 'A follow-up study was conducted 48 to 62 months after quit day' → 62, 'up to'.
_RANGE = re.compile(
    rf"\b{_FOLLOW}[^.;]{{0,40}}? (\d+(?:\.\d+)?) (?:to|-) (\d+(?:\.\d+)?) ({_UNIT}) "
    r"(?:after|post)", re.IGNORECASE)
#: A landmark time point: 'At 6 months, …', '… 6 months after operation'.
_TIME_POINT = re.compile(rf"\b(?:at|after) (?:the |week |month )?(\d+(?:\.\d+)?)[\s-]*({_UNIT})|"
                         rf"\b(\d+(?:\.\d+)?)[\s-]*({_UNIT}) (?:after|post)", re.IGNORECASE)
#: A treatment duration or recruitment period does not make the pattern a follow-up.
_NOT_FOLLOW_UP = re.compile(r"\b(?:recruit\w*|enrol\w*|accru\w*|screen\w*)\b[^.;]{0,40}$",
                            re.IGNORECASE)
_TREATMENT_TAIL = re.compile(r"\s*(?:of )?(?:the )?(?:treatment|therapy|use|training|dosing|"
                             r"administration|intervention|supplementation|exposure|medication)",
                             re.IGNORECASE)
_TREATMENT_BEFORE = re.compile(r"\b(?:received|treated|treatment|therapy|dosing|exposure|"
                               r"administered|taken|took|duration of)\b[^.;]*$", re.IGNORECASE)

# --- outcomes -------------------------------------------------------------------------------

_OUTCOME_NOUN = r"(?:end ?points?|endpoints?|outcomes?(?: measures?| variables?)?|" \
                r"outcome measures?|efficacy (?:end ?points?|outcomes?|variables?)|" \
                r"efficacy measures?)"
_KIND = r"(?P<kind>primary|secondary|main|principal|key secondary|co-?primary)"
#: 'The primary end points were …', 'Primary outcome measures were …', 'The primary assessed
#: endpoint was …', 'Secondary end points included …'.
_OUTCOME_FORWARD = re.compile(
    rf"\b(?:the |our |its |their )?{_KIND}(?: \w+){{0,2}}? (?P<noun>{_OUTCOME_NOUN}) "
    r"(?:of (?:this|the) (?:study|trial) )?(?P<verb>was|were|is|are|included|includes|"
    r"comprised|consisted of|will be|being)(?: defined as| the)? (?P<x>.+)", re.IGNORECASE)
#: 'The primary outcome, change in MDS-UPDRS Part III OFF score at 12 months, did not differ'.
_OUTCOME_APPOSITIVE = re.compile(
    rf"\bthe {_KIND} (?P<noun>{_OUTCOME_NOUN}), (?P<x>[^,]+?), (?:was|were|did|has|had|"
    r"is|showed|differed|improved|occurred|favou?red|reached|increased|decreased|remained)\b",
    re.IGNORECASE)
#: 'Progression-free survival was the primary end point, and overall survival was a secondary
#: end point'; 'X was considered the end point'; 'X was used to evaluate the primary efficacy'.
_OUTCOME_REVERSE = re.compile(
    r"(?:^|[,;] (?:and |whereas |while )?)(?P<x>[^,;]+?) (?:was|were) (?:considered |chosen |"
    r"selected |defined |designated )?(?:as )?(?:the|a|an|our|its) (?P<kind>primary|secondary|"
    r"main|principal|co-primary)?\s?(?:\w+ )?(?P<noun>end ?points?|endpoints?|outcomes?(?: "
    r"measures?)?)\b", re.IGNORECASE)
_OUTCOME_USED = re.compile(
    r"(?:^|[,;] (?:and )?)(?P<x>[^,;]+?) (?:was|were) used (?:as the|to (?:evaluate|assess|"
    r"measure) the) (?P<kind>primary|secondary) (?:efficacy|outcome|end ?point|endpoint)",
    re.IGNORECASE)
#: 'The outcome measures were A and B.': the record's whole set, as a MAIN OUTCOME MEASURES
#: section gives it ('Study outcomes included …' is not: it lists some).
_OUTCOME_MEASURES = re.compile(r"^the (?:main |principal )?outcome (?:measures|variables) "
                               r"were (?P<x>.+)", re.IGNORECASE)
#: 'Primary outcome measures: A; B.' as a label inside an unstructured abstract.
_OUTCOME_COLON = re.compile(
    rf"\b{_KIND} (?P<noun>{_OUTCOME_NOUN}):\s+(?P<x>.+)", re.IGNORECASE)
#: The outcome text stops where the sentence turns to something else.
_OUTCOME_END = re.compile(
    r"[;,]? (?:and |while |whereas )?(?:the )?(?:key |main )?secondary\b|"
    r", (?:which|that|as|assessed|measured|evaluated|defined|determined|analy[sz]ed|"
    r"ascertained|adjudicated)\b|,? (?:as )?compared (?:between|with|to|across|among)\b|"
    r" and (?:the )?(?:[\w-]+ ){0,3}(?:was|were|is|are) (?!the primary)|"
    r"\.\s|\.$|\s\((?:p|P) ?[<=>]", re.IGNORECASE)
#: An outcome text that is a result, not an outcome: 'The primary end point was not met'.
_RESULT_WORDS = re.compile(
    r"^(?:not|met|achieved|reached|attained|significant\w*|similar|higher|lower|greater|"
    r"improved|reduced|increased|decreased|observed|statistically|comparable|superior|"
    r"inferior|non-?inferior|better|worse|positive|negative|different|unchanged|"
    r"available|reported|assessed|evaluated|measured|"
    r"\d+(?:\.\d+)?\s*(?:%|percent|patients|participants|of\b|vs\b|versus\b|in\b|and\b|,))",
    re.IGNORECASE)
_JA_OUTCOMES = {"primary_outcomes": r"主要評価項目は(.+?)(?:であ|とし|。|、副次)",
                "secondary_outcomes": r"副次評価項目は(.+?)(?:であ|とし|。)"}

# --- events ---------------------------------------------------------------------------------

_JA_NUM = r"(\d+|[〇一二三四五六七八九十百千]+)"
AE_PATTERNS = [
    rf"(?<!grade ){_N} (?:mild(?:[- ]to[- ]moderate|,? (?:or|and|to) moderate)?|moderate)?\s*"
    r"(?:treatment[- ]emergent\s+)?adverse events",
    rf"{_N} (?:mild(?:[- ]to[- ]moderate|,? (?:or|and|to) moderate)?|moderate)\s+events",
    rf"(?<!重篤な)有害事象[^。]*?{_JA_NUM}\s*件",  # 重篤な有害事象 counts are SAEs
]
AE_NONE = (r"\b(?:there (?:was|were) )?no (?:occurrences? of )?(?:side[- ]effects?|"
           r"adverse (?:events?|effects?|reactions?))(?! related)\b")
SAE_NONE = (r"\bno serious adverse events?\b|serious adverse events? (?:were|was) not\b|"
            r"did not (?:result in|cause|lead to) any serious adverse events?|"
            r"重篤な有害事象(?:は|の発現は)?(?:認められ|み?られ)?なかった|重篤な有害事象なし")
SAE_PATTERNS = [rf"{_N} serious adverse (?:drug )?(?:events?|reactions?)",
                rf"重篤な有害事象[^。]*?{_JA_NUM}\s*件"]
#: Event counts given per group ('one serious adverse event each, respectively') are not the
#: record's total.
_PER_GROUP = re.compile(r"\brespectively\b|\beach\b|\bper (?:group|arm)\b|\bboth groups\b",
                        re.IGNORECASE)

# --- Japanese counts ------------------------------------------------------------------------

_JA_ENROLLMENT = [
    (rf"{_JA_NUM}\s*(?:例|名|人)(?:に移植)", "treated"),
    (rf"{_JA_NUM}\s*(?:例|名|人)(?:が登録|を登録)", "enrolled"),
    (rf"{_JA_NUM}\s*(?:例|名|人)(?:の患者|を対象)", None),
    (rf"(?:患者|被験者)\s*{_JA_NUM}\s*(?:例|名|人)", None),
]
_JA_ANALYSED = rf"有効性[^。]*?{_JA_NUM}\s*(?:例|名)"
_JA_FOLLOW_UP = [r"(?:観察期間|追跡期間)[^。]*?(\d+\s*(?:か月|ヶ月|カ月|年|週))",
                 r"(\d+\s*(?:か月|ヶ月|カ月|年|週))間?(?:にわたり|の観察|追跡)"]

#: Cheap pre-checks: a word every pattern of the field contains. A sentence without it cannot
#: match, so the field's patterns are not tried (most sentences state one or two fields).
GATES = {field: re.compile(words, re.IGNORECASE) for field, words in {
    "outcomes": r"primary|secondary|end ?point|outcome|主要評価項目|副次評価項目",
    "enrollment": r"\d|patient|participant|subject|individual|例|名|人",
    "sample_size_analysed": r"analy|evaluat|evaluable|assess|examin|report|complet|availab|"
                            r"includ|population|intention|protocol|有効性",
    "follow_up": r"year|month|week|day|\byrs?\b|\bmos?\b|\bwk|results|か月|ヶ月|カ月|年|週",
    "adverse_events": r"adverse|event|side[- ]effect|有害事象",
    "serious_adverse_events": r"serious|重篤",
    "funding": r"fund|support|sponsor|financ|grant",
}.items()}

#: Words that claim more than an early, uncontrolled study can show; rules weigh them.
CLAIM_WORDS = [
    r"\bproven\b", r"\bprove[sd]?\b", r"\bcures?\b", r"\bcured\b", r"\bcurative\b",
    r"demonstrated (?:efficacy|effectiveness|benefit)", r"\bbreakthrough\b",
    r"\brestores?\b (?:motor|function|dopamine)", r"\bclinically proven\b", r"\bestablished\b",
    r"\bhighly effective\b", r"\bsafe and effective\b", r"\bconfirm(?:s|ed)? (?:the )?efficacy",
    r"根治", r"完治", r"治癒", r"有効性が(?:証明|確認)", r"効果が実証", r"画期的",
    # breadth and durability: what seven patients over two years cannot show
    r"broad (?:functional |clinical )?benefits?", r"durable for (?:years|life|decades)",
    r"\bdurable\b",
    r"long[- ]lasting (?:benefit|effect|improvement)s?",
    r"\bconfirm(?:s|ed)? (?:the )?(?:clinical )?(?:value|benefit|effectiveness)",
    r"実証", r"確認された有効性", r"有効性を確認",
]
#: Access taken for validation: payment and permission are not proof ('insurance coverage
#: confirms the clinical value'). Always a claim, whatever the evidence level.
ACCESS_AS_VALIDATION = re.compile(
    r"\b(?:(?:insurance |medical |public )?coverage|reimbursement|(?:the |its |regulatory |"
    r"conditional )?approval|price listing|listing|payment)\b(?:\s+\w+){0,2}?\s+"
    r"(?:confirms?|confirmed|validates?|validated|proves?|proved|proven|demonstrates?|"
    r"establishes?)\b(?:(?:\s+(?:the|its))?(?:\s+(?:clinical|therapeutic|medical))?"
    r"\s+(?:value|efficacy|benefit|effectiveness|worth)\b)?|"
    r"(?:保険適用|保険収載|薬価収載|承認)(?:は|が|により|によって)[^。]{0,12}?"
    r"(?:有効性|臨床的価値|価値)(?:を|が)(?:裏付け|証明|実証)", re.IGNORECASE)
#: Reported speech: a claim the text attributes to someone else ('the company claims it is
#: proven') is not the text's own claim.
_ATTRIBUTED = re.compile(
    r"\b(?:the company|the sponsor|the developer|the manufacturer|the firm|critics|"
    r"proponents|some|others|they)\s+(?:claims?|claimed|says?|said|"
    r"asserts?|asserted|argues?|argued|contends?|contended)\b(?:\s+that)?[^.]{0,60}$|"
    r"\baccording to\b[^.]{0,60}$|\b(?:so-called|claims? (?:that|of))\b[^.]{0,40}$",
    re.IGNORECASE)
#: A claim word under a negation or a hedge does not claim: 'not proven', 'has not been
#: established', 'may cure', 'could restore motor function'.
_NEGATED = re.compile(
    r"\b(?:not|never|no|nor|neither|without|unproven|lack of|yet to be|has yet to|have yet to|"
    r"cannot|can't|isn't|aren't|wasn't|weren't|hasn't|haven't|none)\b(?:\s+\w+){0,3}\s*$|"
    r"\b(?:may|might|could|possibly|potentially|perhaps|hope[sd]? to|aims? to|aiming to|"
    r"expected to|designed to|intended to|would|suggests?|appears? to|seems? to|whether)\b"
    r"(?:\s+\w+){0,3}\s*$", re.IGNORECASE)
_JA_NEGATED = re.compile(r"^(?:で|では|には|が|は)?(?:ない|なく|なし|せず|されず|されていない)|"
                         r"^[^。]{0,6}?(?:目指|可能性|かもしれ)")


@functools.cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _first(patterns: Iterable[str], text: str) -> re.Match | None:
    """The first pattern that matches the (already folded) sentence."""
    for pattern in _compiled(tuple(patterns)):
        m = pattern.search(text)
        if m:
            return m
    return None


def _count(text: str) -> int | None:
    return parse_int(re.sub(r"(?<=\d) (?=\d{3}\b)", "", text))


# --- one sentence ---------------------------------------------------------------------------

@dataclass
class _Sentence:
    text: str          # as written (the quote)
    folded: str        # NFKC-folded
    num: str           # folded, numbers in words as digits
    role: str | None   # the section's role
    locator: str
    japanese: bool
    label: str = ""    # the section heading
    first: bool = False  # the section's first sentence


@dataclass
class _Candidate:
    field: str
    value: object
    rank: int          # lower wins; ties go to the earlier sentence
    order: int
    sentence: _Sentence
    unit: str | None = None
    qualifier: str | None = None


def _qualifier(text: str) -> str | None:
    """What a sentence says a count is: randomised, enrolled or treated; None when it does not."""
    if re.search(r"randomi[sz]|\brandomly (?:assign|allocat)|at random\b", text, re.IGNORECASE):
        return "randomised"
    if re.search(r"\b(?:enrol|recruit|includ|entered|particip)", text, re.IGNORECASE):
        return "enrolled"
    if re.search(r"\b(?:treated|received|underwent|transplant|vaccinated|injected|given)\b",
                 text, re.IGNORECASE):
        return "treated"
    return None


#: Up to five words may stand between a count and its noun: '1264 primigravid women', '6602
#: HIV-1-negative individuals', '20 computer users' (words, not numbers or 'and').
_PEOPLE_WORDS = frozenset(_PEOPLE[3:-1].replace("?", "").split("|")) | frozenset(
    w[:-2] for w in _PEOPLE[3:-1].split("|") if w.endswith("s?"))
_ADJ_STOP = frozenset("and or of in on at to with from were was had who which that per".split())
_NUMBER = re.compile(_N)
_WORD = re.compile(r" ([\w'/+-]+)")
#: A marked count: '@C0@' stands for '322 patients', '1264 primigravid women'.
_C = r"@C(\d+)@"


def _mark_counts(text: str) -> tuple[str, list[int], list[str]]:
    """The text with each count of people ('322 patients', '6602 HIV-1-negative individuals',
    up to five words between) replaced by a mark '@Ck@', and the counts. The count patterns
    then match the mark instead of re-reading numbers and nouns at every position."""
    out: list[str] = []
    values: list[int] = []
    phrases: list[str] = []
    last = 0
    for m in _NUMBER.finditer(text):
        if m.start() < last:
            continue
        pos, end = m.end(), None
        for _ in range(6):
            w = _WORD.match(text, pos)
            if not w:
                break
            word = w.group(1).lower()
            if word in _PEOPLE_WORDS and not re.match(r"[\w'/+-]", text[w.end():w.end() + 1]):
                end = w.end()
                break
            if word in _ADJ_STOP or not re.search(r"[a-z]", word):
                break
            pos = w.end()
        if end is None:
            continue
        value = _count(m.group(1))
        if value is None:
            continue
        out.append(text[last:m.start()])
        out.append(f"@C{len(values)}@")
        values.append(value)
        phrases.append(text[m.start():end])
        last = end
    out.append(text[last:])
    return "".join(out), values, phrases


@functools.cache
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _enrollment(s: _Sentence) -> list[tuple[int, int, str | None]]:
    """(value, rank, qualifier) of each count the sentence gives for the participants entering
    the trial. Ranks: 1 randomised, 2 enrolled/included, 3 treated or a trial 'in N patients',
    4 a sum of arm sizes, 5 a weak reading (the denominator of 'N of M were evaluated')."""
    if s.japanese:
        out = []
        for pattern, qual in _JA_ENROLLMENT:
            m = _first([pattern], s.folded)
            if m:
                value = parse_int(m.group(1))
                if value is not None:
                    out.append((value, 2 if qual else 3, qual))
                break
        return out
    if _PLANNED.search(s.num):
        return []  # a sample-size calculation, not the enrollment
    found: list[tuple[int, int, str | None]] = []
    plain = _without_parentheses(s.num)
    marked, values, phrases = _mark_counts(plain)
    qual = _qualifier(s.num)
    if values:
        found += _count_phrases(marked, values, phrases, qual)
        found += _subject_counts(marked, values, qual)
        # a PARTICIPANTS section that opens with its count: 'Sixty-three patients classified …'
        if re.search(r"participant|patient|subject|population|sample", s.label, re.IGNORECASE):
            m = _rx(rf"(?:a total of |all )?{_C}").match(marked)
            if m and not _NOT_ENROLLED.search(marked[m.end():]):
                found.append((values[int(m.group(1))], 3, qual))
    if "=" in s.num:
        found += _n_equals(s.num, qual)
    return [f for f in found if f[0] > 0]


def _count_phrases(marked: str, values: list[int], phrases: list[str], qual: str | None
                   ) -> list[tuple[int, int, str | None]]:
    """Counts an enrolment phrase governs: 'we randomly assigned 322 patients', 'a randomised
    trial in 100 students', 'Of 140 patients enrolled', 'Of 450 patients screened, 322 were
    randomized', 'Participants were a consecutive sample of 920 patients'."""
    found: list[tuple[int, int, str | None]] = []

    def v(m: re.Match, group: int = 1) -> int:
        return values[int(m.group(group))]

    for m in _rx(rf"\b(?:randomly (?:assigned|allocated|assigning|allocating)|"
                 rf"randomi[sz](?:ed|ing))(?:, [^,]{{1,40}},)?\s+(?:a total of |all )?{_C}"
                 ).finditer(marked):  # 'we randomly assigned, in a 1:1 ratio, 600 patients'
        found.append((v(m), 1, "randomised"))
    # 'after 150 of the planned 400 patients were enrolled': 150 entered, 400 was the target
    for m in _rx(rf"{_N} of (?:the )?(?:planned|intended|targeted|target|expected) {_C} "
                 rf"(?:had been |were |was )?(?P<verb>enrolled|randomi[sz]ed|recruited|"
                 rf"included)\b").finditer(marked):
        rank = 1 if m.group("verb").lower().startswith("randomi") else 2
        found.append((_count(m.group(1)) or 0, rank, "randomised" if rank == 1 else "enrolled"))
    for m in _rx(rf"\b(?:we|they|investigators) (?:\w+ )?(?:enrolled|recruited|included|"
                 rf"studied)\s+(?:a total of |all )?{_C}").finditer(marked):
        found.append((v(m), 2, "enrolled"))
    for m in _rx(rf"\b(?:treated|transplanted|vaccinated|dosed)\s+(?:a total of |all )?"
                 rf"{_C}").finditer(marked):
        if not _PREPOSITION.search(marked[:m.start()].split(",")[-1] + " "):
            found.append((v(m), 3, "treated"))
    for m in _rx(rf"\b(?:trial|study)\b(?: [\w-]+){{0,3}}? (?:in|of|on|among|involving|"
                 rf"including|enrolling|recruiting) (?:a total of |all )?{_C}").finditer(marked):
        found.append((v(m), 2, qual if qual != "treated" else None))
    for m in _rx(rf"\b(?:participants|patients|subjects|the (?:study )?(?:sample|population|"
                 rf"cohort)) (?:were|was|comprised|consisted of|included) (?:a (?:[\w-]+ )?"
                 rf"sample of |all )?{_C}").finditer(marked):
        found.append((v(m), 2, "enrolled"))
    for m in _rx(rf"\bof (?:the |all )?{_C} (?:who (?:were|had been) )?(?P<verb>enrolled|"
                 rf"randomi[sz]ed|recruited|included|treated)\b").finditer(marked):
        if _PART.match(marked, m.end() + 1) or _PART.match(marked, m.end()):
            continue  # 'Of the 104 patients randomized in Part 1': one part of the trial
        verb = m.group("verb").lower()
        rank, q = ((1, "randomised") if verb.startswith("randomi") else
                   (3, "treated") if verb == "treated" else (2, "enrolled"))
        found.append((v(m), rank, q))
    for m in _rx(rf"\bof (?:the |all )?{_C} (?:who were |were )?(?:screened|assessed(?: for "
                 rf"eligibility)?|approached|eligible|enrolled|recruited|identified),? "
                 rf"(?:{_C}|{_N}) (?:were |was )?(?P<verb>{_RANDOMISED}|enrolled|included|"
                 rf"recruited)\b").finditer(marked):
        rank = 1 if re.match(r"randomi|randomly|assigned|allocated|underwent|entered",
                             m.group("verb"), re.IGNORECASE) else 2
        value = values[int(m.group(2))] if m.group(2) else (_count(m.group(3)) or 0)
        found.append((value, rank, "randomised" if rank == 1 else "enrolled"))
    lead = _rx(rf"of (?:the |all |a total of )?{_C},").match(marked)  # 'Of 240 randomized …,'
    if lead:
        phrase = phrases[int(lead.group(1))]
        if re.search(r"randomi[sz]ed", phrase, re.IGNORECASE):
            found.append((v(lead), 1, "randomised"))
        elif re.search(r"enrolled|included|recruited|eligible", phrase, re.IGNORECASE):
            found.append((v(lead), 2, "enrolled"))
        elif re.match(r"of a total of", marked, re.IGNORECASE):
            found.append((v(lead), 2, "enrolled"))  # 'Of a total of 22 patients, 21 had …'
    for m in _rx(rf"\bfrom each of (?:the )?{_C}").finditer(marked):  # 'One tooth from each of'
        found.append((v(m), 3, "treated"))
    # '62 of 90 patients were evaluated per protocol': 90 entered the trial (weakly)
    for m in _rx(rf"{_N} of (?:the |all )?{_C} (?:were |was )?(?:evaluated|evaluable|"
                 rf"analy[sz]ed|assessed)\b").finditer(marked):
        found.append((v(m, 2), 5, "enrolled"))
    return found


def _subject_counts(marked: str, values: list[int], qual: str | None
                    ) -> list[tuple[int, int, str | None]]:
    """Counts that are the subject of an enrolment verb: '322 participants were randomized',
    'Twenty-five asthmatics treated with ICS were enrolled for a randomized trial', and arm
    sizes listed in one clause ('31 were assigned A and 30 were assigned B' → 61)."""
    out: list[tuple[int, int, str | None]] = []
    for m in _rx(rf"(?:\ba total of |\ball )?{_C}").finditer(marked):
        before = marked[:m.start()]
        if _PREPOSITION.search(before[-40:]) or re.search(r"\b\d+ of (?:the )?$", before) \
                or re.search(r"\b(?:planned|intended|targeted|target|expected|anticipated)\s+$",
                             before, re.IGNORECASE) \
                or re.search(r"\b(?:that|whom|which|if|whether)\s+$", before, re.IGNORECASE):
            continue  # an object, or a count in a reported clause ('it is stated that six …')
        rest = marked[m.end():]
        clause = _clause(rest)
        if _NOT_ENROLLED.search(clause):
            continue
        value = values[int(m.group(1))]
        for q, verbs in _VERBS:
            verb = None
            for vm in _rx(rf"\b(?:{verbs})\b").finditer(clause):
                if _ADJECTIVE_USE.search(clause[:vm.start()]):
                    continue  # 'enrolled for a randomized crossover trial'
                verb = vm
                break
            if verb is None:
                continue
            # arms up to the next ';' or ':' ('… randomization: 617 were assigned …' is not one)
            arms = _ARMS.search(re.split(r"[;:]", rest[verb.start():], maxsplit=1)[0])
            if arms and (q == "treated") != arms.group(0).lower().endswith("with"):
                arms = None  # 'treated with A and 24 with B' are arms; 'enrolled and 20 with
                #             stage IV disease' is a subgroup
            if arms and _ANALYSIS_SET.search(rest[verb.start():][arms.end():][:80]):
                arms = None  # '3849 underwent randomization, and 3836 were included in the
                #             full analysis set': the second count is analysed, not an arm
            second = (values[int(arms.group(1))] if arms.group(1) else _count(arms.group(2))) \
                if arms else None
            if arms and not arms.group(1) and re.fullmatch(r"(?:19|20)\d\d", arms.group(2)):
                second = None  # 'between 2004 and 2007 were treated': years, not an arm
            if second:
                out.append((value + second, 4, qual))
            elif _PART.search(clause[verb.start():verb.end() + 30]):
                pass  # 'N were enrolled in Part 1': one part of the trial
            else:
                rank = {"randomised": 1, "enrolled": 2, "treated": 3}[q]
                said: str | None = q
                if q == "enrolled" and re.match(r"(?:were |was )?(?:allocated|assigned|selected)|"
                                                r"allocated|assigned", verb.group(0),
                                                re.IGNORECASE):
                    said = qual  # 'were allocated' alone says neither randomised nor enrolled
                out.append((value, rank, said))
            break
    return out


#: A second arm in the same clause: '… to Noni and 38 to placebo', '… and 30 were assigned …'.
_ARMS = re.compile(
    rf"^[^;]{{0,100}}?\band (?:{_C}|{_N}\b)(?: (?:were|was))?"
    rf"(?: (?:randomly )?(?:assigned|allocated|randomi[sz]ed|enrolled|included))?"
    r" (?:to|in|into|were|was|assigned|with)\b", re.IGNORECASE)
_NEXT_COUNT = re.compile(rf"(?:\b(?:and|or) )?{_C}")
#: What follows a count of the analysed, not of an arm: '… were included in the full analysis'.
_ANALYSIS_SET = re.compile(r"^\s*(?:the )?(?:full |primary |final |modified )?(?:analys[ie]s|"
                           r"analysis (?:and safety )?(?:data )?sets?|(?:safety |efficacy )"
                           r"(?:data )?(?:sets?|population)|per[- ]protocol|intention[- ]to[- ]"
                           r"treat|evaluable)", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[;:]|, (?:and |but |whereas |while )?(?=\d+ |@C)")


def _clause(rest: str) -> str:
    """The rest of a count's clause: up to a semicolon, a colon, the sentence's end, or the
    next count that is a subject of its own ('…, and 30 were assigned …'); a count after a
    preposition ('selected from 672 patients') does not end it."""
    end = _CLAUSE_END.search(rest)
    rest = rest[:end.start()] if end else rest
    for m in _NEXT_COUNT.finditer(rest):
        if not _PREPOSITION.search(rest[:m.start()][-40:]):
            rest = rest[:m.start()]
            break
    return rest[:220]


_N_TOTAL = re.compile(rf"\b(?:in total|total|overall),? n ?= ?{_N}", re.IGNORECASE)
_N_AFTER = re.compile(rf"\b(?:trial|study|randomi[sz]ed|enrolled|included|recruited)"
                      rf"(?: [\w-]+){{0,2}}? \(\s*n ?= ?{_N}\s*\)", re.IGNORECASE)
_N_BEFORE = re.compile(rf"\(\s*n ?= ?{_N}\s*\) (?:were|was) (?:randomly|randomi[sz]ed|"
                       r"allocated|assigned|enrolled|included|recruited)", re.IGNORECASE)
_N_ARM = re.compile(rf"\(\s*(?:[\w-]+,\s*)?n ?= ?{_N}\s*\)", re.IGNORECASE)


def _n_equals(num: str, qual: str | None) -> list[tuple[int, int, str | None]]:
    """'(N = 843)' after a trial or an enrolment verb; arm sizes '(n = 53) or … (n = 54)' in an
    allocation sentence, summed. A lone '(n = 20)' after one arm is not the enrollment."""
    out: list[tuple[int, int, str | None]] = []
    for m in _N_TOTAL.finditer(num):
        out.append((_count(m.group(1)) or 0, 2, qual))
    for m in _N_AFTER.finditer(num):
        out.append((_count(m.group(1)) or 0, 2, qual))
    for m in _N_BEFORE.finditer(num):
        out.append((_count(m.group(1)) or 0, 1 if qual == "randomised" else 2, qual))
    arms = list(_N_ARM.finditer(num))
    if len(arms) >= 2 and re.search(r"randomi[sz]|\bassign|\ballocat", num, re.IGNORECASE) \
            and not re.search(r"per (?:group|arm)|in each (?:group|arm)|divided into", num,
                              re.IGNORECASE):
        out.append((sum(_count(m.group(1)) or 0 for m in arms), 4, qual))
    return out


_ANALYSED = [re.compile(p, re.IGNORECASE) for p in (
    rf"\b(?:efficacy|outcomes?|recall|data|results?|response)\s+(?:was|were|is|are)\s+"
    rf"(?:evaluated|assessed|examined|analy[sz]ed|available|reported)\s+(?:in|for|from)\s+"
    rf"(?:all )?{_C}",
    rf"\b(?:outcomes?|results?|data) (?:in|of|for|from) {_C} (?:is|are|was|were) "
    r"(?:reported|analy[sz]ed|available|presented)",
    rf"{_N} of (?:the |all )?{_C} (?:were |was )?(?:evaluated|evaluable|analy[sz]ed|"
    r"assessed)\b",
    rf"{_C} (?:were|was) (?:included in|available for) the (?:final |primary |efficacy |"
    r"per[- ]protocol |intention[- ]to[- ]treat )?analys[ie]s",
    rf"{_C} completed (?:the )?(?:study|trial|program(?:me)?|treatment) and (?:constituted|"
    r"formed|comprised|made up) the (?:study|analysis) (?:group|population|sample)",
    rf"^(?:a total of |all )?{_C} completed the (?:study|trial)\b",
    rf"^(?:a total of |all )?{_C} (?:were|was) analy[sz]ed\b",
    rf"(?:among|of) the {_C} (?:who underwent|evaluated|assessed|analy[sz]ed)"
    r"[^.]*?(?:efficacy|evaluation)",
    # '18 of 20 patients completed the study' (the 18); 'Data from 412 participants were
    # analysed'; 'The intention-to-treat population comprised 301 patients'
    rf"{_N} of (?:the |all )?{_C} (?:\w+ )?completed the (?:study|trial)\b",
    rf"\b(?:data|results|outcomes?|samples?) (?:from|of|for) {_C} (?:were|was) "
    r"(?:analy[sz]ed|included in the (?:\w+ )?analys[ie]s)",
    rf"\bthe (?:final |primary |efficacy |modified )?(?:intention[- ]to[- ]treat|per[- ]protocol|"
    rf"efficacy|full analysis|evaluable) (?:analysis |population |set |sample )"
    rf"(?:included|comprised|consisted of|was made up of) {_C}",
    rf"(?:^|[,;] (?:and |but )?){_C} (?:were|was) (?:evaluable|assessable) (?:for|in)\b",
    rf"(?:^|[,;] (?:and |but )?)(?:only )?{_C} (?:were|was) (?:included in|available for) "
    r"(?:the )?(?:final |primary |efficacy |per[- ]protocol |intention[- ]to[- ]treat )?"
    r"analys[ie]s",
)]
#: A count whose own words say it is the analysed: '16 evaluable patients'.
_EVALUABLE_PHRASE = re.compile(r"\b(?:evaluable|assessable|analy[sz]able)\b", re.IGNORECASE)


def _analysed(s: _Sentence) -> int | None:
    if s.japanese:
        m = _first([_JA_ANALYSED], s.folded)
        return parse_int(m.group(1)) if m else None
    marked, values, phrases = _mark_counts(_without_parentheses(s.num))
    if not values:
        return None
    for i, pattern in enumerate(_ANALYSED):
        m = pattern.search(marked)
        if m:  # '62 of 90 patients were evaluated': the 62, a bare number
            return _count(m.group(1)) if i in (2, 8) else values[int(m.group(1))]
    evaluable = [v for v, phrase in zip(values, phrases, strict=True)
                 if _EVALUABLE_PHRASE.search(phrase)]
    return evaluable[0] if len(evaluable) == 1 else None


def _follow_up(s: _Sentence) -> tuple[float, str | None, int] | None:
    """(months, qualifier, strength) of the follow-up a sentence states."""
    if s.japanese:
        m = _first(_JA_FOLLOW_UP, s.folded)
        months = parse_duration_months(m.group(1)) if m else None
        return (months, None, 2) if months is not None else None
    text = s.num
    m = _SCHEDULE.search(text)
    if m:
        last = max(float(x) for x in re.findall(r"\d+(?:\.\d+)?", m.group(1)))
        months = parse_duration_months(f"{last:g} {m.group(2)}")
        if months is not None:
            return months, "planned", 2
    m = _VISITS.search(text)
    if m:
        visits = [parse_duration_months(v) for v in
                  re.findall(rf"\d+(?:\.\d+)? ?{_UNIT}", m.group(1), re.IGNORECASE)]
        known = [v for v in visits if v is not None]
        if len(re.findall(r"\d+(?:\.\d+)?", m.group(1))) >= 2 and known:
            return max(known), "planned", 2
    m = _RANGE.search(text)
    if m:
        months = parse_duration_months(f"{m.group(2)} {m.group(3)}")
        if months is not None:
            return months, "up to", 2
    for pattern, qualifier, strength in FOLLOW_UP_PATTERNS:
        for m in _compiled((pattern,))[0].finditer(text):
            if _NOT_FOLLOW_UP.search(text[:m.start()]) or _TREATMENT_TAIL.match(text[m.end():]):
                continue
            if not re.search(r"follow|observ|monitor", m.group(0), re.IGNORECASE) and \
                    mentions_immunosuppression(text[max(0, m.start() - 60):m.end()]):
                continue  # 'tacrolimus for 15 months' is the drug's duration, not follow-up
            if qualifier == "group" and _TREATMENT_BEFORE.search(text[:m.start()][-50:]):
                continue  # 'received the drug for a median of 6 months' is exposure
            duration = m.group(m.lastindex or 0)
            months = parse_duration_months(text[m.start(m.lastindex or 0):m.end()])
            if months is None or not duration:
                continue
            q = m.group(1).lower().replace("average", "mean") if qualifier == "group" else \
                qualifier
            if q is None and re.match(r"\s*\((?:SD\s*)?\d+(?:\.\d+)?\)", text[m.end():]):
                q = "mean"  # '3.8 years (0.3)': a mean with its SD
            if q is None and (re.search(r"\bup to\b", m.group(0), re.IGNORECASE) or
                              re.search(r"\bmaximum (?:of )?$", text[:m.start()][-12:],
                                        re.IGNORECASE)):
                q = "up to"  # 'a maximum follow-up of one year
            return months, q, strength
    return None


def registry_follow_up(texts: Iterable[tuple[str, str]]) -> Reading | None:
    """The follow-up a registry record's title or descriptions state (each `(text,
    locator)`): 'a maximum follow-up of one year', 'Each participant will be in the study
    for up to 64 weeks'. Never an outcome's time frame (those are not given here), nor a
    study's length as an adjective ('This is a 68-week study'): that is not said to be how
    long each participant is followed."""
    found: list[tuple[int, int, float, str | None, str, str]] = []
    for order, (text, locator) in enumerate(texts):
        for sentence in sentences(text):
            folded = fold(sentence)
            s = _Sentence(sentence, folded, numeric(folded), None, locator,
                          bool(re.search(r"[぀-ヿ一-鿿]", folded)))
            if not GATES["follow_up"].search(s.num):
                continue
            fu = _follow_up(s)
            if fu is not None:
                found.append((fu[2], order, fu[0], fu[1], sentence, locator))
    if not found:
        return None
    _, _, months, qualifier, quote, locator = min(found, key=lambda f: (f[0], f[1]))
    return Reading(field="follow_up", value=months, unit="months", qualifier=qualifier,
                   quote=quote, locator=locator)


def described_design(text: str) -> set[str]:
    """Design tags the sentences of a registry's description state about the trial."""
    return {tag for sentence in sentences(text)[:60] for tag in _design(sentence)}


def design_words(text: str) -> set[str]:
    """Design tags a sentence or title states in words ('Placebo-Controlled',
    'Non-randomized'): what a registry's coded fields may leave out."""
    return _design(text)


def _time_points(text: str) -> list[float]:
    out = []
    for m in _TIME_POINT.finditer(text):
        amount, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        months = parse_duration_months(f"{amount} {unit}")
        if months is not None:
            out.append(months)
    return out


# --- outcomes -------------------------------------------------------------------------------

#: A parenthesis that names the registration, not the outcome: '(ClinicalTrials.gov NCT01792817)'.
_REGISTRY_ASIDE = re.compile(r"\s*\((?:[^()]*\b(?:NCT\d{8}|ISRCTN\d+|ClinicalTrials\.gov|EudraCT|"
                             r"UMIN\d*|jRCT\w*|ChiCTR\w*|ACTRN\d*|DRKS\d*|registered|"
                             r"registration)\b[^()]*)\)", re.IGNORECASE)


def _tidy_outcome(text: str) -> str:
    text = _REGISTRY_ASIDE.sub("", squash(text)).strip(" ,;:.")
    text = re.sub(r"^(?:and|or|the|a|an)\s+", "", text, flags=re.IGNORECASE)
    return text.strip(" ,;:.")


def _top_level_split(text: str, separators: str) -> list[str]:
    """Split on a separator pattern outside (…) and […]."""
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        c = text[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = re.match(separators, text[i:])
            if m:
                parts.append(text[start:i])
                start = i + m.end()
                i = start
                continue
        i += 1
    parts.append(text[start:])
    return parts


def _sentence_case(text: str) -> str:
    """'Readmissions' at the head of a sentence → 'readmissions'; names and acronyms stay."""
    m = re.match(r"([A-Z][a-z-]+)(\s+\S+)?", text)
    if m and not (m.group(2) and m.group(2).strip()[:1].isupper()):
        return text[0].lower() + text[1:]
    return text


def _looks_like_outcome(part: str) -> bool:
    words = part.split()
    return bool(words) and not part.endswith("-") and \
        not re.match(r"^(?:of|in|at|to|from|with|for|by|on|non-fatal|fatal|other)\b", part,
                     re.IGNORECASE) and not (len(words) == 1 and len(part) < 3)


_TIME_TAIL = re.compile(r"\s+(?:(?:averaged )?(?:at|over|during|through|after|by|within|from|in)"
                        r" (?:the )?(?:weeks?|months?|days?|years?|visits?|\d)[^,]*)$",
                        re.IGNORECASE)
_TIME_ONLY = re.compile(r"^(?:(?:averaged )?(?:at|over|during|through|after|by|within|from|in) "
                        r"(?:the )?(?:weeks?|months?|days?|years?|visits?|\d)[^,]*)$",
                        re.IGNORECASE)


#: A part that ends in a modifier is not an outcome of its own: 'clinically indicated and
#: non-clinically indicated tests', 'progression-free and overall survival'.
_MODIFIER_END = re.compile(r"(?:ated|ic|ical|ive|ous|ary|-free|-related|-specific|-cause|"
                           r"-term|-based|-induced|-associated)$", re.IGNORECASE)


def _words(text: str) -> int:
    return len([w for w in text.split() if w.lower() not in ("and", "or")])


def split_outcomes(text: str, plural: bool) -> list[str]:
    """One item per outcome. A singular noun ('The primary outcome was safety and adverse
    events') keeps its text whole; a plural one ('The primary end points were efficacy … and
    safety') or a list splits on semicolons, then on commas with a final 'and'/'or', else on
    one top-level 'and' — and only when every part reads as an outcome phrase. One measure at
    two time points ('… per week at weeks 9–12 and at weeks 21–24') gives two items."""
    text = _tidy_outcome(text)
    if not plural or not text:
        return [text] if text else []
    parts = [p for p in (_tidy_outcome(p) for p in _top_level_split(text, r";\s*")) if p]
    if len(parts) > 1 and all(_looks_like_outcome(p) for p in parts):
        return parts
    commas = _top_level_split(text, r",\s+(?:and\s+|or\s+)?")
    if len(commas) > 1:
        if re.search(r"\b(?:of|in|for)\b", commas[0]) and \
                all(_words(p) <= 2 for p in commas[1:]):
            # 'the sputum levels of IL-8, GM-CSF, eotaxin and RANTES': a list inside 'of'
            pieces = [_tidy_outcome(p) for p in _top_level_split(text, r"\s+and\s+(?=the\s)")]
            return pieces if len(pieces) > 1 and all(map(_looks_like_outcome, pieces)) \
                else [text]
        oxford = bool(re.search(r",\s+(?:and|or)\s+", text))
        pieces = [_tidy_outcome(p) for p in _top_level_split(
            text, r",\s+(?:and\s+|or\s+)?" if oxford else
            r",\s+|\s+(?:and|or)\s+(?=[^,]*$)")]
        pieces = [p for p in pieces if p]
        if len(pieces) > 1 and all(_looks_like_outcome(p) for p in pieces):
            return pieces
        return [text]
    pieces = [_tidy_outcome(p) for p in _top_level_split(text, r"\s+and\s+")]
    if len(pieces) == 2 and _TIME_ONLY.match(pieces[1]):
        tail = _TIME_TAIL.search(pieces[0])
        if tail:  # 'X at weeks 9-12 and at weeks 21-24' → X at each
            return [pieces[0], f"{pieces[0][:tail.start()]} {pieces[1]}"]
        return [text]
    if len(pieces) == 2 and all(_looks_like_outcome(p) for p in pieces) and not (
            re.search(r"\b(?:change|difference|improvement|reduction|increase|decrease)s? "
                      r"(?:in|of|from)\b", pieces[0], re.IGNORECASE)
            and not re.search(r"\b(?:in|of|from|at)\b", pieces[1], re.IGNORECASE)) \
            and not _MODIFIER_END.search(pieces[0]):
        return pieces  # not 'change in systolic and diastolic pressure'
    return [text]


def _cut_outcome(text: str) -> str:
    m = _OUTCOME_END.search(text)
    return text[:m.start()] if m else text


def _outcomes(s: _Sentence) -> dict[str, list[str]]:
    """Primary and secondary outcomes a sentence names."""
    out: dict[str, list[str]] = {}
    if s.japanese:
        for fld, pattern in _JA_OUTCOMES.items():
            m = _first([pattern], s.folded)
            if m:
                out[fld] = [squash(m.group(1))]
        return out

    def add(kind: str | None, text: str, plural: bool) -> None:
        fld = "secondary_outcomes" if (kind or "").lower().endswith("secondary") else \
            "primary_outcomes"
        text = text.strip()
        if not text or _RESULT_WORDS.search(text) or fld in out:
            return
        items = split_outcomes(text, plural)
        if items:
            out[fld] = items

    text = s.folded
    for m in _OUTCOME_APPOSITIVE.finditer(text):
        add(m.group("kind"), m.group("x"), False)
    for k in re.finditer(r"\b(?:primary|secondary|main|principal|key secondary|co-?primary)\b",
                         text, re.IGNORECASE):
        m = _OUTCOME_FORWARD.match(text, k.start())
        if m is None:
            continue
        if re.search(r"\b(?:and|or|secondary|primary)\b",
                     text[m.end("kind"):m.start("noun")], re.IGNORECASE):
            continue  # 'primary and secondary outcomes were …' names no list of its own
        x = m.group("x")
        noun, verb = m.group("noun").lower(), m.group("verb").lower()
        plural = noun.endswith("s") or verb in ("were", "are", "included", "includes")
        if not plural:
            x = _top_level_split(x, r";")[0]
        add(m.group("kind"), _cut_outcome(x), plural)
    m = _OUTCOME_MEASURES.match(text)
    if m:
        add("primary", _cut_outcome(m.group("x")), True)
    for m in _OUTCOME_COLON.finditer(text):
        if not re.search(r"\b(?:there|was|were|is|are|showed)\b", m.group("x"), re.IGNORECASE):
            add(m.group("kind"), m.group("x").rstrip("."), True)
    for regex in (_OUTCOME_REVERSE, _OUTCOME_USED):
        for m in regex.finditer(text):
            x = re.sub(r"^(?:in|at|for|among|during|after) [^,]*,\s*", "", m.group("x"))
            x = re.sub(r"^(?:the |a |an )", "", x.strip(), flags=re.IGNORECASE)
            if m.start("x") == 0:
                x = _sentence_case(x)
            if re.match(r"(?:which|that|this|it|there|these|those|what|who)\b", x,
                        re.IGNORECASE):
                continue
            kind = m.group("kind")
            if regex is _OUTCOME_REVERSE and kind is None and \
                    not re.search(r"\bconsidered|chosen|selected|defined|designated\b",
                                  m.group(0), re.IGNORECASE):
                continue  # 'X was an outcome' alone says too little
            noun = m.groupdict().get("noun") or ""
            add(kind, x, noun.lower().endswith("s"))
    return out


# --- design ---------------------------------------------------------------------------------

#: Design words as a paper uses them for its own trial (registry vocabularies live in
#: values.DESIGN_WORDS). 'controlled asthma', 'not adequately controlled' and 'placebo effect'
#: say nothing about the design.
_DESIGN: dict[str, str] = {
    "randomised": r"(?<!non-)(?<!non)\brandomi[sz]ed\b(?! (?:by|at the level of) (?:cluster|site))|"
                  r"\brandomly (?:assigned|allocated|divided|distributed|split)|"
                  r"\b(?:allocated|assigned) (?:at random|randomly)|"
                  r"\brandomi[sz]ation\b|\brandomi[sz]ing\b|\brandomly assigning",
    "non-randomised": r"\bnon-?randomi[sz]ed\b|\bnot randomi[sz]ed\b|\bnonrandomi[sz]ed\b",
    "blinded": r"\b(?:single|double|triple|quadruple|observer|assessor|investigator|patient|"
               r"participant)[- ](?:blind(?:ed)?|mask(?:ed)?)\b|\b(?:were|was) (?:blinded|masked)"
               r" to\b|(?<!non-)(?<!un)\bblinded(?! (?:end ?point|outcome|independent|central|"
               r"assessment|"
               r"evaluat|assessor|adjudicat|review|reader|observer|investigator|radiolog))\b",
    "open-label": r"\bopen[- ]label\b(?! (?:extension|period|part|stage|follow-up|continuation|"
                  r"run-in|lead-in|treatment period|phase(?![\s-]*(?:[0-4]|i{1,3}v?|iv)\b)))|"
                  r"\bnon-?blinded\b|\bunblinded\b|\bunmasked\b|"
                  r"\bopen,? (?:(?:prospective|randomi[sz]ed|parallel(?:[- ](?:arm|group))?|"
                  r"multi-?cent(?:re|er)|"
                  r"controlled|comparative|clinical|pilot|pivotal|phase \w+|two-arm|crossover|"
                  r"non-?comparative|single-arm|,|and) ?){0,5}(?:trial|study|design)\b",
    "single-arm": r"\bsingle[- ](?:arm|group)\b|\bone[- ]arm\b|\buncontrolled (?:trial|study|"
                  r"longitudinal|prospective|open|clinical|design|phase|pilot|multicent)|"
                  r"\bnon-?controlled\b|\bwithout (?:a )?control group\b|"
                  r"\bno control (?:group|arm)\b|\bnon-?comparative\b",
    "controlled": r"(?<!un)(?<!non-)(?<!non)\bcontrolled,? (?:clinical |community |"
                  r"intervention |field |pilot |multicent\w* |parallel\W+)*(?:trial|study|"
                  r"design|experiment)|\b(?:placebo|sham|vehicle|active|saline|usual[- ]care|"
                  r"standard[- ]of[- ]care|attention)[- ]controlled\b|"
                  r"\bplacebo\b(?![- ](?:effect|response))|\bsham\b|"
                  r"\bcontrol (?:group|arm|condition|firm|communit\w+|patients|subjects)\b|"
                  r"\bcontrols\b|\bcomparator\b|\(control\)",
}
#: Words around a design word that make it about other trials, or about what should come.
_OTHER_STUDIES = re.compile(
    r"\b(?:are|is|be|were|was) (?:\w+ )?(?:needed|required|warranted)\b|\bwill require\b|"
    r"\brequires?\b|\bin contrast to\b|\bunlike\b|\black of\b|\bshould be\b|"
    r"\b(?:further|larger|future|additional|well-designed|confirmatory|definitive)\b"
    r"[\w\s,-]{0,40}?\b(?:trials?|studies|study|research|investigations?|evidence)\b|"
    r"\bprevious(?:ly)?\s+(?:[\w-]+\s+){0,3}(?:trials?|studies|study|data|reports?|research)\b|"
    r"\bsystematic(?:ally)? review|\bmeta-analy\w+|\bsearched\b|\bregister of\b|"
    r"\b(?:randomi[sz]ed|controlled|blinded|placebo[- ]controlled|open[- ]label|clinical|"
    r"phase \w+)\s+(?:[\w-]+\s+){0,2}(?:trials|studies)\b", re.IGNORECASE)
#: A BACKGROUND or OBJECTIVE sentence about this trial: 'We undertook a randomised study',
#: 'CAPPP is a randomised intervention trial', 'A randomized study was performed'.
_SELF = re.compile(r"\b(?:we|our|this|the present|the current|here)\b|\b(?:is|was) an? "
                   r"[^.]{0,80}(?:trial|study)\b|\b(?:was|were) (?:performed|conducted|"
                   r"undertaken|carried out|done|designed)\b", re.IGNORECASE)
_NO_CONTROL = re.compile(r"\b(?:no|without|not|non|un)[- ]?(?:a )?(?:control|controls|"
                         r"controlled|comparator|placebo)\b", re.IGNORECASE)


_DESIGN_GATE = re.compile(r"random|blind|mask|open|single|one[- ]arm|control|placebo|"
                          r"sham|comparat|盲検|ランダム|無作為|単群|対照|オープン", re.IGNORECASE)


#: A registry's name says nothing of the design: observational studies register too.
_REGISTRY_NAME = re.compile(r"\b(?:ClinicalTrials\.gov|[\w-]+ )?(?:Clinical )?Trials? "
                            r"Regist(?:ry|er|ration)\b|\bClinicalTrials\.gov\b", re.IGNORECASE)
#: A sentence about others' work: 'PT2385 is being evaluated in a phase I clinical trial'.
_OTHER_WORK = re.compile(
    r"\b(?:recently|previously|currently|ongoing|(?:are|is) being|(?:has|have) been|"
    r"(?:were|was) developed)\b[^.]{0,60}\b(?:evaluated|tested|studied|investigated|"
    r"approved|developed|shown|reported|used|trials?)\b", re.IGNORECASE)
#: A sentence about what should come next: 'These results support further evaluation in a
#: randomised, sham-controlled trial'.
_FUTURE = re.compile(
    r"\b(?:support|warrant|justif(?:y|ies)|merit|call for|need)s?\s+(?:\w+\s+){0,2}"
    r"(?:further|future|additional|larger|confirmatory)\b|\bshould (?:be|now be) "
    r"(?:assessed|evaluated|tested|confirmed|investigated|studied|explored|conducted|done)\b|"
    r"\bshould follow\b|\b(?:are|is|will be|would be) (?:now |still |urgently )?(?:needed|"
    r"required|warranted|necessary|recommended)\b",
    re.IGNORECASE)


def _design(text: str) -> set[str]:
    """Design tags an English sentence states about the trial it reports."""
    t = fold(text)
    if not _DESIGN_GATE.search(t) or _FUTURE.search(t):
        return set()
    if re.search(r"[぀-ヿ一-鿿]", t):
        return set(design_tags(t))
    tags: set[str] = set()
    for tag, pattern in _DESIGN.items():
        for m in re.finditer(pattern, t, re.IGNORECASE):
            window = t[max(0, m.start() - 60):m.end() + 40]
            if _OTHER_STUDIES.search(window):
                continue
            if tag == "controlled" and _NO_CONTROL.search(t[max(0, m.start() - 25):m.end()]):
                continue
            tags.add(tag)
            break
    if "non-randomised" in tags and not re.search(
            r"(?<!non-)(?<!non)(?<!not )\brandomi[sz]ed|\brandomly", t, re.IGNORECASE):
        tags.discard("randomised")
    return tags


def _phase(s: _Sentence) -> list[str] | None:
    if _OTHER_WORK.search(s.folded) or _FUTURE.search(s.folded) or \
            re.search(r"\b(?:two|three|four|multi|bi|dual|single)[- ]phase\b", s.folded, re.I):
        return None
    phase = parse_phase(s.folded)
    if not phase or re.search(r"\bphase[\s-]*(?:[0-4]|i{1,3}v?|iv)[ab]?\s+(?:[\w-]+\s+){0,2}"
                              r"(?:trials|studies|evidence|data)\b", s.folded, re.IGNORECASE):
        return None
    return phase


# --- funding --------------------------------------------------------------------------------


#: Words that end an organisation's name: 'X and Y Council' is one name, 'X and the Y
#: Council' two.
_ORG = (r"(?:Council|Institutes?|Foundation|Trust|Fund|Agency|Ministry|Department|University|"
        r"Company|Society|Association|Cent(?:re|er)|Organi[sz]ation|Programme|Program|Board|"
        r"Office|Commission|Academy|Hospital|Service|Network|Alliance|Initiative|Authority|"
        r"Research|Science|Technology|Inc|Ltd|GmbH|AG|plc|Corporation|Laboratories)")


def split_funders(text: str) -> list[str]:
    """Funder names, one each: 'BioNTech and Pfizer' → two; 'the Bill and Melinda Gates
    Foundation' stays one; 'a grant from the X' → 'X'."""
    out: list[str] = []
    text = re.sub(r",?\s+and\s+(?:many\s+)?others?\W*$", "", squash(text))
    for part in _top_level_split(text, r";\s*"):
        if re.search(r",\s+(?:and|&)\s+", part):
            pieces = _top_level_split(part, r",\s+(?:and\s+)?")
        else:
            pieces = [part]
        for piece in pieces:
            left_right = _top_level_split(piece, r"\s+and\s+")
            if len(left_right) == 2 and not re.match(r"the\b", left_right[1], re.IGNORECASE) \
                    and re.search(rf"\b{_ORG}\W*$", _without_parentheses(left_right[1])) \
                    and not re.search(rf"\b{_ORG}\b", left_right[0]):
                left_right = [piece]  # 'National Health and Medical Research Council'
            for name in left_right:
                name = re.sub(r"^(?:an? |the )?(?:unrestricted |educational |research )*"
                              r"(?:grants?|awards?|funding|support|contracts?) (?:from|by) ",
                              "", name.strip(" .,:"), flags=re.IGNORECASE)
                name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE).strip(" .,:")
                if name and not re.fullmatch(r"others?|et al|the|its? \w+", name,
                                             re.IGNORECASE) and name not in out:
                    out.append(name)
    return out


def _funding(s: _Sentence) -> list[str]:
    if s.role == "funding":
        return split_funders(re.sub(r"^(?:funding|financial support):?\s*", "", s.folded,
                                    flags=re.IGNORECASE))
    return statement_funders(s.folded)


#: How a funding statement names its funders: 'funded by X', 'supported by grants from X',
#: 'received financial support from X', 'Funding: X'.
_SUPPORTED = re.compile(
    r"\b(?:funded|supported|sponsored|financed|paid for)\s+(?:in part\s+|partly\s+|jointly\s+|"
    r"fully\s+|entirely\s+|primarily\s+|mainly\s+|partially\s+)?by\s+|"
    r"\b(?:received|receives|obtained|was given|were given)\s+(?:\w+\s+){0,3}?(?:funding|support|"
    r"grants?|an award|funds)\s+from\s+|"
    r"\b(?:funding|financial support|grant support|support)\s+(?:for this (?:study|work|trial|"
    r"research)\s+)?(?:was|were|is)\s+(?:provided|received|obtained|given)\s+(?:by|from)\s+|"
    r"^(?:funding|financial support|sources? of (?:funding|support))\s*[:.]\s*", re.IGNORECASE)
#: Where the funders' names end: '… (NIHR) under its Programme Grants …'.
_NAMES_END = re.compile(r"\s+(?:under|through|via|as part of|in the form of|to support|which|"
                        r"who|whose)\b|;|\.\s|\.$", re.IGNORECASE)
_GRANT_LEAD = re.compile(
    r"^(?:an?|the|their|its)?\s*(?:[\w-]+\s+){0,4}?(?:grants?|awards?|fellowships?|funding|funds|"
    r"support|contracts?|scholarships?|studentships?|donations?)(?:\s+(?:to|for)\s+[^,]+?)?"
    r"\s+(?:from|by|of)\s+", re.IGNORECASE)
_GRANT_NUMBER = re.compile(
    r"\s*\([^()]*\d[^()]*\)|\s*\b(?:grants?|awards?|contracts?|projects?)\s+(?:nos?\.?|numbers?|"
    r"#|ids?)?\s*[:#]?\s*[A-Z]*[\w./-]*\d[\w./-]*", re.IGNORECASE)
#: A place after a funder's name ('the Hospital for Tropical Diseases, London') is part of it.
_PLACE = re.compile(
    r"(?:London|Oxford|Cambridge|Edinburgh|Glasgow|Dublin|Paris|Lyon|Geneva|Basel|Zurich|Bern|"
    r"Berlin|Munich|Vienna|Rome|Milan|Madrid|Barcelona|Lisbon|Amsterdam|Brussels|Copenhagen|"
    r"Stockholm|Oslo|Helsinki|Bergen|Turku|Boston|New York|Bethesda|Atlanta|Chicago|Toronto|"
    r"Montreal|Sydney|Melbourne|Tokyo|Osaka|Kyoto|Beijing|Shanghai|Seoul|Singapore|Delhi|"
    r"Mumbai|Kathmandu|Nairobi|Cape Town|UK|U\.K\.|USA|U\.S\.A?\.|US|United Kingdom|"
    r"United States|Canada|Australia|Japan|China|India|Germany|France|Italy|Spain|Norway|"
    r"Sweden|Denmark|Finland|Switzerland|Austria|Belgium|the Netherlands|Netherlands|Nepal|"
    r"Brazil|Korea|Kenya|South Africa|Ireland|Scotland|England|Wales)", re.IGNORECASE)


def statement_funders(sentence: str) -> list[str]:
    """The funders one sentence of a funding statement names, as written."""
    m = _SUPPORTED.search(sentence)
    if not m or re.search(r"\bno (?:specific |external |financial )?(?:funding|support|grant)",
                          sentence, re.IGNORECASE):
        return []
    tail = sentence[m.end():]
    end = _NAMES_END.search(tail)
    tail = tail[:end.start()] if end else tail
    tail = _GRANT_NUMBER.sub("", tail)
    tail = _GRANT_LEAD.sub("", tail.strip())
    pieces = re.split(r",?\s+and\s+(?:also\s+)?(?:by|from)\s+|,?\s+(?:also\s+)?from\s+",
                      tail)
    names: list[str] = []
    for piece in pieces:
        piece = _GRANT_LEAD.sub("", piece.strip(" ,."))
        for name in split_funders(piece):
            name = name.strip(" ,.")
            if not name:
                continue
            if names and re.fullmatch(_PLACE, name):
                names[-1] = f"{names[-1]}, {name}"
            else:
                names.append(name)
    return [n for n in names if re.search(r"[A-Z]", n)]


# --- claims ---------------------------------------------------------------------------------

def _unclaimed(sentence: str, m: re.Match) -> bool:
    """Whether a claim word is negated, hedged or attributed to someone else."""
    before = sentence[max(0, m.start() - 40):m.start()]
    after = sentence[m.end():m.end() + 14]
    return bool(_NEGATED.search(before)
                or _ATTRIBUTED.search(sentence[max(0, m.start() - 100):m.start()])
                or (re.match(r"[぀-ヿ一-鿿]", m.group(0)) and _JA_NEGATED.search(after)))


def claim_words(sentence: str) -> list[str]:
    """Claim words of a sentence, leaving out those under a negation, a hedge or another's
    attribution ('not proven', 'may improve', 'the company claims it cures')."""
    hits: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in ACCESS_AS_VALIDATION.finditer(sentence):
        if not _unclaimed(sentence, m):
            hits.append(m.group(0))
            spans.append(m.span())
    for p in _compiled(tuple(CLAIM_WORDS)):
        for m in p.finditer(sentence):
            if _unclaimed(sentence, m):
                continue
            if any(a <= m.start() < b for a, b in spans) or any(
                    m.group(0).lower() in h.lower() or h.lower() in m.group(0).lower()
                    for h in hits):
                break  # part of a phrase already counted ('durable' in 'durable for years')
            hits.append(m.group(0))
            break
    return hits


def access_as_validation(words: Sequence[str]) -> list[str]:
    """The claim words that take access (coverage, reimbursement, approval) for proof."""
    return [w for w in words if ACCESS_AS_VALIDATION.fullmatch(w)]


def claim_readings(texts: Iterable[tuple[str, str]]) -> list[Reading]:
    """claim_language readings of (text, locator) pairs, one per sentence with claim words:
    for the sources whose prose is not otherwise read (regulator notices)."""
    out = []
    for text, where in texts:
        for i, sentence in enumerate(sentences(text), start=1):
            hits = claim_words(fold(sentence))
            if hits:
                out.append(Reading(field="claim_language", value=hits, quote=sentence,
                                   locator=f"{where}, sentence {i}"))
    return out


def fact_readings_in(texts: Iterable[tuple[str, str]]) -> list[Reading]:
    """The fact fields (dose, immunosuppression, approval conditions …) of (text, locator)
    pairs, sentence by sentence: for sources whose prose is not otherwise read (notices)."""
    return fact_readings((sentence, f"{where}, sentence {i}") for text, where in texts
                         for i, sentence in enumerate(sentences(text), start=1))


# --- a whole text ---------------------------------------------------------------------------

_EVERYWHERE = {"identifiers", "claim_language", "funding"}
#: Fields a section of each role may state (None: an unlabelled text states anything).
_ALLOWED: dict[str, set[str]] = {
    "background": _EVERYWHERE | {"design", "phase"},
    "objective": _EVERYWHERE | {"design", "phase", "outcomes"},
    "conclusions": _EVERYWHERE | {"follow_up", "adverse_events", "serious_adverse_events"},
    "registration": _EVERYWHERE,
    "funding": _EVERYWHERE,
}


def _allowed(role: str | None, field: str) -> bool:
    return role not in _ALLOWED or field in _ALLOWED[role]


def read_prose(text: str, locator: str, *, claim_language: bool = False) -> list[Reading]:
    """Every reading in a block of prose (one unlabelled part)."""
    return read_parts([Part(text, locator)], claim_language=claim_language)


def read_parts(parts: Sequence[Part], *, title: Part | None = None,
               claim_language: bool | str = False) -> list[Reading]:
    """Every reading in the parts of one text, one per field (the best-supported sentence
    wins; ties go to the earlier one). Design tags and cited ids are gathered over the whole
    text; a title adds design tags and phase ('…: a randomised controlled trial').
    `claim_language`: True reads claim words in every sentence; "conclusions" (a paper) only
    in the title, the conclusions and the last sentence of an unlabelled abstract, where a
    paper states what it claims."""
    sents: list[_Sentence] = []
    concluding: set[int] = set()
    for part in parts:
        role = section_role(part.label, part.category)
        split = sentences(part.text)
        if split and role is None and not part.label:
            concluding.add(len(sents) + len(split) - 1)
        for i, sentence in enumerate(split, start=1):
            folded = fold(sentence)
            sents.append(_Sentence(sentence, folded, numeric(sentence), role,
                                   f"{part.locator}, sentence {i}",
                                   bool(re.search(r"[぀-ヿ一-鿿]", folded)),
                                   part.label or "", i == 1))
    cands: list[_Candidate] = []
    tags: set[str] = set()
    tag_quotes: list[str] = []
    tag_locators: list[str] = []
    ids: list[str] = []
    id_quotes: list[str] = []
    id_locators: list[str] = []
    funders: list[str] = []
    funder_quotes: list[str] = []
    funder_locators: list[str] = []
    claims: list[Reading] = []
    points: list[float] = []
    outcome_sections: list[_Sentence] = []

    if title is not None and title.text:
        t = _Sentence(title.text, fold(title.text), numeric(title.text), "title",
                      title.locator, False)
        if claim_language:
            hits = claim_words(t.text)
            if hits:
                claims.append(Reading(field="claim_language", value=hits, quote=t.text,
                                      locator=t.locator, qualifier="title"))
        title_tags = _design(t.text)
        if title_tags:
            tags |= title_tags
            tag_quotes.append(t.text)
            tag_locators.append(title.locator)
        phase = _phase(t)
        if phase:
            cands.append(_Candidate("phase", phase, 2, -1, t))
        fu = _follow_up(t)
        if fu and fu[2] <= 3 and re.search(r"results", t.num, re.IGNORECASE):
            cands.append(_Candidate("follow_up", fu[0], 2, -1, t, "months", fu[1]))

    for order, s in enumerate(sents):
        role = s.role

        def add(field: str, value: object, rank: int = 1, unit: str | None = None,
                qualifier: str | None = None, s: _Sentence = s, order: int = order) -> None:
            if value is not None:
                cands.append(_Candidate(field, value, rank, order, s, unit, qualifier))

        def wanted(field: str, role: str | None = role, s: _Sentence = s) -> bool:
            gate = GATES.get(field)
            return _allowed(role, field) and (gate is None or bool(gate.search(s.num)))

        if role == "outcomes" and not re.search(r"\b(?:primary|secondary)\b", s.folded,
                                                re.IGNORECASE):
            outcome_sections.append(s)
        elif wanted("outcomes"):
            for fld, items in _outcomes(s).items():
                add(fld, items)
        if wanted("enrollment"):
            for value, rank, qual in _enrollment(s):
                if rank == 3 and role == "results" and not s.first:
                    continue  # 'Two patients received rescue therapy' is not the cohort
                add("enrollment", value, rank, "participants", qual)
        if wanted("sample_size_analysed"):
            add("sample_size_analysed", _analysed(s), 1, "participants", "efficacy")
        if _allowed(role, "follow_up"):
            points += _time_points(s.num)
            if wanted("follow_up"):
                fu = _follow_up(s)
                if fu and (role != "conclusions" or fu[2] == 1):
                    add("follow_up", fu[0], fu[2], "months", fu[1])
        if wanted("serious_adverse_events"):
            if _first([SAE_NONE], s.num):
                add("serious_adverse_events", 0, 1, "events")
            elif not _PER_GROUP.search(s.num):
                m = _first(SAE_PATTERNS, s.num)
                if m:
                    add("serious_adverse_events", _count(m.group(1)), 1, "events")
        if wanted("adverse_events"):
            m = _first(AE_PATTERNS, s.num)
            if m and not re.search(r"serious", m.group(0), re.IGNORECASE) \
                    and not _PER_GROUP.search(s.num):
                add("adverse_events", _count(m.group(1)), 1, "events")
            elif not m:
                none = _first([AE_NONE], s.num)
                if none and not re.search(r"\b(?:serious|severe|major|grade|other|related)\b",
                                          s.num[max(0, none.start() - 30):none.end() + 20],
                                          re.IGNORECASE):
                    add("adverse_events", 0, 1, "events")
        if _allowed(role, "phase") and (role not in ("background", "objective")
                                        or _SELF.search(s.folded)):
            phase = _phase(s)
            if phase:
                add("phase", phase)
        if _allowed(role, "design") and (role not in ("background", "objective")
                                         or _SELF.search(s.folded)):
            sentence_tags = _design(s.text)
            if sentence_tags:
                tags |= sentence_tags
                tag_quotes.append(s.text)
                if s.locator.rsplit(", sentence", 1)[0] not in tag_locators:
                    tag_locators.append(s.locator.rsplit(", sentence", 1)[0])
        for ident in (find_ids(s.text) if re.search(r"\d{4}", s.folded) else []):
            if ident not in ids:
                ids.append(ident)
                id_quotes.append(s.text)
                where = s.locator.rsplit(", sentence", 1)[0]
                if where not in id_locators:
                    id_locators.append(where)
        if wanted("funding") or role == "funding":
            names = [n for n in _funding(s) if n not in funders]
            if names:
                funders += names
                funder_quotes.append(s.text)
                funder_locators.append(s.locator)
        if claim_language is True or (claim_language and (role == "conclusions"
                                                          or order in concluding)):
            hits = claim_words(s.text)
            if hits:
                claims.append(Reading(field="claim_language", value=hits, quote=s.text,
                                      locator=s.locator))

    if outcome_sections and not any(c.field == "primary_outcomes" for c in cands):
        first = outcome_sections[0]
        joined = " ".join(x.folded for x in outcome_sections)
        joined = re.split(r"\s+(?:were|was|are|is) (?:assessed|measured|evaluated|recorded|"
                          r"determined|obtained|used|collected|compared|analy[sz]ed)\b",
                          joined)[0]
        items = split_outcomes(joined.rstrip("."), True)
        if items:
            items[0] = _sentence_case(items[0])
            cands.append(_Candidate("primary_outcomes", items, 2, sents.index(first), first))

    best: dict[str, _Candidate] = {}
    for c in cands:
        if c.field not in best or (c.rank, c.order) < (best[c.field].rank, best[c.field].order):
            best[c.field] = c
    fu_best = best.get("follow_up")
    if fu_best and fu_best.rank >= 3 and any(p > float(str(fu_best.value)) + 0.01
                                              for p in points):
        del best["follow_up"]  # 'At 3 months' follow-up' among later time points is one of them
    enrol, analysed = best.get("enrollment"), best.get("sample_size_analysed")
    if enrol and analysed and (analysed.value == enrol.value or
                               int(str(analysed.value)) > int(str(enrol.value))):
        del best["sample_size_analysed"]

    readings = []
    for fld in ("enrollment", "sample_size_analysed", "primary_outcomes", "secondary_outcomes",
                "follow_up", "phase", "adverse_events", "serious_adverse_events"):
        chosen = best.get(fld)
        if chosen is not None:
            readings.append(Reading(field=fld, value=chosen.value, unit=chosen.unit,
                                    qualifier=chosen.qualifier, quote=chosen.sentence.text,
                                    locator=chosen.sentence.locator))
    if tags:
        if "randomised" in tags and "single-arm" not in tags:
            tags.add("controlled")  # random allocation needs a second arm to allocate to
        if "single-arm" in tags and "controlled" in tags:
            tags.discard("single-arm")  # a control group described outweighs 'single arm'
        readings.append(Reading(field="design", value=sorted(tags), quote=" … ".join(tag_quotes),
                                locator="; ".join(tag_locators)))
    if funders:
        readings.append(Reading(field="funding", value=funders, quote=" … ".join(funder_quotes),
                                locator="; ".join(dict.fromkeys(funder_locators))))
    readings += fact_readings((s.text, s.locator) for s in sents)
    if ids:
        readings.append(Reading(field="identifiers", value=ids, qualifier="cited",
                                quote=" … ".join(dict.fromkeys(id_quotes)),
                                locator="; ".join(id_locators)))
    return readings + claims


# --- is it a trial? -------------------------------------------------------------------------

#: What a record states about the trial it reports; a record that reports none states none.
TRIAL_FIELDS = frozenset({"enrollment", "sample_size_analysed", "primary_outcomes",
                          "secondary_outcomes", "follow_up", "phase", "design", "funding",
                          "adverse_events", "serious_adverse_events"})

#: Publication types that report no trial of their own.
_REVIEW_TYPES = re.compile(r"\b(?:review|meta-analysis|editorial|comment|guideline|"
                           r"practice guideline|news|biography|interview|consensus|"
                           r"case reports?|congress|letter)\b",
                           re.IGNORECASE)
_TRIAL_TYPES = re.compile(r"\btrial\b", re.IGNORECASE)
#: Words by which a record says it is not a trial report: a review, a retrospective or
#: observational study, a survey, a secondary analysis of existing data. A title says so
#: plainly; in the body the words must describe the study itself.
_NOT_A_TRIAL_TITLE = re.compile(
    r"\bsystematic (?:literature )?review\b|\bmeta-?analys[ie]s\b|\breview\b|"
    r"\bretrospective\b|\bcohort\b|\bcase[- ]control\b|\bcross-sectional\b|"
    r"\bcase (?:series|reports?)\b|\bsurvey\b|\bregistry\b|\bobservational\b|"
    r"\banalysis of (?:the )?[\w\s-]{0,60}\bdata\b|\bprevalence\b|"
    r"\bprognostic (?:significance|value|factors?|impact|role|implications?)\b", re.IGNORECASE)
_NOT_A_TRIAL = re.compile(
    r"\bsystematic (?:literature )?review\b|\bmeta-?analys[ie]s\b|\bnarrative review\b|"
    r"\bscoping review\b|\bthis review\b|\breview of (?:the )?literature\b|"
    r"\bretrospective(?!ly registered)\b|\bcohort study\b|\bcase[- ]control\b|"
    r"\bcross-sectional (?:study|survey|analysis|design|data)\b|\bcase series\b|"
    r"\b(?:consecutive|our|this) series\b|\bsurvey (?:study|data)\b|"
    r"\b(?:electronic|online|web-based|national|postal|telephone) survey\b|"
    r"\bsurvey was (?:distributed|conducted|sent|administered)\b|\bobservational study\b|"
    r"\b(?:this|a|our) (?:secondary|post[- ]hoc|pooled) analysis (?:of|was|we)\b|"
    r"\bwe used (?:the )?[^.]{0,80}\bdata\b|\bchart review\b|"
    r"\b(?:charts|records|case notes|files)\b[^.]{0,120}\b(?:were|was) (?:retrospectively )?"
    r"(?:reviewed|analy[sz]ed)\b|\breviewed (?:the )?(?:medical )?(?:charts|records)\b|"
    r"\b(?:participated in|responded to|completed) (?:the|a|an|our) (?:\w+ )?survey\b|"
    r"\b(?:training|validation|discovery|testing) (?:set|cohort|dataset)s?\b|"
    r"\bdifferentially expressed genes?\b|\bbioinformatic\w*|\bnomogram\b|"
    r"\bgene (?:pair |expression )?signatures?\b|"
    r"\b(?:analysis|analyses) of (?:the )?data (?:from|of) (?:the |a )?[^.]{0,60}"
    r"\b(?:survey|registry|database|cohort)\b", re.IGNORECASE)
#: A laboratory study (no trial publication type, no trial of patients named).
_LABORATORY = re.compile(r"\b(?:rats|mice|murine|rodents?|beagles|rabbits|guinea pigs|"
                         r"zebrafish|in vitro|ex vivo|cell lines?|cocultur\w*|xenografts?)\b",
                         re.IGNORECASE)
#: Words of an observational study, decisive only where nothing says trial.
_OBSERVATIONAL = re.compile(r"\bpolymorphisms?\b|\bgenotyp\w+|\bprevalence\b|"
                            r"\bassociation stud\w+|\ba cohort of\b|\bour (?:institutional |"
                            r"clinical )?experience\b|\bmatched (?:for|by|on)\b|"
                            r"\b(?:age|sex)-matched\b|\bhistorical controls?\b|"
                            r"\bprognostic (?:factors?|analysis|significance)\b", re.IGNORECASE)
#: Words any trial report uses somewhere: where none is there and no publication type says
#: trial, the record is a series, a survey or an experiment.
_TRIAL_EVIDENCE = re.compile(
    r"\btrial\b|randomi[sz]|randomly (?:assign|allocat|divid|distribut)|at random|placebo|"
    r"\bphase[\s-]*(?:[1-4]|i{1,3}v?|iv)\b|open[- ]label|double[- ]blind|single[- ]blind|"
    r"\bblinded\b|\bmasked\b|pilot study|\bsham\b|crossover (?:trial|study|design)|"
    r"\b(?:patients|participants|subjects|women|men|children|volunteers|individuals)\b"
    r"[^.]{0,80}\b(?:assigned|allocated) to\b|"
    r"\bintervention group\b|\bdose[- ]escalation\b", re.IGNORECASE)
_TRIAL_WORDS = re.compile(r"\b(?:clinical trial|randomi[sz]ed (?:\w+ )?trial|phase [1-4i]+\w* "
                          r"(?:\w+ )?trial|patients were randomi[sz]ed)\b", re.IGNORECASE)


def reports_a_trial(title: str, parts: Sequence[Part], types: Sequence[str] = ()) -> bool:
    """False when the record plainly reports no trial of its own: a review or meta-analysis
    (by publication type or its own words), a retrospective, observational or survey study,
    a secondary analysis of existing data, or a laboratory study. Trial facts (enrollment,
    outcomes, follow-up, design, funding of the trial) are then not read from it.

    A publication type 'Clinical Trial' does not outweigh the record's own words
    ('Follow-up of a retrospective cohort'): indexers tag some non-trials so."""
    trial_type = any(_TRIAL_TYPES.search(t) for t in types)
    strong_type = any(re.search(r"randomi[sz]ed controlled trial|controlled clinical trial|"
                                r"clinical trial, phase", t, re.IGNORECASE) for t in types)
    if any(_REVIEW_TYPES.search(t) for t in types) and not strong_type:
        return False
    title = fold(title or "")
    if (_NOT_A_TRIAL_TITLE.search(title)
            and not re.search(r"\btrial\b(?! literature)", title, re.IGNORECASE)) \
            or re.search(r"\breview of the (?:[\w-]+ ){0,3}literature\b", title, re.IGNORECASE):
        return False  # '… – review of 184 cases' even when indexed as a trial
    if strong_type:
        return True  # indexers give these to trial reports; 'Clinical Trial' alone is looser
    texts = [fold(p.text) for p in parts if p.text.strip()]
    if not texts:  # no abstract: only the title and the types can say it is a trial
        return trial_type or bool(re.search(r"\btrial\b|randomi[sz]ed", title, re.IGNORECASE))
    body = " ".join(
        fold(p.text) if section_role(p.label, p.category) not in
        ("background", "conclusions", "registration")
        else " ".join(x for x in sentences(fold(p.text)) if _SELF.search(x))
        for p in parts)
    if _NOT_A_TRIAL.search(body):
        return False
    # what says 'trial' must say it of this study, not of others ('are being evaluated in a
    # phase I clinical trial', 'randomised trials are needed')
    own = f"{title} " + " ".join(x for x in sentences(body) if not _OTHER_WORK.search(x)
                                 and not _FUTURE.search(x) and not _OTHER_STUDIES.search(x))
    own = _REGISTRY_NAME.sub(" ", own)  # 'registered in the Chinese Clinical Trial Registry'
    trial_words = trial_type or bool(_TRIAL_WORDS.search(own))
    if not trial_words and (_LABORATORY.search(title) or _LABORATORY.search(body)):
        return False
    if not trial_type and not _TRIAL_EVIDENCE.search(own):
        return False  # nothing says trial: a case series, a survey, a laboratory study
    if not trial_words and not re.search(r"randomi[sz]|placebo|\btrial\b|\bphase\b", own,
                                         re.IGNORECASE) \
            and (_OBSERVATIONAL.search(title) or _OBSERVATIONAL.search(body)):
        return False
    return True
