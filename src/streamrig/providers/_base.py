"""What every wire format offers the server: request parsing, encoding, accumulation, errors."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..scenario import Chunking, Provider, Reply, Usage
from ..sse import encode_event

__all__ = [
    "EncodeContext",
    "IdMarkers",
    "ProviderRequest",
    "RequestError",
    "WireEvent",
    "WireFormat",
    "chunk_text",
    "draw_id",
    "estimate_tokens",
    "random_base62",
    "random_hex",
]


@dataclass(frozen=True, slots=True)
class WireEvent:
    """One event as a provider writes it; `content` marks events that carry generated tokens."""

    data: Any
    event: str | None = None
    content: bool = False

    def encode(self) -> bytes:
        return encode_event(self.data, self.event)


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """What a request body says that the server needs."""

    model: str | None
    stream: bool
    include_usage: bool
    last_user_text: str
    input_chars: int


class RequestError(Exception):
    """A request the provider would refuse; rendered in that provider's error shape."""

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type


@dataclass(frozen=True, slots=True)
class EncodeContext:
    """Per-request facts an encoder needs; `rng` makes every id (seeded: reproducible)."""

    scenario: str
    model: str
    rng: random.Random
    created: int
    include_usage: bool = False
    input_chars: int = 0
    # Jitter and random faults draw from here, so they never shift the ids.
    chaos: random.Random = field(default_factory=random.Random)

    def usage(self, reply: Reply, output_text: str) -> Usage:
        """The reply's usage with estimates filled in where the scenario gave none."""
        given = reply.usage
        return Usage(
            input_tokens=given.input_tokens
            if given.input_tokens is not None
            else max(1, self.input_chars // 4),
            output_tokens=given.output_tokens
            if given.output_tokens is not None
            else estimate_tokens(output_text),
            cache_creation_input_tokens=given.cache_creation_input_tokens,
            cache_read_input_tokens=given.cache_read_input_tokens,
            reasoning_tokens=given.reasoning_tokens,
        )


class WireFormat(Protocol):
    """One provider's wire format. Implementations are stateless."""

    provider: Provider
    route: str

    def parse_request(self, body: Any) -> ProviderRequest: ...

    def encode(self, reply: Reply, ctx: EncodeContext) -> list[WireEvent]: ...

    def error_event(
        self, error_type: str, message: str | None, ctx: EncodeContext, sent: Sequence[bytes] = ()
    ) -> WireEvent:
        """The provider's mid-stream error; `sent` is what the stream wrote before it."""
        ...

    def accumulate(self, events: Iterable[Any]) -> dict[str, Any]: ...

    def error_body(
        self, status: int, message: str, error_type: str | None, request_id: str
    ) -> dict[str, Any]: ...

    def headers(self, request_id: str, streaming: bool) -> dict[str, str]: ...

    def default_message(self, status: int, error_type: str | None) -> str: ...

    def request_id(self, rng: random.Random) -> str: ...


_WORD = re.compile(r"\s*\S+|\s+")
_BASE62 = string.digits + string.ascii_letters
_HEX = "0123456789abcdef"


def chunk_text(text: str, chunking: Chunking | int) -> list[str]:
    """Cut text into deltas: word-sized (leading space kept, as tokenizers do), per char, whole, or N chars."""
    if text == "":
        return []
    if chunking == Chunking.WORDS:
        return _WORD.findall(text)
    if chunking == Chunking.CHARS:
        return list(text)
    if chunking == Chunking.WHOLE:
        return [text]
    size = int(chunking)
    return [text[i : i + size] for i in range(0, len(text), size)]


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters a token), at least 1 for non-empty text."""
    return (len(text) + 3) // 4


def random_base62(rng: random.Random, length: int) -> str:
    return draw_id(rng, _BASE62, length)


def random_hex(rng: random.Random, length: int) -> str:
    return draw_id(rng, _HEX, length)


def draw_id(rng: random.Random, alphabet: str, length: int) -> str:
    """`length` characters of `alphabet` from `rng`: every random id an encoder makes comes
    from here, so a template encoding (see `IdMarkers`) can mark where each id lands."""
    if isinstance(rng, IdMarkers):
        return rng.mark(alphabet, length)
    choice = rng.choice
    return "".join([choice(alphabet) for _ in range(length)])


class IdMarkers(random.Random):
    """Stands in for a request's rng while a reply is encoded once as a template: each id
    drawn is a unique marker of the same length, and `draws` lists them in order, so a
    request fills its own ids in by drawing the same (alphabet, length) from its own rng."""

    def __init__(self) -> None:
        super().__init__()
        self.draws: list[tuple[str, int, str]] = []  # (alphabet, length, marker)

    def mark(self, alphabet: str, length: int) -> str:
        taken = {marker for _, _, marker in self.draws}
        marker = "".join(self.choice(alphabet) for _ in range(length))
        while marker in taken:
            marker = "".join(self.choice(alphabet) for _ in range(length))
        self.draws.append((alphabet, length, marker))
        return marker


def text_of_content(content: Any) -> str:
    """The text of a message's content: a string, or a list of blocks with `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(block.get("text", "")) for block in content if isinstance(block, Mapping)
        )
    return ""


def last_user_text(messages: Iterable[Any]) -> str:
    """The text of the last message with role `user` ('' if none)."""
    text = ""
    for message in messages:
        if isinstance(message, Mapping) and message.get("role") == "user":
            text = text_of_content(message.get("content"))
    return text
