"""A scenario's planned timeline: the frames `streamrig show` prints, with due times only."""

from __future__ import annotations

import json
from typing import Any

from ..jsonstream import StreamDecoder
from ..scenario import Provider, Scenario
from ..server import Frame, Hold
from ..server._show import seeded_plan
from ._build import describe, place_fault
from ._model import Row, Timeline

__all__ = ["planned"]


def planned(
    scenario: Scenario,
    provider: Provider | str,
    *,
    attempt: int = 1,
    seed: int = 0,
    speed: float = 1.0,
) -> Timeline:
    """The plan of one attempt of `scenario` on `provider`'s wire, as `streamrig show`
    prints it: each frame's due time (from the stream's start), size and content, the
    faults where they will strike, how it will end. Nothing is sent or received."""
    provider = Provider(provider)
    title = f"{scenario.name} on {provider.value} (attempt {attempt})"
    chosen = scenario.attempt(attempt)
    if chosen.is_error:
        return Timeline(
            title,
            (),
            "http_error",
            planned=True,
            scenario=scenario.name,
            provider=provider.value,
            attempt=attempt,
            status=chosen.status,
        )
    plan = seeded_plan(scenario, provider, chosen, seed=seed, speed=speed)
    decoder = StreamDecoder()
    rows: list[Row] = []
    holds: list[float] = []
    for step in plan.steps:
        if isinstance(step, Hold):
            holds.append(step.at_s + (step.seconds or 0.0))
            continue
        assert isinstance(step, Frame)
        events = [(_parsed(e.data), e.event) for e in decoder.decode(step.data)]
        name, text, content = describe(events, step.data)
        rows.append(Row(len(rows), step.at_s, None, len(step.data), name, text, content))
    ends = max([rows[-1].due_s if rows else 0.0, *holds])
    return Timeline(
        title,
        tuple(rows),
        plan.ending.value,
        planned=True,
        scenario=scenario.name,
        provider=provider.value,
        attempt=attempt,
        status=200,
        ended_s=ends,
        faults=tuple(place_fault(label, rows, 0.0) for label in plan.applied),
    )


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None
