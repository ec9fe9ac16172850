"""The chat loop, checked with the streamrig fixtures."""

from __future__ import annotations

import io
import time

import pytest

from tests.examples.chat_loop import ChatLoop


@pytest.fixture
def chat(anthropic_client):
    return ChatLoop(anthropic_client, io.StringIO())


@pytest.mark.streamrig("long_text", timing={"gap_ms": 3})
def test_prints_tokens_as_they_arrive(streamrig, chat):
    writes = []

    class Timed(io.StringIO):
        def write(self, text):
            writes.append(time.time())
            return super().write(text)

    chat.out = Timed()
    reply = chat.ask("hello")
    streamrig.check.accumulated(text=reply)
    entry = streamrig.journal[-1]
    last_frame_sent = entry.started_at + entry.frames[-1].sent_s
    assert writes[0] < last_frame_sent - 0.1, (
        "the first token was printed only after the whole reply"
    )
    assert chat.history[-1] == {"role": "assistant", "content": reply}


@pytest.mark.streamrig("long_text", timing={"gap_ms": 10})
def test_cancelled_reply_is_dropped_from_history(streamrig, chat):
    chat.history = [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "reply"},
    ]
    chat.cancel_after = 4
    chat.ask("hello")
    cancelled_at = time.time()
    assert chat.history == [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "reply"},
    ]
    assert chat.out.getvalue().endswith("[cancelled]\n")
    streamrig.check.cancelled(at=cancelled_at, within_ms=100)


@pytest.mark.parametrize(
    "scenario", ["connection_reset", "truncated_stream", "overloaded_mid_stream"]
)
def test_mid_stream_drop_keeps_partial_text_and_reports(streamrig, chat, scenario):
    streamrig.play(scenario)
    reply = chat.ask("hello")
    streamrig.check.accumulated(text=reply)  # everything the server sent, nothing lost
    assert reply and reply in chat.out.getvalue()
    assert "[connection lost:" in chat.out.getvalue() and len(chat.errors) == 1
    assert chat.history == []
    streamrig.check.recovered(error=chat.errors[0])
