"""A scenario, encoded for one endpoint and one attempt: the plan the player follows. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .._errors import ProviderMismatch
from ..providers import EncodeContext, WireFormat
from ..scenario import Attempt, EventStep, RawStep, Scenario
from ..sse import SSEDecoder
from ._encoded import timeline
from ._faults import Ending, Plan, apply_faults
from ._timeline import Frame, Frames, Hold

__all__ = [
    "Ending",
    "Frame",
    "Frames",
    "Hold",
    "Plan",
    "check_provider",
    "final_message",
    "plan_stream",
]


def check_provider(scenario: Scenario, wire: WireFormat) -> None:
    """Raise ProviderMismatch when a single-provider scenario is asked for elsewhere."""
    if scenario.provider is not None and scenario.provider != wire.provider:
        raise ProviderMismatch(scenario.name, scenario.provider.label, wire.provider.label)


def plan_stream(
    scenario: Scenario,
    wire: WireFormat,
    ctx: EncodeContext,
    attempt: Attempt | None = None,
    speed: float = 1.0,
) -> Plan:
    """Every step of the stream for this attempt: timed frames, holds, and how it ends.

    `speed` is the server's; it multiplies the scenario's own (either 0: no waits).
    """
    check_provider(scenario, wire)
    attempt = attempt or Attempt()
    timing = attempt.timing or scenario.timing
    faults = attempt.faults if attempt.faults is not None else scenario.faults
    frames = timeline(scenario, wire, ctx, timing, speed * scenario.speed)
    return apply_faults(frames, faults, wire, ctx)


def final_message(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> dict[str, Any]:
    """What `stream: false` returns: the provider's accumulator over the same events."""
    check_provider(scenario, wire)
    if scenario.recording is not None and not scenario.recording.streamed:
        whole: dict[str, Any] = json.loads(scenario.recording.body)
        return whole
    return wire.accumulate(_event_data(scenario, wire, ctx))


def _event_data(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> Iterator[Any]:
    if scenario.recording is not None:
        yield from _decoded(scenario.recording.body)
        return
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
