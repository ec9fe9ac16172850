"""The wire formats: one module per provider, looked up by route or by Provider.

A provider's module loads when its wire format is first asked for (`serve` routes all
four at start from `ROUTES`, and a client usually speaks one)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping

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
from ._routes import ROUTE, ROUTES
from ._rules import HistoryRejected, history_problem
from ._support import carries, require_support, unsupported

__all__ = [
    "ROUTE",
    "ROUTES",
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

# provider -> (its module, its wire format class); in the order routes are added
_MODULES = {
    Provider.ANTHROPIC: (".anthropic", "AnthropicMessages"),
    Provider.OPENAI_CHAT: (".openai_chat", "OpenAIChat"),
    Provider.OPENAI_RESPONSES: (".openai_responses", "OpenAIResponses"),
    Provider.GEMINI: (".gemini", "Gemini"),
}


class _WireFormats(Mapping[Provider, WireFormat]):
    """Provider -> its wire format (one instance each), made when first asked for."""

    def __init__(self) -> None:
        self._made: dict[Provider, WireFormat] = {}
        self._lock = threading.Lock()  # the plugin's server thread and the test's

    def __getitem__(self, provider: Provider) -> WireFormat:
        wire = self._made.get(provider)
        if wire is None:
            module, name = _MODULES[provider]
            made: WireFormat = getattr(importlib.import_module(module, __name__), name)()
            with self._lock:
                wire = self._made.setdefault(provider, made)
        return wire

    def __iter__(self) -> Iterator[Provider]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


WIRE_FORMATS: Mapping[Provider, WireFormat] = _WireFormats()


def wire_format(provider: Provider | str) -> WireFormat:
    """The wire format of a provider (`anthropic`, `openai-chat`, `openai-responses`, `gemini`)."""
    return WIRE_FORMATS[Provider(provider)]
