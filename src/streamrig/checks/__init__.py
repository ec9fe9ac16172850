"""Checks that judge a streaming client against what the server sent.

Each function takes the server (or its journal) first; `Checks` binds one server so
tests can write `streamrig.check.accumulated(message)`. A failing check raises
`CheckFailed` (an AssertionError) whose message says what was expected, what the
client produced, and where they part.
"""

from __future__ import annotations

from typing import Any

from .._errors import CheckFailed
from ..probe import Probe
from ._accumulated import UNSET, Adapter, accumulated
from ._cancelled import Cancellation, cancelled
from ._conversation import Conversation, conversation
from ._neutral import Accumulated, ToolCall, neutral
from ._pairing import Paired, pair
from ._recovered import Recovery, recovered
from ._sent import JournalSource, last_stream, sent_events, sent_message
from ._timing import Timing, timing
from ._usage import Usage, usage

__all__ = [
    "Accumulated",
    "Cancellation",
    "CheckFailed",
    "Checks",
    "Conversation",
    "Paired",
    "Recovery",
    "Timing",
    "ToolCall",
    "Usage",
    "accumulated",
    "cancelled",
    "conversation",
    "last_stream",
    "neutral",
    "pair",
    "recovered",
    "sent_events",
    "sent_message",
    "timing",
    "usage",
]


class Checks:
    """The checks, bound to one server's journal (`streamrig.check` in pytest)."""

    def __init__(self, source: JournalSource) -> None:
        self._source = source

    def accumulated(
        self, produced: Any = None, *, adapter: Adapter | None = None, **fields: Any
    ) -> Accumulated:
        """Text, tool calls, thinking, refusal, stop reason: as the server sent them."""
        __tracebackhide__ = True
        return accumulated(self._source, produced, adapter=adapter, **fields)

    def usage(self, produced: Any = None, **counts: Any) -> Usage:
        """Token usage read from where the provider reports it."""
        __tracebackhide__ = True
        return usage(self._source, produced, **counts)

    def cancelled(
        self, *, at: float | None = None, probe: Probe[Any] | None = None, within_ms: float = 100.0
    ) -> Cancellation:
        """The server saw the client close before the stream's end and wrote nothing after;
        given `at=` or `probe=`, within `within_ms` of the cancel."""
        __tracebackhide__ = True
        return cancelled(self._source, at=at, probe=probe, within_ms=within_ms)

    def conversation(self, *, partial: str | None = None) -> Conversation:
        """Each follow-up carries every streamed turn exactly and answers every tool call;
        an abandoned turn is dropped (`partial="drop"`), kept (`"keep"`) or not judged."""
        __tracebackhide__ = True
        return conversation(self._source, partial=partial)

    def timing(self, probe: Probe[Any], **budgets: Any) -> Timing:
        """TTFT, gaps, chunks/s and per-chunk overhead (chunks paired with the server's
        events by content) against budgets (ms)."""
        __tracebackhide__ = True
        return timing(self._source, probe, **budgets)

    def recovered(
        self,
        *,
        result: Any = UNSET,
        error: Any = UNSET,
        max_attempts: int = 3,
        min_backoff_ms: float = 50.0,
    ) -> Recovery:
        """Retries honoured the server; failures surfaced as errors."""
        __tracebackhide__ = True
        return recovered(
            self._source,
            result=result,
            error=error,
            max_attempts=max_attempts,
            min_backoff_ms=min_backoff_ms,
        )
