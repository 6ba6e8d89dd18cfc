"""Open-access full text in JATS XML (Europe PMC ``{PMCID}/fullTextXML``, PMC OA ``.nxml``,
PLOS): the whole paper, read by section.

The front matter gives the paper's own ids, title, publication date, funders and competing
interests. The abstract is read as PubMed's is (each section with its heading). The body adds
what the abstract leaves out, each fact from the section that states it: outcomes from a
methods section titled like "Outcomes" or "Endpoints" (or from the methods as a whole when
none is), the design from the methods, the participant flow from the results, never an
enrollment from a sample-size calculation ("we needed 300 participants").

Abstract readings are PubMed's (no qualifier, the abstract section as locator); body readings
name their section (``body/sec[@sec-type='methods']/sec[5] 'Outcome Measures', sentence 1``).
Primary and secondary outcomes come twice when both parts state them, qualified ``abstract``
and ``full text``, so a rule can compare what the abstract and the methods call primary.

Text is read as written except for citation markers (``[12]``, ``(3, 4)``, superscript
reference numbers), which are dropped: they are numbers that count nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from auditor.errors import ConfigError, ParseError
from auditor.models import Reading
from auditor.read.documents import Document
from auditor.read.prose import (
    TRIAL_FIELDS,
    Part,
    read_parts,
    reports_a_trial,
    statement_funders,
)
from auditor.read.prose import sentences as prose_sentences
from auditor.read.values import find_ids, normalize_id, parse_date, squash
from auditor.sources.pubmed import one_design

KIND = "jats"
ROLE = "publication"

META = "front/article-meta"

#: Abstracts that are not the paper's abstract: lay and editors' summaries, tables of contents.
_OTHER_ABSTRACTS = re.compile(r"toc|summary|teaser|graphical|precis|lay|plain|web|short|"
                              r"highlights|key-?points|synopsis|video|audio", re.IGNORECASE)
#: Elements whose text is not prose: tables, figures, formulas, media, labels.
_SKIP = frozenset({"table-wrap", "table-wrap-group", "fig", "fig-group", "disp-formula",
                   "disp-formula-group", "supplementary-material", "graphic", "inline-graphic",
                   "media", "tex-math", "label", "object-id", "ref-list", "table",
                   "chem-struct-wrap", "preformat", "code"})
#: Cross-references that are citation markers, not text.
_MARKERS = frozenset({"bibr", "fn", "table-fn"})
_CITE = "\ue000"
_CITATIONS = re.compile(rf"\s*[\[(]\s*{_CITE}(?:[\s,;–—-]*{_CITE})*\s*[\])]|"
                        rf"\s*{_CITE}(?:[\s,;–—-]*{_CITE})*")
#: Typographic hyphens (Wiley writes 'non‐smoking', '2010‐023373‐19') read as '-'.
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})
#: Block children of a section whose text is prose.
_PROSE = frozenset({"p", "list", "disp-quote", "def-list", "statement", "boxed-text"})

#: Section headings (or sec-type attributes) → what a body section is.
_KINDS: list[tuple[str, str]] = [
    ("registration", r"\bregist"),
    ("funding", r"^(?:funding|financial (?:support|disclosures?)|sources? of (?:funding|support)|"
                r"grant support|role of the funding source|funding information|"
                r"funding statement)\b"),
    ("conflicts", r"competing interests?|conflicts? of interests?|declarations? of interests?|"
                  r"^disclosures?\b|duality of interest|coi-statement"),
    ("methods", r"method|materials|^patients\b|^subjects\b|^participants|^population|"
                r"^study (?:design|population|participants|subjects|procedures?|protocol)|"
                r"^trial design|^design\b|^setting|^experimental design"),
    ("results", r"^results?\b|^findings\b"),
    ("discussion", r"discussion|conclusion|^limitations|^interpretation|^comment"),
    ("introduction", r"intro|^background"),
    ("back", r"acknowledg|^ack$|contribution|abbreviation|supplementar|availability|"
             r"^ethic|consent|^references|ref-list|associated-data|^author"),
]
#: Methods subsections that state the outcomes, and those that state a planned sample size.
_OUTCOME_HEADING = re.compile(r"outcome|end[- ]?points?\b|\bmeasures\b|efficacy (?:and|&) "
                              r"safety assessments?|^assessments?$", re.IGNORECASE)
_SAMPLE_SIZE_HEADING = re.compile(r"sample[- ]size|\bpower\b", re.IGNORECASE)
#: Identifier statements outside the methods: "Trial registration: NCT…".
_REGISTERED = re.compile(r"regist|clinicaltrials\.gov|controlled-trials|isrctn|eudract|"
                         r"\btrial (?:number|identifier|id)\b", re.IGNORECASE)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find_article(root: Element) -> Element | None:
    if _local(root.tag) == "article":
        return root
    if _local(root.tag) == "pmc-articleset":  # efetch db=pmc: one <article> in a set
        articles = [c for c in root if _local(c.tag) == "article"]
        return articles[0] if len(articles) == 1 else None
    return None


def detect(doc: Document) -> bool:
    head = doc.body[:8192]
    if not re.search(rb"<(?:article|pmc-articleset)[\s>]", head) or b"<PubmedArticleSet" in head:
        return False
    try:
        article = _find_article(doc.xml)
    except ParseError:  # malformed: not this kind (parse says why)
        return False
    return article is not None and article.find(META) is not None


def _article(doc: Document) -> Element:
    root = doc.xml
    article = _find_article(root)
    if article is None:
        raise ParseError(f"{doc.source}: not a JATS article (root <{_local(root.tag)}>); fetch "
                         "the full text as JATS XML (Europe PMC .../{PMCID}/fullTextXML, or a "
                         "PMC OA .nxml file)")
    if article.find(META) is None:
        raise ParseError(f"{doc.source}: <article> has no front/article-meta; this is not "
                         "JATS full text (fetch Europe PMC .../{PMCID}/fullTextXML)")
    return article


# --- text -----------------------------------------------------------------------------------

def _flat(el: Element, out: list[str]) -> None:
    if el.text:
        out.append(el.text)
    for child in el:
        tag = _local(child.tag)
        if tag == "xref" and (child.get("ref-type") or "") in _MARKERS:
            out.append(_CITE)
        elif tag in _SKIP or tag == "sec":
            pass
        elif tag in ("p", "list-item", "list", "title", "disp-quote", "break"):
            out.append(" ")
            _flat(child, out)
            out.append(" ")
        else:
            _flat(child, out)
        if child.tail:
            out.append(child.tail)


def text_of(el: Element | None) -> str:
    """The prose under an element: inline markup read as text, tables, figures and nested
    sections left out, citation markers dropped."""
    if el is None:
        return ""
    out: list[str] = []
    _flat(el, out)
    text = _CITATIONS.sub("", "".join(out)).replace(_CITE, "").translate(_HYPHENS)
    return re.sub(r"\s+([.,;:])", r"\1", squash(text))


def _title(el: Element) -> str:
    title = el.find("title")
    return text_of(title).rstrip(":. ") if title is not None else ""


# --- sections -------------------------------------------------------------------------------

@dataclass
class Section:
    """One section of the body (or back matter) with the prose directly under it."""

    element: Element
    locator: str
    title: str
    kind: str | None   # methods, results, discussion, funding, conflicts, ...
    text: str
    heading_path: tuple[str, ...]


def section_kind(title: str, sec_type: str | None = None) -> str | None:
    for value in (sec_type or "", title):
        low = value.lower().strip()
        if not low:
            continue
        for kind, pattern in _KINDS:
            if re.search(pattern, low):
                return kind
    return None


def _step(parent: Element, child: Element, tag: str = "sec") -> str:
    siblings = [c for c in parent if _local(c.tag) == tag]
    sec_type = child.get("sec-type")
    if sec_type and sum(1 for c in siblings if c.get("sec-type") == sec_type) == 1:
        return f"{tag}[@sec-type='{sec_type}']"
    return f"{tag}[{siblings.index(child) + 1}]" if len(siblings) > 1 else tag


def _prose(sec: Element) -> str:
    """The prose directly in a section (paragraphs and lists, not subsections)."""
    return squash(" ".join(text_of(c) for c in sec if _local(c.tag) in _PROSE))


def sections(parent: Element, where: str, inherited: str | None = None,
             path: tuple[str, ...] = ()) -> Iterator[Section]:
    for child in parent:
        if _local(child.tag) != "sec":
            continue
        title = _title(child)
        own = section_kind(title, child.get("sec-type"))
        # a subsection is of its parent's kind unless it is a statement of its own
        kind = own if own in ("funding", "conflicts", "registration") or inherited is None \
            else inherited
        locator = f"{where}/{_step(parent, child)}"
        shown = f"{locator} '{title}'" if title else locator
        yield Section(child, shown, title, kind, _prose(child), (*path, title))
        yield from sections(child, locator, kind, (*path, title))


# --- the parts ------------------------------------------------------------------------------

def _main_abstract(meta: Element) -> tuple[Element, str] | None:
    abstracts = [a for a in meta if _local(a.tag) == "abstract"]
    for i, a in enumerate(abstracts, start=1):
        if not _OTHER_ABSTRACTS.search(a.get("abstract-type") or ""):
            where = f"{META}/abstract" + (f"[{i}]" if len(abstracts) > 1 else "")
            return a, where
    return None


def abstract_parts(meta: Element) -> list[Part]:
    """The abstract's sections (heading, text), or its paragraphs as one unlabelled part."""
    found = _main_abstract(meta)
    if found is None:
        return []
    abstract, where = found
    secs = [c for c in abstract if _local(c.tag) == "sec"]
    parts: list[Part] = []
    if secs:
        for sec in secs:
            title = _title(sec)
            locator = f"{where}/{_step(abstract, sec)}" + (f" '{title}'" if title else "")
            text = squash(" ".join([_prose(sec)] + [text_of(s) for s in sec
                                                     if _local(s.tag) == "sec"]))
            if text:
                parts.append(Part(text, locator, title or None))
        return parts
    paragraphs = [c for c in abstract if _local(c.tag) == "p"]
    labelled = [_bold_label(p) for p in paragraphs]
    if paragraphs and all(label for label, _ in labelled):
        # '<p><bold>Methods:</bold> …</p>': a structured abstract without <sec>
        return [Part(text, f"{where}/p[{i}] '{label}'", label)
                for i, (label, text) in enumerate(labelled, start=1) if text]
    text = _prose(abstract)
    return [Part(text, where)] if text else []


def _bold_label(p: Element) -> tuple[str | None, str]:
    first = next(iter(p), None)
    if first is None or (p.text or "").strip() or _local(first.tag) not in ("bold", "italic"):
        return None, text_of(p)
    label = text_of(first).strip().rstrip(":.")
    if not label or len(label) > 60 or not text_of(first).rstrip().endswith((":", ".")):
        return None, text_of(p)
    rest = text_of(p)[len(text_of(first)):].strip()
    return label, rest


# --- front matter ---------------------------------------------------------------------------

_ID_TYPES = {"doi": "doi", "pmid": "pmid", "pmcid": "pmcid", "pmc": "pmcid"}


def _self_ids(meta: Element) -> list[Reading]:
    ids: list[str] = []
    quotes: list[str] = []
    for el in meta.findall("article-id"):
        kind = _ID_TYPES.get((el.get("pub-id-type") or "").lower())
        value = squash(el.text or "")
        if not kind or not value:
            continue
        if kind == "pmid":
            ident = f"PMID:{value}" if value.isdigit() else ""
        elif kind == "pmcid":
            digits = re.sub(r"(?i)^pmc", "", value)
            ident = f"PMC{digits}" if digits.isdigit() else ""
        else:
            ident = normalize_id(value)
        if ident and ident not in ids:
            ids.append(ident)
            quotes.append(f"{el.get('pub-id-type')} {value}")
    if not ids:
        return []
    return [Reading(field="identifiers", value=ids, qualifier="self", quote="; ".join(quotes),
                    locator=f"{META}/article-id")]


def _date_of(el: Element) -> tuple[str | None, str]:
    parts = [squash(el.findtext(k) or "") for k in ("year", "month", "day")]
    raw = " ".join(p for p in parts if p)
    year, month, day = parts
    if year.isdigit() and month.isdigit():
        return parse_date("-".join(p for p in (year, month.zfill(2),
                                                day.zfill(2) if day.isdigit() else "") if p)), raw
    return parse_date(raw), raw


def _publication_date(meta: Element) -> list[Reading]:
    """The electronic publication date, else the print one, else the date the paper gives."""
    dates = meta.findall("pub-date")

    def rank(el: Element) -> int:
        kind = (el.get("pub-type") or el.get("date-type") or "").lower()
        form = (el.get("publication-format") or "").lower()
        if kind == "epub" or (form == "electronic" and kind in ("", "pub")):
            return 0
        if kind in ("ppub", "epub-ppub") or (form == "print" and kind in ("", "pub")):
            return 1
        if kind in ("", "pub"):
            return 2
        if kind == "collection":
            return 3
        return 9  # pmc-release, nihms-submitted, …: not the paper's publication

    ranked = sorted((d for d in dates if rank(d) < 9), key=rank)
    for el in ranked:
        value, raw = _date_of(el)
        if value:
            return [Reading(field="publication_date", value=value, quote=raw,
                            locator=f"{META}/{_date_step(el)}")]
    if ranked:
        return [Reading(field="publication_date", value=None, quote=_date_of(ranked[0])[1],
                        locator=f"{META}/{_date_step(ranked[0])}")]
    return []


def _date_step(el: Element) -> str:
    for attr in ("pub-type", "date-type"):
        if el.get(attr):
            return f"pub-date[@{attr}='{el.get(attr)}']"
    return "pub-date"


# --- funding and interests ------------------------------------------------------------------

def _funding(meta: Element, secs: list[Section], notes: list[tuple[Element, str, str]]
             ) -> Reading | None:
    """Funders: the structured award groups, else the funding statement, else a "Funding"
    section or a financial-disclosure note, each sentence read for the names it gives."""
    names: list[str] = []
    quotes: list[str] = []
    for group in meta.iter("funding-group"):
        for source in group.iter("funding-source"):
            inst = source.find(".//institution")
            name = text_of(inst if inst is not None else source)
            name = re.sub(r"^https?://\S+\s*", "", name).strip()
            if name and name not in names:
                names.append(name)
                quotes.append(text_of(source))
    if names:
        return Reading(field="funding", value=names, quote="; ".join(quotes),
                       locator=f"{META}/funding-group/award-group/funding-source")
    statements: list[tuple[str, str]] = []
    for group in meta.iter("funding-group"):
        for st in group.iter("funding-statement"):
            statements.append((text_of(st), f"{META}/funding-group/funding-statement"))
    statements += [(s.text, s.locator) for s in secs if s.kind == "funding" and s.text]
    statements += [(text, where) for el, kind, where in notes
                   if kind == "funding" for text in [text_of(el)] if text]
    for text, where in statements:
        locators: list[str] = []
        for i, sentence in enumerate(_statement_sentences(text), start=1):
            new = [n for n in statement_funders(sentence) if n not in names]
            if new:
                names += new
                quotes.append(sentence)
                locators.append(f"{where}, sentence {i}")
        if names:
            return Reading(field="funding", value=names, quote=" … ".join(quotes),
                           locator="; ".join(locators))
    return None


def _statement_sentences(text: str) -> list[str]:
    """A statement's sentences; an initial ('Teijo I. Saari') does not end one."""
    return [p for p in re.split(r"(?<=[.!?])(?<!\b[A-Z]\.)\s+(?=[A-Z])", squash(text)) if p]


_COI_FN = ("conflict", "coi-statement", "competing-interests")
_FUNDING_FN = ("financial-disclosure", "funding", "funding-information", "financial-support")


def _notes(article: Element) -> list[tuple[Element, str, str]]:
    """(element, kind, locator) of footnotes and notes that state funding or interests or a
    registration."""
    out: list[tuple[Element, str, str]] = []
    for el, where in _walk(article, ""):
        tag = _local(el.tag)
        if tag == "fn":
            kind = (el.get("fn-type") or "").lower()
            if kind in _COI_FN:
                out.append((el, "conflicts", f"{where}[@fn-type='{el.get('fn-type')}']"))
            elif kind in _FUNDING_FN:
                out.append((el, "funding", f"{where}[@fn-type='{el.get('fn-type')}']"))
            elif _REGISTERED.search(text_of(el)):
                out.append((el, "registration", where))
        elif tag == "notes":
            kind = (el.get("notes-type") or "").lower()
            title = _title(el)
            named = section_kind(title, None)
            if kind in _COI_FN or named == "conflicts":
                out.append((el, "conflicts", where + (f" '{title}'" if title else "")))
            elif kind in _FUNDING_FN or named == "funding":
                out.append((el, "funding", where + (f" '{title}'" if title else "")))
            elif named == "registration" or _REGISTERED.search(text_of(el)):
                out.append((el, "registration", where + (f" '{title}'" if title else "")))
    return out


def _walk(el: Element, where: str) -> Iterator[tuple[Element, str]]:
    counts: dict[str, int] = {}
    for child in el:
        tag = _local(child.tag)
        if tag in ("ref-list", "body", "sub-article", "response", "floats-group") or \
                not isinstance(child.tag, str):
            continue
        counts[tag] = counts.get(tag, 0) + 1
        here = f"{where}/{tag}" if where else tag
        same = [c for c in el if _local(c.tag) == tag]
        if len(same) > 1:
            here += f"[{counts[tag]}]"
        yield child, here
        yield from _walk(child, here)


def _conflicts(secs: list[Section], notes: list[tuple[Element, str, str]]) -> Reading | None:
    for el, kind, where in notes:
        if kind == "conflicts":
            statement = text_of(el)
            title = _title(el)
            if title and statement.startswith(title):
                statement = statement[len(title):].lstrip(" :.")
            if statement:
                return Reading(field="conflicts_of_interest", value=statement, quote=statement,
                               locator=where)
    for s in secs:
        if s.kind == "conflicts" and s.text:
            return Reading(field="conflicts_of_interest", value=s.text, quote=s.text,
                           locator=s.locator)
    return None


# --- the whole paper ------------------------------------------------------------------------

def _part(s: Section, label: str) -> Part:
    return Part(s.text, s.locator, label)


def _stated(readings: list[Reading], field: str) -> list[Reading]:
    return [r for r in readings if r.field == field and r.value not in (None, [])]


#: Results subsections that give the participant flow.
_FLOW_HEADING = re.compile(r"particip|patients|subjects|flow|recruit|enrol|baseline|population|"
                           r"characteristics|disposition|consort|allocation", re.IGNORECASE)
#: Methods subsections whose counts are a plan or a calculation, not the people enrolled.
_NOT_FLOW_HEADING = re.compile(r"sample[- ]size|\bpower\b|statistic|analys[ie]s|calculation",
                               re.IGNORECASE)


#: A sentence that introduces a list of outcomes: 'Secondary outcome measures were:'.
_LIST_LEAD = re.compile(r"\b(?P<kind>primary|secondary|main|principal)\s+(?:efficacy\s+)?"
                        r"(?:outcomes?|end[- ]?points?|outcome measures?|outcomes measures?|"
                        r"measures?|variables?)\b[^.]*:\s*$", re.IGNORECASE)


def listed_outcomes(s: Section) -> list[Reading]:
    """Outcomes given as a list after a lead-in sentence ('Secondary outcomes were:'), one
    item per list item (its first sentence)."""
    out: list[Reading] = []
    blocks = [c for c in s.element if _local(c.tag) in _PROSE]
    for i, block in enumerate(blocks):
        lists = [c for c in block if _local(c.tag) == "list"] if _local(block.tag) == "p" \
            else []
        if _local(block.tag) == "p" and not lists:
            lead = text_of(block)
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            lists = [following] if following is not None and \
                _local(following.tag) == "list" else []
        elif lists:
            lead = squash("".join([block.text or ""]))
        else:
            continue
        m = _LIST_LEAD.search(lead)
        if not m or not lists:
            continue
        items = []
        for item in lists[0].iter("list-item"):
            text = text_of(item)
            first = prose_sentences(text)[0] if text else ""
            first = re.sub(r"(?:[;,.]|\s+and|\s+or)+$", "", first).strip()
            if first:
                items.append(first)
        if not items:
            continue
        fld = "secondary_outcomes" if m.group("kind").lower() == "secondary" \
            else "primary_outcomes"
        quote = squash(f"{lead} " + "; ".join(items))
        n = [x for x in s.element.iter() if _local(x.tag) == "list"].index(lists[0]) + 1
        out.append(Reading(field=fld, value=items, quote=quote, locator=f"{s.locator}, list {n}"))
    return out


def body_readings(secs: list[Section], have: set[str]) -> list[Reading]:
    """What the body states: outcomes from the methods (a section titled like "Outcomes", else
    the methods as a whole), design and phase from the methods, the participant flow, adverse
    events and follow-up from the results. A count or duration the abstract already gives is
    not read again; outcomes are (the abstract and the methods may name different ones)."""
    methods = [s for s in secs if s.kind == "methods" and s.text]
    results = [s for s in secs if s.kind == "results" and s.text]
    out: list[Reading] = []

    outcome_secs = [s for s in methods if _OUTCOME_HEADING.search(s.title)] or methods
    outcomes = read_parts([_part(s, "Methods") for s in outcome_secs])
    listed = [r for s in outcome_secs for r in listed_outcomes(s)]
    for fld in ("primary_outcomes", "secondary_outcomes"):
        found = [r for r in listed if r.field == fld][:1] or _stated(outcomes, fld)
        out += [r.model_copy(update={"qualifier": "full text"}) for r in found]

    design_secs = [s for s in methods if not _SAMPLE_SIZE_HEADING.search(s.title)]
    in_methods = read_parts([_part(s, "Methods") for s in design_secs])
    flow_secs = [s for s in methods if not _NOT_FLOW_HEADING.search(" ".join(s.heading_path))]
    in_flow = read_parts([_part(s, "Methods") for s in flow_secs])  # 'We enrolled 12 …'
    in_results = read_parts([_part(s, "Results") for s in results])
    # who entered the trial: the results' first section, or one titled for the flow
    flow_results = [s for s in results if _FLOW_HEADING.search(s.title)] or results[:1]
    in_flow_results = read_parts([_part(s, "Results") for s in flow_results])

    have = set(have)
    for fld, source in (("enrollment", in_flow_results), ("enrollment", in_flow),
                        ("sample_size_analysed", in_results),
                        ("follow_up", in_results), ("follow_up", in_methods),
                        ("adverse_events", in_results), ("serious_adverse_events", in_results),
                        ("phase", in_methods)):
        found = _stated(source, fld)
        if fld not in have and found:
            out.append(found[0])
            have.add(fld)
    out += [r for r in in_methods if r.field == "design"
            or (r.field == "identifiers" and r.qualifier == "cited")]
    return out


def parse(doc: Document) -> list[Reading]:
    article = _article(doc)
    meta = article.find(META)
    assert meta is not None  # _article checked
    readings: list[Reading] = _self_ids(meta)

    title = text_of(meta.find("title-group/article-title"))
    if title:
        readings.append(Reading(field="title", value=title, quote=title,
                                locator=f"{META}/title-group/article-title"))
    readings += _publication_date(meta)

    parts = abstract_parts(meta)
    abstract = [r.model_copy(update={"qualifier": "abstract"})
                if r.field in ("primary_outcomes", "secondary_outcomes") else r
                for r in read_parts(parts, title=Part(title, f"{META}/title-group/article-title"),
                                    claim_language="conclusions")]

    secs: list[Section] = []
    for where in ("body", "back"):
        el = article.find(where)
        if el is not None:
            secs += sections(el, where)
    notes = _notes(article)
    trial = _reports_a_trial(article, meta, title, parts)

    body = body_readings(secs, {r.field for r in abstract if r.value not in (None, [])})
    readings += [r for r in abstract if r.field != "identifiers"]
    readings += [r for r in body if r.field != "identifiers"]
    cited = cited_ids([r for r in abstract if r.field == "identifiers"],
                      [r for r in body if r.field == "identifiers"] if trial else [],
                      secs, notes)
    readings += cited

    funding = _funding(meta, secs, notes)
    if funding is not None:  # the paper's own statement outweighs an abstract's sentence
        readings = [r for r in readings if r.field != "funding"] + [funding]
    coi = _conflicts(secs, notes)
    if coi is not None:
        readings.append(coi)
    if not trial:  # a review, a cohort, a survey: what it says is not a trial's facts
        readings = [r for r in readings if r.field not in TRIAL_FIELDS]
    return one_design(readings)


#: A study of simulated data, however much it speaks of trials, reports none.
_SIMULATION = re.compile(r"\b(?:we (?:conducted|performed|designed|carried out|ran|used) (?:a|an) "
                         r"(?:\w+ ){0,2}simulation|simulation (?:study|experiment)|"
                         r"simulated (?:data|trials|datasets))\b", re.IGNORECASE)


def _reports_a_trial(article: Element, meta: Element, title: str, parts: list[Part]) -> bool:
    """Whether the paper reports a trial of its own: the article type (a review, an editorial)
    and the subject headings that name trials count as publication types."""
    types = [(article.get("article-type") or "").replace("-", " ")]
    types += [t for t in (text_of(s) for s in meta.findall("article-categories//subject"))
              if re.search(r"\btrial", t, re.IGNORECASE)]
    registered = any(not i.startswith("DOI:") for p in parts for i in find_ids(p.text))
    if any(_SIMULATION.search(p.text) for p in parts) and not registered:
        return False
    return reports_a_trial(title, parts, [t for t in types if t])


def cited_ids(abstract: list[Reading], methods: list[Reading], secs: list[Section],
              notes: list[tuple[Element, str, str]]) -> list[Reading]:
    """Registry ids the paper cites for its trial, as one reading: those of the abstract, the
    methods and the registration statements (never the introduction's or the discussion's:
    other trials)."""
    ids: list[str] = []
    quotes: list[str] = []
    locators: list[str] = []

    def add(found: list[str], quote: str, where: str) -> None:
        new = [i for i in found if i not in ids]
        if new:
            ids.extend(new)
            if quote not in quotes:
                quotes.append(quote)
            if where not in locators:
                locators.append(where)

    for r in abstract + methods:
        add([str(v) for v in r.value], r.quote, r.locator)
    extra = [(s.text, s.locator) for s in secs if s.kind == "registration" and s.text]
    extra += [(text_of(el), where) for el, kind, where in notes if kind == "registration"]
    for text, where in extra:
        add([i for i in find_ids(text) if not i.startswith("DOI:")], text, where)
    if not ids:
        return []
    return [Reading(field="identifiers", value=ids, qualifier="cited", quote=" … ".join(quotes),
                    locator="; ".join(locators))]


def url_for(identifier: str, bases: Mapping[str, str], language: str | None = None) -> str:
    """Europe PMC's open-access full text; only PMC ids have one."""
    pmcid = re.sub(r"(?i)^pmcid:?\s*", "", identifier.strip()).upper()
    if not re.fullmatch(r"PMC\d+", pmcid):
        raise ConfigError(f"{identifier!r} is not a PMCID; give the paper's PubMed Central "
                          "id like PMC6113012 (only open-access papers have JATS full "
                          "text), or give `url`")
    return f"{bases['europepmc']}/{pmcid}/fullTextXML"
