"""What every wire format offers the server: request parsing, encoding, accumulation, errors."""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..scenario import (
    Chunking,
    Provider,
    RefusalPart,
    Reply,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
)
from ..sse import encode_event, split_events
from ._history import History
from ._settings import RequestSettings

__all__ = [
    "SSE",
    "Call",
    "EncodeContext",
    "Framing",
    "IdMarkers",
    "ProviderRequest",
    "RequestError",
    "RequestSettings",
    "WireEvent",
    "WireFormat",
    "chunk_json",
    "chunk_text",
    "draw_id",
    "estimate_tokens",
    "generated_text",
    "random_base62",
    "random_hex",
    "tool_arguments",
]


@dataclass(frozen=True, slots=True)
class WireEvent:
    """One event as a provider writes it.

    `content` marks events that carry generated tokens (non-empty text, refusal,
    thinking or tool-argument pieces). Timing counts only these: the first is due at
    the TTFT, each later one a gap after the previous; a Chat role chunk, an opener or
    an empty first fragment goes with the next content event, not a gap before it.
    """

    data: Any
    event: str | None = None
    content: bool = False

    def encode(self) -> bytes:
        return encode_event(self.data, self.event)


class Framing:
    """How a stream's events are written into the body: SSE events, as each event encodes itself.

    A wire format whose body is framed otherwise (Gemini's SSE with its own JSON and
    CRLF, or its streamed JSON array) subclasses this; the request picks one.
    """

    content_type: str | None = None  # None: the wire format's own streaming content type

    def frame(self, event: WireEvent, first: bool) -> bytes:
        """One event's bytes; `first`: no event was written before it."""
        return event.encode()

    def close(self) -> bytes:
        """Bytes that end a complete body (b"" for SSE)."""
        return b""

    def body(self, body: bytes) -> list[bytes]:
        """A captured SSE body, cut into one write per event, in this framing."""
        return split_events(body)


SSE = Framing()


@dataclass(frozen=True, slots=True)
class Call:
    """What a request's URL says: its path (without a `/s/<scenario>` prefix), the
    parameters its route pattern captured (Gemini: `model`, `method`), and its query."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """What a request (body and URL) says that the server needs."""

    model: str | None
    stream: bool
    include_usage: bool
    last_user_text: str
    input_chars: int
    settings: RequestSettings = field(default_factory=RequestSettings)
    framing: Framing = SSE
    history: History = field(default_factory=History)  # the conversation it continues


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
    settings: RequestSettings = field(default_factory=RequestSettings)
    framing: Framing = SSE

    def usage(self, reply: Reply) -> Usage:
        """The reply's usage with estimates filled in where the scenario gave none.

        Every provider counts the same way: every generated token (`generated_text`).
        """
        given = reply.usage
        return Usage(
            input_tokens=given.input_tokens
            if given.input_tokens is not None
            else max(1, self.input_chars // 4),
            output_tokens=given.output_tokens
            if given.output_tokens is not None
            else estimate_tokens(generated_text(reply)),
            cache_creation_input_tokens=given.cache_creation_input_tokens,
            cache_read_input_tokens=given.cache_read_input_tokens,
            reasoning_tokens=given.reasoning_tokens,
        )


class WireFormat(Protocol):
    """One provider's wire format. Implementations are stateless."""

    provider: Provider
    route: str  # the endpoint as documented (a name for fingerprints, listings, upstreams)
    routes: tuple[str, ...]  # aiohttp route patterns served; `{model}`-style captures go to Call

    def parse_request(self, body: Any, call: Call | None = None) -> ProviderRequest: ...

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
# Token-sized pieces of JSON, the way the APIs stream tool arguments: a word (with its
# leading space, at most 10 characters) or a run of punctuation and the spaces inside
# it (at most 6), so `{"city":"New York City"}` is `{"`, `city`, `":"`, `New`, ` York`,
# ` City`, `"}` (as the recorded Chat stream has it) and `": "` stays one piece.
_JSON_TOKEN = re.compile(r"\s?\w{1,10}|\s?(?:[^\w\s]|\s(?=[^\w\s])){1,6}|\s+")
_BASE62 = string.digits + string.ascii_letters
_HEX = "0123456789abcdef"


def chunk_text(text: str, chunking: Chunking | int | None) -> list[str]:
    """Cut text into deltas: word-sized (leading space kept, as tokenizers do; the default),
    per char, whole, or N chars."""
    if text == "":
        return []
    if chunking is None or chunking == Chunking.WORDS:
        return _WORD.findall(text)
    if chunking == Chunking.CHARS:
        return list(text)
    if chunking == Chunking.WHOLE:
        return [text]
    size = int(chunking)
    return [text[i : i + size] for i in range(0, len(text), size)]


def chunk_json(text: str, chunking: Chunking | int | None) -> list[str]:
    """Cut tool-call JSON into deltas: token-sized by default (as the real APIs do), else
    as the scenario's explicit `chunking` says."""
    if chunking is None:
        return _JSON_TOKEN.findall(text)
    return chunk_text(text, chunking)


def tool_arguments(part: ToolCallPart, *, spaced: bool = False) -> str:
    """A tool call's input as the JSON a provider streams (compact unless `spaced`)."""
    separators = (", ", ": ") if spaced else (",", ":")
    return json.dumps(dict(part.input), ensure_ascii=False, separators=separators)


def generated_text(reply: Reply) -> str:
    """Everything a reply generates, as one text: text, refusals, thinking, tool-call JSON.

    Default output usage is estimated from this on every provider.
    """
    pieces = []
    for part in reply.parts:
        if isinstance(part, TextPart):
            pieces.append(part.text)
        elif isinstance(part, RefusalPart):
            pieces.append(part.refusal)
        elif isinstance(part, ThinkingPart):
            pieces.append(part.thinking)
        elif isinstance(part, ToolCallPart):
            pieces.append(part.name + tool_arguments(part))
    return "".join(pieces)


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
    if type(rng) is not random.Random:  # a subclass may draw otherwise: ask it
        choice = rng.choice
        return "".join([choice(alphabet) for _ in range(length)])
    # What `rng.choice(alphabet)` draws (the same bits, the same characters), without
    # its three calls per character: ids are drawn on every request.
    size, bits, getrandbits = len(alphabet), len(alphabet).bit_length(), rng.getrandbits
    out = []
    for _ in range(length):
        r = getrandbits(bits)
        while r >= size:
            r = getrandbits(bits)
        out.append(alphabet[r])
    return "".join(out)


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
