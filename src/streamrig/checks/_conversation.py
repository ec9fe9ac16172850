"""check.conversation: does each follow-up carry the conversation exactly as streamed?

Each request of the test is matched to the earlier request whose history is the
start of its own (the turn it continues). Where that turn was streamed to the end,
the follow-up must carry it as streamed (text; tool calls with the same ids, names
and inputs; Anthropic thinking blocks with their signatures, Gemini thoughtSignatures,
Responses reasoning items with their encrypted_content, when the turn called a tool) and answer every call of it, as its provider wants. Where the client abandoned
that turn (it hung up, or a fault cut it), `partial` says what is right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import CheckFailed, UsageError
from ..scenario import Provider
from ..server import JournalEntry, Outcome, settle
from ._diff import text_difference
from ._sent import JournalSource, journal_of, sent_message
from ._turns import (
    AnthropicView,
    Call,
    ResponsesView,
    TurnView,
    Unit,
    View,
    summary,
    view_of,
)

__all__ = ["PARTIAL_MODES", "Conversation", "conversation"]

PARTIAL_MODES = ("drop", "keep", None)


@dataclass(frozen=True, slots=True)
class Conversation:
    """What the check saw: requests judged, and how many continued a streamed turn."""

    requests: int
    follow_ups: int


@dataclass(slots=True)
class _Streamed:
    entry: JournalEntry
    turn: TurnView | None  # None: nothing could be read back (a cut before the first event)

    @property
    def completed(self) -> bool:
        return self.entry.outcome is Outcome.COMPLETED


@dataclass(slots=True)
class _Seen:
    """Streamed turns by (provider, history keys); Responses histories by response id."""

    turns: dict[tuple[Provider, tuple[str, ...]], list[_Streamed]] = field(default_factory=dict)
    responses: dict[str, list[Unit]] = field(default_factory=dict)


def conversation(source: JournalSource, *, partial: str | None = None) -> Conversation:
    """Judge every follow-up request of this test against the turns the server streamed.

    `partial`: what a follow-up does with a turn the client abandoned (cancelled, or cut
    by a fault): "drop" (leave it out, as most chat UIs must), "keep" (carry the part
    that came), or None (not judged).
    """
    __tracebackhide__ = True
    if partial not in PARTIAL_MODES:
        raise UsageError(f"check.conversation: partial={partial!r}; use 'drop', 'keep' or None")
    entries = [e for e in journal_of(source) if e.provider and isinstance(e.body, Mapping)]
    settle(entries)
    seen, reports, follow_ups = _Seen(), [], 0
    for entry in entries:
        provider = Provider(str(entry.provider))
        view = view_of(provider)
        units = _history(entry, view, seen)
        found = _judge(entry, units, view, seen, partial)
        if found is not None:
            follow_ups += 1
            if found[1]:
                reports.append(_report(entry, *found))
        if entry.status == 200:
            _remember(entry, provider, view, units, seen)
    if reports:
        raise CheckFailed(
            "streamrig: the client's follow-up requests do not carry the conversation as "
            "streamed\n" + "\n".join(reports)
        )
    return Conversation(requests=len(entries), follow_ups=follow_ups)


def _history(entry: JournalEntry, view: View, seen: _Seen) -> list[Unit]:
    """The request's whole history: what it sent, after what the server holds for it."""
    units = view.units(entry.body)
    previous = _previous_id(entry.body)
    if previous is not None and previous in seen.responses:
        return [*seen.responses[previous], *units]
    return units


def _previous_id(body: Mapping[str, Any]) -> str | None:
    """Responses `previous_response_id`, or an Anthropic thread's `previous_message_id`."""
    thread = body.get("thread")
    if isinstance(thread, Mapping) and thread.get("type") == "continue":
        named = thread.get("previous_message_id")
    else:
        named = body.get("previous_response_id")
    return named if isinstance(named, str) else None


def _remember(
    entry: JournalEntry, provider: Provider, view: View, units: list[Unit], seen: _Seen
) -> None:
    message = _message(entry)
    turn = view.streamed(message) if message is not None else None
    key = (provider, tuple(unit.key for unit in units))
    seen.turns.setdefault(key, []).append(_Streamed(entry, turn))
    # Responses, and Anthropic threads, can be continued by id: keep the history behind it.
    if message is None or not isinstance(message.get("id"), str):
        return
    label = f"the answer to request #{entry.id}, held by the server"
    if isinstance(view, ResponsesView) or (
        isinstance(view, AnthropicView) and isinstance(entry.body.get("thread"), Mapping)
    ):
        seen.responses[message["id"]] = [*units, *view.output_units(message, label)]


def _message(entry: JournalEntry) -> Mapping[str, Any] | None:
    try:
        return sent_message(entry)
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def _judge(
    entry: JournalEntry, units: list[Unit], view: View, seen: _Seen, partial: str | None
) -> tuple[_Streamed, list[str]] | None:
    """The streamed turn this request continues, and what is wrong with how it does."""
    provider = Provider(str(entry.provider))
    keys = [unit.key for unit in units]
    for at in range(len(units) - 1, -1, -1):
        candidates = seen.turns.get((provider, tuple(keys[:at])))
        if candidates:
            return candidates[-1], _continuation(units, at, view, candidates, partial)
    return None


def _continuation(
    units: list[Unit], at: int, view: View, candidates: list[_Streamed], partial: str | None
) -> list[str]:
    latest = candidates[-1]
    unit = units[at]
    if not unit.assistant:
        if not latest.completed:
            return _partial_left_out(unit, latest, partial)
        return [
            f"{unit.label}: expected the assistant turn streamed to request #{latest.entry.id} "
            f"({_describe(latest.turn)}), but the history has a {_role(unit)} {view.unit_name} "
            "here: the turn was left out"
        ]
    carried = view.carried(units, at)
    completed = [c for c in candidates if c.completed and c.turn is not None]
    for streamed in reversed(completed):
        assert streamed.turn is not None
        if not _turn_problems(streamed.turn, carried, unit.label):
            return view.answers(units, at + carried.span, streamed.turn.calls)
    if not latest.completed:
        return _partial_kept(unit, latest, carried, partial)
    expected = completed[-1].turn if completed else None
    if expected is None:
        return []
    problems = _turn_problems(expected, carried, unit.label)
    return problems + view.answers(units, at + carried.span, expected.calls)


def _partial_left_out(unit: Unit, streamed: _Streamed, partial: str | None) -> list[str]:
    if partial != "keep":
        return []
    return [
        f"{unit.label}: request #{streamed.entry.id} was abandoned ({_how(streamed.entry)}); "
        f"partial='keep' wants the part that came kept in the history, but it was left out "
        f"(here is a {_role(unit)} message)"
    ]


def _partial_kept(
    unit: Unit, streamed: _Streamed, carried: TurnView, partial: str | None
) -> list[str]:
    if partial is None:
        return []
    if partial == "drop":
        return [
            f"{unit.label}: request #{streamed.entry.id} was abandoned ({_how(streamed.entry)}); "
            f"partial='drop' wants the partial reply left out of the history, but the client "
            f"kept it: {summary(carried.text) if carried.text else _describe(carried)}"
        ]
    sent = streamed.turn.text if streamed.turn is not None else ""
    if not sent.startswith(carried.text):
        difference = text_difference(sent[: len(carried.text)], carried.text)
        return [f"{unit.label}: the kept partial reply is not what was streamed: {difference}"]
    return []


def _turn_problems(expected: TurnView, got: TurnView, label: str) -> list[str]:
    """How a carried turn differs from the streamed one (empty: it is carried exactly)."""
    problems = []
    difference = text_difference(expected.text, got.text)
    if difference is not None:
        problems.append(f"{label} (assistant): the text is not what was streamed: {difference}")
    problems += _call_problems(expected.calls, got.calls, label)
    needs_thinking = bool(expected.calls) or bool(got.thinking)
    if expected.thinking and needs_thinking and got.thinking != expected.thinking:
        problems.append(_thinking_problem(expected, got, label))
    elif expected.thinking and expected.calls and not got.thinking_first:
        problems.append(
            f"{label} (assistant): the thinking blocks come after a tool_use; they go first"
        )
    if expected.signed and (expected.calls or got.signed) and got.signed != expected.signed:
        problems.append(_signature_problem(expected, got, label))
    if expected.reasoning and expected.calls:
        problems += _reasoning_problems(expected, got, label)
    return problems


def _reasoning_problems(expected: TurnView, got: TurnView, label: str) -> list[str]:
    """Responses: a turn that called a function needs its reasoning items back (the API:
    "Item 'fc_...' of type 'function_call' was provided without its required 'reasoning'
    item"), with the encrypted_content streamed when there was one (stateless loops)."""
    have = dict(got.reasoning)
    problems = []
    for item_id, encrypted in expected.reasoning:
        if item_id not in have:
            problems.append(
                f"{label} (assistant): the reasoning item {item_id} is missing; the turn "
                "called a function, so the API needs its reasoning item back before the "
                "function_call (400 \"... of type 'function_call' was provided without its "
                "required 'reasoning' item\")"
            )
        elif encrypted is not None and have[item_id] != encrypted:
            carried = have[item_id]
            problems.append(
                f"{label} (assistant): the reasoning item {item_id} "
                + (
                    "lost its encrypted_content"
                    if carried is None
                    else "has another encrypted_content"
                )
                + "; a stateless loop (store: false) must send it back as streamed\n"
                f"      expected: encrypted_content {summary(encrypted)}\n"
                f"      got:      "
                + (f"encrypted_content {summary(carried)}" if carried else "none")
            )
    return problems


def _signature_problem(expected: TurnView, got: TurnView, label: str) -> str:
    """Gemini: a thoughtSignature left out or changed (Gemini 3 refuses a function call
    without its signature: 400 'Function call is missing a thought_signature')."""
    have = dict(got.signed)
    where, want = next(((w, s) for w, s in expected.signed if have.get(w) != s), expected.signed[0])
    what = "is missing" if where not in have else "is not the one streamed"
    reason = (
        "the turn called a function, so the API needs every signature back, on the part "
        "it came on (Gemini 3 refuses the request: 'Function call is missing a "
        "thought_signature in functionCall parts')"
        if expected.calls
        else "signatures that are sent back must be sent unchanged"
    )
    return (
        f"{label} (model): the thoughtSignature streamed on the {where} {what}; {reason}\n"
        f"      expected: {where} with thoughtSignature {summary(want)}\n"
        f"      got:      "
        + (
            f"{where} with thoughtSignature {summary(have[where])}"
            if where in have
            else f"{where} without a thoughtSignature"
        )
    )


def _call_problems(expected: Sequence[Call], got: Sequence[Call], label: str) -> list[str]:
    if list(expected) == list(got):
        return []
    for index, (want, have) in enumerate(zip(expected, got)):
        if want != have:
            what = "id" if want.id != have.id else ("name" if want.name != have.name else "input")
            return [
                f"{label} (assistant): tool call {index} has another {what} than was streamed\n"
                f"      expected: {want}\n      got:      {have}"
            ]
    missing = [f"missing: {call}" for call in expected[len(got) :]]
    extra = [f"extra:   {call}" for call in got[len(expected) :]]
    return [
        f"{label} (assistant): the tool calls are not the ones streamed: "
        + "; ".join(missing + extra)
    ]


def _thinking_problem(expected: TurnView, got: TurnView, label: str) -> str:
    want = expected.thinking[0]
    reason = (
        "the turn called a tool, so the API needs its thinking blocks, signatures included"
        if expected.calls
        else "thinking blocks that are sent back must be sent unchanged"
    )
    if not got.thinking:
        what = "the thinking block is missing"
    elif [s for _, s in got.thinking] != [s for _, s in expected.thinking]:
        what = "the thinking block's signature is not the one streamed"
    else:
        what = "the thinking block's text is not the one streamed"
    have = got.thinking[0] if got.thinking else None
    return (
        f"{label} (assistant): {what}; {reason}\n"
        f"      expected: thinking {summary(want[0])} with signature {summary(str(want[1]))}\n"
        f"      got:      "
        + (
            f"thinking {summary(have[0])} with signature {summary(str(have[1]))}"
            if have
            else "no thinking block"
        )
    )


def _report(entry: JournalEntry, continued: _Streamed, problems: list[str]) -> str:
    lines = "\n".join(f"    {problem}" for problem in problems)
    return (
        f"  request #{entry.id} (turn {entry.turn}, {entry.method} {entry.path}) continues "
        f"request #{continued.entry.id} (turn {continued.entry.turn}):\n{lines}"
    )


def _describe(turn: TurnView | None) -> str:
    if turn is None:
        return "nothing readable"
    parts = [f"text {summary(turn.text)}"] if turn.text else []
    parts += [f"tool call {call}" for call in turn.calls]
    if turn.thinking:
        parts.insert(0, f"{len(turn.thinking)} thinking block(s)")
    return ", ".join(parts) or "an empty reply"


def _how(entry: JournalEntry) -> str:
    return f"{entry.outcome.value} after {len(entry.frames)} frame(s)"


def _role(unit: Unit) -> str:
    raw = unit.raw
    return str(raw.get("role") or raw.get("type") or "?") if isinstance(raw, Mapping) else "?"
