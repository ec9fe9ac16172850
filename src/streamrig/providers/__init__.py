"""The wire formats: one module per provider, looked up by route or by Provider."""

from __future__ import annotations

from ..scenario import Provider
from ._base import (
    EncodeContext,
    IdMarkers,
    ProviderRequest,
    RequestError,
    WireEvent,
    WireFormat,
    chunk_text,
    draw_id,
    estimate_tokens,
)
from .anthropic import AnthropicMessages
from .openai_chat import OpenAIChat
from .openai_responses import OpenAIResponses

__all__ = [
    "WIRE_FORMATS",
    "EncodeContext",
    "IdMarkers",
    "ProviderRequest",
    "RequestError",
    "WireEvent",
    "WireFormat",
    "chunk_text",
    "draw_id",
    "estimate_tokens",
    "wire_format",
]

WIRE_FORMATS: dict[Provider, WireFormat] = {
    Provider.ANTHROPIC: AnthropicMessages(),
    Provider.OPENAI_CHAT: OpenAIChat(),
    Provider.OPENAI_RESPONSES: OpenAIResponses(),
}


def wire_format(provider: Provider | str) -> WireFormat:
    """The wire format of a provider (`anthropic`, `openai-chat`, `openai-responses`)."""
    return WIRE_FORMATS[Provider(provider)]
