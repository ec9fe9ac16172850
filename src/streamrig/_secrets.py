"""What counts as a credential in a header: one list for the journal and for cassettes."""

from __future__ import annotations

__all__ = ["REDACTED", "SECRET_HEADERS"]

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-api-key",
        "api-key",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-goog-api-key",
        "openai-api-key",
        "anthropic-api-key",
    }
)
