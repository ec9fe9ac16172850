"""Example client: a small streaming agent loop on Anthropic, Chat Completions or Responses.

Each turn is streamed; the tools it calls are run and their results sent back with the
whole history (or, on Responses, with `previous_response_id`), until the model stops
calling tools. A turn cut by a mid-stream error is retried with the same history; a
turn the user cancels is dropped from the history. `broken` switches on one of the
bugs real loops have, so the checks can be shown to catch them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai

BROKEN = ("drop_thinking", "wrong_id", "keep_partial", "rerun_tools")
TOOLS = {
    "get_weather": "The weather in a city.",
    "get_time": "The local time in a city.",
}
_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}


class Cancelled(Exception):
    """The user stopped the reply (Ctrl+C in a real UI)."""


class StreamFailed(Exception):
    """The stream broke off with an error event; the turn may be retried."""


@dataclass
class Turn:
    text: str = ""
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # id, name, input
    history_items: list[Any] = field(default_factory=list)  # what goes back into the history
    response_id: str | None = None


class AgentLoop:
    def __init__(
        self,
        client: Any,
        provider: str,
        tools: dict[str, Callable[[dict[str, Any]], str]],
        *,
        broken: str | None = None,
        retries: int = 2,
        previous_response_id: bool = False,
        thinking: bool = False,
        max_turns: int = 8,
    ) -> None:
        assert provider in ("anthropic", "chat", "responses") and broken in (None, *BROKEN)
        self.client, self.provider, self.tools = client, provider, tools
        self.broken, self.retries, self.max_turns = broken, retries, max_turns
        self.chain = previous_response_id
        self.thinking = thinking
        self.history: list[Any] = []
        self.pending: list[Any] = []  # Responses with previous_response_id: the new items
        self.last_response: str | None = None
        self.ran: list[tuple[str, dict[str, Any]]] = []  # every tool run, in order
        self.cancel_after: int | None = None  # text deltas before the user cancels
        self.whole_turns: set[int] = set()  # turns asked for with stream: false
        self.last_calls: list[tuple[str, str, dict[str, Any]]] = []
        self.turns = 0

    # The loop ---------------------------------------------------------------

    def ask(self, prompt: str) -> str:
        """One user question, run to the model's final answer (or a cancel)."""
        self._add(self._user(prompt))
        for _ in range(self.max_turns):
            try:
                turn = self._turn_with_retries()
            except Cancelled as cancel:
                return str(cancel)
            self._add_turn(turn)
            if not turn.calls:
                return turn.text
            for call_id, name, arguments in turn.calls:
                self._run_tool(call_id, name, arguments)
        raise RuntimeError(f"no final answer in {self.max_turns} turns")

    def _turn_with_retries(self) -> Turn:
        for attempt in range(self.retries + 1):
            try:
                return self._stream_turn()
            except StreamFailed:
                if attempt == self.retries:
                    raise
                if self.broken == "rerun_tools":  # the bug: the retry re-runs the last tools
                    for call_id, name, arguments in self.last_calls:
                        self._run_tool(call_id, name, arguments)
        raise AssertionError("unreachable")

    def _run_tool(self, call_id: str, name: str, arguments: dict[str, Any]) -> None:
        output = self.tools[name](arguments)
        self.ran.append((name, arguments))
        if self.broken == "wrong_id":
            call_id = call_id[:-4] + "XXXX"
        self._add_result(call_id, name, output)

    # One streamed turn, per provider ------------------------------------------

    def _stream_turn(self) -> Turn:
        stream = {
            "anthropic": self._anthropic,
            "chat": self._chat,
            "responses": self._responses,
        }[self.provider]
        deltas = 0
        turn = Turn()
        events = stream(turn)
        try:
            for kind, value in events:
                if kind == "text":
                    turn.text += value
                    deltas += 1
                    if self.cancel_after is not None and deltas >= self.cancel_after:
                        self.cancel_after = None
                        self._cancel(turn)
        finally:
            events.close()  # closes the SDK stream, and with it the connection
        self.last_calls = turn.calls
        self.turns += 1
        return turn

    def _cancel(self, turn: Turn) -> None:
        if self.broken == "keep_partial":  # the bug: the partial reply stays in the history
            self._add_turn(Turn(text=turn.text, history_items=self._partial_items(turn.text)))
        raise Cancelled(turn.text)

    def _anthropic(self, turn: Turn) -> Iterator[tuple[str, Any]]:
        request: dict[str, Any] = {
            "model": "claude-test",
            "max_tokens": 2048,
            "messages": self.history,
            "tools": [
                {"name": n, "description": d, "input_schema": _SCHEMA} for n, d in TOOLS.items()
            ],
        }
        if self.thinking:
            request["thinking"] = {"type": "enabled", "budget_tokens": 1024}
        try:
            if self.turns + 1 in self.whole_turns:
                message = self.client.messages.create(**request)
                yield "text", "".join(b.text for b in message.content if b.type == "text")
            else:
                with self.client.messages.stream(**request) as stream:
                    for event in stream:
                        if event.type == "text":
                            yield "text", event.text
                    message = stream.get_final_message()
        except anthropic.APIStatusError as error:
            if isinstance(error, anthropic.BadRequestError):
                raise
            raise StreamFailed(str(error)) from error
        blocks = [block.model_dump(exclude_none=True) for block in message.content]
        if self.broken == "drop_thinking":
            blocks = [b for b in blocks if b["type"] != "thinking"]
        turn.history_items = [{"role": "assistant", "content": blocks}]
        turn.calls = [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]

    def _chat(self, turn: Turn) -> Iterator[tuple[str, Any]]:
        request: dict[str, Any] = {
            "model": "gpt-test",
            "messages": self.history,
            "tools": [
                {
                    "type": "function",
                    "function": {"name": n, "description": d, "parameters": _SCHEMA},
                }
                for n, d in TOOLS.items()
            ],
        }
        try:
            if self.turns + 1 in self.whole_turns:
                completion = self.client.chat.completions.create(**request)
                yield "text", completion.choices[0].message.content or ""
            else:
                with self.client.chat.completions.stream(**request) as stream:
                    for event in stream:
                        if event.type == "content.delta":
                            yield "text", event.delta
                    completion = stream.get_final_completion()
        except openai.APIError as error:
            if isinstance(error, openai.BadRequestError):
                raise
            raise StreamFailed(str(error)) from error
        message = completion.choices[0].message
        calls = message.tool_calls or []
        item: dict[str, Any] = {"role": "assistant", "content": message.content}
        if calls:
            item["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in calls
            ]
        turn.history_items = [item]
        turn.calls = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls]

    def _responses(self, turn: Turn) -> Iterator[tuple[str, Any]]:
        chained = self.chain and self.last_response is not None
        given = self.pending if chained else self.history
        extra = {"previous_response_id": self.last_response} if chained else {}
        request: dict[str, Any] = {
            "model": "gpt-test",
            "input": given,
            "tools": [
                {"type": "function", "name": n, "description": d, "parameters": _SCHEMA}
                for n, d in TOOLS.items()
            ],
            **extra,
        }
        try:
            if self.turns + 1 in self.whole_turns:
                response = self.client.responses.create(**request)
                yield "text", response.output_text
            else:
                # The raw event stream: closing it closes the connection at once.
                with self.client.responses.create(**request, stream=True) as stream:
                    for event in stream:
                        if event.type == "response.output_text.delta":
                            yield "text", event.delta
                        elif event.type in ("response.failed", "error"):
                            raise StreamFailed(event.type)
                        elif event.type == "response.completed":
                            response = event.response
        except openai.APIError as error:
            if isinstance(error, openai.BadRequestError):
                raise
            raise StreamFailed(str(error)) from error
        turn.response_id = response.id
        turn.history_items = [item.model_dump(exclude_none=True) for item in response.output]
        turn.calls = [
            (i.call_id, i.name, json.loads(i.arguments))
            for i in response.output
            if i.type == "function_call"
        ]

    # The history, per provider --------------------------------------------------

    def _user(self, prompt: str) -> Any:
        return {"role": "user", "content": prompt}

    def _add(self, item: Any) -> None:
        self.history.append(item)
        self.pending.append(item)

    def _add_turn(self, turn: Turn) -> None:
        self.history.extend(turn.history_items)
        if turn.response_id is not None:
            self.last_response, self.pending = turn.response_id, []

    def _add_result(self, call_id: str, name: str, output: str) -> None:
        if self.provider == "anthropic":
            result = {"type": "tool_result", "tool_use_id": call_id, "content": output}
            last = self.history[-1]
            if last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(result)  # parallel results share one user message
            else:
                self.history.append({"role": "user", "content": [result]})
        elif self.provider == "chat":
            self.history.append({"role": "tool", "tool_call_id": call_id, "content": output})
        else:
            self._add({"type": "function_call_output", "call_id": call_id, "output": output})

    def _partial_items(self, text: str) -> list[Any]:
        return [{"role": "assistant", "content": text}]
