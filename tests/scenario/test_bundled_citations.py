"""Every bundled citation's indices agree with its text (char_location: 0-based, end exclusive)."""

from __future__ import annotations

import re

import pytest

from streamrig.scenario import Citation, TextPart, bundled_path, collect_scenarios

CITING = [
    s
    for s in collect_scenarios(bundled_path())
    if s.reply is not None and any(isinstance(p, TextPart) and p.citations for p in s.reply.parts)
]
# A scenario may name its cited document in a comment: `# Cited document (document_index N): "..."`.
DOCUMENT = re.compile(r'^# Cited document \(document_index (\d+)\): "(.*)"$', re.MULTILINE)


def citations(scenario) -> list[Citation]:
    return [c for p in scenario.reply.parts if isinstance(p, TextPart) for c in p.citations]


def test_the_library_has_citations():
    assert CITING


@pytest.mark.parametrize("scenario", CITING, ids=lambda s: s.name)
def test_each_span_is_as_long_as_its_cited_text(scenario):
    for citation in citations(scenario):
        span = citation.end_char_index - citation.start_char_index
        assert span == len(citation.cited_text), citation


@pytest.mark.parametrize("scenario", CITING, ids=lambda s: s.name)
def test_citations_of_one_document_agree_with_it(scenario):
    given = {int(i): text for i, text in DOCUMENT.findall(scenario.source.read_text("utf-8"))}
    rebuilt: dict[int, dict[int, str]] = {}
    for citation in citations(scenario):
        chars = rebuilt.setdefault(citation.document_index, {})
        for offset, char in enumerate(citation.cited_text):
            at = citation.start_char_index + offset
            assert chars.setdefault(at, char) == char, f"{citation} disagrees at {at}"
        document = given.get(citation.document_index)
        if document is not None:
            start, end = citation.start_char_index, citation.end_char_index
            assert document[start:end] == citation.cited_text, citation
