"""The command line on conversations: `show` turn by turn, `serve --lenient`, and
`--streamrig-lenient` in a user's project."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx2 as httpx
import pytest

from tests.test_cli import start_serve, stop

LOOP = """
name: loop
turns:
  - reply: [{tool_call: {name: get_weather, input: {city: Paris}}}]
  - reply: [{text: Sunny.}]
    faults: [{after_events: 3, error: overloaded_error}]
"""
# A follow-up that leaves turn 1's tool call unanswered: the API refuses it.
BROKEN = {
    "model": "m",
    "max_tokens": 9,
    "messages": [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
        },
        {"role": "user", "content": "never mind"},
    ],
}


def test_show_prints_each_turn(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP)
    shown = subprocess.run(
        [sys.executable, "-m", "streamrig", "show", str(path), "--provider", "openai-chat"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert shown.returncode == 0, shown.stderr
    headers = [line for line in shown.stdout.splitlines() if line.startswith("#")]
    assert headers == [
        "# loop on OpenAI Chat Completions, turn 1 of 2, attempt 1",
        "# loop on OpenAI Chat Completions, turn 2 of 2, attempt 1",
    ]
    assert "ends: error_event; faults: error overloaded_error after_events=3" in shown.stdout


@pytest.mark.parametrize("lenient", [False, True])
def test_serve_refuses_a_broken_follow_up_unless_lenient(tmp_path, lenient):
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP)
    process, url = start_serve("--port", "0", str(path), *(["--lenient"] if lenient else []))
    try:
        answer = httpx.post(url + "/v1/messages", json=BROKEN)
    finally:
        stop(process)
    if lenient:
        assert answer.status_code == 200 and answer.json()["content"][0]["text"] == "Sunny."
    else:
        assert answer.status_code == 400
        assert answer.json()["error"]["message"].startswith(
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1."
        )


@pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")
def test_plugin_lenient_option(pytester):
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        test_broken=textwrap.dedent(
            f"""
            import anthropic, pytest

            @pytest.mark.streamrig({{"name": "loop", "turns": [{{"reply": [{{"text": "one"}}]}}, {{"reply": [{{"text": "two"}}]}}]}})
            def test_broken_history(anthropic_client):
                message = anthropic_client.messages.create(**{BROKEN!r})
                assert message.content[0].text == "two"
            """
        )
    )
    pytester.runpytest("-q").assert_outcomes(failed=1)
    pytester.runpytest("-q", "--streamrig-lenient").assert_outcomes(passed=1)
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "streamrig_lenient = true\n"
    )
    pytester.runpytest("-q").assert_outcomes(passed=1)
