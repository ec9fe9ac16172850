"""The timeline model, built from real runs: official SDK clients against MockServer, probed."""

from __future__ import annotations

import itertools
import json

import anthropic
import pytest

import streamrig
from streamrig import MockServer, Outcome, Rig, UsageError, probe
from streamrig.scenario import Provider, scenario_from_mapping
from streamrig.server import timeline_text
from streamrig.timeline import planned, timelines
from tests.conftest import KEY
from tests.timeline.runs import CLEAN, MESSAGES, RESET, TEXT, anthropic_run, chat_run, scenario

SLOW = scenario("slow", timing={"ttft_ms": 10, "gap_ms": 60})
SPLIT = scenario("split", faults=[{"split": {"every": 40}}])


@pytest.fixture(scope="module")
def server():
    with MockServer([RESET, CLEAN, SLOW, SPLIT]) as running:
        yield running


def test_rows_are_the_journal_frames_with_what_each_carried(server):
    anthropic_run(server, "clean")
    entry = server.journal.last()
    tl = streamrig.timeline(entry)
    offset = entry.started_at - entry.time
    assert [r.index for r in tl.rows] == list(range(len(entry.frames)))
    for row, frame in zip(tl.rows, entry.frames, strict=True):
        assert row.size == frame.size
        assert row.due_s == pytest.approx(offset + frame.scheduled_s)
        assert row.sent_s == pytest.approx(offset + frame.sent_s)
        assert row.late_s == pytest.approx(frame.sent_s - frame.scheduled_s)
    assert tl.rows[0].event == "message_start"
    assert tl.rows[-1].event == "message_stop"
    carried = "".join(r.preview for r in tl.rows if r.content)
    assert carried == TEXT
    assert tl.outcome == "completed" and tl.faults == () and tl.closed_at_s is None
    assert tl.bytes_sent == entry.bytes_sent


def test_ttft_is_the_first_content_frame_and_gaps_lie_between_content_frames(server):
    anthropic_run(server, "slow")
    tl = streamrig.timeline(server.journal.last())
    first = next(r for r in tl.rows if r.event == "content_block_delta")
    assert tl.first_content is first and tl.ttft_s == first.sent_s
    gaps = tl.gaps()
    content = [r for r in tl.rows if r.content]
    assert len(gaps) == len(content) - 1
    assert [(g.after, g.before) for g in gaps] == [
        (a.index, b.index) for a, b in itertools.pairwise(content)
    ]
    assert [g.seconds for g in gaps] == pytest.approx(
        [b.sent_s - a.sent_s for a, b in itertools.pairwise(content)]
    )
    assert tl.largest_gap().seconds == max(g.seconds for g in gaps) > 0.03  # 60 ms gaps


def test_a_fault_is_marked_where_it_struck_and_the_ending_is_the_outcome(server):
    seen = anthropic_run(server, "reset")
    entry = server.journal.last()
    tl = streamrig.timeline(entry, seen)
    assert entry.outcome is Outcome.RESET and tl.outcome == "reset"
    [mark] = tl.faults
    assert mark.label == "reset after_events=5"
    assert mark.frame == len(entry.frames) == len(tl.rows)  # struck before the frame not sent
    assert mark.at_s >= tl.rows[-1].sent_s
    assert tl.ended_s == pytest.approx(mark.at_s)


@pytest.mark.parametrize("name", ["clean", "split"])
def test_client_receipts_pair_with_the_frames_carrying_their_text(server, name):
    # "split" writes every 40 bytes: events span frames, and pair with the one ending them
    seen = anthropic_run(server, name)
    tl = streamrig.timeline(server.journal.last(), seen)
    assert len(tl.receipts) == len(seen.times)
    by_index = {r.index: r for r in tl.rows}
    texts = [(i, item.text) for i, item in enumerate(seen.items) if item.type == "text"]
    assert texts
    for chunk, text in texts:
        receipt = tl.receipts[chunk]
        assert by_index[receipt.frame].preview == text
        # Received once due (the server notes a send when its write returns, which on a busy
        # machine can be after the client has read it).
        assert receipt.at_s >= by_index[receipt.frame].due_s
    assert all(r.frame is not None for r in tl.receipts)
    assert tl.client_ttft_s is not None and tl.client_ttft_s >= tl.first_content.due_s
    # Each frame's first receipt shows in its row.
    first = tl.receipts[texts[0][0]]
    earliest = min(r.at_s for r in tl.receipts if r.frame == first.frame)
    assert by_index[first.frame].received_s == earliest


def test_chat_chunks_pair_with_their_frames_too(server):
    seen = chat_run(server, "clean")
    entry = server.journal.last()
    tl = streamrig.timeline(entry, seen)
    assert entry.provider == "openai-chat"
    pieces = [c.choices[0].delta.content for c in seen.items if c.choices]
    paired = [tl.rows[r.frame].preview for r in tl.receipts if tl.rows[r.frame].content]
    assert paired == [p for p in pieces if p]
    assert (tl.rows[-1].event, tl.rows[-1].preview) == ("data", "data: [DONE]")


def test_a_probe_without_items_places_receipts_in_time_only(server):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        with client.messages.stream(
            model="m",
            max_tokens=50,
            messages=MESSAGES,
            extra_headers={"x-streamrig-scenario": "clean"},
        ) as stream:
            seen = probe(stream, keep_items=False)
            list(seen)
    tl = streamrig.timeline(server.journal.last(), seen)
    assert len(tl.receipts) == len(seen.times) > 0
    assert all(r.frame is None for r in tl.receipts)
    assert tl.receipts[0].at_s == pytest.approx(seen.times[0] - server.journal.last().time)


def test_a_probe_of_another_stream_is_refused_by_timeline_and_left_out_by_timelines(server):
    anthropic_run(server, "clean")
    other = probe()
    other.note("words this stream never carried")
    entry = server.journal.last()
    with pytest.raises(UsageError, match="matches nothing the server sent"):
        streamrig.timeline(entry, other)
    [tl] = timelines([entry], [other])
    assert tl.receipts == () and "matches nothing" in tl.probe_note
    assert "probe left out" in tl.text()


def test_timelines_give_each_request_the_probe_that_read_it(server):
    server.reset()
    first = anthropic_run(server, "clean")
    second = chat_run(server, "clean")
    entries = server.journal.settled()
    made = timelines(entries, [second, first])
    assert [len(t.receipts) for t in made] == [len(first.times), len(second.times)]
    assert made[1].provider == "openai-chat"


def test_a_client_that_leaves_is_marked_at_its_frame(server):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        stream = client.messages.create(
            model="m",
            max_tokens=50,
            messages=MESSAGES,
            stream=True,
            extra_headers={"x-streamrig-scenario": "slow"},
        )
        for index, _ in enumerate(stream):
            if index == 5:
                break
        stream.response.close()
    entry = server.journal.last(wait=3)
    tl = streamrig.timeline(entry)
    assert tl.outcome == "client_closed"
    assert tl.closed_at_frame == entry.closed_at_frame == len(tl.rows)
    assert tl.closed_at_s == pytest.approx(entry.started_at - entry.time + entry.closed_at_s)
    assert tl.closed_at_s >= tl.rows[-1].sent_s
    assert (
        f"the client left at {tl.closed_at_s * 1000:.1f} ms, before frame {len(tl.rows)}"
        in tl.text()
    )


def test_to_dict_is_json_with_the_rows_and_measures(server):
    seen = anthropic_run(server, "reset")
    tl = streamrig.timeline(server.journal.last(), seen)
    data = json.loads(json.dumps(tl.to_dict()))
    assert len(data["rows"]) == len(tl.rows)
    assert data["rows"][0]["late_s"] == pytest.approx(tl.rows[0].late_s)
    assert data["outcome"] == "reset" and data["ttft_s"] == pytest.approx(tl.ttft_s)
    assert data["faults"][0]["label"] == "reset after_events=5"
    assert len(data["receipts"]) == len(seen.times)


def test_planned_holds_the_frames_streamrig_show_prints():
    loaded = scenario_from_mapping(RESET)
    tl = planned(loaded, Provider.ANTHROPIC)
    shown = timeline_text(loaded, Provider.ANTHROPIC).splitlines()
    frames = [line for line in shown if "  frame " in line]
    assert len(tl.rows) == len(frames)
    for row, line in zip(tl.rows, frames, strict=True):
        assert f"{row.due_s * 1000:9.1f} ms  frame {row.index:<4} {row.size:6} B" in line
        assert row.sent_s is None and row.received_s is None
    assert tl.planned and tl.outcome == "reset"
    assert [m.label for m in tl.faults] == ["reset after_events=5"]
    assert "(planned)" in tl.text()


def test_rig_timeline_is_the_last_request_with_the_probe_the_rig_made(server):
    rig = Rig(server)
    rig.reset()
    anthropic_run(server, "clean")  # read without a rig probe: no receipts
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        with client.messages.stream(
            model="m",
            max_tokens=50,
            messages=MESSAGES,
            extra_headers={"x-streamrig-scenario": "reset"},
        ) as stream:
            seen = rig.probe()
            with pytest.raises(Exception, match="peer closed connection"):
                for event in stream:
                    seen.note(event)
    tl = rig.timeline()
    assert tl.request_id == server.journal.last().id and tl.outcome == "reset"
    assert len(tl.receipts) == len(seen.times) > 0
    first, second = rig.timelines()
    assert first.receipts == () and second == tl
    rig.reset()
    assert rig.probes == []
