"""Which endpoint can carry which reply: one rule for encoding, listing and selection."""

from __future__ import annotations

from .._errors import UnsupportedFeature
from ..scenario import Provider, RefusalPart, Reply, Scenario, TextPart, ThinkingPart

__all__ = ["carries", "require_support", "unsupported"]

_THINKING = ("a thinking part", "use /v1/messages or /v1/responses")
_CITATIONS = ("citations", "use /v1/messages")
_REFUSAL = (
    "a refusal part",
    "Gemini has no refusal text; use `stop: content_filter` (finishReason SAFETY)",
)


def unsupported(reply: Reply, provider: Provider) -> tuple[str, str] | None:
    """The first feature of `reply` the provider's wire format has no form for, with a hint
    (None: it carries all of it)."""
    for part in reply.parts:
        if isinstance(part, ThinkingPart) and provider is Provider.OPENAI_CHAT:
            return _THINKING
        if isinstance(part, TextPart) and part.citations and provider is not Provider.ANTHROPIC:
            return _CITATIONS
        if isinstance(part, RefusalPart) and provider is Provider.GEMINI:
            return _REFUSAL
    return None


def require_support(reply: Reply, provider: Provider, scenario: str) -> None:
    """Raise UnsupportedFeature (answered with a 400) when the provider cannot carry `reply`."""
    missing = unsupported(reply, provider)
    if missing is not None:
        feature, hint = missing
        raise UnsupportedFeature(scenario, provider.label, feature, hint)


def carries(scenario: Scenario, provider: Provider) -> bool:
    """Whether `scenario` can be served on the provider's endpoint: written for it (or for
    any), and every part of its reply has a form there."""
    if provider not in scenario.providers:
        return False
    if scenario.turns:  # a conversation: every turn must have a form there
        return all(carries(turn, provider) for turn in scenario.turns)
    return scenario.reply is None or unsupported(scenario.reply, provider) is None
