"""Every fault and attempt kind on Gemini, and what google-genai (sync and async) does with it.

These are the facts written in docs/wire.md "Gemini" and the README's fault table.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import httpx2
import pytest
from google.genai import errors, types

from tests import gemini_sdk as g


def run_sync(url: str, **options):
    chunks = []
    client = g.client(url, **options)  # kept: a collected Client closes its pool mid-stream
    try:
        for chunk in client.models.generate_content_stream(model=g.MODEL, contents=g.USER):
            chunks.append(chunk)
    except Exception as error:
        return chunks, error
    return chunks, None


def run_async(url: str, **options):
    async def go():
        client = g.client(url, **options)
        chunks = []
        try:
            async for chunk in await client.aio.models.generate_content_stream(
                model=g.MODEL, contents=g.USER
            ):
                chunks.append(chunk)
        except Exception as error:
            return chunks, error
        finally:
            await client.aio.aclose()
        return chunks, None

    return asyncio.run(go())


BOTH = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])


@BOTH
def test_error_event_mid_stream_raises_server_error_after_the_chunks_before_it(fresh, run):
    chunks, error = run(fresh.url + "/s/overloaded_mid_stream")
    assert len(chunks) == 6
    assert isinstance(error, errors.ServerError)
    assert (error.code, error.status) == (503, "UNAVAILABLE")
    sent = bytes(fresh.journal.last().sent)  # once the server has finished with it
    assert sent.endswith(
        b'data: {"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}\r\n\r\n'
    )


@BOTH
def test_error_event_names_map_to_googles_status(fresh, run):
    fresh.add(
        {
            "name": "quota",
            "reply": [{"text": "a b c"}],
            "faults": [{"after_events": 1, "error": "rate_limit_error"}],
        }
    )
    _, error = run(fresh.url + "/s/quota")
    assert isinstance(error, errors.ClientError)
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")


@pytest.mark.parametrize(
    ("run", "raised"),
    [(run_sync, httpx2.RemoteProtocolError), (run_async, aiohttp.ClientPayloadError)],
    ids=["sync", "async"],
)
def test_reset_raises_the_transports_own_error_unwrapped(fresh, run, raised):
    chunks, error = run(fresh.url + "/s/connection_reset")
    assert len(chunks) == 6 and type(error) is raised


@BOTH
def test_truncate_raises_nothing_the_last_chunk_just_lacks_its_finish_reason(fresh, run):
    chunks, error = run(fresh.url + "/s/truncated_stream")
    assert error is None and len(chunks) == 6
    assert all(c.candidates[0].finish_reason is None for c in chunks)


@pytest.mark.parametrize(
    ("run", "raised"),
    [(run_sync, httpx2.ReadTimeout), (run_async, TimeoutError)],
    ids=["sync", "async"],
)
def test_stall_ends_in_the_clients_timeout(fresh, run, raised):
    # sync: httpx2's read timeout (the longest gap); async: aiohttp's *total* timeout.
    started = time.monotonic()
    chunks, error = run(fresh.url + "/s/stalled_stream", timeout=800)
    assert len(chunks) == 5 and type(error) is raised
    assert time.monotonic() - started >= 0.7
    assert fresh.journal.settled(5)[-1].outcome.value == "stalled"


@BOTH
@pytest.mark.parametrize("fault", [{"malformed": True}, {"ping": 1}])
def test_a_malformed_line_or_an_sse_comment_raises_unknown_api_response(fresh, run, fault):
    # google-genai reads any line that is not `data: ` as raw JSON: an SSE comment
    # (`: ping`, legal SSE that other SDKs skip) fails it like a cut-off JSON line.
    fresh.add(
        {
            "name": "odd",
            "reply": [{"text": "one two three"}],
            "faults": [{"after_events": 1, **fault}],
        }
    )
    chunks, error = run(fresh.url + "/s/odd")
    assert len(chunks) == 1 and isinstance(error, errors.UnknownApiResponseError)


@BOTH
def test_split_writes_are_safe(fresh, run):
    chunks, error = run(fresh.url + "/s/split_bytes")
    assert error is None
    assert (
        g.joined(chunks)["text"]
        == "Split writes: café, 日本語, 🎉 and 𝄞 arrive one byte at a time."
    )


@BOTH
@pytest.mark.parametrize(
    ("scenario", "status"), [("rate_limited_then_ok", 429), ("overloaded_then_ok", 529)]
)
def test_by_default_nothing_is_retried(fresh, run, scenario, status):
    _, error = run(fresh.url + f"/s/{scenario}")
    assert isinstance(error, errors.APIError) and error.code == status
    assert len(fresh.journal.entries()) == 1


@BOTH
def test_with_retry_options_429_and_503_are_retried_and_retry_after_is_ignored(fresh, run):
    fresh.add(
        {
            "name": "busy",
            "reply": [{"text": "Thanks for waiting."}],
            "attempts": {"fail": 2, "status": 503, "headers": {"retry-after": "30"}},
        }
    )
    retry = types.HttpRetryOptions(attempts=3, initial_delay=0.01, max_delay=0.05, jitter=0)
    started = time.monotonic()
    chunks, error = run(fresh.url + "/s/busy", retry_options=retry)
    assert error is None and g.joined(chunks)["text"] == "Thanks for waiting."
    assert [e.status for e in fresh.journal.entries()] == [503, 503, 200]
    assert time.monotonic() - started < 10  # retry-after: 30 was not waited for


@BOTH
def test_with_retry_options_529_is_still_not_retried(fresh, run):
    retry = types.HttpRetryOptions(attempts=3, initial_delay=0.01, jitter=0)
    _, error = run(fresh.url + "/s/overloaded_then_ok", retry_options=retry)
    assert isinstance(error, errors.ServerError) and error.code == 529
    assert len(fresh.journal.entries()) == 1


def test_attempt_errors_are_in_googles_shape_with_the_scenarios_headers(fresh):
    response = httpx2.post(
        fresh.url + "/s/rate_limited_then_ok" + g.path(True), json=g.body(), timeout=10
    )
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.json() == {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
        }
    }


def test_stream_false_matches_the_stream_for_a_faulted_scenario_body(fresh):
    # stream: false returns the whole message even where the stream is cut.
    body = g.whole(g.client(fresh.url + "/s/truncated_stream"))
    assert body.candidates[0].finish_reason == types.FinishReason.STOP
    assert body.text.endswith("takes as complete.")


def test_json_array_stream_faults_cut_before_the_closing_bracket(fresh):
    response = httpx2.post(
        fresh.url + "/s/overloaded_mid_stream" + g.path(True, sse=False), json=g.body(), timeout=10
    )
    body = response.content
    assert body.startswith(b"[{") and body.endswith(b'"status": "UNAVAILABLE"\n  }\n}\n]')
    truncated = httpx2.post(
        fresh.url + "/s/truncated_stream" + g.path(True, sse=False), json=g.body(), timeout=10
    ).content
    assert not truncated.endswith(b"]")


@BOTH
@pytest.mark.parametrize(("status", "tries"), [(408, 5), (500, 5), (504, 5), (400, 1), (409, 1)])
def test_retry_options_default_to_five_attempts_on_googles_retriable_codes(
    fresh, run, status, tries
):
    fresh.add(
        {"name": "failing", "reply": [{"text": "never"}], "attempts": {"fail": 9, "status": status}}
    )
    retry = types.HttpRetryOptions(initial_delay=0.001, max_delay=0.002, jitter=0)
    _, error = run(fresh.url + "/s/failing", retry_options=retry)
    assert isinstance(error, errors.APIError) and error.code == status
    assert len(fresh.journal.entries()) == tries
