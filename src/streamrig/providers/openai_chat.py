"""OpenAI Chat Completions (`POST /v1/chat/completions`): encode, accumulate, errors. See WIRE.md."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..scenario import (
    Provider,
    RefusalPart,
    Reply,
    StopReason,
    TextPart,
    ToolCallPart,
)
from ._base import (
    Call,
    EncodeContext,
    ProviderRequest,
    RequestError,
    WireEvent,
    chunk_json,
    chunk_text,
    random_base62,
    random_hex,
    tool_arguments,
)
from ._history import chat_history, text_of_content
from ._openai_common import OpenAIWire, openai_error
from ._routes import ROUTE, ROUTES
from ._support import require_support

__all__ = ["OpenAIChat"]

FINISH_REASONS = {
    StopReason.END_TURN: "stop",
    StopReason.STOP_SEQUENCE: "stop",
    StopReason.PAUSE_TURN: "stop",
    StopReason.REFUSAL: "stop",
    StopReason.MAX_TOKENS: "length",
    StopReason.MODEL_CONTEXT_WINDOW_EXCEEDED: "length",
    StopReason.TOOL_USE: "tool_calls",
    StopReason.CONTENT_FILTER: "content_filter",
}


class OpenAIChat(OpenAIWire):
    """The Chat Completions wire format, `data: [DONE]` included."""

    provider = Provider.OPENAI_CHAT
    route = ROUTE[Provider.OPENAI_CHAT]
    routes: tuple[str, ...] = ROUTES[Provider.OPENAI_CHAT]

    def parse_request(self, body: Any, call: Call | None = None) -> ProviderRequest:
        if not isinstance(body, Mapping):
            raise RequestError(400, "We could not parse the JSON body of your request.")
        messages = body.get("messages")
        if not isinstance(messages, list):
            raise RequestError(400, "Missing required parameter: 'messages'.")
        options = body.get("stream_options")
        model = body.get("model")
        history = chat_history(messages)
        return ProviderRequest(
            model=model if isinstance(model, str) else None,
            stream=body.get("stream") is True,
            include_usage=isinstance(options, Mapping) and options.get("include_usage") is True,
            last_user_text=history.last_user_text,
            history=history,
            input_chars=sum(
                len(text_of_content(m.get("content"))) for m in messages if isinstance(m, Mapping)
            ),
        )

    def encode(self, reply: Reply, ctx: EncodeContext) -> list[WireEvent]:
        require_support(reply, self.provider, ctx.scenario)
        base: dict[str, Any] = {
            "id": "chatcmpl-" + random_base62(ctx.rng, 29),
            "object": "chat.completion.chunk",
            "created": ctx.created,
            "model": ctx.model,
            "system_fingerprint": "fp_" + random_hex(ctx.rng, 10),
        }

        def chunk(
            delta: dict[str, Any], finish: str | None = None, content: bool = True
        ) -> WireEvent:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            data = {**base, "choices": [choice]}
            if ctx.include_usage:
                data["usage"] = None
            return WireEvent(data, content=content)

        deltas = list(self._deltas(reply, ctx))
        events = [chunk(delta, content=_carries(delta)) for delta in deltas]
        events.append(chunk({}, FINISH_REASONS[reply.stop_reason], content=False))
        if ctx.include_usage:
            events.append(WireEvent({**base, "choices": [], "usage": self._usage(reply, ctx)}))
        events.append(WireEvent("[DONE]"))
        return events

    def _deltas(self, reply: Reply, ctx: EncodeContext) -> Iterable[dict[str, Any]]:
        first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
        parts = reply.parts
        if parts and not isinstance(parts[0], TextPart):
            first["content"] = None
        if parts and isinstance(parts[0], RefusalPart):
            first["refusal"] = ""
        if parts and isinstance(parts[0], ToolCallPart):
            first = {"role": "assistant", "content": None, "tool_calls": None, "refusal": None}
        pending: dict[str, Any] | None = first
        tool_index = 0
        for part in parts:
            if isinstance(part, ToolCallPart):
                call_id = part.id or "call_" + random_base62(ctx.rng, 24)
                opener = {
                    "index": tool_index,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": part.name, "arguments": ""},
                }
                yield _merge(pending, {"tool_calls": [opener]})
                pending = None
                for piece in chunk_json(tool_arguments(part), reply.chunking):
                    yield {"tool_calls": [{"index": tool_index, "function": {"arguments": piece}}]}
                tool_index += 1
                continue
            key, text = (
                ("refusal", part.refusal)
                if isinstance(part, RefusalPart)
                else ("content", _text(part))
            )
            if pending is not None:
                yield pending
                pending = None
            for piece in chunk_text(text, reply.chunking):
                yield {key: piece}
        if pending is not None:
            yield pending

    def _usage(self, reply: Reply, ctx: EncodeContext) -> dict[str, Any]:
        usage = ctx.usage(reply)
        prompt, completion = usage.input_tokens or 0, usage.output_tokens or 0
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {
                "cached_tokens": usage.cache_read_input_tokens,
                "cache_write_tokens": usage.cache_creation_input_tokens,
                "audio_tokens": 0,
            },
            "completion_tokens_details": {
                "reasoning_tokens": usage.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def error_event(
        self, error_type: str, message: str | None, ctx: EncodeContext, sent: Sequence[bytes] = ()
    ) -> WireEvent:
        return WireEvent({"error": openai_error(error_type, message)})

    def accumulate(self, events: Iterable[Any]) -> dict[str, Any]:
        return _accumulate(events)


def _carries(delta: Mapping[str, Any]) -> bool:
    """Whether a delta carries generated tokens (what timing counts): text, a refusal, or a
    piece of tool arguments; the role chunk and a call's opener (arguments "") do not."""
    if delta.get("content") or delta.get("refusal"):
        return True
    calls = delta.get("tool_calls") or ()
    return any((call.get("function") or {}).get("arguments") for call in calls)


def _text(part: Any) -> str:
    return part.text if isinstance(part, TextPart) else ""


def _merge(pending: dict[str, Any] | None, delta: dict[str, Any]) -> dict[str, Any]:
    """A reply that opens with a tool call sends the role and the call in one first delta."""
    return delta if pending is None else {**pending, "tool_calls": delta["tool_calls"]}


def _accumulate(events: Iterable[Any]) -> dict[str, Any]:
    """Chunks back into a ChatCompletion, the way the SDK's stream helper does (any `n`)."""
    result: dict[str, Any] | None = None
    choices: dict[int, dict[str, Any]] = {}
    for data in events:
        if not isinstance(data, Mapping) or "choices" not in data:
            continue
        if result is None:
            result = {
                "id": data.get("id"),
                "object": "chat.completion",
                "created": data.get("created"),
                "model": data.get("model"),
                "choices": [],
            }
            for key in ("system_fingerprint", "service_tier"):
                if key in data:
                    result[key] = data[key]
        if data.get("usage") is not None:
            result["usage"] = data["usage"]
        for choice in data["choices"]:
            _fold_choice(
                choices.setdefault(choice["index"], _empty_choice(choice["index"])), choice
            )
    if result is None:
        raise ValueError("no chat.completion.chunk: nothing to accumulate")
    result["choices"] = [choices[index] for index in sorted(choices)]
    return result


def _empty_choice(index: int) -> dict[str, Any]:
    return {
        "index": index,
        "message": {"role": "assistant", "content": None, "refusal": None},
        "logprobs": None,
        "finish_reason": None,
    }


def _fold_choice(target: dict[str, Any], choice: Mapping[str, Any]) -> None:
    message, delta = target["message"], choice.get("delta") or {}
    for key in ("content", "refusal"):
        if delta.get(key) is not None:
            message[key] = (message[key] or "") + delta[key]
    for call in delta.get("tool_calls") or []:
        calls = message.setdefault("tool_calls", [])
        while len(calls) <= call["index"]:
            calls.append(
                {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
            )
        slot = calls[call["index"]]
        if call.get("id"):
            slot["id"] = call["id"]
        function = call.get("function") or {}
        slot["function"]["name"] += function.get("name") or ""
        slot["function"]["arguments"] += function.get("arguments") or ""
    if choice.get("logprobs"):
        logprobs = target["logprobs"] or {"content": None, "refusal": None}
        for key in ("content", "refusal"):
            if choice["logprobs"].get(key) is not None:
                logprobs[key] = (logprobs[key] or []) + choice["logprobs"][key]
        target["logprobs"] = logprobs
    if choice.get("finish_reason") is not None:
        target["finish_reason"] = choice["finish_reason"]
