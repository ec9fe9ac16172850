"""Streamed bodies that are not SSE: a JSON array written element by element (Gemini
without `alt=sse`), and a decoder that takes either kind, telling them apart by the
first byte that is not whitespace (`[`: a JSON array, anything else: SSE).

Both decoders return `ServerSentEvent`s (an array element is an event with its
JSON text as `data`), so every reader of a stream handles both alike.
"""

from __future__ import annotations

from .sse import ServerSentEvent, SSEDecoder

__all__ = ["JSONArrayDecoder", "StreamDecoder", "decode_stream", "split_array"]

_SPACE = b" \t\r\n"


class JSONArrayDecoder:
    """Elements of a JSON array, each returned once its last byte has arrived.

    Call `decode(chunk)` per chunk and `flush()` at the end; an element cut off by
    the end of the body is dropped, as a client parsing elements would drop it.
    """

    def __init__(self) -> None:
        self._element = bytearray()
        self._depth = 0  # nesting inside the array (the array itself not counted)
        self._opened = False
        self._in_string = False
        self._escaped = False

    def decode(self, chunk: bytes) -> list[ServerSentEvent]:
        found: list[ServerSentEvent] = []
        for byte in chunk:
            self._feed(byte, found)
        return found

    def flush(self) -> list[ServerSentEvent]:
        self._element.clear()
        return []

    def _feed(self, byte: int, found: list[ServerSentEvent]) -> None:
        if not self._opened:
            self._opened = byte == ord("[")
            return
        if self._depth == 0 and not self._in_string and (byte in b",]" or byte in _SPACE):
            self._emit_scalar(found)
            return
        self._element.append(byte)
        if self._in_string:
            if self._escaped:
                self._escaped = False
            elif byte == ord("\\"):
                self._escaped = True
            elif byte == ord('"'):
                self._in_string = False
                if self._depth == 0:
                    self._emit(found)
            return
        if byte == ord('"'):
            self._in_string = True
        elif byte in b"{[":
            self._depth += 1
        elif byte in b"}]":
            self._depth -= 1
            if self._depth == 0:
                self._emit(found)

    def _emit_scalar(self, found: list[ServerSentEvent]) -> None:
        if self._element:
            self._emit(found)

    def _emit(self, found: list[ServerSentEvent]) -> None:
        found.append(ServerSentEvent(data=self._element.decode("utf-8", errors="replace")))
        self._element.clear()


class StreamDecoder:
    """Decode a streamed body of either kind: SSE, or a JSON array (sniffed from its start)."""

    def __init__(self) -> None:
        self._inner: SSEDecoder | JSONArrayDecoder | None = None
        self._head = b""

    def decode(self, chunk: bytes) -> list[ServerSentEvent]:
        if self._inner is None:
            self._head += chunk
            start = self._head.lstrip(_SPACE).removeprefix(b"\xef\xbb\xbf")
            if not start:
                return []
            self._inner = JSONArrayDecoder() if start.startswith(b"[") else SSEDecoder()
            chunk, self._head = self._head, b""
        return self._inner.decode(chunk)

    def flush(self) -> list[ServerSentEvent]:
        if self._inner is None:
            return []
        return self._inner.flush()


def decode_stream(body: bytes) -> list[ServerSentEvent]:
    """Every event (or array element) of a whole streamed body."""
    decoder = StreamDecoder()
    return [*decoder.decode(body), *decoder.flush()]


def split_array(body: bytes) -> list[bytes]:
    """Cut a streamed JSON array into per-element slices whose concatenation is `body`:
    each slice ends with an element's last byte; the closing `]` (and anything after
    the last element) is the last slice. Used to replay a recorded array write by write."""
    decoder = JSONArrayDecoder()
    slices: list[bytes] = []
    start = 0
    for end in range(len(body)):
        if decoder.decode(body[end : end + 1]):
            slices.append(body[start : end + 1])
            start = end + 1
    if start < len(body):
        slices.append(body[start:])
    return slices
