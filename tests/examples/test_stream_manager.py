"""The stream manager, checked on Anthropic and OpenAI with the streamrig fixtures."""

from __future__ import annotations

import threading
import time

import pytest

from tests.examples.stream_manager import Recorder, StreamManager

PROVIDERS = ["anthropic", "openai"]


@pytest.fixture(params=PROVIDERS)
def manager(request, anthropic_client, openai_client):
    client = anthropic_client if request.param == "anthropic" else openai_client
    return StreamManager(client, request.param)


@pytest.mark.streamrig("unicode")
def test_accumulates_and_reports_usage(streamrig, manager):
    first, second = Recorder(), Recorder()
    manager.add_handler(first)
    manager.add_handler(second)
    text = manager.run("hello")
    streamrig.check.accumulated(text=text)
    streamrig.check.accumulated(text="".join(first.tokens))
    assert first.started and second.completed == first.completed
    completed_text, usage = first.completed
    assert completed_text == text
    streamrig.check.usage(**usage)


@pytest.mark.streamrig("long_text", chunking=3)
def test_buffering_delivers_whole_buffers(streamrig, anthropic_client):
    manager = StreamManager(anthropic_client, "anthropic", buffer_size=30)
    recorder = Recorder()
    manager.add_handler(recorder)
    text = manager.run("hello")
    assert all(len(token) >= 30 for token in recorder.tokens[:-1])
    streamrig.check.accumulated(text="".join(recorder.tokens))
    assert text == "".join(recorder.tokens)


@pytest.mark.streamrig("long_text", timing={"gap_ms": 10})
def test_cancel_closes_the_stream(streamrig, manager):
    class CancelAfterThree(Recorder):
        def on_token(self, text):
            super().on_token(text)
            if len(self.tokens) == 3:
                self.cancelled_at = time.time()
                manager.cancel()

    recorder = CancelAfterThree()
    manager.add_handler(recorder)
    manager.run("hello")
    assert recorder.completed is None and len(recorder.tokens) == 3
    streamrig.check.cancelled(at=recorder.cancelled_at, within_ms=100)


@pytest.mark.streamrig("short_text", timing={"gap_ms": 20})
def test_pause_holds_tokens_until_resume(streamrig, anthropic_client):
    manager = StreamManager(anthropic_client, "anthropic")
    recorder = Recorder()
    manager.add_handler(recorder)
    manager.pause()
    worker = threading.Thread(target=manager.run, args=("hello",))
    worker.start()
    time.sleep(0.3)
    assert recorder.started and recorder.tokens == []
    manager.resume()
    worker.join(5)
    streamrig.check.accumulated(text="".join(recorder.tokens))


@pytest.mark.streamrig("overloaded_mid_stream")
def test_mid_stream_error_reaches_on_error(streamrig, manager):
    recorder = Recorder()
    manager.add_handler(recorder)
    manager.run("hello")
    assert recorder.completed is None and len(recorder.errors) == 1
    streamrig.check.recovered(error=recorder.errors[0])


@pytest.mark.streamrig("long_text", timing={"gap_ms": 2})
def test_overhead_per_token_is_small(streamrig, manager):
    manager.add_handler(Recorder())
    probe = None

    def wrap(events):
        nonlocal probe
        probe = streamrig.probe(events)
        return probe

    manager.run("hello", wrap=wrap)
    measured = streamrig.check.timing(probe, overhead_ms=25)
    assert measured.chunks > 100
