"""Driving google-genai the same way in every Gemini test: stream, join, normalise.

google-genai has no stream accumulator: `generate_content_stream` yields one
GenerateContentResponse per chunk and a chat session keeps each chunk's Content in
its history. What a correct client makes of the chunks is `joined()` below; it is
compared with streamrig's accumulator and with `generate_content` (stream: false).
"""

from __future__ import annotations

import json
from typing import Any

from google import genai
from google.genai import types
from google.genai.models import _GenerateContentResponse_from_mldev

from streamrig.providers import wire_format
from streamrig.scenario import Provider

KEY = "gemini-test-key-0123456789"
MODEL = "gemini-test"
USER = "Hello there"


def client(base_url: str, api_key: str = KEY, **options: Any) -> genai.Client:
    options.setdefault("timeout", 10_000)
    return genai.Client(
        api_key=api_key, http_options=types.HttpOptions(base_url=base_url, **options)
    )


def stream(gemini: genai.Client, contents: Any = USER) -> list[types.GenerateContentResponse]:
    return list(gemini.models.generate_content_stream(model=MODEL, contents=contents))


async def stream_async(gemini: genai.Client) -> list[types.GenerateContentResponse]:
    chunks = []
    async for chunk in await gemini.aio.models.generate_content_stream(model=MODEL, contents=USER):
        chunks.append(chunk)
    return chunks


def whole(gemini: genai.Client) -> types.GenerateContentResponse:
    return gemini.models.generate_content(model=MODEL, contents=USER)


def joined(chunks: list[types.GenerateContentResponse]) -> dict[str, Any]:
    """What a correct client makes of the chunks: text and thoughts joined, calls in order,
    the last finish reason and the last usage (each chunk's counts are totals so far)."""
    text = thinking = ""
    calls, signatures = [], []
    finish = usage = None
    for chunk in chunks:
        candidate = chunk.candidates[0] if chunk.candidates else None
        for part in (candidate.content.parts or []) if candidate and candidate.content else []:
            if part.thought_signature:
                signatures.append(part.thought_signature)
            if part.function_call:
                calls.append((part.function_call.name, part.function_call.args))
            elif part.thought:
                thinking += part.text or ""
            elif part.text is not None:
                text += part.text
        if candidate and candidate.finish_reason:
            finish = candidate.finish_reason
        if chunk.usage_metadata:
            usage = chunk.usage_metadata
    return {
        "text": text,
        "thinking": thinking,
        "calls": calls,
        "signatures": signatures,
        "finish": finish,
        "usage": normalise(usage),
    }


def ours(raw_events: list[Any]) -> types.GenerateContentResponse:
    """streamrig's accumulator over the raw events, read the way the SDK reads a body
    (its AI Studio converter keeps only the fields it knows, e.g. not finishMessage)."""
    return parse(wire_format(Provider.GEMINI).accumulate(raw_events))


def parse(body: dict[str, Any]) -> types.GenerateContentResponse:
    converted = _GenerateContentResponse_from_mldev(body, None, None)
    return types.GenerateContentResponse._from_response(response=converted, kwargs={})


def normalise(obj: Any) -> Any:
    """A comparable form: JSON dump without nulls and without the SDK's client-side fields."""
    if obj is None:
        return None
    data = obj.model_dump(mode="json", exclude_none=True)
    data.pop("sdk_http_response", None)
    data.pop("automatic_function_calling_history", None)
    return json.loads(json.dumps(data))


def path(stream: bool, sse: bool = True, version: str = "v1beta") -> str:
    method = "streamGenerateContent" if stream else "generateContent"
    return f"/{version}/models/{MODEL}:{method}" + ("?alt=sse" if stream and sse else "")


def body(text: str = USER) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}
