"""Example client: a callback-style stream manager over the Anthropic or OpenAI SDK.

Handlers get `on_start()`, `on_token(text)`, `on_complete(text, usage)` and
`on_error(error)`. Tokens are buffered and delivered `buffer_size` characters at
a time. `pause()` stops reading (the socket applies backpressure), `resume()`
goes on, `cancel()` closes the stream. This is the kind of code streamrig tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Handler(Protocol):
    def on_start(self) -> None: ...
    def on_token(self, text: str) -> None: ...
    def on_complete(self, text: str, usage: dict[str, int]) -> None: ...
    def on_error(self, error: BaseException) -> None: ...


@dataclass
class Recorder:
    """A handler that keeps everything it is told."""

    started: bool = False
    tokens: list[str] = field(default_factory=list)
    completed: tuple[str, dict[str, int]] | None = None
    errors: list[BaseException] = field(default_factory=list)

    def on_start(self) -> None:
        self.started = True

    def on_token(self, text: str) -> None:
        self.tokens.append(text)

    def on_complete(self, text: str, usage: dict[str, int]) -> None:
        self.completed = (text, usage)

    def on_error(self, error: BaseException) -> None:
        self.errors.append(error)


class StreamManager:
    def __init__(self, client: Any, provider: str, buffer_size: int = 1) -> None:
        self.client, self.provider, self.buffer_size = client, provider, buffer_size
        self.handlers: list[Handler] = []
        self._running = threading.Event()
        self._running.set()
        self._cancelled = False
        self._stream: Any = None

    def add_handler(self, handler: Handler) -> None:
        self.handlers.append(handler)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled = True
        self._running.set()

    def run(
        self, prompt: str, wrap: Callable[[Iterable[Any]], Iterable[Any]] = lambda events: events
    ) -> str:
        """Stream a reply to `prompt`; returns the text delivered. `wrap` sees the raw events."""
        self._emit("on_start")
        text, buffer, usage = "", "", {"input_tokens": 0, "output_tokens": 0}
        try:
            self._stream = self._open(prompt)
            for event in wrap(self._stream):
                self._running.wait()
                if self._cancelled:
                    break
                piece = self._text_of(event, usage)
                buffer += piece
                text += piece
                if len(buffer) >= self.buffer_size:
                    self._emit("on_token", buffer)
                    buffer = ""
            if buffer:
                self._emit("on_token", buffer)
            if not self._cancelled:
                self._emit("on_complete", text, usage)
        except Exception as error:
            self._emit("on_error", error)
        finally:
            if self._stream is not None:
                self._stream.close()  # also what makes cancel reach the server
        return text

    def _open(self, prompt: str) -> Any:
        messages = [{"role": "user", "content": prompt}]
        if self.provider == "anthropic":
            return self.client.messages.create(
                model="claude-test", max_tokens=512, stream=True, messages=messages
            )
        return self.client.chat.completions.create(
            model="gpt-test", stream=True, stream_options={"include_usage": True}, messages=messages
        )

    def _text_of(self, event: Any, usage: dict[str, int]) -> str:
        if self.provider == "anthropic":
            if event.type == "message_start":
                usage["input_tokens"] = event.message.usage.input_tokens
            elif event.type == "message_delta":
                usage["output_tokens"] = event.usage.output_tokens  # cumulative: replace, never add
            elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                return str(event.delta.text)
            return ""
        if event.usage is not None:
            usage["input_tokens"], usage["output_tokens"] = (
                event.usage.prompt_tokens,
                event.usage.completion_tokens,
            )
        if event.choices and event.choices[0].delta.content:
            return str(event.choices[0].delta.content)
        return ""

    def _emit(self, name: str, *args: Any) -> None:
        for handler in self.handlers:
            getattr(handler, name)(*args)
