"""A scenario, encoded for one endpoint, as timed frames: pure, no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .._errors import ProviderMismatch
from ..providers import EncodeContext, WireFormat
from ..scenario import ErrorEventStep, EventStep, RawStep, Scenario, WaitStep
from ..sse import SSEDecoder, encode_event, split_events

__all__ = ["Frame", "check_provider", "final_message", "frames_for"]


@dataclass(frozen=True, slots=True)
class Frame:
    """Bytes to write in one TCP write, due `at_s` seconds after the stream starts."""

    at_s: float
    data: bytes


def check_provider(scenario: Scenario, wire: WireFormat) -> None:
    """Raise ProviderMismatch when a single-provider scenario is asked for elsewhere."""
    if scenario.provider is not None and scenario.provider != wire.provider:
        raise ProviderMismatch(scenario.name, scenario.provider.label, wire.provider.label)


def frames_for(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> list[Frame]:
    """Every frame of the stream, in order, with its due time."""
    check_provider(scenario, wire)
    if scenario.body is not None:
        return [Frame(0.0, piece) for piece in split_events(scenario.body)]
    if scenario.steps is not None:
        return list(_step_frames(scenario, wire, ctx))
    assert scenario.reply is not None
    return [Frame(0.0, event.encode()) for event in wire.encode(scenario.reply, ctx)]


def _step_frames(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> Iterator[Frame]:
    at_s = 0.0
    for step in scenario.steps or ():
        if isinstance(step, WaitStep):
            at_s += step.ms / 1000
        elif isinstance(step, RawStep):
            yield Frame(at_s, step.raw)
        elif isinstance(step, ErrorEventStep):
            yield Frame(at_s, wire.error_event(step.error_type, step.message, ctx).encode())
        else:
            yield Frame(at_s, encode_event(step.data, step.event))


def final_message(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> dict[str, Any]:
    """What `stream: false` returns: the provider's accumulator over the same events."""
    check_provider(scenario, wire)
    return wire.accumulate(_event_data(scenario, wire, ctx))


def _event_data(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> Iterator[Any]:
    if scenario.reply is not None:
        yield from (event.data for event in wire.encode(scenario.reply, ctx))
        return
    if scenario.steps is not None:
        for step in scenario.steps:
            if isinstance(step, EventStep):
                yield _parsed(step.data)
            elif isinstance(step, RawStep):
                yield from _decoded(step.raw)
        return
    assert scenario.body is not None
    yield from _decoded(scenario.body)


def _decoded(body: bytes) -> Iterator[Any]:
    decoder = SSEDecoder()
    for event in [*decoder.decode(body), *decoder.flush()]:
        yield _parsed(event.data)


def _parsed(data: Any) -> Any:
    if not isinstance(data, str):
        return data
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        return None
