"""Anthropic Messages (`POST /v1/messages`): encode, accumulate, errors. See WIRE.md."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from ..scenario import (
    Citation,
    Provider,
    RefusalPart,
    Reply,
    StopReason,
    TextPart,
    ThinkingPart,
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
    tool_arguments,
)
from ._history import anthropic_history, text_of_content
from ._routes import ROUTE, ROUTES
from ._support import require_support

__all__ = ["AnthropicMessages"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

ERROR_MESSAGES = {
    "overloaded_error": "Overloaded",
    "api_error": "Internal server error",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
    "timeout_error": "Request timed out",
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
}

_STOPS = {StopReason.CONTENT_FILTER: "refusal"}


class AnthropicMessages:
    """The Messages API wire format."""

    provider = Provider.ANTHROPIC
    route = ROUTE[Provider.ANTHROPIC]
    routes: tuple[str, ...] = ROUTES[Provider.ANTHROPIC]

    def parse_request(self, body: Any, call: Call | None = None) -> ProviderRequest:
        if not isinstance(body, Mapping):
            raise RequestError(400, "request body must be a JSON object")
        messages = body.get("messages")
        if not isinstance(messages, list):
            raise RequestError(400, "messages: Field required")
        model = body.get("model")
        history = anthropic_history(messages, body.get("thread"))
        return ProviderRequest(
            model=model if isinstance(model, str) else None,
            stream=body.get("stream") is True,
            include_usage=True,
            last_user_text=history.last_user_text,
            history=history,
            input_chars=sum(
                len(text_of_content(m.get("content"))) for m in messages if isinstance(m, Mapping)
            )
            + len(text_of_content(body.get("system", ""))),
        )

    def encode(self, reply: Reply, ctx: EncodeContext) -> list[WireEvent]:
        require_support(reply, self.provider, ctx.scenario)
        blocks = [part for part in reply.parts if not isinstance(part, RefusalPart)]
        refusal = next((part for part in reply.parts if isinstance(part, RefusalPart)), None)
        if not blocks and refusal is not None:
            blocks = [TextPart("")]  # the API opens an empty text block before refusing
        usage = ctx.usage(reply)
        message: dict[str, Any] = {
            "id": "msg_01" + random_base62(ctx.rng, 22),
            "type": "message",
            "role": "assistant",
            "model": ctx.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": usage.input_tokens,
                "cache_creation_input_tokens": usage.cache_creation_input_tokens,
                "cache_read_input_tokens": usage.cache_read_input_tokens,
                "output_tokens": 1,
                "service_tier": "standard",
            },
        }
        events = [_event({"type": "message_start", "message": message})]
        for index, part in enumerate(blocks):
            events.extend(self._block(index, part, reply, ctx))
            if index == 0:
                events.insert(2, _PING)  # the API pings right after the first block opens
        if not blocks:
            events.append(_PING)
        delta: dict[str, Any] = {
            "stop_reason": _STOPS.get(reply.stop_reason, reply.stop_reason.value),
            "stop_sequence": reply.stop_sequence,
        }
        if refusal is not None:
            delta["stop_details"] = {
                "type": "refusal",
                "category": refusal.category,
                "explanation": refusal.refusal,
            }
        # Every count is cumulative for the whole message (input repeats message_start's).
        final_usage = {
            "input_tokens": usage.input_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "output_tokens": usage.output_tokens,
        }
        events.append(_event({"type": "message_delta", "delta": delta, "usage": final_usage}))
        events.append(_event({"type": "message_stop"}))
        return events

    def _block(self, index: int, part: Any, reply: Reply, ctx: EncodeContext) -> list[WireEvent]:
        if isinstance(part, TextPart):
            start: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [_citation_delta(c) for c in part.citations]
            if part.citations:
                start["citations"] = []
            deltas += [
                {"type": "text_delta", "text": piece}
                for piece in chunk_text(part.text, reply.chunking)
            ]
        elif isinstance(part, ThinkingPart):
            start = {"type": "thinking", "thinking": "", "signature": ""}
            signature = part.signature or "Er" + random_base62(ctx.rng, 94)
            deltas = [
                {"type": "thinking_delta", "thinking": piece}
                for piece in chunk_text(part.thinking, reply.chunking)
            ]
            deltas.append({"type": "signature_delta", "signature": signature})
        else:
            assert isinstance(part, ToolCallPart)
            tool_id = part.id or "toolu_01" + random_base62(ctx.rng, 22)
            start = {"type": "tool_use", "id": tool_id, "name": part.name, "input": {}}
            # The API writes the input with spaces after `:` and `,`.
            arguments = tool_arguments(part, spaced=True) if part.input else ""
            deltas = [{"type": "input_json_delta", "partial_json": ""}]
            deltas += [
                {"type": "input_json_delta", "partial_json": piece}
                for piece in chunk_json(arguments, reply.chunking)
            ]
        events = [_event({"type": "content_block_start", "index": index, "content_block": start})]
        events += [
            _event({"type": "content_block_delta", "index": index, "delta": d}, content=_carries(d))
            for d in deltas
        ]
        events.append(_event({"type": "content_block_stop", "index": index}))
        return events

    def error_event(
        self, error_type: str, message: str | None, ctx: EncodeContext, sent: Sequence[bytes] = ()
    ) -> WireEvent:
        error_type = _anthropic_error_type(error_type)
        text = message or ERROR_MESSAGES.get(error_type, error_type)
        return _event({"type": "error", "error": {"type": error_type, "message": text}})

    def accumulate(self, events: Iterable[Any]) -> dict[str, Any]:
        return _Accumulator().run(events)

    def error_body(
        self, status: int, message: str, error_type: str | None, request_id: str
    ) -> dict[str, Any]:
        kind = (
            _anthropic_error_type(error_type)
            if error_type
            else ERROR_TYPES.get(status, "api_error")
        )
        return {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": request_id,
        }

    def headers(self, request_id: str, streaming: bool) -> dict[str, str]:
        headers = {
            "content-type": "text/event-stream; charset=utf-8" if streaming else "application/json",
            "request-id": request_id,
            "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
        }
        headers.update(_rate_limits(int(time.time())))
        if streaming:
            headers["cache-control"] = "no-cache"
        return headers

    def default_message(self, status: int, error_type: str | None) -> str:
        kind = (
            _anthropic_error_type(error_type)
            if error_type
            else ERROR_TYPES.get(status, "api_error")
        )
        return ERROR_MESSAGES.get(kind, kind)

    def request_id(self, rng: random.Random) -> str:
        return "req_011C" + random_base62(rng, 20)


_PING = WireEvent('{"type": "ping"}', "ping")  # the API writes this one with a space


def _event(data: dict[str, Any], content: bool = False) -> WireEvent:
    return WireEvent(data, data["type"], content)


def _citation_delta(citation: Citation) -> dict[str, Any]:
    return {
        "type": "citations_delta",
        "citation": {
            "type": "char_location",
            "cited_text": citation.cited_text,
            "document_index": citation.document_index,
            "document_title": citation.document_title,
            "start_char_index": citation.start_char_index,
            "end_char_index": citation.end_char_index,
        },
    }


def _carries(delta: Mapping[str, Any]) -> bool:
    """Whether a delta carries generated tokens (what timing counts): not an empty one."""
    return any(delta.get(key) for key in ("text", "thinking", "partial_json", "signature")) or (
        delta.get("type") == "citations_delta"
    )


# Other providers' error names, so one scenario's `error:` works on every endpoint.
_FROM_OPENAI = {
    "server_error": "api_error",
    "rate_limit_exceeded": "rate_limit_error",
    "insufficient_quota": "rate_limit_error",
    "invalid_request_error": "invalid_request_error",
}


def _anthropic_error_type(error_type: str) -> str:
    return _FROM_OPENAI.get(error_type, error_type)


class _Accumulator:
    """Events back into the final Message, the way the SDK's stream helper does."""

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.json_bufs: dict[int, str] = {}

    def run(self, events: Iterable[Any]) -> dict[str, Any]:
        for data in events:
            if isinstance(data, Mapping):
                self.feed(data)
        if self.message is None:
            raise ValueError("no message_start event: nothing to accumulate")
        for index, buf in self.json_bufs.items():
            self.message["content"][index]["input"] = _parse_json_prefix(buf)
        return self.message

    def feed(self, data: Mapping[str, Any]) -> None:
        kind = data.get("type")
        if kind == "message_start":
            self.message = json.loads(json.dumps(data["message"]))
            return
        if self.message is None:
            return
        if kind == "content_block_start":
            self.message["content"].append(dict(data["content_block"]))
        elif kind == "content_block_delta":
            self._delta(int(data["index"]), data["delta"])
        elif kind == "message_delta":
            delta, usage = data.get("delta", {}), data.get("usage", {})
            self.message["stop_reason"] = delta.get("stop_reason")
            self.message["stop_sequence"] = delta.get("stop_sequence")
            if delta.get("stop_details") is not None:
                self.message["stop_details"] = delta["stop_details"]
            for key, value in usage.items():
                if value is not None:
                    self.message["usage"][key] = value

    def _delta(self, index: int, delta: Mapping[str, Any]) -> None:
        assert self.message is not None
        block = self.message["content"][index]
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta["text"]
        elif kind == "input_json_delta":
            self.json_bufs[index] = self.json_bufs.get(index, "") + delta["partial_json"]
        elif kind == "citations_delta":
            block["citations"] = [*(block.get("citations") or []), delta["citation"]]
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta["thinking"]
        elif kind == "signature_delta":
            block["signature"] = delta["signature"]
        else:  # unknown delta kinds (e.g. compaction) merge their fields
            block.update({k: v for k, v in delta.items() if k != "type"})


def _parse_json_prefix(buf: str) -> Any:
    """Tool input from its JSON; a cut-off buffer gives {} (the SDK parses partially)."""
    if buf == "":
        return {}
    try:
        return json.loads(buf)
    except json.JSONDecodeError:
        return {}


_LIMITS = (
    ("requests", 4000),
    ("tokens", 2000000),
    ("input-tokens", 1600000),
    ("output-tokens", 400000),
)
_limits_at: tuple[int, dict[str, str]] = (-1, {})


def _rate_limits(now: int) -> dict[str, str]:
    """The rate-limit headers, reset a minute on; built once a second, not per request."""
    global _limits_at
    second, headers = _limits_at
    if second != now:
        reset = datetime.fromtimestamp(now + 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {}
        for kind, limit in _LIMITS:
            headers[f"anthropic-ratelimit-{kind}-limit"] = str(limit)
            headers[f"anthropic-ratelimit-{kind}-remaining"] = str(limit - 1)
            headers[f"anthropic-ratelimit-{kind}-reset"] = reset
        _limits_at = (now, headers)
    return headers
