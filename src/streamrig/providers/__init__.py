"""The wire formats: one module per provider, looked up by route or by Provider."""

from __future__ import annotations

from ..scenario import Provider
from ._base import (
    SSE,
    Call,
    EncodeContext,
    Framing,
    IdMarkers,
    ProviderRequest,
    RequestError,
    RequestSettings,
    WireEvent,
    WireFormat,
    chunk_json,
    chunk_text,
    draw_id,
    estimate_tokens,
    generated_text,
)
from ._history import (
    History,
    anthropic_history,
    chat_history,
    gemini_history,
    responses_history,
)
from ._replies import reply_of
from ._rules import HistoryRejected, history_problem
from ._support import carries, require_support, unsupported
from .anthropic import AnthropicMessages
from .gemini import Gemini
from .openai_chat import OpenAIChat
from .openai_responses import OpenAIResponses

__all__ = [
    "SSE",
    "WIRE_FORMATS",
    "Call",
    "EncodeContext",
    "Framing",
    "History",
    "HistoryRejected",
    "IdMarkers",
    "ProviderRequest",
    "RequestError",
    "RequestSettings",
    "WireEvent",
    "WireFormat",
    "anthropic_history",
    "carries",
    "chat_history",
    "chunk_json",
    "chunk_text",
    "draw_id",
    "estimate_tokens",
    "gemini_history",
    "generated_text",
    "history_problem",
    "reply_of",
    "require_support",
    "responses_history",
    "unsupported",
    "wire_format",
]

WIRE_FORMATS: dict[Provider, WireFormat] = {
    Provider.ANTHROPIC: AnthropicMessages(),
    Provider.OPENAI_CHAT: OpenAIChat(),
    Provider.OPENAI_RESPONSES: OpenAIResponses(),
    Provider.GEMINI: Gemini(),
}


def wire_format(provider: Provider | str) -> WireFormat:
    """The wire format of a provider (`anthropic`, `openai-chat`, `openai-responses`, `gemini`)."""
    return WIRE_FORMATS[Provider(provider)]
