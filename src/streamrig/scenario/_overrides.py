"""Overrides on a loaded scenario (from the pytest marker or `play(name, **overrides)`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .._errors import ScenarioError
from ._load import scenario_from_mapping
from ._model import Scenario

__all__ = ["with_overrides"]

# Keys that live on the reply rather than on the scenario.
_REPLY_KEYS = {
    "stop": "stop",
    "stop_sequence": "stop_sequence",
    "usage": "usage",
    "chunking": "chunking",
}
_SCENARIO_KEYS = {
    "timing": "timing",
    "faults": "faults",
    "attempts": "attempts",
    "speed": "speed",
    "line_endings": "line_endings",
    "model": "model",
    "match": "match",
    "description": "description",
    "reply": "reply",
}


def with_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], source: str = "<overrides>"
) -> Scenario:
    """The scenario with some keys replaced, each checked as in a scenario file.

    Any scenario key but `name`, `provider` and `events` may be given, e.g.
    `faults=[{"after_events": 7, "drop": "reset"}]` or `timing={"gap_ms": 5}`.
    """
    if not overrides:
        return scenario
    unknown = set(overrides) - set(_REPLY_KEYS) - set(_SCENARIO_KEYS)
    if unknown:
        allowed = ", ".join(sorted({*_REPLY_KEYS, *_SCENARIO_KEYS}))
        raise ScenarioError(
            f"cannot override {', '.join(sorted(unknown))}; allowed: {allowed}", path=source
        )
    candidate = {"reply": [], **overrides}
    built = scenario_from_mapping(candidate, scenario.name, source=source)
    changes = {
        field: getattr(built, field) for key, field in _SCENARIO_KEYS.items() if key in overrides
    }
    reply_keys = [key for key in overrides if key in _REPLY_KEYS]
    if reply_keys:
        base = changes.get("reply") or scenario.reply
        if base is None or built.reply is None:
            raise ScenarioError(
                f"{', '.join(reply_keys)} need a scenario with a `reply`; {scenario.name!r} has low-level events",
                path=source,
            )
        changes["reply"] = dataclasses.replace(
            base, **{_REPLY_KEYS[k]: getattr(built.reply, _REPLY_KEYS[k]) for k in reply_keys}
        )
    if "reply" in changes:
        changes["steps"], changes["body"], changes["turns"] = None, None, ()
    return dataclasses.replace(scenario, **changes)
