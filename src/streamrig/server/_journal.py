"""The journal: the public record of every request the server answered, and how it went."""

from __future__ import annotations

import bisect
import enum
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from .._secrets import REDACTED, SecretText, is_secret_name

__all__ = [
    "FrameLog",
    "FrameRecord",
    "Journal",
    "JournalEntry",
    "Outcome",
    "credentials_of",
    "entry_size",
    "redact_headers",
    "settle",
]


class Outcome(str, enum.Enum):
    """How a request ended."""

    PENDING = "pending"  # still being answered
    COMPLETED = "completed"
    RESET = "reset"  # the server aborted the connection mid-stream (a fault)
    TRUNCATED = "truncated"  # the server ended the body cleanly mid-stream (a fault)
    STALLED = "stalled"  # the server held the stream silent and the client left
    ERROR_EVENT = "error_event"  # the provider's own error event, then the end (a fault)
    HTTP_ERROR = "http_error"  # answered with an error status before any stream
    CLIENT_CLOSED = "client_closed"  # the client went away before the end


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One write to the socket: when it was due, when it went, how many bytes."""

    index: int
    scheduled_s: float
    sent_s: float
    size: int


class FrameLog:
    """The frames of one stream as three parallel lists: cheap to append while playing
    (a write of several frames adds slices), read as `FrameRecord`s."""

    __slots__ = ("scheduled_s", "sent_s", "sizes")

    def __init__(self) -> None:
        self.scheduled_s: list[float] = []
        self.sent_s: list[float] = []
        self.sizes: list[int] = []

    def add(self, scheduled_s: Sequence[float], sent_s: float, sizes: Sequence[int]) -> None:
        """Frames written together at `sent_s`, each with its due time and size."""
        self.scheduled_s.extend(scheduled_s)
        self.sent_s.extend([sent_s] * len(sizes))
        self.sizes.extend(sizes)

    def records(self) -> list[FrameRecord]:
        return [
            FrameRecord(index, scheduled, sent, size)
            for index, (scheduled, sent, size) in enumerate(
                zip(self.scheduled_s, self.sent_s, self.sizes, strict=True)
            )
        ]

    def dicts(self) -> list[dict[str, Any]]:
        """`records()` as JSON-ready dicts, made without a FrameRecord each (the journal's
        JSON of long streams: far fewer objects, so far less garbage collection)."""
        return [
            {"index": index, "scheduled_s": scheduled, "sent_s": sent, "size": size}
            for index, (scheduled, sent, size) in enumerate(
                zip(self.scheduled_s, self.sent_s, self.sizes, strict=True)
            )
        ]

    def __len__(self) -> int:
        return len(self.sizes)


@dataclass(slots=True)
class JournalEntry:
    """One request. Filled in by the server as the answer goes out; read it, don't change it."""

    id: int
    time: float  # arrival, seconds since the epoch
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    scenario: str | None = None
    provider: str | None = None
    attempt: int = 1  # try number of this request (same scenario and body)
    turn: int = 1  # the conversation turn: assistant turns in the request's history, plus one
    stream: bool = False
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    outcome: Outcome = Outcome.PENDING
    error: str | None = None
    log: FrameLog = field(default_factory=FrameLog, repr=False)  # read it as `frames`
    faults: list[str] = field(default_factory=list)  # the faults that struck, and where
    started_at: float | None = None  # the stream's start, seconds since the epoch
    closed_at_frame: int | None = None  # client left: index of the frame not yet written
    closed_at_s: float | None = None  # client left: seconds since the stream started
    # client left: while its body was being read ("request"), before the response
    # headers went out ("headers"), or mid-body ("stream")
    closed_during: str | None = None
    bytes_sent: int = 0
    request_bytes: int = 0  # size of the request body as it arrived
    sent: bytearray = field(default_factory=bytearray, repr=False)  # the body as written
    ended_at: float | None = None  # when the server finished with it, seconds since the epoch

    @property
    def frames(self) -> list[FrameRecord]:
        """Every write's frames: when each was due, when it went, how many bytes."""
        return self.log.records()

    @frames.setter
    def frames(self, records: Sequence[FrameRecord]) -> None:
        self.log = FrameLog()
        for record in records:
            self.log.add([record.scheduled_s], record.sent_s, [record.size])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the raw `sent` bytes are left out (see `bytes_sent`)."""
        skip = ("sent", "log")
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in skip}
        data["frames"] = self.log.dicts()
        data["outcome"] = self.outcome.value
        return data

    @property
    def done(self) -> bool:
        """Whether the server has finished with this request."""
        return self.outcome is not Outcome.PENDING


def credentials_of(headers: Mapping[str, str]) -> list[str]:
    """The values of the credential headers: hunted in the journaled body too."""
    return [value for name, value in headers.items() if _secret_header(name)]


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with every credential replaced, so secrets never reach a journal or log;
    a credential repeated in another header's value is hunted there too."""
    clean = {
        name.lower(): REDACTED if _secret_header(name) else value for name, value in headers.items()
    }
    hunt = SecretText(formats=False)
    for value in credentials_of(headers):
        hunt.learn(value)
    if hunt.values:
        for name, value in clean.items():
            if value != REDACTED and any(part in value or "%" in value for part in hunt.values):
                clean[name] = hunt.text(value)
    return clean


# Clients send the same few header names on every request: judged once each.
_secret_header = functools.lru_cache(maxsize=1024)(is_secret_name)


class Journal:
    """Thread-safe list of entries, appended by the server thread and read from tests.

    `limit` keeps at most that many entries, `max_bytes` at most about that many
    bytes of them (request bodies, bytes sent, frame records); the oldest go first.
    None: no bound.
    """

    def __init__(self, limit: int | None = None, max_bytes: int | None = None) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()
        self._next_id = 1
        self.limit = limit
        self.max_bytes = max_bytes
        self._sizes: dict[int, int] = {}  # entry id -> its size when last measured
        self._live: list[JournalEntry] = []  # entries still growing (measured again)
        self._bytes = 0
        self._unmeasured = 0  # opens since the live entries were last measured
        self.finished = 0  # entries the server is done with, ever (clear() keeps it)
        # Called as each entry opens and as it finishes (on the server's thread), and with
        # None when the journal is cleared (on the caller's): the live page.
        self._watchers: tuple[Callable[[JournalEntry | None], None], ...] = ()

    def watch(self, callback: Callable[[JournalEntry | None], None]) -> Callable[[], None]:
        """Call `callback(entry)` as each entry opens and finishes, `callback(None)` when the
        journal is cleared; returns the call that stops it."""
        self._watchers = (*self._watchers, callback)

        def unwatch() -> None:
            self._watchers = tuple(w for w in self._watchers if w is not callback)

        return unwatch

    def finish(self, entry: JournalEntry) -> None:
        """The server is done with `entry`: note when, and tell the watchers."""
        entry.ended_at = time.time()
        self.finished += 1
        for callback in self._watchers:
            callback(entry)

    @property
    def answering(self) -> int:
        """Requests opened and not yet finished: those the server is answering now."""
        return self._next_id - 1 - self.finished

    def open(self, **fields: Any) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(id=self._next_id, **fields)
            self._next_id += 1
            self._entries.append(entry)
            if self.max_bytes is not None:
                self._live.append(entry)
            self._trim()
        for callback in self._watchers:
            callback(entry)
        return entry

    def _trim(self) -> None:
        """Drop the oldest entries past the count or byte cap (the newest always stays)."""
        if self.max_bytes is not None:
            self._measure()
        excess = 0
        if self.limit is not None:
            excess = max(0, len(self._entries) - self.limit)
        if self.max_bytes is not None:
            total = self._bytes - sum(self._sizes.get(e.id, 0) for e in self._entries[:excess])
            while total > self.max_bytes and excess < len(self._entries) - 1:
                total -= self._sizes.get(self._entries[excess].id, 0)
                excess += 1
        if excess:
            for gone in self._entries[:excess]:
                self._bytes -= self._sizes.pop(gone.id, 0)
            del self._entries[:excess]
            first = self._entries[0].id
            self._live = [e for e in self._live if e.id >= first]

    def _measure(self) -> None:
        # Only entries still being answered change; a finished one is measured once more.
        # Re-measured every len(live) / 16 opens, not every open: with thousands of
        # streams playing, measuring all of them per arrival made arrivals quadratic.
        self._unmeasured += 1
        if self._unmeasured < len(self._live) // _MEASURE_EVERY_SHARE:
            return
        self._unmeasured = 0
        still = []
        for entry in self._live:
            size = entry_size(entry)
            self._bytes += size - self._sizes.get(entry.id, 0)
            self._sizes[entry.id] = size
            if not entry.done:
                still.append(entry)
        self._live = still

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._live.clear()
            self._bytes = 0
        for callback in self._watchers:
            callback(None)

    def page(self, since: int = 0, limit: int | None = None) -> tuple[list[JournalEntry], bool]:
        """Entries with an id above `since`, oldest first, at most `limit`; and whether more follow."""
        with self._lock:
            start = bisect.bisect_right(self._entries, since, key=lambda e: e.id)
            chosen = (
                self._entries[start:] if limit is None else self._entries[start : start + limit]
            )
            more = limit is not None and start + limit < len(self._entries)
        return chosen, more

    def last(self, wait: float = 1.0) -> JournalEntry:
        """The most recent entry, once the server has finished with it (a client can read
        the last byte a moment before the server records the end); waits at most `wait`
        seconds, so a stream still going is returned as it stands. LookupError if empty."""
        with self._lock:
            if not self._entries:
                raise LookupError("the journal is empty: no request reached the server")
            entry = self._entries[-1]
        settle([entry], wait)
        return entry

    def settled(self, wait: float = 1.0) -> list[JournalEntry]:
        """Every entry, after waiting (at most `wait` seconds) for the server to finish each."""
        entries = self.entries()
        settle(entries, wait)
        return entries

    def to_list(self) -> list[dict[str, Any]]:
        return [entry.to_dict() for entry in self.entries()]

    def __iter__(self) -> Iterator[JournalEntry]:
        """The entries, oldest first, each finished (as `settled()`)."""
        return iter(self.settled())

    @overload
    def __getitem__(self, index: int) -> JournalEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[JournalEntry]: ...
    def __getitem__(self, index: int | slice) -> JournalEntry | list[JournalEntry]:
        """`journal[-1]`, `journal[:2]`: entries as `settled()` gives them."""
        return self.settled()[index]

    def __eq__(self, other: object) -> bool:
        """Equal to a list of the same entries (`journal == []` reads as it did)."""
        if isinstance(other, list):
            return self.settled() == other
        return NotImplemented

    __hash__ = object.__hash__

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_MEASURE_EVERY_SHARE = 16
_ENTRY_OVERHEAD = 1024  # headers, fields, the entry itself
_FRAME_OVERHEAD = 128  # one FrameRecord and its floats


def entry_size(entry: JournalEntry) -> int:
    """About how many bytes an entry holds: what it kept of the request, what it sent."""
    return (
        _ENTRY_OVERHEAD + entry.request_bytes + len(entry.sent) + _FRAME_OVERHEAD * len(entry.log)
    )


def settle(entries: list[JournalEntry], seconds: float = 1.0) -> None:
    """Wait (at most `seconds`) until the server has finished with each entry."""
    deadline = time.monotonic() + seconds
    while any(not entry.done for entry in entries) and time.monotonic() < deadline:
        time.sleep(0.002)
