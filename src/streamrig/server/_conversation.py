"""Conversations on the server: which turn a request is, and what the real API would refuse.

A request's turn comes from its own history (see providers/_history.py). The one
thing the server remembers is what a Responses `previous_response_id` (or an
Anthropic thread's `previous_message_id`) names: the answers it produced, their turn
and their tool calls, as the real API stores them. Nothing is counted per
conversation, so concurrent conversations never cross-fire and a re-run gets the
same answers.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..providers import (
    EncodeContext,
    History,
    HistoryRejected,
    ProviderRequest,
    WireFormat,
    history_problem,
)
from ..scenario import Provider, Scenario, ToolResult
from ._schedule import final_message

__all__ = ["ConversationMemory", "Remembered", "copy_rng", "error_fields"]


@dataclass(frozen=True, slots=True)
class Remembered:
    """A response the server produced: the turn it answered, its function calls (call_id ->
    name), and every call id of its conversation up to it."""

    turn: int
    calls: Mapping[str, str]
    known: frozenset[str]


class ConversationMemory:
    """The Responses this server produced, by id (the newest `limit`); safe across threads."""

    def __init__(self, limit: int = 10_000) -> None:
        self._by_id: OrderedDict[str, Remembered] = OrderedDict()
        self._lock = threading.Lock()
        self.limit = limit

    def clear(self) -> None:
        with self._lock:
            self._by_id.clear()

    def get(self, response_id: str) -> Remembered | None:
        with self._lock:
            return self._by_id.get(response_id)

    def put(self, response_id: str, remembered: Remembered) -> None:
        with self._lock:
            self._by_id[response_id] = remembered
            while len(self._by_id) > self.limit:
                self._by_id.popitem(last=False)

    def history(
        self, wire: WireFormat, parsed: ProviderRequest, body: Any, *, lenient: bool
    ) -> History:
        """The request's history with what only the server knows filled in; raises
        HistoryRejected for a follow-up the real API refuses (unless `lenient`)."""
        history = parsed.history
        previous = self._previous(history, lenient, wire.provider)
        if previous is not None:
            history = dataclasses.replace(
                history,
                turn=history.turn + previous.turn,
                tool_results=tuple(_named(r, previous.calls) for r in history.tool_results),
            )
        if not lenient and isinstance(body, Mapping):
            problem = history_problem(
                wire.provider,
                body,
                pending_calls=tuple(previous.calls) if previous else _unknown(history),
                known_calls=previous.known if previous else frozenset(),
            )
            if problem is not None:
                raise problem
        return history

    def _previous(self, history: History, lenient: bool, provider: Provider) -> Remembered | None:
        named = history.previous_id
        if named is None:
            return None
        remembered = self.get(named)
        # Only the Responses refusal is known word for word; an unknown thread goes on.
        if remembered is None and not lenient and provider is Provider.OPENAI_RESPONSES:
            raise HistoryRejected(
                f"Previous response with id '{named}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        return remembered

    @staticmethod
    def keeps(wire: WireFormat, body: Any) -> bool:
        """Whether `remember` keeps an answer to this request (so it needs a copied rng)."""
        threaded = isinstance(body, Mapping) and isinstance(body.get("thread"), Mapping)
        return wire.provider is Provider.OPENAI_RESPONSES or threaded

    def remember(
        self,
        scenario: Scenario,
        wire: WireFormat,
        ctx: EncodeContext,
        history: History,
        body: Any,
    ) -> None:
        """Keep a Responses answer (an Anthropic one asked for in a thread) for the requests
        that continue it. `ctx.rng` must be a copy taken before the answer was encoded, so
        the ids come out the same."""
        if not self.keeps(wire, body):
            return
        try:
            response = final_message(scenario, wire, ctx)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return  # an answer with no complete response (a bare error stream)
        response_id = response.get("id")
        if not isinstance(response_id, str):
            return
        calls = _calls(response)
        before = self.get(history.previous_id or "")
        given = body.get("input") if isinstance(body, Mapping) else None
        asked = {
            str(item.get("call_id"))
            for item in (given if isinstance(given, list) else [])
            if isinstance(item, Mapping) and item.get("type") == "function_call"
        }
        known = frozenset({*(before.known if before else ()), *asked, *calls})
        self.put(response_id, Remembered(history.turn, calls, known))


def _unknown(history: History) -> tuple[str, ...] | None:
    """No calls pending, or, for an answer this server never gave, unknown (None)."""
    return None if history.previous_id is not None else ()


def _calls(response: Mapping[str, Any]) -> dict[str, str]:
    """An answer's tool calls, call id -> tool name (Responses output or Anthropic content)."""
    items = [*(response.get("output") or []), *(response.get("content") or [])]
    return {
        str(item.get("call_id") or item.get("id")): str(item.get("name"))
        for item in items
        if isinstance(item, Mapping) and item.get("type") in ("function_call", "tool_use")
    }


def _named(result: ToolResult, calls: Mapping[str, str]) -> ToolResult:
    if result.name is not None or result.id not in calls:
        return result
    return dataclasses.replace(result, name=calls[result.id])


def copy_rng(rng: random.Random) -> random.Random:
    """A generator in the same state, so an answer can be encoded twice with the same ids."""
    twin = random.Random()
    twin.setstate(rng.getstate())
    return twin


def error_fields(body: dict[str, Any], error: Exception) -> dict[str, Any]:
    """An OpenAI error body with the `param` and `code` the real API gives for this error."""
    inner = body.get("error")
    if isinstance(error, HistoryRejected) and isinstance(inner, dict) and "param" in inner:
        inner["param"], inner["code"] = error.param, error.code
    return body
