"""The live page in Chromium: scenarios listed, requests appearing as they play, timelines, curl."""

from __future__ import annotations

import subprocess
import threading

import anthropic
import httpx2 as httpx
import pytest
from playwright.sync_api import expect

from streamrig import MockServer

SLOW = {
    "name": "slow",
    "description": "a reply at a reader's pace",
    "reply": [{"text": "one two three four five six seven eight"}],
    "timing": {"ttft_ms": 300, "tokens_per_s": 8},
}
PAGE_LOADS = 10_000  # ms


@pytest.fixture(scope="module")
def server():
    with MockServer() as running:
        httpx.post(running.url + "/_streamrig/scenarios", json=SLOW).raise_for_status()
        yield running


def ask(url: str, scenario: str) -> str:
    with (
        anthropic.Anthropic(base_url=url, api_key="test", max_retries=0) as client,
        client.messages.stream(
            model="claude-test",
            max_tokens=64,
            messages=[{"role": "user", "content": "Hello"}],
            extra_headers={"x-streamrig-scenario": scenario},
        ) as stream,
    ):
        return "".join(stream.text_stream)


def open_live(page, server):
    page.goto(server.url + "/_streamrig/")
    page.wait_for_selector("#conn.live", timeout=PAGE_LOADS)
    page.evaluate("window.notReloaded = true")


def test_the_page_lists_the_loaded_scenarios_with_a_plan_and_a_curl_line(server, page):
    open_live(page, server)
    names = page.locator("#scenarios .scenario .name").all_text_contents()
    assert sorted(names) == sorted(s.name for s in server.state.registry.all())
    slow = page.locator('.scenario[data-name="slow"]')
    assert slow.locator(".desc").text_content() == "a reply at a reader's pace"
    assert (
        slow.locator("button.curl")
        .get_attribute("data-curl")
        .startswith(f"curl -N {server.url}/s/slow/v1/messages ")
    )
    slow.locator("button.plan").click()
    frame = page.frame_locator("#timeline")
    frame.locator("svg.srt-timeline").wait_for(timeout=PAGE_LOADS)
    assert frame.locator("svg .srt-frame").count() > 5
    assert "plan of slow" in page.locator("#detail-title").text_content()
    page.screenshot_as("scenarios")


def test_the_list_grows_while_a_stream_plays_and_its_row_opens_into_its_timeline(server, page):
    open_live(page, server)
    rows = page.locator("#requests tbody tr")
    before = rows.count()
    answer: list[str] = []
    playing = threading.Thread(target=lambda: answer.append(ask(server.url, "slow")))
    playing.start()
    try:
        # the row appears while the stream plays, without a reload
        expect(rows).to_have_count(before + 1, timeout=PAGE_LOADS)
        newest = rows.first
        expect(newest.locator(".outcome")).to_have_text("playing")
        expect(newest.locator(".scenario")).to_have_text("slow", timeout=PAGE_LOADS)
        page.screenshot_as("playing")
    finally:
        playing.join(30)
    assert answer == ["one two three four five six seven eight"]
    entry = server.journal.last()
    expect(newest.locator(".outcome")).to_have_text("completed", timeout=PAGE_LOADS)
    assert rows.count() == before + 1
    assert newest.locator(".status").text_content() == "200"
    assert newest.locator(".frames").text_content() == str(len(entry.frames))
    assert page.evaluate("window.notReloaded") is True

    newest.click()
    frame = page.frame_locator("#timeline")
    frame.locator("svg.srt-timeline .srt-lane").first.wait_for(timeout=PAGE_LOADS)
    assert frame.locator("svg.srt-timeline .srt-lane").count() >= 1
    assert frame.locator("svg .srt-frame").count() == len(entry.frames)
    assert frame.locator("svg .srt-end text").text_content() == "completed"
    assert (
        page.locator("#detail-text")
        .get_attribute("href")
        .endswith(f"/journal/{entry.id}/timeline?format=text")
    )
    page.screenshot_as("timeline")


def test_a_fault_shows_in_the_list_and_its_timeline(server, page):
    open_live(page, server)
    with pytest.raises((anthropic.APIError, httpx.HTTPError)):  # the SDK's stream, cut
        ask(server.url, "connection_reset")
    entry = server.journal.last()
    row = page.locator(f'#requests tbody tr[data-key="{entry.id}"]')
    row.wait_for(timeout=PAGE_LOADS)
    expect(row.locator(".outcome")).to_have_text("reset", timeout=PAGE_LOADS)
    row.click()
    fault = page.frame_locator("#timeline").locator("svg .srt-fault")
    fault.wait_for(timeout=PAGE_LOADS)
    assert fault.count() == 1


def test_the_copy_button_puts_a_curl_line_on_the_clipboard_that_plays_the_scenario(server, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    open_live(page, server)
    button = page.locator('.scenario[data-name="tool_after_text"] button.curl')
    button.click()
    expect(button).to_have_text("copied", timeout=PAGE_LOADS)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == button.get_attribute("data-curl")
    before = page.locator("#requests tbody tr").count()
    ran = subprocess.run(
        ["bash", "-c", copied + " -sS --fail-with-body"], capture_output=True, timeout=30
    )
    assert ran.returncode == 0, ran.stderr
    assert b"event: message_stop" in ran.stdout
    # and the page saw it come and go
    expect(page.locator("#requests tbody tr")).to_have_count(before + 1, timeout=PAGE_LOADS)
    expect(page.locator("#requests tbody tr .scenario").first).to_have_text("tool_after_text")


def test_a_page_of_another_origin_cannot_read_the_journal_events(server, page):
    with MockServer(speed=0) as other:
        page.goto(other.url + "/_streamrig/health")
        outcome = page.evaluate(
            """url => new Promise(done => {
                const source = new EventSource(url);
                source.addEventListener("entry", () => { source.close(); done("read"); });
                source.onerror = () => { source.close(); done("refused"); };
            })""",
            server.url + "/_streamrig/journal/events",
        )
    assert outcome == "refused"


def test_rows_the_journal_forgot_are_greyed_out(server, page):
    open_live(page, server)
    ask(server.url, "short_text")
    rows = page.locator("#requests tbody tr")
    expect(rows.first.locator(".outcome")).to_have_text("completed", timeout=PAGE_LOADS)
    assert httpx.delete(server.url + "/_streamrig/journal").status_code == 204
    expect(rows.first).to_have_class("forgotten", timeout=PAGE_LOADS)
    assert rows.evaluate_all("rows => rows.every(row => row.classList.contains('forgotten'))")
    ask(server.url, "short_text")
    expect(rows.first.locator(".outcome")).to_have_text("completed", timeout=PAGE_LOADS)
    assert "forgotten" not in (rows.first.get_attribute("class") or "")
