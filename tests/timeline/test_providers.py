"""A timeline for whatever the journal holds: each wire format, whole answers, HTTP errors."""

from __future__ import annotations

import anthropic
import openai
import pytest

import streamrig
from streamrig import MockServer, probe
from tests import gemini_sdk
from tests.conftest import KEY
from tests.timeline.runs import CLEAN, MESSAGES, TEXT, scenario

LIMITED = scenario("limited", attempts=[{"status": 429}])


@pytest.fixture(scope="module")
def server():
    with MockServer([CLEAN, LIMITED], default="clean", speed=0) as running:
        yield running


def test_responses_events_pair_by_sequence_number(server):
    with openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as client:
        seen = probe(client.responses.create(model="m", input="x", stream=True))
        list(seen)
    tl = streamrig.timeline(server.journal.last(), seen)
    assert tl.provider == "openai-responses"
    assert [tl.rows[r.frame].event for r in tl.receipts] == [item.type for item in seen.items]
    assert "".join(r.preview for r in tl.rows if r.content) == TEXT


def test_gemini_chunks_pair_with_their_frames(server):
    gemini = gemini_sdk.client(server.gemini_base_url)
    seen = probe(gemini.models.generate_content_stream(model="m", contents="x"))
    list(seen)
    tl = streamrig.timeline(server.journal.last(), seen)
    assert tl.provider == "gemini"
    assert [r.frame for r in tl.receipts] == [row.index for row in tl.rows if row.event]
    assert "".join(r.preview for r in tl.rows if r.content) == TEXT


def test_a_whole_answer_has_no_frames_and_its_size(server):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        client.messages.create(model="m", max_tokens=50, messages=MESSAGES)
    entry = server.journal.last()
    tl = streamrig.timeline(entry)
    assert tl.rows == () and entry.frames == []
    assert tl.bytes_sent == entry.bytes_sent > 0 and tl.ttft_s is None
    assert f"(not streamed: one body of {entry.bytes_sent} bytes)" in tl.text()
    assert 'data-frames="0"' in tl.html()


def test_an_http_error_has_no_frames_and_says_so(server):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(
                model="m",
                max_tokens=50,
                messages=MESSAGES,
                stream=True,
                extra_headers={"x-streamrig-scenario": "limited"},
            )
    entry = server.journal.last()
    tl = streamrig.timeline(entry)
    assert (tl.outcome, tl.status) == ("http_error", 429)
    assert tl.rows == () and entry.frames == []
    assert "ends: http_error" in tl.text()
