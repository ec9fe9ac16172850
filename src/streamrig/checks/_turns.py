"""Conversation histories as the conversation check reads them, one view per provider.

A request's history is a list of units (Anthropic and Chat: messages; Responses: input
items; Gemini: contents). Each unit has a key that ignores what clients may legitimately change between
requests (cache_control marks, string versus block content), so the history of one
request can be found as the start of another's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..providers._history import is_responses_output
from ..scenario import Provider

__all__ = [
    "AnthropicView",
    "Call",
    "GeminiView",
    "ResponsesView",
    "TurnView",
    "Unit",
    "View",
    "parse_arguments",
    "summary",
    "view_of",
]


@dataclass(frozen=True, slots=True)
class Call:
    id: str
    name: str
    input: Any

    def __str__(self) -> str:
        called = f"{self.name}({json.dumps(self.input, ensure_ascii=False)})"
        return f"{called} id {self.id}" if self.id else called


@dataclass(frozen=True, slots=True)
class TurnView:
    """An assistant turn: what it said, called and thought (thinking text and signature)."""

    text: str = ""
    calls: tuple[Call, ...] = ()
    thinking: tuple[tuple[str, str | None], ...] = ()
    span: int = 1  # how many units of a request it takes
    thinking_first: bool = True  # Anthropic: the thinking blocks come before any tool_use
    # Gemini: each thoughtSignature, and the part it rides on (`functionCall get_weather`)
    signed: tuple[tuple[str, str], ...] = ()
    # Responses: each reasoning item's id and encrypted_content (None: not asked for)
    reasoning: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Unit:
    label: str  # `message 3`, `input[2]`
    key: str
    assistant: bool
    raw: Any


class View(Protocol):
    unit_name: str

    def units(self, body: Mapping[str, Any]) -> list[Unit]: ...

    def streamed(self, message: Mapping[str, Any]) -> TurnView: ...

    def carried(self, units: Sequence[Unit], at: int) -> TurnView: ...

    def answers(self, units: Sequence[Unit], at: int, calls: Sequence[Call]) -> list[str]: ...


def _key(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """A unit without what may change between requests of one conversation."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if k not in ("cache_control", "status")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _blocks(content: Any, text_type: str = "text") -> list[Mapping[str, Any]]:
    if isinstance(content, str):
        return [{"type": text_type, "text": content}]
    return [b for b in content if isinstance(b, Mapping)] if isinstance(content, list) else []


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments as JSON when they parse, else the string as given."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return raw  # left as the string the client has, so the diff shows it


def summary(text: str) -> str:
    """A text shortened for a one-line message."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _message_units(
    body: Mapping[str, Any], keyed: Callable[[Mapping[str, Any]], Mapping[str, Any]]
) -> list[Unit]:
    """`messages` as units (Anthropic, Chat), keyed on what `keyed` keeps of each."""
    messages = body.get("messages")
    return [
        Unit(
            f"message {i}",
            _key({**keyed(m), "content": _blocks(m.get("content"))}),
            m.get("role") == "assistant",
            m,
        )
        for i, m in enumerate(messages if isinstance(messages, list) else [])
        if isinstance(m, Mapping)
    ]


class AnthropicView:
    unit_name = "message"

    def units(self, body: Mapping[str, Any]) -> list[Unit]:
        return _message_units(body, lambda m: {"role": m.get("role"), "content": m.get("content")})

    def streamed(self, message: Mapping[str, Any]) -> TurnView:
        return _anthropic_turn(_blocks(message.get("content")), 1)

    def output_units(self, message: Mapping[str, Any], label: str) -> list[Unit]:
        """A streamed message as the unit a full history would carry."""
        raw = {"role": "assistant", "content": list(message.get("content") or [])}
        return [
            Unit(label, _key({"role": "assistant", "content": _blocks(raw["content"])}), True, raw)
        ]

    def carried(self, units: Sequence[Unit], at: int) -> TurnView:
        span = 0
        blocks: list[Mapping[str, Any]] = []
        while at + span < len(units) and units[at + span].assistant:
            blocks.extend(_blocks(units[at + span].raw.get("content")))
            span += 1
        return _anthropic_turn(blocks, span)

    def answers(self, units: Sequence[Unit], at: int, calls: Sequence[Call]) -> list[str]:
        if at >= len(units) or not calls:
            return []
        unit = units[at]
        wanted = {call.id: call for call in calls}
        if unit.raw.get("role") != "user":
            return [
                f"{unit.label}: expected the tool results ({_ids(calls)}), got a {unit.raw.get('role')} message"
            ]
        problems: list[str] = []
        seen: list[str] = []
        text_at: int | None = None
        for position, block in enumerate(_blocks(unit.raw.get("content"))):
            if block.get("type") == "tool_result":
                answered = str(block.get("tool_use_id"))
                if text_at is not None:
                    problems.append(
                        f"{unit.label}: the tool_result for {answered} (block {position}) comes after "
                        f"text (block {text_at}); all results go first, before any text"
                    )
                if answered not in wanted:
                    problems.append(
                        f"{unit.label}: block {position} answers {answered}, which no tool_use of the "
                        f"turn before has (it called {_ids(calls)})"
                    )
                elif answered in seen:
                    problems.append(f"{unit.label}: {answered} is answered twice")
                seen.append(answered)
            elif text_at is None:
                text_at = position
        for call in calls:
            if call.id not in seen:
                later = _answered_later(units, at + 1, call.id)
                where = (
                    f"; it is answered in {later}: all results belong in the next message"
                    if later
                    else ""
                )
                problems.append(f"{unit.label}: no tool_result for {call}{where}")
        return problems


def _answered_later(units: Sequence[Unit], start: int, call_id: str) -> str | None:
    for unit in units[start:]:
        for block in _blocks(unit.raw.get("content")):
            if block.get("type") == "tool_result" and block.get("tool_use_id") == call_id:
                return unit.label
    return None


def _anthropic_turn(blocks: Sequence[Mapping[str, Any]], span: int) -> TurnView:
    first_call = next((i for i, b in enumerate(blocks) if b.get("type") == "tool_use"), len(blocks))
    thinking = [
        (i, (str(b.get("thinking") or ""), b.get("signature")))
        for i, b in enumerate(blocks)
        if b.get("type") == "thinking"
    ]
    return TurnView(
        text="".join(str(b.get("text") or "") for b in blocks if b.get("type") == "text"),
        calls=tuple(
            Call(str(b.get("id")), str(b.get("name")), b.get("input"))
            for b in blocks
            if b.get("type") == "tool_use"
        ),
        thinking=tuple(t for _, t in thinking),
        span=span,
        thinking_first=all(i < first_call for i, _ in thinking),
    )


class ChatView:
    unit_name = "message"

    def units(self, body: Mapping[str, Any]) -> list[Unit]:
        return _message_units(body, lambda m: m)

    def streamed(self, message: Mapping[str, Any]) -> TurnView:
        choices = message.get("choices") or [{}]
        return _chat_turn(choices[0].get("message") or {}, 1)

    def carried(self, units: Sequence[Unit], at: int) -> TurnView:
        return _chat_turn(units[at].raw, 1)

    def answers(self, units: Sequence[Unit], at: int, calls: Sequence[Call]) -> list[str]:
        wanted = {call.id for call in calls}
        problems, seen = [], []
        index = at
        while index < len(units) and units[index].raw.get("role") == "tool":
            unit = units[index]
            answered = str(unit.raw.get("tool_call_id"))
            if answered not in wanted:
                problems.append(
                    f"{unit.label}: a tool message for {answered}, which the assistant message before "
                    f"did not call (it called {_ids(calls) or 'nothing'})"
                )
            elif answered in seen:
                problems.append(f"{unit.label}: {answered} is answered twice")
            seen.append(answered)
            index += 1
        after = units[at - 1].label if at > 0 else "the start"
        for call in calls:
            if call.id not in seen:
                problems.append(
                    f"after {after}: no tool message for {call}; each tool_call_id needs its own "
                    "`tool` message right after the assistant message"
                )
        return problems


def _chat_turn(message: Mapping[str, Any], span: int) -> TurnView:
    content = message.get("content")
    text = "".join(str(b.get("text") or "") for b in _blocks(content)) if content else ""
    calls = tuple(
        Call(
            str(c.get("id")),
            str((c.get("function") or {}).get("name")),
            parse_arguments((c.get("function") or {}).get("arguments")),
        )
        for c in message.get("tool_calls") or []
        if isinstance(c, Mapping)
    )
    return TurnView(text=text, calls=calls, span=span)


class ResponsesView:
    unit_name = "input item"

    def units(self, body: Mapping[str, Any]) -> list[Unit]:
        given = body.get("input")
        if isinstance(given, str):
            given = [{"role": "user", "content": given}]
        return [self._unit(f"input[{i}]", item) for i, item in enumerate(given or [])]

    def _unit(self, label: str, item: Any) -> Unit:
        if not isinstance(item, Mapping):
            return Unit(label, _key(item), False, {})
        plain = {k: v for k, v in item.items() if k != "id"}
        if "content" in plain:
            plain["content"] = _blocks(plain["content"], "input_text")
            plain.setdefault("type", "message")
        return Unit(label, _key(plain), is_responses_output(item), item)

    def output_units(self, response: Mapping[str, Any], label: str) -> list[Unit]:
        """A streamed response's output items, as the units a full history would carry."""
        return [self._unit(label, item) for item in response.get("output") or []]

    def streamed(self, message: Mapping[str, Any]) -> TurnView:
        items = [i for i in message.get("output") or [] if isinstance(i, Mapping)]
        return _responses_turn(items, len(items))

    def carried(self, units: Sequence[Unit], at: int) -> TurnView:
        span = 0
        while at + span < len(units) and units[at + span].assistant:
            span += 1
        return _responses_turn([u.raw for u in units[at : at + span]], span)

    def answers(self, units: Sequence[Unit], at: int, calls: Sequence[Call]) -> list[str]:
        counts: dict[str, list[str]] = {}
        known = {str(u.raw.get("call_id")) for u in units if u.raw.get("type") == "function_call"}
        problems = []
        for unit in units[at:]:
            if unit.raw.get("type") == "function_call_output":
                answered = str(unit.raw.get("call_id"))
                counts.setdefault(answered, []).append(unit.label)
                if answered not in known and answered not in {c.id for c in calls}:
                    problems.append(
                        f"{unit.label}: a function_call_output for {answered}, which no "
                        f"function_call has (the turn called {_ids(calls) or 'nothing'})"
                    )
        problems += [
            f"no function_call_output for {call}; each call_id needs one"
            for call in calls
            if call.id not in counts
        ]
        problems += [
            f"{labels[1]}: {call.id} is answered twice (also {labels[0]})"
            for call in calls
            if len(labels := counts.get(call.id, [])) > 1
        ]
        return problems


def _responses_turn(items: Sequence[Mapping[str, Any]], span: int) -> TurnView:
    text = ""
    for item in items:
        if item.get("type", "message") == "message" and item.get("role") == "assistant":
            for part in _blocks(item.get("content"), "output_text"):
                text += str(part.get("text") or "")
    calls = tuple(
        Call(str(i.get("call_id")), str(i.get("name")), parse_arguments(i.get("arguments")))
        for i in items
        if i.get("type") == "function_call"
    )
    reasoning = tuple(
        (str(i.get("id")), i.get("encrypted_content"))
        for i in items
        if i.get("type") == "reasoning"
        or (i.get("type") == "item_reference" and str(i.get("id", "")).startswith("rs_"))
    )
    return TurnView(text=text, calls=calls, span=span, reasoning=reasoning)


class GeminiView:
    unit_name = "content"

    def units(self, body: Mapping[str, Any]) -> list[Unit]:
        contents = body.get("contents")
        return [
            Unit(
                f"contents[{i}]",
                _key({"role": c.get("role", "user"), "parts": c.get("parts") or []}),
                c.get("role") == "model",
                c,
            )
            for i, c in enumerate(contents if isinstance(contents, list) else [])
            if isinstance(c, Mapping)
        ]

    def streamed(self, message: Mapping[str, Any]) -> TurnView:
        candidate = (message.get("candidates") or [{}])[0]
        return _gemini_turn(_gemini_parts(candidate.get("content")), 1)

    def carried(self, units: Sequence[Unit], at: int) -> TurnView:
        span = 0
        parts: list[Mapping[str, Any]] = []
        while at + span < len(units) and units[at + span].assistant:
            parts.extend(_gemini_parts(units[at + span].raw))
            span += 1
        return _gemini_turn(parts, span)

    def answers(self, units: Sequence[Unit], at: int, calls: Sequence[Call]) -> list[str]:
        if not calls:
            return []
        unit = units[at] if at < len(units) else None
        given = [
            p["functionResponse"]
            for p in (_gemini_parts(unit.raw) if unit is not None else [])
            if isinstance(p.get("functionResponse"), Mapping)
        ]
        where = unit.label if unit is not None else "after the model turn"
        if not given:
            got = f"a {unit.raw.get('role', 'user')} content" if unit else "nothing"
            return [
                f"{where}: expected a user content with a functionResponse part for each "
                f"functionCall ({_names(calls)}), got {got} without one: the tool results "
                "were left out"
            ]
        problems, left = [], list(given)
        for call in calls:
            found = next((r for r in left if _answers(r, call)), None)
            if found is None:
                problems.append(f"{where}: no functionResponse for {call}")
            else:
                left.remove(found)
        problems += [
            f"{where}: a functionResponse for {r.get('name')!r}"
            + (f" id {r.get('id')}" if r.get("id") else "")
            + f", which the model turn before did not call (it called {_names(calls)})"
            for r in left
        ]
        if problems and len(given) != len(calls):
            problems.append(
                f"{where}: {len(given)} functionResponse part(s) for {len(calls)} functionCall "
                "part(s); Gemini wants one for each"
            )
        return problems


def _gemini_parts(content: Any) -> list[Mapping[str, Any]]:
    parts = content.get("parts") if isinstance(content, Mapping) else None
    return [p for p in parts if isinstance(p, Mapping)] if isinstance(parts, list) else []


def _answers(response: Mapping[str, Any], call: Call) -> bool:
    if call.id and response.get("id"):
        return str(response.get("id")) == call.id
    return str(response.get("name")) == call.name


def _gemini_turn(parts: Sequence[Mapping[str, Any]], span: int) -> TurnView:
    calls: list[Call] = []
    signed: list[tuple[str, str]] = []
    text = ""
    for part in parts:
        call = part.get("functionCall")
        if isinstance(call, Mapping):
            calls.append(
                Call(str(call.get("id") or ""), str(call.get("name")), call.get("args") or {})
            )
            where = f"functionCall {call.get('name')}"
        elif part.get("thought"):
            where = "thought part"
        else:
            text += str(part.get("text") or "")
            where = "text part"
        if part.get("thoughtSignature"):
            signed.append((where, str(part["thoughtSignature"])))
    return TurnView(text=text, calls=tuple(calls), span=span, signed=tuple(signed))


def _names(calls: Sequence[Call]) -> str:
    return ", ".join(str(call) for call in calls)


def _ids(calls: Sequence[Call]) -> str:
    return ", ".join(call.id for call in calls)


_VIEWS: dict[Provider, View] = {
    Provider.ANTHROPIC: AnthropicView(),
    Provider.OPENAI_CHAT: ChatView(),
    Provider.OPENAI_RESPONSES: ResponsesView(),
    Provider.GEMINI: GeminiView(),
}


def view_of(provider: Provider) -> View:
    return _VIEWS[provider]
