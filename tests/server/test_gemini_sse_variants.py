"""Which legal SSE variations google-genai reads, sync (httpx2) and async (aiohttp).

Served by a plain aiohttp handler, so these are facts about the SDK, not about
streamrig: they say which `line_endings`, `ping` and shape variations a Gemini
client can be expected to survive (docs/wire.md "Gemini").
"""

from __future__ import annotations

import asyncio

import pytest
from google.genai import errors

from tests import gemini_sdk as g
from tests.plain_server import serve_bytes

ONE = b'{"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}]}'
CUT = ONE.index(b'{"content"')  # between two tokens: the joining newline is whitespace
TWO = b'{"candidates": [{"content": {"parts": [{"text": " there"}],"role": "model"},"finishReason": "STOP","index": 0}]}'


def read(body: bytes, mode: str) -> str:
    with serve_bytes(body) as plain:
        client = g.client(plain.url)
        chunks = g.stream(client) if mode == "sync" else asyncio.run(read_async(client))
    return g.joined(chunks)["text"]


async def read_async(client):
    try:
        return await g.stream_async(client)
    finally:
        await client.aio.aclose()


def both(ending: bytes) -> bytes:
    return b"data: " + ONE + ending + b"data: " + TWO + ending


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    "body",
    [
        both(b"\r\n\r\n"),
        both(b"\n\n"),
        b"data: " + ONE[:CUT] + b"\ndata: " + ONE[CUT:] + b"\n\n" + b"data: " + TWO + b"\n\n",
        both(b"\r\n\r\n")[:-4],  # no blank line after the last event: still read
    ],
    ids=["crlf", "lf", "multi-line-data", "no-final-blank-line"],
)
def test_variations_it_reads(body, mode):
    assert read(body, mode).startswith("Hi")


@pytest.mark.parametrize(
    ("body", "sync_ok"),
    [
        (both(b"\r\r"), True),  # CR line endings: the aiohttp path splits on LF only
        (both(b"\r\n\r\n").replace(b"data: ", b"data:"), False),  # `data:` without its space
        (b"\xef\xbb\xbf" + both(b"\n\n"), False),  # a leading BOM
        (b"event: message\n" + both(b"\n\n"), False),  # an `event:` line
        (b": keep-alive\n\n" + both(b"\n\n"), False),  # an SSE comment
    ],
    ids=["cr", "no-space", "bom", "event-line", "comment"],
)
def test_legal_sse_it_fails_on(body, sync_ok):
    # Every line not starting `data: ` is read as raw JSON (meant for error bodies).
    if sync_ok:
        assert read(body, "sync") == "Hi there"
    else:
        with pytest.raises(errors.UnknownApiResponseError):
            read(body, "sync")
    with pytest.raises(errors.UnknownApiResponseError):
        read(body, "async")
