"""The checks and the `gemini_client` fixtures on Gemini: correct clients pass, broken ones
fail saying why. Run through pytester, as a user's project runs them."""

from __future__ import annotations

import textwrap

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

INI = (
    "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    "filterwarnings =\n    error\n"
    "    ignore:Inheritance class AiohttpClientSession:DeprecationWarning\n"
)


def run(pytester, source: str, *args: str):
    pytester.makeini(INI)
    pytester.makepyfile(test_client=textwrap.dedent(source))
    return pytester.runpytest("-q", "-p", "no:randomly", *args)


def test_fixtures_and_accumulated(pytester):
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.streamrig("thinking")
        def test_correct_chunks(streamrig, gemini_client):
            chunks = list(gemini_client.models.generate_content_stream(model="m", contents="x"))
            found = streamrig.check.accumulated(chunks)
            assert found.thinking and found.text and found.stop_reason == "STOP"

        @pytest.mark.streamrig("tool_after_text")
        async def test_correct_async_keywords(streamrig, async_gemini_client):
            text, calls = "", []
            async for chunk in await async_gemini_client.models.generate_content_stream(model="m", contents="x"):
                text += chunk.text or ""
                calls += [(c.name, c.args) for c in chunk.function_calls or []]
            streamrig.check.accumulated(text=text, tool_calls=calls, stop_reason="STOP")

        @pytest.mark.streamrig("short_text")
        def test_correct_generate_content(streamrig, gemini_client):
            streamrig.check.accumulated(gemini_client.models.generate_content(model="m", contents="x"))

        @pytest.mark.streamrig("thinking")
        def test_broken_mixes_thoughts_into_text(streamrig, gemini_client):
            text = ""
            for chunk in gemini_client.models.generate_content_stream(model="m", contents="x"):
                text += "".join(p.text or "" for p in chunk.candidates[0].content.parts)
            streamrig.check.accumulated(text=text)
        """,
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the client's accumulated reply differs from what the server sent",
            "*scenario 'thinking' on Google Gemini*",
            "*text: *",
        ]
    )


def test_usage(pytester):
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.streamrig("thinking")
        def test_correct_last_chunk(streamrig, gemini_client):
            chunks = list(gemini_client.models.generate_content_stream(model="m", contents="x"))
            usage = streamrig.check.usage(chunks[-1].usage_metadata)
            assert usage.output_tokens == chunks[-1].usage_metadata.candidates_token_count + chunks[-1].usage_metadata.thoughts_token_count

        @pytest.mark.streamrig("long_text")
        def test_broken_sums_the_chunks(streamrig, gemini_client):
            total = 0
            for chunk in gemini_client.models.generate_content_stream(model="m", contents="x"):
                total += chunk.usage_metadata.candidates_token_count or 0
            streamrig.check.usage(output_tokens=total)

        @pytest.mark.streamrig("thinking")
        def test_broken_forgets_thoughts(streamrig, gemini_client):
            chunks = list(gemini_client.models.generate_content_stream(model="m", contents="x"))
            streamrig.check.usage(output_tokens=chunks[-1].usage_metadata.candidates_token_count)
        """,
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*output_tokens: expected *, got * = chunk 0*: each report counts the whole message so far; take the last, do not add",
            "*Gemini repeats usageMetadata in every chunk*",
            "*= the output without its thinking (Gemini: candidatesTokenCount alone)*add thoughtsTokenCount",
        ]
    )


def test_cancelled_and_timing(pytester):
    result = run(
        pytester,
        """
        import asyncio, time, pytest
        from streamrig.probe import probe

        @pytest.mark.streamrig("realistic_pace")
        def test_correct_closes_the_stream(streamrig, gemini_client):
            stream = gemini_client.models.generate_content_stream(model="m", contents="x")
            seen = probe(stream)
            for number, _ in enumerate(seen):
                if number == 2:
                    break
            stream.close()
            streamrig.check.cancelled(probe=seen)

        @pytest.mark.streamrig("realistic_pace")
        async def test_correct_async_task_cancel(streamrig, async_gemini_client):
            async def read():
                async for _ in await async_gemini_client.models.generate_content_stream(model="m", contents="x"):
                    pass
            task = asyncio.create_task(read())
            await asyncio.sleep(0.3)
            task.cancel()
            at = time.time()
            with pytest.raises(asyncio.CancelledError):
                await task
            streamrig.check.cancelled(at=at)

        @pytest.mark.streamrig("realistic_pace")
        def test_broken_just_stops_reading(streamrig, gemini_client):
            stream = gemini_client.models.generate_content_stream(model="m", contents="x")
            seen = probe(stream)
            for number, _ in enumerate(seen):
                if number == 2:
                    break
            streamrig.check.cancelled(probe=seen)

        @pytest.mark.streamrig("tool_after_text")
        def test_timing_pairs_whole_chunks(streamrig, gemini_client):
            # google-genai drops finishMessage from the last chunk; it still pairs.
            seen = probe(gemini_client.models.generate_content_stream(model="m", contents="x"))
            for _ in seen:
                pass
            assert streamrig.check.timing(seen, ttft_ms=5000).chunks == len(seen.times)

        @pytest.mark.streamrig("short_text", timing={"ttft_ms": 50, "gap_ms": 10})
        def test_timing(streamrig, gemini_client):
            seen = probe(gemini_client.models.generate_content_stream(model="m", contents="x"))
            for _ in seen:
                pass
            measured = streamrig.check.timing(seen, ttft_ms=2000)
            assert measured.chunks == len(seen.times)
        """,
    )
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        ["*the server kept writing*the client never closed the connection*"]
    )


def test_recovered(pytester):
    result = run(
        pytester,
        """
        import pytest
        from google.genai import types

        ATTEMPTS = {"fail": 1, "status": 503, "headers": {"retry-after-ms": "100"}}

        def stream(client, delay):
            retry = types.HttpRetryOptions(attempts=3, initial_delay=delay, jitter=0)
            options = types.GenerateContentConfig(http_options=types.HttpOptions(retry_options=retry))
            return list(client.models.generate_content_stream(model="m", contents="x", config=options))

        @pytest.mark.streamrig("short_text", attempts=ATTEMPTS)
        def test_correct_waits_long_enough(streamrig, gemini_client):
            chunks = stream(gemini_client, 0.2)
            recovery = streamrig.check.recovered(result=chunks)
            assert recovery.attempts == 2

        @pytest.mark.streamrig("short_text", attempts=ATTEMPTS)
        def test_broken_retries_too_soon(streamrig, gemini_client):
            streamrig.check.recovered(result=stream(gemini_client, 0.001))

        @pytest.mark.streamrig("truncated_stream")
        def test_broken_takes_a_cut_stream_as_whole(streamrig, gemini_client):
            streamrig.check.recovered(result=list(gemini_client.models.generate_content_stream(model="m", contents="x")))
        """,
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        ["*try 2 came * ms after the 503 of try 1, but retry-after-ms: 100 asked for 100 ms"]
    )
