"""Matching a request to recorded interactions: method, path and a normalised body."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..scenario import Scenario

__all__ = ["DEFAULT_MATCH_ON", "NoRecordingMatches", "RequestKey", "best_recording", "differences"]

# Body keys compared by default; others (stream, metadata, temperature, user...) are volatile.
DEFAULT_MATCH_ON = (
    "method",
    "path",
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "input",
    "instructions",
    "contents",  # Gemini (its model is in the path)
    "systemInstruction",
)


@dataclass(frozen=True, slots=True)
class RequestKey:
    method: str
    path: str
    body: Any


def differences(recorded: Scenario, request: RequestKey, match_on: Sequence[str]) -> list[str]:
    """How a request differs from a recorded one, field by field (empty: it matches)."""
    assert recorded.request is not None
    found = []
    for field in match_on:
        if field == "method":
            if recorded.request.method != request.method:
                found.append(f"method {request.method} != recorded {recorded.request.method}")
        elif field == "path":
            have, want = _same_call(request.path), _same_call(recorded.request.path)
            if not (want.endswith(have) or have.endswith(want)):
                found.append(f"path {request.path} != recorded {recorded.request.path}")
        else:
            want, got = _field(recorded.request.body, field), _field(request.body, field)
            if want != got:
                found.append(f"{field}: {_short(got)} != recorded {_short(want)}")
    return found


def best_recording(
    candidates: Iterable[Scenario], request: RequestKey, match_on: Sequence[str], occurrence: int
) -> Scenario:
    """The recorded interaction that answers this request: the `occurrence`-th match (the
    last repeats), so a recorded retry replays in order. Matches streamed as the request
    asks come first; the others answer when there are none. Raises NoRecordingMatches."""
    recorded = [s for s in candidates if s.request is not None]
    matching = [s for s in recorded if not differences(s, request, match_on)]
    # `stream` is not compared (one recording answers both), but a recording that was
    # streamed as this request asks is the better answer: prefer those.
    alike = [s for s in matching if _streamed(s) == wants_stream(request)]
    chosen = alike or matching
    if chosen:
        return chosen[min(occurrence, len(chosen)) - 1]
    raise NoRecordingMatches(request, recorded, match_on)


def wants_stream(request: RequestKey) -> bool:
    """Whether the request asks for a stream: `stream: true`, or Gemini's
    `:streamGenerateContent` (its stream is in the URL)."""
    body = request.body
    return (isinstance(body, dict) and body.get("stream") is True) or request.path.endswith(
        ":streamGenerateContent"
    )


def _streamed(scenario: Scenario) -> bool:
    return scenario.recording.streamed if scenario.recording is not None else True


class NoRecordingMatches(LookupError):
    """No recorded interaction matches; the message lists the closest and how they differ."""

    def __init__(
        self, request: RequestKey, recorded: list[Scenario], match_on: Sequence[str]
    ) -> None:
        ranked = sorted(recorded, key=lambda s: len(differences(s, request, match_on)))[:3]
        lines = [f"{s.name}: {'; '.join(differences(s, request, match_on))}" for s in ranked]
        closest = (" Closest: " + " | ".join(lines)) if lines else " No cassette is loaded."
        super().__init__(
            f"No recorded interaction matches {request.method} {request.path} "
            f"(compared on {', '.join(match_on)}).{closest}"
        )


def _same_call(path: str) -> str:
    """A path without whether it streams: Gemini's method is `stream` (like the body's
    `stream` elsewhere, not compared; see `best_recording`)."""
    return path.removesuffix(":streamGenerateContent").removesuffix(":generateContent")


def _field(body: Any, field: str) -> Any:
    return body.get(field) if isinstance(body, dict) else None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
