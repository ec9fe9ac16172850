"""Responses objects echo the request's settings, as the real API does (streamed and whole)."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests import sdk

TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
SETTINGS = {
    "instructions": "Answer briefly.",
    "max_output_tokens": 300,
    "temperature": 0.2,
    "top_p": 0.9,
    "tools": [TOOL],
    "tool_choice": "required",
    "parallel_tool_calls": False,
    "reasoning": {"effort": "low"},
    "text": {"format": {"type": "json_object"}},
    "store": False,
    "metadata": {"run": "42"},
    "user": "user-7",
    "truncation": "auto",
}


@pytest.fixture
def settings(openai_sync):
    """SETTINGS continuing a response the server really gave (it refuses unknown ids)."""
    earlier = openai_sync.responses.create(
        model="gpt-test", input="first", extra_headers=sdk.headers("short_text")
    )
    return {**SETTINGS, "previous_response_id": earlier.id}


def check_echo(response, settings) -> None:
    assert response.instructions == "Answer briefly."
    assert response.max_output_tokens == 300
    assert response.temperature == 0.2 and response.top_p == 0.9
    assert response.tool_choice == "required"
    assert response.parallel_tool_calls is False
    assert response.previous_response_id == settings["previous_response_id"]
    assert response.reasoning.effort == "low"
    assert response.text.format.type == "json_object"
    assert response.store is False
    assert response.metadata == {"run": "42"}
    assert response.user == "user-7"
    assert response.truncation == "auto"
    [tool] = response.tools
    assert (tool.type, tool.name, tool.description) == (
        "function",
        "get_weather",
        TOOL["description"],
    )
    assert tool.parameters == TOOL["parameters"]


def test_streamed_response_echoes_the_request_in_every_lifecycle_event(
    server, openai_sync, settings
):
    with openai_sync.responses.stream(
        model="gpt-test", input="hi", extra_headers=sdk.headers("short_text"), **settings
    ) as stream:
        seen = [e for e in stream if e.type in ("response.created", "response.completed")]
    assert [e.type for e in seen] == ["response.created", "response.completed"]
    for event in seen:
        check_echo(event.response, settings)


def test_whole_response_echoes_the_request(server, openai_sync, settings):
    check_echo(
        openai_sync.responses.create(
            model="gpt-test", input="hi", extra_headers=sdk.headers("short_text"), **settings
        ),
        settings,
    )


def test_defaults_when_the_request_gives_none(server, openai_sync):
    response = openai_sync.responses.create(
        model="gpt-test", input="hi", extra_headers=sdk.headers("short_text")
    )
    assert response.instructions is None and response.max_output_tokens is None
    assert (response.temperature, response.top_p) == (1.0, 1.0)
    assert response.tools == [] and response.tool_choice == "auto"
    assert response.parallel_tool_calls is True and response.store is True
    assert response.truncation == "disabled" and response.metadata == {}
    assert response.service_tier == "default" and response.text.format.type == "text"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("temperature", "hot", "a decimal"), ("tools", [1], "an object"), ("store", 1, "a boolean")],
)
def test_a_mistyped_setting_is_a_400_naming_it(server, field, value, expected):
    response = httpx.post(
        server.url + "/v1/responses",
        json={"model": "gpt-test", "input": "hi", field: value},
        headers=sdk.headers("short_text"),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert f"'{field}" in error["message"] and expected in error["message"]
