"""Server-sent events: encoding, and an incremental decoder that takes any chunk boundaries.

The decoder follows the WHATWG rules the SDKs follow: UTF-8, one leading BOM
ignored, lines end in CRLF, LF or CR, `:` lines are comments, several `data:`
lines join with a newline, and an event is dispatched on a blank line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SSEDecoder", "ServerSentEvent", "encode_event", "split_events"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event; `data` is the joined data lines."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """The data parsed as JSON."""
        return json.loads(self.data)


def encode_event(data: Any, event: str | None = None) -> bytes:
    """Encode one event the way the providers write it: compact JSON, raw UTF-8.

    A `str` is written as-is (for `[DONE]` or deliberately odd data); any other
    value is JSON-encoded without spaces, as Anthropic and OpenAI send it.
    """
    head = f"event: {event}\n" if event is not None else ""
    if not isinstance(data, str):
        # Compact JSON never holds a raw newline: one data line.
        return f"{head}data: {_JSON.encode(data)}\n\n".encode()
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return (head + lines + "\n").encode("utf-8")


_LINE_END = re.compile(rb"\r\n|\r|\n")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class SSEDecoder:
    """Turn bytes into events, however the bytes are cut.

    Call `decode(chunk)` for each chunk read and `flush()` at the end of the body;
    both return the events completed so far. An event not closed by a blank line
    when the body ends is dropped, as the SDKs drop it.
    """

    def __init__(self) -> None:
        self._bytes = b""
        self._pending_cr = False
        self._started = False
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None

    def decode(self, chunk: bytes) -> list[ServerSentEvent]:
        """Feed a chunk; return the events it completes."""
        self._bytes += chunk
        events: list[ServerSentEvent] = []
        for line in self._take_lines():
            event = self._feed_line(line)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of body: a final unterminated line is processed, an undispatched event dropped."""
        events: list[ServerSentEvent] = []
        if self._bytes:
            rest, self._bytes = self._bytes, b""
            event = self._feed_line(rest.decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        self._event, self._data, self._id, self._retry = None, [], None, None
        return events

    def _take_lines(self) -> list[str]:
        buf = self._bytes
        if self._pending_cr and buf.startswith(b"\n"):
            buf = buf[1:]  # the LF of a CRLF that was cut between two chunks
        self._pending_cr = False
        lines: list[str] = []
        start = 0
        for end in _LINE_END.finditer(buf):  # a C scan: most chunks hold a few long lines
            lines.append(buf[start : end.start()].decode("utf-8", errors="replace"))
            start = end.end()
        if start and buf[start - 1] == 0x0D and start == len(buf):
            self._pending_cr = True  # a CR at the very end: its LF may come next
        self._bytes = buf[start:]
        return lines

    def _feed_line(self, line: str) -> ServerSentEvent | None:
        if not self._started:
            self._started = True
            line = line.removeprefix("\ufeff")
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self._id = value
        elif field == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            # No data line, no event (WHATWG "dispatch the event", step 2): a blank line
            # after a comment, or an `id:`/`retry:`-only block, dispatches nothing.
            self._event, self._retry = None, None
            return None
        event = ServerSentEvent(
            data="\n".join(self._data), event=self._event, id=self._id, retry=self._retry
        )
        self._event, self._data, self._retry = None, [], None
        return event


def split_events(body: bytes) -> list[bytes]:
    """Cut a raw SSE body into per-event byte slices whose concatenation is `body`.

    Each slice ends just after the blank line that dispatches an event (any line
    ending); trailing bytes without one form the last slice. Used to replay
    captured bodies byte for byte, one event per write.
    """
    slices: list[bytes] = []
    start = 0
    i = 0
    line_empty = True
    n = len(body)
    while i < n:
        byte = body[i]
        if byte in (0x0A, 0x0D):
            end = i + 2 if byte == 0x0D and i + 1 < n and body[i + 1] == 0x0A else i + 1
            if line_empty and i > start:
                slices.append(body[start:end])
                start = end
            line_empty = True
            i = end
            continue
        line_empty = False
        i += 1
    if start < n:
        slices.append(body[start:])
    return slices
