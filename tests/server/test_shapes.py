"""Shapes: n variants with the same accumulated result and different bytes, each from its seed."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

import streamrig
from streamrig import Shape, ShapeLevel, load_scenarios, shapes
from streamrig.providers import EncodeContext, wire_format
from streamrig.scenario import Provider, bundled_path
from streamrig.server import Ending, Frame, choices_of, plan_stream, variant_seed
from streamrig.sse import SSEDecoder

BUNDLED = {s.name: s for s in load_scenarios([bundled_path()]).scenarios}
CONTENT = sorted(
    name for name, s in BUNDLED.items() if not s.faults and not s.attempts and s.reply is not None
)


def writes(scenario, provider: Provider) -> list[bytes]:
    """The bytes of each write, as the server would send them (fixed ids)."""
    ctx = EncodeContext(
        scenario=scenario.name,
        model="m",
        rng=random.Random(1),
        created=0,
        include_usage=True,
        chaos=random.Random(2),
    )
    plan = plan_stream(scenario, wire_format(provider), ctx, speed=0)
    return [step.data for step in plan.steps if isinstance(step, Frame)]


def accumulated(chunks: list[bytes], provider: Provider):
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.decode(chunk)] + decoder.flush()
    data = [json.loads(e.data) for e in events if e.data != "[DONE]"]
    return wire_format(provider).accumulate(data)


def carries(scenario, provider: Provider) -> bool:
    try:
        writes(scenario, provider)
    except streamrig.UnsupportedFeature:
        return False
    return True


CASES = [
    (name, provider)
    for name in CONTENT
    for provider in Provider
    if carries(BUNDLED[name], provider)
]


@pytest.mark.parametrize("level", ["realistic", "sse"])
@pytest.mark.parametrize(("name", "provider"), CASES, ids=[f"{n}-{p.value}" for n, p in CASES])
def test_shapes_accumulate_to_the_plain_result_in_other_bytes(name, provider, level):
    plain = writes(BUNDLED[name], provider)
    variants = [writes(v, provider) for v in shapes(BUNDLED[name], 8, seed=5, level=level)]
    for number, chunks in enumerate(variants):
        assert accumulated(chunks, provider) == accumulated(plain, provider), f"shape-{number}"
    bodies = {b"".join(chunks) for chunks in variants}
    cuts = {tuple(len(c) for c in chunks) for chunks in variants}
    assert b"".join(plain) not in bodies or len(cuts) > 1
    if len(plain) > 2:
        assert len(cuts) == len(variants), "every variant cuts its writes its own way"
    else:  # one or two events (Gemini sends a call whole): fewer places to cut
        assert len(cuts) > len(variants) // 2, "variants cut their writes in different ways"


def test_a_variant_repeats_from_its_seed_alone():
    scenario = BUNDLED["tool_after_text"]
    seventh = shapes(scenario, 8, seed=42, level="sse")[7]
    assert seventh.name == "tool_after_text@shape-7"
    assert seventh.shape == Shape(variant_seed(42, 7), ShapeLevel.SSE, 7)
    again = streamrig.Scenario(
        **{**_fields(scenario), "shape": Shape(variant_seed(42, 7), ShapeLevel.SSE)}
    )
    for provider in Provider:
        assert writes(seventh, provider) == writes(again, provider)
    other = shapes(scenario, 8, seed=43, level="sse")[7]
    assert writes(other, Provider.ANTHROPIC) != writes(seventh, Provider.ANTHROPIC)


def _fields(scenario):
    return {name: getattr(scenario, name) for name in scenario.__dataclass_fields__}


def test_realistic_shapes_cover_every_awkward_boundary_and_stay_in_the_providers_syntax():
    seen: set[str] = set()
    for provider in Provider:
        for variant in shapes(BUNDLED["unicode"], 20, seed=1):
            chunks = writes(variant, provider)
            body = b"".join(chunks)
            assert not body.startswith(b"\xef\xbb\xbf") and b"data:{" not in body
            assert b"\nid:" not in body and b"retry:" not in body
            for left, right in itertools.pairwise(chunks):
                if right[:1] and 0x80 <= right[0] < 0xC0:
                    seen.add("inside a UTF-8 character")
                if left.endswith(b"\r") and right.startswith(b"\n"):
                    seen.add("between CR and LF")
                if not left.endswith(b"\n\n") and not left.endswith(b"\r\n\r\n"):
                    seen.add("inside an event")
            if any(c.count(b"data:") > 1 for c in chunks):
                seen.add("several events in one write")
            if b"\r\n" in body:
                seen.add("CRLF")
            if b"event: ping" in body or b": keep-alive" in body:
                seen.add("keep-alive")
    assert seen == {
        "inside a UTF-8 character",
        "between CR and LF",
        "inside an event",
        "several events in one write",
        "CRLF",
        "keep-alive",
    }


def test_sse_shapes_use_what_only_the_specification_allows():
    seen: set[str] = set()
    for variant in shapes(BUNDLED["tool_after_text"], 20, seed=1, level="sse"):
        body = b"".join(writes(variant, Provider.OPENAI_CHAT))
        lines = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        checks = {
            "BOM": body.startswith(b"\xef\xbb\xbf"),
            "data: without a space": any(line.startswith(b"data:{") for line in lines),
            "id:": any(line.startswith(b"id:") for line in lines),
            "retry:": any(line.startswith(b"retry:") for line in lines),
            "several data: lines": any(
                a.startswith(b"data:") and b.startswith(b"data:")
                for a, b in itertools.pairwise(lines)
            ),
            "bare CR": b"\r" in body and b"\r\n" not in body,
        }
        seen |= {name for name, present in checks.items() if present}
    assert seen == {
        "BOM",
        "data: without a space",
        "id:",
        "retry:",
        "several data: lines",
        "bare CR",
    }


def test_delta_granularity_varies_for_text_and_tool_json():
    counts = {
        len(writes(v, Provider.ANTHROPIC))
        for v in shapes(BUNDLED["tool_after_text"], 10, seed=3)
        if choices_of(v.shape).merge_rate == 0 and choices_of(v.shape).max_cuts == 0
    } | {
        sum(
            b"input_json_delta" in c
            for c in writes(
                streamrig.Scenario(**{**_fields(BUNDLED["tool_after_text"]), "shape": v.shape}),
                Provider.ANTHROPIC,
            )
        )
        for v in shapes(BUNDLED["tool_after_text"], 10, seed=3)
    }
    assert len(counts) > 3


def test_faults_still_strike_where_the_scenario_says():
    truncated = BUNDLED["truncated_stream"]
    plain = writes(truncated, Provider.ANTHROPIC)
    for variant in shapes(truncated, 6, seed=2):
        ctx = EncodeContext(scenario="t", model="m", rng=random.Random(1), created=0)
        plan = plan_stream(variant, wire_format(Provider.ANTHROPIC), ctx, speed=0)
        assert plan.ending is Ending.TRUNCATE
        events = SSEDecoder()
        chunks = [s.data for s in plan.steps if isinstance(s, Frame)]
        got = [e for c in chunks for e in events.decode(c)]
        plain_events = SSEDecoder()
        want = [e for c in plain for e in plain_events.decode(c)]
        # six events, as the fault says (the shape's own keep-alives aside), however cut
        assert len(want) == 6
        assert len([e for e in got if e.event != "ping"]) == len(
            [e for e in want if e.event != "ping"]
        )


def test_a_cassette_has_shapes_too():
    from streamrig.scenario import collect_scenarios

    cassettes = Path(__file__).resolve().parents[2] / "cassettes"
    for folder, provider in (
        ("anthropic", Provider.ANTHROPIC),
        ("openai-chat", Provider.OPENAI_CHAT),
    ):
        recorded = next(
            s
            for s in collect_scenarios(cassettes / folder)
            if s.recording and s.recording.streamed and s.recording.status == 200
        )
        plain = writes(recorded, provider)
        for variant in shapes(recorded, 4, seed=9):
            chunks = writes(variant, provider)
            assert chunks != plain
            assert accumulated(chunks, provider) == accumulated(plain, provider)
