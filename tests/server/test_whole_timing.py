"""`stream: false` takes as long as the stream it stands for (TTFT + generation), scaled by speed."""

from __future__ import annotations

import time

import httpx2 as httpx
import pytest

from streamrig import MockServer, Outcome
from streamrig.scenario import Provider
from tests import sdk

# 8 words: first at 300 ms, then 7 gaps of 50 ms: the stream ends at 650 ms.
SCENARIO = {
    "name": "t",
    "reply": [{"text": "one two three four five six seven eight"}],
    "timing": {"ttft_ms": 300, "gap_ms": 50},
}


def whole(server, provider: Provider, timeout: float = 10) -> tuple[httpx.Response, float]:
    route, body = sdk.request_body(provider, stream=False)
    started = time.monotonic()
    response = httpx.post(server.url + route, json=body, headers=sdk.headers("t"), timeout=timeout)
    return response, time.monotonic() - started


@pytest.mark.parametrize("provider", list(Provider))
def test_stream_false_takes_ttft_plus_generation(provider):
    with MockServer(SCENARIO) as server:
        response, took = whole(server, provider)
        route, body = sdk.request_body(provider, stream=True)
        httpx.post(server.url + route, json=body, headers=sdk.headers("t"), timeout=10)
        stream_end = server.journal.last().frames[-1].scheduled_s
    assert response.status_code == 200, response.text
    assert stream_end == pytest.approx(0.65)
    assert 0.6 <= took < 2.0, took


@pytest.mark.parametrize(("server_speed", "scenario_speed", "at_most"), [(2, 1, 0.6), (1, 4, 0.4)])
def test_speed_scales_the_wait(server_speed, scenario_speed, at_most):
    with MockServer({**SCENARIO, "speed": scenario_speed}, speed=server_speed) as server:
        response, took = whole(server, Provider.ANTHROPIC)
    expected = 0.65 / (server_speed * scenario_speed)
    assert response.status_code == 200
    assert expected * 0.9 <= took < at_most + 0.3, took


def test_speed_0_answers_at_once():
    with MockServer(SCENARIO, speed=0) as server:
        response, took = whole(server, Provider.OPENAI_CHAT)
    assert response.status_code == 200 and took < 0.25


def test_a_client_leaving_during_the_wait_is_journaled():
    with MockServer(SCENARIO) as server:
        with pytest.raises(httpx.ReadTimeout):
            whole(server, Provider.ANTHROPIC, timeout=0.2)
        deadline = time.monotonic() + 5
        while server.journal.last().outcome is Outcome.PENDING and time.monotonic() < deadline:
            time.sleep(0.02)
        entry = server.journal.last()
    assert entry.outcome is Outcome.CLIENT_CLOSED
    assert entry.closed_at_s is not None and 0.15 <= entry.closed_at_s < 0.6
