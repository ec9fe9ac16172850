"""Any provider's final message, the server's or the client's, in one comparable form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..providers.gemini import accumulate as gemini_accumulate
from ..scenario import STOP_ALIASES, Provider, StopReason
from ._turns import AnthropicView, ChatView, GeminiView, ResponsesView, TurnView, parse_arguments

__all__ = [
    "Accumulated",
    "ToolCall",
    "neutral",
    "parse_arguments",
    "provider_of",
    "same_stop",
    "to_mapping",
]


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    input: Any

    def __str__(self) -> str:
        return f"{self.name}({json.dumps(self.input, ensure_ascii=False)})"


@dataclass(frozen=True, slots=True)
class Accumulated:
    """What a reply amounts to: text, tool calls, thinking, refusal, and why it stopped."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    thinking: str = ""
    refusal: str = ""
    stop_reason: str | None = None


def to_mapping(obj: Any) -> Mapping[str, Any] | None:
    """An SDK object (pydantic) or a dict as a mapping; None for anything else."""
    if isinstance(obj, Mapping):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        # google-genai's models name fields in snake_case, the wire's camelCase as aliases.
        by_alias = type(obj).__module__.startswith("google.genai")
        dumped = dump(mode="json", warnings=False, by_alias=by_alias, exclude_none=by_alias)
        return dumped if isinstance(dumped, Mapping) else None
    if isinstance(obj, (list, tuple)) and obj and all(_is_gemini_chunk(c) for c in obj):
        return gemini_accumulate(to_mapping(c) for c in obj)  # a Gemini client's chunks
    return None


def _is_gemini_chunk(obj: Any) -> bool:
    return type(obj).__name__ == "GenerateContentResponse" or (
        isinstance(obj, Mapping) and "candidates" in obj
    )


def provider_of(message: Mapping[str, Any]) -> Provider | None:
    """Which provider's final message this is, from its shape."""
    if message.get("type") == "message" and "content" in message:
        return Provider.ANTHROPIC
    if "choices" in message:
        return Provider.OPENAI_CHAT
    if message.get("object") == "response" or "output" in message:
        return Provider.OPENAI_RESPONSES
    if "candidates" in message or "usageMetadata" in message:
        return Provider.GEMINI
    return None


def neutral(message: Mapping[str, Any], provider: Provider | None = None) -> Accumulated:
    """A final message (Message, ChatCompletion or Response, as a mapping) in neutral form."""
    provider = provider or provider_of(message)
    if provider is Provider.ANTHROPIC:
        return _anthropic(message)
    if provider is Provider.OPENAI_CHAT:
        return _chat(message)
    if provider is Provider.OPENAI_RESPONSES:
        return _responses(message)
    if provider is Provider.GEMINI:
        return _gemini(message)
    raise TypeError(
        "not a final message of a known provider (Message, ChatCompletion, Response, "
        "GenerateContentResponse)"
    )


def _calls(turn: TurnView) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(call.name, call.input) for call in turn.calls)


def _anthropic(message: Mapping[str, Any]) -> Accumulated:
    turn = AnthropicView().streamed(message)
    details = message.get("stop_details") or {}
    return Accumulated(
        text=turn.text,
        tool_calls=_calls(turn),
        thinking="".join(thinking for thinking, _ in turn.thinking),
        refusal=details.get("explanation") or "",
        stop_reason=message.get("stop_reason"),
    )


def _chat(message: Mapping[str, Any]) -> Accumulated:
    choice = (message.get("choices") or [{}])[0]
    turn = ChatView().streamed(message)
    body = choice.get("message") or {}
    return Accumulated(
        text=turn.text,
        tool_calls=_calls(turn),
        refusal=body.get("refusal") or "",
        stop_reason=choice.get("finish_reason"),
    )


def _responses(message: Mapping[str, Any]) -> Accumulated:
    turn = ResponsesView().streamed(message)
    refusal, thinking = "", ""
    for item in message.get("output") or []:
        if item.get("type") == "message":
            for part in item.get("content") or []:
                if part.get("type") == "refusal":
                    refusal += part.get("refusal") or ""
        elif item.get("type") == "reasoning":
            thinking += "".join(s.get("text") or "" for s in item.get("summary") or [])
    incomplete = (message.get("incomplete_details") or {}).get("reason")
    stop = incomplete or message.get("status")
    return Accumulated(turn.text, _calls(turn), thinking, refusal, stop)


def _gemini(message: Mapping[str, Any]) -> Accumulated:
    candidate = (message.get("candidates") or [{}])[0]
    turn = GeminiView().streamed(message)
    parts = (candidate.get("content") or {}).get("parts") or []
    thinking = "".join(p.get("text") or "" for p in parts if "text" in p and p.get("thought"))
    return Accumulated(turn.text, _calls(turn), thinking, "", candidate.get("finishReason"))


_NEUTRAL_STOPS = {
    **{k: v.value for k, v in STOP_ALIASES.items()},
    "completed": StopReason.END_TURN.value,
    "content_filter": StopReason.CONTENT_FILTER.value,
    "refusal": StopReason.REFUSAL.value,
    "STOP": StopReason.END_TURN.value,  # Gemini's finishReason names
    "MAX_TOKENS": StopReason.MAX_TOKENS.value,
    "SAFETY": StopReason.CONTENT_FILTER.value,
}


def same_stop(expected: str | None, got: str | None) -> bool:
    """Equal, or the same stop in another provider's words (`stop` is `end_turn`)."""
    if expected == got:
        return True
    if expected is None or got is None:
        return False
    return _NEUTRAL_STOPS.get(expected, expected) == _NEUTRAL_STOPS.get(got, got)
