"""Driving the official SDKs the same way in every test: stream, accumulate, normalise."""

from __future__ import annotations

from typing import Any

import openai

from streamrig.scenario import Provider

USER = "Hello there"


def headers(scenario: str) -> dict[str, str]:
    return {"x-streamrig-scenario": scenario}


def stream_final(
    provider: Provider, anthropic_client: Any, openai_client: Any, scenario: str
) -> Any:
    """What the SDK's stream helper accumulates (the last snapshot when it refuses to finish)."""
    h = headers(scenario)
    if provider is Provider.ANTHROPIC:
        with anthropic_client.messages.stream(
            model="claude-test",
            max_tokens=256,
            messages=[{"role": "user", "content": USER}],
            extra_headers=h,
        ) as stream:
            return stream.get_final_message()
    if provider is Provider.OPENAI_CHAT:
        with openai_client.chat.completions.stream(
            model="gpt-test",
            messages=[{"role": "user", "content": USER}],
            stream_options={"include_usage": True},
            extra_headers=h,
        ) as stream:
            try:
                return stream.get_final_completion()
            except openai.LengthFinishReasonError:
                return stream.current_completion_snapshot
    with openai_client.responses.stream(model="gpt-test", input=USER, extra_headers=h) as stream:
        last = None
        for event in stream:
            if event.type in ("response.completed", "response.incomplete", "response.failed"):
                last = event.response
        return last


async def stream_final_async(
    provider: Provider, anthropic_client: Any, openai_client: Any, scenario: str
) -> Any:
    h = headers(scenario)
    if provider is Provider.ANTHROPIC:
        async with anthropic_client.messages.stream(
            model="claude-test",
            max_tokens=256,
            messages=[{"role": "user", "content": USER}],
            extra_headers=h,
        ) as stream:
            return await stream.get_final_message()
    if provider is Provider.OPENAI_CHAT:
        async with openai_client.chat.completions.stream(
            model="gpt-test",
            messages=[{"role": "user", "content": USER}],
            stream_options={"include_usage": True},
            extra_headers=h,
        ) as stream:
            try:
                return await stream.get_final_completion()
            except openai.LengthFinishReasonError:
                return stream.current_completion_snapshot
    async with openai_client.responses.stream(
        model="gpt-test", input=USER, extra_headers=h
    ) as stream:
        last = None
        async for event in stream:
            if event.type in ("response.completed", "response.incomplete", "response.failed"):
                last = event.response
        return last


def create_whole(
    provider: Provider, anthropic_client: Any, openai_client: Any, scenario: str
) -> Any:
    """The same request with `stream: false`, parsed by the SDK."""
    h = headers(scenario)
    if provider is Provider.ANTHROPIC:
        return anthropic_client.messages.create(
            model="claude-test",
            max_tokens=256,
            messages=[{"role": "user", "content": USER}],
            extra_headers=h,
        )
    if provider is Provider.OPENAI_CHAT:
        return openai_client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": USER}], extra_headers=h
        )
    return openai_client.responses.create(model="gpt-test", input=USER, extra_headers=h)


def request_body(provider: Provider, stream: bool) -> tuple[str, dict[str, Any]]:
    """The route and body the helpers above send, for raw HTTP."""
    if provider is Provider.ANTHROPIC:
        body: dict[str, Any] = {
            "model": "claude-test",
            "max_tokens": 256,
            "messages": [{"role": "user", "content": USER}],
        }
        route = "/v1/messages"
    elif provider is Provider.OPENAI_CHAT:
        body = {"model": "gpt-test", "messages": [{"role": "user", "content": USER}]}
        if stream:
            body["stream_options"] = {"include_usage": True}
        route = "/v1/chat/completions"
    elif provider is Provider.OPENAI_RESPONSES:
        body, route = {"model": "gpt-test", "input": USER}, "/v1/responses"
    else:  # Gemini: the model and streaming-ness are in the path
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        contents = [{"role": "user", "parts": [{"text": USER}]}]
        return f"/v1beta/models/gemini-test:{method}", {"contents": contents}
    body["stream"] = stream
    return route, body


def normalise(obj: Any) -> Any:
    """A comparable form: JSON dump without nulls, and without stream-helper artefacts
    (the chat helper keeps each tool call's `index`, which a whole completion has not)."""
    dump = getattr(obj, "model_dump", None)
    data = dump(mode="json", exclude_none=True, warnings=False) if dump else obj
    return _strip(data)


def _strip(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: _strip(v)
            for k, v in data.items()
            if v is not None and not (k == "index" and "function" in data)
        }
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data
