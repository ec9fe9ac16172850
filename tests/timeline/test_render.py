"""Rendering a real run's timeline: the terminal table, the SVG, the page; and a long stream."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import streamrig
from streamrig import MockServer
from streamrig.timeline import page
from tests.timeline.runs import anthropic_run, chat_run, scenario

PINGED = scenario("pinged", faults=[{"after_events": 4, "ping": 2}])
LONG = {"name": "long", "reply": [{"text": "word " * 10_000}], "chunking": "words"}


@pytest.fixture(scope="module")
def server():
    with MockServer([PINGED, LONG], speed=1) as running:
        yield running


def test_text_has_a_line_per_frame_with_its_times_size_event_and_fault(server):
    seen = anthropic_run(server, "pinged")
    tl = streamrig.timeline(server.journal.last(), seen)
    lines = tl.text().splitlines()
    assert lines[0].startswith(f"#{tl.request_id} POST /v1/messages  scenario=pinged ")
    assert lines[1].split() == [
        "frame",
        "due",
        "ms",
        "sent",
        "ms",
        "late",
        "ms",
        "bytes",
        "recv",
        "ms",
        "event",
        "/",
        "preview",
        "/",
        "faults",
    ]
    table = lines[2 : 2 + len(tl.rows)]
    for row, line in zip(tl.rows, table, strict=True):
        fields = line.split()
        assert fields[:5] == [
            str(row.index),
            f"{row.due_s * 1000:.1f}",
            f"{row.sent_s * 1000:.1f}",
            f"{row.late_s * 1000:.1f}",
            str(row.size),
        ]
        assert row.event in line
    struck = [line for line in table if "!!" in line]
    assert len(struck) == 1 and struck[0].split()[0] == "4"
    assert "ping" in struck[0] and struck[0].endswith("!! ping after_events=4")
    assert tl.rows[4].event == "ping" and tl.rows[5].event == "ping"
    assert f"TTFT {tl.ttft_s * 1000:.1f} ms (server)" in lines[2 + len(tl.rows)]
    last = tl.rows[-1]
    assert lines[-1] == (
        f"ends: completed after frame {last.index} (sent at {last.sent_s * 1000:.1f} ms); "
        "faults: ping after_events=4 (before frame 4)"
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_page_is_self_contained(server):
    seen = chat_run(server, "pinged")
    html = streamrig.timeline(server.journal.last(), seen).html()
    tags = _tags(html)
    assert [t for t, _ in tags].count("svg") == 1
    assert not [a for _, a in tags if a.get("src") or (a.get("href") or "").startswith("http")]
    assert "<script" not in html and "@import" not in html and "url(" not in html


def test_a_10000_frame_stream_is_one_path_per_lane_and_a_cut_table(server):
    server.play("long", speed=0)
    chat_run(server, "long")
    entry = server.journal.last()
    assert len(entry.frames) > 10_000
    tl = streamrig.timeline(entry)
    html = tl.html()
    tags = _tags(html)
    assert next(a for t, a in tags if t == "g" and a.get("data-lane") == "server")[
        "data-frames"
    ] == str(len(entry.frames))
    assert not [a for t, a in tags if "srt-frame" in (a.get("class") or "").split()]
    paths = [a for t, a in tags if t == "path" and "srt-frames" in (a.get("class") or "")]
    assert len(paths) == 2  # content and other frames
    assert sum(len(re.findall("M", p["d"])) for p in paths) == len(entry.frames)
    rows = [a for t, a in tags if t == "tr" and a.get("data-frame") is not None]
    assert len(rows) == 1000 and f"{len(entry.frames) - 1000} frames not shown" in html
    assert len(html) < 2_000_000
    text = tl.text().splitlines()
    assert f"({len(entry.frames) - 200} frames not shown)" in tl.text() and len(text) < 220


def test_one_page_holds_several_requests(server):
    server.reset()
    anthropic_run(server, "pinged")
    chat_run(server, "pinged")
    made = [streamrig.timeline(e) for e in server.journal.settled()]
    html = page(made, title="two requests", links=[("index.html", "all tests")])
    tags = _tags(html)
    ids = [str(e.id) for e in server.journal.settled()]
    assert [a["data-request"] for t, a in tags if t == "section"] == ids and len(ids) == 2
    assert ("a", {"href": "index.html"}) in tags
