"""A scenario's plan as text: what `streamrig show` prints."""

from __future__ import annotations

import random

from ..providers import EncodeContext, wire_format
from ..scenario import Attempt, Provider, Scenario
from ._schedule import Frame, Hold, Plan, plan_stream

__all__ = ["seeded_plan", "show_parts", "show_text", "timeline_text"]


def seeded_plan(
    scenario: Scenario, provider: Provider, chosen: Attempt, *, seed: int, speed: float
) -> Plan:
    """The plan `show` prints for one attempt: ids and jitter from `seed`, no clock."""
    ctx = EncodeContext(
        scenario=scenario.name,
        model=scenario.model or "model",
        rng=random.Random(seed),
        created=0,
        chaos=random.Random(seed + 1),
    )
    return plan_stream(scenario, wire_format(provider), ctx, chosen, speed=speed)


def timeline_text(
    scenario: Scenario,
    provider: Provider,
    *,
    attempt: int = 1,
    seed: int = 0,
    speed: float = 1.0,
    raw: bool = False,
) -> str:
    """One line per step (`   12.0 ms  frame 3   118 B  event: content_block_delta`), then the ending.

    `raw`: each frame's exact bytes (a Python bytes literal) instead of its first line.
    """
    chosen = scenario.attempt(attempt)
    if chosen.is_error:
        return f"HTTP {chosen.status} {dict(chosen.headers)} (no stream)"
    recording = scenario.recording
    if recording is not None and (recording.status != 200 or not recording.streamed):
        body = recording.body.decode("utf-8", errors="replace")
        return f"{recording.headers_t * 1000:9.1f} ms  HTTP {recording.status} (recorded, no stream)  {body[:70]}"
    plan = seeded_plan(scenario, provider, chosen, seed=seed, speed=speed)
    lines = []
    frame = 0
    for step in plan.steps:
        if isinstance(step, Hold):
            held = (
                "until the client leaves"
                if step.seconds is None
                else f"{step.seconds * 1000:.1f} ms"
            )
            lines.append(f"{step.at_s * 1000:9.1f} ms  hold {held}")
            continue
        assert isinstance(step, Frame)
        first = step.data.split(b"\n", 1)[0].decode("utf-8", errors="replace")[:70]
        lines.append(
            f"{step.at_s * 1000:9.1f} ms  frame {frame:<4} {len(step.data):6} B  "
            + (repr(step.data) if raw else first)
        )
        frame += 1
    lines.append(
        f"ends: {plan.ending.value}"
        + (f"; faults: {', '.join(plan.applied)}" if plan.applied else "")
    )
    return "\n".join(lines)


def show_parts(
    scenario: Scenario, provider: Provider, attempt: int = 1
) -> list[tuple[str, Scenario]]:
    """(heading, scenario as played) per part `streamrig show` prints: one, or a conversation's
    turns in order, as its requests would get them."""
    if not scenario.turns:
        return [(f"# {scenario.name} on {provider.label}, attempt {attempt}", scenario)]
    count = len(scenario.turns)
    return [
        (
            f"# {scenario.name} on {provider.label}, turn {turn} of {count}, attempt {attempt}",
            scenario.for_turn(turn),
        )
        for turn in range(1, count + 1)
    ]


def show_text(
    scenario: Scenario, provider: Provider, *, attempt: int = 1, seed: int = 0, speed: float = 1.0
) -> str:
    """What `streamrig show` prints for one scenario: each part's heading, then its timeline."""
    return "\n".join(
        f"{heading}\n{timeline_text(played, provider, attempt=attempt, seed=seed, speed=speed)}"
        for heading, played in show_parts(scenario, provider, attempt)
    )
