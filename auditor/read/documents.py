"""Decode a snapshot's bytes once into what its parser needs: text, JSON, XML or HTML.

Decoding is where bad input is caught: a wrong charset, malformed JSON/XML, an XML entity
bomb or external entity. Each error names the source and says what to do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from xml.etree.ElementTree import Element

import charset_normalizer
from bs4 import BeautifulSoup
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XMLParseError
from defusedxml.ElementTree import fromstring as safe_xml_fromstring

from auditor.errors import ParseError
from auditor.models import Limits

_CHARSET_ALIASES = {"shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932",
                    "x-sjis": "cp932", "windows-31j": "cp932", "euc-jp": "euc_jis_2004"}


def declared_charset(media_type: str | None, body: bytes) -> str | None:
    """The charset the HTTP header or the document itself declares, if any."""
    header = re.search(r"charset=[\"']?([\w.-]+)", media_type or "", re.IGNORECASE)
    if header:
        name = header.group(1)
    else:
        m = re.search(rb"<meta[^>]+charset=[\"']?([\w.-]+)", body[:4096], re.IGNORECASE) or \
            re.search(rb"<\?xml[^>]+encoding=[\"']([\w.-]+)", body[:200], re.IGNORECASE)
        if not m:
            return None
        name = m.group(1).decode("ascii", "replace")
    return _CHARSET_ALIASES.get(name.lower(), name.lower())


def decode(body: bytes, media_type: str | None = None, *, source: str = "?") -> str:
    """Bytes → text: the declared charset if it decodes cleanly, else a detected one."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="strict")
    charset = declared_charset(media_type, body)
    for candidate in filter(None, [charset, "utf-8"]):
        try:
            return body.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    best = charset_normalizer.from_bytes(body).best()
    if best is None:
        raise ParseError(f"{source}: cannot tell the text encoding (declared {charset!r}); "
                         "save the page again or give its charset in the manifest")
    encoding = _CHARSET_ALIASES.get(best.encoding.lower(), best.encoding)
    try:  # never decode "with replacement" and parse what is left: a wrong value is worse
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise ParseError(f"{source}: the bytes do not decode as {charset or 'UTF-8'} nor as the "
                         f"detected {encoding} ({e.__class__.__name__}); the file may be damaged: "
                         "re-fetch it, or give its charset in the manifest") from e


#: Deeper than any real record: a reader that walks it recursively would overflow the stack.
MAX_DEPTH = 200


def dig(data: Any, path: str) -> Any:
    """data['a']['b'] for path 'a.b', or None where any step is missing or not an object
    (JSON records from registries omit whole modules)."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _check_depth(data: Any, source: str, what: str) -> None:
    """Refuse JSON (dicts/lists) or XML (elements) nested deeper than MAX_DEPTH, walking
    iteratively so the check itself cannot overflow."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"{source}: {what} nested more than {MAX_DEPTH} levels deep; no "
                             "real record is: re-fetch the source or fix the snapshot")
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, (list, Element)):
            children = node
        else:
            continue
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list, Element)))


#: Shared by every Document not given its own: a model per document would cost more than it says.
DEFAULT_LIMITS = Limits()


@dataclass
class Document:
    """One snapshot's body with lazily decoded views; each is computed at most once."""

    body: bytes
    media_type: str | None = None
    url: str = ""
    source: str = "?"
    selectors: dict[str, str] = field(default_factory=dict)
    #: What reading it may cost (config.toml's [limits]).
    limits: Limits = field(default_factory=lambda: DEFAULT_LIMITS)

    @cached_property
    def text(self) -> str:
        return decode(self.body, self.media_type, source=self.source)

    @cached_property
    def json(self) -> Any:
        try:
            data = json.loads(self.text)
        except json.JSONDecodeError as e:
            raise ParseError(f"{self.source}: malformed JSON at line {e.lineno} column {e.colno}"
                             f" ({e.msg}); re-fetch the source or fix the snapshot") from e
        except RecursionError as e:
            raise ParseError(f"{self.source}: JSON nested too deeply to read; re-fetch the "
                             "source or fix the snapshot") from e
        _check_depth(data, self.source, "JSON")
        return data

    @cached_property
    def xml(self) -> Element:
        """Parsed without DTDs, entity expansion or network access (defusedxml)."""
        try:
            root = safe_xml_fromstring(self.body, forbid_dtd=False, forbid_entities=True,
                                       forbid_external=True)
        except DefusedXmlException as e:
            raise ParseError(f"{self.source}: XML refused ({e.__class__.__name__}: entity "
                             "declarations and external references are not allowed)") from e
        except XMLParseError as e:
            raise ParseError(f"{self.source}: malformed XML ({e}); re-fetch the source "
                             "or fix the snapshot") from e
        except (LookupError, ValueError) as e:  # encoding="x-unknown" in the declaration
            raise ParseError(f"{self.source}: XML that cannot be read ({e}); re-fetch the "
                             "source or fix its encoding declaration") from e
        except RecursionError as e:
            raise ParseError(f"{self.source}: XML nested too deeply to read; re-fetch the "
                             "source or fix the snapshot") from e
        _check_depth(root, self.source, "XML")
        return root

    @cached_property
    def html(self) -> BeautifulSoup:
        text = self.text
        if not re.search(r"<\s*(html|body|table|div|p|dl|h1|h2)\b", text, re.IGNORECASE):
            raise ParseError(f"{self.source}: not an HTML page (no html/body/table elements); "
                             "re-fetch the source or check its URL")
        return BeautifulSoup(text, "lxml")
