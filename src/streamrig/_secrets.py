"""What counts as a credential: one policy for the journal, cassettes and logs."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REDACTED", "SECRET_HEADERS", "is_secret_name", "redact_keys"]

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

# `api_key`, `apiKey`, `client_secret`, `secret_key`, `password`, `access_token`,
# `x-custom-token`: secrets. `max_tokens`, `input_tokens`, `tokenizer`: not.
_SECRET_NAME = re.compile(
    r"(api[_-]?key|secret|password|passwd|credentials?)$|(^|[_-])(secret|token|auth|authorization)($|[_-])"
    r"|(^|[_-])(access|refresh|id|session|bearer)[_-]?token",
    re.IGNORECASE,
)
_NOT_SECRET = re.compile(
    r"(^|[_-])(max|input|output|total|reasoning|cached|completion|prompt)[_-]?tokens?", re.I
)


def is_secret_name(name: str) -> bool:
    """Whether a header, query parameter or body key of this name holds a credential."""
    lowered = name.lower()
    if lowered in SECRET_HEADERS:
        return True
    return bool(_SECRET_NAME.search(lowered)) and not _NOT_SECRET.search(lowered)


def redact_keys(value: Any) -> Any:
    """A JSON value with the value of every secret-named key replaced (lists and objects walked)."""
    stack: list[Any] = []
    root = _copy(value, stack)
    while stack:
        item = stack.pop()
        for key in list(item) if isinstance(item, dict) else range(len(item)):
            child = item[key]
            if isinstance(key, str) and is_secret_name(key) and not isinstance(child, (dict, list)):
                item[key] = REDACTED
            elif isinstance(child, (dict, list)):
                item[key] = _copy(child, stack)
    return root


def _copy(value: Any, stack: list[Any]) -> Any:
    if isinstance(value, dict):
        copied: Any = dict(value)
    elif isinstance(value, list):
        copied = list(value)
    else:
        return value
    stack.append(copied)
    return copied
