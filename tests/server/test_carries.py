"""One rule says which endpoints can carry a scenario: the listing, selection and the 400 agree."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from streamrig import MockServer
from streamrig.scenario import Provider
from tests import sdk

ALL = [p.value for p in Provider]
THINKS = {
    "name": "thinks",
    "match": {"contains": "weather"},
    "reply": [{"thinking": "Look it up."}, {"text": "It is sunny (thought about it)."}],
}
PLAIN = {"name": "plain", "match": {"contains": "weather"}, "reply": [{"text": "It is sunny."}]}
CITES = {
    "name": "cites",
    "match": {"contains": "weather"},
    "reply": [{"text": "Sunny.", "citations": [{"cited_text": "Sunny", "end_char_index": 5}]}],
}


def listed(server) -> dict[str, list[str]]:
    body = httpx.get(server.url + "/_streamrig/scenarios").json()
    return {s["name"]: s["providers"] for s in body["scenarios"]}


def test_listing_names_only_the_endpoints_that_can_serve_each_scenario(server):
    providers = listed(server)
    assert providers["thinking"] == ["anthropic", "openai-responses", "gemini"]
    assert providers["citations"] == ["anthropic"]
    assert providers["short_text"] == ALL
    assert providers["anthropic_keepalive"] == ["anthropic"]


def test_the_listing_agrees_with_what_each_endpoint_answers(server):
    for name, providers in listed(server).items():
        scenario = server.state.registry.get(name)
        if scenario.attempts or scenario.faults or scenario.request is not None:
            continue  # their answers are errors or cut streams by design
        for provider in Provider:
            route, body = sdk.request_body(provider, stream=False)
            status = httpx.post(
                server.url + route, json=body, headers=sdk.headers(name), timeout=10
            ).status_code
            assert (status == 200) == (provider.value in providers), (name, provider, status)


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (Provider.ANTHROPIC, "cites"),
        (Provider.OPENAI_RESPONSES, "thinks"),
        (Provider.OPENAI_CHAT, "plain"),
    ],
)
def test_a_match_the_endpoint_cannot_carry_falls_through_to_the_next(provider, expected):
    with MockServer([CITES, THINKS, PLAIN], speed=0) as server:
        route, body = sdk.request_body(provider, stream=False)
        text = {"role": "user", "content": "what is the weather?"}
        if provider is Provider.OPENAI_RESPONSES:
            body["input"] = "what is the weather?"
        else:
            body["messages"] = [text]
        response = httpx.post(server.url + route, json=body, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["x-streamrig-scenario"] == expected
