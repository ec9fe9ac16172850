"""The live page over plain HTTP: Accept negotiation, the journal's event stream, plans, curl lines."""

from __future__ import annotations

import contextlib
import json
import queue
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import anthropic
import httpx2 as httpx
import pytest
from click.testing import CliRunner

import streamrig
from streamrig import MockServer
from streamrig.cli import main
from streamrig.server._live import entry_summary, wants_html

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# What `GET /_streamrig/` answered before the page, and still answers anything not a browser.
NOT_A_PAGE = (
    b'{"error":{"message":"Invalid URL (GET /_streamrig/)","type":"invalid_request_error",'
    b'"param":null,"code":null}}'
)
SLOW = {
    "name": "slow",
    "reply": [{"text": "one two three four five six"}],
    "timing": {"ttft_ms": 150, "tokens_per_s": 12},
}


class Events:
    """Reads `GET /_streamrig/journal/events` on a thread: (event, id, data) triples."""

    def __init__(self, url: str, **headers: str) -> None:
        self.got: queue.Queue[tuple[str, str, dict]] = queue.Queue()
        self.response: httpx.Response | None = None
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "the event stream did not open"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            self._follow(url, headers)
        except httpx.HTTPError:
            if not self._stop.is_set():  # a hang-up the test did not ask for
                raise

    def _follow(self, url: str, headers: dict[str, str]) -> None:
        with httpx.stream(
            "GET", url + "/_streamrig/journal/events", headers=headers, timeout=30
        ) as r:
            self.response = r
            self._opened.set()
            fields: dict[str, str] = {}
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line == "":
                    if "data" in fields:
                        self.got.put(
                            (
                                fields.get("event", ""),
                                fields.get("id", ""),
                                json.loads(fields["data"]),
                            )
                        )
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value

    def until(self, done, timeout: float = 10.0) -> list[tuple[str, str, dict]]:
        """Every event read until `done(data)` holds for one."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.got.get(timeout=0.1)
            except queue.Empty:
                continue
            seen.append(event)
            if done(event[2]):
                return seen
        raise AssertionError(f"no such event within {timeout} s; seen: {seen}")

    def close(self) -> None:
        """Hang up now: a socket closed from another thread than the one blocked reading it
        stays open (no FIN) until data arrives; shutting it down wakes the reader."""
        self._stop.set()
        if self.response is not None:
            stream = self.response.extensions["network_stream"]
            with contextlib.suppress(OSError):
                stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
            self.response.close()
        self._thread.join(5)
        assert not self._thread.is_alive(), "the event stream's reader did not stop"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0", False),
        ("text/html;q=0.9, application/json;q=0.9", True),
    ],
)
def test_wants_html_asks_the_accept_header(accept, html):
    assert wants_html(accept) is html


def test_the_admin_root_is_a_page_for_browsers_and_the_same_json_as_before_otherwise(fresh):
    for accept in (None, "*/*", "application/json"):
        headers = {"accept": accept} if accept else {}
        answer = httpx.get(fresh.url + "/_streamrig/", headers=headers)
        assert (answer.status_code, answer.content) == (404, NOT_A_PAGE)
        assert answer.headers["content-type"].startswith("application/json")
    page = httpx.get(fresh.url + "/_streamrig/", headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["vary"] == "Accept"
    # self-contained: nothing loaded from anywhere, and the policy says so to the browser
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert not re.search(r"<(link|img|iframe)[^>]+(src|href)=\"?https?:", page.text)
    assert not re.search(r"<script[^>]+src=", page.text)
    assert len(page.content) < 40_000
    data = page_data(page.text)
    assert {s["name"] for s in data["scenarios"]} == {s.name for s in fresh.state.registry.all()}
    assert data["default"] == "default"


def page_data(html: str) -> dict:
    found = re.search(
        r'<script id="streamrig-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the page embeds its data"
    return json.loads(found.group(1))


def slow_stream(url: str, scenario: str = "slow") -> str:
    with (
        anthropic.Anthropic(base_url=url, api_key="test", max_retries=0) as client,
        client.messages.stream(
            model="m",
            max_tokens=50,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-streamrig-scenario": scenario},
        ) as stream,
    ):
        return "".join(stream.text_stream)


def hello(url: str) -> None:
    """One whole (not streamed) request, its client closed after."""
    with anthropic.Anthropic(base_url=url, api_key="t") as client:
        client.messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )


def test_the_event_stream_sends_each_entry_as_it_opens_plays_and_finishes():
    with MockServer() as server:
        httpx.post(server.url + "/_streamrig/scenarios", json=SLOW).raise_for_status()
        events = Events(server.url)
        try:
            assert events.response.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert "access-control-allow-origin" not in events.response.headers
            assert slow_stream(server.url) == "one two three four five six"
            seen = events.until(lambda data: data["done"])
        finally:
            events.close()
        entry = server.journal.last()
    names = {name for name, _, _ in seen}
    assert names == {"entry"}
    assert {event_id for _, event_id, _ in seen} == {str(entry.id)}
    first, last = seen[0][2], seen[-1][2]
    assert (first["done"], first["outcome"], first["path"]) == (False, "pending", "/v1/messages")
    assert len(seen) >= 3, "progress while it plays, between opening and finishing"
    assert last == {
        "id": entry.id,
        "time": entry.time,
        "method": "POST",
        "path": "/v1/messages",
        "provider": "anthropic",
        "scenario": "slow",
        "attempt": 1,
        "turn": 1,
        "stream": True,
        "status": 200,
        "outcome": "completed",
        "done": True,
        "duration_s": round(entry.ended_at - entry.time, 4),
        "frames": len(entry.frames),
        "bytes_sent": entry.bytes_sent,
        "faults": [],
        "error": None,
    }
    assert last["duration_s"] >= 0.15  # the scenario's TTFT at least
    frames = [data["frames"] for _, _, data in seen]
    assert frames == sorted(frames)


def test_a_page_connecting_later_gets_the_journal_first_and_leaves_no_watcher_behind(fresh):
    hello(fresh.url)
    gone = fresh.journal.last()
    events = Events(fresh.url)
    seen = events.until(lambda data: data["id"] == gone.id)
    assert seen[-1][2]["outcome"] == "completed" and seen[-1][2]["status"] == 200
    events.close()
    # the reader hangs up at its next line; the server forgets its watcher
    httpx.post(
        fresh.url + "/v1/messages",
        json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    )
    deadline = time.monotonic() + 5
    while fresh.journal._watchers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fresh.journal._watchers == ()


def test_the_event_stream_is_closed_to_other_sites(fresh):
    other = httpx.get(
        fresh.url + "/_streamrig/journal/events", headers={"origin": "http://evil.example"}
    )
    assert other.status_code == 403 and other.json()["error"]["type"] == "cross_origin"
    assert "access-control-allow-origin" not in other.headers
    rebound = httpx.get(fresh.url + "/_streamrig/journal/events", headers={"host": "evil.example"})
    assert rebound.status_code == 421
    page = httpx.get(
        fresh.url + "/_streamrig/", headers={"host": "evil.example", "accept": "text/html"}
    )
    assert page.status_code == 421


def test_a_scenarios_plan_is_what_streamrig_show_prints(fresh):
    answer = httpx.get(
        fresh.url
        + "/_streamrig/scenarios/tool_after_text/timeline?provider=openai-chat&format=text"
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    shown = CliRunner().invoke(
        main,
        [
            "show",
            str(fresh.state.registry.get("tool_after_text").source),
            "--provider",
            "openai-chat",
            "--seed",
            "7",
            "--speed",
            "0",
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert answer.text == shown.output
    missing = httpx.get(fresh.url + "/_streamrig/scenarios/nope/timeline")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]
    bad = httpx.get(fresh.url + "/_streamrig/scenarios/default/timeline?provider=cobol")
    assert bad.status_code == 400 and "cobol" in bad.json()["error"]["message"]


@pytest.mark.parametrize(
    ("scenario", "provider", "streamed"),
    [
        ("tool_after_text", "anthropic", b"event: content_block_delta"),
        ("refusal", "anthropic", b"event: message_stop"),
        ("citations", "anthropic", b"event: message_stop"),
        ("anthropic_keepalive", "anthropic", b"event: message_stop"),
    ],
)
def test_the_copied_curl_line_plays_its_scenario(fresh, scenario, provider, streamed):
    data = page_data(httpx.get(fresh.url + "/_streamrig/", headers={"accept": "text/html"}).text)
    (offered,) = [s for s in data["scenarios"] if s["name"] == scenario]
    assert offered["provider"] == provider
    assert offered["curl"].startswith(f"curl -N {fresh.url}/s/{scenario}/")
    ran = subprocess.run(
        ["bash", "-c", offered["curl"] + " -sS --fail-with-body"], capture_output=True, timeout=30
    )
    assert ran.returncode == 0, ran.stderr
    assert streamed in ran.stdout
    entry = fresh.journal.last()
    assert (entry.scenario, entry.provider, entry.outcome.value) == (
        scenario,
        provider,
        "completed",
    )


@pytest.mark.parametrize("provider", ["openai-chat", "openai-responses", "gemini"])
def test_curl_lines_for_every_endpoint_stream(fresh, provider):
    from streamrig.scenario import Provider
    from streamrig.server._curl import curl_line

    scenario = fresh.state.registry.get("short_text")
    line = curl_line(fresh.url, scenario, Provider(provider))
    ran = subprocess.run(
        ["bash", "-c", line + " -sS --fail-with-body"], capture_output=True, timeout=30
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith(b"data: ") or ran.stdout.startswith(b"event: ")
    entry = fresh.journal.last()
    assert (entry.scenario, entry.provider, entry.stream, entry.outcome.value) == (
        "short_text",
        provider,
        True,
        "completed",
    )


def test_a_requests_timeline_is_a_page_or_text_and_bad_ids_are_404_json(fresh):
    hello(fresh.url)
    entry = fresh.journal.last()
    url = f"{fresh.url}/_streamrig/journal/{entry.id}/timeline"
    page = httpx.get(url)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text == streamrig.timeline(entry).html()
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = httpx.get(url + "?format=text")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == streamrig.timeline(entry).text()
    for bad in ("999999", "0", "abc", "-1", "1.5"):
        answer = httpx.get(f"{fresh.url}/_streamrig/journal/{bad}/timeline")
        assert answer.status_code == 404, bad
        assert answer.headers["content-type"].startswith("application/json")
        message = answer.json()["error"]["message"]
        assert f"no journal entry {bad!r}" in message and f"ids {entry.id} to {entry.id}" in message
    wrong = httpx.get(url + "?format=pdf")
    assert wrong.status_code == 400 and "pdf" in wrong.json()["error"]["message"]


def test_a_scenarios_plan_page_holds_each_turn_planned(fresh):
    from streamrig.timeline import planned

    answer = httpx.get(fresh.url + "/_streamrig/scenarios/long_text/timeline")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    plan = planned(fresh.state.registry.get("long_text"), "anthropic", seed=7, speed=0)
    assert answer.text.count('class="srt-request"') == 1
    assert plan.svg() in answer.text
    turns = {
        "name": "two_turns",
        "turns": [{"reply": [{"text": "first"}]}, {"reply": [{"text": "second"}]}],
    }
    httpx.post(fresh.url + "/_streamrig/scenarios", json=turns).raise_for_status()
    both = httpx.get(fresh.url + "/_streamrig/scenarios/two_turns/timeline")
    assert both.text.count('class="srt-request"') == 2


def test_serve_prints_the_pages_url_and_it_serves_the_page():
    from tests.test_serve_signals import start

    process, url, banner = start()
    try:
        (line,) = [line for line in banner.splitlines() if line.startswith("Live page")]
        assert line == f"Live page (open it in a browser): {url}/_streamrig/"
        page = httpx.get(line.rsplit(" ", 1)[1], headers={"accept": BROWSER_ACCEPT})
        assert page.status_code == 200 and "<title>streamrig: live</title>" in page.text
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_readme_live_page_section_shows_real_events_and_committed_pictures():
    from tests.readme import README, section, snippets

    text = section("## Live page")
    for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (README.parent / picture).stat().st_size > 10_000, picture
    (example,) = snippets("## Live page", "text")
    event, event_id, data = example.splitlines()
    assert (event, event_id) == ("event: entry", "id: 3")
    shown = json.loads(data.removeprefix("data: "))
    with MockServer(speed=0) as server:
        hello(server.url)
        real = entry_summary(server.journal.last())
    assert list(shown) == list(real)
    assert {k: type(v) for k, v in shown.items()} == {k: type(v) for k, v in real.items()}


def test_a_request_still_playing_has_its_timeline_as_it_stands():
    with MockServer() as fresh:
        playing_timeline(fresh)


def playing_timeline(fresh):
    body = {
        "model": "m",
        "max_tokens": 50,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    with httpx.stream(
        "POST", fresh.url + "/s/stalled_stream/v1/messages", json=body, timeout=30
    ) as held:
        chunks = held.iter_bytes()
        next(chunks)  # the server holds the stream silent from here on
        entry = fresh.journal.entries()[-1]
        deadline = time.monotonic() + 5
        while not entry.faults and time.monotonic() < deadline:
            time.sleep(0.01)
        assert entry.ended_at is None
        text = httpx.get(f"{fresh.url}/_streamrig/journal/{entry.id}/timeline?format=text")
        page = httpx.get(f"{fresh.url}/_streamrig/journal/{entry.id}/timeline")
        assert text.status_code == page.status_code == 200
        assert f"frames={len(entry.frames)}" in text.text
        assert "<svg" in page.text
    assert fresh.journal.last().outcome.value == "stalled"


def test_clearing_the_journal_is_an_event_even_from_another_thread(fresh):
    events = Events(fresh.url)
    try:
        ask = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
        httpx.post(fresh.url + "/v1/messages", json=ask).raise_for_status()
        events.until(lambda data: data.get("done"))
        fresh.reset()  # on this thread, not the server's
        seen = events.until(lambda data: "id" not in data)
        assert seen[-1] == ("cleared", "", {})
        httpx.post(fresh.url + "/v1/messages", json=ask).raise_for_status()
        after = events.until(lambda data: data.get("done"))
    finally:
        events.close()
    assert after[-1][2]["id"] == fresh.journal.last().id


def test_journal_watchers_hear_each_entry_open_and_finish_and_the_journal_cleared(fresh):
    heard: list[tuple[int | None, bool]] = []
    stop = fresh.journal.watch(
        lambda entry: heard.append(
            (None, False) if entry is None else (entry.id, entry.ended_at is not None)
        )
    )
    try:
        hello(fresh.url)
        entry = fresh.journal.last()
        fresh.journal.clear()
    finally:
        stop()
    assert heard == [(entry.id, False), (entry.id, True), (None, False)]
    assert entry.time <= entry.ended_at <= time.time()
    fresh.journal.clear()
    assert len(heard) == 3  # stopped


def test_every_bundled_scenario_has_a_plan_page_and_text(fresh):
    for scenario in fresh.state.registry.all():
        base = f"{fresh.url}/_streamrig/scenarios/{scenario.name}/timeline"
        page, text = httpx.get(base), httpx.get(base + "?format=text")
        assert (page.status_code, text.status_code) == (200, 200), (scenario.name, page.text)
        assert text.text.startswith(f"# {scenario.name} on ")
        assert "<svg" in page.text or "http_error" in page.text, scenario.name


def test_the_live_benchmark_still_finds_the_helpers_it_shares():
    # out of the default run, it borrows bench_hotpath's helpers: a rename there shows here
    from tests.benchmarks import bench_live

    assert callable(bench_live.cpu_per_event) and callable(bench_live.gap_error)
    assert set(bench_live.makers(_FakeSetup())) == {"aiohttp", "streamrig", "streamrig_page_open"}


class _FakeSetup:
    gap_ms = 10
    folder = Path("unused")
