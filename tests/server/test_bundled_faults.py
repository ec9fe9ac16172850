"""The bundled fault scenarios do what their descriptions say, through the official SDKs."""

from __future__ import annotations

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import Outcome
from tests.conftest import KEY

MSG = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}


def stream_anthropic(server, scenario, **client_options):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, **client_options) as client:
        with client.messages.stream(**MSG, extra_headers={"x-streamrig-scenario": scenario}) as s:
            return s.get_final_message()


@pytest.mark.parametrize(
    ("scenario", "error", "outcome"),
    [
        ("overloaded_mid_stream", anthropic.APIStatusError, Outcome.ERROR_EVENT),
        ("connection_reset", httpx.RemoteProtocolError, Outcome.RESET),
        ("stalled_stream", httpx.ReadTimeout, Outcome.STALLED),
    ],
)
def test_failing_streams_raise_in_the_sdk(fresh, scenario, error, outcome):
    with pytest.raises(error):
        stream_anthropic(fresh, scenario, max_retries=0, timeout=httpx.Timeout(5, read=0.3))
    entry = wait_done(fresh)
    assert entry.outcome is outcome and entry.status == 200


def test_truncated_stream_is_accepted_silently_by_the_sdk(fresh):
    message = stream_anthropic(fresh, "truncated_stream", max_retries=0)
    assert message.stop_reason is None and message.content[0].text == "This answer ends"
    assert fresh.journal.last().outcome is Outcome.TRUNCATED


@pytest.mark.parametrize(
    ("scenario", "statuses"),
    [("overloaded_then_ok", [529, 200]), ("rate_limited_then_ok", [429, 429, 200])],
)
def test_retry_scenarios_succeed_after_the_sdk_retries(fresh, scenario, statuses):
    with openai.OpenAI(base_url=fresh.openai_base_url, api_key=KEY, max_retries=2) as client:
        reply = client.chat.completions.create(
            model="m", messages=MSG["messages"], extra_headers={"x-streamrig-scenario": scenario}
        )
    assert reply.choices[0].message.content
    assert [e.status for e in fresh.journal.entries()] == statuses


def test_split_bytes_arrive_one_byte_per_write(fresh):
    message = stream_anthropic(fresh, "split_bytes")
    assert "𝄞" in message.content[0].text
    assert {f.size for f in fresh.journal.last().frames} == {1}


def wait_done(server):
    import time

    deadline = time.monotonic() + 3
    while server.journal.last().outcome is Outcome.PENDING and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.journal.last()
