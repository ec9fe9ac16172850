"""A real run's timeline page, opened in Chromium: what a person sees on it."""

from __future__ import annotations

import pytest

import streamrig
from streamrig import MockServer
from tests.timeline.runs import CLEAN, RESET, anthropic_run


@pytest.fixture(scope="module")
def server():
    with MockServer([RESET, CLEAN]) as running:
        yield running


def test_timeline_page_shows_two_lanes_every_frame_the_fault_and_the_ttft(server, page, tmp_path):
    seen = anthropic_run(server, "reset")
    entry = server.journal.last()
    path = tmp_path / "timeline.html"
    path.write_text(streamrig.timeline(entry, seen).html())
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())

    lanes = page.locator("svg.srt-timeline .srt-lane")
    assert lanes.count() == 2
    assert page.locator(".srt-lane-label").all_text_contents() == [
        "server sends",
        "client receipts",
    ]
    assert page.locator("svg .srt-frame").count() == len(entry.frames) > 0
    assert page.locator("svg .srt-receipt").count() == len(seen.times)
    fault = page.locator("svg .srt-fault")
    assert fault.count() == 1 and fault.is_visible()
    assert "reset after_events=5" in fault.text_content()
    ttft = page.locator("svg .srt-ttft text").first
    assert ttft.is_visible() and ttft.text_content().startswith("TTFT ")
    assert page.locator("svg .srt-end text").text_content() == "reset"
    assert page.locator("table.srt-frames-table tbody tr").count() == len(entry.frames)
    # The fault mark sits after the last frame sent, the TTFT bracket ends at the first text.
    last_frame = page.locator("svg .srt-frame").last.bounding_box()
    assert fault.locator("line").bounding_box()["x"] >= last_frame["x"]
    assert requests == [path.as_uri()]  # self-contained: nothing else fetched
    assert page.screenshot_as("reset-run").stat().st_size > 5000


def test_timeline_page_of_a_clean_run_marks_completion_and_no_fault(server, page, tmp_path):
    seen = anthropic_run(server, "clean")
    entry = server.journal.last()
    path = tmp_path / "clean.html"
    path.write_text(streamrig.timeline(entry, seen).html())
    page.goto(path.as_uri())
    assert page.locator("svg .srt-fault").count() == 0
    assert page.locator("svg .srt-end text").text_content() == "completed"
    assert page.locator("svg .srt-frame.srt-content").count() == sum(
        1 for row in streamrig.timeline(entry).rows if row.content
    )
    assert page.locator("svg .srt-gap").count() == 2  # server and client lanes
    page.screenshot_as("clean-run")


README_RUN = {
    "name": "cut_short",
    "reply": [{"text": "The quick brown fox jumps over the lazy dog"}],
    "timing": {"ttft_ms": 200, "gap_ms": 40},
    "faults": [{"after_events": 8, "drop": "reset"}],
}


def test_readme_screenshot_of_a_reset_run(page, tmp_path):
    # The README's picture (docs/img/timeline.png is a copy of this test's screenshot).
    with MockServer([README_RUN, CLEAN]) as running:
        anthropic_run(running, "clean")  # warm the SDK up: its first event imports a lot
        seen = anthropic_run(running, "cut_short")
        entry = running.journal.last()
    path = tmp_path / "timeline.html"
    path.write_text(streamrig.timeline(entry, seen).html())
    page.set_viewport_size({"width": 1100, "height": 600})
    page.goto(path.as_uri())
    assert page.locator("svg .srt-frame").count() == len(entry.frames) == 8
    assert page.locator("svg .srt-receipt").count() == len(seen.times)
    assert page.locator("svg .srt-fault text").text_content() == "reset after_events=8"
    assert page.screenshot_as("readme").stat().st_size > 5000


def test_pytest_html_report_shows_the_timeline_of_a_failed_test(pytester, page):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_cut="""
        import pytest

        @pytest.mark.streamrig("short_text", faults=[{"after_events": 5, "drop": "reset"}])
        def test_cut(anthropic_client):
            with anthropic_client.messages.stream(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            ) as stream:
                stream.get_final_message()
        """
    )
    pytester.runpytest("--html=report.html", "--self-contained-html").assert_outcomes(failed=1)
    page.goto((pytester.path / "report.html").as_uri())
    row = page.locator("tbody.results-table-row", has_text="test_cut")
    picture = row.locator("svg.srt-timeline")
    assert picture.count() == 1 and picture.is_visible()
    assert row.locator("svg .srt-frame").count() == 5
    assert row.locator("svg .srt-fault text").text_content() == "reset after_events=5"
    page.screenshot_as("pytest-html")
