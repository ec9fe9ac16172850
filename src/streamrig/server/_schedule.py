"""A scenario, encoded for one endpoint and one attempt: the plan the player follows. Pure."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterator
from typing import Any

from .._errors import ProviderMismatch
from ..providers import EncodeContext, WireFormat, reply_of
from ..scenario import Attempt, EventStep, RawStep, Scenario
from ._encoded import timeline
from ._faults import Ending, Plan, apply_faults
from ._timeline import Frame, Frames, Hold

__all__ = [
    "Ending",
    "Frame",
    "Frames",
    "Hold",
    "Plan",
    "as_stream",
    "check_provider",
    "final_message",
    "plan_stream",
    "stream_duration",
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
    if scenario.shape is None:  # the common case: `_shapes` is loaded by the first shape
        frames = timeline(scenario, wire, ctx, timing, speed * scenario.speed)
        return apply_faults(frames, faults, wire, ctx)
    from ._shapes import shape_plan, shape_scenario

    scenario = shape_scenario(scenario)  # a shape's delta granularity, before encoding
    frames = timeline(scenario, wire, ctx, timing, speed * scenario.speed)
    return shape_plan(apply_faults(frames, faults, wire, ctx), scenario.shape, wire.provider)


def as_stream(scenario: Scenario, wire: WireFormat) -> Scenario:
    """A recorded JSON answer as a scenario that streams the same message on `wire` (its
    model and tool call ids kept). Raises ValueError when the body is no whole message."""
    assert scenario.recording is not None
    message = json.loads(scenario.recording.body)
    if not isinstance(message, dict):
        raise ValueError("the recorded body is not a JSON object")
    model = message.get("model")
    return dataclasses.replace(
        scenario,
        recording=None,
        reply=reply_of(wire.provider, message),
        model=model if isinstance(model, str) else scenario.model,
    )


def stream_duration(
    scenario: Scenario,
    wire: WireFormat,
    ctx: EncodeContext,
    attempt: Attempt | None = None,
    speed: float = 1.0,
) -> float:
    """How long the fault-free stream takes (its last frame's due time, scaled by speed):
    what a `stream: false` answer waits. Leaves `ctx`'s generators untouched, so ids match."""
    attempt = attempt or Attempt()
    timing = attempt.timing or scenario.timing
    twin = dataclasses.replace(ctx, rng=_copy(ctx.rng), chaos=_copy(ctx.chaos))
    last = 0.0
    for frame in timeline(scenario, wire, twin, timing, speed * scenario.speed):
        last = frame.at_s
    return last


def _copy(rng: random.Random) -> random.Random:
    twin = random.Random()
    twin.setstate(rng.getstate())
    return twin


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
    from ..jsonstream import StreamDecoder  # a recorded body's events: loaded when one is

    decoder = StreamDecoder()
    for event in [*decoder.decode(body), *decoder.flush()]:
        yield _parsed(event.data)


def _parsed(data: Any) -> Any:
    if not isinstance(data, str):
        return data
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        return None
