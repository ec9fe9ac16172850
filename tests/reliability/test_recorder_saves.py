"""`streamrig record` saves off its loop: a large cassette being written never delays
another stream being relayed, at its client or in its own cassette; saves under way
finish before the proxy stops."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest
import yaml
from aiohttp import web

from streamrig._gc_pause import collections_paused
from streamrig.record import Interaction, RecordingProxy, Redactor, write_cassette
from tests.plain_server import PlainServer
from tests.record.test_cli_record import read_saved_line, start_recorder

GAP_S = 0.05
GAP_EVENTS = 70  # 3.5 s of stream: the large save runs in the middle of it
BIG_EVENTS = 12_000  # ~1.9 MB of SSE: seconds of YAML on the old in-loop save
SOME_EVENTS = 4_000  # a save still under way when the proxy is told to stop
SLACK_S = 0.3  # what a gap may grow by, against what the upstream sent (old code: seconds)


def _event(index: int, text: str) -> bytes:
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": text},
    }
    return f"event: content_block_delta\ndata: {json.dumps(delta)}\n\n".encode()


class Upstream:
    """A local API: "big" gets ~2 MB at once, "some" a third of it; anything else 50 ms-gap
    events, each send timed."""

    def __init__(self) -> None:
        self.sent: list[float] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        said = body["messages"][-1]["content"]
        if said in ("big", "some"):
            count = BIG_EVENTS if said == "big" else SOME_EVENTS
            await response.write(
                b"".join(_event(i, f"word{i} lorem ipsum dolor sit amet ") for i in range(count))
            )
        else:
            for index in range(GAP_EVENTS):
                if index:
                    await asyncio.sleep(GAP_S)
                await response.write(_event(index, f"tick{index} "))
                self.sent.append(time.monotonic())
        await response.write_eof()
        return response


def _post(
    url: str, word: str, arrived: list[float], started: threading.Event | None = None
) -> None:
    body = {
        "model": "m",
        "max_tokens": 8,
        "stream": True,
        "messages": [{"role": "user", "content": word}],
    }
    data = b""
    with httpx.stream("POST", url + "/v1/messages", json=body, timeout=60) as response:
        for chunk in response.iter_raw():
            data += chunk
            arrived.extend([time.monotonic()] * (data.count(b"\n\n") - len(arrived)))
            if started is not None and len(arrived) >= 5:
                started.set()


def _excess(actual: list[float], sent: list[float]) -> float:
    """The most any gap grew by, against the same gap as the upstream sent it."""
    return max(
        (b - a) - (d - c)
        for (a, b), (c, d) in zip(itertools.pairwise(actual), itertools.pairwise(sent), strict=True)
    )


def test_a_large_save_never_delays_another_stream(tmp_path):
    upstream = Upstream()
    with PlainServer(upstream.handle) as api, RecordingProxy(api.url, tmp_path) as proxy:
        ticks: list[float] = []
        started = threading.Event()
        gaps = threading.Thread(target=_post, args=(proxy.url, "ticks", ticks, started))
        gaps.start()
        assert started.wait(10)
        big: list[float] = []
        _post(proxy.url, "big", big)  # whole now; its save starts while the ticks go on
        assert len(big) == BIG_EVENTS and len(ticks) < GAP_EVENTS, (
            "the save must overlap the stream"
        )
        gaps.join(30)
        saved = proxy.wait_saved(2, timeout=60)
    assert len(ticks) == GAP_EVENTS == len(upstream.sent)
    at_client = _excess(ticks, upstream.sent)
    assert at_client < SLACK_S, f"a gap grew by {at_client:.3f} s at the client"
    (cassette,) = [p for p in saved if "ticks" in p.name]
    events = yaml.safe_load(cassette.read_text())["interactions"][0]["streamrig"]["events"]
    recorded = [event["t"] for event in events]
    in_cassette = _excess(recorded, upstream.sent)
    assert in_cassette < SLACK_S, f"a gap grew by {in_cassette:.3f} s in the cassette"


def test_saves_under_way_finish_before_the_proxy_stops(tmp_path):
    upstream = Upstream()
    with PlainServer(upstream.handle) as api:
        with RecordingProxy(api.url, tmp_path) as proxy:
            _post(proxy.url, "some", [])
            # the proxy stops now, while the cassette is (most likely) still being written
        (written,) = tmp_path.rglob("*.yaml")
        assert (
            len(yaml.safe_load(written.read_text())["interactions"][0]["streamrig"]["events"])
            == SOME_EVENTS
        )
        assert not list(tmp_path.rglob("*.tmp"))


def test_ctrl_c_mid_save_loses_nothing(tmp_path):
    """`streamrig record` stopped by Ctrl+C while a large cassette is being written: the
    save completes, the earlier cassette is untouched, no temporary is left."""
    upstream = Upstream()
    with PlainServer(upstream.handle) as api:
        process, url = start_recorder(api.url, tmp_path)
        try:
            _post(url, "ticks", [])
            earlier = Path(read_saved_line(process).split()[1])
            before = earlier.read_bytes()
            _post(url, "some", [])
        finally:
            process.send_signal(signal.SIGINT)  # the big save has (most likely) just begun
            output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert earlier.read_bytes() == before
    (big,) = [p for p in tmp_path.rglob("*.yaml") if p != earlier]
    events = yaml.safe_load(big.read_text())["interactions"][0]["streamrig"]["events"]
    assert len(events) == SOME_EVENTS
    assert f"saved {big}" in output
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_deeply_nested_exchange_is_still_saved(tmp_path):
    """JSON nested past Python's recursion limit, sent or answered, is kept as text."""
    deep = "[" * 5000 + "]" * 5000
    interaction = Interaction(
        "POST",
        "http://up/v1/messages",
        {"x-api-key": "sk-deep-0123456789abcdef"},
        deep.encode(),
        status=200,
        response_headers={"content-type": "text/event-stream"},
    )
    interaction.chunks = [(0.1, f"data: {deep}\n\n".encode())]
    path = write_cassette(tmp_path / "deep.yaml", [interaction], Redactor())
    saved = yaml.safe_load(path.read_text())["interactions"][0]
    assert saved["request"]["body"] == deep
    assert saved["streamrig"]["events"][0]["sse"] == f"data: {deep}\n\n"


def _big_interaction(count: int) -> Interaction:
    interaction = Interaction(
        "POST",
        "http://up/v1/messages",
        {"x-api-key": "sk-big-0123456789abcdef"},
        b'{"model": "m"}',
        status=200,
        response_headers={"content-type": "text/event-stream"},
    )
    interaction.chunks = [(i / 1000, _event(i, f"word{i} lorem ipsum ")) for i in range(count)]
    return interaction


def test_a_save_sets_off_no_garbage_collection(tmp_path):
    """A save's objects would set off full collections of the whole heap with the GIL
    held (0.2-0.4 s in a large pytest worker: another stream's gap grew that much): the
    save holds automatic collections off, and the collector is on again afterwards."""
    interaction = _big_interaction(SOME_EVENTS)
    me = threading.get_ident()
    during: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and threading.get_ident() == me:
            during.append(info["generation"])

    gc.collect()  # no collection is due as the save begins
    gc.callbacks.append(seen)
    try:
        write_cassette(tmp_path / "big.yaml", [interaction], Redactor())
    finally:
        gc.callbacks.remove(seen)
    # the one young collection due when the collector is back on is all that may run
    assert during in ([], [0]), f"collections of generations {during} ran during a save"
    assert gc.isenabled()
    saved = yaml.safe_load((tmp_path / "big.yaml").read_text())
    assert len(saved["interactions"][0]["streamrig"]["events"]) == SOME_EVENTS


def test_a_failed_save_turns_the_collector_back_on(tmp_path):
    (tmp_path / "taken").write_text("a file where the cassette's folder would go")
    with pytest.raises(OSError):
        write_cassette(tmp_path / "taken" / "c.yaml", [_big_interaction(3)], Redactor())
    assert gc.isenabled()


def test_pauses_share_one_count_and_keep_a_collector_the_process_turned_off():
    with collections_paused():
        with collections_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner pause ended: the outer one still holds"
    assert gc.isenabled()
    gc.disable()
    try:
        with collections_paused():
            pass
        assert not gc.isenabled(), "the process had turned the collector off"
    finally:
        gc.enable()


SMALL_BENCH_RUN = ("--events", "200", "--rounds", "1", "--heap", "1000")


def test_the_save_benchmark_runs_as_the_readme_shows_it():
    # out of the default run; a small run here keeps its command and its report's rows true
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_saves", *SMALL_BENCH_RUN],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout)
    for row in ("streamrig_save", "yaml_safe_dump"):
        for heap in ("small_heap", "large_heap"):
            figures = report[f"{row}_{heap}"]
            assert figures["worst_ms"] >= figures["longest_wait_ms"] >= 0, (row, heap, figures)
    assert report["large_heap_objects"] == 1000
