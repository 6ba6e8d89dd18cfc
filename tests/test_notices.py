"""One vocabulary for publication notices: each source's words give one type, links that are
not notices about this paper are not read backwards, and a type no word names stays as written
(the integrity rule then says 'of unknown type' instead of calling it a correction)."""

from __future__ import annotations

import pytest

from auditor.models import Claim, Subject
from auditor.rules import Context
from auditor.rules.integrity import publication_notice
from auditor.sources.notices import notice, notice_type


@pytest.mark.parametrize(("word", "kind"), [
    ("ErratumIn", "correction"), ("Erratum in", "correction"), ("is-corrected-by", "correction"),
    ("RetractionIn", "retraction"), ("retraction", "retraction"),
    ("ExpressionOfConcernIn", "expression_of_concern"),
    ("ErratumFor", None), ("RetractionOf", None), ("CommentIn", None),  # not about this paper
    ("clarification", "clarification"),  # unknown: as written
])
def test_each_sources_word_gives_one_type(word, kind):
    assert notice_type(word) == kind


def test_an_unknown_notice_type_is_reported_as_unknown_not_as_a_correction():
    claim = Claim(field="publication_notices", value=[notice("clarification", doi="10.5555/n1")],
                  quote="clarification 10.5555/n1", locator="message.update-to", subject="s",
                  source="crossref", source_kind="crossref", role="publication",
                  url="https://api.crossref.org/works/x", snapshot_sha256="0" * 64)
    [found] = publication_notice(Context(subject=Subject(id="s", name="S"), claims=[claim]))
    assert "notice of unknown type (clarification)" in found.message
    assert found.severity == "medium"
