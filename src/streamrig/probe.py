"""probe(): wrap a client's own stream iterator (sync or async) and time every item it yields."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["Probe", "probe"]

T = TypeVar("T")


class Probe(Generic[T]):
    """Yields what the wrapped iterable yields, noting `time.time()` as each item arrives.

    Iterate it once, with `for` or `async for`, as you would the original. `items`
    and `times` are filled as you go; hand the probe to `check.timing` or
    `check.cancelled` afterwards.
    """

    def __init__(self, source: Iterable[T] | AsyncIterable[T], keep_items: bool = True) -> None:
        self._source = source
        self._keep = keep_items
        self.items: list[T] = []
        self.times: list[float] = []

    def __iter__(self) -> Iterator[T]:
        if not isinstance(self._source, Iterable):
            raise TypeError("this probe wraps an async iterable: use `async for`")
        for item in self._source:
            self._note(item)
            yield item

    async def __aiter__(self) -> AsyncIterator[T]:
        if not isinstance(self._source, AsyncIterable):
            raise TypeError("this probe wraps a sync iterable: use `for`")
        async for item in self._source:
            self._note(item)
            yield item

    def _note(self, item: T) -> None:
        self.times.append(time.time())
        if self._keep:
            self.items.append(item)

    @property
    def last_time(self) -> float | None:
        """When the last item arrived (epoch seconds), or None before the first."""
        return self.times[-1] if self.times else None

    def __len__(self) -> int:
        return len(self.times)


def probe(source: Iterable[T] | AsyncIterable[T], *, keep_items: bool = True) -> Probe[T]:
    """Wrap a sync or async iterable of chunks so `check.timing` can judge it."""
    return Probe(source, keep_items)
