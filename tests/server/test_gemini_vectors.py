"""Real recorded Gemini streams (tests/vectors/gemini, from Google's own SDK tests):
streamrig replays them byte for byte, and google-genai reads the same chunks from
streamrig as from a plain aiohttp handler writing the file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2 as httpx
import pytest

from streamrig import MockServer
from streamrig.scenario import Provider, collect_scenarios
from tests import gemini_sdk as g
from tests.plain_server import serve_bytes

VECTORS = sorted((Path(__file__).parents[1] / "vectors" / "gemini").glob("*.sse"))


@pytest.fixture(scope="module")
def replay():
    with MockServer(VECTORS, speed=0) as server:
        yield server


def test_every_vector_loads_as_a_gemini_scenario():
    assert len(VECTORS) >= 5
    assert {s.provider for s in collect_scenarios(VECTORS)} == {Provider.GEMINI}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda p: p.stem)
def test_replay_is_byte_for_byte(replay, vector):
    response = httpx.post(
        replay.url + f"/s/{vector.stem}" + g.path(stream=True), json=g.body(), timeout=10
    )
    assert response.content == vector.read_bytes()
    frames = replay.journal.settled()[-1].frames
    assert len(frames) == vector.read_bytes().count(b"\r\n\r\n")  # one write per event


@pytest.mark.parametrize("vector", VECTORS, ids=lambda p: p.stem)
def test_google_genai_reads_the_same_from_streamrig_and_from_a_plain_handler(replay, vector):
    ours = [g.normalise(c) for c in g.stream(g.client(replay.url + f"/s/{vector.stem}"))]
    with serve_bytes(vector.read_bytes(), "text/event-stream") as plain:
        theirs = [g.normalise(c) for c in g.stream(g.client(plain.url))]
        async_theirs = asyncio.run(g.stream_async(g.client(plain.url)))
    assert ours == theirs == [g.normalise(c) for c in async_theirs]
    assert len(ours) == vector.read_bytes().count(b"data: ")


@pytest.mark.parametrize("vector", VECTORS, ids=lambda p: p.stem)
def test_stream_false_and_our_accumulator_agree_with_the_sdks_chunks(replay, vector):
    gemini = g.client(replay.url + f"/s/{vector.stem}")
    chunks = g.stream(gemini)
    whole = g.whole(gemini)
    joined, from_whole = g.joined(chunks), g.joined([whole])
    assert {k: joined[k] for k in ("text", "calls", "finish")} == {
        k: from_whole[k] for k in ("text", "calls", "finish")
    }
