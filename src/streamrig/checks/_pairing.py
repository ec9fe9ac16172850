"""Pair what a probe saw with the events the server sent, by what each one carries.

A client's chunks are rarely one per event: an SDK skips pings, a stream helper
yields a raw event and then a `text` event for the same delta, a UI buffers
several deltas into one string. Counting cannot line them up; content can. Each
probe item is read as one of:

- the event itself (a raw SDK event, a chat chunk, a Responses event, a dict):
  the next event whose data it contains (Responses: the same `sequence_number`);
- a piece of text (a string, `text_stream`'s strings, a helper's `text`,
  `content.delta` or `input_json` event): the event where that text ends, read
  on from where the last item stopped, so split or buffered text pairs too;
- a note about the event just paired (`signature`, `content.done`, ...).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import UsageError
from ..probe import Probe
from ._neutral import to_mapping
from ._sent import Channel, SentEvent, carried

__all__ = ["Paired", "pair"]


@dataclass(frozen=True, slots=True)
class Paired:
    """Probe item `chunk` (received at `received_at`) carried server event `event` (sent at `sent_at`)."""

    chunk: int
    received_at: float
    event: int
    sent_at: float

    @property
    def overhead_ms(self) -> float:
        """From the server's write to the client's receipt, in ms."""
        return (self.received_at - self.sent_at) * 1000


# A stream helper's own events, and the field holding the text they carry.
_TEXT_FIELDS = {
    "text": "text",  # anthropic MessageStream
    "thinking": "thinking",
    "input_json": "partial_json",
    "content.delta": "delta",  # openai ChatCompletionStream
    "refusal.delta": "delta",
    "tool_calls.function.arguments.delta": "arguments_delta",
}
_NOTES = frozenset(
    {
        "signature",
        "citation",
        "content.done",
        "refusal.done",
        "tool_calls.function.arguments.done",
        "logprobs.content.delta",
        "logprobs.content.done",
        "logprobs.refusal.delta",
        "logprobs.refusal.done",
    }
)


def pair(probe: Probe[Any], events: Sequence[SentEvent]) -> list[Paired]:
    """One record per probe item that carries something, in the probe's order.

    Raises `UsageError` naming the first item that matches nothing the server sent
    after the item before it (or when the probe kept no items)."""
    if len(probe.items) != len(probe.times):
        raise UsageError(
            "streamrig: the probe kept no items (keep_items=False), so its chunks cannot be "
            "paired with the server's events; probe with keep_items=True"
        )
    paired = _Pairer(events).run(probe.items, probe.times)
    if probe.items and not paired:
        raise UsageError(
            f"streamrig: none of the probe's {len(probe.items)} chunk(s) carries anything to pair "
            "with the server's events (empty strings?)"
        )
    return paired


class _Pairer:
    def __init__(self, events: Sequence[SentEvent]) -> None:
        self.events = events
        self.carried = [carried(e.data) for e in events]
        self.pos = -1  # the event the last item paired with
        self.offset = 0  # how much of that event's text the items have covered

    def run(self, items: Sequence[Any], times: Sequence[float]) -> list[Paired]:
        paired = []
        for chunk, (item, received) in enumerate(zip(items, times)):
            index = self._place(chunk, item)
            if index is not None:
                paired.append(Paired(chunk, received, index, self.events[index].sent_at))
        return paired

    def _place(self, chunk: int, item: Any) -> int | None:
        if isinstance(item, str):
            return self._text(chunk, item) if item else None
        mapping = to_mapping(item)
        if mapping is None:
            raise UsageError(
                f"streamrig: cannot pair the probe's chunk {chunk}, a {type(item).__name__}, with "
                "the server's events: probe the SDK's events or chunks, or the text strings they carry"
            )
        kind = mapping.get("type")
        if kind == "chunk" and isinstance(mapping.get("chunk"), Mapping):
            mapping = mapping["chunk"]  # ChatCompletionStream wraps each raw chunk
        elif kind in _TEXT_FIELDS:
            text = mapping.get(_TEXT_FIELDS[kind])
            return self._text(chunk, text) if isinstance(text, str) and text else self._note()
        elif kind in _NOTES:
            return self._note()
        return self._whole(chunk, mapping)

    def _note(self) -> int | None:
        return self.pos if self.pos >= 0 else None

    def _whole(self, chunk: int, item: Mapping[str, Any]) -> int:
        sequence = item.get("sequence_number")
        for index in range(self.pos + 1, len(self.events)):
            data = self.events[index].data
            if not isinstance(data, Mapping):
                continue
            if (
                data.get("sequence_number") == sequence and data.get("type") == item.get("type")
                if sequence is not None
                else _contains(_kept(item), _kept(data))
            ):
                self.pos, self.offset = index, 0
                return index
        raise self._unpaired(chunk, _describe(item))

    def _text(self, chunk: int, text: str) -> int:
        for start, offset in self._starts():
            end = self._consume(start, offset, text)
            if end is not None:
                self.pos, self.offset = end
                return self.pos
        raise self._unpaired(chunk, f"the text {_short(text)}")

    def _starts(self) -> Iterator[tuple[int, int]]:
        """Where a piece of text may begin: inside the last event, else at any later one."""
        if self.pos >= 0 and self.offset < len(self._piece(self.pos)):
            yield self.pos, self.offset
        for index in range(self.pos + 1, len(self.events)):
            if self._piece(index):
                yield index, 0

    def _consume(self, index: int, offset: int, text: str) -> tuple[int, int] | None:
        """Where `text` ends when read from `index` at `offset` on, along one channel."""
        found = self.carried[index]
        assert found is not None  # a start always carries text
        channel = found[0]
        while True:
            piece = self._piece(index)[offset:]
            if len(text) <= len(piece):
                return (index, offset + len(text)) if piece.startswith(text) else None
            if not text.startswith(piece):
                return None
            text = text[len(piece) :]
            following = self._next_on(channel, index)
            if following is None:
                return None
            index, offset = following, 0

    def _next_on(self, channel: Channel, after: int) -> int | None:
        for index in range(after + 1, len(self.events)):
            found = self.carried[index]
            if found is not None and found[0] == channel and found[1]:
                return index
        return None

    def _piece(self, index: int) -> str:
        found = self.carried[index]
        return found[1] if found is not None else ""

    def _unpaired(self, chunk: int, what: str) -> UsageError:
        if self.pos < 0:
            where = "anywhere in what the server sent"
        else:
            where = f"after event {self.pos} ({_describe(self.events[self.pos].data)})"
        return UsageError(
            f"streamrig: the probe's chunk {chunk}, {what}, matches nothing the server sent {where} "
            f"({len(self.events)} event(s) in all). A probe must see one stream's own items, in "
            "order: SDK events or chunks, or the text they carry, unchanged"
        )


def _contains(item: Any, sent: Any) -> bool:
    """Whether the item holds everything the server sent (SDKs add fields, and nulls)."""
    if isinstance(sent, Mapping):
        return isinstance(item, Mapping) and all(
            value is None or (key in item and _contains(item[key], value))
            for key, value in sent.items()
        )
    if isinstance(sent, list):
        return (
            isinstance(item, list)
            and len(item) == len(sent)
            and all(_contains(a, b) for a, b in zip(item, sent))
        )
    return bool(item == sent)


def _kept(chunk: Any) -> Any:
    """What an SDK keeps of an event; google-genai drops the Gemini fields it does not
    know (e.g. `finishMessage`), so a Gemini chunk is compared on content and usage."""
    if not isinstance(chunk, Mapping) or "candidates" not in chunk:
        return chunk
    kept = [[c.get("content"), c.get("finishReason")] for c in chunk.get("candidates") or []]
    return {"candidates": kept, "usageMetadata": chunk.get("usageMetadata")}


def _describe(data: Any) -> str:
    if not isinstance(data, Mapping):
        return repr(data)
    found = carried(data)
    name = data.get("type") or data.get("object") or "event"
    return f"{name} {_short(found[1])}" if found else str(name)


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
