"""Structure-aware fuzzing of every source kind's parser, bounded in time: real records and
bundled snapshots, mutated (JSON nodes replaced by values of the wrong type, deep nesting,
XML encodings nobody knows, bytes flipped, cut or repeated), must give readings (or "unknown")
or a ParseError naming the source — never another exception."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import sources
from auditor.errors import ParseError
from auditor.read.documents import Document

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "auditor" / "demo" / "amchepry"
#: Examples per kind: with 17 kinds the whole file stays well under a minute.
EXAMPLES = 40
BUDGET_S = 60.0
_spent = [0.0]

SEEDS: dict[str, str] = {
    "mhlw_excel": "mhlw-price-listing-20260519.xlsx",
    "mhlw": "mhlw-price-listing-20260519.html",
    "pmda": "pmda-approval-raguneprocel.html",
    "page": "sumitomo-pipeline.html",
    "ictrp": "ictrp-jRCT2090220384.xml",
    "jrct": "jrct-jRCT2090220384-en.html",
    "crossref": "crossref-10.1038_s41586-025-08700-0.json",
    "europepmc": "europepmc-40240591.json",
    "pubmed": "pubmed-40240591.xml",
}


#: Seeds cut from files that hold several records (a parser refuses to guess which one is
#: meant): the bytes before the second occurrence of the marker.
ONE_RECORD: dict[str, tuple[str, bytes]] = {
    "euctr": ("tests/real/euctr/rfhb__ctrdata/test_error_trials_euctr.txt", b"\nSummary\n"),
    "isrctn": ("tests/inputs/isrctn/query-two-trials.xml", b"<fullTrial>"),
    "ctis": ("tests/inputs/ctis/retrieve-transitioned.json", b"\x00"),
}


def seed(kind: str) -> tuple[bytes, str | None]:
    if kind == "mhlw_pdf":
        from test_mhlw_pdf import NOTICE, make_pdf
        return make_pdf([NOTICE]), "application/pdf"
    if kind in SEEDS:
        return (BUNDLED / SEEDS[kind]).read_bytes(), None
    if kind in ONE_RECORD:  # downloads of several records: the first one alone
        path, cut = ONE_RECORD[kind]
        body = (ROOT / path).read_bytes()
        return (body[:body.index(cut, body.index(cut) + 1)] if body.count(cut) > 1 else body)\
            + (b"</allTrials>" if kind == "isrctn" else b""), None
    for path in sorted((ROOT / "tests" / "real" / kind).rglob("*")):
        if path.is_file() and path.name not in ("MANIFEST.json", "labels.jsonl"):
            body = path.read_bytes()
            if kind == "ctgov" and body.lstrip()[:1] == b"[":  # a search export: its first study
                body = json.dumps(json.loads(body)[0]).encode()
            try:  # the first record the parser reads: mutations of it reach deep code
                if sources.parse(kind, Document(body, None, "", "seed")):
                    return body, None
            except ParseError:
                continue
    raise AssertionError(f"no seed record for kind {kind!r}")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8)


def _nodes(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:5]):
            found += _nodes(v, (*path, i))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


def mutate_json(body: bytes, rng: random.Random, new: Any, deep: int) -> bytes:
    data = json.loads(body)
    nodes = _nodes(data)
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(nodes)
        data = _replace(data, path, new)
        nodes = _nodes(data)
    text = json.dumps(data, allow_nan=True)
    if deep:
        text = text[:-1] + ', "deep": ' + "[" * deep + "]" * deep + "}"
    return text.encode()


def mutate_bytes(body: bytes, rng: random.Random, junk: bytes, kind: str) -> bytes:
    choice = rng.randrange(7)
    at = rng.randrange(max(1, len(body)))
    if choice == 0:
        return body[:at]  # truncated
    if choice == 1:
        return body[:at] + junk + body[at:]
    if choice == 2:
        end = min(len(body), at + rng.randint(1, 200))
        return body[:at] + body[end:]
    if choice == 3:
        return body[:at] + bytes([rng.randrange(256)]) + body[at + 1:]
    if choice == 4 and body.lstrip().startswith(b"<?xml"):
        return b'<?xml version="1.0" encoding="x-nobody-knows"?>' + body.split(b"?>", 1)[-1]
    if choice == 5:
        tag = b"x" if kind not in ("mhlw", "pmda", "page", "jrct", "umin") else b"div"
        depth = rng.choice([50, 2000, 20000])
        return body[:at] + b"<" + tag + b">" * 1 + (b"<" + tag + b">") * depth + body[at:]
    return body[:at] + body[at:at + 4000] * 3 + body[at:]


@pytest.mark.parametrize("kind", list(sources.KINDS))
def test_a_mutated_record_gives_readings_or_a_parse_error(kind):
    body, media_type = seed(kind)
    is_json = body.lstrip()[:1] in (b"{", b"[")
    baseline = sources.parse(kind, Document(body, media_type, "http://127.0.0.1/seed", "seed"))
    assert isinstance(baseline, list)
    if _spent[0] > BUDGET_S:
        pytest.skip(f"fuzz budget of {BUDGET_S:g}s spent")
    crashes: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(rng_seed=st.integers(0, 2**32), new=JSON_VALUES, deep=st.sampled_from([0, 0, 3000]),
           junk=st.binary(max_size=64) | st.sampled_from([b"<", b"]]>", b"&#0;", b"\x00",
                                                         b"\xff\xfe", b"<![CDATA[", b'"']))
    def run(rng_seed: int, new: Any, deep: int, junk: bytes) -> None:
        rng = random.Random(rng_seed)
        mutated = (mutate_json(body, rng, new, deep) if is_json and rng.random() < 0.7
                   else mutate_bytes(body, rng, junk, kind))
        doc = Document(mutated, media_type, "http://127.0.0.1/fuzz", f"fuzz-{kind}")
        try:
            readings = sources.parse(kind, doc)
        except ParseError as e:
            assert f"fuzz-{kind}" in str(e), f"ParseError without the source's name: {e}"
        except Exception as e:  # the property: nothing else, ever
            crashes.append(f"{type(e).__name__}: {str(e)[:120]}")
            raise
        else:
            assert all(r.field for r in readings)

    start = time.monotonic()
    try:
        run()
    finally:
        _spent[0] += time.monotonic() - start


# --- one test per crash class the fuzzing found ----------------------------------------------

def _doc(body: bytes, source: str = "bad") -> Document:
    return Document(body, None, "http://127.0.0.1/bad", source)


def test_json_nested_100k_deep_is_a_parse_error():
    with pytest.raises(ParseError, match=r"^bad: JSON nested too deeply to read"):
        sources.parse("crossref", _doc(b"[" * 100_000 + b"]" * 100_000))


def test_json_nested_deeper_than_any_record_is_a_parse_error():
    body = b'{"message": ' + b"[" * 500 + b"]" * 500 + b"}"
    with pytest.raises(ParseError, match=r"nested more than 200 levels deep"):
        sources.parse("crossref", _doc(body))


def test_xml_nested_100k_deep_is_a_parse_error():
    body = b"<PubmedArticleSet>" + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</PubmedArticleSet>"
    with pytest.raises(ParseError, match=r"^bad: XML nested"):
        sources.parse("pubmed", _doc(body))


def test_xml_in_an_unknown_encoding_is_a_parse_error():
    body = b'<?xml version="1.0" encoding="x-nobody-knows"?><PubmedArticleSet/>'
    with pytest.raises(ParseError, match=r"^bad: XML that cannot be read .*unknown encoding"):
        sources.parse("pubmed", _doc(body))


@pytest.mark.parametrize("kind, body", [
    ("crossref", b'{"status": "ok", "message": true}'),
    ("crossref", b'{"status": "ok", "message": {"title": [null], "DOI": 5}}'),
    ("europepmc", b'{"resultList": {"result": [true]}}'),
    ("ctgov", b'{"protocolSection": {"identificationModule": [], "statusModule": 3}}'),
])
def test_json_of_the_wrong_types_is_a_parse_error_naming_source_and_place(kind, body):
    try:
        readings = sources.parse(kind, _doc(body, f"wrong-{kind}"))
    except ParseError as e:
        message = str(e)
        assert message.startswith(f"wrong-{kind}: ")
        if "not the" in message:  # caught by the net: it says where our code choked
            assert f"not the {kind} shape expected" in message
            assert ".py:" in message
    else:
        assert all(r.field for r in readings)


def test_a_reader_that_chokes_names_the_place(monkeypatch):
    from auditor.sources import crossref

    def choke(doc):
        return doc.json["message"]["title"][0].strip()
    monkeypatch.setattr(crossref, "parse", choke)
    with pytest.raises(ParseError) as e:
        sources.parse("crossref", _doc(b'{"message": {"title": [7]}}', "paper"))
    assert str(e.value).startswith("paper: not the crossref shape expected (AttributeError: "
                                   "'int' object has no attribute 'strip' at ")
    assert e.value.__cause__ is not None
