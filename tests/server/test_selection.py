from __future__ import annotations

import httpx2 as httpx
import pytest

from streamrig import MockServer
from tests.conftest import KEY


def ask(server, text="hi", model="claude-test", headers=None, prefix=""):
    body = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": text}]}
    return httpx.post(f"{server.url}{prefix}/v1/messages", json=body, headers=headers or {})


SCENARIOS = [
    {"name": "weather", "match": {"contains": "weather"}, "reply": [{"text": "sunny"}]},
    {"name": "gpt_only", "match": {"model": "gpt-*"}, "reply": [{"text": "gpt"}]},
    {"name": "digits", "match": {"regex": r"\d{3}"}, "reply": [{"text": "number"}]},
    {"name": "fallback", "reply": [{"text": "fallback"}]},
]


@pytest.fixture(scope="module")
def library():
    with MockServer(SCENARIOS, default="fallback") as running:
        yield running


def text_of(response):
    assert response.status_code == 200, response.text
    return response.json()["content"][0]["text"]


def test_path_prefix_beats_header_beats_match_beats_default(library):
    assert (
        text_of(
            ask(
                library,
                "weather?",
                prefix="/s/digits",
                headers={"x-streamrig-scenario": "gpt_only"},
            )
        )
        == "number"
    )
    assert text_of(ask(library, "weather?", headers={"x-streamrig-scenario": "gpt_only"})) == "gpt"
    assert text_of(ask(library, "what's the weather?")) == "sunny"
    assert text_of(ask(library, "nothing special")) == "fallback"


def test_match_rules_model_glob_and_regex(library):
    assert text_of(ask(library, "hi", model="gpt-4o")) == "gpt"
    assert text_of(ask(library, "call 555 now")) == "number"


def test_match_reads_only_the_last_user_message(library):
    body = {
        "model": "m",
        "max_tokens": 5,
        "messages": [
            {"role": "user", "content": "weather"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "something else"}]},
        ],
    }
    assert text_of(httpx.post(library.url + "/v1/messages", json=body)) == "fallback"


def test_response_names_the_scenario_that_answered(library):
    response = ask(library, "weather")
    assert response.headers["x-streamrig-scenario"] == "weather"


def test_names_with_slashes_work_in_the_path_prefix(server):
    response = httpx.post(
        server.url + "/s/low_level/../tool_call/v1/messages",
        json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    )
    assert response.status_code in (200, 404)
    nested = MockServer([{"name": "tools/parallel", "reply": [{"text": "nested"}]}])
    with nested:
        assert text_of(ask(nested, prefix="/s/tools/parallel")) == "nested"


def test_openai_base_url_with_prefix_picks_the_scenario(server):
    import openai

    with openai.OpenAI(
        base_url=f"{server.url}/s/short_text/v1", api_key=KEY, max_retries=0
    ) as client:
        completion = client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "x"}]
        )
    assert completion.choices[0].message.content == "Hello there!"


def test_single_loaded_scenario_is_the_default():
    with MockServer({"name": "only", "reply": [{"text": "only one"}]}) as running:
        assert text_of(ask(running, "anything")) == "only one"


def test_no_default_falls_back_to_a_plausible_reply():
    with MockServer(
        [{"name": "a", "reply": [{"text": "a"}]}, {"name": "b", "reply": [{"text": "b"}]}]
    ) as running:
        assert "streamrig" in text_of(ask(running, "anything"))


def test_low_level_scenario_on_another_endpoint_is_a_400_naming_both(server):
    response = httpx.post(
        server.url + "/s/anthropic_keepalive/v1/chat/completions",
        json={"model": "gpt-test", "messages": [{"role": "user", "content": "x"}], "stream": True},
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert (
        "anthropic_keepalive" in message
        and "Anthropic Messages" in message
        and "OpenAI Chat Completions" in message
    )


def test_seeded_ids_repeat_and_unseeded_ids_differ():
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }

    def stream_bytes(seed):
        with MockServer(
            {"name": "t", "reply": [{"tool_call": {"name": "f", "input": {}}}]}, seed=seed
        ) as running:
            return httpx.post(running.url + "/v1/messages", json=body).content

    assert stream_bytes(3) == stream_bytes(3)
    assert b"toolu_01" in stream_bytes(3)
    assert stream_bytes(3) != stream_bytes(4)
    assert stream_bytes(None) != stream_bytes(None)


def test_repeated_requests_get_fresh_ids_under_a_seed(fresh):
    first, second = ask(fresh).json()["id"], ask(fresh).json()["id"]
    assert first != second and first.startswith("msg_01")
    fresh.reset()
    assert ask(fresh).json()["id"] == first


def test_model_is_echoed_unless_pinned():
    with MockServer(
        [
            {"name": "pinned", "model": "claude-pinned", "reply": [{"text": "x"}]},
            {"name": "echo", "reply": [{"text": "x"}]},
        ]
    ) as running:
        assert (
            ask(running, model="mine", headers={"x-streamrig-scenario": "echo"}).json()["model"]
            == "mine"
        )
        assert (
            ask(running, model="mine", headers={"x-streamrig-scenario": "pinned"}).json()["model"]
            == "claude-pinned"
        )
