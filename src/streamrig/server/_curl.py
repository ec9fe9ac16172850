"""A curl line that plays a scenario: what the live page's copy button gives."""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import quote, urlsplit

from ..providers import carries
from ..scenario import Provider, Scenario

__all__ = ["curl_line", "curl_provider"]

_HELLO = "Hello"
_CALLS: dict[Provider, tuple[str, list[str], dict[str, Any]]] = {
    Provider.ANTHROPIC: (
        "/v1/messages",
        ["x-api-key: test", "anthropic-version: 2023-06-01"],
        {
            "model": "claude-test",
            "max_tokens": 256,
            "stream": True,
            "messages": [{"role": "user", "content": _HELLO}],
        },
    ),
    Provider.OPENAI_CHAT: (
        "/v1/chat/completions",
        ["authorization: Bearer test"],
        {"model": "gpt-test", "stream": True, "messages": [{"role": "user", "content": _HELLO}]},
    ),
    Provider.OPENAI_RESPONSES: (
        "/v1/responses",
        ["authorization: Bearer test"],
        {"model": "gpt-test", "stream": True, "input": _HELLO},
    ),
    Provider.GEMINI: (
        "/v1beta/models/gemini-test:streamGenerateContent?alt=sse",
        ["x-goog-api-key: test"],
        {"contents": [{"role": "user", "parts": [{"text": _HELLO}]}]},
    ),
}


def curl_provider(scenario: Scenario) -> Provider:
    """The endpoint a scenario is shown and played on: its own, else the first that carries it."""
    if scenario.provider is not None:
        return scenario.provider
    return next((p for p in Provider if carries(scenario, p)), Provider.ANTHROPIC)


def curl_line(base_url: str, scenario: Scenario, provider: Provider) -> str:
    """`curl -N URL/s/NAME/... -d BODY`: one streamed request of `scenario` on `provider`;
    a recorded interaction is asked with the request it answered."""
    route, headers, body = _CALLS[provider]
    recorded = scenario.request
    if recorded is not None:
        parts = urlsplit(recorded.uri)
        route = parts.path + (f"?{parts.query}" if parts.query else "")
        body = recorded.body
    url = f"{base_url}/s/{quote(scenario.name, safe='')}{route}"
    words = ["curl", "-N", shlex.quote(url), "-H", shlex.quote("content-type: application/json")]
    for header in headers:
        words += ["-H", shlex.quote(header)]
    data = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return " ".join([*words, "-d", shlex.quote(data)])
