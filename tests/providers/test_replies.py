"""reply_of inverts encode-then-accumulate: every bundled reply, on every endpoint that carries it."""

from __future__ import annotations

import random

import pytest

from streamrig.providers import EncodeContext, carries, reply_of, wire_format
from streamrig.scenario import Provider, bundled_path, collect_scenarios

CASES = [
    pytest.param(s, p, id=f"{s.name}-{p.value}")
    for s in collect_scenarios(bundled_path())
    if s.reply is not None
    for p in Provider
    if carries(s, p)
]


def whole(provider: Provider, reply) -> dict:
    ctx = EncodeContext(
        scenario="s", model="m", rng=random.Random(3), created=0, include_usage=True
    )
    wire = wire_format(provider)
    return wire.accumulate(event.data for event in wire.encode(reply, ctx))


def without_ids(data):
    if isinstance(data, dict):
        return {k: without_ids(v) for k, v in data.items() if k != "id"}
    if isinstance(data, list):
        return [without_ids(v) for v in data]
    return data


def test_every_endpoint_has_cases():
    assert {p for _, p in (c.values for c in CASES)} == set(Provider)


@pytest.mark.parametrize(("scenario", "provider"), CASES)
def test_the_whole_message_round_trips(scenario, provider):
    message = whole(provider, scenario.reply)
    again = whole(provider, reply_of(provider, message))
    assert without_ids(again) == without_ids(message)


@pytest.mark.parametrize("provider", list(Provider))
def test_something_else_is_a_value_error_naming_the_provider(provider):
    with pytest.raises(ValueError, match=provider.label):
        reply_of(provider, {"unexpected": True})
