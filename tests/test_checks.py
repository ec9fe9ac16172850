"""Every check on every provider's clients: a correct client passes, a broken one fails
saying why.

Run through pytester, so the failure messages are checked as a user sees them.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
# The Gemini SDK's async client subclasses aiohttp's ClientSession, which warns.
GEMINI_INI = (
    INI + "filterwarnings =\n    error\n"
    "    ignore:Inheritance class AiohttpClientSession:DeprecationWarning\n"
)
MSG = 'model="m", max_tokens=50, messages=[{"role": "user", "content": "x"}]'


@dataclass(frozen=True)
class Case:
    """One check on one provider's clients: how many pass and fail, and what the failures
    show (each list: lines in that order)."""

    check: str
    provider: str  # the clients in it: "anthropic+openai" or "gemini"
    passed: int
    failed: int
    shown: list[list[str]]
    source: str


CASES = [
    Case(
        "accumulated",
        "anthropic+openai",
        passed=3,
        failed=2,
        shown=[
            [
                "*the client's accumulated reply differs from what the server sent",
                "*scenario 'unicode' on Anthropic Messages*",
                "*text: they part at character *: the client's text stops there, 1 character(s) short",
            ],
            [
                "*scenario 'parallel_tool_calls' on OpenAI Chat Completions*",
                '*missing: get_time({"timezone": "Europe/Paris"})',
                "*stop reason: expected 'tool_calls', got 'stop'",
            ],
        ],
        source="""
            import json, pytest

            @pytest.mark.streamrig("tool_after_text")
            def test_correct_sdk_object(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    streamrig.check.accumulated(s.get_final_message())

            @pytest.mark.streamrig("tool_after_text")
            def test_correct_own_values(streamrig, openai_client):
                text, args, name = "", "", None
                for chunk in openai_client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "x"}]):
                    delta = chunk.choices[0].delta
                    text += delta.content or ""
                    for call in delta.tool_calls or []:
                        name = name or call.function.name
                        args += call.function.arguments or ""
                    finish = chunk.choices[0].finish_reason or None
                streamrig.check.accumulated(text=text, tool_calls=[(name, json.loads(args))], stop_reason="tool_use")

            @pytest.mark.streamrig("tool_after_text")
            def test_correct_adapter(streamrig, anthropic_client):
                class Reply:
                    def __init__(self, message):
                        self.words = "".join(b.text for b in message.content if b.type == "text")
                with anthropic_client.messages.stream(MSG) as s:
                    reply = Reply(s.get_final_message())
                streamrig.check.accumulated(reply, adapter=lambda r: {"text": r.words})

            @pytest.mark.streamrig("unicode")
            def test_broken_drops_last_delta(streamrig, anthropic_client):
                pieces = []
                with anthropic_client.messages.stream(MSG) as s:
                    for text in s.text_stream:
                        pieces.append(text)
                streamrig.check.accumulated(text="".join(pieces[:-1]))

            @pytest.mark.streamrig("parallel_tool_calls")
            def test_broken_keeps_only_first_tool_call(streamrig, openai_client):
                calls = {}
                for chunk in openai_client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "x"}]):
                    for call in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
                        if call.index == 0:
                            entry = calls.setdefault(0, {"name": call.function.name, "arguments": ""})
                            entry["arguments"] += call.function.arguments or ""
                streamrig.check.accumulated(tool_calls=list(calls.values()), stop_reason="stop")
            """,
    ),
    Case(
        "usage",
        "anthropic+openai",
        passed=2,
        failed=2,
        shown=[
            [
                "*the client's usage differs from what the provider reported",
                "*output_tokens: expected 42, got 43 = message_start's 1 + message_delta's 42: each report counts the whole message so far; take the last, do not add",
                "*Anthropic reports input_tokens in message_start and every count, cumulative, in each message_delta*",
            ],
            [
                "*output_tokens: expected 4, got 1 = message_start's 1, an early report; the final count comes in message_delta"
            ],
        ],
        source="""
            import pytest

            @pytest.mark.streamrig("tool_call")
            def test_correct_anthropic(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    message = s.get_final_message()
                streamrig.check.usage(message)
                streamrig.check.usage(input_tokens=380, output_tokens=42, total_tokens=422)

            @pytest.mark.streamrig("short_text")
            def test_correct_openai_last_chunk(streamrig, openai_client):
                usage = None
                for chunk in openai_client.chat.completions.create(model="m", stream=True, stream_options={"include_usage": True}, messages=[{"role": "user", "content": "x"}]):
                    usage = chunk.usage or usage
                streamrig.check.usage(input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens)

            @pytest.mark.streamrig("tool_call")
            def test_broken_adds_start_and_delta(streamrig, anthropic_client):
                output = 0
                with anthropic_client.messages.stream(MSG) as s:
                    for event in s:
                        if event.type == "message_start":
                            output += event.message.usage.output_tokens
                        elif event.type == "message_delta":
                            output += event.usage.output_tokens
                streamrig.check.usage(output_tokens=output)

            @pytest.mark.streamrig("short_text")
            def test_broken_reads_message_start(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    for event in s:
                        if event.type == "message_start":
                            output = event.message.usage.output_tokens
                streamrig.check.usage(output_tokens=output)
            """,
    ),
    Case(
        "cancelled",
        "anthropic+openai",
        passed=3,
        failed=1,
        shown=[
            [
                "*the cancel did not reach the server as it should",
                "*the server kept writing: * frame(s) went out after the cancel, the last * ms after it, and the stream ended as 'completed': the client never closed the connection*",
            ]
        ],
        source="""
            import time, pytest

            @pytest.mark.streamrig("long_text", timing={"gap_ms": 20})
            def test_correct_closes_the_stream(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    for number, _ in enumerate(s.text_stream):
                        if number == 3:
                            cancelled_at = time.time()
                            break
                result = streamrig.check.cancelled(at=cancelled_at, within_ms=100)
                assert result.frames_written < 20

            @pytest.mark.streamrig("long_text", timing={"gap_ms": 20})
            def test_correct_no_arguments(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    for number, _ in enumerate(s.text_stream):
                        if number == 3:
                            break
                assert streamrig.check.cancelled().seen_after_ms is None

            @pytest.mark.streamrig("long_text", timing={"gap_ms": 20})
            async def test_correct_async_with_probe(streamrig, async_openai_client):
                stream = await async_openai_client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "x"}])
                probe = streamrig.probe(stream)
                async for chunk in probe:
                    if len(probe) == 4:
                        await stream.close()
                        break
                streamrig.check.cancelled(probe=probe, within_ms=100)

            @pytest.mark.streamrig("long_text", timing={"gap_ms": 5})
            def test_broken_stops_reading_but_keeps_the_socket(streamrig, anthropic_client):
                stream = anthropic_client.messages.create(MSG, stream=True)
                for number, _ in enumerate(stream):
                    if number == 3:
                        cancelled_at = time.time()
                        break
                time.sleep(1.5)  # the "cancelled" UI goes on; the response is never closed
                try:
                    streamrig.check.cancelled(at=cancelled_at, within_ms=100)
                finally:
                    stream.close()
            """,
    ),
    Case(
        "timing",
        "anthropic+openai",
        passed=1,
        failed=1,
        shown=[
            [
                "*the client missed its timing budget",
                "*client overhead per chunk (p95): *ms, budget at most 30ms",
                "*measured: time to first chunk * ms, largest gap * ms, * chunks/s, overhead per chunk p50 * ms / p95 * ms, 2 chunks",
            ]
        ],
        source="""
            import time, pytest

            @pytest.mark.streamrig("long_text", timing={"ttft_ms": 100, "gap_ms": 5})
            def test_correct_within_budget(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    probe = streamrig.probe(s.text_stream)
                    for _ in probe:
                        pass
                measured = streamrig.check.timing(probe, ttft_ms=1000, max_gap_ms=500, min_tokens_per_s=20, overhead_ms=100)
                assert measured.ttft_ms >= 90 and measured.chunks > 100

            @pytest.mark.streamrig("short_text", timing={"gap_ms": 10})
            def test_broken_slow_handler(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    probe = streamrig.probe(s.text_stream)
                    for _ in probe:
                        time.sleep(0.08)  # the client's own work per chunk
                streamrig.check.timing(probe, overhead_ms=30)
            """,
    ),
    Case(
        "recovered",
        "anthropic+openai",
        passed=2,
        failed=4,
        shown=[
            [
                "*try 2 came * ms after the 529 of try 1, but retry-after-ms: 3000 asked for 3000 ms",
                "*the tries, as the server saw them:",
                "*#1 at +0.000s: HTTP 529 -> http_error; scenario 'overloaded_then_ok'*",
                "*#2 at +0.*s: HTTP 200 -> completed; scenario 'overloaded_then_ok'*",
            ],
            ["*try 2 retried a 400, but it is not retryable"],
            ["*retry storm: 6 tries, at most 3 expected"],
            [
                "*the last stream was cut (truncated after 6 frame(s)), but the client returned a result as if it were complete",
                "*the tries, as the server saw them:",
            ],
        ],
        source="""
            import time, anthropic, httpx2 as httpx, pytest

            @pytest.mark.streamrig("overloaded_then_ok")
            def test_correct_sdk_retry(streamrig, anthropic_client):
                message = anthropic_client.messages.create(MSG)
                recovery = streamrig.check.recovered(result=message)
                assert recovery.attempts == 2 and recovery.waits_ms[0] >= 90

            @pytest.mark.streamrig("truncated_stream")
            def test_correct_client_rejects_a_cut_stream(streamrig, anthropic_client):
                error = None
                with anthropic_client.messages.stream(MSG) as s:
                    message = s.get_final_message()
                if message.stop_reason is None:
                    error = RuntimeError("stream ended without a stop reason")
                streamrig.check.recovered(error=error)

            # retry-after-ms far above what two back-to-back posts take, even on a loaded machine
            @pytest.mark.streamrig("overloaded_then_ok", attempts=[{"status": 529, "headers": {"retry-after-ms": "3000"}}, {}])
            def test_broken_ignores_retry_after(streamrig):
                for _ in range(3):
                    response = httpx.post(streamrig.url + "/v1/messages", json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})
                    if response.status_code == 200:
                        break
                streamrig.check.recovered(result=response.json())

            @pytest.mark.streamrig("short_text", attempts=[{"status": 400}, {}])
            def test_broken_retries_a_400(streamrig):
                for _ in range(2):
                    response = httpx.post(streamrig.url + "/v1/messages", json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})
                    time.sleep(0.06)
                streamrig.check.recovered(result=response.json())

            @pytest.mark.streamrig("short_text", attempts={"fail": 9, "status": 503})
            def test_broken_retry_storm(streamrig):
                for _ in range(6):
                    httpx.post(streamrig.url + "/v1/messages", json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})
                streamrig.check.recovered(error=RuntimeError("gave up"))

            @pytest.mark.streamrig("truncated_stream")
            def test_broken_accepts_a_cut_stream(streamrig, anthropic_client):
                with anthropic_client.messages.stream(MSG) as s:
                    message = s.get_final_message()
                streamrig.check.recovered(result=message)
            """,
    ),
    Case(
        "accumulated",
        "gemini",
        passed=3,
        failed=1,
        shown=[
            [
                "*the client's accumulated reply differs from what the server sent",
                "*scenario 'thinking' on Google Gemini*",
                "*text: *",
            ]
        ],
        source="""
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
    ),
    Case(
        "usage",
        "gemini",
        passed=1,
        failed=2,
        shown=[
            [
                "*output_tokens: expected *, got * = chunk 0*: each report counts the whole message so far; take the last, do not add",
                "*Gemini repeats usageMetadata in every chunk*",
                "*= the output without its thinking (Gemini: candidatesTokenCount alone)*add thoughtsTokenCount",
            ]
        ],
        source="""
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
    ),
    Case(
        "cancelled+timing",
        "gemini",
        passed=4,
        failed=1,
        shown=[["*the server kept writing*the client never closed the connection*"]],
        source="""
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
    ),
    Case(
        "recovered",
        "gemini",
        passed=1,
        failed=2,
        shown=[
            ["*try 2 came * ms after the 503 of try 1, but retry-after-ms: 100 asked for 100 ms"]
        ],
        source="""
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
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.check}-{case.provider}")
def test_check(pytester, case):
    pytester.makeini(GEMINI_INI if case.provider == "gemini" else INI)
    pytester.makepyfile(test_client=textwrap.dedent(case.source).replace("MSG", MSG))
    result = pytester.runpytest("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=case.passed, failed=case.failed)
    for lines in case.shown:
        result.stdout.fnmatch_lines(lines)
