"""Templates: a scenario is encoded once per endpoint; each request fills in its own ids.
Frames due at the same moment go out in one write."""

from __future__ import annotations

import json
import random
import re

import httpx2 as httpx
import pytest

from streamrig import MockServer
from streamrig._errors import UnsupportedFeature
from streamrig.providers import WIRE_FORMATS, EncodeContext
from streamrig.scenario import bundled_path, load_scenarios
from streamrig.server._encoded import clear_templates, template_for
from streamrig.server._timeline import Frames
from streamrig.sse import SSEDecoder

BUNDLED = [s for s in load_scenarios([bundled_path()]).scenarios if s.reply is not None]
TOOL = {
    "name": "t",
    "reply": [{"text": "Let me look."}, {"tool_call": {"name": "get", "input": {"q": "x"}}}],
}


def ctx(seed: int, created: int = 1_767_225_600, input_chars: int = 40) -> EncodeContext:
    return EncodeContext(
        "s", "model-x", random.Random(seed), created, include_usage=True, input_chars=input_chars
    )


def direct(scenario, wire, context) -> bytes:
    return b"".join(event.encode() for event in wire.encode(scenario.reply, context))


@pytest.mark.parametrize("scenario", BUNDLED, ids=lambda s: s.name)
def test_every_bundled_reply_fits_a_template_that_gives_the_direct_bytes(scenario):
    clear_templates()
    for wire in WIRE_FORMATS.values():
        if scenario.provider not in (None, wire.provider):
            continue
        try:
            template = template_for(scenario, wire, ctx(1))
        except UnsupportedFeature:  # the endpoint cannot carry this scenario: refused either way
            with pytest.raises(UnsupportedFeature):
                direct(scenario, wire, ctx(2))
            continue
        assert template is not None, f"{scenario.name} on {wire.provider.value} fell back"
        for seed in (2, 3):
            request, expected = (
                ctx(seed, created=1_800_000_000 + seed),
                ctx(seed, 1_800_000_000 + seed),
            )
            frames = Frames(template.body, template.ends, [], template.fill(request))
            assert frames.data(0, len(frames)) == direct(scenario, wire, expected)
            assert request.rng.getstate() == expected.rng.getstate()


def ids_of(data: bytes) -> list[str]:
    return re.findall(rb'"id":"([^"]+)"', data)


def stream(server, route="/v1/messages"):
    body = {"model": "m", "max_tokens": 5, "stream": True}
    if route == "/v1/responses":
        body["input"] = "x"
    else:
        body["messages"] = [{"role": "user", "content": "x"}]
    response = httpx.post(server.url + route, json=body, headers={"x-streamrig-scenario": "t"})
    return response.content


@pytest.mark.parametrize("route", ["/v1/messages", "/v1/chat/completions", "/v1/responses"])
def test_each_request_gets_its_own_ids_and_otherwise_the_same_bytes(route):
    with MockServer(TOOL, speed=0) as server:
        first, second = stream(server, route), stream(server, route)
    assert ids_of(first) and len(ids_of(first)) == len(ids_of(second))
    assert set(ids_of(first)).isdisjoint(ids_of(second))
    masked = [
        re.sub(
            rb'"(id|item_id|call_id|created|created_at|system_fingerprint)":("[^"]*"|\d+)', b"", d
        )
        for d in (first, second)
    ]
    assert masked[0] == masked[1]
    decoder = SSEDecoder()
    events = [*decoder.decode(first), *decoder.flush()]
    assert all(e.data == "[DONE]" or json.loads(e.data) for e in events)


def test_a_seeded_server_repeats_the_same_bytes_across_servers():
    with MockServer(TOOL, seed=5, speed=0) as one:
        a = stream(one)
    clear_templates()
    with MockServer(TOOL, seed=5, speed=0) as two:
        b = stream(two)
    assert a == b


def test_frames_due_together_go_out_in_one_write():
    scenario = {**TOOL, "timing": {"ttft_ms": 50, "gap_ms": 20}}
    with MockServer(scenario) as server:
        stream(server)
        entry = server.journal.last()
    frames = entry.frames
    at_ttft = [f for f in frames if f.scheduled_s == pytest.approx(0.05)]
    assert len(at_ttft) >= 4  # message_start, block start, ping, first delta
    # one write: the same send time for each, to the last bit
    assert len({f.sent_s for f in at_ttft}) == 1
    later = [f for f in frames if f.scheduled_s > 0.06]
    assert len({f.sent_s for f in later}) > 1
    assert entry.bytes_sent == sum(f.size for f in frames) == len(entry.sent)


def test_a_fault_keeps_every_frame_its_own_write():
    scenario = {**TOOL, "faults": [{"split": {"every": 7}}]}
    with MockServer(scenario, speed=0) as server:
        stream(server)
        entry = server.journal.last()
    frames = entry.frames
    assert max(f.size for f in frames) == 7  # cut at every 7th byte of the body
    assert len({f.sent_s for f in frames}) > len(frames) // 2  # written one by one
