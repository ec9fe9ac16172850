"""Re-record the bundled cassettes: `.venv/bin/python cassettes/record_bundled.py`.

Starts a local upstream (streamrig itself, with irregular pacing: jittered gaps and
a pause) and `streamrig record` in front of it, then drives the official SDKs
through the recorder. The cassettes land beside this file.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import anthropic
import openai

from streamrig import MockServer

HERE = Path(__file__).resolve().parent
KEY = "sk-bundled-cassette-key-never-written"
PACE = {
    "timing": {"ttft_ms": 420, "tokens_per_s": 35, "jitter": 0.9, "seed": 11},
    "faults": [{"after_events": 9, "drop": "stall", "stall_ms": 180}],
}
UPSTREAM = [
    {
        "name": "story",
        "match": {"contains": "streaming"},
        "reply": [
            {
                "text": "Streaming replies arrive a few words at a time, with pauses that are never quite even."
            }
        ],
        "usage": {"input_tokens": 14, "output_tokens": 19},
        **PACE,
    },
    {
        "name": "weather",
        "match": {"contains": "weather"},
        "reply": [
            {"text": "Let me look that up."},
            {"tool_call": {"name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}},
        ],
        "usage": {"input_tokens": 380, "output_tokens": 41},
        **PACE,
    },
    {
        "name": "limited",
        "match": {"contains": "rate"},
        "reply": [],
        "attempts": [
            {
                "status": 429,
                "headers": {"retry-after": "2", "anthropic-ratelimit-requests-remaining": "0"},
            }
        ],
    },
]


def main() -> None:
    for folder in ("anthropic", "openai-chat", "openai-responses"):
        shutil.rmtree(HERE / folder, ignore_errors=True)
    with MockServer(UPSTREAM, seed=2026) as upstream:
        recorder = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamrig",
                "record",
                "--upstream",
                upstream.url,
                "--port",
                "0",
                "--out",
                str(HERE),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert recorder.stdout is not None
        url = re.search(r"recording on (\S+)", recorder.stdout.readline()).group(1)  # type: ignore[union-attr]
        try:
            drive(url)
            for _ in range(5):
                print(_saved(recorder))
        finally:
            recorder.terminate()
            recorder.wait(10)
    for path in HERE.rglob("*.yaml"):
        assert KEY not in path.read_text(), path


def drive(url: str) -> None:
    ask = [{"role": "user", "content": "Tell me about streaming"}]
    with anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0) as client:
        with client.messages.stream(
            model="claude-streamrig-demo", max_tokens=256, messages=ask
        ) as stream:
            stream.until_done()
        with client.messages.stream(
            model="claude-streamrig-demo",
            max_tokens=256,
            messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        ) as stream:
            stream.until_done()
        with contextlib.suppress(anthropic.RateLimitError):
            client.messages.create(
                model="claude-streamrig-demo",
                max_tokens=256,
                messages=[{"role": "user", "content": "Am I rate limited?"}],
            )
    with openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0) as client:
        for _ in client.chat.completions.create(
            model="gpt-streamrig-demo",
            messages=ask,
            stream=True,
            stream_options={"include_usage": True},
        ):
            pass
        with client.responses.stream(
            model="gpt-streamrig-demo", input="Tell me about streaming"
        ) as stream:
            stream.until_done()


def _saved(recorder: subprocess.Popen[str]) -> str:
    assert recorder.stdout is not None
    while True:
        line = recorder.stdout.readline()
        if not line or line.startswith("saved "):
            return line.strip()


if __name__ == "__main__":
    main()
