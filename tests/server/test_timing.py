"""Timing: scheduled frames, ttft / tokens per second, jitter, speed, split writes, drip, pings.

Bounds on measured times are generous: these machines are shared and noisy. The
precise figures live in tests/benchmarks/.
"""

from __future__ import annotations

import time
from itertools import pairwise

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer, Outcome
from tests.conftest import KEY

TEXT = "one two three four five six seven eight"
BODY = {
    "model": "m",
    "max_tokens": 5,
    "stream": True,
    "messages": [{"role": "user", "content": "x"}],
}


def stream(server, scenario="t", route="/v1/messages", body=BODY):
    started = time.monotonic()
    with httpx.stream(
        "POST", server.url + route, json=body, headers={"x-streamrig-scenario": scenario}
    ) as response:
        data = b"".join(response.iter_raw())
    return data, time.monotonic() - started


def content_times(entry):
    return [f.scheduled_s for f in entry.frames]


def test_ttft_and_tokens_per_second_schedule_every_frame():
    scenario = {
        "name": "t",
        "reply": [{"text": TEXT}],
        "timing": {"ttft_ms": 200, "tokens_per_s": 50},
    }
    with MockServer(scenario) as server:
        _, took = stream(server)
        entry = server.journal.last()
    scheduled = content_times(entry)
    # message_start, block start, ping and the first delta at ttft; then one delta every 20 ms
    assert scheduled[:4] == [0.2] * 4
    deltas = scheduled[3:11]
    assert [round(b - a, 6) for a, b in pairwise(deltas)] == [0.02] * 7
    assert 0.34 <= took < 2.0
    assert all(abs(f.sent_s - f.scheduled_s) < 0.05 for f in entry.frames)


def test_gap_ms_and_client_sees_first_token_after_ttft():
    scenario = {"name": "t", "reply": [{"text": TEXT}], "timing": {"ttft_ms": 150, "gap_ms": 10}}
    with (
        MockServer(scenario) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY) as client,
    ):
        started = time.monotonic()
        with client.messages.stream(
            **{k: v for k, v in BODY.items() if k != "stream"},
            extra_headers={"x-streamrig-scenario": "t"},
        ) as s:
            first = next(iter(s.text_stream))
            ttft = time.monotonic() - started
    assert first == "one"
    assert 0.14 <= ttft < 1.5


def test_seeded_jitter_reproduces_exactly_and_other_seeds_differ():
    def schedule(seed):
        scenario = {
            "name": "t",
            "reply": [{"text": TEXT}],
            "timing": {"gap_ms": 10, "jitter": 0.5, "seed": seed},
        }
        with MockServer(scenario, speed=0.0 + 1000) as server:
            stream(server)
            return content_times(server.journal.last())

    assert schedule(1) == schedule(1)
    assert schedule(1) != schedule(2)
    gaps = [b - a for a, b in pairwise(schedule(1)[3:11])]
    assert all(0.005 / 1000 <= g <= 0.015 / 1000 for g in gaps)


def test_server_seed_makes_jitter_repeat_too():
    scenario = {"name": "t", "reply": [{"text": TEXT}], "timing": {"gap_ms": 10, "jitter": 0.5}}
    runs = []
    for _ in range(2):
        with MockServer(scenario, seed=9, speed=1000) as server:
            stream(server)
            runs.append(content_times(server.journal.last()))
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    ("server_speed", "scenario_speed", "factor"),
    [(2, 1, 0.5), (1, 4, 0.25), (2, 2, 0.25), (0, 1, 0), (1, 0, 0)],
)
def test_speed_scales_every_wait_and_keeps_order(server_speed, scenario_speed, factor):
    scenario = {
        "name": "t",
        "reply": [{"text": TEXT}],
        "timing": {"ttft_ms": 100, "gap_ms": 20},
        "speed": scenario_speed,
    }
    with MockServer(scenario, speed=server_speed) as server:
        data, _ = stream(server)
        entry = server.journal.last()
    with MockServer({**scenario, "speed": 1}) as plain:
        reference, _ = stream(plain)
        base = content_times(plain.journal.last())
    assert content_times(entry) == pytest.approx([t * factor for t in base])
    assert len(data) == len(reference)


def test_low_level_wait_ms_schedules_exact_gaps():
    with MockServer() as server:
        stream(server, "anthropic_keepalive")
        entry = server.journal.last()
    assert content_times(entry) == pytest.approx([0, 0, 0.04, 0.04, 0.06, 0.06, 0.06, 0.06])


@pytest.mark.parametrize("every", [1, 3, 64])
def test_split_writes_accumulate_correctly_in_both_sdks(server, every):
    scenario = {
        "name": f"split{every}",
        "reply": [{"text": "héllo 👩‍💻 𝄞 日本"}, {"tool_call": {"name": "f", "input": {"q": "𝄞"}}}],
        "chunking": "chars",
        "line_endings": "crlf",
        "faults": [{"split": {"every": every}}],
    }
    server.add(scenario)
    h = {"x-streamrig-scenario": scenario["name"]}
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as a:
        with a.messages.stream(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}], extra_headers=h
        ) as s:
            message = s.get_final_message()
    assert message.content[0].text == "héllo 👩‍💻 𝄞 日本" and message.content[1].input == {"q": "𝄞"}
    entry = server.journal.last()
    if every == 1:
        assert {f.size for f in entry.frames} == {1}
    with openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as o:
        with o.chat.completions.stream(
            model="m", messages=[{"role": "user", "content": "x"}], extra_headers=h
        ) as s:
            completion = s.get_final_completion()
    assert completion.choices[0].message.content == "héllo 👩‍💻 𝄞 日本"
    assert completion.choices[0].message.tool_calls[0].function.arguments == '{"q":"𝄞"}'


def test_split_at_offsets_cuts_inside_a_utf8_character_and_a_crlf():
    reply = {"name": "t", "reply": [{"text": "a𝄞b"}], "chunking": "whole", "line_endings": "crlf"}
    with MockServer(reply, seed=1) as plain:
        whole, _ = stream(plain)
    clef = whole.index("𝄞".encode())
    crlf = whole.index(b"\r\n")
    with MockServer(
        {**reply, "faults": [{"split": {"at": [clef + 2, crlf + 1]}}]}, seed=1
    ) as server:
        data, _ = stream(server)
        entry = server.journal.last()
    assert data == whole
    sizes = [f.size for f in entry.frames]
    offsets = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    assert clef + 2 in offsets and crlf + 1 in offsets


def test_drip_sends_bytes_per_second():
    scenario = {"name": "t", "reply": [{"text": TEXT}], "faults": [{"drip": 4000}]}
    with MockServer(scenario) as server:
        data, took = stream(server)
    assert 0.8 * len(data) / 4000 <= took < 3 * len(data) / 4000 + 0.5


def test_pings_fill_quiet_gaps():
    scenario = {
        "name": "t",
        "reply": [{"text": TEXT}],
        "timing": {"gap_ms": 30},
        "faults": [{"ping": {"every_ms": 10}}],
    }
    with MockServer(scenario) as server:
        anthropic_body, _ = stream(server)
        chat_body, _ = stream(server, route="/v1/chat/completions")
    assert anthropic_body.count(b"event: ping") > 10
    assert chat_body.count(b": ping\n\n") > 10
    with MockServer({**scenario, "faults": [{"after_events": 2, "ping": 3}]}) as server:
        body, _ = stream(server)
    assert body.count(b"event: ping") == 1 + 3


def test_client_closing_after_two_deltas_is_seen_at_the_right_frame_within_50ms():
    scenario = {"name": "t", "reply": [{"text": TEXT}], "timing": {"gap_ms": 300}}
    with (
        MockServer(scenario) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY) as client,
    ):
        with client.messages.stream(
            model="m",
            max_tokens=5,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-streamrig-scenario": "t"},
        ) as s:
            texts = []
            for text in s.text_stream:
                texts.append(text)
                if len(texts) == 2:
                    break
        closed_at = time.time()
        deadline = time.monotonic() + 2
        while server.journal.last().outcome is Outcome.PENDING and time.monotonic() < deadline:
            time.sleep(0.005)
        entry = server.journal.last()
    assert texts == ["one", " two"]
    assert entry.outcome is Outcome.CLIENT_CLOSED
    # written: message_start, block start, ping, "one", " two"; frame 5 (" three") never went
    assert entry.closed_at_frame == 5 and len(entry.frames) == 5
    seen_at = entry.started_at + entry.closed_at_s
    assert seen_at - closed_at < 0.05, (
        f"noticed {1000 * (seen_at - closed_at):.1f} ms after the close"
    )
