"""Pairing a probe's chunks with the server's events by content, for every way a client reads a stream."""

from __future__ import annotations

import math

import anthropic
import openai
import pytest

from streamrig import MockServer, UsageError, checks
from streamrig.checks import pair, sent_events
from streamrig.probe import probe
from tests.conftest import KEY, VECTORS

TEXT = "one two three four five six"
MIXED = {
    "name": "mixed",
    "reply": [{"text": TEXT}, {"tool_call": {"name": "get_weather", "input": {"city": "Paris"}}}],
    "stop": "tool_use",
    "timing": {"ttft_ms": 5, "gap_ms": 2},
}
SLOW = {"name": "slow", "reply": [{"text": TEXT}], "timing": {"ttft_ms": 20, "gap_ms": 150}}
MESSAGES = [{"role": "user", "content": "x"}]
ANTHROPIC = {"model": "m", "max_tokens": 50, "messages": MESSAGES}


@pytest.fixture(scope="module")
def rig():
    with (
        MockServer([MIXED, SLOW], default="mixed") as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as a,
        openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as o,
    ):
        yield server, a, o


def _anthropic_create(a, o):
    p = probe(a.messages.create(stream=True, **ANTHROPIC))
    list(p)
    return p


def _anthropic_stream_events(a, o):
    with a.messages.stream(**ANTHROPIC) as s:
        p = probe(s)
        list(p)
    return p


def _anthropic_text_stream(a, o):
    with a.messages.stream(**ANTHROPIC) as s:
        p = probe(s.text_stream)
        list(p)
    return p


def _chat_create(a, o):
    p = probe(
        o.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    list(p)
    return p


def _chat_helper(a, o):
    with o.chat.completions.stream(model="m", messages=MESSAGES) as s:
        p = probe(s)
        list(p)
    return p


def _responses_create(a, o):
    p = probe(o.responses.create(model="m", input="x", stream=True))
    list(p)
    return p


def _responses_helper(a, o):
    with o.responses.stream(model="m", input="x") as s:
        p = probe(s)
        list(p)
    return p


def _type(event):
    return event.data.get("type") if isinstance(event.data, dict) else None


def _is_text_delta(event):
    return _type(event) == "content_block_delta" and event.data["delta"]["type"] == "text_delta"


def _chat_carries(event):
    delta = event.data["choices"][0]["delta"] if event.data and event.data["choices"] else {}
    return bool(delta.get("content") or delta.get("tool_calls"))


# (how the client reads, which events it sees, whether it sees some twice)
WAYS = [
    (_anthropic_create, lambda e: _type(e) not in (None, "ping"), False),
    (_anthropic_stream_events, lambda e: _type(e) not in (None, "ping"), True),
    (_anthropic_text_stream, _is_text_delta, False),
    (_chat_create, lambda e: e.data is not None, False),
    (_chat_helper, lambda e: e.data is not None, True),
    (_responses_create, lambda e: True, False),
    (_responses_helper, lambda e: True, False),
]


@pytest.mark.parametrize(("read", "seen", "twice"), WAYS, ids=[w[0].__name__[1:] for w in WAYS])
def test_each_chunk_pairs_with_the_event_it_carries(rig, read, seen, twice):
    server, a, o = rig
    p = read(a, o)
    events = sent_events(server.journal.last())
    paired = pair(p, events)
    indices = [record.event for record in paired]
    assert indices == sorted(indices)
    assert sorted(set(indices)) == [i for i, e in enumerate(events) if seen(e)]
    assert (len(indices) > len(set(indices))) is twice
    assert [record.chunk for record in paired] == sorted({r.chunk for r in paired})
    for record in paired:
        assert record.received_at == p.times[record.chunk]
        assert record.sent_at == events[record.event].sent_at


def test_buffered_text_noted_by_callback_pairs_with_the_event_where_it_ends(rig):
    server, a, _ = rig
    on_token = probe()  # a callback-style client: the probe itself is the callback
    buffer = ""
    for event in a.messages.create(stream=True, **ANTHROPIC):
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            buffer += event.delta.text
            if len(buffer) >= 8:
                on_token(buffer)
                buffer = ""
    on_token.note(buffer)
    events = sent_events(server.journal.last())
    texts = [(i, e.data["delta"]["text"]) for i, e in enumerate(events) if _is_text_delta(e)]
    ends, sofar = [], ""
    for i, piece in texts:  # the event each buffered string ends in
        sofar += piece
        if len(sofar) >= 8:
            ends.append(i)
            sofar = ""
    ends.append(texts[-1][0])
    assert "".join(on_token.items) == TEXT
    assert [record.event for record in pair(on_token, events)] == ends


def test_a_chunk_that_matches_nothing_is_a_usage_error_naming_it(rig):
    server, a, _ = rig
    p = probe()
    for event in a.messages.create(stream=True, **ANTHROPIC):
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            p.note(event.delta.text.upper())  # not what the server sent
    events = sent_events(server.journal.last())
    with pytest.raises(UsageError, match=r"the probe's chunk 0, the text 'ONE', matches nothing"):
        pair(p, events)

    p = probe()
    p.note(events[3].data)
    p.note({**events[3].data, "index": 7})
    with pytest.raises(
        UsageError,
        match=r"chunk 1, content_block_delta 'one', matches nothing the server sent after event 3 "
        r"\(content_block_delta 'one'\)",
    ):
        pair(p, events)


def test_what_cannot_be_paired_says_so(rig):
    server, a, _ = rig
    _anthropic_create(a, None)
    events = sent_events(server.journal.last())
    numbers = probe()
    numbers.note(42)
    with pytest.raises(UsageError, match="chunk 0, a int, with the server's events"):
        pair(numbers, events)
    blanks = probe()
    blanks.note("")
    with pytest.raises(UsageError, match="none of the probe's 1 chunk"):
        pair(blanks, events)
    kept_none = probe([events[0].data], keep_items=False)
    list(kept_none)
    with pytest.raises(UsageError, match="keep_items=False"):
        checks.timing(server, kept_none, overhead_ms=50)
    unpaired = checks.timing(server, kept_none, max_gap_ms=1000)  # no overhead asked for
    assert math.isnan(unpaired.overhead_p95_ms) and unpaired.chunks == 1
    assert "overhead not measured (keep_items=False)" in unpaired.table()


def test_a_probe_without_source_is_fed_by_note_only():
    p = probe()
    with pytest.raises(TypeError, match=r"probe.note\(item\)"):
        list(p)
    p("a")
    p.note("b")
    assert p.items == ["a", "b"] and len(p) == 2 and p.last_time == p.times[-1]


def test_timing_of_raw_events_has_no_false_overhead(rig):
    """create(stream=True) yields every event but pings: counting paired most chunks with
    a content event one gap before their own (150 ms of false overhead)."""
    server, a, _ = rig
    p = probe(
        a.messages.create(stream=True, extra_headers={"x-streamrig-scenario": "slow"}, **ANTHROPIC)
    )
    list(p)
    measured = checks.timing(server, p, overhead_ms=120)  # a gap is 150
    assert measured.overhead_p50_ms < 75


def test_timing_of_stream_helper_events_is_never_negative(rig):
    """MessageStream yields two items for each delta: counting paired late chunks with
    early events, a negative overhead that no client could exceed."""
    server, a, _ = rig
    with a.messages.stream(extra_headers={"x-streamrig-scenario": "slow"}, **ANTHROPIC) as s:
        p = probe(s)
        list(p)
    measured = checks.timing(server, p)
    assert -10 < measured.overhead_p50_ms < 75


def _recorded_ways(anthropic_client, openai_client, provider, headers):
    request = {**ANTHROPIC, "extra_headers": headers}
    if provider == "anthropic":
        p = probe(anthropic_client.messages.create(stream=True, **request))
        list(p)
        yield "raw", p
        for way in ("events", "text_stream"):
            with anthropic_client.messages.stream(**request) as s:
                p = probe(s if way == "events" else s.text_stream)
                list(p)
            yield way, p
    else:
        create = openai_client.chat.completions.create
        p = probe(create(model="m", messages=MESSAGES, stream=True, extra_headers=headers))
        list(p)
        yield "chunks", p


@pytest.mark.skipif(not VECTORS.is_dir(), reason="no recorded vectors")
def test_every_chunk_of_real_recorded_streams_pairs():
    """Real bytes, parsed by the SDKs: each item holds what its event carried."""
    files = sorted(VECTORS.glob("anthropic/*.sse")) + sorted(VECTORS.glob("openai-chat/*.sse"))
    with (
        MockServer([str(f) for f in files], speed=0) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as a,
        openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as o,
    ):
        for path in files:
            headers = {"x-streamrig-scenario": path.stem}
            for way, p in _recorded_ways(a, o, path.parent.name, headers):
                paired = pair(p, sent_events(server.journal.last()))
                assert [r.chunk for r in paired] == list(range(len(p))), (path.name, way)
