"""check.cancelled: with no arguments, with a cancel time, and during a stall."""

from __future__ import annotations

import time

import anthropic
import pytest

from streamrig import CheckFailed, MockServer, UsageError, checks
from streamrig.probe import probe
from tests.conftest import KEY

WORDS = " ".join(f"word{n}" for n in range(60))
SCENARIOS = [
    {"name": "long", "reply": [{"text": WORDS}], "timing": {"ttft_ms": 5, "gap_ms": 20}},
    {"name": "short", "reply": [{"text": "just three words"}], "timing": {"gap_ms": 5}},
    # message_start, content_block_start, ping, two deltas; then silence until the client leaves
    {"name": "stall", "reply": [{"text": WORDS}], "faults": [{"after_events": 5, "drop": "stall"}]},
]
REQUEST = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "x"}]}


@pytest.fixture(scope="module")
def rig():
    with (
        MockServer(SCENARIOS) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0, timeout=10) as client,
    ):
        yield server, client


def _headers(name):
    return {"extra_headers": {"x-streamrig-scenario": name}}


def test_no_arguments_passes_when_the_client_closes_early(rig):
    server, client = rig
    with client.messages.stream(**REQUEST, **_headers("long")) as s:
        for number, _ in enumerate(s.text_stream):
            if number == 2:
                break
    result = checks.cancelled(server)
    assert result.seen_after_ms is None
    assert 0 < result.frames_written < 20 and result.closed_at_s > 0


def test_no_arguments_fails_when_the_stream_ran_to_its_end(rig):
    server, client = rig
    stream = client.messages.create(stream=True, **REQUEST, **_headers("short"))
    next(iter(stream))  # the "cancel": stop reading, but never close
    try:
        with pytest.raises(CheckFailed) as failed:
            checks.cancelled(server)
    finally:
        stream.close()
    assert "the stream ended as 'completed', all " in str(failed.value)
    assert "the server never saw the client close it early" in str(failed.value)


def test_a_probe_with_no_chunk_cannot_time_the_cancel(rig):
    server, client = rig
    with client.messages.stream(**REQUEST, **_headers("long")):
        pass
    with pytest.raises(UsageError, match="the probe saw no chunk"):
        checks.cancelled(server, probe=probe())


def test_cancel_during_a_stall_that_never_closes_says_the_stream_is_open(rig):
    """It said "the stream had already ended (pending)" of a stream still held open."""
    server, client = rig
    stream = client.messages.create(stream=True, **REQUEST, **_headers("stall"))
    events = iter(stream)
    for _ in range(4):  # everything before the stall (the SDK skips the ping)
        next(events)
    cancelled_at = time.time()  # the UI gives up on the stall, but the socket stays open
    try:
        with pytest.raises(CheckFailed) as failed:
            checks.cancelled(server, at=cancelled_at, within_ms=50)
    finally:
        stream.close()
    message = str(failed.value)
    assert "already ended" not in message
    assert (
        "the stream is still open (5 frame(s) written so far, and a stall holds it silent)"
        in message
    )
    assert "the server never saw the client close the connection" in message


def test_cancel_during_a_stall_that_closes_passes_with_the_latency(rig):
    server, client = rig
    stream = client.messages.create(stream=True, **REQUEST, **_headers("stall"))
    events = iter(stream)
    for _ in range(4):
        next(events)
    cancelled_at = time.time()
    stream.close()
    result = checks.cancelled(server, at=cancelled_at, within_ms=500)
    assert result.frames_written == 5
    assert result.seen_after_ms is not None and result.seen_after_ms < 500
    assert server.journal.last().outcome.value == "stalled"


def test_a_stream_that_ended_before_the_cancel_says_so(rig):
    server, client = rig
    with client.messages.stream(**REQUEST, **_headers("short")) as s:
        s.until_done()
    time.sleep(0.05)
    with pytest.raises(
        CheckFailed,
        match=r"the stream had already ended \(completed\), its last frame \d+ ms before the cancel",
    ):
        checks.cancelled(server, at=time.time())
