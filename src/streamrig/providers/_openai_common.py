"""What both OpenAI wire formats share: error bodies, error types, headers, request ids."""

from __future__ import annotations

import random
from typing import Any

from ._base import random_hex

__all__ = [
    "OpenAIWire",
    "openai_default_message",
    "openai_error",
    "openai_error_body",
    "openai_headers",
    "openai_request_id",
]

_STATUS_MESSAGES = {
    400: "Invalid request.",
    401: "Incorrect API key provided.",
    403: "You are not allowed to access this resource.",
    404: "The model does not exist or you do not have access to it.",
    409: "The request conflicted with another request.",
    429: "Rate limit reached for requests. Please try again later.",
    500: "The server had an error while processing your request. Sorry about that!",
    502: "Bad gateway.",
    503: "The engine is currently overloaded, please try again later.",
    504: "The server did not respond in time.",
}

ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", None),
    405: ("invalid_request_error", None),
    413: ("invalid_request_error", "request_too_large"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", "server_overloaded"),
}

# Anthropic's error names, so one scenario's `error:` works on every endpoint.
_FROM_ANTHROPIC = {
    "overloaded_error": (
        "server_error",
        "server_overloaded",
        "The server is overloaded. Please try again later.",
    ),
    "api_error": (
        "server_error",
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
    ),
    "rate_limit_error": (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached. Please try again later.",
    ),
    "timeout_error": ("server_error", "timeout", "Request timed out."),
    "invalid_request_error": ("invalid_request_error", None, "Invalid request."),
    # What OpenAI answers for a model that does not exist (an unknown scenario here).
    "not_found_error": (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
}


def openai_error(error_type: str, message: str | None) -> dict[str, Any]:
    """The `error` object for a mid-stream failure named by type (either provider's names)."""
    kind, code, default = _FROM_ANTHROPIC.get(error_type, (error_type, error_type, error_type))
    return {"message": message or default, "type": kind, "param": None, "code": code}


def openai_error_body(status: int, message: str, error_type: str | None) -> dict[str, Any]:
    if error_type is not None:
        error = openai_error(error_type, message)
    else:
        kind, code = ERROR_TYPES.get(status, ("server_error", None))
        error = {"message": message, "type": kind, "param": None, "code": code}
    return {"error": error}


def openai_default_message(status: int, error_type: str | None) -> str:
    if error_type is not None:
        return str(openai_error(error_type, None)["message"])
    return _STATUS_MESSAGES.get(status, "The server had an error while processing your request.")


def openai_headers(request_id: str, streaming: bool) -> dict[str, str]:
    return {
        "content-type": "text/event-stream; charset=utf-8" if streaming else "application/json",
        "x-request-id": request_id,
        "openai-organization": "streamrig",
        "openai-processing-ms": "42",
        "openai-version": "2020-10-01",
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "30000000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": "29999000",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "2ms",
    }


def openai_request_id(rng: random.Random) -> str:
    return "req_" + random_hex(rng, 32)


class OpenAIWire:
    """What both OpenAI wire formats answer alike: error bodies, headers, request ids."""

    def error_body(
        self, status: int, message: str, error_type: str | None, request_id: str
    ) -> dict[str, Any]:
        return openai_error_body(status, message, error_type)

    def headers(self, request_id: str, streaming: bool) -> dict[str, str]:
        return openai_headers(request_id, streaming)

    def default_message(self, status: int, error_type: str | None) -> str:
        return openai_default_message(status, error_type)

    def request_id(self, rng: random.Random) -> str:
        return openai_request_id(rng)
