"""Three careless SSE parsers, each with a bug real clients have, reading Anthropic text deltas.

Each takes the reads of a body (bytes, as they came off the socket) and returns
the reply's text; a parser that breaks raises or returns the wrong text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

import httpx2 as httpx


def _text(event: str) -> str:
    data = "".join(line[6:] for line in re.split(r"\r\n|\r|\n", event) if line.startswith("data: "))
    payload = json.loads(data) if data else {}
    delta = payload.get("delta", {}) if payload.get("type") == "content_block_delta" else {}
    return str(delta.get("text", ""))


def whole_events_per_read(reads: Iterable[bytes]) -> str:
    """Assumes every read ends where an event ends: no buffer carried to the next read."""
    text = ""
    for read in reads:
        for event in re.split(r"\r\n\r\n|\n\n", read.decode("utf-8", errors="replace")):
            if event.strip():
                text += _text(event)
    return text


def utf8_per_read(reads: Iterable[bytes]) -> str:
    """Buffers lines across reads, but decodes each read as UTF-8 on its own."""
    buffer, text = "", ""
    for read in reads:
        buffer += read.decode("utf-8")
        *events, buffer = re.split(r"\r\n\r\n|\n\n|\r\r", buffer)
        text += "".join(_text(event) for event in events)
    return text


def lf_only(reads: Iterable[bytes]) -> str:
    """Buffers bytes and decodes whole events, but only knows `\\n\\n` as the end of an event."""
    buffer, text = b"", ""
    for read in reads:
        buffer += read
        *events, buffer = buffer.split(b"\n\n")
        text += "".join(_text(event.decode("utf-8")) for event in events)
    return text


PARSERS: dict[str, Callable[[Iterable[bytes]], str]] = {
    "whole_events_per_read": whole_events_per_read,
    "utf8_per_read": utf8_per_read,
    "lf_only": lf_only,
}


def stream_text(url: str, parser: Callable[[Iterable[bytes]], str]) -> str:
    """POST a streaming Messages request to `url` and parse the body's reads with `parser`."""
    body = {
        "model": "claude-test",
        "max_tokens": 256,
        "stream": True,
        "messages": [{"role": "user", "content": "Hello"}],
    }
    with httpx.stream("POST", url + "/v1/messages", json=body, timeout=10) as response:
        response.raise_for_status()
        return parser(response.iter_raw())
