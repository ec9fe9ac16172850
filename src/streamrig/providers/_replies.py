"""A provider's whole message (a `stream: false` body) back into a neutral Reply.

The inverse of encode-then-accumulate: a recorded JSON answer can then be streamed
to a client that asks for a stream. Ids of the message itself are not kept; tool
call ids are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..scenario import (
    STOP_ALIASES,
    Citation,
    Part,
    Provider,
    RefusalPart,
    Reply,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
)

__all__ = ["reply_of"]


def reply_of(provider: Provider, message: Mapping[str, Any]) -> Reply:
    """The Reply that, encoded for `provider`, accumulates to `message` (ids aside).

    Raises ValueError when `message` is not that provider's whole message.
    """
    try:
        return _READERS[provider](message)
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a whole {provider.label} message ({exc})") from exc


def _stop(value: Any) -> StopReason | None:
    if not isinstance(value, str):
        return None
    if value in STOP_ALIASES:
        return STOP_ALIASES[value]
    try:
        return StopReason(value)
    except ValueError:
        return None


def _arguments(text: str) -> Mapping[str, Any]:
    parsed = json.loads(text) if text else {}
    return parsed if isinstance(parsed, dict) else {}


def _anthropic(message: Mapping[str, Any]) -> Reply:
    parts: list[Part] = []
    for block in message["content"]:
        kind = block.get("type")
        if kind == "text":
            citations = tuple(
                Citation(
                    cited_text=c["cited_text"],
                    document_index=c.get("document_index", 0),
                    document_title=c.get("document_title"),
                    start_char_index=c.get("start_char_index", 0),
                    end_char_index=c.get("end_char_index", 0),
                )
                for c in block.get("citations") or ()
                if c.get("type") == "char_location"
            )
            parts.append(TextPart(block["text"], citations))
        elif kind == "thinking":
            parts.append(ThinkingPart(block["thinking"], block.get("signature") or None))
        elif kind == "tool_use":
            parts.append(ToolCallPart(block["name"], block.get("input") or {}, block.get("id")))
    details = message.get("stop_details") or {}
    if message.get("stop_reason") == "refusal" and details.get("type") == "refusal":
        if parts == [TextPart("")]:
            parts = []  # the empty block the API opens before refusing
        parts.append(RefusalPart(details.get("explanation") or "", details.get("category")))
    usage = message.get("usage") or {}
    return Reply(
        parts=tuple(parts),
        stop=_stop(message.get("stop_reason")),
        stop_sequence=message.get("stop_sequence"),
        usage=Usage(
            input_tokens=usage.get("input_tokens"),
            output_tokens=usage.get("output_tokens"),
            cache_creation_input_tokens=usage.get("cache_creation_input_tokens") or 0,
            cache_read_input_tokens=usage.get("cache_read_input_tokens") or 0,
        ),
    )


def _chat(completion: Mapping[str, Any]) -> Reply:
    choice = completion["choices"][0]
    message = choice["message"]
    parts: list[Part] = []
    if message.get("content"):
        parts.append(TextPart(message["content"]))
    if message.get("refusal"):
        parts.append(RefusalPart(message["refusal"]))
    for call in message.get("tool_calls") or ():
        function = call["function"]
        parts.append(
            ToolCallPart(function["name"], _arguments(function.get("arguments")), call.get("id"))
        )
    usage = completion.get("usage") or {}
    prompt = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return Reply(
        parts=tuple(parts),
        stop=_stop(choice.get("finish_reason")),
        usage=Usage(
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            cache_creation_input_tokens=prompt.get("cache_write_tokens") or 0,
            cache_read_input_tokens=prompt.get("cached_tokens") or 0,
            reasoning_tokens=completion_details.get("reasoning_tokens") or 0,
        ),
    )


def _responses(response: Mapping[str, Any]) -> Reply:
    parts: list[Part] = []
    for item in response["output"]:
        kind = item.get("type")
        if kind == "message":
            for content in item.get("content") or ():
                if content.get("type") == "output_text":
                    parts.append(TextPart(content["text"]))
                elif content.get("type") == "refusal":
                    parts.append(RefusalPart(content["refusal"]))
        elif kind == "function_call":
            parts.append(
                ToolCallPart(item["name"], _arguments(item.get("arguments")), item.get("call_id"))
            )
        elif kind == "reasoning":
            summary = "".join(s.get("text", "") for s in item.get("summary") or ())
            parts.append(ThinkingPart(summary))
    incomplete = (response.get("incomplete_details") or {}).get("reason")
    usage = response.get("usage") or {}
    given = usage.get("input_tokens_details") or {}
    made = usage.get("output_tokens_details") or {}
    return Reply(
        parts=tuple(parts),
        stop=_stop(incomplete),
        usage=Usage(
            input_tokens=usage.get("input_tokens"),
            output_tokens=usage.get("output_tokens"),
            cache_creation_input_tokens=given.get("cache_write_tokens") or 0,
            cache_read_input_tokens=given.get("cached_tokens") or 0,
            reasoning_tokens=made.get("reasoning_tokens") or 0,
        ),
    )


_GEMINI_STOPS = {"MAX_TOKENS": StopReason.MAX_TOKENS, "SAFETY": StopReason.CONTENT_FILTER}


def _gemini(response: Mapping[str, Any]) -> Reply:
    candidate = response["candidates"][0]
    parts: list[Part] = []
    signatures: list[str] = []  # signatures the API hangs on calls or empty parts
    for part in (candidate.get("content") or {}).get("parts") or ():
        signature = part.get("thoughtSignature")
        if part.get("thought"):
            parts.append(ThinkingPart(part.get("text", ""), signature))
            continue
        if signature:
            signatures.append(signature)
        if "functionCall" in part:
            call = part["functionCall"]
            parts.append(ToolCallPart(call["name"], call.get("args") or {}, call.get("id")))
        elif part.get("text"):
            parts.append(TextPart(part["text"]))
    for index, part in enumerate(parts):  # an unsigned thought takes the next signature
        if isinstance(part, ThinkingPart) and part.signature is None and signatures:
            parts[index] = ThinkingPart(part.thinking, signatures.pop(0))
    usage = response.get("usageMetadata") or {}
    thoughts = usage.get("thoughtsTokenCount") or 0
    candidates = usage.get("candidatesTokenCount")
    return Reply(
        parts=tuple(parts),
        stop=_GEMINI_STOPS.get(candidate.get("finishReason", "")),
        usage=Usage(
            input_tokens=usage.get("promptTokenCount"),
            output_tokens=None if candidates is None else candidates + thoughts,
            cache_read_input_tokens=usage.get("cachedContentTokenCount") or 0,
            reasoning_tokens=thoughts,
        ),
    )


_READERS: dict[Provider, Callable[[Mapping[str, Any]], Reply]] = {
    Provider.ANTHROPIC: _anthropic,
    Provider.OPENAI_CHAT: _chat,
    Provider.OPENAI_RESPONSES: _responses,
    Provider.GEMINI: _gemini,
}
