"""The scenario model: frozen values, built once by the loader and read by every later layer."""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "Attempt",
    "Chunking",
    "Citation",
    "ErrorEventStep",
    "EventStep",
    "Fault",
    "FaultKind",
    "Match",
    "Part",
    "Provider",
    "RawStep",
    "RecordedEvent",
    "RecordedRequest",
    "Recording",
    "RefusalPart",
    "Reply",
    "Scenario",
    "Shape",
    "ShapeLevel",
    "Step",
    "StopReason",
    "TextPart",
    "ThinkingPart",
    "Timing",
    "ToolCallPart",
    "ToolResult",
    "ToolResultRule",
    "TurnsExhausted",
    "Usage",
    "WaitStep",
]


class Provider(str, enum.Enum):
    """The wire formats streamrig speaks."""

    ANTHROPIC = "anthropic"
    OPENAI_CHAT = "openai-chat"
    OPENAI_RESPONSES = "openai-responses"
    GEMINI = "gemini"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def for_path(cls, path: str) -> Provider | None:
        """The provider whose endpoint a request path names (prefixes such as `/s/x` allowed)."""
        return next(
            (provider for suffix, provider in _ROUTES.items() if path.endswith(suffix)), None
        )


_ROUTES = {
    "/v1/messages": Provider.ANTHROPIC,
    "/chat/completions": Provider.OPENAI_CHAT,
    "/responses": Provider.OPENAI_RESPONSES,
    ":streamGenerateContent": Provider.GEMINI,
    ":generateContent": Provider.GEMINI,
}
_LABELS = {
    Provider.ANTHROPIC: "Anthropic Messages",
    Provider.OPENAI_CHAT: "OpenAI Chat Completions",
    Provider.OPENAI_RESPONSES: "OpenAI Responses",
    Provider.GEMINI: "Google Gemini",
}


_ALL_PROVIDERS = tuple(Provider)  # per request: iterating the enum each time costs


class StopReason(str, enum.Enum):
    """Why a reply ends, in provider-neutral terms (Anthropic's names); mapped per provider."""

    END_TURN = "end_turn"
    MAX_TOKENS = "max_tokens"
    STOP_SEQUENCE = "stop_sequence"
    TOOL_USE = "tool_use"
    PAUSE_TURN = "pause_turn"
    REFUSAL = "refusal"
    CONTENT_FILTER = "content_filter"
    MODEL_CONTEXT_WINDOW_EXCEEDED = "model_context_window_exceeded"


# Other providers' words for the same stops, accepted in scenario files.
STOP_ALIASES = {
    "stop": StopReason.END_TURN,
    "length": StopReason.MAX_TOKENS,
    "max_output_tokens": StopReason.MAX_TOKENS,
    "tool_calls": StopReason.TOOL_USE,
}


class Chunking(str, enum.Enum):
    """How text and tool JSON are cut into deltas."""

    WORDS = "words"
    CHARS = "chars"
    WHOLE = "whole"


@dataclass(frozen=True, slots=True)
class Citation:
    """An Anthropic `char_location` citation attached to a text part."""

    cited_text: str
    document_index: int = 0
    document_title: str | None = None
    start_char_index: int = 0
    end_char_index: int = 0


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True, slots=True)
class ThinkingPart:
    thinking: str
    signature: str | None = None  # None: streamrig makes a plausible one


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    name: str
    input: Mapping[str, Any]
    id: str | None = None  # None: a provider-shaped id is generated


@dataclass(frozen=True, slots=True)
class RefusalPart:
    refusal: str
    category: str | None = None


Part = TextPart | ThinkingPart | ToolCallPart | RefusalPart


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts; None means streamrig estimates it from the request or reply."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Reply:
    """A provider-neutral reply: what the model says, and how it ends."""

    parts: tuple[Part, ...]
    stop: StopReason | None = None  # None: tool_use if the reply calls a tool, else end_turn
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)
    chunking: Chunking | int | None = None  # None: text by words, tool JSON by tokens

    @property
    def stop_reason(self) -> StopReason:
        if self.stop is not None:
            return self.stop
        if any(isinstance(part, RefusalPart) for part in self.parts):
            return StopReason.REFUSAL
        if any(isinstance(part, ToolCallPart) for part in self.parts):
            return StopReason.TOOL_USE
        return StopReason.STOP_SEQUENCE if self.stop_sequence else StopReason.END_TURN


@dataclass(frozen=True, slots=True)
class EventStep:
    """One low-level event: `data` is JSON-encoded unless it is a str."""

    data: Any
    event: str | None = None


@dataclass(frozen=True, slots=True)
class WaitStep:
    ms: float


@dataclass(frozen=True, slots=True)
class RawStep:
    """Bytes written exactly as given (comments, broken lines, anything)."""

    raw: bytes


@dataclass(frozen=True, slots=True)
class ErrorEventStep:
    """The provider's own mid-stream error event, e.g. `overloaded_error`."""

    error_type: str
    message: str | None = None


Step = EventStep | WaitStep | RawStep | ErrorEventStep


@dataclass(frozen=True, slots=True)
class Timing:
    """How fast a stream comes: time to first token, then one gap per content event."""

    ttft_ms: float = 0.0
    tokens_per_s: float | None = None  # each content event is one token
    gap_ms: float | None = None  # a fixed gap instead of tokens_per_s
    jitter: float = 0.0  # each gap varies by up to this fraction, seeded
    seed: int | None = None  # None: the server's per-request seed

    @property
    def gap_s(self) -> float:
        if self.gap_ms is not None:
            return self.gap_ms / 1000
        if self.tokens_per_s:
            return 1 / self.tokens_per_s
        return 0.0


class FaultKind(str, enum.Enum):
    """What goes wrong."""

    RESET = "reset"  # abort the connection: no final chunk
    TRUNCATE = "truncate"  # end the body cleanly mid-stream
    STALL = "stall"  # stay open and silent (for stall_ms, or until the client leaves)
    MALFORMED = "malformed"  # a data line that is not valid JSON
    ERROR = "error"  # the provider's own mid-stream error event, then the end
    SPLIT = "split"  # cut writes at byte offsets or every N bytes
    DRIP = "drip"  # send at N bytes per second
    PING = "ping"  # extra keep-alive pings


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: where it strikes (at most one of the four) and what it does."""

    kind: FaultKind
    after_events: int | None = None
    at_byte: int | None = None
    after_ms: float | None = None
    probability: float | None = None  # per event, seeded
    seed: int | None = None
    error_type: str | None = None  # ERROR: e.g. overloaded_error
    message: str | None = None  # ERROR: the error's message
    stall_ms: float | None = None  # STALL: None holds until the client leaves
    raw: bytes | None = None  # MALFORMED: exact bytes (default: a cut-off JSON event)
    split_every: int | None = None  # SPLIT
    split_at: tuple[int, ...] = ()  # SPLIT: byte offsets from the start of the body
    gap_ms: float = 0.0  # SPLIT: pause between the pieces of one frame
    bytes_per_s: float | None = None  # DRIP
    count: int = 1  # PING: how many, at the position
    every_ms: float | None = None  # PING: one whenever the stream is quiet this long

    def describe(self) -> str:
        """A short label for the journal, e.g. `reset after_events=5`."""
        where = next(
            (
                f"{name}={getattr(self, name)}"
                for name in ("after_events", "at_byte", "after_ms", "probability")
                if getattr(self, name) is not None
            ),
            "",
        )
        what = self.kind.value + (f" {self.error_type}" if self.error_type else "")
        return f"{what} {where}".strip()


class ShapeLevel(str, enum.Enum):
    """How far a shape may stray from the provider's own bytes."""

    REALISTIC = "realistic"  # what the provider (or a gateway in front of it) really sends
    SSE = "sse"  # anything the SSE specification allows


@dataclass(frozen=True, slots=True)
class Shape:
    """A variant of a stream's bytes with the same meaning, drawn from `seed` alone.

    `index` is only a label (`shape-7`); the bytes depend on `seed` and `level`.
    """

    seed: int
    level: ShapeLevel = ShapeLevel.REALISTIC
    index: int | None = None

    @property
    def label(self) -> str:
        return f"shape-{self.index}" if self.index is not None else f"shape seed={self.seed}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """How try N of the same request is answered: an HTTP error, or the stream (with its faults)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    error_type: str | None = None  # the error body's type; default from the status
    message: str | None = None
    faults: tuple[Fault, ...] | None = None  # None: the scenario's own faults
    timing: Timing | None = None  # None: the scenario's own timing

    @property
    def is_error(self) -> bool:
        return self.status >= 300


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """The request a cassette interaction answered: how replayed requests are matched."""

    method: str
    uri: str
    body: Any  # parsed JSON when it was JSON, else the text

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One event as it arrived: seconds since the request was sent, and its exact bytes."""

    t: float
    data: bytes


@dataclass(frozen=True, slots=True)
class Recording:
    """A recorded answer: the status and headers, and the body as timed events."""

    status: int
    headers: Mapping[str, str]
    events: tuple[RecordedEvent, ...]
    headers_t: float = 0.0  # when the response headers arrived
    streamed: bool = True  # an SSE body (else one JSON body, in events[0])
    truncated: bool = False  # the upstream dropped mid-stream

    @property
    def body(self) -> bytes:
        return b"".join(event.data for event in self.events)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool result the request's latest message carries: the call it answers, and its text."""

    id: str
    name: str | None  # the called tool's name, found in the history (None: not found)
    content: str = ""


@dataclass(frozen=True, slots=True)
class ToolResultRule:
    """`match: {tool_result: NAME}`: the latest message answers a call of this tool."""

    name: str
    contains: str | None = None  # ... and the result's text holds this (case-insensitive)

    def matches(self, results: tuple[ToolResult, ...]) -> bool:
        return any(
            result.name == self.name
            and (self.contains is None or self.contains.lower() in result.content.lower())
            for result in results
        )


@dataclass(frozen=True, slots=True)
class Match:
    """When a scenario answers a request that did not name one. All given rules must hold.

    "User text" is text a user typed (tool results are not), the same on every provider.
    """

    model: str | None = None  # a glob, e.g. "claude-*"
    contains: str | None = None  # text in the last user-typed message (case-insensitive)
    regex: str | None = None  # searched in the last user-typed message
    turn: int | None = None  # the request's turn: assistant turns in its history, plus one
    tool_result: ToolResultRule | None = None

    def matches(
        self,
        model: str | None,
        last_user_text: str,
        turn: int = 1,
        tool_results: tuple[ToolResult, ...] = (),
    ) -> bool:
        if self.model is not None and not fnmatch.fnmatchcase(model or "", self.model):
            return False
        if self.contains is not None and self.contains.lower() not in last_user_text.lower():
            return False
        if self.turn is not None and self.turn != turn:
            return False
        if self.tool_result is not None and not self.tool_result.matches(tool_results):
            return False
        return self.regex is None or re.search(self.regex, last_user_text) is not None


class TurnsExhausted(LookupError):
    """A request for a turn past the last one a scenario scripts."""

    def __init__(self, scenario: str, turns: int, turn: int) -> None:
        self.scenario, self.turns, self.turn = scenario, turns, turn
        super().__init__(
            f"streamrig: scenario {scenario!r} scripts {turns} turn(s), and this request is "
            f"turn {turn} (its history holds {turn - 1} assistant turn(s)): the conversation "
            "went on past the script; does the client's loop stop?"
        )


@dataclass(frozen=True, slots=True)
class Scenario:
    """What the model replies to a request, from one file, dict or captured body.

    Exactly one of `reply` (provider-neutral), `steps` (low-level events for
    `provider`), `body` (a raw SSE capture for `provider`), `recording` (a
    cassette interaction, with its `request`) or `turns` (a conversation: one
    scenario body per turn, each named like this one) is set.
    """

    name: str
    reply: Reply | None = None
    steps: tuple[Step, ...] | None = None
    body: bytes | None = None
    provider: Provider | None = None
    model: str | None = None  # pinned model name; None echoes the request's
    match: Match | None = None
    description: str = ""
    source: Path | None = None
    timing: Timing = field(default_factory=Timing)
    faults: tuple[Fault, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    speed: float = 1.0  # scales every wait (2: twice as fast; 0: no waits)
    recording: Recording | None = None  # a cassette interaction: replayed as recorded
    request: RecordedRequest | None = None  # ... matched to requests by this
    line_endings: str = "\n"  # "\r\n" or "\r" to test a client's line splitting
    shape: Shape | None = None  # a variant of the bytes with the same meaning (streamrig.shapes)
    turns: tuple[Scenario, ...] = ()  # a conversation: one body per turn (see `for_turn`)

    def for_turn(self, turn: int) -> Scenario:
        """The scenario that answers turn `turn` (1-based) of a conversation: itself when it
        scripts no turns, else that turn's body. Raises TurnsExhausted past the last one."""
        if not self.turns:
            return self
        if turn > len(self.turns):
            raise TurnsExhausted(self.name, len(self.turns), turn)
        body = self.turns[turn - 1]
        return replace(
            body,
            name=self.name,
            model=self.model,
            source=self.source,
            timing=body.timing if body.timing != Timing() else self.timing,
            faults=body.faults or self.faults,
            attempts=body.attempts or self.attempts,
            speed=self.speed,
            line_endings=self.line_endings,
        )

    def attempt(self, number: int) -> Attempt:
        """What answers try `number` (1-based); the last entry repeats; none: play as written."""
        if not self.attempts:
            return Attempt()
        return self.attempts[min(number, len(self.attempts)) - 1]

    @property
    def providers(self) -> tuple[Provider, ...]:
        """The endpoints this scenario can answer on (before feature checks)."""
        return _ALL_PROVIDERS if self.provider is None else (self.provider,)
