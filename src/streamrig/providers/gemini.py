"""Google Gemini (`generateContent` / `streamGenerateContent`): encode, accumulate, errors.

The model and whether to stream live in the URL, not the body: the routes capture
them and `parse_request` reads them from the `Call`. `?alt=sse` streams SSE (each
event `data: JSON` then CRLF CRLF, Google's JSON with `": "` after keys); without it
the stream is one JSON array written element by element. See docs/wire.md "Gemini".
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..scenario import (
    Provider,
    Reply,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
)
from ..sse import SSEDecoder
from ._base import (
    SSE,
    Call,
    EncodeContext,
    Framing,
    ProviderRequest,
    RequestError,
    WireEvent,
    chunk_text,
    estimate_tokens,
    random_base62,
)
from ._history import gemini_history
from ._routes import ROUTE, ROUTES
from ._support import require_support

__all__ = ["JSON_ARRAY", "Gemini", "google_json"]


FINISH_REASONS = {
    StopReason.END_TURN: "STOP",
    StopReason.STOP_SEQUENCE: "STOP",
    StopReason.TOOL_USE: "STOP",  # Gemini has no tool-use stop: a call ends with STOP
    StopReason.PAUSE_TURN: "STOP",
    StopReason.MAX_TOKENS: "MAX_TOKENS",
    StopReason.MODEL_CONTEXT_WINDOW_EXCEEDED: "MAX_TOKENS",
    StopReason.CONTENT_FILTER: "SAFETY",
    StopReason.REFUSAL: "SAFETY",
}

# google.rpc.Code names by HTTP status, as the API writes them in `error.status`.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_CODES = {name: code for code, name in STATUS_NAMES.items()}

MESSAGES = {
    "INVALID_ARGUMENT": "Request contains an invalid argument.",
    "UNAUTHENTICATED": "API key not valid. Please pass a valid API key.",
    "PERMISSION_DENIED": "The caller does not have permission",
    "NOT_FOUND": "Requested entity was not found.",
    "RESOURCE_EXHAUSTED": "Resource has been exhausted (e.g. check quota).",
    "INTERNAL": "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    "UNAVAILABLE": "The model is overloaded. Please try again later.",
    "DEADLINE_EXCEEDED": "Deadline expired before operation could complete.",
}

# Other providers' error names, so one scenario's `error:` works on every endpoint.
_FROM_OTHERS = {
    "overloaded_error": "UNAVAILABLE",
    "server_overloaded": "UNAVAILABLE",
    "api_error": "INTERNAL",
    "server_error": "INTERNAL",
    "rate_limit_error": "RESOURCE_EXHAUSTED",
    "rate_limit_exceeded": "RESOURCE_EXHAUSTED",
    "insufficient_quota": "RESOURCE_EXHAUSTED",
    "timeout_error": "DEADLINE_EXCEEDED",
    "invalid_request_error": "INVALID_ARGUMENT",
    "authentication_error": "UNAUTHENTICATED",
    "permission_error": "PERMISSION_DENIED",
    "not_found_error": "NOT_FOUND",
}


def google_json(data: Any) -> str:
    """JSON as Google's frontends write it in SSE: `": "` after keys, `,` alone between items."""
    return (
        data
        if isinstance(data, str)
        else json.dumps(data, ensure_ascii=False, separators=(",", ": "))
    )


class _GeminiEvent(WireEvent):
    """A Gemini SSE event: `data: ` + Google's JSON, then CRLF CRLF; no `event:` line."""

    __slots__ = ()

    def encode(self) -> bytes:
        return f"data: {google_json(self.data)}\r\n\r\n".encode()


class _JSONArray(Framing):
    """`streamGenerateContent` without `alt=sse`: one JSON array, pretty-printed elements
    written as they come, `\\n,\\r\\n` between them, `\\n]` at the end."""

    content_type = "application/json; charset=UTF-8"

    def frame(self, event: WireEvent, first: bool) -> bytes:
        data = event.data
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
        return (b"[" if first else b"\n,\r\n") + text.encode()

    def close(self) -> bytes:
        return b"\n]"

    def body(self, body: bytes) -> list[bytes]:
        decoder = SSEDecoder()
        events = [*decoder.decode(body), *decoder.flush()]
        frames = [self.frame(WireEvent(e.data), i == 0) for i, e in enumerate(events)]
        return [*frames, self.close()]


JSON_ARRAY = _JSONArray()


class Gemini:
    """The Gemini API wire format (AI Studio and Vertex AI paths)."""

    provider = Provider.GEMINI
    route = ROUTE[Provider.GEMINI]
    routes: tuple[str, ...] = ROUTES[Provider.GEMINI]

    def parse_request(self, body: Any, call: Call | None = None) -> ProviderRequest:
        if not isinstance(body, Mapping):
            raise RequestError(
                400, "Invalid JSON payload received. Request body must be an object."
            )
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            raise RequestError(
                400, "* GenerateContentRequest.contents: contents is not specified\n"
            )
        params = call.params if call is not None else {}
        query = call.query if call is not None else {}
        stream = params.get("method") == "streamGenerateContent"
        history = gemini_history(contents)
        return ProviderRequest(
            model=params.get("model"),
            stream=stream,
            include_usage=True,
            last_user_text=history.last_user_text,
            input_chars=sum(len(_text_of(c)) for c in contents)
            + len(_text_of(body.get("systemInstruction") or body.get("system_instruction"))),
            framing=SSE if not stream or query.get("alt") == "sse" else JSON_ARRAY,
            history=history,
        )

    def encode(self, reply: Reply, ctx: EncodeContext) -> list[WireEvent]:
        require_support(reply, self.provider, ctx.scenario)
        response_id = random_base62(ctx.rng, 22)
        chunks = list(_chunks(reply, ctx))
        usage = ctx.usage(reply)
        # Gemini counts thoughts apart from candidates; estimated ones come from the thinking.
        thinking = "".join(p.thinking for p in reply.parts if isinstance(p, ThinkingPart))
        estimated = reply.usage.output_tokens is None
        reasoning = usage.reasoning_tokens or (estimate_tokens(thinking) if estimated else 0)
        final = _Counts(
            prompt=usage.input_tokens or 0,
            candidates=max(0, (usage.output_tokens or 0) - reasoning),
            thoughts=reasoning,
            cached=usage.cache_read_input_tokens,
        )
        total_chars = sum(c.chars for c in chunks) or 1
        thought_chars = sum(c.thought_chars for c in chunks) or 1
        events: list[WireEvent] = []
        seen, seen_thought = 0, 0
        for number, chunk in enumerate(chunks):
            seen += chunk.chars
            seen_thought += chunk.thought_chars
            last = number == len(chunks) - 1
            counts = (
                final if last else final.partial(seen / total_chars, seen_thought / thought_chars)
            )
            candidate: dict[str, Any] = {"content": {"parts": chunk.parts, "role": "model"}}
            if last:
                candidate["finishReason"] = FINISH_REASONS[reply.stop_reason]
            candidate["index"] = 0
            if last and reply.stop_reason is StopReason.TOOL_USE:
                candidate["finishMessage"] = "Model generated function call(s)."
            data = {
                "candidates": [candidate],
                "usageMetadata": counts.metadata(),
                "modelVersion": ctx.model,
                "responseId": response_id,
            }
            events.append(_GeminiEvent(data, content=chunk.content))
        return events

    def error_event(
        self, error_type: str, message: str | None, ctx: EncodeContext, sent: Sequence[bytes] = ()
    ) -> WireEvent:
        status = _status_name(error_type)
        code = _CODES.get(status, 500)
        return _GeminiEvent(
            {"error": _error(code, message or MESSAGES.get(status, status), status)}
        )

    def accumulate(self, events: Iterable[Any]) -> dict[str, Any]:
        return accumulate(events)

    def error_body(
        self, status: int, message: str, error_type: str | None, request_id: str
    ) -> dict[str, Any]:
        name = _status_name(error_type) if error_type else _name_for(status)
        return {"error": _error(status, message, name)}

    def headers(self, request_id: str, streaming: bool) -> dict[str, str]:
        return {
            "content-type": "text/event-stream" if streaming else "application/json; charset=UTF-8",
            "vary": "Origin, X-Origin, Referer",
            "server": "scaffolding on HTTPServer2",
            "x-xss-protection": "0",
            "x-frame-options": "SAMEORIGIN",
            "x-content-type-options": "nosniff",
            "server-timing": "gfet4t7; dur=42",
        }

    def default_message(self, status: int, error_type: str | None) -> str:
        name = _status_name(error_type) if error_type else _name_for(status)
        return MESSAGES.get(name, name)

    def request_id(self, rng: random.Random) -> str:
        return random_base62(rng, 22)


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"code": code, "message": message, "status": status}


def _status_name(error_type: str) -> str:
    return _FROM_OTHERS.get(error_type, error_type)


def _name_for(status: int) -> str:
    if status in STATUS_NAMES:
        return STATUS_NAMES[status]
    return "UNAVAILABLE" if status >= 500 else "FAILED_PRECONDITION"


class _Chunk:
    """The parts of one streamed GenerateContentResponse, and how much text they carry."""

    def __init__(self, parts: list[dict[str, Any]], chars: int, thought_chars: int = 0) -> None:
        self.parts, self.chars, self.thought_chars = parts, chars, thought_chars

    @property
    def content(self) -> bool:
        return bool(self.chars or self.thought_chars or self.parts)


def _chunks(reply: Reply, ctx: EncodeContext) -> Iterable[_Chunk]:
    """Thoughts and text piece by piece; consecutive function calls whole, in one chunk.

    A thinking part's signature rides on the next function call, else on an empty
    text part in the last chunk (as the API streams it).
    """
    pending: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in reply.parts:
        if not isinstance(part, ToolCallPart) and calls:
            yield _Chunk(calls, 0)
            calls = []
        if isinstance(part, ThinkingPart):
            for piece in chunk_text(part.thinking, reply.chunking):
                yield _Chunk([{"text": piece, "thought": True}], 0, len(piece))
            pending.append(_signature(part.signature) or random_base62(ctx.rng, 96))
        elif isinstance(part, TextPart):
            for piece in chunk_text(part.text, reply.chunking):
                yield _Chunk([{"text": piece}], len(piece))
        elif isinstance(part, ToolCallPart):
            call: dict[str, Any] = {"id": part.id} if part.id else {}
            call.update(name=part.name, args=dict(part.input))
            entry: dict[str, Any] = {"functionCall": call}
            if pending:
                entry["thoughtSignature"] = pending.pop(0)
            calls.append(entry)
    tail = calls + [{"text": "", "thoughtSignature": signature} for signature in pending]
    if tail or not reply.parts:
        yield _Chunk(tail or [{"text": ""}], 0)


def _signature(given: str | None) -> str | None:
    """Gemini's signatures are base64 (the SDK decodes them to bytes): keep one that is,
    encode one that is not (e.g. an Anthropic-style signature in a shared scenario)."""
    if given is None:
        return None
    try:
        base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        return base64.b64encode(given.encode()).decode()
    return given


class _Counts:
    """usageMetadata: every chunk carries it, candidates and thoughts counted so far."""

    def __init__(self, prompt: int, candidates: int, thoughts: int, cached: int) -> None:
        self.prompt, self.candidates, self.thoughts, self.cached = (
            prompt,
            candidates,
            thoughts,
            cached,
        )

    def partial(self, done: float, thought_done: float) -> _Counts:
        return _Counts(
            self.prompt,
            round(self.candidates * done),
            round(self.thoughts * thought_done),
            self.cached,
        )

    def metadata(self) -> dict[str, Any]:
        # Field order is the proto's; zero counts are left out, as the API leaves them.
        data: dict[str, Any] = {"promptTokenCount": self.prompt}
        if self.candidates:
            data["candidatesTokenCount"] = self.candidates
        data["totalTokenCount"] = self.prompt + self.candidates + self.thoughts
        if self.cached:
            data["cachedContentTokenCount"] = self.cached
        data["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": self.prompt}]
        if self.thoughts:
            data["thoughtsTokenCount"] = self.thoughts
        return data


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, Mapping):
        return ""
    parts = content.get("parts")
    return "\n".join(
        str(p.get("text", "")) for p in parts or [] if isinstance(p, Mapping) and "text" in p
    )


def accumulate(events: Iterable[Any]) -> dict[str, Any]:
    """Chunks back into one GenerateContentResponse, as `generateContent` returns it:
    adjacent text parts of one kind (thought or not) joined, calls kept whole, the
    last chunk's finish reason and usage."""
    result: dict[str, Any] | None = None
    parts: list[dict[str, Any]] = []
    candidate: dict[str, Any] = {}
    for data in events:
        if not isinstance(data, Mapping) or "error" in data:
            continue
        if result is None:
            result = {}
        for chunk_candidate in data.get("candidates") or []:
            content = chunk_candidate.get("content") or {}
            for part in content.get("parts") or []:
                _fold_part(parts, dict(part))
            for key, value in chunk_candidate.items():
                if key != "content":
                    candidate[key] = value
        for key, value in data.items():
            if key != "candidates":
                result[key] = value
    if result is None:
        raise ValueError("no GenerateContentResponse chunk: nothing to accumulate")
    whole: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    for key in ("finishReason", "index"):  # the API's order, whatever the chunks' was
        if key in candidate:
            whole[key] = candidate.pop(key)
    return {"candidates": [{**whole, **candidate}], **result}


def _fold_part(parts: list[dict[str, Any]], part: dict[str, Any]) -> None:
    previous = parts[-1] if parts else None
    if (
        previous is not None
        and "text" in part
        and "text" in previous
        and bool(part.get("thought")) == bool(previous.get("thought"))
        and "thoughtSignature" not in previous
    ):
        previous["text"] += part["text"]
        if "thoughtSignature" in part:
            previous["thoughtSignature"] = part["thoughtSignature"]
        return
    parts.append(part)
