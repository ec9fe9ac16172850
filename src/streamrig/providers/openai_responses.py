"""OpenAI Responses (`POST /v1/responses`): encode, accumulate, errors. See WIRE.md."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..scenario import (
    Part,
    Provider,
    RefusalPart,
    Reply,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
)
from ..sse import SSEDecoder
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
from ._history import responses_history
from ._openai_common import OpenAIWire, openai_error
from ._routes import ROUTE, ROUTES
from ._settings import RequestSettings, SettingsTypeError
from ._support import require_support

__all__ = ["OpenAIResponses"]

# Stops that end a Responses stream with `response.incomplete` instead of `response.completed`.
INCOMPLETE_REASONS = {
    StopReason.MAX_TOKENS: "max_output_tokens",
    StopReason.MODEL_CONTEXT_WINDOW_EXCEEDED: "max_output_tokens",
    StopReason.CONTENT_FILTER: "content_filter",
}


class OpenAIResponses(OpenAIWire):
    """The Responses API wire format: typed events with a `sequence_number`."""

    provider = Provider.OPENAI_RESPONSES
    route = ROUTE[Provider.OPENAI_RESPONSES]
    routes: tuple[str, ...] = ROUTES[Provider.OPENAI_RESPONSES]

    def parse_request(self, body: Any, call: Call | None = None) -> ProviderRequest:
        if not isinstance(body, Mapping):
            raise RequestError(400, "We could not parse the JSON body of your request.")
        given = body.get("input")
        if not isinstance(given, (str, list)):
            raise RequestError(400, "Missing required parameter: 'input'.")
        model = body.get("model")
        try:
            settings = RequestSettings.from_body(body)
        except SettingsTypeError as error:
            raise RequestError(400, str(error)) from None
        history = responses_history(given, body.get("previous_response_id"))
        return ProviderRequest(
            model=model if isinstance(model, str) else None,
            stream=body.get("stream") is True,
            include_usage=True,
            last_user_text=history.last_user_text,
            history=history,
            input_chars=len(json.dumps(given)) + len(str(body.get("instructions") or "")),
            settings=settings,
        )

    def encode(self, reply: Reply, ctx: EncodeContext) -> list[WireEvent]:
        require_support(reply, self.provider, ctx.scenario)
        return _Encoder(reply, ctx).events()

    def error_event(
        self, error_type: str, message: str | None, ctx: EncodeContext, sent: Sequence[bytes] = ()
    ) -> WireEvent:
        """`response.failed` for the stream's own response once it has begun, else `error`."""
        error = openai_error(error_type, message)
        created, sequence = _stream_so_far(sent)
        if created is None:
            data = {
                "type": "error",
                "code": error["code"],
                "message": error["message"],
                "param": None,
            }
            return WireEvent({**data, "sequence_number": sequence}, "error")
        failed = {
            **created,
            "status": "failed",
            "error": {"code": error["code"], "message": error["message"]},
        }
        return WireEvent(
            {"type": "response.failed", "response": failed, "sequence_number": sequence},
            "response.failed",
        )

    def accumulate(self, events: Iterable[Any]) -> dict[str, Any]:
        return _accumulate(events)


def _stream_so_far(sent: Sequence[bytes]) -> tuple[dict[str, Any] | None, int]:
    """The response a stream announced in `response.created`, and the next sequence number."""
    decoder = SSEDecoder()
    created: dict[str, Any] | None = None
    sequence = 0
    for event in [*decoder.decode(b"".join(sent)), *decoder.flush()]:
        try:
            data = json.loads(event.data)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            if data.get("type") == "response.created":
                created = data.get("response")
            if isinstance(data.get("sequence_number"), int):
                sequence = data["sequence_number"] + 1
    return created, sequence


def _groups(parts: tuple[Part, ...]) -> Iterator[list[Part]]:
    """Output items: consecutive text and refusal parts share one message item."""
    message: list[Part] = []
    for part in parts:
        if isinstance(part, (TextPart, RefusalPart)):
            message.append(part)
            continue
        if message:
            yield message
            message = []
        yield [part]
    if message:
        yield message


class _Encoder:
    def __init__(self, reply: Reply, ctx: EncodeContext) -> None:
        self.reply, self.ctx = reply, ctx
        self.sequence = 0
        self.response_id = "resp_" + random_hex(ctx.rng, 48)
        self.out: list[WireEvent] = []

    def emit(self, kind: str, *, content: bool = False, **fields: Any) -> None:
        self.out.append(
            WireEvent({"type": kind, **fields, "sequence_number": self.sequence}, kind, content)
        )
        self.sequence += 1

    def events(self) -> list[WireEvent]:
        self.emit("response.created", response=self.response("in_progress", []))
        self.emit("response.in_progress", response=self.response("in_progress", []))
        reason = INCOMPLETE_REASONS.get(self.reply.stop_reason)
        groups = list(_groups(self.reply.parts))
        # A cut-off response leaves the item it was writing (the last) incomplete.
        items = [
            self.item(
                index, group, "incomplete" if reason and index == len(groups) - 1 else "completed"
            )
            for index, group in enumerate(groups)
        ]
        final = self.response("incomplete" if reason else "completed", items)
        if reason:
            final["incomplete_details"] = {"reason": reason}
        final["usage"] = self.usage()
        self.emit("response.incomplete" if reason else "response.completed", response=final)
        return self.out

    def response(self, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
        """The Response object: the request's settings echoed, the API's defaults elsewhere."""
        given = self.ctx.settings
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": self.ctx.created,
            "status": status,
            "background": _or(given.background, False),
            "error": None,
            "incomplete_details": None,
            "instructions": _json_value(given.instructions),
            "max_output_tokens": given.max_output_tokens,
            "max_tool_calls": given.max_tool_calls,
            "model": self.ctx.model,
            "output": output,
            "parallel_tool_calls": _or(given.parallel_tool_calls, True),
            "previous_response_id": given.previous_response_id,
            "prompt_cache_key": given.prompt_cache_key,
            "reasoning": {"effort": None, "summary": None, **(given.reasoning or {})},
            "safety_identifier": given.safety_identifier,
            "service_tier": _service_tier(given.service_tier),
            "store": _or(given.store, True),
            "temperature": _or(given.temperature, 1.0),
            "text": {"format": {"type": "text"}, "verbosity": "medium", **(given.text or {})},
            "tool_choice": _json_value(_or(given.tool_choice, "auto")),
            "tools": [_tool(tool) for tool in given.tools],
            "top_logprobs": _or(given.top_logprobs, 0),
            "top_p": _or(given.top_p, 1.0),
            "truncation": _or(given.truncation, "disabled"),
            "usage": None,
            "user": given.user,
            "metadata": dict(given.metadata or {}),
        }

    def usage(self) -> dict[str, Any]:
        usage = self.ctx.usage(self.reply)
        inp, out = usage.input_tokens or 0, usage.output_tokens or 0
        return {
            "input_tokens": inp,
            "input_tokens_details": {
                "cache_write_tokens": usage.cache_creation_input_tokens,
                "cached_tokens": usage.cache_read_input_tokens,
            },
            "output_tokens": out,
            "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
            "total_tokens": inp + out,
        }

    def item(self, index: int, group: list[Part], status: str) -> dict[str, Any]:
        first = group[0]
        if isinstance(first, ToolCallPart):
            return self.function_call(index, first, status)
        if isinstance(first, ThinkingPart):
            return self.reasoning(index, first)
        return self.message(index, group, status)

    def message(self, index: int, group: list[Part], status: str) -> dict[str, Any]:
        item_id = "msg_" + random_hex(self.ctx.rng, 48)
        item: dict[str, Any] = {
            "id": item_id,
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        self.emit("response.output_item.added", output_index=index, item=item)
        parts = [
            self.content_part(item_id, index, position, part) for position, part in enumerate(group)
        ]
        done = {**item, "status": status, "content": parts}
        self.emit("response.output_item.done", output_index=index, item=done)
        return done

    def content_part(self, item_id: str, index: int, position: int, part: Part) -> dict[str, Any]:
        where: dict[str, Any] = {
            "item_id": item_id,
            "output_index": index,
            "content_index": position,
        }
        if isinstance(part, RefusalPart):
            self.emit(
                "response.content_part.added", **where, part={"type": "refusal", "refusal": ""}
            )
            for piece in chunk_text(part.refusal, self.reply.chunking):
                self.emit("response.refusal.delta", content=True, **where, delta=piece)
            self.emit("response.refusal.done", **where, refusal=part.refusal)
            done: dict[str, Any] = {"type": "refusal", "refusal": part.refusal}
        else:
            assert isinstance(part, TextPart)
            empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
            self.emit("response.content_part.added", **where, part=empty)
            for piece in chunk_text(part.text, self.reply.chunking):
                self.emit(
                    "response.output_text.delta", content=True, **where, delta=piece, logprobs=[]
                )
            self.emit("response.output_text.done", **where, text=part.text, logprobs=[])
            done = {**empty, "text": part.text}
        self.emit("response.content_part.done", **where, part=done)
        return done

    def function_call(self, index: int, part: ToolCallPart, status: str) -> dict[str, Any]:
        item_id = "fc_" + random_hex(self.ctx.rng, 48)
        call_id = part.id or "call_" + random_base62(self.ctx.rng, 24)
        item = {
            "id": item_id,
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call_id,
            "name": part.name,
        }
        self.emit("response.output_item.added", output_index=index, item=item)
        arguments = tool_arguments(part)
        for piece in chunk_json(arguments, self.reply.chunking):
            self.emit(
                "response.function_call_arguments.delta",
                content=True,
                item_id=item_id,
                output_index=index,
                delta=piece,
            )
        self.emit(
            "response.function_call_arguments.done",
            item_id=item_id,
            output_index=index,
            arguments=arguments,
        )
        done = {**item, "status": status, "arguments": arguments}
        self.emit("response.output_item.done", output_index=index, item=done)
        return done

    def reasoning(self, index: int, part: ThinkingPart) -> dict[str, Any]:
        item_id = "rs_" + random_hex(self.ctx.rng, 48)
        item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
        self.emit("response.output_item.added", output_index=index, item=item)
        where: dict[str, Any] = {"item_id": item_id, "output_index": index, "summary_index": 0}
        self.emit(
            "response.reasoning_summary_part.added",
            **where,
            part={"type": "summary_text", "text": ""},
        )
        for piece in chunk_text(part.thinking, self.reply.chunking):
            self.emit("response.reasoning_summary_text.delta", content=True, **where, delta=piece)
        self.emit("response.reasoning_summary_text.done", **where, text=part.thinking)
        summary = {"type": "summary_text", "text": part.thinking}
        self.emit("response.reasoning_summary_part.done", **where, part=summary)
        done = {**item, "summary": [summary]}
        # The reasoning a loop sends back (populated by default: openai-python 3.54
        # `ResponseReasoningItem.encrypted_content`); complete only once the item is done.
        done["encrypted_content"] = part.signature or "gAAAAA" + random_base62(self.ctx.rng, 120)
        self.emit("response.output_item.done", output_index=index, item=done)
        return done


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _json_value(value: Any) -> Any:
    """A setting as JSON again (tuples from the typed settings back to lists)."""
    return list(value) if isinstance(value, tuple) else value


def _service_tier(requested: str | None) -> str:
    # The API answers `auto` (or nothing) with the tier it used: `default`.
    return "default" if requested in (None, "auto") else requested


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A tool as the API echoes it: a function tool gains `description` and `strict`."""
    if tool.get("type") == "function":
        return {"description": None, "strict": True, **tool}
    return dict(tool)


_LIFECYCLE_END = ("response.completed", "response.incomplete", "response.failed")


def _accumulate(events: Iterable[Any]) -> dict[str, Any]:
    """The final Response: the one a terminal lifecycle event carries, else rebuilt from items."""
    snapshot: dict[str, Any] | None = None
    items: dict[int, dict[str, Any]] = {}
    for data in events:
        if not isinstance(data, Mapping):
            continue
        kind = data.get("type")
        if kind in _LIFECYCLE_END:
            final: dict[str, Any] = json.loads(json.dumps(data["response"]))
            return final
        if kind in ("response.created", "response.in_progress", "response.queued"):
            snapshot = json.loads(json.dumps(data["response"]))
        elif kind in ("response.output_item.added", "response.output_item.done"):
            items[int(data["output_index"])] = json.loads(json.dumps(data["item"]))
        elif kind == "response.output_text.delta":
            _append_text(items, data)
        elif kind == "response.function_call_arguments.delta":
            item = items.get(int(data["output_index"]))
            if item is not None:
                item["arguments"] = item.get("arguments", "") + data["delta"]
    if snapshot is None:
        raise ValueError("no response.created event: nothing to accumulate")
    snapshot["output"] = [items[index] for index in sorted(items)]
    return snapshot


def _append_text(items: dict[int, dict[str, Any]], data: Mapping[str, Any]) -> None:
    item = items.get(int(data["output_index"]))
    if item is None:
        return
    content = item.setdefault("content", [])
    while len(content) <= int(data["content_index"]):
        content.append({"type": "output_text", "annotations": [], "text": ""})
    content[int(data["content_index"])]["text"] += data["delta"]
