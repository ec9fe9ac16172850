"""Example client: a terminal chat loop that prints tokens as they arrive.

A cancelled reply (Ctrl+C, here `cancel()`) is dropped from the history; a reply
cut mid-stream keeps its partial text on screen, is reported as an error, and is
not taken into the history as if complete.
"""

from __future__ import annotations

import io
from typing import Any


class ChatLoop:
    def __init__(self, client: Any, out: io.StringIO) -> None:
        self.client, self.out = client, out
        self.history: list[dict[str, str]] = []
        self.errors: list[str] = []
        self.cancel_after: int | None = None  # tokens before a simulated Ctrl+C

    def ask(self, prompt: str) -> str:
        self.history.append({"role": "user", "content": prompt})
        reply, tokens = "", 0
        try:
            with self.client.messages.stream(
                model="claude-test", max_tokens=512, messages=self.history
            ) as stream:
                for text in stream.text_stream:
                    self.out.write(text)
                    reply += text
                    tokens += 1
                    if self.cancel_after is not None and tokens >= self.cancel_after:
                        raise KeyboardInterrupt
                final = stream.get_final_message()
            if final.stop_reason is None:
                raise ConnectionError("the reply ended without a stop reason")
        except KeyboardInterrupt:
            self.out.write("\n[cancelled]\n")
            self.history.pop()  # neither the prompt nor the partial reply stays
            return reply
        except Exception as error:  # a dropped stream: keep what came, say so
            self.errors.append(f"{type(error).__name__}: {error}")
            self.out.write(f"\n[connection lost: {type(error).__name__}; partial reply kept]\n")
            self.history.pop()
            return reply
        self.out.write("\n")
        self.history.append({"role": "assistant", "content": reply})
        return reply
