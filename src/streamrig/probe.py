"""probe(): note when each chunk of a stream reaches the client, by wrapping its iterator or by callback."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["Probe", "probe"]

T = TypeVar("T")


class Probe(Generic[T]):
    """Notes each chunk the client receives, and `time.time()` as it arrives.

    Two ways to feed it:

    - wrap the client's own stream (sync or async) and iterate the probe once,
      with `for` or `async for`, as you would the original;
    - without a source, call `probe.note(item)` (or the probe itself, so it can be
      passed as a callback: `on_token=probe`) where the client receives each chunk.

    Items are SDK events or chunks, or the text they carry (`text_stream`'s strings, a
    callback's buffered text): `check.timing` pairs them with the server's events by
    content. Attributes: `items` (what was noted, unless `keep_items=False`), `times`
    (when, epoch seconds), `last_time`, and `len(probe)`.
    """

    def __init__(
        self, source: Iterable[T] | AsyncIterable[T] | None = None, keep_items: bool = True
    ) -> None:
        self._source = source
        self._keep = keep_items
        self._lock = threading.Lock()
        self.items: list[T] = []
        self.times: list[float] = []

    def __iter__(self) -> Iterator[T]:
        if not isinstance(self._source, Iterable):
            raise TypeError(self._wrong("an async", "`async for`"))
        for item in self._source:
            self.note(item)
            yield item

    async def __aiter__(self) -> AsyncIterator[T]:
        if not isinstance(self._source, AsyncIterable):
            raise TypeError(self._wrong("a sync", "`for`"))
        async for item in self._source:
            self.note(item)
            yield item

    def note(self, item: T) -> None:
        """Note one chunk as received now (safe from any thread)."""
        now = time.time()
        with self._lock:
            self.times.append(now)
            if self._keep:
                self.items.append(item)

    def __call__(self, item: T) -> None:
        """The same as `note(item)`, so the probe itself can be a client's callback."""
        self.note(item)

    def _wrong(self, kind: str, how: str) -> str:
        if self._source is None:
            return "this probe wraps no stream: call probe.note(item) (or probe(item)) per chunk"
        return f"this probe wraps {kind} iterable: use {how}"

    @property
    def last_time(self) -> float | None:
        """When the last item arrived (epoch seconds), or None before the first."""
        return self.times[-1] if self.times else None

    def __len__(self) -> int:
        return len(self.times)


def probe(
    source: Iterable[T] | AsyncIterable[T] | None = None, *, keep_items: bool = True
) -> Probe[T]:
    """A probe for `check.timing`/`check.cancelled`: wrap a sync or async iterable of chunks,
    or give no source and note chunks with `probe.note(item)` / `on_token=probe`."""
    return Probe(source, keep_items)
