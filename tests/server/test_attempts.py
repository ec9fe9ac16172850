"""Per-attempt answers: HTTP errors with retry headers, "fail the first N", and the SDKs' retries."""

from __future__ import annotations

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer, Outcome
from tests.conftest import KEY

MSG = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "x"}]}


def overloaded(times: int, **headers: str) -> dict:
    return {
        "name": "flaky",
        "reply": [{"text": "finally"}],
        "attempts": {"fail": times, "status": 529, "headers": headers or {"retry-after-ms": "1"}},
    }


def attempts(server):
    return [(e.attempt, e.status) for e in server.journal.entries()]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_529_then_200_succeeds_with_two_attempts(is_async):
    with MockServer(overloaded(1)) as server:
        if is_async:
            client = anthropic.AsyncAnthropic(base_url=server.url, api_key=KEY, max_retries=2)
            async with client.messages.stream(**MSG) as s:
                message = await s.get_final_message()
            await client.close()
        else:
            with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=2) as client:
                with client.messages.stream(**MSG) as s:
                    message = s.get_final_message()
        assert message.content[0].text == "finally"
        assert attempts(server) == [(1, 529), (2, 200)]
        assert [e.headers.get("x-stainless-retry-count") for e in server.journal.entries()] == [
            "0",
            "1",
        ]


def test_three_529s_give_the_sdk_error_after_three_attempts():
    with MockServer(overloaded(5)) as server:
        with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=2) as client:
            with pytest.raises(anthropic.APIStatusError) as caught:
                client.messages.create(**MSG)
        assert caught.value.status_code == 529
        assert caught.value.body["error"]["type"] == "overloaded_error"
        assert attempts(server) == [(1, 529), (2, 529), (3, 529)]
    with MockServer(overloaded(5)) as server:
        with openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=2) as client:
            with pytest.raises(openai.InternalServerError) as caught:
                client.chat.completions.create(**CHAT)
        assert caught.value.status_code == 529
        assert len(server.journal) == 3


@pytest.mark.parametrize(
    "header,value,at_least", [("retry-after-ms", "300", 0.28), ("retry-after", "1", 0.95)]
)
def test_retry_waits_are_honoured(header, value, at_least):
    with MockServer(overloaded(1, **{header: value})) as server:
        with openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=2) as client:
            client.chat.completions.create(**CHAT)
        first, second = server.journal.entries()
    gap = second.time - first.time
    assert at_least <= gap < at_least + 1.5, f"retried after {gap:.3f}s"


def test_x_should_retry_false_stops_the_sdk_retrying():
    scenario = {
        "name": "no",
        "reply": [],
        "attempts": [{"status": 529, "headers": {"x-should-retry": "false"}}, {}],
    }
    with MockServer(scenario) as server:
        with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=2) as client:
            with pytest.raises(anthropic.APIStatusError):
                client.messages.create(**MSG)
        assert len(server.journal) == 1


def test_non_retryable_status_is_not_retried_and_carries_the_providers_body():
    scenario = {"name": "bad", "reply": [], "attempts": [{"status": 400, "message": "bad things"}]}
    with MockServer(scenario) as server:
        with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=2) as client:
            with pytest.raises(anthropic.BadRequestError) as caught:
                client.messages.create(**MSG)
        assert caught.value.body == {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "bad things"},
            "request_id": caught.value.body["request_id"],
        }
        entry = server.journal.last()
        assert entry.outcome is Outcome.HTTP_ERROR and entry.status == 400


def test_429_carries_retry_and_rate_limit_headers():
    scenario = {
        "name": "rl",
        "reply": [],
        "attempts": [
            {"status": 429, "headers": {"retry-after": "7", "x-ratelimit-remaining-requests": "0"}}
        ],
    }
    with MockServer(scenario) as server:
        response = httpx.post(server.url + "/v1/chat/completions", json=CHAT)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_application_retries_are_recognised_by_body_and_the_last_entry_repeats():
    scenario = {
        "name": "seq",
        "reply": [{"text": "ok"}],
        "attempts": [{"status": 500}, {"status": 503}, {}],
    }
    with MockServer(scenario) as server:
        statuses = [httpx.post(server.url + "/v1/messages", json=MSG).status_code for _ in range(4)]
        other = httpx.post(server.url + "/v1/messages", json={**MSG, "max_tokens": 6}).status_code
        assert statuses == [500, 503, 200, 200]
        assert other == 500  # a different body is a different request: its own first try
        assert [e.attempt for e in server.journal.entries()] == [1, 2, 3, 4, 1]


def test_an_attempt_can_carry_its_own_faults_through_the_sdk():
    scenario = {
        "name": "f",
        "reply": [{"text": "one two three"}],
        "attempts": [{"faults": [{"after_events": 3, "drop": "reset"}]}, {}],
    }
    with (
        MockServer(scenario) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=2) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError), client.messages.stream(**MSG) as s:
            s.get_final_message()  # nothing after a 200 is retried
        with client.messages.stream(**MSG) as s:  # the application retries
            assert s.get_final_message().content[0].text == "one two three"
        assert [(e.attempt, e.outcome) for e in server.journal.settled()] == [
            (1, Outcome.RESET),
            (2, Outcome.COMPLETED),
        ]
