"""Cassette names: predictable (the same request, the same file) and collision-free."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..scenario import Provider

__all__ = ["cassette_name"]

_FOLDERS = {
    Provider.ANTHROPIC: "anthropic",
    Provider.OPENAI_CHAT: "openai-chat",
    Provider.OPENAI_RESPONSES: "openai-responses",
    Provider.GEMINI: "gemini",
}
_KEYS = (
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "input",
    "instructions",
    "contents",
    "systemInstruction",
)


def cassette_name(
    method: str,
    path: str,
    body: Any,
    provider: Provider | None,
    redact: Callable[[str], str] = lambda text: text,
) -> Path:
    """`anthropic/what-is-the-weather-in-paris-3f2a9c1b7e.yaml`: provider, the last user
    words, and a hash of method, path and the body keys that make a request itself.
    `redact` cleans both before use (a key pasted in the message names no file)."""
    subject = {k: body.get(k) for k in _KEYS} if isinstance(body, dict) else body
    digest = hashlib.sha256(
        redact(json.dumps([method, path, subject], sort_keys=True, default=str)).encode()
    ).hexdigest()[:10]
    folder = (
        _FOLDERS.get(provider)
        if provider
        else re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    )
    return Path(str(folder)) / f"{_slug(redact(_last_words(body))) or 'request'}-{digest}.yaml"


def _last_words(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("input"), str):
        return str(body["input"])
    for content in reversed(body.get("contents") or []):  # Gemini
        if isinstance(content, dict) and content.get("role", "user") == "user":
            texts = [str(p["text"]) for p in content.get("parts") or [] if "text" in p]
            if texts:
                return " ".join(texts)
    for message in reversed(body.get("messages") or body.get("input") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].rstrip("-")
